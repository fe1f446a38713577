"""The left pane: the user's header and their session cards, newest first, 50 at a time."""

from __future__ import annotations

import streamlit as st

from components import data, keys, recent, url
from components import format as fmt
from components.layout import PANE_HEIGHT
from components.session_card import session_card
from queries.users import EndUser
from sessionscope.schema import SESSION_STATUSES


def user_header(user: EndUser) -> None:
    st.subheader(fmt.md(user.display_name or user.email or user.distinct_id), anchor=False)
    # Not in the caption: markdown links an email by itself, and a link in a caption's faded
    # colour falls under 4.5:1 contrast (tests/browser/test_accessibility_browser.py).
    st.markdown(f":small[{fmt.md(user.email or 'no email')} · id {fmt.md(user.distinct_id)}]")
    st.caption(
        f"First seen {fmt.absolute(user.first_seen_at)} · last seen "
        f"{fmt.relative(user.last_seen_at)}  \n"
        f"{fmt.count(user.session_count, 'session')} · {fmt.count(user.tool_calls, 'tool call')}"
        f" · {fmt.count(user.errors, 'error')} · {fmt.count(user.ticket_count, 'ticket')}"
    )


def sessions_pane(org_id: str, user: EndUser, selected: str | None) -> None:
    user_header(user)
    statuses = st.pills(
        "Status",
        SESSION_STATUSES,
        selection_mode="multi",
        key=keys.US_STATUS,
        label_visibility="collapsed",
    )
    title_q = st.text_input(
        "Search titles",
        key=keys.US_TITLE,
        placeholder="Search titles",
        label_visibility="collapsed",
        max_chars=200,
    )
    hidden = data.empty_sessions(org_id, user.id)
    include_empty = hidden > 0 and st.toggle(
        f"Show {fmt.count(hidden, 'empty synced session')}",
        key=keys.US_EMPTY,
        help="MCPlatform records a session for every connection; these have no tool call "
        "and no ticket, so the list leaves them out unless asked.",
    )
    filters = (tuple(statuses or ()), (title_q or "").strip() or None, include_empty)
    # The cursors of the pages loaded so far, per user and filters ("Load more" appends).
    cursors: list = recent.kept(keys.US_CURSORS, (user.id, filters), lambda: [None])
    with st.container(height=PANE_HEIGHT, border=False):
        page = None
        for cursor in cursors:
            page = data.user_sessions(org_id, user.id, *filters, cursor)
            for row in page.rows.itertuples(index=False):
                session_card(row, selected=row.id == selected, on_select=url.select_session)
        if page is not None and page.rows.empty and len(cursors) == 1:
            filtered = any(filters[:2])
            st.caption("No sessions match these filters." if filtered else "No sessions yet.")
        if page is not None and page.next_cursor is not None:
            st.button(
                "Load 50 more",
                key=keys.US_MORE,
                on_click=cursors.append,
                args=(page.next_cursor,),
                icon=":material/expand_more:",
                width="stretch",
            )
