"""The naive baseline for the benchmark: the User sessions page as typical Streamlit tutorials
write it. Whole tables are read into pandas once (st.cache_data) and filtered there.

Not part of the product; bench/server.py runs it under AppTest with the same query params.
"""

import os

import pandas as pd
import sqlalchemy as sa
import streamlit as st


@st.cache_data
def load(table: str) -> pd.DataFrame:
    engine = sa.create_engine(os.environ["DATABASE_URL"])
    with engine.connect() as conn:
        return pd.read_sql_table(table, conn)


sessions, calls, tickets = load("sessions"), load("tool_calls"), load("support_tickets")
params = st.query_params
left, center, right = st.columns(3)
mine = sessions[sessions["end_user_id"] == params["user"]].sort_values(
    "started_at", ascending=False
)
left.dataframe(mine[["title", "status", "started_at", "total_tool_calls"]].head(50))
if "session" in params:
    timeline = pd.concat(
        [
            calls[calls["session_id"] == params["session"]][["id", "tool_name", "started_at"]],
            tickets[tickets["session_id"] == params["session"]][
                ["id", "title", "created_at"]
            ].rename(columns={"created_at": "started_at"}),
        ]
    ).sort_values("started_at")
    center.dataframe(timeline.head(200))
if "item" in params:
    row = calls[calls["id"] == params["item"]]
    if not row.empty:
        right.json(row.iloc[0]["input"])
        right.json(row.iloc[0]["output"])
