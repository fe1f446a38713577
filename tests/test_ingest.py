"""OTLP ingest into the database, on both backends: the receiver's answers, idempotence,
order, idle splitting, merging sides sent apart, hostile bodies. Traces are the recorded
ones from the real SDKs (tests/data/otlp); only the hostile cases build their own."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from sessionscope import tokens
from sessionscope.ingest import otlp
from sessionscope.ingest.receiver import ingest
from sessionscope.schema import audit_log, end_users, servers, sessions, tool_calls
from tests.otlp_traces import IDLE, OTLP, PB, halves, post, recorded, spans_in


def table(engine: sa.Engine, t: sa.Table, *cols: str) -> list[tuple]:
    with engine.connect() as conn:
        columns = [t.c[c] for c in cols]
        return [tuple(r) for r in conn.execute(sa.select(*columns).order_by(*columns))]


def shifted(request: ExportTraceServiceRequest, delta: timedelta) -> ExportTraceServiceRequest:
    """The same spans, `delta` later (a new trace id keeps them distinct requests)."""
    out = ExportTraceServiceRequest()
    out.CopyFrom(request)
    ns = int(delta.total_seconds() * 1e9)
    for rs in out.resource_spans:
        for ss in rs.scope_spans:
            for span in ss.spans:
                span.start_time_unix_nano += ns
                span.end_time_unix_nano += ns
                span.trace_id = hashlib.md5(span.trace_id + str(ns).encode()).digest()
    return out


def by_service(request: ExportTraceServiceRequest, name: str) -> ExportTraceServiceRequest:
    """The part of the request one process sent (its resource's service.name)."""
    out = ExportTraceServiceRequest()
    for rs in request.resource_spans:
        attrs = {kv.key: kv.value.string_value for kv in rs.resource.attributes}
        if attrs.get("service.name") == name:
            out.resource_spans.append(rs)
    return out


def test_a_recorded_session_lands_with_its_calls_errors_and_totals(
    fresh_engine: sa.Engine, org_token: tuple[str, str]
) -> None:
    org_id, token = org_token
    answer = post(fresh_engine, token, recorded("v1-openllmetry-stdio.binpb").SerializeToString())
    assert answer.status == 200
    (row,) = table(
        fresh_engine,
        sessions,
        "org_id",
        "source",
        "total_tool_calls",
        "total_errors",
        "client_name",
    )
    assert row == (org_id, "otlp", 5, 2, "scenario-client")
    calls = table(fresh_engine, tool_calls, "seq", "method", "tool_name", "is_error")
    assert [c[0] for c in calls] == list(range(1, 11))
    assert ("tools/call", "fail", True) in [c[1:] for c in calls]
    with fresh_engine.connect() as conn:
        search = conn.execute(
            sa.select(tool_calls.c.input, tool_calls.c.attributes).where(
                tool_calls.c.tool_name == "search_docs"
            )
        ).one()
        title = conn.execute(sa.select(sessions.c.title)).scalar_one()
    assert search.input == {"query": "install server"}
    assert search.attributes["families"] == ["openllmetry"]
    assert title.startswith("search_docs “install server” → get_page")


def test_the_same_batch_twice_changes_nothing(
    fresh_engine: sa.Engine, org_token: tuple[str, str]
) -> None:
    _, token = org_token
    body = recorded("v2-builtin-stdio.binpb").SerializeToString()
    post(fresh_engine, token, body)
    cols = ("id", "session_id", "seq", "started_at", "duration_ms", "is_error")
    before = table(fresh_engine, tool_calls, *cols), table(fresh_engine, sessions, "id", "title")
    assert post(fresh_engine, token, body).status == 200
    assert (
        table(fresh_engine, tool_calls, *cols),
        table(fresh_engine, sessions, "id", "title"),
    ) == before


@pytest.mark.parametrize("first", ["Docs MCP", "scenario-client"])
def test_client_and_server_sent_apart_merge_in_either_order_and_name_the_owner(
    fresh_engine: sa.Engine, org_token: tuple[str, str], first: str
) -> None:
    """Each process exports its own spans; whichever lands first, the session ends up with
    one row per request and the server and user that the server's spans name."""
    org_id, _ = org_token
    request = recorded("v2-recorder-http-legacy.binpb")
    second = "scenario-client" if first == "Docs MCP" else "Docs MCP"
    for name in (first, second):
        ingest(fresh_engine, org_id=org_id, request=by_service(request, name), idle=IDLE)
    calls = table(fresh_engine, tool_calls, "session_id", "attributes")
    assert len(calls) == 10 and len({c[0] for c in calls}) == 1
    assert all(c[1]["sides"] == ["client", "server"] for c in calls)
    with fresh_engine.connect() as conn:
        owner = conn.execute(
            sa.select(
                servers.c.name,
                end_users.c.distinct_id,
                end_users.c.last_seen_at,
                sessions.c.last_activity_at,
            )
            .join_from(sessions, servers, servers.c.id == sessions.c.server_id)
            .join_from(sessions, end_users, end_users.c.id == sessions.c.end_user_id)
        ).one()
    assert owner[:2] == ("Docs MCP", "user-42")
    assert owner.last_seen_at == owner.last_activity_at


def test_spans_arriving_out_of_order_land_in_order(
    fresh_engine: sa.Engine, org_token: tuple[str, str]
) -> None:
    org_id, _ = org_token
    early, late = halves(recorded("v2-builtin-http.binpb"))
    ingest(fresh_engine, org_id=org_id, request=late, idle=IDLE)
    ingest(fresh_engine, org_id=org_id, request=early, idle=IDLE)
    rows = table(fresh_engine, tool_calls, "started_at", "seq")
    assert [r[1] for r in sorted(rows)] == list(range(1, len(rows) + 1))


def test_a_process_idle_longer_than_the_window_starts_a_new_session_and_a_late_call_reopens(
    fresh_engine: sa.Engine, org_token: tuple[str, str]
) -> None:
    org_id, _ = org_token
    request = recorded("v2-builtin-stdio.binpb")
    later = datetime.now(UTC) + timedelta(days=1)
    for delta in (timedelta(0), timedelta(hours=2)):
        part = shifted(request, delta) if delta else request
        ingest(fresh_engine, org_id=org_id, request=part, idle=IDLE, now=later)
    rows = table(fresh_engine, sessions, "started_at", "total_tool_calls", "status")
    assert [(r[1], r[2]) for r in rows] == [(5, "completed"), (5, "completed")]
    # Ten minutes after the first session: within its window, so it grows again.
    part = shifted(request, timedelta(minutes=10))
    ingest(fresh_engine, org_id=org_id, request=part, idle=IDLE, now=later)
    assert [r[1] for r in table(fresh_engine, sessions, "started_at", "total_tool_calls")] == [
        10,
        5,
    ]


def test_a_session_is_active_while_calls_are_recent(
    fresh_engine: sa.Engine, org_token: tuple[str, str]
) -> None:
    org_id, _ = org_token
    request = recorded("v2-builtin-stdio.binpb")
    last_end = max(s.end_time_unix_nano for s in spans_in(request))
    last_end = datetime.fromtimestamp(last_end / 1e9, UTC)
    ingest(
        fresh_engine, org_id=org_id, request=request, idle=IDLE, now=last_end + timedelta(minutes=5)
    )
    assert table(fresh_engine, sessions, "status", "completed_at") == [("active", None)]
    ingest(
        fresh_engine,
        org_id=org_id,
        request=ExportTraceServiceRequest(),
        idle=IDLE,
        now=last_end + timedelta(minutes=31),
    )
    assert table(fresh_engine, sessions, "status")[0] == ("completed",)


def test_end_user_is_anonymous_per_client_when_spans_name_none(
    fresh_engine: sa.Engine, org_token: tuple[str, str]
) -> None:
    _, token = org_token
    post(fresh_engine, token, recorded("v1-openllmetry-stdio.binpb").SerializeToString())
    assert table(fresh_engine, end_users, "distinct_id", "display_name") == [
        ("anonymous:scenario-client", "Anonymous (scenario-client)")
    ]


# --- the receiver's answers ----------------------------------------------------------------


def test_no_unknown_or_revoked_token_is_401_and_writes_nothing(
    fresh_engine: sa.Engine, org_token: tuple[str, str]
) -> None:
    org_id, token = org_token
    body = recorded("v2-builtin-stdio.binpb").SerializeToString()
    assert post(fresh_engine, None, body).status == 401
    assert post(fresh_engine, "sst_" + "x" * 43, body).status == 401
    assert post(fresh_engine, token[:-1], body).status == 401
    with fresh_engine.begin() as conn:
        (info,) = conn.execute(sa.text("SELECT id FROM ingest_tokens")).scalars()
        tokens.revoke(conn, org_id=org_id, token_id=info, actor_email="admin@acme")
    assert post(fresh_engine, token, body).status == 401
    assert table(fresh_engine, sessions, "id") == []
    actions = [a for (a,) in table(fresh_engine, audit_log, "action")]
    assert sorted(actions) == ["token.create", "token.revoke"]


def test_the_token_decides_the_organization(
    fresh_engine: sa.Engine, org_token: tuple[str, str]
) -> None:
    with fresh_engine.begin() as conn:
        globex = tokens.create(conn, org_id="org_globex", name="g", created_by="admin@globex")
    post(fresh_engine, globex.token, recorded("v2-builtin-stdio.binpb").SerializeToString())
    assert {r[0] for r in table(fresh_engine, sessions, "org_id")} == {"org_globex"}
    assert {r[0] for r in table(fresh_engine, tool_calls, "org_id")} == {"org_globex"}


def test_json_and_gzip_bodies_are_read_like_protobuf(
    fresh_engine: sa.Engine, org_token: tuple[str, str]
) -> None:
    _, token = org_token
    lines = (OTLP / "v2-builtin-stdio.json").read_bytes().splitlines()
    for line in lines:
        answer = post(
            fresh_engine,
            token,
            gzip.compress(line),
            content_type="application/json",
            content_encoding="gzip",
        )
        assert answer.status == 200, answer.body
        assert answer.content_type == "application/json"
    assert len(table(fresh_engine, tool_calls, "id")) == 10


@pytest.mark.parametrize(
    ("body", "kind", "status"),
    [
        (b"\x00garbage\xff" * 10, PB, 400),
        (recorded("v2-builtin-stdio.binpb").SerializeToString()[:-7], PB, 400),
        (b"{not json", "application/json", 400),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 400),
        (
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}',
            "application/json",
            400,
        ),
        (b"hello", "text/plain", 415),
    ],
    ids=["garbage", "truncated-protobuf", "bad-json", "deep-json", "bad-hex-id", "media-type"],
)
def test_undecodable_bodies_are_rejected_whole(
    fresh_engine: sa.Engine, org_token: tuple[str, str], body: bytes, kind: str, status: int
) -> None:
    _, token = org_token
    answer = post(fresh_engine, token, body, content_type=kind)
    assert answer.status == status
    assert json.loads(answer.body)["message"]
    assert table(fresh_engine, tool_calls, "id") == []


