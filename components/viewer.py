"""Who is looking in this run: the frame writes the viewer here, pages and dialogs read it.

A floor of its own (it imports nothing from components/), so that anything drawn inside the
frame can ask for the viewer without importing the frame that draws it.
"""

from __future__ import annotations

import streamlit as st

from sessionscope import auth

# Session-state names (bench/server.py reads VIEWER to tell a refused run from a page run).
VIEWER = "frame_viewer"
IDENTITY = "frame_identity"


def set_viewer(viewer: auth.Viewer | None) -> None:
    """The frame's verdict for this run (None until it has one, or when there is none)."""
    st.session_state[VIEWER] = viewer


def set_identity(identity: auth.Identity) -> None:
    st.session_state[IDENTITY] = identity


def current_viewer() -> auth.Viewer:
    """The viewer the frame resolved for this run (pages run only after it did)."""
    return st.session_state[VIEWER]


def current_viewer_or_none() -> auth.Viewer | None:
    """The viewer, or None for a signed-in non-member (only /admin runs for them)."""
    return st.session_state.get(VIEWER)


def current_identity() -> auth.Identity:
    """Who is signed in this run, member or not."""
    return st.session_state[IDENTITY]
