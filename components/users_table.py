"""The users list: a compact table with a link per user; selecting a row opens it."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from components import keys

TABLE_KEY = "users_table"


def users_table(frames: Sequence[pd.DataFrame]) -> str | None:
    """Show the users; return the id of the row the viewer selected, if any."""
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if rows.empty:
        st.caption("No users match this search.")
        return None
    view = rows.assign(open=[f"{keys.PATH_USER}?{keys.P_USER}={i}" for i in rows["id"]])
    event = st.dataframe(
        view[
            [
                "display_name",
                "email",
                "distinct_id",
                "session_count",
                "ticket_count",
                "last_seen_at",
                "open",
            ]
        ],
        column_config={
            "display_name": st.column_config.TextColumn("Name"),
            "email": st.column_config.TextColumn("Email"),
            # Narrow: ids are often UUIDs, which took the width "Open sessions" needs at
            # 1,366 px (the whole id shows on hover).
            "distinct_id": st.column_config.TextColumn("Distinct id", width="small"),
            "session_count": st.column_config.NumberColumn("Sessions", format="%d"),
            "ticket_count": st.column_config.NumberColumn("Tickets", format="%d"),
            "last_seen_at": st.column_config.DatetimeColumn("Last seen", format="distance"),
            "open": st.column_config.LinkColumn("Open", display_text="Open sessions"),
        },
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=TABLE_KEY,
        width="stretch",
    )
    selected = event.selection.rows
    return str(rows.iloc[selected[0]]["id"]) if selected else None
