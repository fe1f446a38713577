"""User sessions: the user's sessions, the chosen session's timeline, the chosen item in full.

Selection lives in the URL (`user`, `session`, `item`) beside the panes' filters, so a link
reopens this view. The center and right panes are a keyed fragment and the right pane one
inside it: choosing a session reruns the panes, choosing an item the details alone (the
lists' callbacks name the fragment, `st.rerun(key)`), never the session list or the frame.
Between the two, while the session is active, a fragment refreshes both panes by itself.
"""

from __future__ import annotations

import streamlit as st

from components import data, keys, panes, sidebar_sessions, url
from components.item_view import item_pane
from components.session_list import sessions_pane
from components.timeline_view import timeline_pane
from components.viewer import current_viewer
from queries.sessions import SessionDetail
from queries.users import EndUser
from sessionscope.auth import Source, Viewer

st.set_page_config(initial_sidebar_state="collapsed")  # the panes need the room
viewer = current_viewer()
ref = url.param(keys.P_USER)
user = data.end_user(viewer.org_id, ref) if ref and url.is_user_ref(ref) else None
if user is None:
    if ref:
        url.drop(keys.P_USER, keys.P_SESSION, keys.P_ITEM)
        st.warning(
            "This link's user is not available in your organization.", icon=":material/link_off:"
        )
    st.info("Choose a user on the Users page to explore their sessions.", icon=":material/group:")
    st.page_link(keys.PAGE_USERS, label="Go to Users", icon=":material/arrow_forward:")
    st.stop()


def _session_of(user: EndUser) -> SessionDetail | None:
    """The URL's session if it is a session of `user`, else None."""
    session_id = url.param(keys.P_SESSION)
    if session_id is None or not url.is_id(session_id, ("ses_",)):
        return None
    session = data.session_now(viewer.org_id, session_id)
    return session if session is not None and session.end_user_id == user.id else None


def chosen_session(user: EndUser) -> tuple[SessionDetail | None, bool]:
    """The URL's session if it is this user's; and whether the link named one that is not."""
    session = _session_of(user)
    if session is None:
        named = url.param(keys.P_SESSION) is not None
        if named:
            url.drop(keys.P_SESSION, keys.P_ITEM)
        return None, named
    sidebar_sessions.remember(session.id)
    return session, False


def center_and_right(viewer: Viewer, user: EndUser, bad_link: bool) -> None:
    """The timeline and the details: a fragment that a session chosen in the list reruns by
    its key (keys.US_PANES_FRAGMENT), without the frame and the list, so the session is read
    from the URL here. It holds them in a fragment that refreshes itself every LIVE_TTL
    seconds while the session is active: choosing a live session, or leaving one, starts or
    stops that refresh without running the page."""
    session = _session_of(user)
    live = session is not None and session.status == "active"
    if live:
        st.fragment(_panes, run_every=data.LIVE_TTL)(viewer, user, bad_link, live)
    else:  # no fragment: each costs the run a copy of the element stack
        _panes(viewer, user, bad_link, live)


def _panes(viewer: Viewer, user: EndUser, bad_link: bool, live: bool) -> None:
    """The two panes; a session that became active or ended since they were placed runs the
    page again, for the refresh to start or stop (a fragment cannot rerun its parent). While
    the session is live, a fragment of their own that reruns every LIVE_TTL seconds."""
    session, dropped = chosen_session(user)  # dropped: a clicked session gone meanwhile
    bad_link = bad_link or dropped
    if live != (session is not None and session.status == "active"):
        st.rerun(scope="app")
    center, right = panes.inner_panes()
    item_id = url.param(keys.P_ITEM) if session else None
    with center:
        if session is not None:
            timeline_pane(viewer.org_id, session, item_id)
        elif bad_link:
            st.warning(
                "This link's session is not available for this user.", icon=":material/link_off:"
            )
        else:
            st.info("Choose a session on the left to see its timeline.", icon=":material/timeline:")
    with right:
        st.fragment(details, key=keys.US_DETAILS_FRAGMENT)(viewer, user)


def details(viewer: Viewer, user: EndUser) -> None:
    """The details: a fragment that an item chosen in the timeline reruns by its key
    (keys.US_DETAILS_FRAGMENT), alone, so the session and item are read from the URL."""
    session = _session_of(user)
    item_pane(viewer, session, url.param(keys.P_ITEM) if session else None)
    filled = st.session_state.pop(keys.US_REVEAL, None)
    if filled is not None:
        panes.reveal(filled, below=panes.pane_under_below(filled))


session, bad_link = chosen_session(user)
panes.explorer_css(top_rem=8.5 if viewer.source is Source.DEMO else 4.5)
left, main = panes.outer_panes()
with left:
    sessions_pane(viewer.org_id, user, session)
with main:
    st.fragment(center_and_right, key=keys.US_PANES_FRAGMENT)(viewer, user, bad_link)
panes.selection_in_view()
