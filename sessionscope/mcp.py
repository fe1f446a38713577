"""One-line recorder for Python MCP servers: one OTLP span per request, sent to Sessionscope.

Usage (the optional extra: ``pip install 'sessionscope[mcp]'``)::

    from sessionscope.mcp import instrument

    server = MCPServer("docs")  # mcp 2.x; FastMCP("docs") on mcp 1.x
    instrument(server, endpoint="http://localhost:8501", token="sst_...",
               identify=lambda req: req.headers.get("x-user-email"))

What is recorded. Every request the server handles (``initialize``, ``tools/list``,
``tools/call``, ``resources/read``, ``prompts/get``, ...; not ``ping``, which is keep-alive
noise, and not notifications) becomes exactly one SERVER span named ``{method} {target}``
(``tools/call search_docs``), carrying ``mcp.method.name``, ``jsonrpc.request.id``,
``mcp.protocol.version``, ``mcp.session.id``, ``mcp.client.name`` / ``mcp.client.version``
(from the session's ``initialize`` clientInfo, on every span of the session), ``user.id``
(from ``identify``), the payloads as JSON text and, on failure, ``error.type`` with status
ERROR. ``tools/call`` spans also carry ``gen_ai.operation.name=execute_tool``,
``gen_ai.tool.name``, ``gen_ai.tool.call.arguments`` and ``gen_ai.tool.call.result``; the
other methods put their params and result in ``sessionscope.request.params`` and
``sessionscope.response.result`` (the GenAI conventions name no payload attributes for
them). Payloads above ``max_payload_bytes`` (UTF-8) are cut, end with a
``…[truncated by sessionscope: N bytes]`` marker and set ``sessionscope.payload.truncated``.
The top-level ``_meta`` of params and results is protocol plumbing and is not recorded.

Design decisions:

- Own pipeline. Spans go through a private ``TracerProvider`` (always-on sampler, so a
  sampled-out parent never loses a request) with a ``BatchSpanProcessor`` and the standard
  OTLP/HTTP protobuf exporter; the host program's global provider is never touched.
- One span per request, no duplicate. mcp 2.x already emits a span per request through the
  *global* OTel API, but without payloads or a session, and its tracer cannot be pointed at
  another provider without taking over the global one. So the recorder emits its own span
  from a server middleware placed right inside the SDK's ``OpenTelemetryMiddleware`` (it sees
  the same wire form), and only its own provider exports to Sessionscope. The SDK span is
  left alone for the host's tracing; when the host traces too, ours is its child (same
  trace), and our span is never made current, so the host's own spans keep their parents.
  mcp 1.x emits no spans; there the recorder wraps the server's request handlers, and
  ``initialize`` (which 1.x answers inside ``ServerSession``) through a patch of
  ``ServerSession._received_request`` that does nothing outside an instrumented server.
- Session id. Over HTTP only the transport knows the session: streamable HTTP's
  ``Mcp-Session-Id`` (or the old SSE transport's ``session_id``). Over a pipe (stdio, an
  in-memory stream pair) the pipe is the session: a uuid4 per connection (mcp 2.x: per
  ``Connection``, or per pipe on the 2026-07-28 protocol, which builds a ``Connection`` per
  request; mcp 1.x: per ``ServerSession``). Stateless HTTP and the 2026-07-28 single-exchange
  paths have no session at all, so their spans carry no ``mcp.session.id`` (the receiver
  groups them as it groups other emitters' session-less spans) rather than a made-up id per
  request. mcp 1.x does not expose the HTTP session id while answering ``initialize``, so
  that span waits for the session's next request to name it (or for the connection to
  close, or ``shutdown()``), and the whole session shares one id.
- Nothing breaks the server. ``identify`` and ``redact`` errors are logged and the field is
  dropped (a failing ``redact`` drops every payload rather than send it unredacted); any
  other recording error is logged; the request's own result or error always passes through
  unchanged. ``redact`` gets a deep copy, so it cannot alter what the client receives.
"""

