"""The Session details page and its dialog: numbers, charts, bad links, resume, export."""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from components import keys
from components import session_view as sv
from components.export_file import ExportFile
from components.metrics import COUNT, ERROR_RATE, LATENCY, NEUTRAL_COUNT, PROBLEM_COUNT
from queries import session_stats
from sessionscope import bulk, resume, schema
from tests import factories
from tests.factories import valid_state
from tests.pages.client import Client, Open
from tests.pages.datasets import ANALYST
from tests.pages.datasets import workflow as workflow_data
from tests.pages.datasets.workflow import WF_SESSION
from tests.pages.downloads import Downloads
from tests.pages.explorer_view import texts

MCP_LABELS = ["Tool calls", "Errors", "Error rate", "Tickets", "Median latency", "p95 latency"]
WORKFLOW_LABELS = ["Jobs scraped", "Companies enriched", "Contacts found", "Campaigns"]
SEED_EDGE_USER = "usr_demo_edge"
ADMIN = "admin@acme.example"  # Acme's admin, here and in the seeded demo data


@pytest.fixture()
def workflow(client: Client, fresh_engine: sa.Engine) -> Callable[..., Open]:
    """build(state) -> open: a fresh database with one paused workflow saved as `state`."""
    open_ = client(fresh_engine, keys.PAGE_SESSION)

    def build(state: Any = None) -> Open:
        workflow_data.build(fresh_engine, state=valid_state() if state is None else state)
        return open_

    return build


def metrics(at: AppTest) -> dict[str, Any]:
    """Every metric shown (the page's, or a dialog's), by label; the sidebar's panel is closed."""
    return {m.label: m for m in at.metric}


def plain(text: str) -> str:
    """Shown text without the backslashes that escape user text for markdown."""
    return text.replace("\\", "")


# --- the page, read only -------------------------------------------------------------------


def test_mcp_session_numbers_against_the_users_average(demo, demo_engine) -> None:
    at = demo(session="ses_demo_huge")
    assert not at.exception
    assert at.title[0].value == "Crawl every product page on staging"
    shown = metrics(at)
    assert list(shown) == MCP_LABELS
    with demo_engine.connect() as conn:
        avg = session_stats.user_averages(conn, org_id="org_acme", end_user_id=SEED_EDGE_USER)
        calls = conn.execute(
            sa.select(sa.func.count()).where(schema.tool_calls.c.session_id == "ses_demo_huge")
        ).scalar_one()
    assert shown["Tool calls"].value == f"{calls:,}"
    delta = float(shown["Tool calls"].delta.replace(",", ""))
    assert delta == round(calls - avg.tool_calls)  # whole from 100 on
    assert all(m.delta for m in shown.values())


def test_mcp_session_places_waterfall_and_breakdown(demo) -> None:
    at = demo(session="ses_demo_huge")
    assert len(at.get("plotly_chart")) == 3  # waterfall, calls per tool, latency
    # Sections are h2 under the title's h1: headings never skip a level (axe heading-order).
    assert [h.value for h in at.header] == ["Timeline", "Results breakdown", "Export"]
    assert not at.subheader
    back = [p for p in at.main.get("page_link") if "All sessions of" in p.value]
    assert back[0].proto.query_string == f"user={SEED_EDGE_USER}&session=ses_demo_huge"
    assert "sd_resume" not in [b.key for b in at.button]  # MCP sessions have no saved state


def test_workflow_session_numbers_stages_and_results(demo, demo_engine) -> None:
    at = demo(session="ses_demo_paused", email=ADMIN)
    assert not at.exception
    shown = metrics(at)
    assert list(shown) == WORKFLOW_LABELS
    s = schema.sessions.c
    with demo_engine.connect() as conn:
        row = conn.execute(
            sa.select(s.total_jobs, s.total_contacts).where(s.id == "ses_demo_paused")
        ).one()
    assert (shown["Jobs scraped"].value, shown["Contacts found"].value) == (
        f"{row.total_jobs:,}",
        f"{row.total_contacts:,}",
    )
    assert len(at.get("plotly_chart")) == 3  # stages, funnel, outcomes
    assert [h.value for h in at.header] == ["Stage by stage", "Results breakdown", "Export"]
    assert at.button(key="sd_resume")  # paused with a valid saved state, and an admin looks


@pytest.mark.parametrize("ref", ["ses_does_not_exist", "not an id", "tc_0000000001", "x" * 300])
def test_missing_or_malformed_id_is_a_short_message(demo, ref: str) -> None:
    at = demo(session=ref)
    assert not at.exception
    assert "not available" in at.warning[0].value
    assert dict(at.query_params) == {} and not at.metric and not at.get("plotly_chart")