def _one_span_request(count: int, **attrs: str) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    for i in range(count):
        span = scope.spans.add(
            trace_id=(i + 1).to_bytes(16, "big"),
            span_id=(i + 1).to_bytes(8, "big"),
            name="tools/call t",
            kind=2,
            start_time_unix_nano=1_780_000_000 * 10**9 + i,
            end_time_unix_nano=1_780_000_000 * 10**9 + i + 1_000_000,
        )
        for key, value in {"mcp.method.name": "tools/call", **attrs}.items():
            kv = span.attributes.add(key=key)
            kv.value.string_value = value
    return request


def test_too_many_spans_and_huge_bodies_are_413_and_write_nothing(
    fresh_engine: sa.Engine, org_token: tuple[str, str]
) -> None:
    _, token = org_token
    many = _one_span_request(100_000).SerializeToString()
    assert post(fresh_engine, token, many).status == 413
    bomb = gzip.compress(b"\x00" * (otlp.MAX_INFLATED_BYTES + 1))
    assert post(fresh_engine, token, bomb, content_encoding="gzip").status == 413
    assert table(fresh_engine, tool_calls, "id") == []


def test_a_10_mb_attribute_is_cut_with_a_marker_and_nul_becomes_replacement(
    fresh_engine: sa.Engine, org_token: tuple[str, str]
) -> None:
    _, token = org_token
    request = _one_span_request(
        1, **{"gen_ai.tool.name": "séarch\x00名前", "gen_ai.tool.call.result": "x" * 10_000_000}
    )
    assert post(fresh_engine, token, request.SerializeToString()).status == 200
    ((name, output, attributes),) = table(
        fresh_engine, tool_calls, "tool_name", "output", "attributes"
    )
    assert name == "séarch\ufffd名前"
    assert output.endswith("[truncated by Sessionscope]") and len(output) < 300_000
    assert attributes["truncated"] is True


