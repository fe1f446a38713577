"""Import a JSON Lines file of recorded sessions in one transaction (`sessionscope import`).

Each line is one row of a table in sessionscope.schema, tagged with a `type`. The
rules are derived from the Table metadata (required columns, value types, string
lengths, foreign keys, unique keys) plus what metadata cannot say: enum values, id
prefixes, and that every reference stays inside one organization. An import is bound to
one organization (`--org`): every line must belong to it, and member lines need an
explicit `allow_members`. Lines are read with a size cap and parsed with a nesting cap.
Valid rows are upserted by primary key in batches, parents before children, so
re-importing a file changes nothing and tens of thousands of lines take seconds. The
organization's redaction rules are applied to each row before it is written. Every
run is audited (`import.file`: who, the file's SHA-256, the counts).
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from sessionscope import audit, human, redaction, rollup, schema
from sessionscope.errors import ImportValidationError, SessionscopeError

MAX_ERRORS = 20
# Rows buffered before they are checked against the database and written: bounds
# memory while keeping round trips few.
BATCH_ROWS = 5_000
# Ids per `IN (...)` lookup; far below SQLite's and PostgreSQL's parameter limits.
LOOKUP_CHUNK = 1_000
INT_MAX = 2**31 - 1  # sa.Integer is a 32-bit integer on PostgreSQL
LINE = "(line)"  # the field named by errors about a line as a whole
# One line is one row: far above any real row, far below what would exhaust memory. A longer
# line is skipped without being read whole (a 300 MB line once took 1.66 GB to refuse).
MAX_LINE_BYTES = 8 * 2**20
READ_CHUNK = 2**20  # how a too-long line is skipped, and the rest of a file hashed
# Arrays and objects nested deeper than this are refused (the line's own object is level 1);
# a 100,000-deep line used to crash the import with a RecursionError.
MAX_DEPTH = 64
ALLOW_MEMBERS_FLAG = "--allow-members"

TYPES: dict[str, sa.Table] = {
    "organization": schema.organizations,
    "member": schema.members,
    "end_user": schema.end_users,
    "server": schema.servers,
    "session": schema.sessions,
    "tool_call": schema.tool_calls,
    "support_ticket": schema.support_tickets,
    "stage": schema.session_stages,
    "state": schema.session_states,
}
ID_PREFIXES: dict[str, str] = {
    "organizations": "org_",
    "members": "mem_",
    "end_users": "usr_",
    "servers": "srv_",
    "sessions": "ses_",
    "tool_calls": "tc_",
    "support_tickets": "sr_",
}
ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("members", "role"): schema.ROLES,
    ("servers", "kind"): schema.SERVER_KINDS,
    ("sessions", "status"): schema.SESSION_STATUSES,
    ("sessions", "current_stage"): schema.STAGES,
    ("support_tickets", "status"): schema.TICKET_STATUSES,
    ("support_tickets", "priority"): schema.TICKET_PRIORITIES,
    ("session_stages", "stage"): schema.STAGES,
    ("session_stages", "status"): schema.STAGE_STATUSES,
}
SESSION_TOTALS = ("total_tool_calls", "total_errors")
# Member emails are unique per organization case-insensitively (uq_members_org_email_ci):
# stored stripped and lower-cased, and compared with the database's lower(email).
CASE_INSENSITIVE = frozenset({("members", "email")})

Row = dict[str, Any]
Key = tuple[Any, ...]
Validator = Callable[[Any], Any]


class ImportRejected(SessionscopeError):
    """The file has invalid lines and nothing was written; `errors` lists them by line."""

    def __init__(self, path: Path, errors: list[ImportValidationError], *, truncated: bool) -> None:
        self.path, self.errors, self.truncated = path, errors, truncated
        count = f"{len(errors)} error(s)"
        if truncated:
            count += f", stopped at the limit of {MAX_ERRORS}"
        lines = [f"{path}: {count}; nothing was written", *(f"  {e}" for e in errors)]
        super().__init__("\n".join(lines))


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would have done), counted per line type."""

    path: Path
    dry_run: bool
    records: int = 0
    sha256: str = ""  # of the whole file, as read
    inserted: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    sessions_without_totals: int = 0
    redacted: Counter[str] = field(default_factory=Counter)  # rows the org's rules changed

    def summary(self) -> str:
        out = [f"{self.path}: {self.records} records"]
        for name in TYPES:
            counts = (self.inserted[name], self.updated[name], self.unchanged[name])
            if any(counts):
                out.append(
                    f"  {name:<15}{counts[0]:>8} inserted{counts[1]:>8} updated"
                    f"{counts[2]:>8} unchanged"
                )
        if self.sessions_without_totals:
            out.append(
                f"note: {self.sessions_without_totals} session line(s) omit "
                f"{' or '.join(SESSION_TOTALS)}: those keep their stored value (0 for a new "
                "session), and the dashboard shows them"
            )
        if self.redacted:
            masked = ", ".join(f"{n} {name}" for name, n in sorted(self.redacted.items()))
            out.append(f"redacted by the organization's rules: {masked}")
        out.append("dry run: nothing written" if self.dry_run else "committed")
        return "\n".join(out)


