"""What the tests and the bench share: a `streamlit run` server on a free port and Debian's
Chromium driven through Playwright. Neither tests/ nor bench/ imports the other."""

from harness.browser import (
    APP_IDLE,
    CHROMIUM,
    CHROMIUM_ARGS,
    NO_SKELETON,
    SCREENSHOTS,
    open_link,
    screenshot,
    wait_for_query,
    wait_idle,
    watched_page,
)
from harness.server import TRUSTED_HEADER, StreamlitServer, free_port

__all__ = [
    "APP_IDLE",
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "NO_SKELETON",
    "SCREENSHOTS",
    "TRUSTED_HEADER",
    "StreamlitServer",
    "free_port",
    "open_link",
    "screenshot",
    "wait_for_query",
    "wait_idle",
    "watched_page",
]
