"""Live ingest seen by the explorer: a link to a session that has not arrived yet works as
soon as it has, and a session that grows shows its new calls without waiting for a TTL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from streamlit.testing.v1 import AppTest

from sessionscope.ingest.mapping import map_spans, short_hash
from sessionscope.ingest.receiver import ingest
from sessionscope.ingest.spans import spans_of
from tests import factories
from tests.conftest import DatabaseFactory
from tests.pages.conftest import APP, RUN_TIMEOUT_S, _clear_caches
from tests.pages.explorer_view import PAGE, card_titles
from tests.pages.test_user_sessions import texts as escaped_texts
from tests.test_ingest_mapping import recorded

IDLE = timedelta(minutes=30)


def halves(request: ExportTraceServiceRequest) -> tuple[ExportTraceServiceRequest, ...]:
    """The request's spans split at the middle of its time span: what arrives first, then."""
    spans = [s for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans]
    cut = sorted(s.start_time_unix_nano for s in spans)[len(spans) // 2]
    parts = []
    for keep in (lambda s: s.start_time_unix_nano < cut, lambda s: s.start_time_unix_nano >= cut):
        part = ExportTraceServiceRequest()
        part.CopyFrom(request)
        for rs in part.resource_spans:
            for ss in rs.scope_spans:
                kept = [s for s in ss.spans if keep(s)]
                del ss.spans[:]
                ss.spans.extend(kept)
        parts.append(part)
    return tuple(parts)


@pytest.fixture()
def live(
    backend: str, databases: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[sa.Engine]:
    engine = databases.engine(backend)
    with engine.begin() as conn:
        acme = factories.org(conn, id="org_acme", slug="acme")
        factories.member(conn, acme, email="analyst@acme.example")
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("SESSIONSCOPE_DEMO", raising=False)
    _clear_caches()
    yield engine
    from components import data

    data.engine().dispose()
    engine.dispose()
    _clear_caches()


def texts(at: AppTest) -> str:
    return escaped_texts(at).replace("\\", "")  # markdown escapes: search\_docs


def open_user(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S)
    at.user = {"email": "analyst@acme.example"}
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    return at.switch_page(PAGE).run()


def test_a_link_to_a_session_that_arrives_later_opens_once_it_has(live: sa.Engine) -> None:
    request = recorded("v2-recorder-stdio.binpb")
    first = min(map_spans("org_acme", spans_of(request)).calls, key=lambda c: c.started_at)
    external = f"{first.session_key}@{int(first.started_at.timestamp() * 1000)}"
    if first.session_key.startswith("sid:"):
        external = first.session_key
    session_id = "ses_" + short_hash("org_acme", "otlp", external)
    link = {"user": "user-42", "session": session_id}
    before = open_user(**link)
    assert "not available" in texts(before)
    ingest(live, org_id="org_acme", request=request, idle=IDLE)
    after = open_user(**link)
    assert not after.exception
    assert "not available" not in texts(after)
    assert "search_docs" in texts(after)


def test_a_growing_session_shows_its_new_calls_at_once(live: sa.Engine) -> None:
    early, late = halves(recorded("v2-recorder-stdio.binpb"))
    ingest(live, org_id="org_acme", request=early, idle=IDLE)
    first = open_user(user="user-42")
    (title,) = card_titles(first)
    assert "get_page" not in title or "fail" not in texts(first)
    ingest(live, org_id="org_acme", request=late, idle=IDLE)
    again = open_user(user="user-42")
    assert not again.exception
    assert "5 calls" in texts(again) or "5 tool calls" in texts(again), texts(again)
