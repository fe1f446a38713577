"""Anti-framing: every HTTP answer of the server tells browsers not to show it inside another
site's frame (clickjacking), through a pure ASGI middleware that app.py gives st.App."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# CSP frame-ancestors for current browsers, X-Frame-Options for older ones; both say "no
# site at all, this one included" (the app never frames itself).
FRAME_GUARD: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
)


class FrameGuard:
    """Sets FRAME_GUARD on every HTTP response, replacing any other value of those headers;
    websockets and lifespan pass untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                guarded = {name for name, _ in FRAME_GUARD}
                kept = [(n, v) for n, v in message.get("headers", ()) if n.lower() not in guarded]
                message["headers"] = [*kept, *FRAME_GUARD]
            await send(message)

        await self.app(scope, receive, send_guarded)
