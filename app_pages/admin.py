"""Admin: every session of the organization, bulk actions, analytics, audit log, ingest tokens,
data policy (retention and redaction).

Admins only: anyone else gets a short refusal and nothing of the data, and the attempt is
audited. The URL carries the filters (status, user, from, to, q, server), the open tab (tab,
its label; the first leaves the URL) and the audit log's filters (actor, action). The open
tab runs alone (lazy tabs), so the table never waits for the analytics; the filter bar is
drawn in the Sessions and Analytics tabs, the two it narrows.
"""

from __future__ import annotations

import streamlit as st

from components import admin
from components import format as fmt
from components.viewer import current_identity, current_viewer_or_none

viewer = current_viewer_or_none()
if viewer is None:  # signed in, but not a member of any organization
    admin.refuse_non_member(current_identity())
    st.stop()
if not admin.admit(viewer):
    st.stop()
st.title("Admin", anchor=False)
st.caption(f"Every session of {fmt.md(viewer.org_name)}.")
admin.open_tab()
table, analytics, audit, ingest, data_policy = st.tabs(
    list(admin.TAB_LABELS),
    key=admin.TABS,
    on_change=admin.write_tab,
)
# The filter bar narrows the sessions and the analytics, so it is drawn in those two tabs
# only (the URL keeps the filters across tabs).
if table.open:
    with table:
        flt = admin.filter_bar(viewer.org_id)
        selected, total = admin.sessions_table(viewer.org_id, flt)
        admin.bulk_bar(selected, total, flt)
if analytics.open:
    with analytics:
        admin.analytics_section(viewer.org_id, admin.filter_bar(viewer.org_id))
if audit.open:
    with audit:
        admin.audit_section(viewer.org_id)
if ingest.open:
    with ingest:
        admin.tokens_section(viewer)
if data_policy.open:
    with data_policy:
        admin.policy_section(viewer)
