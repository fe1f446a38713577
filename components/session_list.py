"""The left pane: the user's header, the list's filters (kept in the URL) and a window of 50
of their sessions as compact cards, opened around the selected one.

The cards are the options of ONE radio, so a run sends one element for the whole list
(not a container and two buttons per card), arrow keys move through the sessions, and the
window, not the number of sessions paged through, bounds the work: Newer and Older move it.
"""

from __future__ import annotations

import streamlit as st

from components import data, keys, panes, recent, sidebar_sessions, url
from components import format as fmt
from components.recent import Anchored
from queries.page import Page, iso
from queries.sessions import ListFilter, SessionDetail
from queries.users import EndUser
from sessionscope import human
from sessionscope.schema import SESSION_STATUSES

PAGE = 50  # sessions per window (queries.sessions.for_user's limit)
ABOVE = 3  # newer sessions shown above the selected one when the list opens around it


def user_header(user: EndUser) -> None:
    st.subheader(fmt.md(user.display_name or user.email or user.distinct_id), anchor=False)
    # Not in the caption: markdown links an email by itself, and a link in a caption's faded
    # colour falls under 4.5:1 contrast (tests/browser/test_accessibility_browser.py).
    st.markdown(f":small[{fmt.md(user.email or 'no email')} · id {fmt.md(user.distinct_id)}]")
    st.caption(
        f"{human.count(user.session_count, 'session')} · "
        f"{human.count(user.tool_calls, 'tool call')} · {human.count(user.errors, 'error')} · "
        f"{human.count(user.ticket_count, 'ticket')} · "
        f"last seen {human.relative(user.last_seen_at)}"
    )


def sessions_pane(org_id: str, user: EndUser, selected: SessionDetail | None) -> None:
    """Header, filters, then the window of cards; the header and the cards in fragments that
    refresh their counts while one of the cards is active (the header also while the chosen
    session is, filtered out of the cards or not)."""
    head = st.container()  # drawn once the window tells whether it is live
    flt = _filters(org_id, user)
    page = _window(org_id, user, flt, selected)
    live = bool((page.rows["status"] == "active").any()) if not page.rows.empty else False
    cards = (org_id, user, flt, live)
    with head:
        if live or (selected is not None and selected.status == "active"):
            st.fragment(_live_header, run_every=data.LIVE_TTL)(org_id, user)
        else:
            user_header(user)
    if live:  # a fragment that refreshes the counts
        st.fragment(_cards, run_every=data.LIVE_TTL)(*cards)
    else:  # part of the page's run (a card's click reruns the panes alone either way)
        _cards(*cards)


def _live_header(org_id: str, user: EndUser) -> None:
    """The header with the user's totals read again, so they agree with the live cards."""
    user_header(data.end_user_now(org_id, user.id) or user)


def _filters(org_id: str, user: EndUser) -> ListFilter:
    """Status, title search and the empty-session toggle: read from the URL, mirrored into
    the widgets before they are drawn, written back by their change callbacks."""
    problems: list[str] = []
    flt = ListFilter(
        url.choices(keys.P_STATUS, SESSION_STATUSES, problems),
        url.text(keys.P_TITLE, problems),
        url.flag(keys.P_EMPTY, problems),
    )
    st.session_state[keys.US_STATUS] = list(flt.statuses)
    st.session_state[keys.US_TITLE] = flt.title_q or ""
    st.pills(
        "Status",
        SESSION_STATUSES,
        selection_mode="multi",
        key=keys.US_STATUS,
        label_visibility="collapsed",
        on_change=url.write_choices,
        args=(keys.P_STATUS, keys.US_STATUS),
    )
    st.text_input(
        "Search titles",
        key=keys.US_TITLE,
        placeholder="Search titles",
        label_visibility="collapsed",
        max_chars=url.MAX_SEARCH,
        icon=":material/search:",
        on_change=url.write_search,
        args=(keys.P_TITLE, keys.US_TITLE),
    )
    hidden = data.empty_sessions(org_id, user.id)
    if hidden:
        st.session_state[keys.US_EMPTY] = flt.include_empty
        st.toggle(
            f"Show {human.count(hidden, 'empty synced session')}",
            key=keys.US_EMPTY,
            on_change=url.write_flag,
            args=(keys.P_EMPTY, keys.US_EMPTY),
            help="MCPlatform records a session for every connection; these have no tool call "
            "and no ticket, so the list leaves them out unless asked.",
        )
    url.warn_removed(problems)
    return flt


def _start_key(user: EndUser, flt: ListFilter) -> tuple:
    return (user.id, flt)


