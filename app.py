"""The server entry: `streamlit run app.py` serves the dashboard and, on the same port, the
OTLP/HTTP receiver (POST /v1/traces) and a health check (GET /healthz)."""

from __future__ import annotations

import streamlit as st

from sessionscope.routes import routes

app = st.App("dashboard_app.py", routes=routes())
