"""Session details: header, metrics against the user's average, charts, resume, export.

The session lives in the URL (`session`), so a link reopens this view. While the session is
active, its header, numbers and charts refresh every data.LIVE_TTL seconds (session_view.live).
"""

from __future__ import annotations

import streamlit as st

from components import data, keys, session_view, sidebar_sessions, url
from components.resume_panel import resume_panel
from components.viewer import current_viewer

viewer = current_viewer()
session_id = url.param(keys.P_SESSION)
session = (
    data.session_now(viewer.org_id, session_id)
    if session_id and url.is_id(session_id, ("ses_",))
    else None
)
if session is None:
    session_view.unavailable(session_id)
    st.stop()
sidebar_sessions.remember(session.id)
session_view.live(session_view.header_part, viewer.org_id, session)
resume_panel(viewer, session)
session_view.live(session_view.numbers_part, viewer.org_id, session)
session_view.export_panel(viewer.org_id, session, actor=viewer.email)
