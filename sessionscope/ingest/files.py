"""`sessionscope ingest FILE...`: OTLP trace exports from files, through the receiver's path.

A file is one protobuf ExportTraceServiceRequest, one OTLP/JSON request, or JSON lines of
them (what the Collector's file exporter writes); gzip is recognised by its magic bytes.
Each request is written in its own transaction, as it would be over HTTP; a bad request is
reported with its file and line and writes nothing. Each run is one audit entry per file
(who, the file's SHA-256, the counts).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from sessionscope import audit
from sessionscope.db import begin_write
from sessionscope.errors import SessionscopeError
from sessionscope.ingest import otlp
from sessionscope.ingest.receiver import ingest

GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class FileReport:
    """Per file: requests, spans and calls written, and the problems met."""

    path: Path
    requests: int = 0
    spans: int = 0
    rejected: int = 0
    ignored: int = 0
    calls_inserted: int = 0
    calls_updated: int = 0
    sessions: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    files: list[FileReport]

    @property
    def failed(self) -> bool:
        return any(f.problems for f in self.files)

    def summary(self) -> str:
        lines = []
        for f in self.files:
            lines.append(
                f"{f.path}: {f.requests} request(s), {f.spans} span(s): "
                f"{f.calls_inserted} call(s) inserted, {f.calls_updated} updated, "
                f"{len(f.sessions)} session(s); {f.rejected} rejected, {f.ignored} not MCP"
            )
            lines += [f"  {p}" for p in f.problems]
        return "\n".join(lines)


def _requests(path: Path) -> Iterator[tuple[str, bytes, str]]:
    """(where, body, kind) for each request in the file."""
    raw = path.read_bytes()
    if raw[:2] == GZIP_MAGIC:
        raw = otlp.inflate(raw, "gzip")
    if raw.lstrip()[:1] != b"{":
        yield str(path), raw, otlp.PROTOBUF
        return
    lines = [line for line in raw.splitlines() if line.strip()]
    if len(lines) > 1 and all(line.lstrip()[:1] == b"{" for line in lines):
        for number, line in enumerate(raw.splitlines(), 1):
            if line.strip():
                yield f"{path}:{number}", line, otlp.JSON
    else:
        yield str(path), raw, otlp.JSON


def ingest_files(
    engine: Engine, *, org_id: str, paths: list[Path], idle_minutes: int, actor: str
) -> IngestReport:
    """Ingest each file's requests for `org_id`; audit one entry per file."""
    idle = timedelta(minutes=idle_minutes)
    reports = []
    for path in paths:
        report = FileReport(path)
        try:
            for where, body, kind in _requests(path):
                _one(engine, org_id, where, body, kind, idle, report)
        except OSError as exc:
            report.problems.append(f"{path}: cannot read: {exc.strerror}")
        except SessionscopeError as exc:
            report.problems.append(f"{path}: {exc}")
        _audit(engine, org_id, actor, path, report)
        reports.append(report)
    return IngestReport(reports)


def _one(
    engine: Engine,
    org_id: str,
    where: str,
    body: bytes,
    kind: str,
    idle: timedelta,
    report: FileReport,
) -> None:
    try:
        request = otlp.decode(body, kind=kind)
    except SessionscopeError as exc:
        report.problems.append(f"{where}: {exc}")
        return
    done = ingest(engine, org_id=org_id, request=request, idle=idle)
    report.requests += 1
    report.spans += done.spans
    report.rejected += done.rejected
    report.ignored += done.ignored
    report.calls_inserted += done.written.calls_inserted
    report.calls_updated += done.written.calls_updated
    report.sessions |= done.written.session_ids


def _audit(engine: Engine, org_id: str, actor: str, path: Path, report: FileReport) -> None:
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        digest = None
    detail = {
        "file": path.name,
        "sha256": digest,
        "requests": report.requests,
        "spans": report.spans,
        "calls_inserted": report.calls_inserted,
        "calls_updated": report.calls_updated,
        "sessions": len(report.sessions),
        "problems": len(report.problems),
    }
    with begin_write(engine) as conn:
        audit.record(conn, org_id=org_id, actor_email=actor, action="ingest.file", detail=detail)