def import_file(
    engine: Engine,
    path: Path,
    *,
    org_id: str,
    actor: str,
    dry_run: bool,
    allow_members: bool = False,
) -> ImportReport:
    """Validate and upsert every line of `path`, all of it `org_id`'s, in one transaction.

    Raises ImportRejected (nothing written) if any line is invalid or outside `org_id`;
    member lines are refused unless `allow_members`. A dry run does all the work, writes
    included, and then rolls the transaction back. Every run, refused ones too, leaves one
    `import.file` audit entry by `actor`: in the import's transaction when it commits, in
    its own otherwise.
    """
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise SessionscopeError(f"cannot read {path}: {exc.strerror}") from None
    report = ImportReport(path=path, dry_run=dry_run)
    entry = _AuditEntry(org_id, actor, allow_members)
    with handle, engine.connect() as conn:
        try:
            with conn.begin() as transaction:
                importer = _Importer(conn, report, org_id=org_id, allow_members=allow_members)
                _import(importer, handle, path)
                if dry_run:
                    transaction.rollback()
                else:
                    entry.record(conn, report, outcome="committed")
        except ImportRejected as rejected:
            with conn.begin():
                entry.record(conn, report, outcome="rejected", errors=len(rejected.errors))
            raise
        if dry_run:
            with conn.begin():
                entry.record(conn, report, outcome="dry_run")
    return report


def _import(importer: _Importer, handle: IO[bytes], path: Path) -> None:
    importer.run(handle)
    importer.report.sha256 = importer.digest.hexdigest()
    if importer.errors:
        raise ImportRejected(path, importer.sorted_errors(), truncated=importer.truncated)
    importer.refresh_rollup()


@dataclass(frozen=True)
class _AuditEntry:
    """Who ran an import, for which organization: written as one `import.file` entry."""

    org_id: str
    actor: str
    allow_members: bool

    def record(
        self, conn: sa.Connection, report: ImportReport, *, outcome: str, errors: int = 0
    ) -> None:
        detail: dict[str, Any] = {
            "file": report.path.name,
            "sha256": report.sha256,
            "records": report.records,
            "dry_run": report.dry_run,
            "allow_members": self.allow_members,
            "outcome": outcome,
        }
        if errors:  # a refused file wrote nothing, whatever a batch had counted
            detail["errors"] = errors
        else:
            detail |= {
                "inserted": dict(report.inserted),
                "updated": dict(report.updated),
                "unchanged": dict(report.unchanged),
            }
        audit.record(
            conn, org_id=self.org_id, actor_email=self.actor, action="import.file", detail=detail
        )


# --- per-type rules, derived from the tables -------------------------------------------


class _Invalid(Exception):
    """A value breaks a rule; the argument says which, for a person."""


