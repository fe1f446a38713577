"""Who may see the Admin page, and the audit entries its visits leave.

An admin's visit writes `admin.view`, anyone else's `admin.denied`: each once per browser
session and organization (a session-state flag), not on every rerun, and `admin.denied` at
most once per identity and organization in ten minutes across sessions (sessionscope.denials,
so reloading in a loop cannot fill the log). Each entry is its own transaction, so a failure
elsewhere on the page never takes it back.
"""

from __future__ import annotations

import streamlit as st

from components import data
from components.admin import data as admin_data
from components.admin import keys as ak
from sessionscope import audit, denials
from sessionscope.auth import Identity, Viewer

VIEW, DENIED = "admin.view", denials.DENIED


def record_once(viewer: Viewer, action: str) -> bool:
    """Write `action` for this viewer and organization unless done in this session already
    (or, for `admin.denied`, unless the core's rate limit holds it back); True if written."""
    done: set[tuple[str, str, str]] = st.session_state.setdefault(ak.AUDITED, set())
    mark = (action, viewer.org_id, viewer.email)
    if mark in done:
        return False
    with data.engine().begin() as conn:
        if action == DENIED:
            written = denials.record_denied(
                conn, org_id=viewer.org_id, actor_email=viewer.email, role=viewer.role
            )
        else:
            written = audit.record(
                conn,
                org_id=viewer.org_id,
                actor_email=viewer.email,
                action=action,
                target_type="page",
                detail={"page": "admin", "role": viewer.role},
            )
    done.add(mark)
    if written is None:
        return False
    admin_data.audit_written()
    return True


def refuse_non_member(identity: Identity) -> None:
    """Refuse /admin to someone in no organization: audited once per session (and at most
    once in ten minutes), org-less."""
    done: set[tuple[str, str, str]] = st.session_state.setdefault(ak.AUDITED, set())
    mark = (DENIED, "", identity.email)
    if mark not in done:
        with data.engine().begin() as conn:
            denials.record_denied(conn, org_id=None, actor_email=identity.email, role=None)
        done.add(mark)
    _refusal()


def _refusal() -> None:
    st.error(
        "Admins only. Ask an admin of your organization if you need this page.",
        icon=":material/block:",
    )


def admit(viewer: Viewer) -> bool:
    """True for an admin (visit audited); otherwise the refusal is shown and audited."""
    if viewer.is_admin:
        record_once(viewer, VIEW)
        return True
    record_once(viewer, DENIED)
    _refusal()
    return False
