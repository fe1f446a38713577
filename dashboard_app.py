"""Sessionscope: the frame. Resolve the viewer, build navigation from the role, run the page."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.exc import DBAPIError

from components import frame
from sessionscope.errors import ConfigError, DatabaseUnavailable

st.set_page_config(page_title="Sessionscope", page_icon=":material/manage_search:", layout="wide")

try:
    viewer = frame.resolve_viewer()
    if viewer is None:
        st.stop()
    page = st.navigation(frame.pages(viewer))
    frame.decorate(viewer)
    page.run()
except (DBAPIError, DatabaseUnavailable, ConfigError) as exc:
    frame.database_error(exc)
