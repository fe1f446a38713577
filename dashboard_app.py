"""Sessionscope: the frame. Resolve the viewer, build navigation from the role, run the page."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.exc import DBAPIError

from components import frame, keys
from sessionscope.errors import ConfigError, DatabaseUnavailable

st.set_page_config(page_title="Sessionscope", page_icon=":material/manage_search:", layout="wide")

try:
    viewer = frame.resolve_viewer()
    if viewer is None:
        st.stop()
    explore = [
        st.Page(
            "pages/users.py",
            title="Users",
            url_path=keys.PATH_USERS,
            icon=":material/group:",
            default=True,
        ),
        st.Page(
            "pages/user_sessions.py",
            title="User sessions",
            url_path=keys.PATH_USER,
            icon=":material/person_search:",
        ),
        st.Page(
            "pages/session_details.py",
            title="Session details",
            url_path=keys.PATH_SESSION,
            icon=":material/insights:",
        ),
    ]
    # Analysts get the admin page hidden, so a typed /admin reaches its role check
    # ("admins only", audited) instead of silently falling back to the default page.
    admin = st.Page(
        "pages/admin.py",
        title="Admin",
        url_path=keys.PATH_ADMIN,
        icon=":material/admin_panel_settings:",
        visibility="visible" if viewer.is_admin else "hidden",
    )
    sections = (
        {"Explore": explore, "Admin": [admin]}
        if viewer.is_admin
        else {"Explore": [*explore, admin]}
    )
    st.navigation(sections).run()
except (DBAPIError, DatabaseUnavailable, ConfigError) as exc:
    frame.database_error(exc)
