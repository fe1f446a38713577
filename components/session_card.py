"""A compact session card's text (title line, then server, time, status and counts), and the
link to Session details a selected session offers."""

from __future__ import annotations

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
        stage = getattr(row, "current_stage", None)
        if isinstance(stage, str) and stage:
            parts.append(f"at {fmt.md(stage)}")
    return " · ".join(parts)


def card_title(row: Any) -> str:
    """The card's first line: its title, bold (the list's CSS keeps it to one line)."""
    return f"**{fmt.md(title_of(row), limit=120)}**"


def card_caption(row: Any) -> str:
    """The card's second and third lines: status and counts; then server, when, how long."""
    return (
        f"{fmt.status_badge(row.status)} {counts_line(row)}  \n"
        f":gray[{fmt.md(row.server_name, limit=40)} · {fmt.relative(row.started_at)} · "
        f"{fmt.duration(row.duration_s)}]"
    )


def details_link(session_id: str, *, label: str = "Session details") -> None:
    """A link to the Session details page (a real link: it opens in a new tab too)."""
    st.page_link(
        "app_pages/session_details.py",
        label=label,
        icon=":material/open_in_new:",
        query_params={keys.P_SESSION: session_id},
    )
