"""The server entry: `streamlit run app.py` serves the dashboard and, on the same port, the
OTLP/HTTP receiver (POST /v1/traces) and a health check (GET /healthz)."""

from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware

from sessionscope.headers import FrameGuard
from sessionscope.routes import routes

# FrameGuard wraps Streamlit's own middleware, so the pages, static files and the routes
# above all answer with the anti-framing headers (tests/test_frame_guard.py).
app = st.App("dashboard_app.py", routes=routes(), middleware=[Middleware(FrameGuard)])
