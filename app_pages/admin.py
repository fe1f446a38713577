"""Admin: every session of the organization, bulk actions, analytics, audit log, ingest tokens,
data policy (retention and redaction).

Admins only: anyone else gets a short refusal and nothing of the data, and the attempt is
audited. The URL carries the filters (status, user, from, to, q, server), the open tab (tab,
its label; the first leaves the URL) and the audit log's filters (actor, action). The open
tab runs alone (lazy tabs), so the table never waits for the analytics.
"""

from __future__ import annotations

import streamlit as st

from components import admin_access, frame
from components import admin_keys as ak
from components import format as fmt
from components.admin_analytics import analytics_section
from components.admin_audit import audit_section
from components.admin_bulk import bulk_bar
from components.admin_filters import filter_bar, open_tab, write_tab
from components.admin_policy import policy_section
from components.admin_table import sessions_table
from components.admin_tokens import tokens_section

viewer = frame.current_viewer_or_none()
if viewer is None:  # signed in, but not a member of any organization
    admin_access.refuse_non_member(frame.current_identity())
    st.stop()
if not admin_access.admit(viewer):
    st.stop()
st.title("Admin", anchor=False)
st.caption(f"Every session of {fmt.md(viewer.org_name)}.")
flt = filter_bar(viewer.org_id)
open_tab()
table, analytics, audit, ingest, data_policy = st.tabs(
    list(ak.TAB_LABELS),
    key=ak.TABS,
    on_change=write_tab,
)
if table.open:
    with table:
        selected, total = sessions_table(viewer.org_id, flt)
        bulk_bar(selected, total, flt)
if analytics.open:
    with analytics:
        analytics_section(viewer.org_id, flt)
if audit.open:
    with audit:
        audit_section(viewer.org_id)
if ingest.open:
    with ingest:
        tokens_section(viewer)
if data_policy.open:
    with data_policy:
        policy_section(viewer)
