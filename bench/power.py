"""Issue 18's targets on one PostgreSQL data set: org-wide payload search, the within-session
find, compare, the Tool paths and MCP traffic panels, and ingest with the search index kept.

"Cold" here is the first call in this process with a fresh engine (a new connection, a new
PostgreSQL backend: no plan or catalog cache of ours, no app cache); the database's own cache
(shared buffers, the OS page cache) is whatever the run left warm, so each search term is
timed once, first, and the figure is the median over distinct terms of the same kind.

    .venv/bin/python -m bench.run --only-power [--small-only]
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

import sqlalchemy as sa

from bench import datasets
from queries import compare, items, search, timeline
from queries.textmatch import json_contains, text_contains
from sessionscope.db import begin_write, make_engine
from sessionscope.schema import sessions, tool_calls
from sessionscope.seed import ACME_ORG_ID, HUGE_SESSION_ID

# Search terms, counted in the data before they are timed. Linear issue ids of the DATA team
# (a few hundred calls each in the large set), and words of many payloads.
RARE_CANDIDATES = ("data-2827", "data-1357", "data-2468")
COMMON_CANDIDATES = ("checkout", "pricing", "github.com")
COUNT_CAP = 100_000  # matching calls counted at most per term (a common term stops there)
RARE_MAX = 1_000  # a term with 1..RARE_MAX matching calls is rare
COMMON_MIN = 5_000  # and one with at least COMMON_MIN common
PAGE = 20  # sessions on the Search page's first page (components/data.py: the default)
COMPARE_CALLS = 1_000
COMPARE_EDITS = 50  # random edits of side B for the alignment's own cost (see compare_figures)
FIND_WINDOW = 100  # components/timeline_view.WINDOW: the marks of a window
TIMEOUT_MS = 120_000  # a scan past the app's 30 s is still timed, and said to be
INGEST_RUNS = 5  # per revision and database, alternating (single runs vary by +-20% here)
INGEST_BEFORE = "0008"  # the revision before the search index (0009)

BUDGET_SEARCH_MS = 500.0
BUDGET_FIND_MS = 300.0
BUDGET_COMPARE_MS = 1000.0
BUDGET_PANEL_COLD_MS, BUDGET_PANEL_WARM_MS = 1000.0, 50.0
BUDGET_INGEST_RATIO = 0.8


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


def _cold(url: str, fn: Callable[[sa.Connection], Any]) -> tuple[float, Any]:
    """fn(conn) on a fresh engine's first connection: its milliseconds and result."""
    engine = make_engine(url, statement_timeout_ms=TIMEOUT_MS)
    try:
        with engine.connect() as conn:
            started = time.perf_counter()
            result = fn(conn)
            return _ms(started), result
    finally:
        engine.dispose()


def _call_text(q: str) -> sa.ColumnElement[bool]:
    """The search's own comparison (queries.textmatch) over a call's text."""
    c = tool_calls.c
    return sa.or_(
        json_contains(c.input, q), json_contains(c.output, q), text_contains(c.error_message, q)
    )


def server_facts(url: str) -> dict[str, Any]:
    """Whether the server offers pg_trgm, whether this database has it, what search uses."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:

            def one(sql: str) -> Any:
                return conn.execute(sa.text(sql)).scalar()

            return {
                "version": one("SHOW server_version"),
                "pg_trgm_available": bool(
                    one("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'")
                ),
                "pg_trgm_installed": bool(
                    one("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")
                ),
                "search_index": search.index_kind(conn),
                "tool_calls": one(
                    "SELECT reltuples::bigint FROM pg_class WHERE relname = 'tool_calls'"
                ),
                "tool_calls_mb": one("SELECT pg_total_relation_size('tool_calls') / 1048576"),
                "shared_buffers": one("SHOW shared_buffers"),
            }
    finally:
        engine.dispose()


def count_matches(conn: sa.Connection, q: str) -> int:
    """The org's calls holding q, counted up to COUNT_CAP (bounded: a common term stops early)."""
    c = tool_calls.c
    hits = sa.select(c.id).where(c.org_id == ACME_ORG_ID, _call_text(q)).limit(COUNT_CAP)
    return conn.execute(sa.select(sa.func.count()).select_from(hits.subquery())).scalar_one()


