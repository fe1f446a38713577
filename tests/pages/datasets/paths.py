"""The tool-paths and MCP-traffic data set, with every figure worked out by hand.

acme, 1-2 Nov 2026 (the current period); the `tools/call` stream of each session, in seq
order (✖ a failed call; other methods in brackets are not steps of a path):

    ses_s1  claude-code 1.0  stdio  Nov 1 10:00
            [initialize] search fetch [resources/read file:///readme] search fetch✖
            ticket sr_t1 after the last fetch
    ses_s2  claude-code 1.0  stdio  Nov 1 12:00
            search✖ fetch fetch fetch fetch summarize
            ticket sr_t2 after the first fetch, before the second
    ses_s3  cursor 0.9       http   Nov 2 09:00
            ticket sr_t3 before any call; search✖ search search fetch [prompts/get
            summarize_prompt✖]
    ses_s5  (no client)      (none) Nov 2 15:00  no calls
acme, 31 Oct 2026 (the previous period):
    ses_p1  claude-code 1.0  stdio  search fetch✖, ticket sr_tp after the fetch
never counted: ses_s4 (acme, archived, Nov 1: search fetch✖ fetch fetch fetch + ticket),
globex's ses_g1 (the same tools, errors and a ticket), an acme ticket with no session.

Durations: search 5 ms, fetch 12 ms (15 ms when failed), summarize 3 ms, resources/read
8 ms, prompts/get 19 ms, initialize 2 ms; exact buckets (under 20 ms), so percentiles are
exact. Sessions' total_tool_calls / total_errors count every method's calls.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests import factories as f
from tests.pages.datasets import acme_and_globex, ann_and_bob

CURRENT = ("ses_s1", "ses_s2", "ses_s3", "ses_s5")
MS = {"search": 5, "fetch": 12, "summarize": 3}


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _calls(conn: sa.Connection, ses: dict, steps: list[str]) -> None:
    """Calls one minute apart from a minute after the start. A step is a tool name (a
    `tools/call`), `name!` a failed one, or `method target` another method's request."""
    for seq, step in enumerate(steps, start=1):
        failed = step.endswith("!")
        step = step.rstrip("!")
        method, _, target = step.rpartition(" ") if " " in step else ("tools/call", "", step)
        ms = {"initialize": 2, "resources/read": 8, "prompts/get": 19}.get(method)
        ms = ms or (15 if failed else MS[target])
        f.request(
            conn,
            ses,
            method,
            target,
            id=f"tc_{ses['id']}_{seq}",
            seq=seq,
            started_at=ses["started_at"] + timedelta(minutes=seq),
            duration_ms=ms,
            is_error=failed,
        )


def _session(
    conn: sa.Connection,
    org: dict,
    user: dict,
    srv: dict,
    sid: str,
    started: datetime,
    steps: list[str],
    **kw: object,
) -> dict:
    errors = sum(step.endswith("!") for step in steps)
    ses = f.session(
        conn,
        org,
        user,
        srv,
        id=sid,
        title=f"Paths {sid}",
        started_at=started,
        last_activity_at=started + timedelta(minutes=30),
        completed_at=started + timedelta(minutes=30),
        total_tool_calls=len(steps),
        total_errors=errors,
        **kw,
    )
    _calls(conn, ses, steps)
    return ses


def _client(name: str | None, version: str | None, transport: str | None) -> dict:
    return {
        "client_name": name,
        "client_version": version,
        "attributes": {"transport": transport} if transport else None,
    }


CLAUDE = _client("claude-code", "1.0", "stdio")


def build(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        build_world(conn)


def build_world(conn: sa.Connection) -> None:
    acme, globex = acme_and_globex(conn)
    ann, bob = ann_and_bob(conn, acme)
    gh = f.server(conn, acme, id="srv_gh", slug="github-mcp", name="GitHub MCP")
    s1 = _session(
        conn,
        acme,
        ann,
        gh,
        "ses_s1",
        at(1, 10),
        [
            "initialize x",
            "search",
            "fetch",
            "resources/read file:///readme",
            "search",
            "fetch!",
        ],
        **CLAUDE,
    )
    f.ticket(conn, s1, ann, id="sr_t1", created_at=at(1, 10, 10))
    s2 = _session(
        conn,
        acme,
        bob,
        gh,
        "ses_s2",
        at(1, 12),
        [
            "search!",
            "fetch",
            "fetch",
            "fetch",
            "fetch",
            "summarize",
        ],
        **CLAUDE,
    )
    f.ticket(conn, s2, bob, id="sr_t2", created_at=at(1, 12, 2) + timedelta(seconds=30))
    s3 = _session(
        conn,
        acme,
        bob,
        gh,
        "ses_s3",
        at(2, 9),
        [
            "search!",
            "search",
            "search",
            "fetch",
            "prompts/get summarize_prompt!",
        ],
        **_client("cursor", "0.9", "http"),
    )
    f.ticket(conn, s3, bob, id="sr_t3", created_at=at(2, 9))
    _session(conn, acme, ann, gh, "ses_s5", at(2, 15), [], status="active")
    p1 = _session(
        conn, acme, ann, gh, "ses_p1", at(31, 10, month=10), ["search", "fetch!"], **CLAUDE
    )
    f.ticket(conn, p1, ann, id="sr_tp", created_at=at(31, 10, 5, month=10))
    s4 = _session(
        conn,
        acme,
        ann,
        gh,
        "ses_s4",
        at(1, 14),
        [
            "search",
            "fetch!",
            "fetch",
            "fetch",
            "fetch",
        ],
        archived_at=at(3, 0),
        **CLAUDE,
    )
    f.ticket(conn, s4, ann, id="sr_t4", created_at=at(1, 14, 10))
    f.ticket(conn, None, ann, id="sr_none", created_at=at(1, 16))
    _globex(conn, globex)


def _globex(conn: sa.Connection, globex: dict) -> None:
    carl = f.end_user(conn, globex, id="usr_carl", distinct_id="carl", email="carl@globex.test")
    gx = f.server(conn, globex, id="srv_gx", slug="gx", name="Globex MCP")
    g1 = _session(
        conn,
        globex,
        carl,
        gx,
        "ses_g1",
        at(1, 11),
        [
            "search!",
            "fetch",
            "search",
            "fetch!",
            "fetch",
            "fetch",
            "summarize",
        ],
        **CLAUDE,
    )
    f.ticket(conn, g1, carl, id="sr_g1", created_at=at(1, 11, 30))