from __future__ import annotations

import atexit
import contextvars
import importlib
import inspect
import json
import logging
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import TracerProvider

__all__ = ["INSTALL_HINT", "Recorder", "RequestInfo", "instrument", "traces_url"]

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'sessionscope[mcp]'"
DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024
# The span batch leaves at least this often, so a session shows up within the live refresh.
EXPORT_DELAY_MS = 1000
# One export, retries included, gives up after this: it bounds the exit of a server whose
# Sessionscope is down (the exporter's default of 10 s held an exit for 9 s in a test).
EXPORT_TIMEOUT_S = 5
SCOPE_NAME = "sessionscope.mcp"

_EXTRA_MODULES = (
    "mcp",
    "opentelemetry.sdk.trace",
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
)
_SKIPPED_METHODS = frozenset({"ping"})
_NAMED_TARGETS = frozenset({"tools/call", "prompts/get"})
_SESSION_HEADER = "mcp-session-id"
_PROTOCOL_HEADER = "mcp-protocol-version"
_CLIENT_INFO_META_KEY = "io.modelcontextprotocol/clientInfo"
_INVALID_PARAMS = -32602


@dataclass(frozen=True)
class RequestInfo:
    """What ``identify`` is given about one request, the same on mcp 1.x and 2.x.

    ``params`` are the raw request params (unredacted, in-process only); ``headers`` the
    HTTP request headers with lower-case names (empty on stdio); ``request`` the transport's
    HTTP request object (a Starlette ``Request``) or None; ``meta`` the request's ``_meta``;
    ``sdk_context`` the SDK's own request context (``ServerRequestContext`` in 2.x,
    ``RequestContext`` in 1.x) for anything else. ``session_id`` is None when the transport
    has no session, and for an mcp 1.x ``initialize`` over HTTP (the id is not known yet).
    """

    method: str
    target: str | None
    params: Mapping[str, Any]
    request_id: str | None
    session_id: str | None
    client_name: str | None
    client_version: str | None
    protocol_version: str | None
    headers: Mapping[str, str]
    meta: Mapping[str, Any]
    request: Any = None
    sdk_context: Any = None


Identify = Callable[[RequestInfo], str | None | Awaitable[str | None]]
Redact = Callable[[dict[str, Any]], dict[str, Any] | None]


@dataclass(eq=False)
class _Session:
    """One MCP session as the recorder knows it; its spans wait until it is ``named``.

    ``id`` None on a named session means the transport has no session (stateless HTTP,
    the 2026-07-28 single-exchange path): its spans carry no ``mcp.session.id``.
    """

    id: str | None = None
    named: bool = False
    client_name: str | None = None
    client_version: str | None = None
    pending: list[_Call] = field(default_factory=list)

    def learn_client(self, info: Any) -> None:
        """Keep the client's name and version once any request has told them."""
        name, version = _field(info, "name"), _field(info, "version")
        if isinstance(name, str) and name:
            self.client_name = name
            self.client_version = version if isinstance(version, str) else None


@dataclass(eq=False)
class _Call:
    """One handled request, held until its span is emitted."""

    info: RequestInfo
    session: _Session
    start_ns: int
    parent: Context
    user_id: str | None
    end_ns: int = 0
    result: Any = None
    error: BaseException | None = None


