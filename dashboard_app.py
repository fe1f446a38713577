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
    users = st.Page(
        "pages/users.py", title="Users", url_path=keys.PATH_USERS, icon=":material/group:"
    )
    # Streamlit serves the default page at "/", so /users would be "not found" if Users
    # were the default; a hidden default forwards "/" to /users, keeping the params.
    home = st.Page(
        lambda: st.switch_page(users, query_params=st.query_params.to_dict()),
        title="Home",
        url_path="home",
        default=True,
        visibility="hidden",
    )
    explore = [
        home,
        users,
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
