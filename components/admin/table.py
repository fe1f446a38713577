"""Every session of the organization: sort, keyset pages with the total, multi-row selection."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import pandas as pd
import streamlit as st

from components.admin import data as admin_data
from components.admin import keys as ak
from components.admin.filters import status_label
from components.keys import P_SESSION, P_USER, PATH_SESSION, PATH_USER
from components.pager import first_row, keyset_pager, stack
from queries.admin import SORTS, AdminFilter
from queries.page import Page
from sessionscope import human

SORT_LABELS = {"started_at": "Newest", "duration": "Longest", "errors": "Most errors"}
# What an admin scans first (state, title, when, how long, how it went), then who and where:
# at 1,366 px the first eight columns fit, and status and title stay while the rest scroll.
_COLUMNS = {
    "status": st.column_config.TextColumn("Status", width=110, pinned=True),
    "title": st.column_config.TextColumn("Title", width="medium", pinned=True),
    "started_at": st.column_config.DatetimeColumn("Started (UTC)", format="YYYY-MM-DD HH:mm"),
    "duration": st.column_config.TextColumn("Duration", width=90),
    "total_tool_calls": st.column_config.NumberColumn("Tool calls", format="%d", width=80),
    "total_errors": st.column_config.NumberColumn("Errors", format="%d", width=70),
    "error_rate": st.column_config.ProgressColumn(
        "Error rate", format="percent", min_value=0.0, max_value=1.0, width=110
    ),
    "server_name": st.column_config.TextColumn("Server"),
    "user_email": st.column_config.TextColumn("Email"),
    "user": st.column_config.LinkColumn(
        "User", display_text=rf"{P_USER}=(.*)$", help="Open the user's sessions"
    ),
    "session": st.column_config.LinkColumn(
        "Session", display_text=rf"{P_SESSION}=(.*)$", help="Open the session's details"
    ),
    "total_jobs": st.column_config.NumberColumn("Jobs", format="%d"),
    "total_companies": st.column_config.NumberColumn("Companies", format="%d"),
    "total_contacts": st.column_config.NumberColumn("Contacts", format="%d"),
    "total_campaigns": st.column_config.NumberColumn("Campaigns", format="%d"),
    "archived_at": st.column_config.DatetimeColumn("Archived (UTC)", format="YYYY-MM-DD HH:mm"),
}


def _sort() -> str:
    sort = st.segmented_control(
        "Sort by",
        list(SORTS),
        default=SORTS[0],
        required=True,
        format_func=SORT_LABELS.get,
        key=ak.SORT,
    )
    return sort if sort in SORTS else SORTS[0]


def view(rows: pd.DataFrame, *, archived: bool) -> pd.DataFrame:
    """The page's rows as shown: readable status, links, duration in words, error share."""
    calls, errors = rows["total_tool_calls"].fillna(0), rows["total_errors"].fillna(0)
    shown = rows.assign(
        status=rows["status"].map(status_label),
        user_email=rows["user_email"].where(rows["user_email"].notna(), "—"),
        title=rows["title"].where(rows["title"].notna(), "(untitled)"),
        session=[f"{PATH_SESSION}?{P_SESSION}={quote(i)}" for i in rows["id"]],
        user=[f"{PATH_USER}?{P_USER}={quote(u)}" for u in rows["end_user_id"]],
        duration=rows["duration_s"].map(lambda s: human.duration(None if pd.isna(s) else s)),
        error_rate=(errors / calls.where(calls > 0)).astype(float),
    )
    columns = [c for c in _COLUMNS if archived or c != "archived_at"]
    return shown[columns]


def _table_key(rows: pd.DataFrame) -> str:
    """New rows, new key: a selection never carries over to rows it did not pick."""
    digest = hashlib.sha1("\n".join(rows["id"]).encode()).hexdigest()[:12]
    return f"{ak.TABLE}_{digest}"


def _pager(cursors: list, page: Page, total: int, shown: int) -> None:
    first = first_row(cursors, admin_data.PAGE_SIZE)
    where = f"{first + 1:,}–{first + shown:,} of " if shown else ""
    keyset_pager(
        cursors,
        page.next_cursor,
        keys=(ak.PREV, ak.NEXT),
        labels=("Previous", "Next"),
        caption=f"{where}{human.count(total, 'session')} · page {len(cursors)}",
    )


def sessions_table(org_id: str, flt: AdminFilter) -> tuple[list[str], int]:
    """The table of the filter's sessions; returns the selected ids and the total matching."""
    sort = _sort()
    cursors = stack(ak.CURSORS, (flt, sort))
    total = admin_data.session_count(org_id, flt)
    page = admin_data.sessions_page(org_id, flt, sort, cursors[-1])
    rows = page.rows
    if rows.empty:
        st.info("No sessions match these filters.", icon=":material/filter_alt_off:")
        _pager(cursors, page, total, 0)
        return [], total
    event = st.dataframe(
        view(rows, archived=flt.include_archived),
        column_config=_COLUMNS,
        hide_index=True,
        on_select="rerun",
        selection_mode="multi-row",
        key=_table_key(rows),
        width="stretch",
    )
    _pager(cursors, page, total, len(rows))
    picked = [str(rows.iloc[i]["id"]) for i in event.selection.rows if i < len(rows)]
    return picked, total
