"""The floor for a cold open in the benchmark: a hello-world Streamlit page."""

import streamlit as st

st.title("Hello")
