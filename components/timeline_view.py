"""The center pane: the session's header and one window of its merged timeline (tool calls,
tickets, protocol requests, workflow stages), with filters kept in the URL and paging.

The window is the options of ONE radio: a run sends one element for 100 rows, arrow keys
move through the items, and a link to item #15,000 opens the window that holds it, with
the item a few rows from the top.

Find (`find` in the URL) marks the window's items that contain a text, counts them and steps
the selection through them; `matches=1` shows only them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from components import data, keys, recent, url
from components import format as fmt
from components.compare_view import compare_with
from components.panes import choice_list, row_in_view
from components.recent import Anchored
from components.session_view import details_button, details_link
from queries.page import Page
from queries.sessions import SessionDetail
from queries.timeline import (
    KINDS,
    PROTOCOL,
    STAGE,
    TICKET,
    TOOL_CALL,
    TimelineFilter,
    TimelineSummary,
)
from sessionscope import human

WINDOW = 100  # items per window
ABOVE = 3  # items shown above a linked item
KIND_LABELS = {TOOL_CALL: "Tool calls", TICKET: "Tickets", PROTOCOL: "Protocol", STAGE: "Stages"}
KIND_ICONS = {
    TOOL_CALL: ":material/build:",
    TICKET: ":material/support_agent:",
    PROTOCOL: ":material/sync_alt:",
    STAGE: ":material/account_tree:",
}
STAGE_COLORS = {
    "completed": "green",
    "failed": "red",
    "running": "blue",
    "paused": "orange",
    "skipped": "gray",
}


def header(session: SessionDetail) -> None:
    """Title; status, server and counts; start and duration with where to go from here."""
    st.subheader(fmt.md(fmt.title_of(session), limit=120), anchor=False)
    st.markdown(
        f"{fmt.status_badge(session.status)} {fmt.md(session.server_name)} · "
        f"{fmt.counts_line(session)}"
    )
    st.caption(
        f"Started {human.absolute(session.started_at)} · {human.duration(session.duration_s)}"
    )
    # The links in a row of their own: beside the caption they wrapped unevenly at 1,600 px.
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        details_link(session.id)
        details_button(session.id)
        compare_with(session, keys.US_COMPARE_WITH)
    if session.status == "active":
        st.caption(":material/autorenew: Active session: new items appear by themselves.")


@dataclass(frozen=True)
class _Where:
    """Which timeline, under which filter; `key` names its window among the recent ones."""

    org_id: str
    session_id: str
    flt: TimelineFilter
    find: str | None = None  # marks the items that contain it; the window stays the same

    @property
    def key(self) -> tuple[str, TimelineFilter]:
        return (self.session_id, self.flt)

    @property
    def matches(self) -> TimelineFilter:
        """The view's filter narrowed to the items that contain the find text."""
        return self.flt.finding(self.find)

    @property
    def start(self) -> Anchored:
        return recent.kept(keys.US_TL_CURSOR, self.key, Anchored)


def timeline_pane(org_id: str, session: SessionDetail, selected_item: str | None) -> None:
    """Header, filters and the window of `session`'s timeline that holds the selected item."""
    header(session)
    live = session.status == "active"
    fresh = data.freshness(live)
    summary = data.timeline_summary(org_id, session.id, fresh)
    if summary is None or _empty(summary):
        st.info("This session has no tool calls, tickets or stages.", icon=":material/inbox:")
        _pending(summary)
        return
    where = _filters(org_id, session.id, summary)
    _find_bar(where, selected_item, fresh)
    page, position = _window(where, selected_item, fresh)
    total = data.timeline_total(org_id, session.id, where.flt, fresh)
    _pager(where, page, position, total)
    away = False  # a line says the selected item is not among the rows
    if selected_item is not None and selected_item not in set(page.rows["id"]):
        away = _outside(where, selected_item, fresh)
    stepped = st.session_state.pop(keys.US_TL_STEPPED, False)  # never left for a later run
    if not page.rows.empty:
        marks = _marks(where, page, fresh)
        _items(where, page, session, marks, away)
        if stepped:
            row_in_view()
    _pending(summary)


def _outside(where: _Where, item_id: str, fresh: int) -> bool:
    """The item the details show is not among these rows: say whether the view's filters
    hide it or the window was paged away from it, and then offer the way back. False when
    there is nothing to say: the item is not in this session (the details say so)."""
    place = data.timeline_place(where.org_id, where.session_id, where.flt, item_id, fresh)
    if place is None:  # not in this view: hidden, unless not in this session at all
        everything = TimelineFilter()
        hidden = data.timeline_place(where.org_id, where.session_id, everything, item_id, fresh)
        if hidden:
            st.caption("The selected item is hidden by this view's filters.")
        return bool(hidden)
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.caption(f"The selected item, #{place:,}, is outside this window.", width="content")
        st.button(
            "Show it",
            key=keys.US_TL_SHOW_SELECTED,
            on_click=_show_selected,
            args=(where,),
            icon=":material/my_location:",
            type="tertiary",
        )
    return True


