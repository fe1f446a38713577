"""Users: search the organization's end users; each row opens their sessions."""

from __future__ import annotations

import streamlit as st

from components import data, frame, keys
from components.users_table import users_table

viewer = frame.current_viewer()
st.title("Users", anchor=False)
q = st.text_input(
    "Search users",
    key=keys.P_Q,
    bind="query-params",
    max_chars=200,
    placeholder="Search by email, name or distinct id",
    icon=":material/search:",
)
q = (q or "").strip() or None
cursors: list = st.session_state.setdefault(f"{keys.USERS_MORE}::{q}", [None])
pages = [data.users_page(viewer.org_id, q, cursor) for cursor in cursors]
picked = users_table([page.rows for page in pages])
if picked is not None:
    st.switch_page("app_pages/user_sessions.py", query_params={keys.P_USER: picked})
if pages[-1].next_cursor is not None:
    st.button(
        "Load 50 more",
        key=keys.USERS_MORE,
        on_click=cursors.append,
        args=(pages[-1].next_cursor,),
        icon=":material/expand_more:",
    )
