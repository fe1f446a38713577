"""Session details (placeholder until the session-details issue lands): header and totals."""

from __future__ import annotations

import streamlit as st

from components import data, frame, keys, url
from components import format as fmt
from components.session_card import title_of

viewer = frame.current_viewer()
session_id = url.param(keys.P_SESSION)
session = (
    data.session(viewer.org_id, session_id)
    if session_id and url.is_id(session_id, ("ses_",))
    else None
)
if session is None:
    if session_id:
        url.drop(keys.P_SESSION)
        st.warning("This link's session is not available.", icon=":material/link_off:")
    st.info("Open a session from a user's sessions to see its details.")
    st.stop()
st.title(fmt.md(title_of(session)), anchor=False)
st.markdown(
    f"{fmt.status_badge(session.status)} {fmt.md(session.server_name)} · "
    f"{fmt.absolute(session.started_at)} · {fmt.duration(session.duration_s)}"
)
st.page_link(
    "app_pages/user_sessions.py",
    label="Back to the user's sessions",
    icon=":material/arrow_back:",
    query_params={keys.P_USER: session.end_user_id, keys.P_SESSION: session.id},
)
cols = st.columns(4)
cols[0].metric("Tool calls", f"{session.total_tool_calls:,}")
cols[1].metric("Errors", f"{session.total_errors:,}")
cols[2].metric("Tickets", f"{session.ticket_count:,}")
cols[3].metric("Duration", fmt.duration(session.duration_s))
