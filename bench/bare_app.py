"""A bare Streamlit page for the benchmark: the cost of a script run of Streamlit itself."""

import streamlit as st

st.write("")