class Recorder:
    """The recording pipeline behind ``instrument()``: flush it, or shut it down.

    ``provider`` is its own ``TracerProvider`` (never the global one), for anyone who wants
    to add a span processor of their own.
    """

    def __init__(
        self,
        provider: TracerProvider,
        *,
        identify: Identify | None,
        redact: Redact | None,
        max_payload_bytes: int,
    ) -> None:
        self.provider = provider
        self._tracer = provider.get_tracer(SCOPE_NAME, _own_version())
        self._identify = identify
        self._redact = redact
        self._max_payload_bytes = max_payload_bytes
        self._waiting: set[_Session] = set()
        self._closed = False

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Send every finished span now; False if the exporter did not finish in time."""
        return self.provider.force_flush(timeout_millis)

    def shutdown(self) -> None:
        """Emit waiting spans, flush and stop the exporter; safe to call twice (atexit does)."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.shutdown)
        for session in list(self._waiting):
            self._settle(session, uuid.uuid4().hex)
        self.provider.shutdown()

    async def _observe(
        self, info: RequestInfo, session: _Session, call: Callable[[], Awaitable[Any]]
    ) -> Any:
        """Run one request, then record it; the request's outcome passes through untouched."""
        if info.method in _SKIPPED_METHODS:
            return await call()
        record = _Call(
            info=info,
            session=session,
            start_ns=time.time_ns(),
            parent=_parent_context(info.meta),
            user_id=await self._user_id(info),
        )
        try:
            result = await call()
        except BaseException as exc:
            self._finish(record, error=exc)
            raise
        self._finish(record, result=result)
        return result

    async def _user_id(self, info: RequestInfo) -> str | None:
        if self._identify is None:
            return None
        try:
            user = self._identify(info)
            if inspect.isawaitable(user):
                user = await user
        except Exception:
            logger.warning("sessionscope: identify() raised; user.id dropped", exc_info=True)
            return None
        return None if user is None else str(user)

    def _finish(
        self, record: _Call, *, result: Any = None, error: BaseException | None = None
    ) -> None:
        record.end_ns, record.result, record.error = time.time_ns(), result, error
        if not record.session.named:
            record.session.pending.append(record)
            self._waiting.add(record.session)
        else:
            self._emit(record)

    def _settle(self, session: _Session, session_id: str | None) -> None:
        """Name a session (the first name wins) and emit the spans that waited for it."""
        if not session.named:
            session.id, session.named = session_id, True
        pending, session.pending = session.pending, []
        self._waiting.discard(session)
        for record in pending:
            self._emit(record)

    def _emit(self, record: _Call) -> None:
        try:
            self._emit_span(record)
        except Exception:
            logger.exception("sessionscope: could not record %s", record.info.method)

    def _emit_span(self, record: _Call) -> None:
        from opentelemetry.trace import SpanKind, StatusCode

        info = record.info
        result = None if record.error else _without_meta(_plain(record.result))
        payload = self._redacted(record, result)
        error_type, message = _error_of(info.method, result, record.error, payload)
        attributes = {**self._attributes(record, result), **self._payload_attributes(info, payload)}
        if error_type is not None:
            attributes["error.type"] = error_type
            if error_type.lstrip("-").isdigit():
                attributes["rpc.response.status_code"] = error_type
        span = self._tracer.start_span(
            _span_name(info),
            context=record.parent,
            kind=SpanKind.SERVER,
            attributes=attributes,
            start_time=record.start_ns,
        )
        if error_type is not None:
            span.set_status(StatusCode.ERROR, message)
        span.end(end_time=record.end_ns)

    def _attributes(self, record: _Call, result: Any) -> dict[str, Any]:
        info, session = record.info, record.session
        values = {
            "mcp.method.name": info.method,
            "jsonrpc.request.id": info.request_id,
            "mcp.protocol.version": _negotiated_version(info, result),
            "mcp.session.id": session.id,
            "mcp.client.name": session.client_name,
            "mcp.client.version": session.client_version,
            "user.id": record.user_id,
        }
        if info.method == "tools/call":
            values["gen_ai.operation.name"] = "execute_tool"
            values["gen_ai.tool.name"] = info.target
        elif info.method == "prompts/get":
            values["gen_ai.prompt.name"] = info.target
        elif info.method == "resources/read":
            values["mcp.resource.uri"] = info.params.get("uri")
        return {key: value for key, value in values.items() if value is not None}

    def _redacted(self, record: _Call, result: Any) -> dict[str, Any] | None:
        """The payloads (JSON-safe copies) after ``redact``; None means send none of them."""
        info = record.info
        payload = {
            "method": info.method,
            "target": info.target,
            "arguments": _arguments_of(info),
            "result": result,
            "error": _error_message(record.error),
        }
        if self._redact is None:
            return payload
        try:
            redacted = self._redact(payload)
        except Exception:
            logger.warning("sessionscope: redact() raised; payloads dropped", exc_info=True)
            return None
        if redacted is not None and not isinstance(redacted, Mapping):
            logger.warning("sessionscope: redact() returned %s; payloads dropped", type(redacted))
            return None
        return redacted

    def _payload_attributes(
        self, info: RequestInfo, payload: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        if not payload:
            return {}
        is_tool = info.method == "tools/call"
        names = {
            "arguments": "gen_ai.tool.call.arguments" if is_tool else "sessionscope.request.params",
            "result": "gen_ai.tool.call.result" if is_tool else "sessionscope.response.result",
        }
        attributes: dict[str, Any] = {}
        for key, name in names.items():
            value = payload.get(key)
            if value is None or (value == {} and not is_tool):
                continue
            text, cut = _capped_json(value, self._max_payload_bytes)
            attributes[name] = text
            if cut:
                attributes["sessionscope.payload.truncated"] = True
        return attributes


def instrument(
    server: Any,
    *,
    endpoint: str,
    token: str,
    identify: Identify | None = None,
    redact: Redact | None = None,
    service_name: str | None = None,
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
) -> Recorder:
    """Record every request ``server`` handles as an OTLP span sent to Sessionscope.

    ``server`` is an mcp 2.x ``MCPServer`` or low-level ``Server``, or an mcp 1.x ``FastMCP``
    or low-level ``Server``; call this once, before serving. ``endpoint`` is the Sessionscope
    base URL (``http://localhost:8501``); spans are posted to ``{endpoint}/v1/traces`` (a URL
    already ending in ``/v1/traces`` is used as is) with ``Authorization: Bearer {token}``.

    ``identify(request_info)`` returns the end user's id (``user.id``) or None; it may be
    async. It gets a ``RequestInfo`` (method, params, session id, client, HTTP headers, the
    SDK's own context) and runs before the handler.

    ``redact(payload)`` runs before anything is set on a span, once per request, after the
    handler, with JSON-safe copies: ``{"method", "target", "arguments", "result", "error"}``
    (``arguments`` are a tool's arguments, or another method's params; ``error`` is the
    message of a JSON-RPC error or exception, the span's status message; a tool's
    ``isError`` result is in ``result``, and its first text becomes the status message). It
    returns the dict to record, where a missing or None ``arguments``/``result``/``error``
    is not recorded, or None to record none of them. ``method`` and ``target`` are context
    only; changing them changes nothing.

    ``service_name`` defaults to the server's name (the ``service.name`` resource attribute;
    ``service.instance.id`` is a uuid per call). ``max_payload_bytes`` caps each payload.
    Returns the ``Recorder``: ``force_flush()`` sends what is finished, ``shutdown()`` also
    stops the exporter; an atexit hook shuts it down at interpreter exit.
    """
    _require_extra()
    if not endpoint or not token:
        raise ValueError("instrument() needs the Sessionscope endpoint URL and an ingest token")
    if max_payload_bytes < 1:
        raise ValueError("max_payload_bytes must be positive")
    lowlevel = _lowlevel_of(server)
    if getattr(lowlevel, "_sessionscope_recorder", None) is not None:
        raise RuntimeError("this MCP server is already instrumented by sessionscope")
    provider = _make_provider(
        traces_url(endpoint),
        token,
        service_name=service_name or getattr(lowlevel, "name", None) or "mcp-server",
        service_version=getattr(lowlevel, "version", None) or None,
    )
    recorder = Recorder(
        provider, identify=identify, redact=redact, max_payload_bytes=max_payload_bytes
    )
    if _is_v2(lowlevel):
        _V2Middleware.install(lowlevel, recorder)
    else:
        _V1Adapter.install(lowlevel, recorder)
    lowlevel._sessionscope_recorder = recorder
    atexit.register(recorder.shutdown)
    return recorder


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL for a Sessionscope base URL (or a URL that already is one)."""
    base = endpoint.rstrip("/")
    return base if base.endswith("/v1/traces") else f"{base}/v1/traces"


def _require_extra() -> None:
    for name in _EXTRA_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ImportError(
                f"sessionscope.mcp needs the optional 'mcp' extra ({name} could not be "
                f"imported): {INSTALL_HINT}"
            ) from exc


def _make_provider(
    url: str, token: str, *, service_name: str, service_version: str | None
) -> TracerProvider:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON

    attributes = {"service.name": service_name, "service.instance.id": str(uuid.uuid4())}
    if service_version:
        attributes["service.version"] = service_version
    # Resource.create adds telemetry.sdk.* and OTEL_RESOURCE_ATTRIBUTES; ours win on conflict.
    provider = TracerProvider(resource=Resource.create(attributes), sampler=ALWAYS_ON)
    exporter = OTLPSpanExporter(
        endpoint=url, headers={"Authorization": f"Bearer {token}"}, timeout=EXPORT_TIMEOUT_S
    )
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=EXPORT_DELAY_MS))
    return provider


def _lowlevel_of(server: Any) -> Any:
    """The SDK's low-level server behind a high-level one (2.x MCPServer, 1.x FastMCP)."""
    for attribute in ("_lowlevel_server", "_mcp_server"):
        inner = getattr(server, attribute, None)
        if inner is not None:
            return inner
    if _is_v2(server) or isinstance(getattr(server, "request_handlers", None), dict):
        return server
    raise TypeError(
        "sessionscope.mcp.instrument() takes an MCP server from the official Python SDK "
        f"(MCPServer or Server in mcp 2.x, FastMCP or Server in mcp 1.x), not {type(server)!r}"
    )


def _is_v2(lowlevel: Any) -> bool:
    return isinstance(getattr(lowlevel, "middleware", None), list)


class _V2Middleware:
    """mcp 2.x: a server middleware that records every request it passes on."""

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder
        self._sessions: weakref.WeakKeyDictionary[Any, _Session] = weakref.WeakKeyDictionary()

    @classmethod
    def install(cls, lowlevel: Any, recorder: Recorder) -> None:
        """Sit right inside the SDK's own span, so both see the same wire form of a request."""
        chain = lowlevel.middleware
        sdk = [i for i, m in enumerate(chain) if type(m).__name__ == "OpenTelemetryMiddleware"]
        chain.insert(sdk[0] + 1 if sdk else 0, cls(recorder))

    async def __call__(self, ctx: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
        if ctx.request_id is None:  # a notification: nothing to answer, nothing to record
            return await call_next(ctx)
        try:
            session = self._session_of(ctx)
            info = self._info(ctx, session)
        except Exception:
            logger.exception("sessionscope: could not read the request; not recorded")
            return await call_next(ctx)
        return await self._recorder._observe(info, session, lambda: call_next(ctx))

    def _session_of(self, ctx: Any) -> _Session:
        """The transport's session id; else one per pipe; else none (one request, one exchange)."""
        connection = getattr(ctx.session, "_connection", None)
        named = getattr(connection, "session_id", None)
        if named or ctx.request is not None:  # HTTP: only the transport knows the session
            return self._session_for(connection, named or _http_session_id(ctx.request))
        if not getattr(connection, "has_standalone_channel", False):
            return _Session(named=True)  # the in-process 2026-07-28 path: no connection at all
        # A 2026-07-28 pipe builds a Connection per request around one shared outbound.
        return self._session_for(connection.outbound, uuid.uuid4().hex)

    def _session_for(self, key: Any, session_id: str | None) -> _Session:
        try:
            session = self._sessions.setdefault(key, _Session())
        except TypeError:  # an unhashable key: this request is all we know
            session = _Session()
        if not session.named:
            session.id, session.named = session_id, True
        return session

    def _info(self, ctx: Any, session: _Session) -> RequestInfo:
        params = dict(ctx.params or {})
        meta = _mapping(params.get("_meta"))
        client_params = getattr(ctx.session, "client_params", None)
        session.learn_client(_field(client_params, "client_info"))
        session.learn_client(meta.get(_CLIENT_INFO_META_KEY))
        if ctx.method == "initialize":
            session.learn_client(params.get("clientInfo"))
        return _request_info(
            method=ctx.method,
            params=params,
            request_id=ctx.request_id,
            session=session,
            protocol_version=ctx.protocol_version,
            request=ctx.request,
            sdk_context=ctx,
        )


@dataclass(eq=False)
class _V1Scope:
    """The instrumented mcp 1.x server a ``Server.run`` call belongs to, and its sessions."""

    adapter: _V1Adapter
    stateless: bool = False
    sessions: set[_Session] = field(default_factory=set)


_V1_SCOPE: contextvars.ContextVar[_V1Scope | None] = contextvars.ContextVar(
    "sessionscope_mcp1_scope", default=None
)


class _V1Adapter:
    """mcp 1.x: wrap the request handlers, the run loop and ``initialize``."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self._sessions: weakref.WeakKeyDictionary[Any, _Session] = weakref.WeakKeyDictionary()

    @classmethod
    def install(cls, lowlevel: Any, recorder: Recorder) -> None:
        adapter = cls(recorder)
        table = _HandlerTable(adapter.wrap, lowlevel.request_handlers)
        lowlevel.request_handlers = table
        experimental = getattr(lowlevel, "_experimental_handlers", None)
        if experimental is not None:  # it keeps its own reference to the table
            experimental._request_handlers = table
        lowlevel.run = adapter.wrap_run(lowlevel.run)
        _patch_v1_initialize()

    def wrap(self, handler: Callable[[Any], Awaitable[Any]]) -> Callable[[Any], Awaitable[Any]]:
        if getattr(handler, "_sessionscope_wrapped", False):
            return handler

        async def recorded(request: Any) -> Any:
            from mcp.server.lowlevel.server import request_ctx

            if request is None:  # 1.x calls its tools/list handler itself before a tools/call
                return await handler(request)
            try:
                ctx = request_ctx.get()
                info, session = self._read(request, ctx.session, ctx.request_id, ctx.request, ctx)
            except Exception:
                logger.exception("sessionscope: could not read the request; not recorded")
                return await handler(request)
            return await self.recorder._observe(info, session, lambda: handler(request))

        recorded._sessionscope_wrapped = True  # type: ignore[attr-defined]
        return recorded

    def wrap_run(self, run: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        """Mark the connection's tasks as ours, and settle its sessions when it closes."""

        async def recorded_run(*args: Any, **kwargs: Any) -> Any:
            # Server.run(read, write, options, raise_exceptions=False, stateless=False)
            stateless = kwargs.get("stateless", len(args) > 4 and args[4])
            scope = _V1Scope(adapter=self, stateless=bool(stateless))
            token = _V1_SCOPE.set(scope)
            try:
                return await run(*args, **kwargs)
            finally:
                _V1_SCOPE.reset(token)
                for session in scope.sessions:  # an initialize whose session never said its id
                    self.recorder._settle(session, uuid.uuid4().hex)

        return recorded_run

    async def observe_initialize(
        self, server_session: Any, responder: Any, call: Callable[[], Awaitable[Any]]
    ) -> Any:
        try:
            metadata = getattr(responder, "message_metadata", None)
            http_request = getattr(metadata, "request_context", None)
            request = responder.request.root
            info, session = self._read(
                request, server_session, responder.request_id, http_request, responder
            )
        except Exception:
            logger.exception("sessionscope: could not read initialize; not recorded")
            return await call()
        return await self.recorder._observe(info, session, call)

    def _read(
        self, request: Any, server_session: Any, request_id: Any, http_request: Any, ctx: Any
    ) -> tuple[RequestInfo, _Session]:
        method = request.method
        params = _plain(getattr(request, "params", None)) or {}
        headers = _headers_of(http_request)
        session = self._session_of(server_session, http_request, method)
        client_params = getattr(server_session, "client_params", None)
        session.learn_client(_field(client_params, "clientInfo"))
        if method == "initialize":
            session.learn_client(params.get("clientInfo"))
        info = _request_info(
            method=method,
            params=params,
            request_id=request_id,
            session=session,
            protocol_version=headers.get(_PROTOCOL_HEADER) or _v1_version(client_params, params),
            request=http_request,
            sdk_context=ctx,
        )
        return info, session

    def _session_of(self, server_session: Any, http_request: Any, method: str) -> _Session:
        """The HTTP session id; none on stateless HTTP; else one per ``ServerSession``."""
        session = self._sessions.setdefault(server_session, _Session())
        scope = _V1_SCOPE.get()
        if scope is not None:
            scope.sessions.add(session)
        named = _http_session_id(http_request)
        if named or (scope is not None and scope.stateless):
            self.recorder._settle(session, named)
        elif not (http_request is not None and method == "initialize"):
            self.recorder._settle(session, uuid.uuid4().hex)
        # else: 1.x answers initialize before the HTTP session id is visible, so it waits.
        return session


class _HandlerTable(dict):
    """mcp 1.x's handler table, recording every handler put in it (now or later)."""

    def __init__(self, wrap: Callable[[Any], Any], handlers: Mapping[Any, Any]) -> None:
        super().__init__()
        self._wrap = wrap
        for request_type, handler in handlers.items():
            self[request_type] = handler

    def __setitem__(self, request_type: Any, handler: Any) -> None:
        super().__setitem__(request_type, self._wrap(handler))


def _patch_v1_initialize() -> None:
    """Route 1.x ``initialize`` through the recorder, but only inside an instrumented run."""
    from mcp.server.session import ServerSession

    original = ServerSession._received_request
    if getattr(original, "_sessionscope_wrapped", False):
        return

    async def _received_request(self: Any, responder: Any) -> Any:
        scope = _V1_SCOPE.get()
        request = getattr(getattr(responder, "request", None), "root", None)
        if scope is None or getattr(request, "method", None) != "initialize":
            return await original(self, responder)
        return await scope.adapter.observe_initialize(
            self, responder, lambda: original(self, responder)
        )

    _received_request._sessionscope_wrapped = True  # type: ignore[attr-defined]
    ServerSession._received_request = _received_request


def _request_info(
    *,
    method: str,
    params: dict[str, Any],
    request_id: Any,
    session: _Session,
    protocol_version: str | None,
    request: Any,
    sdk_context: Any,
) -> RequestInfo:
    target = params.get("name") if method in _NAMED_TARGETS else None
    return RequestInfo(
        method=method,
        target=target if isinstance(target, str) else None,
        params=params,
        request_id=None if request_id is None else str(request_id),
        session_id=session.id,
        client_name=session.client_name,
        client_version=session.client_version,
        protocol_version=protocol_version,
        headers=_headers_of(request),
        meta=_mapping(params.get("_meta")),
        request=request,
        sdk_context=sdk_context,
    )


def _v1_version(client_params: Any, params: Mapping[str, Any]) -> str | None:
    """The version 1.x negotiates: the client's if the SDK supports it, else the SDK's latest."""
    requested = _field(client_params, "protocolVersion") or params.get("protocolVersion")
    try:
        from mcp.shared.version import SUPPORTED_PROTOCOL_VERSIONS
        from mcp.types import LATEST_PROTOCOL_VERSION
    except ImportError:
        return requested
    return requested if requested in SUPPORTED_PROTOCOL_VERSIONS else LATEST_PROTOCOL_VERSION


def _negotiated_version(info: RequestInfo, result: Any) -> str | None:
    """The version a request ran at; initialize's own answer says what was agreed."""
    if info.method == "initialize":
        agreed = _field(result, "protocolVersion")
        if isinstance(agreed, str):
            return agreed
    return info.protocol_version


def _parent_context(meta: Mapping[str, Any]) -> Context:
    """The span's parent: the SDK's current span, else the caller's ``traceparent``, else none."""
    from opentelemetry import context, propagate, trace

    if trace.get_current_span().get_span_context().is_valid:
        return context.get_current()
    if "traceparent" in meta:
        try:
            return propagate.extract(dict(meta))
        except Exception:
            logger.debug("sessionscope: unreadable traceparent", exc_info=True)
    return context.Context()


def _span_name(info: RequestInfo) -> str:
    return f"{info.method} {info.target}" if info.target else info.method


def _arguments_of(info: RequestInfo) -> Any:
    if info.method == "tools/call":
        return _plain(info.params.get("arguments")) or {}
    return _without_meta(_plain(info.params))


def _error_of(
    method: str, result: Any, error: BaseException | None, payload: Mapping[str, Any] | None
) -> tuple[str | None, str | None]:
    """``error.type`` and the status message, the message taken from the redacted payload."""
    message = (payload or {}).get("error")
    message = message if isinstance(message, str) else None
    if error is not None:
        code = _field(getattr(error, "error", None), "code")
        if isinstance(code, int):
            return str(code), message
        if _is_validation_error(error):
            return str(_INVALID_PARAMS), message
        return type(error).__qualname__, message
    if method == "tools/call" and _field(result, "isError") is True:
        return "tool_error", _first_text((payload or {}).get("result"))
    return None, None


def _error_message(error: BaseException | None) -> str | None:
    if error is None:
        return None
    rpc_message = _field(getattr(error, "error", None), "message")
    if isinstance(rpc_message, str):
        return rpc_message
    if _is_validation_error(error):
        return "Invalid request parameters"  # pydantic's own text repeats the client's input
    return str(error) or type(error).__qualname__


def _is_validation_error(error: BaseException) -> bool:
    try:
        from pydantic import ValidationError
    except ImportError:
        return False
    return isinstance(error, ValidationError)


def _first_text(result: Any) -> str | None:
    content = _field(result, "content")
    for item in content if isinstance(content, list) else []:
        text = _field(item, "text")
        if isinstance(text, str):
            return text
    return None


def _plain(value: Any) -> Any:
    """A JSON-safe deep copy: pydantic models dumped the way they go over the wire."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(by_alias=True, mode="json", exclude_none=True)
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    return str(value)


def _without_meta(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: item for key, item in value.items() if key != "_meta"}
    return value


def _capped_json(value: Any, limit: int) -> tuple[str, bool]:
    """JSON text of at most ``limit`` UTF-8 bytes; a cut one ends with a marker saying so."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    data = text.encode()
    if len(data) <= limit:
        return text, False
    marker = f"…[truncated by sessionscope: {len(data)} bytes]"
    room = max(limit - len(marker.encode()), 0)
    # errors="ignore" drops a character the cut split in half.
    return data[:room].decode(errors="ignore") + marker, True


def _http_session_id(request: Any) -> str | None:
    """Streamable HTTP's ``Mcp-Session-Id``, or the old SSE transport's ``session_id`` query."""
    named = _headers_of(request).get(_SESSION_HEADER)
    if not named:
        query = getattr(request, "query_params", None)
        named = query.get("session_id") if isinstance(query, Mapping) else None
    return named or None


def _headers_of(request: Any) -> dict[str, str]:
    headers = getattr(request, "headers", None)
    if headers is None:
        return {}
    try:
        return {str(name).lower(): str(value) for name, value in headers.items()}
    except Exception:
        return {}


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _field(value: Any, name: str) -> Any:
    """``value[name]`` for a dict, ``value.name`` for a model, None when absent."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return value.get(name)
    return getattr(value, name, None)


def _own_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("sessionscope")
    except Exception:
        return None
