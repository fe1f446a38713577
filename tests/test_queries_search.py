"""Payload search on both backends: semantics (any case, any language, phrases, hostile text),
org isolation and archived sessions, keyset pages and hits, and the index kept by writers."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from queries import search, textmatch
from queries.search import BadQuery, SearchFilter
from sessionscope import policy, redaction_apply, retention, schema
from tests import factories
from tests.conftest import BACKENDS, PG_TRGM
from tests.factories import T0
from tests.importing import CALL_A, GOOD, import_lines


# Every test here runs on SQLite (FTS5), the embedded PostgreSQL (no pg_trgm: a scan) and a
# PostgreSQL with pg_trgm (migration 0009's trigram indexes): the same results on each.
@pytest.fixture(scope="session", params=[*BACKENDS, PG_TRGM])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


S = timedelta(seconds=1)
A = {"org_id": "org_a", "session_id": "ses_t"}

# (id, seq, input, output, error_message): each holds one kind of text the tests look for.
CALLS = [
    ("tc_de", 1, {"name": "Müller", "city": "München"}, {"ok": True}, None),
    ("tc_jp", 2, {"q": "x"}, {"place": "東京タワー"}, None),
    ("tc_gr", 3, {"q": "x"}, None, "Σφάλμα: ΕΛΛΆΔΑ unreachable"),
    ("tc_wild", 4, {"pattern": "100% off_sale \\ back"}, None, None),
    ("tc_re", 5, {"re": "a.*b(c)?[x]"}, None, None),
    ("tc_fox", 6, None, {"text": "the quick brown fox"}, None),
]


def _fill(conn: sa.Connection, ses: dict, user: dict, suffix: str = "") -> None:
    for cid, seq, inp, out, err in CALLS:
        factories.tool_call(
            conn,
            ses,
            id=cid + suffix,
            seq=seq,
            started_at=ses["started_at"] + seq * S,
            input=inp,
            output=out,
            is_error=err is not None,
            error_message=err,
        )
    factories.ticket(
        conn,
        ses,
        user,
        id="sr_1" + suffix,
        created_at=ses["started_at"] + 2 * S,
        title="Customer cust_42 cannot log in",
        summary="Refund for MÜLLER",
        context=None,
    )


@pytest.fixture()
def world(conn: sa.Connection) -> sa.Connection:
    """ses_t in org A; the same items archived in A and in org B."""
    a, b = factories.org(conn, id="org_a"), factories.org(conn, id="org_b")
    ua, ub = factories.end_user(conn, a, id="usr_a"), factories.end_user(conn, b, id="usr_b")
    sva, svb = factories.server(conn, a, id="srv_a"), factories.server(conn, b, id="srv_b")
    _fill(conn, factories.session(conn, a, ua, sva, id="ses_t", started_at=T0), ua)
    arch = factories.session(conn, a, ua, sva, id="ses_arch", started_at=T0, archived_at=T0)
    _fill(conn, arch, ua, "_arch")
    _fill(conn, factories.session(conn, b, ub, svb, id="ses_b", started_at=T0), ub, "_b")
    return conn


SEMANTICS = [
    # any case, any language (2-character 東京 is under the trigram index's 3)
    ("müller", ["tc_de", "sr_1"]),
    ("MÜLLER", ["tc_de", "sr_1"]),
    ("mÜlLeR", ["tc_de", "sr_1"]),
    ("ünch", ["tc_de"]),
    ("東京", ["tc_jp"]),
    ("東京タワー", ["tc_jp"]),
    ("ελλάδα", ["tc_gr"]),
    ("Ελλάδα", ["tc_gr"]),
    ("σφάλμα", ["tc_gr"]),
    # substrings of the JSON text: a key, a value, key and value with JSON punctuation
    ("city", ["tc_de"]),
    ('"place"', ["tc_jp"]),
    ("quick brown", ["tc_fox"]),
    ("brown quick", []),
    # wildcards, regex characters and backslashes are literal
    ("100%", ["tc_wild"]),
    ("%", ["tc_wild"]),
    ("_", ["tc_wild", "sr_1"]),
    ("off_sale", ["tc_wild"]),
    ("off%sale", []),
    ("\\", ["tc_wild"]),
    (".*", ["tc_re"]),
    ("(c)?[x]", ["tc_re"]),
    ("a.b", []),
    ("cust_42", ["sr_1"]),
    ("", []),
    ("   ", []),
]
ORDER = ["tc_de", "tc_jp", "sr_1", "tc_gr", "tc_wild", "tc_re", "tc_fox"]


@pytest.mark.parametrize(("q", "expected"), SEMANTICS)
def test_payload_matches_semantics(world: sa.Connection, q: str, expected: list[str]) -> None:
    found = search.payload_matches(world, **A, q=q)
    assert found == [i for i in ORDER if i in expected]


@pytest.fixture(params=[search.WALK_SESSIONS, 1, 0], ids=["walk", "both", "index"])
def walk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Sessions checked one by one before the index is asked: the default, 1 (the newest,
    then the older ones through the index) or 0 (all through the index: pg_trgm or FTS5)."""
    monkeypatch.setattr(search, "WALK_SESSIONS", request.param)
    return request.param


