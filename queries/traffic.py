"""MCP traffic of the sessions an AdminFilter selects: by client, by transport, by method target.

- clients / transports: sessions, and the calls and errors they recorded (the sessions'
  total_tool_calls / total_errors), per client name and version (sessions.client_name,
  client_version: what the client's initialize said) and per transport (the `transport`
  the OpenTelemetry ingest keeps in sessions.attributes, from `network.transport` or
  `mcp.transport`; other sources record none, shown as None).
- targets: per method (tools/call, resources/read, prompts/get) and target (the tool,
  resource URI or prompt name, which the ingest stores in tool_calls.tool_name): calls,
  errors, error_rate and nearest-rank p50/p95 durations over the same 10%-wide histograms
  as the Admin tool chart (queries.analytics); the `limit` slowest (by p95) and the `limit`
  most failing (by errors) of each method.

Every figure adds up per-day rows of queries.daily (clients_source, tools_source): the
rollup's for settled days, grouped live for the days after.

`compare` puts a previous period's figures beside a period's (columns `<name>_before`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa

from queries import daily
from queries.admin import AdminFilter
from queries.analytics import first_reaching, histogram
from queries.page import frame
from queries.sql import rate, sum_int
from sessionscope import schema


def _by_sessions(
    conn: sa.Connection, keys: list[str], org_id: str, flt: AdminFilter, limit: int | None
) -> pd.DataFrame:
    src = daily.clients_source(conn, org_id=org_id, flt=flt).c
    cols = [src[k] for k in keys]
    sessions = sum_int(src.sessions)
    query = (
        sa.select(
            *cols,
            sessions.label("sessions"),
            sum_int(src.calls).label("calls"),
            sum_int(src.errors).label("errors"),
        )
        .group_by(*cols)
        .order_by(sessions.desc(), *[c.asc().nulls_last() for c in cols])
        .limit(limit)
    )
    rows = frame(conn.execute(query))
    return rows.astype(dict.fromkeys(("sessions", "calls", "errors"), "int64"))


def clients(
    conn: sa.Connection, *, org_id: str, flt: AdminFilter, limit: int | None = 50
) -> pd.DataFrame:
    """client_name, client_version (None: not recorded), sessions, calls, errors; most
    sessions first, `limit` rows (None: all)."""
    return _by_sessions(conn, ["client_name", "client_version"], org_id, flt, limit)


def transports(
    conn: sa.Connection, *, org_id: str, flt: AdminFilter, limit: int | None = 20
) -> pd.DataFrame:
    """transport (None: not recorded), sessions, calls, errors."""
    return _by_sessions(conn, ["transport"], org_id, flt, limit)


def _target_rows(conn: sa.Connection, org_id: str, flt: AdminFilter) -> sa.Subquery:
    """Calls per (method, target, duration bucket): calls, errors, ms_sum, from queries.daily's
    per-target rows (the rollup for settled days, as the Admin tool chart reads them)."""
    rows = daily.tools_source(conn, org_id=org_id, flt=flt, methods=schema.TARGET_METHODS).c
    return sa.select(
        rows.method,
        rows.tool_name.label("target"),
        rows.bucket,
        rows.calls,
        rows.errors,
        rows.ms_sum,
    ).subquery("per_bucket")


def targets(
    conn: sa.Connection, *, org_id: str, flt: AdminFilter, limit: int | None = 10
) -> pd.DataFrame:
    """method, target, calls, errors, error_rate, p50_ms, p95_ms (None when untimed): the
    `limit` slowest and `limit` most failing of each method (all with None); by method,
    then slowest first."""
    h = histogram(
        _target_rows(conn, org_id, flt), "calls", ["method", "target"], also=("errors",)
    ).c
    calls, errors = sum_int(h.w), sum_int(h.errors)
    p95 = first_reaching(h, 95)
    stats = (
        sa.select(
            h.method,
            h.target,
            calls.label("calls"),
            errors.label("errors"),
            rate(errors, calls).label("error_rate"),
            first_reaching(h, 50).label("p50_ms"),
            p95.label("p95_ms"),
            sa.func.row_number()
            .over(partition_by=h.method, order_by=[p95.desc().nulls_last(), h.target])
            .label("slow_rank"),
            sa.func.row_number()
            .over(partition_by=h.method, order_by=[errors.desc(), calls.desc(), h.target])
            .label("fail_rank"),
        )
        .group_by(h.method, h.target)
        .subquery("stats")
    )
    t = stats.c
    query = sa.select(t.method, t.target, t.calls, t.errors, t.error_rate, t.p50_ms, t.p95_ms)
    if limit is not None:
        query = query.where(
            sa.or_(t.slow_rank <= limit, sa.and_(t.fail_rank <= limit, t.errors > 0))
        )
    query = query.order_by(t.method, t.slow_rank)
    rows = frame(conn.execute(query))
    floats = dict.fromkeys(("error_rate", "p50_ms", "p95_ms"), float)
    return rows.astype({"calls": "int64", "errors": "int64", **floats})


def compare(
    now: pd.DataFrame, before: pd.DataFrame | None, keys: Sequence[str], values: Sequence[str]
) -> pd.DataFrame:
    """`now` with each of `values` of the row with the same keys in `before` as
    `<value>_before` (None where that period had no such row, or there is no `before`).
    None keys match None keys (an unrecorded client is the same in both periods)."""
    out = now.copy()
    if before is None:
        for v in values:
            out[f"{v}_before"] = pd.Series([None] * len(out), dtype=object)
        return out
    old = {_key(row, keys): row for row in before.to_dict("records")}
    for v in values:
        found = [old.get(_key(row, keys)) for row in now.to_dict("records")]
        out[f"{v}_before"] = pd.Series(
            [None if r is None or pd.isna(r[v]) else r[v] for r in found], dtype=object
        )
    return out


def _key(row: dict, keys: Sequence[str]) -> tuple:
    return tuple(None if pd.isna(row[k]) else row[k] for k in keys)
