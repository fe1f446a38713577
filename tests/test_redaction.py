"""Redaction: the rules themselves (pure), then on both backends: ingest and import store no
secret, `redact apply` rewrites stored rows, drop-payloads mode, hostile rules refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from sessionscope import policy, redaction, redaction_apply, schema
from sessionscope.cli import main
from sessionscope.redaction import MASK, InvalidRules, compile_rules
from tests import factories
from tests.importing import CALL_A, SERVER_A, SESSION_A, T0, USER_A, import_lines
from tests.otlp_traces import post, recorded

ALL = {"keys": list(redaction.DEFAULT_KEYS), "patterns": ["email", "bearer", "card"]}
SECRET_ARGS = {"query": "install server", "password": "hunter2", "note": "mail ann@corp.example"}
SECRETS = ("hunter2", "ann@corp.example", "sk-live-123", "4111 1111 1111 1111")


def redact(value: Any, **rules: Any) -> tuple[Any, bool]:
    return compile_rules(ALL | rules).payload(value)


# --- the rules ------------------------------------------------------------------------------


def test_named_keys_are_masked_at_any_depth_whatever_their_case() -> None:
    value = {"Password": "x", "nested": [{"API_KEY": {"a": 1}}, {"ok": "fine"}], "n": 3}
    assert redact(value) == (
        {"Password": MASK, "nested": [{"API_KEY": MASK}, {"ok": "fine"}], "n": 3},
        True,
    )
    assert redact({"ok": "fine", "n": [1, 2]}) == ({"ok": "fine", "n": [1, 2]}, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to ann.lee+x@corp.example now", f"write to {MASK} now"),
        ("Authorization: Bearer sk-live-123 sent", f"Authorization: {MASK} sent"),
        ("card 4111 1111 1111 1111 ok", f"card {MASK} ok"),
        ("card 4111-1111-1111-1111", f"card {MASK}"),
        ("order 1234567890123 is not a card (Luhn)", "order 1234567890123 is not a card (Luhn)"),
        ("at 2026-11-30 12:00", "at 2026-11-30 12:00"),
    ],
)
def test_patterns_mask_emails_bearer_tokens_and_card_numbers(text: str, expected: str) -> None:
    assert compile_rules(ALL).text(text)[0] == expected
    assert redact({"deep": [text]})[0] == {"deep": [expected]}


def test_drop_payloads_stores_none_and_says_so() -> None:
    assert redact({"q": "x"}, drop_payloads=True) == (None, True)
    assert redact(None, drop_payloads=True) == (None, False)


def test_the_default_rules_mask_secret_keys_tokens_and_cards_but_not_emails() -> None:
    default = compile_rules(redaction.DEFAULT_RULES)
    assert default.payload({"token": "t", "to": "ann@corp.example"})[0] == {
        "token": MASK,
        "to": "ann@corp.example",
    }


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"patterns": ["re:(unclosed"]}, "pattern 1 '(unclosed' is not a valid regular expression"),
        ({"patterns": ["re:(a+)+$"]}, "repeats a group that itself repeats"),
        ({"patterns": ["re:x*"]}, "matches empty text"),
        ({"patterns": ["phone"]}, "is not one of email, bearer, card"),
        ({"keys": "password"}, "keys must be a list of strings"),
        ({"drop_payloads": "yes"}, "drop_payloads must be true or false"),
        ({"keys": ["k"] * 0, "mask_everything": True}, "unknown redaction setting"),
    ],
)
def test_hostile_rules_are_refused_with_a_clear_message(rules: dict, message: str) -> None:
    with pytest.raises(InvalidRules, match=message.replace("(", r"\(").replace("+", r"\+")):
        redaction.validate(rules)


def test_a_checked_custom_pattern_is_used() -> None:
    rules = ALL | {"patterns": [r"re:EMP-\d{4}"]}
    assert compile_rules(rules).text("badge EMP-1234")[0] == f"badge {MASK}"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["Password", "token", "note", "x"]) | st.text(), inner)
    ),
    max_leaves=20,
)


@given(_JSON)
def test_redaction_of_any_json_is_json_and_a_second_pass_changes_nothing(value: Any) -> None:
    once, _ = redact(value)
    json.dumps(once)
    assert redact(once) == (once, False)


# --- on both databases ----------------------------------------------------------------------


def _set_rules(engine: sa.Engine, org_id: str, rules: dict[str, Any]) -> None:
    with engine.begin() as conn:
        policy.set_redaction(conn, org_id=org_id, rules=rules, actor="admin@acme.example")


def _stored_text(engine: sa.Engine, table: sa.Table) -> str:
    with engine.connect() as conn:
        return json.dumps([list(r) for r in conn.execute(sa.select(table))], default=str)


def _with_secret_arguments() -> bytes:
    request = recorded("v2-recorder-stdio.binpb")
    for rs in request.resource_spans:
        for ss in rs.scope_spans:
            for span in ss.spans:
                for attr in span.attributes:
                    if attr.key == "gen_ai.tool.call.arguments" and "install" in (
                        attr.value.string_value
                    ):
                        attr.value.string_value = json.dumps(SECRET_ARGS)
    return request.SerializeToString()


def _search_call(engine: sa.Engine) -> sa.Row:
    t = schema.tool_calls.c
    with engine.connect() as conn:
        return conn.execute(
            sa.select(t.input, t.output, t.attributes).where(t.tool_name == "search_docs")
        ).one()


def test_ingest_stores_no_secret(org_token: tuple[str, str], fresh_engine: sa.Engine) -> None:
    org_id, token = org_token
    _set_rules(fresh_engine, org_id, ALL)
    assert post(fresh_engine, token, _with_secret_arguments()).status == 200
    call = _search_call(fresh_engine)
    assert call.input == {"query": "install server", "password": MASK, "note": f"mail {MASK}"}
    assert call.attributes["redacted"] is True
    for table in (schema.tool_calls, schema.sessions):
        assert not any(s in _stored_text(fresh_engine, table) for s in SECRETS)


def test_ingest_with_the_default_rules_masks_the_password_only(
    org_token: tuple[str, str],
    fresh_engine: sa.Engine,
) -> None:
    post(fresh_engine, org_token[1], _with_secret_arguments())
    assert _search_call(fresh_engine).input["password"] == MASK
    assert _search_call(fresh_engine).input["note"] == "mail ann@corp.example"


def test_drop_payloads_mode_stores_no_payload(
    org_token: tuple[str, str],
    fresh_engine: sa.Engine,
) -> None:
    _set_rules(fresh_engine, org_token[0], ALL | {"drop_payloads": True})
    post(fresh_engine, org_token[1], _with_secret_arguments())
    call = _search_call(fresh_engine)
    assert (call.input, call.output, call.attributes["redacted"]) == (None, None, True)


TICKET = {"type": "support_ticket", "id": "sr_a", "org_id": "org_a", "session_id": "ses_a"}
TICKET |= {"end_user_id": "usr_a", "status": "pending", "priority": "medium", "created_at": T0}
TICKET |= {"title": "Card 4111 1111 1111 1111 refused", "summary": "from ann@corp.example"}


def test_import_stores_no_secret(fresh_engine: sa.Engine, tmp_path: Path) -> None:
    with fresh_engine.begin() as conn:
        factories.org(conn, id="org_a", slug="a")
    _set_rules(fresh_engine, "org_a", ALL)
    call = CALL_A | {"input": SECRET_ARGS, "error_message": "Bearer sk-live-123 expired"}
    report = import_lines(fresh_engine, tmp_path, USER_A, SERVER_A, SESSION_A, call, TICKET)
    assert report.redacted == {"tool_call": 1, "support_ticket": 1}
    for table in (schema.tool_calls, schema.support_tickets):
        assert not any(s in _stored_text(fresh_engine, table) for s in SECRETS)
    again = import_lines(fresh_engine, tmp_path, USER_A, SERVER_A, SESSION_A, call, TICKET)
    assert again.updated["tool_call"] == 0  # a re-import of the same file changes nothing


@pytest.fixture()
def stored_secrets(fresh_engine: sa.Engine) -> sa.Engine:
    """2 calls and a ticket stored with secrets in them (before any rule applied)."""
    with fresh_engine.begin() as conn:
        org = factories.org(conn, id="org_acme", slug="acme")
        user = factories.end_user(conn, org, email="ann@acme.example")
        ses = factories.session(conn, org, user, factories.server(conn, org))
        factories.tool_call(conn, ses, input=SECRET_ARGS, attributes={"trace_id": "t"})
        factories.tool_call(conn, ses, seq=2, is_error=True, error_message="Bearer sk-live-123")
        factories.ticket(conn, ses, user, summary="call ann@corp.example")
    _set_rules(fresh_engine, "org_acme", ALL)
    return fresh_engine


def test_redact_apply_rewrites_stored_rows_and_is_audited(stored_secrets: sa.Engine) -> None:
    before = _stored_text(stored_secrets, schema.tool_calls)
    dry = redaction_apply.apply(stored_secrets, org_id="org_acme", actor="cli:t", dry_run=True)
    assert dry.changed["tool_calls"] == 2 and dry.changed["support_tickets"] == 1
    assert _stored_text(stored_secrets, schema.tool_calls) == before
    run = redaction_apply.apply(stored_secrets, org_id="org_acme", actor="cli:t", batch=1)
    assert (run.scanned["tool_calls"], run.changed["tool_calls"]) == (2, 2)
    for table in (schema.tool_calls, schema.support_tickets):
        assert not any(s in _stored_text(stored_secrets, table) for s in SECRETS)
    t = schema.tool_calls.c
    with stored_secrets.connect() as conn:
        attrs = conn.execute(sa.select(t.attributes).order_by(t.seq)).scalars().all()
    assert attrs == [{"trace_id": "t", "redacted": True}, {"redacted": True}]  # others kept
    again = redaction_apply.apply(stored_secrets, org_id="org_acme", actor="cli:t")
    assert sum(again.changed.values()) == 0
    a = schema.audit_log.c
    with stored_secrets.connect() as conn:
        entries = conn.execute(
            sa.select(a.detail).where(a.action == "redact.apply").order_by(a.created_at)
        ).scalars()
        outcomes = [(d["outcome"], d["changed"]["tool_calls"]) for d in entries]
    assert outcomes == [("dry_run", 2), ("completed", 2), ("completed", 0)]


def test_the_redact_cli_in_drop_mode_clears_payloads(
    stored_secrets: sa.Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _set_rules(stored_secrets, "org_acme", ALL | {"drop_payloads": True})
    monkeypatch.setenv("DATABASE_URL", stored_secrets.url.render_as_string(hide_password=False))
    assert main(["redact", "apply", "--org", "acme"]) == 0
    assert "rewrote 2 of 2 tool_calls" in capsys.readouterr().out
    t = schema.tool_calls.c
    with stored_secrets.connect() as conn:
        rows = conn.execute(sa.select(t.input, t.output)).all()
    assert {tuple(r) for r in rows} == {(None, None)}


def test_policy_update_audits_the_rules_before_and_after(stored_secrets: sa.Engine) -> None:
    a = schema.audit_log.c
    with stored_secrets.connect() as conn:
        detail = conn.execute(sa.select(a.detail).where(a.action == "policy.update")).scalar_one()
    assert detail["before"]["redaction"] == redaction.DEFAULT_RULES
    assert detail["after"]["redaction"]["patterns"] == ["email", "bearer", "card"]
