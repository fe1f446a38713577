"""Query-param names and widget keys, in one place so pages and tests name the same thing."""

from __future__ import annotations

# URL contract (DESIGN.md): stable page paths and their params.
PATH_USERS, PATH_USER, PATH_SESSION, PATH_ADMIN = "users", "user", "session", "admin"
P_Q, P_USER, P_SESSION, P_ITEM = "q", "user", "session", "item"

# Frame
ORG_SWITCH = "frame_org"
RETRY = "frame_retry"

# Users page
USERS_SEARCH = "users_search"
USERS_MORE = "users_more"

# User sessions page
US_STATUS = "us_status"
US_TITLE = "us_title"
US_MORE = "us_more"
US_TL_KINDS = "us_tl_kinds"
US_TL_TOOL = "us_tl_tool"
US_TL_ERRORS = "us_tl_errors"
US_TL_JUMP = "us_tl_jump"
US_TL_NEXT = "us_tl_next"
US_TL_PREV = "us_tl_prev"
US_TL_FIRST = "us_tl_first"


def session_card(session_id: str) -> str:
    return f"us_card_{session_id}"


def timeline_row(item_id: str) -> str:
    return f"us_row_{item_id}"
