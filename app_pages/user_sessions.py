"""User sessions: the user's sessions, the chosen session's timeline, the chosen item in full.

Selection lives in the URL (`user`, `session`, `item`), so a link reopens this view.
"""

from __future__ import annotations

import streamlit as st

from components import data, frame, history, keys, layout, url
from components.item_view import item_pane
from components.session_list import sessions_pane
from components.timeline_view import timeline_pane

viewer = frame.current_viewer()
ref = url.param(keys.P_USER)
user = data.end_user(viewer.org_id, ref) if ref and url.is_user_ref(ref) else None
if user is None:
    if ref:
        url.drop(keys.P_USER, keys.P_SESSION, keys.P_ITEM)
        st.warning(
            "This link's user is not available in your organization.", icon=":material/link_off:"
        )
    st.info("Choose a user on the Users page to explore their sessions.", icon=":material/group:")
    st.page_link("app_pages/users.py", label="Go to Users", icon=":material/arrow_forward:")
    st.stop()

left, center, right = layout.three_panes()
session_id = url.param(keys.P_SESSION)
session = None
with center:
    if session_id is None:
        st.info("Choose a session on the left to see its timeline.", icon=":material/timeline:")
    else:
        if url.is_id(session_id, ("ses_",)):
            session = data.session(viewer.org_id, session_id)
        if session is None or session.end_user_id != user.id:
            session = None
            url.drop(keys.P_SESSION, keys.P_ITEM)
            st.warning(
                "This link's session is not available for this user.", icon=":material/link_off:"
            )
        else:
            history.remember(session.id)
            timeline_pane(viewer.org_id, session, url.param(keys.P_ITEM))
with left:
    sessions_pane(viewer.org_id, user, session.id if session else None)
with right:
    item_pane(viewer, session, url.param(keys.P_ITEM))
