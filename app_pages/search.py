"""Search: the organization's sessions whose tool payloads, errors or tickets hold a phrase.

`/search?q=...&user=&server=&status=&from=&to=`: the phrase and filters live in the URL, so a
link reopens the same results; each matching call opens the three panes at that call.
"""

from __future__ import annotations

import streamlit as st

from components import search_view
from components.viewer import current_viewer

viewer = current_viewer()
st.title("Search", anchor=False)
request = search_view.read_request(viewer.org_id)
search_view.controls(viewer.org_id, request)
if request.q:
    search_view.results(viewer.org_id, request)
else:
    search_view.empty_state()