@pytest.mark.parametrize(("q", "expected"), [s for s in SEMANTICS if s[1]])
def test_sessions_matching_finds_the_same_items(
    world: sa.Connection, q: str, expected: list[str], walk: int
) -> None:
    page = search.sessions_matching(world, org_id="org_a", q=q)
    assert [s.id for s in page.sessions] == ["ses_t"]  # not the archived one, not org B's
    hits = page.sessions[0].hits
    assert sorted(h.id for h in hits) == sorted(expected)
    for hit in hits:  # the snippet marks the phrase itself
        assert hit.snippet[hit.start : hit.end].lower() == q.strip().lower()
        assert hit.offset >= 0


def test_hostile_queries_are_refused_with_a_message(world: sa.Connection) -> None:
    for q in ("a\x00b", "\x00", "x" * 10_240):
        with pytest.raises(BadQuery) as refused:
            search.sessions_matching(world, org_id="org_a", q=q)
        assert "NUL" in str(refused.value) or "limit is 200" in str(refused.value)
        with pytest.raises(BadQuery):
            search.payload_matches(world, **A, q=q)
    at_limit = "x" * search.MAX_QUERY_CHARS
    assert search.sessions_matching(world, org_id="org_a", q=at_limit).sessions == ()


def test_other_orgs_and_archived_sessions_are_not_searched(world: sa.Connection) -> None:
    page = search.sessions_matching(world, org_id="org_b", q="Müller")
    assert [s.id for s in page.sessions] == ["ses_b"]
    assert {h.id for h in page.sessions[0].hits} == {"tc_de_b", "sr_1_b"}
    assert search.payload_matches(world, org_id="org_b", session_id="ses_t", q="Müller") == []
    assert search.payload_matches(world, org_id="org_a", session_id="ses_arch", q="Müller") == []
    assert search.sessions_matching(world, org_id="org_c", q="Müller").sessions == ()


def test_hit_fields_and_snippets(world: sa.Connection) -> None:
    page = search.sessions_matching(world, org_id="org_a", q="müller")
    by_id = {h.id: h for h in page.sessions[0].hits}
    de, ticket = by_id["tc_de"], by_id["sr_1"]
    assert (de.kind, de.seq, de.label, de.field) == ("call", 1, "search", "input")
    assert de.snippet[de.start : de.end] == "Müller"  # as stored, not \u-escaped
    assert (ticket.kind, ticket.field, ticket.snippet) == ("ticket", "summary", "Refund for MÜLLER")
    assert ticket.snippet[ticket.start : ticket.end] == "MÜLLER"
    error = search.sessions_matching(world, org_id="org_a", q="ελλάδα").sessions[0].hits[0]
    assert (error.field, error.snippet[error.start : error.end]) == ("error_message", "ΕΛΛΆΔΑ")


