"""OTLP ingest end to end: real MCP SDKs export to `streamlit run app.py` on both backends."""

from __future__ import annotations

import contextlib
import http.client
import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa

from components import keys
from harness import StreamlitServer
from queries import search
from sessionscope import tokens
from sessionscope.ingest import otlp
from sessionscope.schema import end_users, servers, sessions, tool_calls
from tests import factories
from tests.conftest import DatabaseFactory
from tests.mcp_scenarios.run import FAMILIES, TRANSPORTS, run_scenario
from tests.mcp_scenarios.sidevenv import SideVenvError
from tests.pages.client import Open, make_app_client
from tests.pages.explorer_view import card_ids, card_titles, row_labels

ERROR_BADGE = ":red-badge[:material/error: error]"
VIEWER = "admin@acme.example"
TOOLS = ["search_docs", "get_page", "get_page", "fail", "no_such_tool"]
AFTER_CONNECT = [
    "tools/list",
    *["tools/call"] * 5,
    "resources/read",  # docs://index
    "resources/read",  # docs://pages/999: a JSON-RPC error
    "prompts/get",
]
# The exporters flush as their process exits, so the data is usually in before the scenario
# returns; the poll covers a stdio server that exits after its client.
POLL_TIMEOUT_S = 30.0
POLL_STEP_S = 0.2


@dataclass(frozen=True)
class Expect:
    """What a family's spans say about the scenario (tests/data/otlp/README.md)."""

    connect: str  # the first request: server/discover (2026-07-28) or initialize
    payloads: bool  # arguments and results are recorded
    client_name: str | None
    end_user: str  # the user the spans name, else one anonymous user per client
    both_sides: bool  # CLIENT and SERVER spans both name each request

    @property
    def methods(self) -> list[str]:
        return [self.connect, *AFTER_CONNECT]


EXPECT = {
    "v2-builtin": Expect("server/discover", False, None, "anonymous:unknown client", True),
    "v2-recorder": Expect("server/discover", True, "scenario-client", "user-42", True),
    # OpenLLMetry's server spans (ResponseStreamWriter) name no method: the client's do.
    "v1-openllmetry": Expect(
        "initialize", True, "scenario-client", "anonymous:scenario-client", False
    ),
}
RUNS = [(f, t) for f in FAMILIES for t in TRANSPORTS]
BOTH_SIDE_RUNS = [(f, t) for f, t in RUNS if EXPECT[f].both_sides]
PAYLOAD_RUNS = [(f, t) for f, t in RUNS if EXPECT[f].payloads]


def run_id(run: tuple[str, str]) -> str:
    return "-".join(run)


@dataclass(frozen=True)
class Landed:
    """What one scenario run left in the database: its sessions and their calls by seq."""

    family: str
    summary: dict[str, Any]
    sessions: list[dict[str, Any]]
    calls: list[dict[str, Any]]
    seconds: float

    @property
    def expect(self) -> Expect:
        return EXPECT[self.family]

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["method"] == "tools/call"]

    def call(self, tool: str) -> dict[str, Any]:
        return next(c for c in self.tool_calls if c["tool_name"] == tool)


@dataclass
class Served:
    """One backend's database, ingest token and `streamlit run app.py`, shared by its tests."""

    engine: sa.Engine
    server: StreamlitServer
    token: str
    landed: dict[tuple[str, str], Landed] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """The standard OTel variables (and the recorder's) pointed at the served app."""
        return {
            "OTEL_EXPORTER_OTLP_ENDPOINT": self.server.url,
            "OTEL_EXPORTER_OTLP_HEADERS": f"Authorization=Bearer%20{self.token}",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "SESSIONSCOPE_ENDPOINT": self.server.url,
            "SESSIONSCOPE_TOKEN": self.token,
        }


@pytest.fixture(scope="module")
def served(backend: str, databases: DatabaseFactory) -> Iterator[Served]:
    """An org with an admin member and a token, and ONE app server, per backend."""
    engine = databases.engine(backend)
    with engine.begin() as conn:
        org = factories.org(conn, id="org_acme", slug="acme")
        factories.member(conn, org, email=VIEWER, role="admin")
        token = tokens.create(conn, org_id=org["id"], name="e2e", created_by=VIEWER)
    server = StreamlitServer(engine.url.render_as_string(hide_password=False), script="app.py")
    yield Served(engine, server, token.token)
    server.stop()


def otlp_session_ids(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        query = sa.select(sessions.c.id).where(sessions.c.source == "otlp")
        return set(conn.execute(query).scalars())


def stored(engine: sa.Engine, session_ids: set[str]) -> tuple[list[dict], list[dict]]:
    """The sessions (by start) and their calls (by session, then seq), as dicts."""
    s, t = sessions.c, tool_calls.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(sessions).where(s.id.in_(session_ids)).order_by(s.started_at))
        found = [dict(r._mapping) for r in rows]
        calls = [
            dict(r._mapping)
            for r in conn.execute(sa.select(tool_calls).where(t.session_id.in_(session_ids)))
        ]
    order = [r["id"] for r in found]
    return found, sorted(calls, key=lambda c: (order.index(c["session_id"]), c["seq"]))