def _show_selected(where: _Where) -> None:
    """Forget the window's place: the next run places it around the selected item again."""
    recent.keep(keys.US_TL_CURSOR, where.key, Anchored())


def _empty(summary: TimelineSummary) -> bool:
    return summary.tool_calls + summary.protocol + summary.tickets + summary.stages == 0


def _window(where: _Where, item_id: str | None, fresh: int) -> tuple[Page, int]:
    """The kept window; placed a few rows above the selected item when the item was not
    chosen in it (a cold link to call #15,000 opens with that call in view)."""
    start = where.start
    if item_id is not None and item_id != start.around:
        above = _rows_above(where, fresh)
        cursor = data.timeline_showing(where.org_id, where.session_id, where.flt, item_id, above)
        start = Anchored(cursor, item_id)
        recent.keep(keys.US_TL_CURSOR, where.key, start)
    return data.timeline_window(
        where.org_id, where.session_id, where.flt, start.cursor, fresh, WINDOW
    )


def _rows_above(where: _Where, fresh: int) -> int:
    """ABOVE rows over the item, so the header and the item show together; every row above
    it when the view fits one window (none hidden behind Previous)."""
    total = data.timeline_total(where.org_id, where.session_id, where.flt, fresh)
    return WINDOW if total <= WINDOW else ABOVE


def _items(
    where: _Where,
    page: Page,
    session: SessionDetail,
    marks: frozenset[str],
    away: bool,
) -> None:
    """The window's rows; `away`: a line says the selected item is not among them."""
    rows = page.rows.itertuples()
    labels = {r.id: _marked(r.id in marks, row_label(r, session)) for r in rows}
    args = (where, away)
    choice_list("Timeline items", keys.US_TL_ITEMS, labels, keys.P_ITEM, _chosen, args)


def _chosen(where: _Where, away: bool) -> None:
    """A row chosen: the details run again alone, unless the timeline shows what the choice
    changes (the find bar's "3 of 7", or the line saying the selection is out of view)."""
    item_id = st.session_state.get(keys.US_TL_ITEMS)
    if item_id:
        # Chosen in view: the window stays where it is (_window moves only for other items).
        recent.keep(keys.US_TL_CURSOR, where.key, Anchored(where.start.cursor, item_id))
        url.select_item(item_id)
        st.session_state[keys.US_REVEAL] = keys.US_RIGHT
        if where.find is None and not away:  # else the panes: the timeline changes too
            st.rerun(keys.US_DETAILS_FRAGMENT)


def _filters(org_id: str, session_id: str, summary: TimelineSummary) -> _Where:
    """Kinds, tool and errors-only: read from the URL, mirrored into the widgets, written back
    by their change callbacks. Only the kinds this session has are offered."""
    problems: list[str] = []
    present = {
        TOOL_CALL: summary.tool_calls,
        PROTOCOL: summary.protocol,
        TICKET: summary.tickets,
        STAGE: summary.stages,
    }
    offered = [k for k in KINDS if present[k]]  # only the kinds this session has
    hidden = url.choices(keys.P_HIDE, KINDS, problems)  # the param names what is hidden
    tool = url.param(keys.P_TOOL)
    gone_tool = None  # a tool filter kept from another session, or a link's unknown tool
    if tool is not None and tool not in summary.tools:
        url.drop(keys.P_TOOL)
        gone_tool, tool = tool, None
    errors = url.flag(keys.P_ERRORS, problems)
    find = url.text(keys.P_FIND, problems)
    only = _only_matches(find, problems)
    shown = tuple(k for k in KINDS if k not in hidden)
    flt = TimelineFilter(kinds=shown, tool=tool, errors_only=errors)
    where = _Where(org_id, session_id, flt.finding(find) if only else flt, find)
    st.session_state[keys.US_TL_KINDS] = [k for k in offered if k not in hidden]
    st.session_state[keys.US_TL_TOOL] = tool
    st.session_state[keys.US_TL_ERRORS] = errors
    st.session_state[keys.US_TL_FIND] = find or ""
    st.session_state[keys.US_TL_FIND_ONLY] = only
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.pills(
            "Show",
            offered,
            format_func=KIND_LABELS.get,
            selection_mode="multi",
            key=keys.US_TL_KINDS,
            label_visibility="collapsed",
            on_change=_write_kinds,
            args=(tuple(offered),),
        )
        if summary.tools:
            st.selectbox(
                "Tool",
                summary.tools,
                index=None,
                placeholder="All tools",
                key=keys.US_TL_TOOL,
                label_visibility="collapsed",
                width=180,
                on_change=url.write_value,
                args=(keys.P_TOOL, keys.US_TL_TOOL),
            )
        st.toggle(
            "Errors only",
            key=keys.US_TL_ERRORS,
            on_change=url.write_flag,
            args=(keys.P_ERRORS, keys.US_TL_ERRORS),
        )
        if find is not None:
            st.toggle(
                "Only matches",
                key=keys.US_TL_FIND_ONLY,
                on_change=url.write_flag,
                args=(keys.P_FIND_ONLY, keys.US_TL_FIND_ONLY),
                help="Show only the items that contain the find text",
            )
        _jump_box(where, summary)
    url.warn_removed(problems)
    if gone_tool is not None:  # not "this link": it follows a click on another session too
        st.caption(
            f":material/filter_alt_off: This session has no {url.quoted(gone_tool)} calls, "
            "so the tool filter was removed."
        )
    return where