def test_a_long_text_is_cut_around_the_match(conn: sa.Connection) -> None:
    o = factories.org(conn, id="org_a")
    ses = factories.session(conn, o, factories.end_user(conn, o), factories.server(conn, o))
    text = "a" * 500 + "needle" + "b" * 500
    factories.tool_call(conn, ses, input={"t": text})
    hit = search.sessions_matching(conn, org_id="org_a", q="NEEDLE").sessions[0].hits[0]
    assert hit.snippet == "…" + "a" * 60 + "needle" + "b" * 60 + "…"
    assert (hit.start, hit.end) == (61, 67)
    assert hit.offset == len('{"t": "') + 500 or hit.offset == len('{"t":"') + 500


def _sessions(conn: sa.Connection, n: int) -> None:
    """n sessions of org A, ses_0 oldest, each with a call holding 'needle'; two users,
    two servers, alternating statuses, one a day."""
    o = factories.org(conn, id="org_a")
    users = [factories.end_user(conn, o, id=f"usr_{i}") for i in range(2)]
    servers = [factories.server(conn, o, id=f"srv_{i}") for i in range(2)]
    for i in range(n):
        ses = factories.session(
            conn,
            o,
            users[i % 2],
            servers[i % 2],
            id=f"ses_{i}",
            started_at=T0 + timedelta(days=i),
            status=("completed", "failed")[i % 2],
        )
        for k in range(i + 1):  # ses_i has i+1 matching calls
            factories.tool_call(conn, ses, id=f"tc_{i}_{k}", seq=k, input={"q": f"needle {k}"})


def test_keyset_pages_newest_first_without_overlap(conn: sa.Connection, walk: int) -> None:
    _sessions(conn, 5)
    seen, after = [], None
    for _ in range(4):
        page = search.sessions_matching(conn, org_id="org_a", q="needle", after=after, limit=2)
        seen.append([s.id for s in page.sessions])
        after = page.next_cursor
        if after is None:
            break
    assert seen == [["ses_4", "ses_3"], ["ses_2", "ses_1"], ["ses_0"]]


def test_hits_per_session_are_limited_in_timeline_order(conn: sa.Connection) -> None:
    _sessions(conn, 5)
    page = search.sessions_matching(conn, org_id="org_a", q="needle", hits_per_session=3)
    first = {s.id: s for s in page.sessions}
    assert [h.id for h in first["ses_4"].hits] == ["tc_4_0", "tc_4_1", "tc_4_2"]
    assert first["ses_4"].more and first["ses_3"].more and not first["ses_2"].more
    assert [h.id for h in first["ses_0"].hits] == ["tc_0_0"]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (SearchFilter(end_user_id="usr_1"), ["ses_3", "ses_1"]),
        (SearchFilter(server_id="srv_0"), ["ses_4", "ses_2", "ses_0"]),
        (SearchFilter(statuses=("failed",)), ["ses_3", "ses_1"]),
        (
            SearchFilter(date_from=T0.date() + timedelta(days=1)),
            ["ses_4", "ses_3", "ses_2", "ses_1"],
        ),
        (SearchFilter(date_to=T0.date() + timedelta(days=1)), ["ses_1", "ses_0"]),
        (SearchFilter(end_user_id="usr_0", date_from=date(2099, 1, 1)), []),
    ],
)
def test_filters(conn: sa.Connection, flt: SearchFilter, expected: list[str], walk: int) -> None:
    _sessions(conn, 5)
    page = search.sessions_matching(conn, org_id="org_a", q="NEEDLE", flt=flt)
    assert [s.id for s in page.sessions] == expected


# --- the index is kept by the writers, in their transaction ------------------------------------


def _found(engine: sa.Engine, q: str) -> list[str]:
    with engine.connect() as conn:
        page = search.sessions_matching(conn, org_id="org_a", q=q)
        return sorted(h.id for s in page.sessions for h in s.hits)


def _index_rows(engine: sa.Engine) -> int | None:
    """SQLite: the index's documents, which must be one per call and ticket."""
    if engine.dialect.name != "sqlite":
        return None
    with engine.connect() as conn:
        docs = conn.execute(sa.text("SELECT count(*) FROM search_docs")).scalar_one()
        fts = conn.execute(sa.text("SELECT count(*) FROM search_fts")).scalar_one()
        rows = conn.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM tool_calls) + (SELECT count(*) FROM support_tickets)"
            )
        ).scalar_one()
    assert docs == fts == rows
    return docs


