"""Session details that move with an active session, waterfall clicks, Resume in the dialog."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from charts import session as charts
from charts import waterfall
from components import data, keys
from components import session_view as sv
from queries import session_stats
from sessionscope import schema
from tests.pages.client import Client, Open
from tests.pages.datasets import history as history_data

ADMIN = "admin@acme.example"


@pytest.fixture()
def history(client: Client, fresh_engine: sa.Engine) -> Open:
    """A fresh database where ses_live is active (3 calls) and ses_deploy completed."""
    history_data.build(fresh_engine)
    return client(fresh_engine, keys.PAGE_SESSION)


def _tool_calls(at) -> str:  # type: ignore[no-untyped-def]
    return next(m.value for m in at.metric if m.label == "Tool calls")


# --- live -------------------------------------------------------------------------------------


def test_an_active_sessions_details_read_fresh_data_when_their_freshness_turns_over(
    history, fresh_engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process records two calls: the cached header (keyed by this process's ingest
    count) would keep "3" for SESSIONS_TTL; the live parts read the session again as soon as
    data.freshness(True) changes, which it does every LIVE_TTL seconds."""
    tick = [1]
    monkeypatch.setattr(data, "freshness", lambda live: tick[0] if live else 0)
    at = history(session="ses_live")
    assert not at.exception and _tool_calls(at) == "3"
    s = schema.sessions.c
    with fresh_engine.begin() as conn:
        later = conn.execute(sa.select(s.last_activity_at).where(s.id == "ses_live")).scalar_one()
        conn.execute(
            schema.sessions.update()
            .where(s.id == "ses_live")
            .values(total_tool_calls=5, last_activity_at=later + timedelta(minutes=2))
        )
    at.run()
    assert _tool_calls(at) == "3"  # the same freshness: the cached read
    tick[0] += 1
    at.run()
    assert not at.exception and _tool_calls(at) == "5"
    assert "duration 2 min" in at.caption[0].value


def test_only_an_active_session_refreshes(history) -> None:
    at = history(session="ses_deploy")
    shown = data.session_now("org_acme", "ses_deploy")
    assert shown is not None and sv.refresh_every(shown) is None
    live = data.session_now("org_acme", "ses_live")
    assert live is not None and sv.refresh_every(live) == data.LIVE_TTL
    assert not at.exception


# --- a click on the waterfall ------------------------------------------------------------------


def _event(*custom: object) -> dict:
    return {"selection": {"points": [{"customdata": list(custom)}]}}


CALL_ROW = (15, "search", "12 ms", "ok", "2026-01-01 12:00:00.000")


@pytest.mark.parametrize(
    ("event", "clicked"),
    [
        (_event(*CALL_ROW, "tc_15", waterfall.CALL), sv.Clicked("call", 15, "tc_15")),
        (_event(*CALL_ROW, "", waterfall.CALL), sv.Clicked("call", 15, None)),
        (
            _event("12:00:00 – 12:00:09", 41, 2, "4.9%", "9 ms", "", waterfall.BUCKET),
            sv.Clicked("bucket", calls=41, span="12:00:00 – 12:00:09"),
        ),
        (_event("A ticket", "high", "2026-01-01 12:00:00.000"), None),  # a ticket marker
        ({"selection": {"points": []}}, None),
        (None, None),
    ],
)
def test_a_clicked_bar_is_a_call_a_bucket_or_nothing(event, clicked) -> None:
    assert sv.clicked_point(event) == clicked


def test_each_waterfall_bar_carries_its_calls_id(demo_engine) -> None:
    """A click opens the call by the id on its bar: the waterfall query reads the ids, and
    only this organization's (another's gets nothing to draw)."""
    s, t = schema.sessions.c, schema.tool_calls.c
    with demo_engine.connect() as conn:
        sid = conn.execute(
            sa.select(s.id).where(s.org_id == "org_acme", s.total_tool_calls.between(5, 50))
        ).scalar()
        flow = session_stats.waterfall(conn, org_id="org_acme", session_id=sid)
        other = session_stats.waterfall(conn, org_id="org_globex", session_id=sid)
        ids = conn.execute(
            sa.select(t.id).where(t.session_id == sid).order_by(t.started_at, t.seq)
        ).scalars()
        assert list(flow.calls["id"]) == list(ids) and len(flow.calls) >= 5
    assert other.calls.empty
    fig = charts.tool_waterfall(flow.calls, flow.calls.iloc[:0], buckets=flow.buckets)
    bars = [c for trace in fig.data if trace.customdata is not None for c in trace.customdata]
    assert {c[waterfall.CALL_ID] for c in bars} == set(flow.calls["id"])


# --- Resume in the View details dialog ----------------------------------------------------------


@pytest.mark.parametrize(("email", "offered"), [(ADMIN, True), ("analyst@acme.example", False)])
def test_the_details_dialog_offers_resume_to_admins_only(demo, email: str, offered: bool) -> None:
    at = demo(keys.PAGE_USER, email=email, user="edge-cases", session="ses_demo_paused")
    at.button(key="us_details_ses_demo_paused").click().run()
    assert not at.exception
    shown = [b.key for b in at.button]
    assert ("dlg_sd_resume" in shown) is offered  # the dialog's own keys: the pane has its own
    if not offered:
        assert any("Only admins of Acme Corp resume" in c.value for c in at.caption)