def _only_matches(find: str | None, problems: list[str]) -> bool:
    """The `matches` flag; it means nothing without a find text, so it goes with it."""
    only = url.flag(keys.P_FIND_ONLY, problems)
    if only and find is None:
        url.drop(keys.P_FIND_ONLY)
    return only and find is not None


def _find_bar(where: _Where, selected: str | None, fresh: int) -> None:
    """Find in this session: the text (in the URL), how many items of the view contain it,
    which one the selected item is, and buttons to the previous and next one."""
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.text_input(
            "Find in this session",
            key=keys.US_TL_FIND,
            placeholder="Find in payloads, errors, tickets…",
            help=FIND_HELP,
            icon=":material/search:",
            max_chars=url.MAX_SEARCH,
            label_visibility="collapsed",
            on_change=url.write_search,
            args=(keys.P_FIND, keys.US_TL_FIND),
        )
        if where.find is None:
            return
        found = data.timeline_total(where.org_id, where.session_id, where.matches, fresh)
        place = None
        if found and selected is not None:
            place = data.timeline_place(
                where.org_id, where.session_id, where.matches, selected, fresh
            )
        st.caption(matches_caption(found, place), width="content")
        for label, key, forward, icon in _FIND_BUTTONS:
            st.button(  # icon only: the row keeps the box, count and both on one line
                "",
                key=key,
                disabled=not found,
                on_click=_find_step,
                args=(where, forward, fresh),
                icon=f":material/{icon}:",
                type="tertiary",
                help=label,
            )


FIND_HELP = (
    "Items whose tool input, output or error message, ticket title, summary or context, "
    "or stage data contain this text: any case, any language; `%`, `_` and other symbols "
    "match themselves. Within the kinds, tool and errors shown."
)
_FIND_BUTTONS = (
    ("Previous match (from the first: the last)", keys.US_TL_FIND_PREV, False, "keyboard_arrow_up"),
    ("Next match (from the last: the first)", keys.US_TL_FIND_NEXT, True, "keyboard_arrow_down"),
)


def _find_step(where: _Where, forward: bool, fresh: int) -> None:
    """Select the next or previous match: in view, the window stays where it is; else
    _window moves it to show the match a few rows down."""
    current = url.param(keys.P_ITEM)
    target = data.timeline_step(
        where.org_id, where.session_id, where.matches, current, forward, fresh
    )
    if target is None:
        return
    if _in_view(where, target, fresh):
        recent.keep(keys.US_TL_CURSOR, where.key, Anchored(where.start.cursor, target))
    url.select_item(target)
    st.session_state[keys.US_TL_STEPPED] = True


def _in_view(where: _Where, item_id: str, fresh: int) -> bool:
    """Is the item in the window shown (the same cached read as the one shown)?"""
    page, _ = data.timeline_window(
        where.org_id, where.session_id, where.flt, where.start.cursor, fresh, WINDOW
    )
    return item_id in set(page.rows["id"])


def _marks(where: _Where, page: Page, fresh: int) -> frozenset[str]:
    """The window's items that contain the find text (none when there is no text)."""
    if where.find is None or where.flt.contains is not None:  # none, or only matches shown
        return frozenset()
    ids = tuple(page.rows["id"])
    return data.timeline_marks(where.org_id, where.session_id, where.matches, ids, fresh)