def pick_terms(url: str) -> dict[str, dict[str, int]]:
    """The candidates that are what they claim: rare (1..RARE_MAX calls), common (at least
    COMMON_MIN); each with its count (COUNT_CAP means "at least")."""
    engine = make_engine(url, statement_timeout_ms=TIMEOUT_MS)
    try:
        with engine.connect() as conn:
            counts = {q: count_matches(conn, q) for q in (*RARE_CANDIDATES, *COMMON_CANDIDATES)}
    finally:
        engine.dispose()
    return {
        "rare": {q: counts[q] for q in RARE_CANDIDATES if 1 <= counts[q] <= RARE_MAX},
        "common": {q: counts[q] for q in COMMON_CANDIDATES if counts[q] >= COMMON_MIN},
        "rejected": {q: n for q, n in counts.items() if n == 0 or RARE_MAX < n < COMMON_MIN},
    }


def _search(url: str, q: str) -> dict[str, Any]:
    ms, page = _cold(
        url, lambda conn: search.sessions_matching(conn, org_id=ACME_ORG_ID, q=q, limit=PAGE)
    )
    return {
        "ms": ms,
        "sessions": len(page.sessions),
        "hits": sum(len(s.hits) for s in page.sessions),
        "more": page.next_cursor is not None,
    }


