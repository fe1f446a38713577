"""A compact session card: title, server, start, duration, status badge and counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from components import format as fmt
from components import keys


def title_of(row: Any) -> str:
    """The title, or a readable fallback naming the server and the day."""
    # Lists come back as DataFrames, where a missing title is NaN, not None.
    if isinstance(row.title, str) and row.title.strip():
        return row.title
    return f"Untitled {row.server_name} session, {row.started_at:%b %d}"


def counts_line(row: Any) -> str:
    parts = [fmt.count(row.total_tool_calls, "call")]
    if row.total_errors:
        parts.append(f":red[{fmt.count(row.total_errors, 'error')}]")
    if row.ticket_count:
        parts.append(fmt.count(row.ticket_count, "ticket"))
    if row.server_kind == "workflow":
        parts = [
            fmt.count(row.total_jobs, "job"),
            fmt.count(row.total_companies, "company").replace("companys", "companies"),
            fmt.count(row.total_contacts, "contact"),
        ]
    return " · ".join(parts)


def session_card(row: Any, *, selected: bool, on_select: Callable[[str], None]) -> None:
    """One card; the title is a button that selects the session (keyboard: Tab, Enter).

    The exact start time is in the title's tooltip, not in a help icon of its own: each
    card is two tab stops (title, View details), and no button is named only "Help"."""
    with st.container(border=True, key=keys.session_card(row.id), gap="xsmall"):
        st.button(
            fmt.md(title_of(row), limit=90),
            key=f"{keys.session_card(row.id)}_open",
            on_click=on_select,
            args=(row.id,),
            type="primary" if selected else "tertiary",
            help=f"Show this session's timeline. Started {fmt.absolute(row.started_at)}.",
        )
        st.caption(
            f"{fmt.md(row.server_name)} · {fmt.relative(row.started_at)} · "
            f"{fmt.duration(row.duration_s)}"
        )
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            st.markdown(f"{fmt.status_badge(row.status)} {counts_line(row)}")
            details_button(row.id)


def details_button(session_id: str) -> None:
    """Opens the session's details in a dialog over the current page."""
    if st.button(
        "View details",
        key=keys.details_button(session_id),
        icon=":material/open_in_full:",
        type="tertiary",
        help="Show this session's details here",
    ):
        # Imported here: session_view imports this module (title_of).
        from components.session_view import details_dialog

        details_dialog(session_id)


def details_link(session_id: str, *, label: str = "View details") -> None:
    """A link to the Session details page (a real link: it opens in a new tab too)."""
    st.page_link(
        "app_pages/session_details.py",
        label=label,
        icon=":material/open_in_new:",
        query_params={keys.P_SESSION: session_id},
    )
