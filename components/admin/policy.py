"""The Data policy tab: how long sessions are kept and what redaction masks, edited by admins.

Each save is one transaction through sessionscope.policy, audited (`policy.update`, with the
values before and after). The policy is one primary-key read, made only while this tab is
open, so it is read fresh rather than cached: a save shows at once in every process.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from components import data
from components import format as fmt
from components.admin import data as admin_data
from components.admin import keys as ak
from sessionscope import policy, redaction
from sessionscope.auth import Viewer
from sessionscope.db import begin_write
from sessionscope.errors import SessionscopeError

_PATTERN_LABELS = {
    "email": "Email addresses",
    "bearer": 'Bearer tokens ("Bearer …")',  # a pill shows no markdown: no backticks
    "card": "Card numbers (13-19 digits, Luhn-checked)",
}


def policy_section(viewer: Viewer) -> None:
    """The tab: the last save's outcome, the retention form, the redaction form."""
    outcome: tuple[bool, str] | None = st.session_state.pop(ak.POL_OUTCOME, None)
    if outcome is not None:
        (st.success if outcome[0] else st.error)(outcome[1])
    with data.connect() as conn:
        current = policy.get(conn, viewer.org_id)
    _retention_form(viewer, current)
    _redaction_form(viewer, current)


def _retention_form(viewer: Viewer, current: policy.Policy) -> None:
    with st.form(ak.POL_RETENTION_FORM, border=True):
        st.markdown("**Retention**")
        st.radio(
            "Keep sessions",
            ["for good", "for a number of days"],
            index=0 if current.retention_days is None else 1,
            key=ak.POL_KEEP,
            horizontal=True,
        )
        st.number_input(
            "Days since last activity",
            min_value=1,
            max_value=policy.MAX_RETENTION_DAYS,
            value=current.retention_days or 365,
            key=ak.POL_DAYS,
        )
        st.caption(
            "Older sessions are deleted, with their calls, tickets, stages and states, when "
            "`sessionscope retention apply` runs (schedule it; see the README). The app never "
            "deletes on its own."
        )
        st.form_submit_button(
            "Save retention",
            key=ak.POL_SAVE_RETENTION,
            on_click=_save_days,
            args=(viewer,),
            type="primary",
        )


def _redaction_form(viewer: Viewer, current: policy.Policy) -> None:
    rules = current.redaction
    built_in = [p for p in rules.get("patterns", []) if p in redaction.BUILT_IN]
    prefix = redaction.CUSTOM_PREFIX
    custom = [p.removeprefix(prefix) for p in rules.get("patterns", []) if p.startswith(prefix)]
    with st.form(ak.POL_REDACTION_FORM, border=True):
        st.markdown("**Redaction** — applied before anything new is stored")
        st.text_area(
            "Mask the values of these JSON keys (any depth, any case; one per line)",
            "\n".join(rules.get("keys", [])),
            key=ak.POL_KEYS,
        )
        st.multiselect(
            "Mask these patterns in payloads and error messages",
            list(redaction.BUILT_IN),
            default=built_in,
            format_func=_PATTERN_LABELS.__getitem__,
            key=ak.POL_PATTERNS,
        )
        st.text_area(
            "Your own patterns (Python regular expressions; one per line)",
            "\n".join(custom),
            key=ak.POL_CUSTOM,
            help="Checked before saving: invalid or exponential expressions are refused.",
        )
        st.checkbox(
            "Drop payloads entirely (store no inputs or outputs)",
            value=bool(rules.get("drop_payloads")),
            key=ak.POL_DROP,
        )
        st.caption(
            "New rules apply to new data. To apply them to what is stored, run "
            f"`sessionscope redact apply --org {fmt.md(viewer.org_slug)}`."
        )
        st.form_submit_button(
            "Save redaction",
            key=ak.POL_SAVE_REDACTION,
            on_click=_save_rules,
            args=(viewer,),
            type="primary",
        )


def _lines(key: str) -> list[str]:
    return [line.strip() for line in str(st.session_state.get(key) or "").splitlines()]


def _save_days(viewer: Viewer) -> None:
    keep_all = st.session_state.get(ak.POL_KEEP) == "for good"
    days = None if keep_all else int(st.session_state.get(ak.POL_DAYS) or 0)

    def write(conn: Connection) -> None:
        policy.set_retention(conn, org_id=viewer.org_id, days=days, actor=viewer.email)

    _save(write, "Sessions are kept for good." if keep_all else f"Sessions are kept {days} days.")


def _save_rules(viewer: Viewer) -> None:
    custom = [redaction.CUSTOM_PREFIX + p for p in _lines(ak.POL_CUSTOM) if p]
    rules = {
        "keys": [k for k in _lines(ak.POL_KEYS) if k],
        "patterns": [*(st.session_state.get(ak.POL_PATTERNS) or []), *custom],
        "drop_payloads": bool(st.session_state.get(ak.POL_DROP)),
    }

    def write(conn: Connection) -> None:
        policy.set_redaction(conn, org_id=viewer.org_id, rules=rules, actor=viewer.email)

    _save(write, "Redaction rules saved; they apply to everything stored from now on.")


def _save(write: Callable[[Connection], None], done: str) -> None:
    try:
        with begin_write(data.engine()) as conn:
            write(conn)
    except SessionscopeError as exc:
        st.session_state[ak.POL_OUTCOME] = (False, f"Not saved: {exc}")
        return
    except SQLAlchemyError:
        st.session_state[ak.POL_OUTCOME] = (False, "Not saved: the database refused the change.")
        return
    admin_data.audit_written()
    st.session_state[ak.POL_OUTCOME] = (True, done)