def matches_caption(found: int, place: int | None) -> str:
    """'No matches', '1 match', '7 matches', '3 of 7 matches' (the selected item is one)."""
    if found == 0:
        return "No matches"
    if place is not None:
        return f"{place:,} of {found:,} matches" if found > 1 else "1 of 1 match"
    return f"{found:,} match" + ("es" if found > 1 else "")


def _marked(marked: bool, label: str) -> str:
    return f"{MATCH_MARK} {label}" if marked else label


MATCH_MARK = ":orange-badge[:material/search:]"


def _jump_box(where: _Where, summary: TimelineSummary) -> None:
    """Jump to a request number (seq numbers every request, protocol requests included)."""
    requests = summary.tool_calls + summary.protocol
    if requests > WINDOW:
        st.number_input(
            "Jump to call #",
            min_value=1,
            max_value=requests,
            value=None,
            step=1,
            key=keys.US_TL_JUMP,
            placeholder="Call #",
            on_change=_jump,
            args=(where,),
            label_visibility="collapsed",
            width=110,
        )


def _write_kinds(offered: tuple[str, ...]) -> None:
    """The URL names the kinds switched off (none: the param goes), so new kinds show."""
    shown = set(st.session_state.get(keys.US_TL_KINDS) or ())
    hidden = [k for k in KINDS if k in offered and k not in shown]
    url.change(**{keys.P_HIDE: ",".join(hidden) or None})


def _pager(where: _Where, page: Page, position: int, total: int) -> None:
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.caption(window_caption(position, len(page.rows), total))
        if position == 0 and page.next_cursor is None:
            return
        _page_button("First", keys.US_TL_FIRST, position == 0, _move, (where, None), "first_page")
        _page_button(
            "Previous", keys.US_TL_PREV, position == 0, _previous, (where,), "chevron_left"
        )
        next_ = page.next_cursor
        _page_button("Next", keys.US_TL_NEXT, next_ is None, _move, (where, next_), "chevron_right")


def _page_button(
    label: str, key: str, disabled: bool, on_click: Any, args: tuple, icon: str
) -> None:
    st.button(
        label,
        key=key,
        disabled=disabled,
        on_click=on_click,
        args=args,
        icon=f":material/{icon}:",
        type="tertiary",
    )


def _move(where: _Where, cursor: tuple | None) -> None:
    recent.keep(keys.US_TL_CURSOR, where.key, Anchored(cursor, where.start.around))


def _previous(where: _Where) -> None:
    cursor = where.start.cursor
    if cursor is not None:
        _move(where, data.timeline_prev(where.org_id, where.session_id, where.flt, cursor, WINDOW))


def _jump(where: _Where) -> None:
    seq = st.session_state.get(keys.US_TL_JUMP)
    if seq is not None:
        _move(where, data.timeline_jump(where.org_id, where.session_id, int(seq)))


def _pending(summary: TimelineSummary | None) -> None:
    if summary is not None and summary.pending_stages:
        names = ", ".join(fmt.md(s) for s in summary.pending_stages)
        st.caption(f":material/schedule: Not started yet: {names}.")


def row_label(row: Any, session: SessionDetail) -> str:
    """One line: kind icon, name, time (+offset from the start), duration, error or priority."""
    at = f"{row.at:%H:%M:%S} ({human.offset(row.at, session.started_at)})"
    if row.kind == PROTOCOL:
        return _quiet_label(row, at)
    name = f"{KIND_ICONS[row.kind]} **{fmt.md(row.label, limit=60)}**"
    if row.kind == TOOL_CALL:
        parts = [name, at, human.millis(row.duration_ms)]
        if row.is_error:
            parts.append(":red-badge[:material/error: error]")
    elif row.kind == STAGE:
        status = fmt.stage_status(row.status, session.status)
        parts = [f"{KIND_ICONS[STAGE]} stage **{fmt.md(row.label)}**", at]
        parts.append(f":{STAGE_COLORS.get(status, 'gray')}-badge[{fmt.md(status)}]")
    else:
        parts = [name, at, fmt.priority_badge(row.priority)]
    return " · ".join(parts)


def _quiet_label(row: Any, at: str) -> str:
    """A protocol request (initialize, tools/list, resources/read <uri>...): small and gray,
    so the tool calls around it stand out."""
    text = " · ".join(
        [f"{KIND_ICONS[PROTOCOL]} {fmt.md(row.label, limit=60)}", at, human.millis(row.duration_ms)]
    )
    label = f":gray[:small[{text}]]"
    return label + (" · :red-badge[:material/error: error]" if row.is_error else "")


def window_caption(position: int, shown: int, total: int) -> str:
    if total == 0:
        return "No items match these filters."
    return f"Items {position + 1:,}–{position + shown:,} of {total:,}"
