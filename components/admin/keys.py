"""The Admin page's query params, widget keys and session-state keys, in one place.

Widget keys start with "adm_" so tests and callbacks name the same thing; the URL params are
the DESIGN.md contract for /admin (status, user, from, to, q) plus server, the open tab (tab)
and the audit log's filters (actor, action).
"""

from __future__ import annotations

from components.keys import P_Q, P_STATUS, P_USER

# URL contract: /admin?status=failed,paused&user=...&from=2026-11-01&to=2026-11-30&q=...
# (status, user and q are named as on the explorer's pages)
P_FROM, P_TO, P_SERVER = "from", "to", "server"
# The analytics' click-throughs, which narrow the Sessions tab to the sessions behind a row:
# /admin?path=search>fetch&then=error (a tool path, `^` first: from the session's first
# call), ?client=cursor&version=0.9, ?transport=stdio, ?method=resources/read&target=<uri>.
P_PATH, P_THEN = "path", "then"
P_CLIENT, P_VERSION, P_TRANSPORT = "client", "version", "transport"
P_METHOD, P_TARGET = "method", "target"
NARROW_PARAMS = (P_PATH, P_THEN, P_CLIENT, P_VERSION, P_TRANSPORT, P_METHOD, P_TARGET)
FILTER_PARAMS = (P_STATUS, P_USER, P_FROM, P_TO, P_Q, P_SERVER, *NARROW_PARAMS)

# Filter bar (each widget mirrors one param; see components.admin.filters)
F_STATUS = "adm_f_status"
F_USER = "adm_f_user"
F_FROM = "adm_f_from"
F_TO = "adm_f_to"
F_Q = "adm_f_q"
F_SERVER = "adm_f_server"
F_ARCHIVED = "adm_f_archived"
F_CLEAR = "adm_f_clear"
F_UNNARROW = "adm_f_unnarrow"  # drops the click-through params
WIDGET_OF = {
    P_STATUS: F_STATUS,
    P_USER: F_USER,
    P_FROM: F_FROM,
    P_TO: F_TO,
    P_Q: F_Q,
    P_SERVER: F_SERVER,
}

# The open tab: its URL param's value is the tab's label (the first, the default, leaves the
# URL); the page sets the tabs from it and their change callback writes it back.
P_TAB = "tab"
TABS = "adm_tab"
TAB_SESSIONS, TAB_ANALYTICS, TAB_AUDIT = "Sessions", "Analytics", "Audit log"
TAB_TOKENS = "Ingest tokens"
TAB_POLICY = "Data policy"
TAB_LABELS = (TAB_SESSIONS, TAB_ANALYTICS, TAB_AUDIT, TAB_TOKENS, TAB_POLICY)  # in this order

# Sessions table
SORT = "adm_sort"
TABLE = "adm_table"  # prefix: the key carries the page, so a new page starts unselected
NEXT = "adm_next"
PREV = "adm_prev"
CURSORS = "adm_cursors"  # ((filter, sort), [cursor of each page shown so far]): pager.stack

# Bulk bar and its dialog
SCOPE_ALL = "adm_scope_all"
ARCHIVE = "adm_archive"
RESTORE = "adm_restore"
EXPORT = "adm_export"
CONFIRM = "adm_confirm"
CANCEL = "adm_cancel"
EXPORT_FORMAT = "adm_export_format"
DOWNLOAD = "adm_download"
PENDING = "adm_pending"  # the bulk action whose dialog is open
OUTCOME = "adm_outcome"  # what the last bulk action did, shown above the table
DISMISS = "adm_dismiss"

# Analytics
CHART_NOTE = "adm_chart_note"  # what a chart click did, shown once
# The Analytics tab's own tabs, lazy like the page's: /admin?tab=Analytics&section=Tool+paths
# (the label; the first leaves the URL). Tool paths and MCP traffic are costly on a large
# organization, so they run only when opened.
P_SECTION = "section"
SECTIONS = "adm_section"
SECTION_OVERVIEW, SECTION_PATHS, SECTION_TRAFFIC = "Overview", "Tool paths", "MCP traffic"
SECTION_LABELS = (SECTION_OVERVIEW, SECTION_PATHS, SECTION_TRAFFIC)


def chart(name: str) -> str:
    return f"adm_chart_{name}"


def panel(name: str) -> str:
    """The key of a tool-path or traffic table (a row click opens its sessions)."""
    return f"adm_panel_{name}"


# Audit log: /admin?tab=Audit+log&actor=ann&action=sessions.archive,admin.view
P_ACTOR, P_ACTION = "actor", "action"
AUDIT_PARAMS = (P_ACTOR, P_ACTION)
AUDIT_ACTOR = "adm_audit_actor"
AUDIT_ACTIONS = "adm_audit_actions"
AUDIT_OLDER = "adm_audit_older"
AUDIT_NEWER = "adm_audit_newer"
AUDIT_CURSORS = "adm_audit_cursors"  # ((actor, actions), [cursor of each page]): pager.stack

# Ingest tokens
TOK_FORM = "adm_tok_form"
TOK_NAME = "adm_tok_name"
TOK_CREATE = "adm_tok_create"
TOK_NEW = "adm_tok_new"  # the token just created: popped by the run that shows it
TOK_DONE = "adm_tok_done"  # "I have copied it": a rerun, which no longer has the token
TOK_ERROR = "adm_tok_error"  # why the last create failed, shown in the form once
TOK_PENDING = "adm_tok_pending"  # the token whose revoke dialog is open
TOK_CONFIRM = "adm_tok_confirm"
TOK_CANCEL = "adm_tok_cancel"
TOK_OUTCOME = "adm_tok_outcome"  # what the last revoke did, shown above the list
TOK_DISMISS = "adm_tok_dismiss"


def tok_revoke(token_id: str) -> str:
    return f"adm_tok_revoke_{token_id}"


# Data policy (retention and redaction)
POL_RETENTION_FORM = "adm_pol_retention"
POL_KEEP = "adm_pol_keep"
POL_DAYS = "adm_pol_days"
POL_SAVE_RETENTION = "adm_pol_save_retention"
POL_REDACTION_FORM = "adm_pol_redaction"
POL_KEYS = "adm_pol_keys"
POL_PATTERNS = "adm_pol_patterns"
POL_CUSTOM = "adm_pol_custom"
POL_DROP = "adm_pol_drop"
POL_SAVE_REDACTION = "adm_pol_save_redaction"
POL_OUTCOME = "adm_pol_outcome"  # (ok, message) of the last save, shown once

# Once per browser session and organization (admin.view / admin.denied)
AUDITED = "adm_audited"
