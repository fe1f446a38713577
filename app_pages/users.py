"""Users: search the organization's end users; each row opens their sessions.

The search lives in the URL (`q`), so a link reopens it; the box mirrors the URL and writes
it back. A search that is not a search text (too long, control characters) gets a message
and leaves the URL.
"""

from __future__ import annotations

import streamlit as st

from components import data, keys, pager, url
from components.users_table import users_table
from components.viewer import current_viewer

viewer = current_viewer()
st.title("Users", anchor=False)
q = url.param(keys.P_Q)
if q is not None and not url.is_search_text(q):
    url.drop(keys.P_Q)
    st.warning(
        f"This search was not valid (at most {url.MAX_SEARCH} printable characters) "
        "and was removed.",
        icon=":material/link_off:",
    )
    q = None
st.session_state[keys.USERS_SEARCH] = q or ""  # the box shows what the URL says
st.text_input(
    "Search users",
    key=keys.USERS_SEARCH,
    max_chars=url.MAX_SEARCH,
    placeholder="Search by email, name or distinct id",
    icon=":material/search:",
    on_change=url.write_search,
    args=(keys.P_Q, keys.USERS_SEARCH),
)
loaded = pager.load(keys.USERS_CURSORS, q, lambda cursor: data.users_page(viewer.org_id, q, cursor))
picked = users_table([page.rows for page in loaded.pages])
if picked is not None:
    st.switch_page(keys.PAGE_USER, query_params={keys.P_USER: picked})
pager.more_button(loaded, "Load 50 more", key=keys.USERS_MORE, icon=":material/expand_more:")
