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
USERS_CURSORS = "users_cursors"  # per search: the cursor of each page loaded (components.recent)

# User sessions page
US_STATUS = "us_status"
US_TITLE = "us_title"
US_MORE = "us_more"
US_EMPTY = "us_empty"  # show the empty synced sessions the list hides by default
US_CURSORS = "us_cursors"  # per user and filters (components.recent)
US_TL_CURSOR = "us_tl_cursor"  # per session and timeline filter: the window shown
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


# Session details page (and its dialog from a session card)
SD_RESUME = "sd_resume"
SD_RESUME_CONFIRM = "sd_resume_confirm"
SD_RESUME_FALLBACK = "sd_resume_fallback"
SD_RESUME_CANCEL = "sd_resume_cancel"
SD_RESUME_DISMISS = "sd_resume_dismiss"
SD_RAW_STATE = "sd_raw_state"
SD_RESUMED_STATE = "sd_resumed_state"
SD_EXPORT = "sd_export"
SD_EXPORT_JSON = "sd_export_json"
SD_EXPORT_CSV = "sd_export_csv"


def details_button(session_id: str) -> str:
    """A card's "View details" (not us_card_...: tests read the card titles by that prefix)."""
    return f"us_details_{session_id}"


# Session history (sidebar, every page)
HIS_OPEN = "his_open"
HIS_Q = "his_q"
HIS_STATUS = "his_status"
HIS_MORE = "his_more"
HIS_CURSORS = "his_cursors"  # per organization and filters (components.recent)