def complete(expect: Expect, calls: list[dict]) -> bool:
    """Every request is in and, where the family sends both, with both of its sides."""
    if len(calls) < len(expect.methods):
        return False
    return not expect.both_sides or all(
        c["attributes"].get("sides") == ["client", "server"] for c in calls
    )


def run(served: Served, family: str, transport: str) -> Landed:
    """Run the scenario once per backend (cached) and poll until its calls have landed.

    A run's data is the otlp sessions that were not there before it: runs are sequential
    and each waits for all of its calls, so nothing of an earlier run arrives later."""
    if (family, transport) in served.landed:
        return served.landed[(family, transport)]
    before = otlp_session_ids(served.engine)
    started = time.monotonic()
    try:
        summary = run_scenario(family, transport, served.env())
    except SideVenvError as exc:
        pytest.fail(f"the mcp 1.x side venv could not be built; install it by hand:\n{exc}")
    deadline = time.monotonic() + POLL_TIMEOUT_S
    while True:
        found, calls = stored(served.engine, otlp_session_ids(served.engine) - before)
        if complete(EXPECT[family], calls) or time.monotonic() > deadline:
            break
        time.sleep(POLL_STEP_S)
    landed = Landed(family, summary, found, calls, time.monotonic() - started)
    served.landed[(family, transport)] = landed
    return landed


@pytest.fixture(params=RUNS, ids=[run_id(r) for r in RUNS])
def landed(request: pytest.FixtureRequest, served: Served) -> Landed:
    """One family x transport run on this backend's server (run once, shared by tests)."""
    return run(served, *request.param)


@pytest.fixture(params=BOTH_SIDE_RUNS, ids=[run_id(r) for r in BOTH_SIDE_RUNS])
def landed_both_sides(request: pytest.FixtureRequest, served: Served) -> Landed:
    """A run of a family whose client and server both trace each request."""
    return run(served, *request.param)


def test_a_run_is_one_otlp_session_with_every_request_in_time_order(landed: Landed) -> None:
    assert [s["source"] for s in landed.sessions] == ["otlp"], landed.sessions
    assert [c["method"] for c in landed.calls] == landed.expect.methods
    assert [c["seq"] for c in landed.calls] == list(range(1, len(landed.calls) + 1))
    starts = [c["started_at"] for c in landed.calls]
    assert starts == sorted(starts)
    assert [c["tool_name"] for c in landed.tool_calls] == TOOLS


def test_tool_errors_and_the_json_rpc_error_are_errors_with_a_message(landed: Landed) -> None:
    failed = [(c["method"], c["tool_name"]) for c in landed.calls if c["is_error"]]
    reads = [c for c in landed.calls if c["method"] == "resources/read"]
    assert [m for m, _ in failed] == ["tools/call", "tools/call", "resources/read"]
    assert [t for _, t in failed[:2]] == ["fail", "no_such_tool"]
    assert [r["is_error"] for r in reads] == [False, True]
    assert all(c["error_message"] for c in landed.calls if c["is_error"])


def test_session_totals_count_tool_calls_only(landed: Landed) -> None:
    (session,) = landed.sessions
    assert (session["total_tool_calls"], session["total_errors"]) == (5, 2)


def test_payloads_and_client_name_come_from_the_families_that_record_them(
    landed: Landed,
) -> None:
    search = landed.call("search_docs")
    if landed.expect.payloads:
        assert search["input"] == {"query": "install server"}
        assert "install server" in json.dumps(search["output"])
        assert all(c["input"] is not None for c in landed.tool_calls)
    else:  # the SDK's own spans carry neither
        assert all(c["input"] is None and c["output"] is None for c in landed.calls)
    assert [s["client_name"] for s in landed.sessions] == [landed.expect.client_name]


@pytest.fixture(params=PAYLOAD_RUNS, ids=[run_id(r) for r in PAYLOAD_RUNS])
def landed_payloads(request: pytest.FixtureRequest, served: Served) -> Landed:
    """A run of a family that records arguments and results."""
    return run(served, *request.param)


def test_search_and_find_reach_an_ingested_payload(landed_payloads: Landed, served: Served) -> None:
    """What an MCP server recorded is searchable as soon as it landed: across the
    organization (Search) and within the session (Find), in any case."""
    (session,) = landed_payloads.sessions
    call = landed_payloads.call("search_docs")
    with served.engine.connect() as conn:
        page = search.sessions_matching(conn, org_id="org_acme", q="INSTALL Server", limit=100)
        found = {s.id: s for s in page.sessions}
        assert session["id"] in found
        assert [(h.id, h.kind) for h in found[session["id"]].hits][0] == (call["id"], "call")
        inside = search.payload_matches(
            conn, org_id="org_acme", session_id=session["id"], q="install SERVER"
        )
        assert inside == [call["id"]]
        assert (
            search.payload_matches(
                conn, org_id="org_other", session_id=session["id"], q="install server"
            )
            == []
        )


