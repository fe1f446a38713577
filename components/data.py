"""The cached boundary between pages and queries/: one engine per process, named TTLs.

Pages call these wrappers, never queries/ directly, so caching and connection
handling live in one place. Arguments are plain hashable values.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from queries import (
    compare,
    history,
    items,
    members,
    search,
    session_stats,
    sessions,
    stages,
    timeline,
    users,
)
from queries.page import Page
from sessionscope import clock, downloads, resume
from sessionscope.db import begin_write, check_connection, make_engine
from sessionscope.errors import NotFound
from sessionscope.ingest import changes
from sessionscope.settings import load_settings

# Seconds. Finished sessions never change; active ones do, so their cache keys
# turn over every LIVE_TTL seconds (see `freshness`).
MEMBERSHIP_TTL = 60
USERS_TTL = 60
SESSIONS_TTL = 30
TIMELINE_TTL = 600
LIVE_TTL = 3
ITEM_TTL = 600
# Entries per cached function: each keys by viewer, search, session or cursor, so without a
# bound a crawl of many searches or sessions grows the cache until the TTL (issue 15).
MAX_ENTRIES = 512


@st.cache_resource(show_spinner=False)
def engine() -> sa.Engine:
    """The process-wide engine, built once; raises DatabaseUnavailable with a clear line."""
    settings = load_settings()
    eng = make_engine(settings.database_url, statement_timeout_ms=settings.statement_timeout_ms)
    check_connection(eng)
    return eng


@contextmanager
def connect() -> Iterator[sa.Connection]:
    """A connection for the pages' reads. On PostgreSQL in autocommit: no BEGIN before the
    first statement and no ROLLBACK when the pool takes it back, two round trips a read
    saved, and nothing lost (READ COMMITTED takes a snapshot per statement in a transaction
    too). SQLite's reads keep their deferred transaction: one snapshot for the block."""
    with engine().connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


# Cached wrappers, one per query the pages use. show_spinner=False: the pages show
# their own loading indicators where a wait can be seen.