def test_import_redaction_and_retention_keep_the_index(
    fresh_engine: sa.Engine, tmp_path: Path
) -> None:
    call = CALL_A | {"input": {"codename": "zebraunicorn", "city": "Zürich"}}
    ticket = {
        "type": "support_ticket",
        "id": "sr_a",
        "org_id": "org_a",
        "session_id": "ses_a",
        "end_user_id": "usr_a",
        "title": "Zebraunicorn escaped",
        "status": "pending",
        "priority": "low",
        "created_at": "2026-11-01T12:00:01Z",
    }
    import_lines(fresh_engine, tmp_path, *GOOD, call, ticket)
    assert _found(fresh_engine, "ZEBRAUNICORN") == ["sr_a", "tc_a"]
    assert _found(fresh_engine, "zürich") == ["tc_a"]
    assert _index_rows(fresh_engine) in (None, 2)

    with fresh_engine.begin() as conn:  # redaction rewrites the stored payload
        rules = {"keys": ["codename"], "patterns": []}
        policy.set_redaction(conn, org_id="org_a", rules=rules, actor="admin@a.example")
    redaction_apply.apply(fresh_engine, org_id="org_a", actor="cli:test")
    assert _found(fresh_engine, "zebraunicorn") == ["sr_a"]  # the ticket title has no key
    assert _found(fresh_engine, "zürich") == ["tc_a"]
    assert _index_rows(fresh_engine) in (None, 2)

    with fresh_engine.begin() as conn:  # retention deletes the session's rows
        policy.set_retention(conn, org_id="org_a", days=1, actor="admin@a.example")
    retention.apply(fresh_engine, actor="cli:test", now=datetime(2030, 1, 1, tzinfo=UTC))
    assert _found(fresh_engine, "zürich") == []
    assert _index_rows(fresh_engine) in (None, 0)


def test_a_rolled_back_write_leaves_no_index_entry(fresh_engine: sa.Engine) -> None:
    with fresh_engine.begin() as conn:
        o = factories.org(conn, id="org_a")
        ses = factories.session(conn, o, factories.end_user(conn, o), factories.server(conn, o))
    with fresh_engine.connect() as conn:
        trans = conn.begin()
        factories.tool_call(conn, ses, input={"q": "ghostly"})
        assert search.sessions_matching(conn, org_id="org_a", q="ghostly").sessions != ()
        trans.rollback()
    assert _found(fresh_engine, "ghostly") == []
    assert _index_rows(fresh_engine) in (None, 0)


def test_updates_of_indexed_text_re_index_and_others_keep_it(fresh_engine: sa.Engine) -> None:
    with fresh_engine.begin() as conn:
        o = factories.org(conn, id="org_a")
        ses = factories.session(conn, o, factories.end_user(conn, o), factories.server(conn, o))
        factories.tool_call(conn, ses, id="tc_u", input={"q": "first words"}, error_message="oops")
        factories.ticket(conn, ses, factories.end_user(conn, o), id="sr_u", title="Ticket one")
    with fresh_engine.begin() as conn:  # ingest renumbering: seq only
        conn.execute(sa.text("UPDATE tool_calls SET seq = 7 WHERE id = 'tc_u'"))
    assert _found(fresh_engine, "first words") == ["tc_u"]
    with fresh_engine.begin() as conn:
        conn.execute(sa.text("UPDATE tool_calls SET error_message = 'kaputt' WHERE id = 'tc_u'"))
        conn.execute(sa.text("UPDATE support_tickets SET title = 'Zweites' WHERE id = 'sr_u'"))
    assert _found(fresh_engine, "oops") == [] and _found(fresh_engine, "Ticket one") == []
    assert _found(fresh_engine, "KAPUTT") == ["tc_u"] and _found(fresh_engine, "zweites") == [
        "sr_u"
    ]
    assert _found(fresh_engine, "first words") == ["tc_u"]
    assert _index_rows(fresh_engine) in (None, 2)


