"""The benchmark's empty page: the app's frame (viewer, navigation, sidebar, banner) around a
page that does nothing, so page / (empty page + SQL) measures what a page adds."""

import streamlit as st

from components import frame

viewer = frame.resolve_viewer()
if viewer is None:
    st.stop()
page = st.navigation([st.Page(lambda: st.write(""), title="Empty", url_path="empty")])
frame.decorate(viewer)
page.run()
