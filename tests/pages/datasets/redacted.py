"""The redacted data set: acme's session ses_r with a call whose input the organization's
redaction rules masked (tc_masked) and one they left alone (tc_plain)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from sessionscope.redaction import MASK
from tests import factories as f
from tests.pages.datasets import ANALYST


def build(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        acme = f.org(conn, id="org_acme", slug="acme", name="Acme Corp")
        f.member(conn, acme, email=ANALYST, role="analyst")
        ann = f.end_user(conn, acme, id="usr_ann", display_name="Ann Lee")
        ses = f.session(conn, acme, ann, f.server(conn, acme), id="ses_r", total_tool_calls=2)
        f.tool_call(
            conn, ses, id="tc_masked", input={"password": MASK}, attributes={"redacted": True}
        )
        later = ses["started_at"] + timedelta(seconds=1)
        f.tool_call(conn, ses, id="tc_plain", seq=2, started_at=later)