@dataclass(frozen=True)
class _Spec:
    type: str
    table: sa.Table
    fields: Mapping[str, Validator]
    required: frozenset[str]
    nullable: frozenset[str]
    refs: Mapping[str, sa.Table]  # column -> the table it points at
    key: tuple[str, ...]  # primary key columns
    uniques: tuple[tuple[str, ...], ...]  # unique constraints other than the primary key


_JSON_KINDS = {type(None): "null", bool: "boolean", int: "number", float: "number"}
_JSON_KINDS |= {str: "string", list: "array", dict: "object"}


def _describe(value: Any) -> str:
    """A JSON value for a message: its kind and a short preview, e.g. `string "12"`."""
    text = json.dumps(value)
    return f"{_JSON_KINDS[type(value)]} {text if len(text) <= 40 else text[:37] + '...'}"


def _string(max_len: int | None) -> Validator:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise _Invalid(f"expected a string, got {_describe(value)}")
        if max_len is not None and len(value) > max_len:
            raise _Invalid(f"is {len(value)} characters long, the limit is {max_len}")
        if "\x00" in value:  # PostgreSQL text cannot hold NUL
            raise _Invalid("contains a NUL character")
        return value

    return check


def _identifier(prefix: str, max_len: int | None) -> Validator:
    as_string, shape = _string(max_len), re.compile(re.escape(prefix) + r"\S+\Z")

    def check(value: Any) -> str:
        if not shape.match(as_string(value)):
            raise _Invalid(f"{json.dumps(value)} is not an id of the form '{prefix}...'")
        return value

    return check


def _email(max_len: int | None) -> Validator:
    as_string = _string(max_len)

    def check(value: Any) -> str:
        email = as_string(value).strip().lower()
        if not email:
            raise _Invalid("is empty")
        return email

    return check


def _one_of(allowed: tuple[str, ...]) -> Validator:
    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise _Invalid(f"{json.dumps(value)} is not one of: {', '.join(allowed)}")
        return value

    return check


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(f"expected a whole number, got {_describe(value)}")
    if not 0 <= value <= INT_MAX:
        raise _Invalid(f"{value} is outside 0..{INT_MAX}")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"expected true or false, got {_describe(value)}")
    return value


