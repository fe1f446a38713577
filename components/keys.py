"""Query-param names and widget keys, in one place so pages and tests name the same thing."""

from __future__ import annotations

# URL contract (DESIGN.md): stable page paths and their params.
PATH_USERS, PATH_USER, PATH_SESSION, PATH_ADMIN = "users", "user", "session", "admin"
# The page files behind them (relative to the app's folder): st.Page builds the navigation
# from these, st.switch_page / st.page_link / AppTest.switch_page name a page by them.
PAGE_USERS = "app_pages/users.py"
PAGE_USER = "app_pages/user_sessions.py"
PAGE_SESSION = "app_pages/session_details.py"
PAGE_ADMIN = "app_pages/admin.py"
P_Q, P_USER, P_SESSION, P_ITEM = "q", "user", "session", "item"
# Compare: two sessions (or two tool calls) a and b, the chosen aligned pair, and the view's
# flags (differences only; protocol requests aligned too).
PAGE_COMPARE, PATH_COMPARE = "app_pages/compare.py", "compare"
P_CMP_A, P_CMP_B, P_CMP_PAIR, P_CMP_DIFF, P_CMP_PROTOCOL = "a", "b", "pair", "diff", "protocol"
CMP_DIFF, CMP_PROTOCOL = "cmp_diff", "cmp_protocol"  # the compare page's toggles
CMP_PAIRS = "cmp_pairs"  # the aligned pairs' table: this prefix, then the view it shows
US_COMPARE_WITH, SD_COMPARE_WITH = "us_compare_with", "sd_compare_with"  # "Compare with…"
# Search: the phrase (P_Q) and the filters in the URL; the page's widgets and cursors.
PAGE_SEARCH, PATH_SEARCH = "app_pages/search.py", "search"
P_S_USER, P_S_SERVER, P_S_STATUS, P_S_FROM, P_S_TO = "user", "server", "status", "from", "to"
SEARCH_Q, SEARCH_USER, SEARCH_SERVER = "search_q", "search_user", "search_server"
SEARCH_STATUS, SEARCH_FROM, SEARCH_TO = "search_status", "search_from", "search_to"
SEARCH_CURSORS, SEARCH_MORE, SEARCH_COMPARE = "search_cursors", "search_more", "search_cmp"

# Frame
ORG_SWITCH = "frame_org"
RETRY = "frame_retry"

# Users page
USERS_SEARCH = "users_search"
USERS_MORE = "users_more"
USERS_CURSORS = "users_cursors"  # per search: the cursor of each page loaded (pager.load)

# User sessions page: view state in the URL beside the selection (README, "Links")
P_STATUS, P_TITLE, P_EMPTY = "status", "title", "empty"  # the session list's filters
P_HIDE, P_TOOL, P_ERRORS = "hide", "tool", "errors"  # the timeline's filters (hide: kinds off)

# User sessions page: panes and widgets (bench/browser.py reads the pane and list keys)
US_LEFT, US_CENTER, US_RIGHT = "us_left", "us_center", "us_right"
US_ITEM = "us_item"  # the right pane's container while an item's details show
US_PANES_FRAGMENT = "us_panes_fragment"  # the center and right panes: a session click reruns it
US_DETAILS_FRAGMENT = "us_details_fragment"  # the right pane: an item click reruns it alone
US_REVEAL = "us_reveal"  # the pane a click just filled, scrolled into view when under another
US_LIST = "us_list"  # the session list: one radio, one option per card
US_STATUS = "us_status"
US_TITLE = "us_title"
US_EMPTY = "us_empty"  # show the empty synced sessions the list hides by default
US_LIST_START = "us_list_start"  # per user and filters: the `before` cursor of the window
US_LIST_MOVED = "us_list_moved"  # Older, Newer or Newest moved the window: back to its top
US_LIST_NEWER = "us_list_newer"
US_LIST_OLDER = "us_list_older"
US_LIST_NEWEST = "us_list_newest"
US_TL_ITEMS = "us_tl_items"  # the timeline window: one radio, one option per item
US_TL_CURSOR = "us_tl_cursor"  # per session and timeline filter: the window shown
US_TL_KINDS = "us_tl_kinds"
US_TL_TOOL = "us_tl_tool"
US_TL_ERRORS = "us_tl_errors"
US_TL_JUMP = "us_tl_jump"
US_TL_NEXT = "us_tl_next"
US_TL_PREV = "us_tl_prev"
US_TL_FIRST = "us_tl_first"
US_TL_SHOW_SELECTED = "us_tl_show_selected"  # back to the window of the selected item
P_FIND, US_TL_FIND, US_TL_FIND_PREV, US_TL_FIND_NEXT = "find", "us_tl_find", "us_tl_fp", "us_tl_fn"
P_FIND_ONLY, US_TL_FIND_ONLY = "matches", "us_tl_find_only"  # find: only the matches shown
US_TL_STEPPED = "us_tl_stepped"  # Find's next or previous chose a row: scroll it into view


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
HIS_FRAGMENT = "his_fragment"  # the panel: a session chosen on User sessions reruns it, if open
HIS_Q = "his_q"
HIS_STATUS = "his_status"
HIS_MORE = "his_more"
HIS_CURSORS = "his_cursors"  # per organization and filters (pager.load)
