"""The Admin page's pieces: what app_pages/admin.py calls, one module per tab or bar.

access (who is let in, and the audit of refusals), filters (the filter bar and the open tab,
mirrored in the URL), table and bulk (the sessions tab), analytics and kpis, audit (the audit
log), tokens (ingest tokens), policy (retention and redaction), data (the cached reads of
these tabs), keys (their widget keys, tab labels and param names).
"""

from components.admin.access import admit, refuse_non_member
from components.admin.analytics import analytics_section
from components.admin.audit import audit_section
from components.admin.bulk import bulk_bar
from components.admin.filters import filter_bar, open_tab, write_tab
from components.admin.keys import TAB_LABELS, TABS
from components.admin.policy import policy_section
from components.admin.table import sessions_table
from components.admin.tokens import tokens_section

__all__ = [
    "TABS",
    "TAB_LABELS",
    "admit",
    "analytics_section",
    "audit_section",
    "bulk_bar",
    "filter_bar",
    "open_tab",
    "policy_section",
    "refuse_non_member",
    "sessions_table",
    "tokens_section",
    "write_tab",
]