def test_spans_that_are_not_mcp_are_accepted_with_a_warning(
    fresh_engine: sa.Engine, org_token: tuple[str, str]
) -> None:
    _, token = org_token
    request = _one_span_request(2)
    for span in request.resource_spans[0].scope_spans[0].spans:
        del span.attributes[:]
    answer = post(fresh_engine, token, request.SerializeToString())
    response = otlp.ExportTraceServiceResponse.FromString(answer.body)
    assert answer.status == 200 and response.partial_success.rejected_spans == 0
    assert "not MCP requests" in response.partial_success.error_message


def test_each_ingested_file_is_audited_with_who_its_digest_and_counts(
    fresh_engine: sa.Engine,
    org_token: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sessionscope.cli import _actor, main

    path = tmp_path / "export.binpb"
    path.write_bytes(recorded("v2-builtin-stdio.binpb").SerializeToString())
    monkeypatch.setenv("DATABASE_URL", fresh_engine.url.render_as_string(hide_password=False))
    assert main(["ingest", str(path), "--org", "acme"]) == 0
    a = audit_log.c
    with fresh_engine.connect() as conn:
        query = sa.select(a.org_id, a.actor_email, a.detail).where(a.action == "ingest.file")
        org_id, actor, detail = conn.execute(query).one()
    assert (org_id, actor) == ("org_acme", _actor())
    assert detail["file"] == "export.binpb" and detail["problems"] == 0
    assert detail["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert detail["requests"] == 1 and detail["spans"] > 0 and detail["sessions"] == 1
    assert detail["calls_inserted"] == len(table(fresh_engine, tool_calls, "id"))


def test_ingest_reads_json_lines_and_protobuf_files_and_names_a_bad_line(
    fresh_engine: sa.Engine,
    org_token: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`sessionscope ingest`: the JSON exporter's lines and a gzipped protobuf export land;
    a file with one broken line writes its good lines and names the bad one (exit 2)."""
    from sessionscope.cli import main

    monkeypatch.setenv("DATABASE_URL", fresh_engine.url.render_as_string(hide_password=False))
    packed = tmp_path / "openllmetry.binpb.gz"
    packed.write_bytes(gzip.compress(recorded("v1-openllmetry-stdio.binpb").SerializeToString()))
    assert main(["ingest", str(OTLP / "v2-builtin-stdio.json"), str(packed), "--org", "acme"]) == 0
    assert len(table(fresh_engine, sessions, "id")) == 2
    broken = tmp_path / "broken.jsonl"
    good = (OTLP / "v2-builtin-stdio.json").read_bytes().splitlines()[0]
    broken.write_bytes(
        good + b'\n{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": 1}]}]}]}\n'
    )
    assert main(["ingest", str(broken), "--org", "acme"]) == 2
    assert f"{broken}:2:" in capsys.readouterr().out