def _window(org_id: str, user: EndUser, flt: ListFilter, selected: SessionDetail | None) -> Page:
    """The kept window; placed a few cards above the selected session when it was not chosen
    in the list (a cold link to the user's 300th session opens with its card in view), at
    the newest when the filters hide it (the panes still show it)."""
    start = recent.kept(keys.US_LIST_START, _start_key(user, flt), Anchored)
    if selected is not None and selected.id != start.around:
        key = (iso(selected.started_at), selected.id)
        before = data.sessions_before_newer(org_id, user.id, flt, key, ABOVE)
        start = Anchored(before, selected.id)
        if selected.id not in set(data.user_sessions(org_id, user.id, flt, before).rows["id"]):
            start = Anchored(None, selected.id)  # the filters hide it: from the newest
        recent.keep(keys.US_LIST_START, _start_key(user, flt), start)
    return data.user_sessions(org_id, user.id, flt, start.cursor)


def _cards(org_id: str, user: EndUser, flt: ListFilter, live: bool) -> None:
    # The list selects the URL's session, not an argument's: a card chosen in a live list
    # reruns the panes, not this fragment, whose arguments stay those of the last full run.
    start = recent.kept(keys.US_LIST_START, _start_key(user, flt), Anchored)
    page = data.user_sessions(org_id, user.id, flt, start.cursor, data.freshness(live))
    rows = page.rows
    moved = st.session_state.pop(keys.US_LIST_MOVED, False)
    if start.cursor is not None:
        _newer_buttons(org_id, user, flt, page)
    if rows.empty:
        filtered = flt.statuses or flt.title_q
        st.caption("No sessions match these filters." if filtered else "No sessions yet.")
        return
    cards = list(rows.itertuples())  # one pass: pandas extracts every column per pass
    panes.choice_list(
        "Sessions, newest first",
        keys.US_LIST,
        {r.id: fmt.card_title(r) for r in cards},
        keys.P_SESSION,
        _chosen,
        (_start_key(user, flt),),
        captions=[fmt.card_caption(r) for r in cards],
    )
    if page.next_cursor is not None:
        st.button(
            f"Older than these {len(rows):,}",
            key=keys.US_LIST_OLDER,
            on_click=_move,
            args=(user, flt, page.next_cursor),
            icon=":material/expand_more:",
            width="stretch",
        )
    if moved:
        panes.to_top(keys.US_LEFT)  # after the list: the script takes no room above it


def _chosen(start_key: tuple) -> None:
    session_id = st.session_state.get(keys.US_LIST)
    if session_id:
        # Chosen in view: the list stays where it is (_window moves only for other sessions).
        start = recent.kept(keys.US_LIST_START, start_key, Anchored)
        recent.keep(keys.US_LIST_START, start_key, Anchored(start.cursor, session_id))
        url.select_session(session_id)
        sidebar_sessions.remember(session_id)
        st.session_state[keys.US_REVEAL] = keys.US_CENTER
        # The timeline and details (and an open history panel); not the list, not the frame.
        st.rerun([keys.US_PANES_FRAGMENT, *sidebar_sessions.open_panel()])


def _newer_buttons(org_id: str, user: EndUser, flt: ListFilter, page: Page) -> None:
    """Shown when the window does not start at the newest session."""
    with st.container(horizontal=True, gap="small"):
        st.button(
            "Newer",
            key=keys.US_LIST_NEWER,
            on_click=_newer,
            args=(org_id, user, flt, page),
            icon=":material/expand_less:",
        )
        st.button(
            "Newest",
            key=keys.US_LIST_NEWEST,
            on_click=_move,
            args=(user, flt, None),
            icon=":material/vertical_align_top:",
        )


def _move(user: EndUser, flt: ListFilter, cursor: tuple | None) -> None:
    """Show the window from `cursor` on. The session it was placed around is read now, not
    passed in: a card chosen since (a click reruns the panes, not these buttons) is it."""
    key = _start_key(user, flt)
    around = recent.kept(keys.US_LIST_START, key, Anchored).around
    recent.keep(keys.US_LIST_START, key, Anchored(cursor, around))
    st.session_state[keys.US_LIST_MOVED] = True


def _newer(org_id: str, user: EndUser, flt: ListFilter, page: Page) -> None:
    if page.rows.empty:
        _move(user, flt, None)
        return
    first = page.rows.iloc[0]
    key = (iso(first["started_at"].to_pydatetime()), first["id"])
    _move(user, flt, data.sessions_before_newer(org_id, user.id, flt, key, PAGE))