def test_client_and_server_spans_of_each_request_merge_into_one_call(
    landed_both_sides: Landed,
) -> None:
    calls = landed_both_sides.calls
    sides = {(c["seq"], c["tool_name"]): c["attributes"]["sides"] for c in calls}
    assert all(s == ["client", "server"] for s in sides.values()), sides


def owner(engine: sa.Engine, session: dict[str, Any]) -> sa.Row:
    """The session's end user (distinct id, first and last seen) and its server's slug."""
    u, v = end_users.c, servers.c
    slug = sa.select(v.slug).where(v.id == session["server_id"]).scalar_subquery()
    query = sa.select(u.distinct_id, u.first_seen_at, u.last_seen_at, slug.label("slug")).where(
        u.id == session["end_user_id"]
    )
    with engine.connect() as conn:
        return conn.execute(query).one()


def test_the_session_belongs_to_the_user_and_server_its_spans_name(
    served: Served, landed: Landed
) -> None:
    (session,) = landed.sessions
    found = owner(served.engine, session)
    # `docs-mcp` (OTEL_SERVICE_NAME) and `Docs MCP` (the recorder's server name): one slug.
    assert (found.distinct_id, found.slug) == (landed.expect.end_user, "docs-mcp")


def test_the_end_user_was_last_seen_no_earlier_than_the_session(
    served: Served, landed: Landed
) -> None:
    (session,) = landed.sessions
    found = owner(served.engine, session)
    # The Users page lists users by last_seen_at, a user never seen after all the others.
    assert found.last_seen_at is not None and found.first_seen_at is not None
    assert found.first_seen_at <= session["started_at"]
    assert found.last_seen_at >= session["last_activity_at"]


# --- the page, against the same database ---------------------------------------------------


@pytest.fixture()
def open_page(served: Served, monkeypatch: pytest.MonkeyPatch) -> Iterator[Open]:
    """open(**params) -> the User sessions page as VIEWER after its run, caches cleared."""
    with make_app_client(served.engine, monkeypatch, keys.PAGE_USER, email=VIEWER) as open_:
        yield open_


def plain(label: str) -> str:
    """A label as read, without the markdown escapes (`no\\_such\\_tool`)."""
    return label.replace("\\", "")


def test_the_user_page_shows_an_ingested_session_its_tools_and_errors(
    served: Served, open_page: Open
) -> None:
    (session,) = run(served, "v2-recorder", "stdio").sessions
    at = open_page(user=session["end_user_id"], session=session["id"])
    assert not at.exception
    card = card_titles(at)[card_ids(at).index(session["id"])]
    assert plain(card).startswith("**search_docs “install server” → get_page")
    assert any("2 errors" in m.value for m in at.markdown)
    rows = [plain(r) for r in row_labels(at)]
    assert len(rows) == len(EXPECT["v2-recorder"].methods)
    for tool in ("search_docs", "get_page", "fail", "no_such_tool"):
        assert any(f"**{tool}**" in r for r in rows), rows
    errors = [r for r in rows if r.endswith(ERROR_BADGE)]
    wanted = ["**fail**", "**no_such_tool**", "resources/read"]  # the JSON-RPC error too
    assert len(errors) == 3 and all(w in e for w, e in zip(wanted, errors, strict=True)), rows


# --- the route itself, through Starlette and Streamlit's middleware ------------------------


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST /v1/traces with an honest Content-Length; (status, body) for any answer.

    http.client, not urllib: a 413 comes back before the body is read and the server then
    closes, so sending the rest may fail with EPIPE or ECONNRESET. urllib raises there;
    urllib3 (under the OTel exporter's `requests`) swallows it and reads the answer, as here.
    """
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("POST", "/v1/traces")
        for name, value in {"Content-Type": otlp.PROTOBUF, **headers}.items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.send(body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


OURS = "Bearer <the org's token>"
BAD_POSTS = {
    "no token": (None, b"\x0a\x00", 401),
    "wrong token": ("Bearer sst_not-a-token", b"\x0a\x00", 401),
    "garbage body": (OURS, b"\xff\xfe not protobuf \x00", 400),
    "over 16 MiB": (OURS, b"\x00" * (otlp.MAX_BODY_BYTES + 1), 413),
}


@pytest.mark.parametrize(("authorization", "body", "status"), BAD_POSTS.values(), ids=BAD_POSTS)
def test_the_route_answers_bad_posts_with_their_status(
    served: Served, authorization: str | None, body: bytes, status: int
) -> None:
    if authorization == OURS:
        authorization = f"Bearer {served.token}"
    headers = {} if authorization is None else {"Authorization": authorization}
    got, answer = post(served.server.url, body, headers)
    assert got == status, answer[:300]
    assert json.loads(answer)["message"]


def test_healthz_says_ok(served: Served) -> None:
    with urllib.request.urlopen(f"{served.server.url}/healthz", timeout=10) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"status": "ok"}