def test_another_orgs_session_shows_nothing_of_it(demo, demo_engine) -> None:
    s = schema.sessions.c
    with demo_engine.connect() as conn:
        sid, title = conn.execute(
            sa.select(s.id, s.title).where(s.org_id == "org_globex", s.title.is_not(None))
        ).first()
    at = demo(session=sid)
    assert not at.exception
    assert "not available" in at.warning[0].value
    assert plain(title) not in plain(texts(at)) and not at.metric
    assert dict(at.query_params) == {}
    admin = demo(session=sid, email="admin@globex.example")  # its own org sees it
    assert plain(admin.title[0].value) == title


def test_an_archived_session_is_not_shown(app) -> None:
    at = app(keys.PAGE_SESSION, session="ses_archived")  # explorer data: archived in acme
    assert "not available" in at.warning[0].value and not at.metric


def test_view_details_on_a_card_opens_the_dialog(demo) -> None:
    at = demo(keys.PAGE_USER, user="edge-cases", session="ses_demo_paused")
    at.button(key="us_details_ses_demo_paused").click().run()
    assert not at.exception
    assert list(metrics(at)) == WORKFLOW_LABELS
    assert len(at.get("plotly_chart")) == 3
    full = [p for p in at.get("page_link") if p.value.startswith("Open the full page")]
    assert full[0].proto.query_string == "session=ses_demo_paused"
    assert dict(at.query_params) == {"user": "edge-cases", "session": "ses_demo_paused"}
    at.run()  # any other rerun closes it
    assert not at.metric


# --- metric cards (pure) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mine", "avg", "kind", "delta", "color"),
    [
        (3, 1.5, PROBLEM_COUNT, "+1.5", "inverse"),
        (120, 20, COUNT, "+100", "normal"),
        (4, 10, NEUTRAL_COUNT, "-6", "off"),
        (0.08, 0.055, ERROR_RATE, "+2.5 pp", "inverse"),
        (900, 1020, LATENCY, "-120 ms", "inverse"),
        (0.0551, 0.055, ERROR_RATE, "±0.0 pp", "off"),  # no difference at the precision shown
        (5, 5.02, COUNT, "±0", "off"),
    ],
)
def test_metric_card_delta_against_the_average(mine, avg, kind, delta, color) -> None:
    card = sv.metric_card("m", mine, avg, 7, kind)
    assert (card.delta, card.color) == (delta, color)
    assert "over 7 sessions" in card.help


def test_metric_card_without_anything_to_compare() -> None:
    assert sv.metric_card("m", None, 3.0, 7, LATENCY).value == "—"
    only = sv.metric_card("m", 4, 4.0, 1, COUNT)  # the user's only session
    assert only.delta is None and only.value == "4"


# --- a session of any size ----------------------------------------------------------------


def _many_calls(engine: sa.Engine, counts: tuple[int, ...]) -> None:
    """Acme's analyst and one MCP session of n calls for each n in counts (ses_n<n>)."""
    start = datetime(2026, 11, 1, 12, tzinfo=UTC)
    with engine.begin() as conn:
        acme = factories.org(conn, id="org_acme", slug="acme", name="Acme Corp")
        factories.member(conn, acme, email=ANALYST, role="analyst")
        user, srv = factories.end_user(conn, acme), factories.server(conn, acme)
        for n in counts:
            ses = factories.session(
                conn, acme, user, srv, id=f"ses_n{n}", started_at=start, total_tool_calls=n
            )
            conn.execute(
                schema.tool_calls.insert(),
                [
                    {
                        "id": f"tc_{n}_{i}",
                        "org_id": "org_acme",
                        "session_id": ses["id"],
                        "seq": i,
                        "tool_name": ("search", "fetch", "write")[i % 3],
                        "started_at": start + timedelta(milliseconds=50 * i),
                        "duration_ms": 20 + (i * 7919) % 3000,
                        "is_error": i % 13 == 0,
                    }
                    for i in range(1, n + 1)
                ],
            )


