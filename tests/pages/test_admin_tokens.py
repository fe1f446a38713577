"""The Admin page's Ingest tokens tab: the empty state, create (shown once), revoke after a
confirmation, who may see it. Every test writes, so each gets a fresh database per backend.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from components import format as fmt
from components.admin import keys as ak
from components.admin import tokens as admin_tokens
from sessionscope import schema, tokens
from tests.pages.admin_view import audit_entries
from tests.pages.client import Open
from tests.pages.datasets import ADMIN, ANALYST
from tests.pages.explorer_view import texts

NAME = "github-mcp production"
ORIGIN = admin_tokens.DEFAULT_ORIGIN  # AppTest has no browser URL


# --- helpers -----------------------------------------------------------------------------------


def on_tab(open_: Open, **kw: str) -> AppTest:
    return open_(tab=ak.TAB_TOKENS, **kw)


def shown(at: AppTest) -> str:
    return texts(at) + "\n" + "\n".join(s.value for s in at.success)


def create(at: AppTest, name: str = NAME) -> AppTest:
    at.text_input(key=ak.TOK_NAME).input(name)
    return at.button(key=ak.TOK_CREATE).click().run()


def stored(engine: sa.Engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(schema.ingest_tokens)).mappings()]


def org_of(engine: sa.Engine, token: str) -> str | None:
    with engine.begin() as conn:
        return tokens.organization_of(conn, token)


def revoke_buttons(at: AppTest) -> list[str]:
    return [b.key for b in at.button if b.key and b.key.startswith("adm_tok_revoke_")]


# --- tests -------------------------------------------------------------------------------------


def test_an_admin_sees_the_tab_with_the_empty_state(writer) -> None:
    at = on_tab(writer)
    assert not at.exception
    [empty] = at.info
    assert "No ingest tokens yet" in empty.value
    assert f"`{ORIGIN}/v1/traces`" in empty.value
    assert "`Authorization: Bearer <token>`" in empty.value
    assert at.text_input(key=ak.TOK_NAME) and not revoke_buttons(at)


def test_a_new_token_is_shown_once_then_listed_without_it(writer, fresh) -> None:
    at = create(on_tab(writer))
    assert not at.exception
    token = at.code[0].value
    assert token.startswith(tokens.TOKEN_PREFIX)
    assert "Copy it now: it is not shown again" in at.success[0].value
    assert at.code[1].value.splitlines() == [
        f"OTEL_EXPORTER_OTLP_ENDPOINT={ORIGIN}",
        f"OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20{token}",
        "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
    ]
    assert f"**{fmt.md(NAME)}**" in shown(at)  # listed
    assert len(revoke_buttons(at)) == 1 and not at.info  # no empty state any more
    assert at.text_input(key=ak.TOK_NAME).value == ""
    # The secret is nowhere but on screen: not in session state, the URL or the database.
    assert ak.TOK_NEW not in at.session_state
    assert token not in repr(at.session_state)
    assert token not in repr(dict(at.query_params))
    [row] = stored(fresh)
    assert row["token_hash"] == tokens.hash_token(token) and token not in repr(row)
    assert (row["org_id"], row["name"], row["created_by"]) == ("org_acme", NAME, ADMIN)
    assert org_of(fresh, token) == "org_acme"
    [entry] = audit_entries(fresh, "token.create")
    assert entry["actor_email"] == ADMIN and entry["detail"]["name"] == NAME
    assert token not in repr(audit_entries(fresh))

    at.button(key=ak.TOK_DONE).click().run()
    assert token not in shown(at) and not at.code
    assert len(revoke_buttons(at)) == 1


@pytest.mark.parametrize("name", ["   ", "x" * (tokens.MAX_NAME + 1)])
def test_a_token_name_needs_1_to_100_characters(writer, fresh, name) -> None:
    at = create(on_tab(writer), name)
    assert not at.exception
    assert "1 to 100 characters" in at.error[0].value
    assert not at.code and stored(fresh) == [] and audit_entries(fresh, "token.create") == []


def test_revoke_asks_first_then_the_token_is_refused(writer, fresh) -> None:
    at = create(on_tab(writer))
    token = at.code[0].value
    [revoke] = revoke_buttons(at)
    at.button(key=revoke).click().run()
    assert f"Revoke **{fmt.md(NAME)}**?" in shown(at)
    assert org_of(fresh, token) == "org_acme"  # the dialog alone changes nothing
    at.button(key=ak.TOK_CONFIRM).click().run()
    assert not at.exception
    assert "revoked" in at.success[0].value
    assert org_of(fresh, token) is None
    assert stored(fresh)[0]["revoked_at"] is not None
    assert not revoke_buttons(at) and "revoked" in shown(at)
    assert [e["action"] for e in audit_entries(fresh) if e["action"].startswith("token.")] == [
        "token.create",
        "token.revoke",
    ]
    assert token not in repr(audit_entries(fresh))


def test_cancel_keeps_the_token_working(writer, fresh) -> None:
    at = create(on_tab(writer))
    token = at.code[0].value
    at.button(key=revoke_buttons(at)[0]).click().run()
    at.button(key=ak.TOK_CANCEL).click().run()
    assert ak.TOK_CONFIRM not in [b.key for b in at.button]
    assert org_of(fresh, token) == "org_acme"
    assert audit_entries(fresh, "token.revoke") == []


def test_an_analyst_gets_no_admin_page(writer) -> None:
    at = on_tab(writer, email=ANALYST)
    assert not at.exception
    assert "Admins only" in at.error[0].value
    assert not at.text_input and not revoke_buttons(at) and "ingest" not in shown(at).lower()


def test_another_organizations_admin_sees_none_of_these_tokens(writer, fresh) -> None:
    with fresh.begin() as conn:
        acme = tokens.create(conn, org_id="org_acme", name=NAME, created_by=ADMIN)
    at = on_tab(writer, email="admin@globex.example")
    assert "No ingest tokens yet" in at.info[0].value
    assert "github" not in shown(at) and not revoke_buttons(at)
    # Even a revoke aimed at acme's token id (a forged pending action) is not found.
    at.session_state[ak.TOK_PENDING] = admin_tokens.Pending(acme.id, "forged")
    at.run()
    at.button(key=ak.TOK_CONFIRM).click().run()
    assert "not in this organization" in at.error[0].value
    assert org_of(fresh, acme.token) == "org_acme"
    assert audit_entries(fresh, "token.revoke") == []


def test_the_env_lines_percent_encode_the_header() -> None:
    lines = admin_tokens.env_lines("https://scope.example.com", "sst_abc").splitlines()
    assert lines[:2] == [
        "OTEL_EXPORTER_OTLP_ENDPOINT=https://scope.example.com",
        "OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20sst_abc",
    ]
