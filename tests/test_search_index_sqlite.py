"""SQLite's payload search index as migration 0012 keeps it: documents queued and indexed in
batches, the stored JSON text without JSON punctuation (the fast path) and, when it holds a
\\u escape, json_tree's text too. The index must stay a superset of what the search's exact
comparison finds, for the app's writes and for outside writers with plain sqlite3."""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa

from queries import search
from sessionscope.db import make_engine
from sessionscope.migrate import downgrade, upgrade
from sessionscope.settings import PROJECT_ROOT
from sessionscope.textfold import fold_json
from tests import factories
from tests.factories import T0


def _migration() -> ModuleType:
    path = PROJECT_ROOT / "migrations" / "versions" / "0012_search_index_cost.py"
    spec = importlib.util.spec_from_file_location("migration_0012", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


M0012 = _migration()


@pytest.fixture()
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "search.db"


@pytest.fixture()
def sqlite_engine(db_path: Path) -> Iterator[sa.Engine]:
    engine = make_engine(f"sqlite:///{db_path}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture()
def user(sqlite_engine: sa.Engine) -> dict[str, Any]:
    with sqlite_engine.begin() as conn:
        return factories.end_user(conn, factories.org(conn, id="org_a"), id="usr_a")


@pytest.fixture()
def ses(sqlite_engine: sa.Engine, user: dict[str, Any]) -> dict[str, Any]:
    with sqlite_engine.begin() as conn:
        srv = factories.server(conn, {"id": "org_a"})
        return factories.session(conn, {"id": "org_a"}, user, srv, id="ses_a", started_at=T0)


def _raw_call(db_path: Path, call_id: str, input_text: str | None, **kw: Any) -> None:
    """A tool call written by an outside writer: plain sqlite3, no function of the app."""
    con = sqlite3.connect(db_path)
    try:
        row = (call_id, kw.get("seq", 1), input_text, kw.get("output"), kw.get("error"))
        con.execute(
            "INSERT INTO tool_calls (id, org_id, session_id, seq, tool_name, input, output, "
            "error_message, started_at) "
            "VALUES (?, 'org_a', 'ses_a', ?, 't', ?, ?, ?, '2026-11-01 12:00:01')",
            row,
        )
        con.commit()
    finally:
        con.close()


def _queued(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM search_docs_pending")).scalar_one()


def _flush_with_fillers(db_path: Path) -> None:
    """Insert filler calls (plain sqlite3) until the queue's trigger indexes the queue."""
    con = sqlite3.connect(db_path)
    try:
        missing = (
            M0012.PENDING_BATCH
            - con.execute("SELECT count(*) FROM search_docs_pending").fetchone()[0]
        )
        rows = [
            (f"tc_fill_{uuid.uuid4().hex}", 1000 + n, json.dumps({"filler": n}), "2026-11-01")
            for n in range(missing)
        ]
        con.executemany(
            "INSERT INTO tool_calls (id, org_id, session_id, seq, tool_name, input, started_at) "
            "VALUES (?, 'org_a', 'ses_a', ?, 'fill', ?, ?)",
            rows,
        )
        con.commit()
        assert con.execute("SELECT count(*) FROM search_docs_pending").fetchone()[0] == 0
    finally:
        con.close()


def _indexed(engine: sa.Engine, q: str) -> set[str]:
    """Item ids the FTS index alone finds for q (queries.search's phrase; no queue)."""
    phrase = '"' + q.replace('"', '""') + '"'
    stmt = sa.text(
        "SELECT d.item_id FROM search_docs AS d WHERE d.docid IN "
        "(SELECT rowid FROM search_fts WHERE search_fts MATCH :p)"
    )
    with engine.connect() as conn:
        return set(conn.execute(stmt, {"p": phrase}).scalars())


def _found(engine: sa.Engine, q: str) -> list[str]:
    """What the search shows: the ids of the matching calls and tickets."""
    with engine.connect() as conn:
        page = search.sessions_matching(conn, org_id="org_a", q=q, hits_per_session=1000)
        return sorted(h.id for s in page.sessions for h in s.hits)


def _text(engine: sa.Engine, call_id: str) -> str | None:
    """The indexed text of a call's input, as the content view computes it."""
    stmt = sa.text(
        "SELECT v.input FROM search_docs_text AS v JOIN search_docs AS d ON d.docid = v.docid "
        "WHERE d.kind = 'call' AND d.item_id = :id"
    )
    with engine.connect() as conn:
        return conn.execute(stmt, {"id": call_id}).scalar_one()


def test_the_index_skips_only_what_search_never_asks_it_for() -> None:
    """The characters the indexed text leaves out are those a query must not hold to use the
    index (queries.search._JSON_PUNCTUATION): else a query holding one would miss rows."""
    assert {chr(c) for c in M0012.STRIPPED} <= search._JSON_PUNCTUATION


def test_fast_path_indexes_the_stored_json_text(
    sqlite_engine: sa.Engine, ses: dict[str, Any], db_path: Path
) -> None:
    with sqlite_engine.begin() as conn:
        factories.tool_call(conn, ses, id="tc_ascii", input={"query": "Refund Policy", "limit": 10})
    # an outside writer's JSON, spaced and numbered its own way, with escapes but no \u
    _raw_call(db_path, "tc_raw", '{"price":1.50,"note":"line1\\nline2 \\"quoted\\"","n":1e-05}')
    assert _text(sqlite_engine, "tc_ascii") is None  # queued: no text in the index yet
    assert _found(sqlite_engine, "refund policy") == ["tc_ascii"]  # found through the queue
    _flush_with_fillers(db_path)

    assert _text(sqlite_engine, "tc_ascii") == "query Refund Policy limit 10"
    for q, ids in [
        ("refund policy", {"tc_ascii"}),
        ("REFUND", {"tc_ascii"}),
        ("1.50", {"tc_raw"}),  # as written, not as SQLite prints the number (1.5)
        ("1e-05", {"tc_raw"}),
        ("nline2", {"tc_raw"}),  # the n of \n is in the compared text
        ("quoted", {"tc_raw"}),
    ]:
        assert ids <= _indexed(sqlite_engine, q), q
        assert _found(sqlite_engine, q) == sorted(ids), q


def test_escaped_non_ascii_is_indexed_as_it_reads(
    sqlite_engine: sa.Engine, ses: dict[str, Any], user: dict[str, Any], db_path: Path
) -> None:
    payload = {"name": "Müller", "city": "Zürich", "price": 1.5, "emoji": "ok 😀 ok"}
    with sqlite_engine.begin() as conn:
        factories.tool_call(conn, ses, id="tc_de", input=payload)
        stored = conn.execute(sa.text("SELECT input FROM tool_calls WHERE id = 'tc_de'")).scalar()
        factories.ticket(conn, ses, user, id="sr_de", title="Rückruf für MÜLLER")
    assert "\\u00fc" in stored  # SQLAlchemy's JSON text: the json_tree path
    _flush_with_fillers(db_path)

    for q, ids in [
        ("müller", {"tc_de", "sr_de"}),
        ("MÜLLER", {"tc_de", "sr_de"}),
        ("zürich", {"tc_de"}),
        ("ok 😀 ok", {"tc_de"}),
        ("1.5", {"tc_de"}),
    ]:
        assert ids <= _indexed(sqlite_engine, q), q
        assert _found(sqlite_engine, q) == sorted(ids), q


def _substrings(text: str, punctuation: frozenset[str]) -> Iterator[str]:
    """Every substring of 3 to 8 characters the index is asked for (no JSON punctuation)."""
    for run in re.split("|".join(re.escape(c) for c in punctuation), text):
        for size in range(3, 9):
            for i in range(len(run) - size + 1):
                if run[i : i + size].strip() == run[i : i + size]:  # clean_query strips
                    yield run[i : i + size]


@pytest.mark.parametrize(
    "stored",
    [
        '{"price": 1.50, "big": 123456789012345678901234, "n": 1e-05, "ok": true}',
        '{"note": "line1\\nline2\\ttab \\"quoted\\" back\\\\slash", "a": [1, 2]}',
        json.dumps({"name": "Müller", "note": "Straße\nNeu", "greek": "ΕΛΛΆΔΑ", "p": 1.25}),
        json.dumps({"Schlüssel": ["東京タワー", {"x": None}], "e": "a😀b"}),
        '{"mixed": "M\\u00fcller 1.50", "n": 2.50}',
        "not json { at all: Müller, 1.50",
    ],
)
def test_every_substring_the_search_compares_is_a_candidate(
    sqlite_engine: sa.Engine, ses: dict[str, Any], db_path: Path, stored: str
) -> None:
    """The index is a superset filter: each substring of the text the search compares
    (fold_json of the stored text) that the index is asked for finds the row."""
    _raw_call(db_path, "tc_s", stored)
    _flush_with_fillers(db_path)
    compared = fold_json(stored)
    assert compared is not None
    for q in set(_substrings(compared, search._JSON_PUNCTUATION)):
        assert "tc_s" in _indexed(sqlite_engine, q), q


def test_outside_writer_with_plain_sqlite3(
    sqlite_engine: sa.Engine, ses: dict[str, Any], db_path: Path
) -> None:
    """The triggers, the queue's flush included, need no function of the app."""
    _raw_call(db_path, "tc_text", "not json { but Müller", output='{"r": "Gr\\u00fc\\u00dfe"}')
    _raw_call(db_path, "tc_null", None, error="Timeout talking to upstream", seq=2)
    con = sqlite3.connect(db_path)
    try:
        con.execute(
            "INSERT INTO support_tickets (id, org_id, session_id, end_user_id, title, summary, "
            "status, priority, created_at) VALUES ('sr_raw', 'org_a', 'ses_a', 'usr_a', "
            "'Outside ticket', 'Kunde sagt grüße', 'pending', 'low', '2026-11-01 12:00:02')"
        )
        con.commit()
    finally:
        con.close()
    expected = {
        "müller": ["tc_text"],
        "grüße": ["sr_raw", "tc_text"],
        "upstream": ["tc_null"],
        "outside ticket": ["sr_raw"],
    }
    for q, ids in expected.items():
        assert _found(sqlite_engine, q) == ids, q  # queued
    _flush_with_fillers(db_path)  # plain sqlite3 runs the flush
    assert _queued(sqlite_engine) == 0
    for q, ids in expected.items():
        assert set(ids) <= _indexed(sqlite_engine, q), q
        assert _found(sqlite_engine, q) == ids, q


def _integrity_check(engine: sa.Engine) -> None:
    """FTS5's check of its own structures (not against the content view: json_tree in it)."""
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO search_fts (search_fts) VALUES ('integrity-check')"))


@pytest.mark.parametrize("indexed", [True, False], ids=["indexed", "queued"])
def test_a_rewrite_of_the_payload_re_indexes_it(
    sqlite_engine: sa.Engine, ses: dict[str, Any], db_path: Path, indexed: bool
) -> None:
    """Redaction rewrites stored payloads (UPDATE); retention deletes rows."""
    with sqlite_engine.begin() as conn:
        factories.tool_call(conn, ses, id="tc_r", input={"codename": "zebraunicorn", "c": "Zürich"})
        factories.tool_call(conn, ses, id="tc_k", seq=2, input={"keep": "zebraunicorn"})
    if indexed:
        _flush_with_fillers(db_path)
    with sqlite_engine.begin() as conn:
        redacted = json.dumps({"codename": "[REDACTED]", "c": "Zürich"})
        conn.execute(sa.text("UPDATE tool_calls SET input = :v WHERE id = 'tc_r'"), {"v": redacted})
        conn.execute(sa.text("UPDATE tool_calls SET seq = 9 WHERE id = 'tc_k'"))  # not re-indexed
    assert _found(sqlite_engine, "zebraunicorn") == ["tc_k"]
    assert _found(sqlite_engine, "redacted") == ["tc_r"]
    assert _found(sqlite_engine, "zürich") == ["tc_r"]
    assert "tc_r" not in _indexed(sqlite_engine, "zebraunicorn")
    _flush_with_fillers(db_path)
    assert _indexed(sqlite_engine, "redacted") == {"tc_r"}
    assert _indexed(sqlite_engine, "zebraunicorn") == {"tc_k"}
    _integrity_check(sqlite_engine)

    with sqlite_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM tool_calls WHERE id IN ('tc_r', 'tc_k')"))
    assert _found(sqlite_engine, "zürich") == [] and _found(sqlite_engine, "zebraunicorn") == []
    assert _indexed(sqlite_engine, "zürich") == set()
    _integrity_check(sqlite_engine)
    with sqlite_engine.connect() as conn:
        docs = conn.execute(sa.text("SELECT count(*) FROM search_docs")).scalar_one()
        fts = conn.execute(sa.text("SELECT count(*) FROM search_fts")).scalar_one()
        calls = conn.execute(sa.text("SELECT count(*) FROM tool_calls")).scalar_one()
    assert docs == fts == calls


# Queries over the rows of test_upgrade_and_downgrade_keep_search_results.
QUERIES = [
    *("müller", "MÜLLER", "zürich", "1.50", "refund policy", "quoted", "nline2", "東京タワー"),
    *("ελλάδα", "not json", "upstream", "ticket", "100% off", "a.*b", "ok 😀"),
]


def _rows(db_path: Path) -> None:
    """Calls and tickets of every kind of text, written with plain sqlite3 (at any revision)."""
    calls = [
        json.dumps({"name": "Müller", "city": "Zürich"}),
        '{"price":1.50,"note":"line1\\nline2 \\"quoted\\""}',
        json.dumps({"q": "Refund Policy", "place": "東京タワー", "e": "ok 😀 ok"}),
        json.dumps({"pattern": "100% off", "re": "a.*b(c)?"}),
        "not json {",
        None,
    ]
    con = sqlite3.connect(db_path)
    try:
        for n, text in enumerate(calls):
            error = "Σφάλμα: ΕΛΛΆΔΑ upstream" if text is None else None
            con.execute(
                "INSERT INTO tool_calls (id, org_id, session_id, seq, tool_name, input, "
                "error_message, started_at) "
                "VALUES (?, 'org_a', 'ses_a', ?, 't', ?, ?, '2026-11-01 12:00:01')",
                (f"tc_{n}", n + 1, text, error),
            )
        con.execute(
            "INSERT INTO support_tickets (id, org_id, session_id, end_user_id, title, summary, "
            "status, priority, created_at) VALUES ('sr_0', 'org_a', 'ses_a', 'usr_a', "
            "'Ticket for MÜLLER', 'Refund policy', 'pending', 'low', '2026-11-01 12:00:02')"
        )
        con.commit()
    finally:
        con.close()


def _expected(db_path: Path) -> dict[str, list[str]]:
    """The exact comparison over every row, without any index: what search must return."""
    con = sqlite3.connect(db_path)
    try:
        calls = con.execute("SELECT id, input, output, error_message FROM tool_calls").fetchall()
        tickets = con.execute("SELECT id, title, summary, context FROM support_tickets").fetchall()
    finally:
        con.close()
    out = {}
    for q in QUERIES:
        low = q.lower()
        hits = [
            c[0]
            for c in calls
            if any(low in (fold_json(t) or "") for t in c[1:3]) or low in (c[3] or "").lower()
        ]
        hits += [t[0] for t in tickets if any(low in (x or "").lower() for x in t[1:])]
        out[q] = sorted(hits)
    return out


def _found_at_0011(engine: sa.Engine, q: str) -> list[str]:
    """What 0011's search (0009's index, no queue) returns: the FTS candidates (when the
    index may answer), then the exact comparison."""
    with engine.connect() as conn:
        docs = None
        if search._fts_usable(conn, q):
            phrase = '"' + q.replace('"', '""') + '"'
            stmt = sa.text(
                "SELECT item_id FROM search_docs WHERE docid IN "
                "(SELECT rowid FROM search_fts WHERE search_fts MATCH :p)"
            )
            docs = set(conn.execute(stmt, {"p": phrase}).scalars())
        c, t = search.tool_calls.c, search.support_tickets.c
        calls = conn.execute(sa.select(c.id).where(search._call_text(q))).scalars()
        tickets = conn.execute(sa.select(t.id).where(search._ticket_text(q))).scalars()
        return sorted(i for i in [*calls, *tickets] if docs is None or i in docs)


def test_upgrade_and_downgrade_keep_search_results(db_path: Path) -> None:
    """Rows written before 0012 are found as before it, and then some: 0009's index missed
    text its json_tree rendering does not hold. Downgrade brings 0009's results back."""
    engine = make_engine(f"sqlite:///{db_path}")
    try:
        upgrade(engine, "0011")
        with engine.begin() as conn:
            o = factories.org(conn, id="org_a")
            u = factories.end_user(conn, o, id="usr_a")
            factories.session(conn, o, u, factories.server(conn, o), id="ses_a", started_at=T0)
        _rows(db_path)
        expected = _expected(db_path)
        assert expected["müller"] == ["sr_0", "tc_0"] and expected["1.50"] == ["tc_1"]
        before = {q: _found_at_0011(engine, q) for q in QUERIES}
        # 0009's index held json_tree's text only: "1.5", and "line1<newline>line2"
        assert before == expected | {"1.50": [], "nline2": []}

        upgrade(engine, "0012")  # existing rows: indexed by the upgrade, none queued
        assert _queued(engine) == 0
        assert {q: _found(engine, q) for q in QUERIES} == expected
        for q in ("müller", "1.50", "refund policy", "東京タワー", "not json"):
            assert set(expected[q]) <= _indexed(engine, q), q
        _integrity_check(engine)

        downgrade(engine, "0011")
        assert "search_docs_pending" not in sa.inspect(engine).get_table_names()
        assert {q: _found_at_0011(engine, q) for q in QUERIES} == before
        with engine.connect() as conn:
            indexes = {i["name"] for i in sa.inspect(conn).get_indexes("search_docs")}
        assert "ix_search_docs_session" in indexes
        upgrade(engine)
        assert {q: _found(engine, q) for q in QUERIES} == expected
    finally:
        engine.dispose()
