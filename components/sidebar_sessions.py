"""The sidebar's session history on every page: the organization's quick stats, its latest
sessions and the ones this viewer opened, as compact cards that open Session details.

A fragment, so searching, filtering and paging rerun only the panel. Its queries run only
while the expander is open (it tracks its state), so a closed panel costs a page nothing.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from components import data, keys, pager
from components import format as fmt
from queries.history import SEARCH_SCOPE, QuickStats
from sessionscope import human
from sessionscope.schema import SESSION_STATUSES

VIEWED = "his_viewed"  # session ids, most recently viewed first
MAX_VIEWED = 8
# Whether the viewer left the panel open. The expander itself forgets that on a page switch
# (Streamlit 1.67), so the panel reopens from this copy.
KEEP_OPEN = "his_open_kept"


def remember(session_id: str) -> None:
    """Put a session first in this viewer's recently viewed list (kept for the browser tab)."""
    viewed = [s for s in st.session_state.get(VIEWED, []) if s != session_id]
    st.session_state[VIEWED] = [session_id, *viewed][:MAX_VIEWED]


def history_panel(org_id: str) -> None:
    """The panel in the sidebar (frame.decorate calls this on every page)."""
    with st.sidebar:
        _panel(org_id)


def open_panel() -> list[str]:
    """The panel's fragment key while it is open, for a click that chose a session to rerun
    it beside the page's own fragment (its Recently viewed then lists that session first);
    a closed panel shows nothing to refresh, and opening it runs it."""
    return [keys.HIS_FRAGMENT] if st.session_state.get(KEEP_OPEN) else []


@st.fragment(key=keys.HIS_FRAGMENT)
def _panel(org_id: str) -> None:
    box = st.expander(
        "Session history",
        expanded=st.session_state.get(KEEP_OPEN, False),
        icon=":material/history:",
        key=keys.HIS_OPEN,
        on_change=_keep_open,
    )
    if not box.open:
        return
    with box:
        quick_stats(data.history_stats(org_id))
        statuses, title_q = _filters()
        latest, viewed = st.tabs(["Latest", "Recently viewed"])
        with latest:
            _latest(org_id, statuses, title_q)
        with viewed:
            _viewed(org_id, statuses, title_q)


def _keep_open() -> None:
    st.session_state[KEEP_OPEN] = bool(st.session_state.get(keys.HIS_OPEN))


def quick_stats(stats: QuickStats) -> None:
    """Three numbers in two short lines: the sidebar is too narrow for metric cards."""
    rate = "—" if stats.success_rate is None else f"{stats.success_rate:.0%}"
    st.markdown(
        f"**{stats.today:,}** today · **{stats.active:,}** active now  \n"
        f"**{rate}** success, last 7 days",
        help=(
            "Sessions started today (UTC); sessions active now; of the sessions started in "
            f"the last 7 days that ended, the share that completed ({stats.completed_7d:,} "
            f"completed, {stats.failed_7d:,} failed). Archived sessions are not counted."
        ),
    )


def _filters() -> tuple[tuple[str, ...], str | None]:
    title_q = st.text_input(
        "Search titles",
        key=keys.HIS_Q,
        placeholder="Search titles",
        label_visibility="collapsed",
        max_chars=200,
        icon=":material/search:",
    )
    statuses = st.pills(
        "Status",
        SESSION_STATUSES,
        selection_mode="multi",
        key=keys.HIS_STATUS,
        label_visibility="collapsed",
    )
    return tuple(statuses or ()), (title_q or "").strip() or None


def _latest(org_id: str, statuses: tuple[str, ...], title_q: str | None) -> None:
    # The pages shown so far, per organization and filters ("Older" loads one more).
    loaded = pager.load(
        keys.HIS_CURSORS,
        (org_id, statuses, title_q),
        lambda cursor: data.history_latest(org_id, statuses, title_q, cursor),
    )
    for page in loaded.pages:
        cards(page.rows)
    if len(loaded.pages) == 1 and loaded.pages[0].rows.empty:
        st.caption("No sessions match." if statuses or title_q else "No sessions yet.")
    if title_q:
        st.caption(f"The search covers the newest {SEARCH_SCOPE:,} sessions.")
    pager.more_button(
        loaded, "Older", key=keys.HIS_MORE, icon=":material/expand_more:", type="tertiary"
    )


def _viewed(org_id: str, statuses: tuple[str, ...], title_q: str | None) -> None:
    ids = tuple(st.session_state.get(VIEWED, ()))
    rows = data.history_viewed(org_id, ids, statuses, title_q)
    if rows.empty:
        st.caption("No match." if ids and (statuses or title_q) else "Sessions you open show here.")
    cards(rows)


def cards(rows: pd.DataFrame) -> None:
    for row in rows.itertuples(index=False):
        card(row)


def card(row: Any) -> None:
    """Title (a link to its details), status badge, key counts and when it started."""
    with st.container(border=True, gap=None):
        st.page_link(
            keys.PAGE_SESSION,
            label=fmt.md(fmt.title_of(row), limit=60),
            query_params={keys.P_SESSION: row.id},
            help=fmt.md(fmt.title_of(row), limit=200),
        )
        st.caption(
            f"{fmt.status_badge(row.status)} {fmt.counts_line(row)} · "
            f"{human.relative(row.started_at)}"
        )
