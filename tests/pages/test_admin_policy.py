"""The Admin page's Data policy tab: retention and redaction shown, saved (audited), and a bad
rule refused with a clear message. Every test writes, so each gets a fresh database."""

from __future__ import annotations

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from components.admin import keys as ak
from sessionscope import policy, redaction, schema
from tests.pages.admin_view import audit_entries
from tests.pages.client import Open


def stored(engine: sa.Engine) -> policy.Policy:
    with engine.connect() as conn:
        org = conn.execute(
            sa.select(schema.organizations.c.id).where(schema.organizations.c.slug == "acme")
        ).scalar_one()
        return policy.get(conn, org)


def on_tab(open_: Open) -> AppTest:
    at = open_(tab=ak.TAB_POLICY)
    assert not at.exception
    return at


def test_the_tab_shows_the_defaults(writer) -> None:
    at = on_tab(writer)
    assert at.radio(key=ak.POL_KEEP).value == "for good"
    assert at.text_area(key=ak.POL_KEYS).value.splitlines() == list(redaction.DEFAULT_KEYS)
    assert at.multiselect(key=ak.POL_PATTERNS).value == ["bearer", "card"]


def test_an_admin_sets_retention_and_it_is_audited(writer, fresh) -> None:
    at = on_tab(writer)
    at.radio(key=ak.POL_KEEP).set_value("for a number of days")
    at.number_input(key=ak.POL_DAYS).set_value(30)
    at = at.button(key=ak.POL_SAVE_RETENTION).click().run()
    assert "Sessions are kept 30 days." in [s.value for s in at.success]
    assert stored(fresh).retention_days == 30
    [entry] = audit_entries(fresh, "policy.update")
    assert entry["detail"]["after"] == {"retention_days": 30}


def test_a_bad_regex_is_refused_with_a_clear_message_and_nothing_changes(writer, fresh) -> None:
    at = on_tab(writer)
    at.text_area(key=ak.POL_CUSTOM).input("(unclosed")
    at = at.button(key=ak.POL_SAVE_REDACTION).click().run()
    [error] = at.error
    assert "'(unclosed' is not a valid regular expression" in error.value
    assert stored(fresh).redaction == redaction.DEFAULT_RULES
    assert audit_entries(fresh, "policy.update") == []


def test_saved_rules_apply_and_are_audited_with_before_and_after(writer, fresh) -> None:
    at = on_tab(writer)
    at.multiselect(key=ak.POL_PATTERNS).set_value(["email", "bearer"])
    at.text_area(key=ak.POL_CUSTOM).input(r"EMP-\d{4}")
    at.checkbox(key=ak.POL_DROP).check()
    at = at.button(key=ak.POL_SAVE_REDACTION).click().run()
    assert not at.error
    rules = stored(fresh).redaction
    assert rules["patterns"] == ["email", "bearer", r"re:EMP-\d{4}"] and rules["drop_payloads"]
    [entry] = audit_entries(fresh, "policy.update")
    assert entry["detail"]["before"]["redaction"] == redaction.DEFAULT_RULES
    assert at.multiselect(key=ak.POL_PATTERNS).value == ["email", "bearer"]