def search_figures(url: str, terms: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Each term's first search in the process, fresh engine; the median per kind."""
    out: dict[str, Any] = {}
    for kind in ("rare", "common"):
        timed = {q: _search(url, q) | {"calls": n} for q, n in terms[kind].items()}
        times = [t["ms"] for t in timed.values()]
        out[kind] = {
            "terms": timed,
            "median_ms": statistics.median(times) if times else None,
            "max_ms": max(times, default=None),
        }
    return out


def _find(conn: sa.Connection, q: str) -> dict[str, Any]:
    where = {"org_id": ACME_ORG_ID, "session_id": HUGE_SESSION_ID}
    flt = timeline.TimelineFilter().finding(q)
    started = time.perf_counter()
    n = timeline.count(conn, flt=flt, **where)
    first = timeline.step(conn, flt=flt, item_id=None, forward=True, **where)
    ms = _ms(started)
    window = timeline.window(conn, flt=timeline.TimelineFilter(), limit=FIND_WINDOW, **where)
    started = time.perf_counter()
    marks = timeline.kept(conn, flt=flt, item_ids=tuple(window.rows["id"]), **where)
    return {"ms": ms, "matches": n, "first": first, "marks_ms": _ms(started), "marked": len(marks)}


def find_figures(url: str, terms: list[str]) -> dict[str, Any]:
    """Count + first match in HUGE_SESSION_ID for each term (fresh engine each)."""
    timed = {q: _cold(url, lambda conn, q=q: _find(conn, q))[1] for q in terms}
    times = [t["ms"] for t in timed.values()]
    calls = _cold(url, lambda conn: conn.execute(
        sa.select(sessions.c.total_tool_calls).where(sessions.c.id == HUGE_SESSION_ID)
    ).scalar())[1]  # fmt: skip
    return {
        "session": HUGE_SESSION_ID,
        "calls": calls,
        "terms": timed,
        "median_ms": statistics.median(times) if times else None,
        "max_ms": max(times, default=None),
    }


def compare_pair(conn: sa.Connection) -> dict[str, Any]:
    """Two sessions of one user with about COMPARE_CALLS calls; else the org's two largest
    sessions, capped at COMPARE_CALLS by compare's cap (and said so)."""
    s = sessions.c
    near = (
        sa.select(s.id, s.end_user_id, s.total_tool_calls)
        .where(s.org_id == ACME_ORG_ID, s.archived_at.is_(None))
        .where(s.total_tool_calls.between(COMPARE_CALLS * 8 // 10, COMPARE_CALLS * 12 // 10))
        .order_by(sa.func.abs(s.total_tool_calls - COMPARE_CALLS), s.id)
        .limit(500)
    )
    by_user: dict[str, list[Any]] = {}
    for row in conn.execute(near):
        by_user.setdefault(row.end_user_id, []).append(row)
    pair = next((rows[:2] for rows in by_user.values() if len(rows) >= 2), None)
    how = "two sessions of one user"
    if pair is None:
        largest = sa.select(s.id, s.end_user_id, s.total_tool_calls).where(
            s.org_id == ACME_ORG_ID, s.archived_at.is_(None)
        )
        pair = list(conn.execute(largest.order_by(s.total_tool_calls.desc(), s.id).limit(2)))
        how = (
            f"no user has two sessions of {COMPARE_CALLS * 8 // 10:,}-"
            f"{COMPARE_CALLS * 12 // 10:,} calls: the org's two largest sessions, "
            f"their first {COMPARE_CALLS:,} calls (compare's cap)"
        )
    return {
        "a": pair[0].id,
        "b": pair[1].id,
        "calls": [pair[0].total_tool_calls, pair[1].total_tool_calls],
        "users": [pair[0].end_user_id, pair[1].end_user_id],
        "how": how,
    }


def _edited(calls: list[compare.Call], edits: int) -> list[compare.Call]:
    """calls with `edits` random inserts, deletions and replacements (seeded)."""
    rng, out = random.Random(18), list(calls)
    labels = sorted({c.label for c in calls}) or ["tool"]
    for n in range(edits):
        i = rng.randrange(len(out))
        op = n % 3
        if op == 0:
            out.insert(i, replace(out[i], id=f"tc_edit_{n}", label=rng.choice(labels)))
        elif op == 1 and len(out) > 1:
            del out[i]
        else:
            out[i] = replace(out[i], label=rng.choice(labels), input_class=-n)
    return out[: len(calls)]


def _compare_once(conn: sa.Connection, pair: dict[str, Any]) -> dict[str, Any]:
    """What the page does: the alignment, then both calls of a middle pair and their diff."""
    from components.compare_view import _json_text, diff_lines

    started = time.perf_counter()
    found = compare.compare(
        conn, org_id=ACME_ORG_ID, a_session_id=pair["a"], b_session_id=pair["b"],
        cap=COMPARE_CALLS,
    )  # fmt: skip
    aligned = _ms(started)
    rows = found.rows
    both = rows[rows["a_id"].notna() & rows["b_id"].notna()]
    chosen = both if len(both) else rows  # a pair with a call on each side when there is one
    row = chosen.iloc[len(chosen) // 2]
    ids = [row[f"{s}_id"] if isinstance(row[f"{s}_id"], str) else None for s in "ab"]
    started = time.perf_counter()
    calls = [items.get(conn, org_id=ACME_ORG_ID, item_id=i) if i else None for i in ids]
    lines = sum(
        len(diff_lines(f, _json_text(calls[0], f)[0], _json_text(calls[1], f)[0]))
        for f in ("input", "output", "attributes")
    )
    return {
        "compare_ms": aligned,
        "diff_ms": _ms(started),
        "pairs": len(found.rows),
        "counts": dict(found.counts),
        "read": [found.a_read, found.b_read],
        "diff_lines": lines,
    }


def compare_figures(url: str) -> dict[str, Any]:
    """The pair, its cold comparison, and the alignment of side A against an edited copy of
    itself: the two largest sessions may be copies, whose alignment is only the common head."""
    engine = make_engine(url, statement_timeout_ms=TIMEOUT_MS)
    try:
        with engine.connect() as conn:
            pair = compare_pair(conn)
    finally:
        engine.dispose()
    _, once = _cold(url, lambda conn: _compare_once(conn, pair))
    engine = make_engine(url, statement_timeout_ms=TIMEOUT_MS)
    try:
        with engine.connect() as conn:
            sides = compare._read(conn, ACME_ORG_ID, pair["a"], pair["b"], False, COMPARE_CALLS)
    finally:
        engine.dispose()
    a = sides["a"][:COMPARE_CALLS]
    b = _edited(a, COMPARE_EDITS)
    started = time.perf_counter()
    compare.align(a, b)
    edited_ms = _ms(started)
    total = once["compare_ms"] + once["diff_ms"] + edited_ms
    if once["counts"].get(compare.SAME) == once["pairs"]:
        pair["how"] += "; their calls are the same (a copy): the alignment is the common head"
    return pair | once | {"align_edited_ms": edited_ms, "edits": COMPARE_EDITS, "total_ms": total}


def _frames(result: Any) -> dict[str, int | None]:
    """Each frame of a panel's dataclass: its rows, or None when it was cut off."""
    return {k: None if v is None else len(v) for k, v in vars(result).items()}


def _cold_then_warm(wrapper: Callable[..., Any], shown: Any, before: Any) -> dict[str, Any]:
    started = time.perf_counter()
    result = wrapper(ACME_ORG_ID, shown, before)
    cold = _ms(started)
    started = time.perf_counter()
    wrapper(ACME_ORG_ID, shown, before)
    return {"cold_ms": cold, "warm_ms": _ms(started), "frames": _frames(result)}


def panel_figures(url: str, *, today: date | None = None) -> dict[str, Any]:
    """The Tool paths and MCP traffic panels of the last 30 days through their cached wrappers
    (components.admin.data; no Streamlit runtime: st.cache_data keeps them in memory): the
    first call (a fresh engine, the queries side by side as on the page), then the second.
    The rollup is settled first, as the first analytics view of the day does; its time is
    reported apart."""
    import os

    from components import data

    given = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url  # the app's engine (components.data.engine) reads it
    try:
        return _panels(url, today)
    finally:
        data.engine.clear()
        if given is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = given


def _panels(url: str, today: date | None) -> dict[str, Any]:
    from components import data
    from components.admin import data as admin_data
    from components.admin.analytics import period
    from queries.admin import AdminFilter
    from queries.analytics import previous_period
    from sessionscope import clock, rollup

    data.engine.clear()
    engine = make_engine(url, statement_timeout_ms=600_000)
    started = time.perf_counter()
    try:
        with begin_write(engine) as conn:
            rollup.settle(conn, org_id=ACME_ORG_ID)
    finally:
        engine.dispose()
    out: dict[str, Any] = {"settle_ms": _ms(started)}
    shown = period(AdminFilter(), today=today or clock.now().date())
    before = previous_period(shown)
    out["period"] = [str(shown.date_from), str(shown.date_to)]
    for name, wrapper in (("paths", admin_data.tool_paths_of), ("traffic", admin_data.traffic_of)):
        wrapper.clear()
        data.engine.clear()
        _section(out, name, lambda wrapper=wrapper: _cold_then_warm(wrapper, shown, before))
    return out


def ingest_ratio(spans: int) -> dict[str, Any]:
    """Spans/s into fresh databases at head (the search index kept by the writes) and at
    INGEST_BEFORE (none), alternating, INGEST_RUNS each; the ratio of the medians."""
    from bench import ingest

    batches = ingest.make_batches(spans)
    server = datasets._postgres_server()
    out: dict[str, Any] = {"spans": len(batches) * ingest.BATCH, "runs": INGEST_RUNS}
    for backend in ("postgresql", "sqlite"):
        rates: dict[str, list[float]] = {"head": [], INGEST_BEFORE: []}
        for _ in range(INGEST_RUNS):
            for revision in (INGEST_BEFORE, "head"):
                name = f"power_{uuid.uuid4().hex[:8]}"
                if backend == "sqlite":
                    url = f"sqlite:///{datasets.DATA / name}.sqlite"
                else:
                    url = datasets._database(server, name)
                try:
                    got = ingest.throughput(url, batches, revision=revision)
                finally:
                    _drop(backend, server, name)
                rates[revision].append(got["spans_per_s"])
        with_, without = statistics.median(rates["head"]), statistics.median(rates[INGEST_BEFORE])
        out[backend] = {
            "with_index": rates["head"],
            "without": rates[INGEST_BEFORE],
            "ratio": with_ / without,
        }
    return out


def _drop(backend: str, server: str, name: str) -> None:
    if backend == "sqlite":
        for path in datasets.DATA.glob(f"{name}.sqlite*"):
            path.unlink()
        return
    url = sa.engine.make_url(server).set(database="postgres")
    admin = make_engine(url.render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')  # our own name
    finally:
        admin.dispose()


def _section(out: dict[str, Any], key: str, fn: Callable[[], Any]) -> None:
    """out[key] = fn(), or {"error": ...} when it failed: the other parts are still measured
    and the report says what was not."""
    try:
        out[key] = fn()
    except Exception as exc:  # noqa: BLE001 - any failure is a figure not measured, stated
        out[key] = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"}
    print(f"  power: {key} {out[key]}", flush=True)


def measure(url: str, sessions_in_set: int, *, ingest_spans: int) -> dict[str, Any]:
    """Every figure of issue 18's targets on the data set at url."""
    out: dict[str, Any] = {"sessions": sessions_in_set, "org": ACME_ORG_ID}
    out["server"] = server_facts(url)
    print(f"  power: server {out['server']}", flush=True)
    _section(out, "terms", lambda: pick_terms(url))
    terms = out["terms"]
    if "error" in terms:
        out["search"] = out["find"] = {"error": f"no terms: {terms['error']}"}
    else:
        _section(out, "search", lambda: search_figures(url, terms))
        chosen = [*list(terms["rare"])[:1], *list(terms["common"])[:1]]
        _section(out, "find", lambda: find_figures(url, chosen))
    _section(out, "compare", lambda: compare_figures(url))
    _section(out, "panels", lambda: panel_figures(url))
    _section(out, "ingest", lambda: ingest_ratio(ingest_spans))
    return out


# --- the report ----------------------------------------------------------------------------------

PowerTarget = tuple[str, str, bool | None]  # target, measured, holds (None: not applicable)


def _ms_text(v: float | None) -> str:
    return "-" if v is None else f"{v:,.0f} ms"


def _index(server: dict[str, Any]) -> str:
    if server["search_index"] == "pg_trgm":
        return "pg_trgm GIN"
    return "no pg_trgm: scan" if not server["pg_trgm_available"] else "pg_trgm not installed: scan"


def _search_rows(p: dict[str, Any]) -> list[PowerTarget]:
    rows = []
    for kind in ("rare", "common"):
        name = f"Org-wide search, first page, cold, {kind} term < {BUDGET_SEARCH_MS:g} ms"
        if "error" in p["search"]:
            rows.append((name, f"not measured: {p['search']['error']}", False))
            continue
        s, index = p["search"][kind], _index(p["server"])
        if not s["terms"]:
            rows.append(
                (name, f"not measured: no {kind} term among the candidates ({index})", False)
            )
            continue
        each = ", ".join(
            f"`{q}` ({t['calls']:,}{'+' if t['calls'] >= COUNT_CAP else ''} calls) "
            f"{t['ms']:,.0f} ms"
            for q, t in s["terms"].items()
        )
        measured = f"median {_ms_text(s['median_ms'])} ({each}); {index}"
        rows.append((name, measured, s["median_ms"] < BUDGET_SEARCH_MS))
    return rows


def _find_rows(f: dict[str, Any]) -> list[PowerTarget]:
    calls = f"{f['calls']:,}" if f.get("calls") else "20,000"
    name = f"Find in the {calls}-call session, count + first match < {BUDGET_FIND_MS:g} ms"
    if "error" in f:
        return [(name, f"not measured: {f['error']}", False)]
    each = ", ".join(
        f"`{q}` {t['ms']:,.0f} ms ({t['matches']:,} matches)" for q, t in f["terms"].items()
    )
    ok = f["median_ms"] is not None and f["median_ms"] < BUDGET_FIND_MS
    return [(name, f"median {_ms_text(f['median_ms'])} ({each})", ok)]


def _sides(c: dict[str, Any]) -> str:
    calls = c.get("calls") or [None, None]
    return " vs ".join(
        f"{sid} ({n:,} calls)" if n is not None else sid
        for sid, n in zip((c["a"], c["b"]), calls, strict=True)
    )


def _compare_rows(c: dict[str, Any]) -> list[PowerTarget]:
    name = f"Compare of two {COMPARE_CALLS:,}-call sessions < {BUDGET_COMPARE_MS / 1000:g} s"
    if "error" in c:
        return [(name, f"not measured: {c['error']}", False)]
    measured = (
        f"{c['total_ms']:,.0f} ms: alignment read {c['compare_ms']:,.0f} ms, a pair's diff "
        f"{c['diff_ms']:,.0f} ms, aligning {c['edits']} edits {c['align_edited_ms']:,.0f} ms "
        f"({c['how']}; {_sides(c)})"
    )
    return [(name, measured, c["total_ms"] < BUDGET_COMPARE_MS)]


def _panel_rows(panels: dict[str, Any]) -> list[PowerTarget]:
    rows = []
    for key, label in (("paths", "Tool paths"), ("traffic", "MCP traffic")):
        cold = f"{label} panel cold < {BUDGET_PANEL_COLD_MS / 1000:g} s"
        warm = f"{label} panel warm < {BUDGET_PANEL_WARM_MS:g} ms"
        if "error" in panels:
            rows += [(n, f"not measured: {panels['error']}", False) for n in (cold, warm)]
            continue
        t = panels[key]
        if "error" in t:
            rows += [(n, f"not measured: {t['error']}", False) for n in (cold, warm)]
            continue
        cut = [k for k, v in t["frames"].items() if v is None]
        note = f"; cut off: {', '.join(cut)}" if cut else ""
        ok = not cut and t["cold_ms"] < BUDGET_PANEL_COLD_MS
        rows.append((cold, f"{_ms_text(t['cold_ms'])}{note}", ok))
        warm_ms = t["warm_ms"]
        rows.append((warm, f"{warm_ms:,.1f} ms (cached wrapper)", warm_ms < BUDGET_PANEL_WARM_MS))
    return rows


def _ingest_rows(ing: dict[str, Any], server: dict[str, Any]) -> list[PowerTarget]:
    rows = []
    for backend, label in (("postgresql", "PostgreSQL"), ("sqlite", "SQLite")):
        name = f"Ingest with the search index >= {BUDGET_INGEST_RATIO:.0%} of without, {label}"
        if "error" in ing:
            rows.append((name, f"not measured: {ing['error']}", False))
            continue
        r = ing[backend]
        indexed = backend == "sqlite" or server["pg_trgm_available"]
        kept = "the index kept" if indexed else "no pg_trgm on this server: head keeps no index"
        measured = (
            f"{r['ratio']:.0%}: {statistics.median(r['with_index']):,.0f} vs "
            f"{statistics.median(r['without']):,.0f} spans/s ({kept})"
        )
        rows.append((name, measured, r["ratio"] >= BUDGET_INGEST_RATIO if indexed else None))
    return rows


def power_targets(p: dict[str, Any] | None) -> list[PowerTarget]:
    """Issue 18's targets against this run's figures; an unmeasured one does not hold."""
    if not p:
        return []
    return [
        *_search_rows(p),
        *_find_rows(p["find"]),
        *_compare_rows(p["compare"]),
        *_panel_rows(p["panels"]),
        *_ingest_rows(p["ingest"], p["server"]),
    ]


def _method(p: dict[str, Any]) -> str:
    settle = p["panels"].get("settle_ms")
    ingest = p["ingest"]
    return (
        "Cold: the first call in the process, on a fresh engine (a new connection: no plan "
        "cache, no app cache); the database's own cache is as the run left it. Each search "
        "term is timed once, first; the figure is the median over distinct terms of its kind, "
        f"whose matching calls were counted first (up to {COUNT_CAP:,}, '+' = at least). "
        "Compare adds, to the real comparison, the alignment of side A against a copy with "
        "random edits. The panels: the last 30 days through their cached wrappers"
        + (
            f", after the rollup's settle ({settle:,.0f} ms, paid by the first analytics view "
            "of a day)"
            if settle is not None
            else ""
        )
        + "; warm is the wrapper's second call."
        + (
            f" Ingest: {ingest['spans']:,} spans into fresh databases at head and at "
            f"{INGEST_BEFORE} (before the search index), {ingest['runs']} runs each, "
            "alternating; ratio of the medians."
            if "error" not in ingest
            else ""
        )
    )


_HOLDS = {True: "yes", False: "**no**", None: "not applicable"}


def _cell(text: str) -> str:
    """Text in a markdown table cell (an error message may hold a pipe)."""
    return text.replace("|", "\\|").replace("\n", " ")


def report_lines(p: dict[str, Any] | None) -> list[str]:
    """The "Targets (issue 18)" section of docs/benchmarks.md."""
    if not p:
        return []
    s = p["server"]
    lines = [
        "",
        "## Targets (issue 18)",
        "",
        f"On the PostgreSQL set of {p['sessions']:,} sessions ({s['version']}; tool_calls "
        f"{s['tool_calls']:,} rows, {s['tool_calls_mb']:,} MB; pg_trgm "
        f"{'available' if s['pg_trgm_available'] else 'not available'} on the server, "
        f"search: {s['search_index']}), organization {p['org']} (bench/power.py). " + _method(p),
        "",
        "| target | measured | holds |",
        "|---|---|---|",
    ]
    lines += [f"| {t} | {_cell(m)} | {_HOLDS[ok]} |" for t, m, ok in power_targets(p)]
    return lines
