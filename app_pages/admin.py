"""Admin: only admins; anyone else gets a short refusal and nothing of the data."""

from __future__ import annotations

import streamlit as st

from components import frame

viewer = frame.current_viewer()
if not viewer.is_admin:
    st.error(
        "Admins only. Ask an admin of your organization if you need this page.",
        icon=":material/block:",
    )
    st.stop()
st.title("Admin", anchor=False)
st.caption(f"Every session of {viewer.org_name}.")
