"""The details pane says when the organization's redaction rules changed a call's payload."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from sessionscope.redaction import MASK
from tests import factories as f
from tests.conftest import DatabaseFactory
from tests.pages.details_data import ANALYST, Opener, opener
from tests.pages.test_user_sessions import PAGE, texts

MARKER = "Redacted by the organization's policy"


@pytest.fixture()
def app(
    backend: str, databases: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Opener]:
    engine = databases.engine(backend)
    with engine.begin() as conn:
        acme = f.org(conn, id="org_acme", slug="acme", name="Acme Corp")
        f.member(conn, acme, email=ANALYST, role="analyst")
        ann = f.end_user(conn, acme, id="usr_ann", display_name="Ann Lee")
        ses = f.session(conn, acme, ann, f.server(conn, acme), id="ses_r", total_tool_calls=2)
        f.tool_call(conn, ses, id="tc_masked", input={"password": MASK},
                    attributes={"redacted": True})  # fmt: skip
        later = ses["started_at"] + timedelta(seconds=1)
        f.tool_call(conn, ses, id="tc_plain", seq=2, started_at=later)
    with opener(engine, monkeypatch) as open_:
        yield open_
    engine.dispose()


@pytest.mark.parametrize(("item", "marked"), [("tc_masked", True), ("tc_plain", False)])
def test_a_redacted_call_says_so_in_the_details_pane(app, item: str, marked: bool) -> None:
    at = app(PAGE, user="usr_ann", session="ses_r", item=item)
    assert not at.exception
    captions = " ".join(c.value for c in at.caption) + texts(at)
    assert (MARKER in captions) is marked