def test_details_of_a_session_of_any_size_stay_the_same_size(
    client, fresh_engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15: a 1,000,000-call session took 808 MB and sent a 10.7 MB chart, every call
    loaded into Python. Now four times the calls give charts of the same size, and no query
    behind the page returns more than one waterfall's worth of rows."""
    counts = (2 * session_stats.MAX_BARS, 8 * session_stats.MAX_BARS)
    _many_calls(fresh_engine, counts)
    built: list[int] = []
    real = session_stats.frame
    monkeypatch.setattr(session_stats, "frame", lambda r: built.append(len(df := real(r))) or df)
    open_ = client(fresh_engine, keys.PAGE_SESSION)
    pages = {n: open_(session=f"ses_n{n}") for n in counts}
    assert not any(at.exception for at in pages.values())
    small, big = ([len(c.proto.spec) for c in at.get("plotly_chart")] for at in pages.values())
    assert len(small) == len(big) == 3
    assert all(b < 1.1 * s for s, b in zip(small, big, strict=True)), (small, big)
    assert max(built) <= session_stats.MAX_BARS + 1
    assert metrics(pages[counts[1]])["Tool calls"].value == f"{counts[1]:,}"


# --- resume (each test writes: a fresh database) -------------------------------------------


def _db(engine: sa.Engine) -> tuple[str, int, list[int], list[tuple[str, str]]]:
    """status, state_version, saved versions, audit (action, actor) of the workflow session."""
    s, st_, a = schema.sessions.c, schema.session_states.c, schema.audit_log.c
    with engine.connect() as conn:
        status, version = conn.execute(
            sa.select(s.status, s.state_version).where(s.id == WF_SESSION)
        ).one()
        versions = conn.execute(
            sa.select(st_.version).where(st_.session_id == WF_SESSION).order_by(st_.version)
        ).scalars()
        audit = conn.execute(sa.select(a.action, a.actor_email).order_by(a.created_at)).all()
        return status, version, list(versions), [tuple(r) for r in audit]


def test_resume_confirms_then_shows_the_restored_state(workflow, fresh_engine, monkeypatch) -> None:
    monkeypatch.setenv("SESSIONSCOPE_RESUME_URL", "https://flows.example/resume")
    at = workflow()(session=WF_SESSION, email=ADMIN)
    at.button(key="sd_resume").click().run()
    summary = plain(" ".join(m.value for m in at.markdown))
    assert "It will resume at stage **contacts**" in summary and "version 2" in summary
    assert "scraping, enrichment" in summary and "jobs 118" in summary
    assert _db(fresh_engine)[0] == "paused"  # the dialog alone writes nothing
    at.button(key="sd_resume_confirm").click().run()
    assert not at.exception
    said = at.success[0].value
    assert "**Resumed: saved state version 3** (stage contacts); marked active" in said
    assert "Hand it to the workflow app" in said and "does not call the app itself" in said
    assert json.loads(at.json[0].value) == valid_state(3)
    assert at.download_button(key="sd_resumed_state")
    assert (
        at.get("link_button")[0].proto.url == f"https://flows.example/resume?session={WF_SESSION}"
    )
    assert "active" in at.markdown[0].value  # the header reads the session again
    assert _db(fresh_engine) == (
        "active",
        3,
        [1, 2, 3],
        [("session.resume", ADMIN)],
    )


def test_corrupted_state_is_refused_with_its_reasons_and_nothing_written(
    workflow, fresh_engine
) -> None:
    broken = {k: v for k, v in valid_state().items() if k != "metrics"} | {"stage": "qualify"}
    at = workflow(broken)(session=WF_SESSION, email=ADMIN)
    assert "2 problems" in at.warning[0].value
    at.button(key="sd_resume").click().run()
    reasons = plain(at.error[0].value)
    assert "metrics is missing (it must be an object)" in reasons
    assert 'stage is "qualify", which is not a known stage' in reasons
    keys = [b.key for b in at.button]
    assert "sd_resume_confirm" not in keys and "sd_resume_fallback" in keys
    assert at.download_button(key="sd_raw_state")
    at.button(key="sd_resume_cancel").click().run()
    assert not at.error  # the dialog closed
    assert _db(fresh_engine) == ("paused", 2, [1, 2], [])


def test_fallback_resumes_from_the_last_completed_stage(workflow, fresh_engine) -> None:
    broken = {k: v for k, v in valid_state().items() if k != "cursor"}
    at = workflow(broken)(session=WF_SESSION, email=ADMIN)
    at.button(key="sd_resume").click().run()
    at.button(key="sd_resume_fallback").click().run()
    assert not at.exception
    said = at.success[0].value
    assert "**Resumed: saved state version 3** (stage contacts)" in said
    assert "marked active; no workflow app configured" in said and not at.get("link_button")
    restored = json.loads(at.json[0].value)
    assert restored["completed_stages"] == ["scraping", "enrichment"]
    assert restored["cursor"] == {"stage": "contacts", "offset": 40, "batch_size": 10}
    audit = [("session.resume_fallback", ADMIN)]
    assert _db(fresh_engine) == ("active", 3, [1, 2, 3], audit)


def test_someone_else_resuming_first_gives_already_resumed(workflow, fresh_engine) -> None:
    at = workflow()(session=WF_SESSION, email=ADMIN)
    at.button(key="sd_resume").click().run()
    resume.resume(
        fresh_engine,
        org_id="org_acme",
        session_id=WF_SESSION,
        actor=ADMIN,
        expected_version=2,
    )
    at.button(key="sd_resume_confirm").click().run()
    assert not at.exception
    assert "Already resumed by someone else" in at.warning[0].value
    assert not at.success and "active" in at.markdown[0].value
    assert _db(fresh_engine) == ("active", 3, [1, 2, 3], [("session.resume", ADMIN)])


def test_an_analyst_sees_the_saved_state_and_why_there_is_no_resume(workflow, fresh_engine) -> None:
    at = workflow()(session=WF_SESSION)  # as analyst@acme.example
    assert not at.exception
    assert "sd_resume" not in [b.key for b in at.button]
    shown = plain(texts(at))
    assert "would continue at stage **contacts**" in shown
    assert "Only admins of Acme Corp resume sessions" in shown
    assert json.loads(at.json[0].value) == valid_state()  # the saved state, read only
    assert _db(fresh_engine) == ("paused", 2, [1, 2], [])


def test_an_admin_demoted_before_confirming_is_refused(workflow, fresh_engine) -> None:
    at = workflow()(session=WF_SESSION, email=ADMIN)
    at.button(key="sd_resume").click().run()
    m = schema.members.c
    with fresh_engine.begin() as conn:  # another admin demotes them while the dialog is open
        conn.execute(schema.members.update().where(m.email == ADMIN).values(role="analyst"))
    at.button(key="sd_resume_confirm").click().run()
    assert not at.exception
    assert "Not resumed" in at.error[0].value and "an analyst" in plain(at.error[0].value)
    assert _db(fresh_engine) == ("paused", 2, [1, 2], [])
    assert "sd_resume" not in [b.key for b in at.button]  # the page now knows their role


# --- export --------------------------------------------------------------------------------


def test_export_is_prepared_on_request_and_audited_once_per_file(
    workflow, fresh_engine, monkeypatch
) -> None:
    downloads = Downloads(monkeypatch)
    at = workflow()(session=WF_SESSION)
    assert not at.download_button and _db(fresh_engine)[3] == []  # nothing on render
    at.button(key="sd_export").click().run()
    assert not at.exception
    labels = {d.key: d.label for d in at.download_button}
    assert labels["sd_export_json"].startswith("JSON") and labels["sd_export_csv"].startswith("CSV")
    at.run()  # the prepared files stay; nothing is exported again
    actions = sorted(action for action, _ in _db(fresh_engine)[3])
    assert actions == ["sessions.export_json", "sessions.export_timeline_csv"]
    [exported] = json.loads(downloads.click(at, "sd_export_json"))
    assert exported["id"] == WF_SESSION
    rows = list(csv.DictReader(io.StringIO(downloads.click(at, "sd_export_csv").decode())))
    assert len(rows) == len(exported["timeline"])


def test_an_export_is_kept_in_temporary_files_not_in_session_state(workflow) -> None:
    at = workflow()(session=WF_SESSION)
    at.button(key="sd_export").click().run()
    ready = at.session_state[sv._EXPORT]
    assert isinstance(ready.json, ExportFile) and isinstance(ready.csv, ExportFile)
    assert not [v for v in vars(ready).values() if isinstance(v, bytes | str) and len(v) > 100]
    # The viewer prepared it earlier for another session, then exports this one: the
    # earlier files are deleted when the new ones are kept.
    at.session_state[sv._EXPORT] = replace(ready, session_id="ses_earlier")
    at.run()
    at.button(key="sd_export").click().run()
    assert ready.json.closed and ready.csv.closed
    assert not at.session_state[sv._EXPORT].json.closed


def test_an_export_over_the_limits_is_refused_whole(workflow, fresh_engine, monkeypatch) -> None:
    small = bulk.ExportLimits(items=1)
    for name in ("export_json", "export_timeline_csv"):
        monkeypatch.setattr(bulk, name, functools.partial(getattr(bulk, name), limits=small))
    open_ = workflow()
    with fresh_engine.begin() as conn:  # two calls: one over the limit of one item
        ses = {"id": WF_SESSION, "org_id": "org_acme", "started_at": datetime.now(UTC)}
        factories.tool_call(conn, ses, seq=1)
        factories.tool_call(conn, ses, seq=2)
    at = open_(session=WF_SESSION)
    at.button(key="sd_export").click().run()
    assert not at.exception
    assert "Not exported" in at.warning[0].value and "one export holds" in at.warning[0].value
    assert not at.download_button and sv._EXPORT not in at.session_state
    assert _db(fresh_engine)[3] == []  # no audit entry says it was exported