def _timestamp(value: Any) -> datetime:
    if not isinstance(value, str):
        raise _Invalid(f"expected an ISO-8601 timestamp string, got {_describe(value)}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _Invalid(f"{json.dumps(value)} is not an ISO-8601 timestamp") from None
    if parsed.tzinfo is None:
        # A naive time would be silently read as UTC; make the writer say what they mean.
        raise _Invalid(f"{json.dumps(value)} has no timezone: add 'Z' or an offset like '+00:00'")
    return parsed


def _any_json(value: Any) -> Any:
    return value  # the decoder only produces JSON values


def _reject_constant(name: str) -> None:
    # Python's json accepts NaN and Infinity; JSON (and PostgreSQL's jsonb) do not.
    raise ValueError(f"{name} is not a JSON value")


# One decoder for the whole file: json.loads with options builds a new one per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _validator(table: sa.Table, column: sa.Column[Any]) -> Validator:
    if (table.name, column.name) in ENUMS:
        return _one_of(ENUMS[table.name, column.name])
    kind = column.type
    length = getattr(kind, "length", None)
    if column.name == "id":
        return _identifier(ID_PREFIXES[table.name], length)
    if column.foreign_keys:
        return _identifier(ID_PREFIXES[_target(column).name], length)
    if isinstance(kind, schema.UTCDateTime):
        return _timestamp
    if isinstance(kind, sa.Boolean):
        return _boolean
    if isinstance(kind, sa.Integer):
        return _integer
    if isinstance(kind, sa.JSON):
        return _any_json
    if isinstance(kind, sa.String):
        return _email(length) if (table.name, column.name) in CASE_INSENSITIVE else _string(length)
    # Fail at import time, not on a user's file, when the schema grows a new type.
    raise TypeError(f"no import rule for {table.name}.{column.name} ({kind!r})")


def _target(column: sa.Column[Any]) -> sa.Table:
    (fk,) = column.foreign_keys
    return fk.column.table


def _build_spec(type_name: str, table: sa.Table) -> _Spec:
    cols = list(table.columns)
    return _Spec(
        type=type_name,
        table=table,
        fields={c.name: _validator(table, c) for c in cols},
        required=frozenset(
            c.name for c in cols if c.primary_key or (not c.nullable and c.server_default is None)
        ),
        nullable=frozenset(c.name for c in cols if c.nullable),
        refs={c.name: _target(c) for c in cols if c.foreign_keys},
        key=tuple(c.name for c in table.primary_key.columns),
        # dict.fromkeys: members' unique (org_id, email) and (org_id, lower(email)) are one rule
        uniques=tuple(
            dict.fromkeys(
                tuple(c.name for c in con.columns)
                for con in [*table.constraints, *table.indexes]
                if isinstance(con, sa.UniqueConstraint) or getattr(con, "unique", False)
            )
        ),
    )


SPECS: dict[str, _Spec] = {name: _build_spec(name, table) for name, table in TYPES.items()}
TYPE_OF: dict[str, str] = {table.name: name for name, table in TYPES.items()}
# Parents before children, so every foreign key points at a row already written.
WRITE_ORDER = [t for t in schema.metadata.sorted_tables if t.name in TYPE_OF]


def _org_of(table: sa.Table, row: Row) -> str | None:
    """The organization a row belongs to; None for rows that carry none (stages, states)."""
    return row.get("id") if table is schema.organizations else row.get("org_id")


def _has_org(table: sa.Table) -> bool:
    return table is schema.organizations or "org_id" in table.c


def _compared(table: sa.Table, name: str) -> sa.ColumnElement[Any]:
    """A column as a unique key compares it: lower(email) for member emails."""
    column = table.c[name]
    return sa.func.lower(column) if (table.name, name) in CASE_INSENSITIVE else column


def _unknown_field(spec: _Spec, key: str) -> str:
    close = difflib.get_close_matches(key, spec.fields, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"is not a field of type '{spec.type}'{hint}"


def _moved(row_id: str, org: str | None, where: str) -> str:
    return f"{row_id} belongs to organization {org} ({where}); an id cannot change organization"


def _taken(value: Any, owner: str, where: str, cols: tuple[str, ...]) -> str:
    scope = " in the same organization" if "org_id" in cols else ""
    return f"{json.dumps(value)} is already used by {owner}{scope} ({where})"


# --- reading: bounded lines, bounded nesting -------------------------------------------

# Quotes and brackets, one kind of bracket: valid JSON nests [] and {} properly, so the kind
# does not matter to the depth, and one kind lets one replace() peel exactly one level.
_SHAPE = bytes.maketrans(b"{}", b"[]")
_NOT_SHAPE = bytes(b for b in range(256) if b not in b'[]{}"')


def _lines(handle: IO[bytes], seen: Callable[[bytes], None]) -> Iterator[tuple[int, bytes | None]]:
    """(number, bytes) per line, passing every byte read to `seen`; None for a line over
    MAX_LINE_BYTES, which is skipped chunk by chunk instead of being held whole."""
    number = 0
    while raw := handle.readline(MAX_LINE_BYTES + 1):
        number += 1
        seen(raw)
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while (rest := handle.readline(READ_CHUNK)) and not rest.endswith(b"\n"):
                seen(rest)
            seen(rest)
            yield number, None
        else:
            yield number, raw


def _drain(handle: IO[bytes], seen: Callable[[bytes], None]) -> None:
    while chunk := handle.read(READ_CHUNK):
        seen(chunk)


def _too_deep(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether a line (valid JSON) nests arrays and objects deeper than `limit`."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False  # the common case, at the cost of two byte counts
    # Brackets in strings do not nest. Escaped backslashes, then escaped quotes, go first,
    # so every quote left delimits a string; then every other piece between quotes.
    text = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(_SHAPE, _NOT_SHAPE)
    shape = b"".join(text.split(b'"')[::2])
    # Each pass removes the pairs empty at its start: one level. Measured: about 10 us for a
    # 2 KB line with 95 brackets (regular expressions took 35 us: 10% of a whole import).
    for _ in range(limit):
        if not shape:
            return False
        shape = shape.replace(b"[]", b"")
    return bool(shape)


# --- writing ----------------------------------------------------------------------------


@functools.cache
def _upsert(dialect: str, table_name: str, columns: tuple[str, ...]) -> sa.Insert:
    """INSERT ... ON CONFLICT (primary key) DO UPDATE of exactly the columns a line gave.

    Columns a line leaves out are left alone on update and get their default on insert.
    """
    inserts = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
    if dialect not in inserts:
        raise SessionscopeError(f"import supports SQLite and PostgreSQL, not {dialect}")
    table = schema.writable(table_name)
    stmt = inserts[dialect](table)
    keys = [c.name for c in table.primary_key.columns]
    updates = {c: stmt.excluded[c] for c in columns if c not in keys}
    if not updates:
        return stmt.on_conflict_do_nothing(index_elements=keys)
    return stmt.on_conflict_do_update(index_elements=keys, set_=updates)


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = sorted(set(values))
    for start in range(0, len(items), LOOKUP_CHUNK):
        yield items[start : start + LOOKUP_CHUNK]


# --- one pass over a file -------------------------------------------------------------


class _Ref(NamedTuple):
    line: int
    field: str
    table: str
    id: str
    org: str | None  # the organization the referenced row must belong to


class _Importer:
    """One pass over a file: validate each line, buffer it, flush batches in order."""

    def __init__(
        self, conn: sa.Connection, report: ImportReport, *, org_id: str, allow_members: bool
    ) -> None:
        self.conn, self.report = conn, report
        self.org_id, self.allow_members = org_id, allow_members
        self.digest = hashlib.sha256()
        self.errors: dict[tuple[int, str], ImportValidationError] = {}
        self.truncated = False
        self._line_ok = True
        # table -> id -> (org id, line it was defined on, or None if found in the database)
        self.known: dict[str, dict[str, tuple[str | None, int | None]]] = defaultdict(dict)
        self.unique_seen: dict[tuple[str, tuple[str, ...]], dict[Key, tuple[str, int]]] = (
            defaultdict(dict)
        )
        self.pending: list[_Ref] = []
        self.buffers: dict[str, dict[Key, tuple[int, Row]]] = defaultdict(dict)
        self.buffered = 0
        self.counted: dict[str, set[Key]] = defaultdict(set)  # keys already in the report
        # org -> sessions written (or given tool calls), and the start days they had before
        self.touched: dict[str, set[str]] = defaultdict(set)
        self.old_days: dict[str, set[date]] = defaultdict(set)
        # The org's rules, read once per file: applied to each row before it is written.
        self.redactor = redaction.redactor_for(conn, org_id)

    def run(self, handle: IO[bytes]) -> None:
        for line, raw in _lines(handle, self.digest.update):
            if raw is not None and not raw.strip():
                continue
            self.report.records += 1
            if raw is None:
                self.error(line, LINE, f"is longer than {human.size(MAX_LINE_BYTES)}, the limit")
            else:
                self.add(line, raw)
            if len(self.errors) >= MAX_ERRORS:
                self.truncated = True
                _drain(handle, self.digest.update)  # the audit entry names the whole file
                return
            if self.buffered >= BATCH_ROWS or len(self.pending) >= BATCH_ROWS:
                self.flush()
        self.flush()

    def sorted_errors(self) -> list[ImportValidationError]:
        return [self.errors[k] for k in sorted(self.errors)]

    def error(self, line: int, field: str, problem: str) -> None:
        self._line_ok = False
        if len(self.errors) >= MAX_ERRORS:
            self.truncated = True
        else:
            self.errors.setdefault((line, field), ImportValidationError(line, field, problem))

    # --- one line ---

    def add(self, line: int, raw: bytes) -> None:
        self._line_ok = True
        obj = self._parse(line, raw)
        spec = self._spec_for(line, obj) if obj is not None else None
        if obj is None or spec is None:
            return
        row = self._validate(spec, line, obj)
        self._check_boundary(spec, line, row)
        self._check_references(spec, line, row)
        self._claim_id(spec, line, row)
        self._claim_unique_keys(spec, line, row)
        if spec.table is schema.sessions and not all(k in row for k in SESSION_TOTALS):
            self.report.sessions_without_totals += 1
        if self._line_ok:  # buffered even after an error elsewhere: flush checks it too
            self._buffer(spec, line, row)

    def _parse(self, line: int, raw: bytes) -> dict[str, Any] | None:
        try:
            text = raw.decode("utf-8")
            obj = _DECODER.decode(text.removeprefix("\ufeff") if line == 1 else text)
        except RecursionError:  # the decoder's own limit, about 1,000 levels
            return self._refuse_depth(line)
        except UnicodeDecodeError:
            self.error(line, LINE, "not UTF-8 text")
            return None
        except json.JSONDecodeError as exc:
            self.error(line, LINE, f"not valid JSON: {exc.msg} at column {exc.colno}")
            return None
        except ValueError as exc:
            self.error(line, LINE, f"not valid JSON: {exc}")
            return None
        if _too_deep(raw):  # first: describing a deep value would recurse as deep
            return self._refuse_depth(line)
        if not isinstance(obj, dict):
            self.error(line, LINE, f"expected a JSON object, got {_describe(obj)}")
            return None
        return obj

    def _refuse_depth(self, line: int) -> None:
        self.error(line, LINE, f"nests arrays and objects deeper than {MAX_DEPTH} levels")

    def _spec_for(self, line: int, obj: dict[str, Any]) -> _Spec | None:
        kind = obj.get("type")
        spec = SPECS.get(kind) if isinstance(kind, str) else None
        if spec is None:
            problem = "is missing" if kind is None else f"{json.dumps(kind)} is not a known type"
            self.error(line, "type", f"{problem}; expected one of: {', '.join(SPECS)}")
        return spec

    def _validate(self, spec: _Spec, line: int, obj: dict[str, Any]) -> Row:
        row: Row = {}
        for key, value in obj.items():
            if key == "type":
                continue
            check = spec.fields.get(key)
            if check is None:
                self.error(line, key, _unknown_field(spec, key))
            elif value is None:
                if key in spec.nullable:
                    row[key] = None
                else:
                    self.error(line, key, "must not be null")
            else:
                try:
                    row[key] = check(value)
                except _Invalid as exc:
                    self.error(line, key, str(exc))
        for key in sorted(spec.required - obj.keys()):
            self.error(line, key, f"is required for type '{spec.type}'")
        return row

    def _check_boundary(self, spec: _Spec, line: int, row: Row) -> None:
        """The line belongs to the import's organization; a member line needs the flag."""
        if spec.table is schema.members and not self.allow_members:
            self.error(
                line,
                "type",
                "member lines decide who may sign in to the dashboard and with which role; "
                f"pass {ALLOW_MEMBERS_FLAG} to import them",
            )
        org = _org_of(spec.table, row)
        if org is not None and org != self.org_id:
            field = "id" if spec.table is schema.organizations else "org_id"
            self.error(line, field, f"{org} is not {self.org_id}, the organization of this import")

    def _check_references(self, spec: _Spec, line: int, row: Row) -> None:
        # Stages and states carry no org_id: the session they name must be the import's.
        org = _org_of(spec.table, row) if _has_org(spec.table) else self.org_id
        for col, target in spec.refs.items():
            ref_id = row.get(col)
            if ref_id is None:
                continue
            ref = _Ref(line, col, target.name, ref_id, org if _has_org(target) else None)
            hit = self.known[target.name].get(ref_id)
            if hit is None:  # not earlier in the file: it must be in the database
                self.pending.append(ref)
            else:
                self._check_same_org(ref, *hit)

    def _check_same_org(self, ref: _Ref, org: str | None, defined_on: int | None) -> None:
        if ref.org is not None and org != ref.org:
            where = f"line {defined_on}" if defined_on else "the database"
            self.error(
                ref.line,
                ref.field,
                f"{ref.id} belongs to organization {org} ({where}), not to {ref.org}",
            )

    def _claim_id(self, spec: _Spec, line: int, row: Row) -> None:
        """Remember the row's id and organization; an id never moves between organizations."""
        org, row_id = _org_of(spec.table, row), row.get("id")
        if row_id is None or org is None:
            return
        known = self.known[spec.table.name]
        prior = known.get(row_id)
        if prior is not None and prior[0] != org:
            where = f"line {prior[1]}" if prior[1] else "the database"
            self.error(line, "org_id", _moved(row_id, prior[0], where))
        else:
            # Registered even when another field of the line is bad, so lines that
            # refer to it do not pile up follow-on errors.
            known[row_id] = (org, line)

    def _claim_unique_keys(self, spec: _Spec, line: int, row: Row) -> None:
        for cols in spec.uniques:
            values = tuple(row.get(c) for c in cols)
            if "id" not in row or None in values:
                continue
            owner, first_line = self.unique_seen[spec.table.name, cols].setdefault(
                values, (row["id"], line)
            )
            if owner != row["id"]:
                self.error(line, cols[-1], _taken(values[-1], owner, f"line {first_line}", cols))

    def _buffer(self, spec: _Spec, line: int, row: Row) -> None:
        buffer = self.buffers[spec.table.name]
        key = tuple(row[k] for k in spec.key)
        if key in buffer:
            # A later line for the same key wins, field by field, as it would if the
            # two lines had been written one after the other.
            row = {**buffer[key][1], **row}
        else:
            self.buffered += 1
        buffer[key] = (line, row)

    # --- one batch ---

    def flush(self) -> None:
        """Check the buffered rows against the database, then write them parents first."""
        self._resolve_pending()
        for table in WRITE_ORDER:
            batch = self.buffers.pop(table.name, None)
            if batch:
                self._write(table, batch)
        self.buffered = 0

    def _resolve_pending(self) -> None:
        wanted: dict[str, set[str]] = defaultdict(set)
        for ref in self.pending:
            wanted[ref.table].add(ref.id)
        found = {name: self._orgs_in_db(name, ids) for name, ids in wanted.items()}
        for ref in self.pending:
            if ref.id not in found[ref.table]:
                self.error(
                    ref.line,
                    ref.field,
                    f"{ref.id} is not defined earlier in the file or in the database",
                )
            else:
                self._check_same_org(ref, found[ref.table][ref.id], None)
        for name, orgs in found.items():
            for ref_id, org in orgs.items():
                self.known[name].setdefault(ref_id, (org, None))
        self.pending = []

    def _orgs_in_db(self, table_name: str, ids: Iterable[str]) -> dict[str, str | None]:
        table = schema.metadata.tables[table_name]
        org = table.c.id if table is schema.organizations else table.c.get("org_id")
        org_col = org if org is not None else sa.null()
        out: dict[str, str | None] = {}
        for chunk in _chunks(ids):
            query = sa.select(table.c.id, org_col).where(table.c.id.in_(chunk))
            out.update({row[0]: row[1] for row in self.conn.execute(query)})
        return out

    def _existing(self, table: sa.Table, keys: Iterable[Key]) -> dict[Key, Row]:
        """The rows of the given primary keys that are already in the database."""
        pk = list(table.primary_key.columns)
        names, wanted, out = list(table.c.keys()), set(keys), {}
        positions = [names.index(c.name) for c in pk]
        for chunk in _chunks(key[0] for key in wanted):
            for row in self.conn.execute(sa.select(table).where(pk[0].in_(chunk))).all():
                key = tuple(row[i] for i in positions)
                if key in wanted:
                    out[key] = dict(zip(names, row, strict=True))
        return out

    def _check_unique_in_db(self, table: sa.Table, batch: dict[Key, tuple[int, Row]]) -> None:
        for cols in SPECS[TYPE_OF[table.name]].uniques:
            claims = {
                tuple(row[c] for c in cols): (row["id"], line)
                for line, row in batch.values()
                if all(row.get(c) is not None for c in cols)
            }
            columns = [_compared(table, c) for c in cols]
            for chunk in _chunks(values[-1] for values in claims):
                query = sa.select(table.c.id, *columns).where(columns[-1].in_(chunk))
                for owner, *values in self.conn.execute(query):
                    row_id, line = claims.get(tuple(values), (owner, 0))
                    if row_id != owner:
                        self.error(line, cols[-1], _taken(values[-1], owner, "the database", cols))

    def _write(self, table: sa.Table, batch: dict[Key, tuple[int, Row]]) -> None:
        existing = self._existing(table, batch)
        for key, (line, row) in batch.items():
            old_org = existing.get(key, {}).get("org_id")
            if old_org is not None and row.get("org_id", old_org) != old_org:
                self.error(line, "org_id", _moved(key[0], old_org, "the database"))
        self._check_unique_in_db(table, batch)
        if self.errors:
            return  # nothing will be committed; keep checking, stop writing
        batch = self._redacted(table, batch)
        shapes: dict[tuple[str, ...], list[Row]] = defaultdict(list)
        for row in self._count_changes(table, batch, existing):
            shapes[tuple(sorted(row))].append(row)
        for columns, rows in shapes.items():
            self.conn.execute(_upsert(self.conn.dialect.name, table.name, columns), rows)
            self._note_sessions(table, rows, existing)

    def _redacted(
        self, table: sa.Table, batch: dict[Key, tuple[int, Row]]
    ) -> dict[Key, tuple[int, Row]]:
        """The batch with the organization's redaction rules applied to its rows."""
        if table.name not in redaction.FIELDS or not self.redactor.active:
            return batch
        out = {}
        for key, (line, row) in batch.items():
            row, changed = redaction.redact_row(self.redactor, table.name, row)
            if changed:
                self.report.redacted[TYPE_OF[table.name]] += 1
            out[key] = (line, row)
        return out

    def _note_sessions(self, table: sa.Table, rows: list[Row], existing: dict[Key, Row]) -> None:
        """Remember which sessions changed, for the Admin analytics' rollup."""
        if table is schema.sessions:
            for row in rows:
                old = existing.get((row["id"],), {})
                org = row.get("org_id") or old.get("org_id")
                self.touched[org].add(row["id"])
                if old.get("started_at") is not None:
                    self.old_days[org].add(old["started_at"].astimezone(UTC).date())
        elif table is schema.tool_calls:
            for row in rows:
                old = existing.get((row["id"],), {})
                self.touched[row.get("org_id") or old.get("org_id")].add(row["session_id"])
        elif table is schema.support_tickets:  # the Tool paths' ticket panels
            for row in rows:
                old = existing.get((row["id"],), {})
                org = row.get("org_id") or old.get("org_id")
                for session_id in (row.get("session_id"), old.get("session_id")):
                    if session_id is not None:
                        self.touched[org].add(session_id)

    def refresh_rollup(self) -> None:
        """Rebuild the settled rollup days the written sessions start (or started) on."""
        for org, ids in self.touched.items():
            days = rollup.session_days(self.conn, org_id=org, session_ids=ids)
            rollup.refresh_days(self.conn, org_id=org, days=days | self.old_days[org])

    def _count_changes(
        self, table: sa.Table, batch: dict[Key, tuple[int, Row]], existing: dict[Key, Row]
    ) -> list[Row]:
        """Count each key once as inserted, updated or unchanged; return the rows to write.

        Rows equal to what is stored are skipped, so a re-import writes nothing at all.
        """
        counted, name, changed = self.counted[table.name], TYPE_OF[table.name], []
        for key, (_line, row) in batch.items():
            old = existing.get(key)
            if old is None:
                outcome = self.report.inserted
            elif any(old[col] != value for col, value in row.items()):
                outcome = self.report.updated
            else:
                outcome = self.report.unchanged
            if outcome is not self.report.unchanged:
                changed.append(row)
            if key not in counted:
                counted.add(key)
                outcome[name] += 1
        return changed