def test_the_upgrade_indexes_rows_already_there(fresh_engine: sa.Engine) -> None:
    from sessionscope.migrate import downgrade, upgrade

    downgrade(fresh_engine, "0008")
    with fresh_engine.begin() as conn:
        o = factories.org(conn, id="org_a")
        ses = factories.session(conn, o, factories.end_user(conn, o), factories.server(conn, o))
        factories.tool_call(conn, ses, id="tc_old", input={"q": "Ölpreis steigt"})
        factories.tool_call(conn, ses, id="tc_bad", input=None, output=None, error_message="x")
    upgrade(fresh_engine)
    assert _found(fresh_engine, "ÖLPREIS") == ["tc_old"]
    assert _index_rows(fresh_engine) in (None, 2)


def test_text_that_is_not_json_is_indexed_not_refused(fresh_engine: sa.Engine) -> None:
    """An outside writer may store any text in a JSON column on SQLite; the trigger must not
    fail its insert."""
    with fresh_engine.begin() as conn:
        o = factories.org(conn, id="org_a")
        ses = factories.session(conn, o, factories.end_user(conn, o), factories.server(conn, o))
        factories.tool_call(conn, ses, id="tc_x", input={"q": "placeholder"})
        if fresh_engine.dialect.name == "sqlite":
            conn.execute(sa.text("UPDATE tool_calls SET input = 'not json {' WHERE id = 'tc_x'"))
        else:
            conn.execute(
                sa.text("UPDATE tool_calls SET input = CAST(:v AS jsonb) WHERE id = 'tc_x'"),
                {"v": json.dumps("not json {")},
            )
    assert _found(fresh_engine, "not json") == ["tc_x"]


def test_index_kind_says_which_index_serves(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        kind = search.index_kind(conn)
        if engine.dialect.name == "sqlite":
            assert kind == "fts5"
        else:
            has = conn.execute(
                sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
            ).first()
            assert kind == ("pg_trgm" if has else "scan")


# expression index -> the condition it must serve (queries.textmatch, as the search builds it)
TRIGRAM_INDEXES = {
    "ix_tool_calls_input_trgm": lambda q: textmatch.json_contains(schema.tool_calls.c.input, q),
    "ix_tool_calls_output_trgm": lambda q: textmatch.json_contains(schema.tool_calls.c.output, q),
    "ix_tool_calls_error_message_trgm": lambda q: textmatch.text_contains(
        schema.tool_calls.c.error_message, q
    ),
    "ix_support_tickets_title_trgm": lambda q: textmatch.text_contains(
        schema.support_tickets.c.title, q
    ),
    "ix_support_tickets_summary_trgm": lambda q: textmatch.text_contains(
        schema.support_tickets.c.summary, q
    ),
    "ix_support_tickets_context_trgm": lambda q: textmatch.text_contains(
        schema.support_tickets.c.context, q
    ),
}


def test_the_trigram_indexes_serve_the_searchs_comparisons(databases) -> None:
    """On a server with pg_trgm, each of the compared expressions has its GIN index and the
    planner can answer the comparison from it (so the expressions agree, character for
    character, with what queries.textmatch builds)."""
    engine = databases.engine(PG_TRGM)
    with engine.begin() as conn:
        assert search.index_kind(conn) == "pg_trgm"
        made = sa.text("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%\\_trgm'")
        assert set(conn.execute(made).scalars()) == set(TRIGRAM_INDEXES)
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a few rows: else a scan
        for name, condition in TRIGRAM_INDEXES.items():
            table = schema.tool_calls if "tool_calls" in name else schema.support_tickets
            stmt = sa.select(table.c.id).where(condition("Zürich 100%"))
            compiled = stmt.compile(dialect=conn.dialect)
            # SQLAlchemy's own compiled text (the values stay bound parameters), not input.
            explain = f"EXPLAIN {compiled}"
            plan = conn.exec_driver_sql(explain, compiled.params).scalars().all()
            assert any(name in line for line in plan), (name, plan)
