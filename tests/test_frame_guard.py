"""Anti-framing (issue 15, finding 9): every HTTP answer forbids framing by another site,
on a real `streamlit run app.py` (pages, static files, the OTLP route, the health check)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message

import pytest

from harness import StreamlitServer
from sessionscope.headers import FRAME_GUARD, FrameGuard
from tests.support import run_async

EXPECTED = {"content-security-policy": "frame-ancestors 'none'", "x-frame-options": "DENY"}


def answer(url: str, *, data: bytes | None = None) -> tuple[int, Message]:
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as refused:  # a 4xx answer is still an answer
        return refused.code, refused.headers


@pytest.fixture(scope="module")
def served(databases) -> Iterator[StreamlitServer]:  # type: ignore[no-untyped-def]
    engine = databases.engine("sqlite")
    srv = StreamlitServer(engine.url.render_as_string(hide_password=False), script="app.py")
    yield srv
    srv.stop()


@pytest.mark.parametrize(
    ("path", "body"),
    [("/", None), ("/users?q=x", None), ("/healthz", None), ("/v1/traces", b"\x00")],
)
def test_every_answer_forbids_framing(
    served: StreamlitServer, path: str, body: bytes | None
) -> None:
    status, headers = answer(served.url + path, data=body)
    assert status < 500, status
    for name, value in EXPECTED.items():
        assert headers.get_all(name) == [value], (path, name, headers.get_all(name))


def test_a_static_file_forbids_framing_too(served: StreamlitServer) -> None:
    with urllib.request.urlopen(served.url + "/", timeout=30) as response:
        html = response.read().decode()
    script = html.split('src="', 1)[1].split('"', 1)[0]  # the front end's bundle
    status, headers = answer(served.url + "/" + script.lstrip("./"))
    assert status == 200 and headers.get("x-frame-options") == "DENY"


def _through_guard(scope_type: str, headers: list[tuple[bytes, bytes]]) -> list[dict]:
    sent: list[dict] = []

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        await send({"type": "http.response.start", "status": 200, "headers": list(headers)})

    async def send(message: dict) -> None:
        sent.append(message)

    run_async(lambda: FrameGuard(app)({"type": scope_type}, None, send))  # type: ignore[arg-type]
    return sent


def test_the_guard_sets_both_headers_once_over_any_weaker_value() -> None:
    [start] = _through_guard("http", [(b"X-Frame-Options", b"SAMEORIGIN"), (b"a", b"1")])
    assert start["headers"] == [(b"a", b"1"), *FRAME_GUARD]
    [start] = _through_guard("http", [])
    assert start["headers"] == list(FRAME_GUARD)


def test_the_guard_leaves_websockets_alone() -> None:
    [start] = _through_guard("websocket", [])
    assert start["headers"] == []
