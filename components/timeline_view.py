"""The center pane: one window of a session's merged timeline, with filters and paging.

The window runs in a fragment: paging and filtering rerun only this pane, and while
the session is active the fragment refreshes itself (`run_every`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from components import data, keys, recent, url
from components import format as fmt
from components.layout import PANE_HEIGHT
from components.session_card import details_link, title_of
from queries.page import Page
from queries.sessions import SessionDetail
from queries.timeline import PROTOCOL, TICKET, TOOL_CALL, TimelineFilter, TimelineSummary

WINDOW = 200
KIND_LABELS = {TOOL_CALL: "Tool calls", TICKET: "Tickets", PROTOCOL: "Protocol"}
KIND_ICONS = {
    TOOL_CALL: ":material/build:",
    TICKET: ":material/support_agent:",
    PROTOCOL: ":material/sync_alt:",
}
_RERUN_APP = "us_tl_rerun_app"


def timeline_pane(org_id: str, session: SessionDetail, selected_item: str | None) -> None:
    """Header, filters and the current window of `session`'s timeline."""
    st.subheader(fmt.md(title_of(session), limit=120), anchor=False)
    st.markdown(
        f"{fmt.status_badge(session.status)} {fmt.md(session.server_name)} · "
        f"started {fmt.absolute(session.started_at)} · {fmt.duration(session.duration_s)}"
    )
    details_link(session.id)
    live = session.status == "active"
    if live:
        st.caption(":material/autorenew: Active session: new items appear by themselves.")
    st.fragment(_window, run_every=data.LIVE_TTL if live else None)(
        org_id, session, selected_item, live
    )


@dataclass(frozen=True)
class _Where:
    """Which window of which timeline; `key` names its cursor among the recent ones."""

    org_id: str
    session_id: str
    flt: TimelineFilter

    @property
    def key(self) -> tuple[str, TimelineFilter]:
        return (self.session_id, self.flt)

    @property
    def cursor(self) -> tuple | None:
        return recent.kept(keys.US_TL_CURSOR, self.key, lambda: None)


def _window(org_id: str, session: SessionDetail, selected_item: str | None, live: bool) -> None:
    if st.session_state.pop(_RERUN_APP, False):
        st.rerun(scope="app")  # an item was chosen: the details pane must follow
    fresh = data.freshness(live)
    summary = data.timeline_summary(org_id, session.id, fresh)
    if summary is None or summary.tool_calls + summary.protocol + summary.tickets == 0:
        st.info("This session has no tool calls or tickets.", icon=":material/inbox:")
        return
    where = _Where(org_id, session.id, _filters(summary))
    with st.skeleton(height=PANE_HEIGHT):
        page, position, total = data.timeline_window(
            org_id, session.id, where.flt, where.cursor, fresh
        )
    _pager(where, page, position, total, summary)
    with st.container(height=PANE_HEIGHT, border=False):
        for row in page.rows.itertuples(index=False):
            st.button(
                row_label(row, session.started_at, selected=row.id == selected_item),
                key=keys.timeline_row(row.id),
                on_click=_select_item,
                args=(row.id,),
                width="stretch",
                type="primary" if row.id == selected_item else "tertiary",
            )


def _filters(summary: TimelineSummary) -> TimelineFilter:
    with st.container(horizontal=True, vertical_alignment="center"):
        kinds = st.pills(
            "Show",
            list(KIND_LABELS),
            format_func=KIND_LABELS.get,
            selection_mode="multi",
            default=list(KIND_LABELS),
            key=keys.US_TL_KINDS,
            label_visibility="collapsed",
        )
        tool = st.selectbox(
            "Tool",
            summary.tools,
            index=None,
            placeholder="All tools",
            key=keys.US_TL_TOOL,
            label_visibility="collapsed",
            width=200,
        )
        errors = st.toggle("Errors only", key=keys.US_TL_ERRORS)
    return TimelineFilter(kinds=tuple(kinds or ()), tool=tool, errors_only=errors)


def _pager(where: _Where, page: Page, position: int, total: int, summary: TimelineSummary) -> None:
    st.caption(window_caption(position, len(page.rows), total))
    if position == 0 and page.next_cursor is None:
        return
    with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
        st.button(
            "First",
            key=keys.US_TL_FIRST,
            disabled=position == 0,
            on_click=_move,
            args=(where, None),
            icon=":material/first_page:",
        )
        st.button(
            "Previous",
            key=keys.US_TL_PREV,
            disabled=position == 0,
            on_click=_previous,
            args=(where,),
            icon=":material/chevron_left:",
        )
        st.button(
            "Next",
            key=keys.US_TL_NEXT,
            disabled=page.next_cursor is None,
            on_click=_move,
            args=(where, page.next_cursor),
            icon=":material/chevron_right:",
        )
        # seq numbers every request of the session, protocol requests included.
        requests = summary.tool_calls + summary.protocol
        if requests > WINDOW:
            st.number_input(
                "Jump to call #",
                min_value=1,
                max_value=requests,
                value=None,
                step=1,
                key=keys.US_TL_JUMP,
                placeholder="Jump to call #",
                on_change=_jump,
                args=(where,),
                label_visibility="collapsed",
                width=170,
            )


def _move(where: _Where, cursor: tuple | None) -> None:
    recent.keep(keys.US_TL_CURSOR, where.key, cursor)


def _previous(where: _Where) -> None:
    cursor = where.cursor
    if cursor is not None:
        _move(where, data.timeline_prev(where.org_id, where.session_id, where.flt, cursor, WINDOW))


def _jump(where: _Where) -> None:
    seq = st.session_state.get(keys.US_TL_JUMP)
    if seq is not None:
        _move(where, data.timeline_jump(where.org_id, where.session_id, int(seq)))


def _select_item(item_id: str) -> None:
    url.select_item(item_id)
    st.session_state[_RERUN_APP] = True


def row_label(row: Any, started_at: Any, *, selected: bool = False) -> str:
    """Kind icon, name, time (+offset from the start), duration, error or priority badge."""
    at = f"{row.at:%H:%M:%S} ({fmt.offset(row.at, started_at)})"
    if row.kind == PROTOCOL:
        return _quiet_label(row, at, selected=selected)
    name = f"{KIND_ICONS[row.kind]} **{fmt.md(row.label, limit=60)}**"
    if row.kind == TOOL_CALL:
        parts = [name, at, fmt.millis(row.duration_ms)]
        if row.is_error:
            parts.append(":red-badge[:material/error: error]")
    else:
        parts = [name, at, fmt.priority_badge(row.priority)]
    return " · ".join(parts)


def _quiet_label(row: Any, at: str, *, selected: bool) -> str:
    """A protocol request (initialize, tools/list, resources/read <uri>...): small, not bold,
    gray unless selected (gray on the selected row's fill would be hard to read), so the
    tool calls around it stand out."""
    text = " · ".join(
        [f"{KIND_ICONS[PROTOCOL]} {fmt.md(row.label, limit=60)}", at, fmt.millis(row.duration_ms)]
    )
    label = f":small[{text}]" if selected else f":gray[:small[{text}]]"
    return label + (" · :red-badge[:material/error: error]" if row.is_error else "")


def window_caption(position: int, shown: int, total: int) -> str:
    if total == 0:
        return "No items match these filters."
    return f"Items {position + 1:,}–{position + shown:,} of {total:,}"
