"""Sessionscope: the frame. Resolve the viewer, build navigation from the role, run the page."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from sqlalchemy.exc import DBAPIError

from components import frame
from sessionscope.errors import ConfigError, DatabaseUnavailable

# A file, not a :material/ name: Streamlit sends a file as a data: URL, where a Material
# symbol would be fetched from fonts.gstatic.com (a third-party request, an error offline).
ICON = Path(__file__).parent / "assets" / "icon.svg"
st.set_page_config(page_title="Sessionscope", page_icon=str(ICON), layout="wide")

try:
    viewer = frame.resolve_viewer()
    if viewer is None:
        st.stop()
    page = st.navigation(frame.pages(viewer))
    frame.decorate(viewer)
    page.run()
except (DBAPIError, DatabaseUnavailable, ConfigError) as exc:
    frame.database_error(exc)