@st.cache_data(ttl=MEMBERSHIP_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def memberships(email: str) -> list[members.Membership]:
    with connect() as conn:
        return members.memberships(conn, email=email)


T = TypeVar("T")


class _Missing(Exception):
    """Raised inside a cached lookup that found nothing: st.cache_data does not keep
    exceptions, so a miss is asked again next run (a just-arrived session is found)."""


def _found(value: object) -> object:
    if value is None:
        raise _Missing
    return value


def _unless_missing(cached: Callable[..., T], *args: object) -> T | None:
    """`cached(*args)`, or None where it found nothing (a miss that was not cached)."""
    try:
        return cached(*args)
    except _Missing:
        return None


def users_page(org_id: str, q: str | None, after: tuple | None) -> Page:
    return _users_page(org_id, q, after, changes.version(org_id))


@st.cache_data(ttl=USERS_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _users_page(org_id: str, q: str | None, after: tuple | None, version: int) -> Page:
    with connect() as conn:
        return users.search(conn, org_id=org_id, q=q, after=after)


def end_user(org_id: str, ref: str) -> users.EndUser | None:
    return _unless_missing(_end_user, org_id, ref, changes.version(org_id))


@st.cache_data(ttl=USERS_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _end_user(org_id: str, ref: str, version: int) -> users.EndUser:
    with connect() as conn:
        return _found(users.resolve(conn, org_id=org_id, ref=ref))


def end_user_now(org_id: str, ref: str) -> users.EndUser | None:
    """The user as it is now, read again every LIVE_TTL seconds: `end_user` keeps it until
    this process's changes.version moves, which ingest by another process does not do."""
    return _unless_missing(_live_end_user, org_id, ref, freshness(True))


@st.cache_data(ttl=LIVE_TTL * 2, max_entries=MAX_ENTRIES, show_spinner=False)
def _live_end_user(org_id: str, ref: str, fresh: int) -> users.EndUser:
    with connect() as conn:
        return _found(users.resolve(conn, org_id=org_id, ref=ref))


def user_sessions(
    org_id: str,
    end_user_id: str,
    flt: sessions.ListFilter,
    before: tuple | None,
    fresh: int = 0,
) -> Page:
    """One window of the user's list; `fresh` (see `freshness`) while a shown one is active."""
    return _user_sessions(org_id, end_user_id, flt, before, (changes.version(org_id), fresh))


@st.cache_data(ttl=SESSIONS_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _user_sessions(
    org_id: str,
    end_user_id: str,
    flt: sessions.ListFilter,
    before: tuple | None,
    version: tuple[int, int],
) -> Page:
    with connect() as conn:
        return sessions.for_user(
            conn,
            org_id=org_id,
            end_user_id=end_user_id,
            statuses=flt.statuses,
            title_q=flt.title_q,
            include_empty=flt.include_empty,
            before=before,
        )


@st.cache_data(ttl=SESSIONS_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def sessions_before_newer(
    org_id: str, end_user_id: str, flt: sessions.ListFilter, key: tuple, newer: int
) -> tuple | None:
    """The list page that shows `newer` sessions above the one at `key`, then it."""
    with connect() as conn:
        return sessions.before_newer(
            conn, org_id=org_id, end_user_id=end_user_id, flt=flt, key=key, newer=newer
        )


@st.cache_data(ttl=SESSIONS_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _empty_sessions(org_id: str, end_user_id: str, version: int) -> int:
    with connect() as conn:
        return sessions.empty_count(conn, org_id=org_id, end_user_id=end_user_id)


def empty_sessions(org_id: str, end_user_id: str) -> int:
    """How many empty synced sessions the user's list hides by default."""
    return _empty_sessions(org_id, end_user_id, changes.version(org_id))


def session(org_id: str, session_id: str) -> sessions.SessionDetail | None:
    return _unless_missing(_session, org_id, session_id, changes.version(org_id))


@st.cache_data(ttl=SESSIONS_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _session(org_id: str, session_id: str, version: int) -> sessions.SessionDetail:
    with connect() as conn:
        return _found(sessions.get(conn, org_id=org_id, session_id=session_id))


def session_now(org_id: str, session_id: str) -> sessions.SessionDetail | None:
    """The session's header as it is now: `session`, read again every LIVE_TTL seconds while
    it is active. Its duration and last activity move, and ingest by another process (a
    replica, the CLI) does not bump this process's changes.version, so `session` alone would
    keep an active session's header for up to SESSIONS_TTL."""
    found = session(org_id, session_id)
    if found is None or found.status != "active":
        return found
    return _unless_missing(_live_session, org_id, session_id, freshness(True))


@st.cache_data(ttl=LIVE_TTL * 2, max_entries=MAX_ENTRIES, show_spinner=False)
def _live_session(org_id: str, session_id: str, fresh: int) -> sessions.SessionDetail:
    with connect() as conn:
        return _found(sessions.get(conn, org_id=org_id, session_id=session_id))


def freshness(live: bool) -> int:
    """A cache-key part that changes every LIVE_TTL seconds for an active session, never else."""
    return int(time.time() // LIVE_TTL) if live else 0


@st.cache_data(ttl=TIMELINE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def timeline_summary(org_id: str, session_id: str, fresh: int) -> timeline.TimelineSummary | None:
    with connect() as conn:
        return timeline.summary(conn, org_id=org_id, session_id=session_id)


@st.cache_data(ttl=TIMELINE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def timeline_window(
    org_id: str,
    session_id: str,
    flt: timeline.TimelineFilter,
    after: tuple | None,
    fresh: int,
    limit: int,
) -> tuple[Page, int]:
    """One window of the timeline with its position (the total is cached per filter)."""
    with connect() as conn:
        page = timeline.window(
            conn, org_id=org_id, session_id=session_id, flt=flt, after=after, limit=limit
        )
        position = timeline.position(
            conn, org_id=org_id, session_id=session_id, flt=flt, cursor=after
        )
    return page, position


@st.cache_data(ttl=TIMELINE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def timeline_total(org_id: str, session_id: str, flt: timeline.TimelineFilter, fresh: int) -> int:
    """How many items the filter keeps: counted once per filter, not once per window."""
    with connect() as conn:
        return timeline.count(conn, org_id=org_id, session_id=session_id, flt=flt)


@st.cache_data(ttl=TIMELINE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def timeline_showing(
    org_id: str, session_id: str, flt: timeline.TimelineFilter, item_id: str, above: int
) -> tuple | None:
    """The window cursor that shows the item as row above+1 (None: from the start)."""
    with connect() as conn:
        return timeline.cursor_showing(
            conn, org_id=org_id, session_id=session_id, flt=flt, item_id=item_id, above=above
        )


@st.cache_data(ttl=TIMELINE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def timeline_prev(
    org_id: str, session_id: str, flt: timeline.TimelineFilter, cursor: tuple, limit: int
) -> tuple | None:
    with connect() as conn:
        return timeline.cursor_before(
            conn, org_id=org_id, session_id=session_id, flt=flt, cursor=cursor, limit=limit
        )


@st.cache_data(ttl=TIMELINE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def timeline_jump(org_id: str, session_id: str, seq: int) -> tuple | None:
    with connect() as conn:
        return timeline.cursor_at_seq(conn, org_id=org_id, session_id=session_id, seq=seq)


def item(org_id: str, item_id: str) -> items.ToolCallDetail | items.TicketDetail | None:
    return _unless_missing(_item, org_id, item_id, changes.version(org_id))


@st.cache_data(ttl=ITEM_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _item(org_id: str, item_id: str, version: int) -> items.ToolCallDetail | items.TicketDetail:
    with connect() as conn:
        return _found(items.get(conn, org_id=org_id, item_id=item_id))


def payload_download(
    org_id: str, actor: str, item_id: str, field: downloads.Field
) -> Callable[[], bytes]:
    """For st.download_button(data=...): called only when the viewer clicks, it reads the
    whole payload and writes one audit entry (not cached: it is large, and each is audited).

    The click runs in a worker thread without Streamlit's context, so the engine is looked
    up now, in the script's thread.
    """
    eng = engine()

    def fetch() -> bytes:
        with begin_write(eng) as conn:
            return downloads.payload(conn, org_id=org_id, actor=actor, item_id=item_id, field=field)

    return fetch


# --- Session details page and the sidebar's session history ---------------------------------

AVERAGES_TTL = 300  # a user's average session moves slowly; one new session barely shifts it
PREVIEW_TTL = 30  # whether a session can be resumed; cleared at once after a resume here
HISTORY_TTL = 15  # the sidebar's latest and recently viewed sessions
HISTORY_STATS_TTL = 60  # the sidebar's counts (each scans an index range; see queries.history)


@st.cache_data(ttl=AVERAGES_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def user_averages(org_id: str, end_user_id: str) -> session_stats.UserAverages:
    with connect() as conn:
        return session_stats.user_averages(conn, org_id=org_id, end_user_id=end_user_id)


@st.cache_data(ttl=TIMELINE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def session_waterfall(org_id: str, session_id: str, fresh: int) -> session_stats.Waterfall:
    """The waterfall's calls, or their time buckets past MAX_BARS (never every call)."""
    with connect() as conn:
        return session_stats.waterfall(conn, org_id=org_id, session_id=session_id)


@st.cache_data(ttl=TIMELINE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def session_latency_bins(org_id: str, session_id: str, fresh: int) -> pd.DataFrame:
    """The latency histogram's bins, counted in SQL."""
    with connect() as conn:
        return session_stats.latency_histogram(conn, org_id=org_id, session_id=session_id)


@st.cache_data(ttl=TIMELINE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def session_tickets(org_id: str, session_id: str, fresh: int) -> pd.DataFrame:
    with connect() as conn:
        return session_stats.tickets(conn, org_id=org_id, session_id=session_id)


@st.cache_data(ttl=TIMELINE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def session_tools(org_id: str, session_id: str, fresh: int) -> pd.DataFrame:
    with connect() as conn:
        return session_stats.per_tool(conn, org_id=org_id, session_id=session_id)


@st.cache_data(ttl=TIMELINE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def session_latency(org_id: str, session_id: str, fresh: int) -> tuple[float | None, ...]:
    """(p50, p95) of the session's call durations in ms."""
    with connect() as conn:
        return session_stats.latency(conn, org_id=org_id, session_id=session_id)


@st.cache_data(ttl=TIMELINE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def session_stages(org_id: str, session_id: str, fresh: int) -> pd.DataFrame:
    with connect() as conn:
        return stages.stages(conn, org_id=org_id, session_id=session_id)


@st.cache_data(ttl=PREVIEW_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def resume_preview(org_id: str, session_id: str) -> resume.StatePreview | None:
    """What resuming would do, or None when the session is not visible to this org."""
    with connect() as conn:
        try:
            return resume.preview(conn, org_id=org_id, session_id=session_id)
        except NotFound:
            return None


def sessions_listed_changed() -> None:
    """Forget every cached user list, session list and session header (after an archive or
    restore here, which moves sessions in or out of them)."""
    for cached in (_users_page, _user_sessions, _session):
        cached.clear()


def session_changed(org_id: str, session_id: str) -> None:
    """Forget what the caches know about a session that was just changed here (resumed)."""
    _session.clear(org_id, session_id, changes.version(org_id))
    resume_preview.clear(org_id, session_id)
    session_stages.clear(org_id, session_id, 0)  # an active session's keys turn over anyway
    _user_sessions.clear()  # its lists show the status; keyed by filters, so all of them
    history_latest.clear()
    history_viewed.clear()
    history_stats.clear()


@st.cache_data(ttl=HISTORY_STATS_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def history_stats(org_id: str) -> history.QuickStats:
    with connect() as conn:
        return history.quick_stats(conn, org_id=org_id, now=clock.now())


@st.cache_data(ttl=HISTORY_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def history_latest(
    org_id: str, statuses: tuple[str, ...], title_q: str | None, before: tuple | None
) -> Page:
    with connect() as conn:
        return history.latest(
            conn, org_id=org_id, statuses=statuses, title_q=title_q, before=before
        )


@st.cache_data(ttl=HISTORY_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def history_viewed(
    org_id: str, ids: tuple[str, ...], statuses: tuple[str, ...], title_q: str | None
) -> pd.DataFrame:
    with connect() as conn:
        return history.by_ids(conn, org_id=org_id, ids=ids, statuses=statuses, title_q=title_q)


# The timeline's find (components/timeline_view.py): `flt` is the view's filter narrowed by
# TimelineFilter.finding(q), so these read only the items that contain the text.


@st.cache_data(ttl=TIMELINE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def timeline_marks(
    org_id: str,
    session_id: str,
    flt: timeline.TimelineFilter,
    item_ids: tuple[str, ...],
    fresh: int,
) -> frozenset[str]:
    """Which of a window's items contain the text (each looked up by its key)."""
    with connect() as conn:
        return timeline.kept(conn, org_id=org_id, session_id=session_id, flt=flt, item_ids=item_ids)


@st.cache_data(ttl=TIMELINE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def timeline_step(
    org_id: str,
    session_id: str,
    flt: timeline.TimelineFilter,
    item_id: str | None,
    forward: bool,
    fresh: int,
) -> str | None:
    """The next (or previous) match after item_id, wrapping around at either end."""
    with connect() as conn:
        args = {"org_id": org_id, "session_id": session_id, "flt": flt, "forward": forward}
        found = timeline.step(conn, item_id=item_id, **args)
        if found is None and item_id is not None:  # past the last (or first) match
            found = timeline.step(conn, item_id=None, **args)
        return found


@st.cache_data(ttl=TIMELINE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def timeline_place(
    org_id: str, session_id: str, flt: timeline.TimelineFilter, item_id: str, fresh: int
) -> int | None:
    """The item's number (from 1) among the items the filter keeps; None if it drops it."""
    with connect() as conn:
        return timeline.place(conn, org_id=org_id, session_id=session_id, flt=flt, item_id=item_id)


# --- Compare (components/compare_view.py) ------------------------------------------------------


@st.cache_data(ttl=TIMELINE_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def compare_sessions(
    org_id: str, a_session_id: str, b_session_id: str, protocol: bool, fresh: int
) -> compare.Alignment:
    """The two sessions' calls aligned; `fresh` turns over while either is active."""
    with connect() as conn:
        return compare.compare(
            conn,
            org_id=org_id,
            a_session_id=a_session_id,
            b_session_id=b_session_id,
            protocol=protocol,
        )


# --- Search (components/search_view.py) --------------------------------------------------------

SEARCH_TTL = 60  # a new call that matches shows within a minute, or at once after an ingest


def search_page(
    org_id: str, q: str, flt: search.SearchFilter, after: tuple | None
) -> search.SearchPage:
    """One page of the org's sessions holding q (BadQuery for a refused q)."""
    return _search_page(org_id, q, flt, after, changes.version(org_id))


@st.cache_data(ttl=SEARCH_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _search_page(
    org_id: str, q: str, flt: search.SearchFilter, after: tuple | None, version: int
) -> search.SearchPage:
    with connect() as conn:
        return search.sessions_matching(conn, org_id=org_id, q=q, flt=flt, after=after)


@st.cache_data(ttl=SEARCH_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def search_servers(org_id: str) -> pd.DataFrame:
    """The org's servers for the Search filter (id, slug, name, kind)."""
    with connect() as conn:
        return search.servers(conn, org_id=org_id)
