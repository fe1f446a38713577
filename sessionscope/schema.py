"""The data contract as SQLAlchemy Core tables. Table and column names are public."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

SESSION_STATUSES = ("active", "paused", "completed", "failed")
TICKET_STATUSES = ("needs_email", "pending", "in_progress", "resolved", "closed")
TICKET_PRIORITIES = ("low", "medium", "high", "critical")
STAGES = ("scraping", "enrichment", "contacts", "campaigns", "results")
STAGE_STATUSES = ("pending", "running", "completed", "failed", "skipped")
# The metric counting the items each stage completed: its key in a saved state's "metrics",
# and the session's total_<metric> column (the contract the seed writes and Resume checks).
METRIC_OF_STAGE = {
    "scraping": "jobs",
    "enrichment": "companies",
    "contacts": "contacts",
    "campaigns": "campaigns",
}
ROLES = ("admin", "analyst")
SERVER_KINDS = ("mcp", "workflow")
# Where a session came from (contract v2). Open-ended: an outside tool may name its own.
SOURCES = ("seed", "import", "otlp", "mcplatform")
# The MCP method of a tool_calls row (contract v2); only this one counts as a tool call.
TOOL_CALL_METHOD = "tools/call"
# The methods whose target (tool, resource URI, prompt name: tool_calls.tool_name) the Admin
# MCP traffic panels rank, and the rollup keeps per target.
TARGET_METHODS = (TOOL_CALL_METHOD, "resources/read", "prompts/get")


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC on both backends (SQLite keeps naive text, so we restore UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # written by an outside tool as text
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
# The JSON type above stores Python None as the JSON text 'null'. Writers that take rows
# from outside (import, ingest) mean "no value" by None, so they bind JSON with none_as_null.
_JSON_NULL = sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def _id() -> sa.Column[str]:
    return sa.Column("id", sa.String(64), primary_key=True)


def _org() -> sa.Column[str]:
    return sa.Column("org_id", sa.String(64), sa.ForeignKey("organizations.id"), nullable=False)


def _in(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    # Literal values from our own constants, not user input.
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=name)


organizations = sa.Table(
    "organizations",
    metadata,
    _id(),
    sa.Column("slug", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

members = sa.Table(
    "members",
    metadata,
    _id(),
    _org(),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("name", sa.Text),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("org_id", "email"),
    sa.Index("ix_members_email", "email"),
    _in("role", ROLES, "role"),
)
# One member per email and organization whatever the case (migration 0005): a case variant
# once made the viewer's role depend on row order. Writers store emails lower-cased.
sa.Index("uq_members_org_email_ci", members.c.org_id, sa.func.lower(members.c.email), unique=True)

end_users = sa.Table(
    "end_users",
    metadata,
    _id(),
    _org(),
    sa.Column("distinct_id", sa.String(255), nullable=False),
    sa.Column("email", sa.String(320)),
    sa.Column("display_name", sa.Text),
    sa.Column("first_seen_at", UTCDateTime),
    sa.Column("last_seen_at", UTCDateTime),
    sa.UniqueConstraint("org_id", "distinct_id"),
    sa.Index("ix_end_users_org_last_seen", "org_id", sa.text("last_seen_at DESC"), "id"),
)

servers = sa.Table(
    "servers",
    metadata,
    _id(),
    _org(),
    sa.Column("slug", sa.String(64), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.UniqueConstraint("org_id", "slug"),
    _in("kind", SERVER_KINDS, "kind"),
)

# What the Admin analytics read of a period's sessions (see ix_sessions_org_started_cover).
_SESSIONS_ANALYTICS_COLUMNS = (
    "status", "completed_at", "archived_at", "end_user_id", "server_id", "total_tool_calls",
    "total_errors", "total_jobs", "total_companies", "total_contacts", "total_campaigns", "id",
)  # fmt: skip

sessions = sa.Table(
    "sessions",
    metadata,
    _id(),
    _org(),
    sa.Column("end_user_id", sa.String(64), sa.ForeignKey("end_users.id"), nullable=False),
    sa.Column("server_id", sa.String(64), sa.ForeignKey("servers.id"), nullable=False),
    sa.Column("title", sa.Text),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("current_stage", sa.String(32)),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("last_activity_at", UTCDateTime),
    sa.Column("completed_at", UTCDateTime),
    sa.Column("client_name", sa.Text),
    sa.Column("client_version", sa.Text),
    sa.Column("total_tool_calls", sa.Integer, nullable=False, server_default="0"),
    sa.Column("total_errors", sa.Integer, nullable=False, server_default="0"),
    sa.Column("total_jobs", sa.Integer, nullable=False, server_default="0"),
    sa.Column("total_companies", sa.Integer, nullable=False, server_default="0"),
    sa.Column("total_contacts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("total_campaigns", sa.Integer, nullable=False, server_default="0"),
    sa.Column("workflow_state", JSONType),
    sa.Column("state_version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("archived_at", UTCDateTime),
    # Contract v2 (migration 0004): where the session came from and the source's own key.
    sa.Column("source", sa.String(32), nullable=False, server_default="import"),
    sa.Column("external_id", sa.String(255)),
    sa.Column("attributes", JSONType),
    # A unique index, not a constraint: SQLite adds an index without rebuilding the table.
    sa.Index("uq_sessions_org_source_external", "org_id", "source", "external_id", unique=True),
    _in("status", SESSION_STATUSES, "status"),
    sa.Index(
        "ix_sessions_org_user_started", "org_id", "end_user_id", sa.text("started_at DESC"), "id"
    ),
    sa.Index("ix_sessions_org_started", "org_id", sa.text("started_at DESC"), "id"),
    sa.Index("ix_sessions_org_status_started", "org_id", "status", sa.text("started_at DESC")),
    # Admin analytics read these columns of a period's sessions: index-only scans on
    # PostgreSQL (migration 0002). SQLite has no INCLUDE and small databases here.
    sa.Index(
        "ix_sessions_org_started_cover",
        "org_id",
        "started_at",
        postgresql_include=list(_SESSIONS_ANALYTICS_COLUMNS),
    ).ddl_if(dialect="postgresql"),
)

tool_calls = sa.Table(
    "tool_calls",
    metadata,
    _id(),
    _org(),
    sa.Column("session_id", sa.String(64), sa.ForeignKey("sessions.id"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("tool_name", sa.String(255), nullable=False),
    sa.Column("input", JSONType),
    sa.Column("output", JSONType),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("duration_ms", sa.Integer),
    sa.Column("is_error", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("error_message", sa.Text),
    # Contract v2 (migration 0004): the MCP method (initialize, tools/list, resources/read...
    # are timeline items too) and what the source knows beyond the columns (trace ids...).
    sa.Column("method", sa.String(64), nullable=False, server_default=TOOL_CALL_METHOD),
    sa.Column("attributes", JSONType),
    sa.Index("ix_tool_calls_session_started_seq", "session_id", "started_at", "seq"),
    # The Admin tool chart: calls, errors and durations per tool of a period's sessions.
    sa.Index(
        "ix_tool_calls_session_cover",
        "session_id",
        postgresql_include=["org_id", "tool_name", "duration_ms", "is_error", "method"],
    ).ddl_if(dialect="postgresql"),
)

support_tickets = sa.Table(
    "support_tickets",
    metadata,
    _id(),
    _org(),
    sa.Column("session_id", sa.String(64), sa.ForeignKey("sessions.id")),
    sa.Column("end_user_id", sa.String(64), sa.ForeignKey("end_users.id"), nullable=False),
    sa.Column("email", sa.String(320)),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("summary", sa.Text),
    sa.Column("context", sa.Text),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("priority", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("resolved_at", UTCDateTime),
    sa.Column("attributes", JSONType),  # a source's extras, e.g. MCPlatform's activity history
    _in("status", TICKET_STATUSES, "status"),
    _in("priority", TICKET_PRIORITIES, "priority"),
    sa.Index("ix_support_tickets_session_created", "session_id", "created_at"),
    sa.Index("ix_support_tickets_org_user", "org_id", "end_user_id"),
)

session_stages = sa.Table(
    "session_stages",
    metadata,
    sa.Column("session_id", sa.String(64), sa.ForeignKey("sessions.id"), primary_key=True),
    sa.Column("stage", sa.String(32), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("total", sa.Integer, nullable=False, server_default="0"),
    sa.Column("completed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("failed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("started_at", UTCDateTime),
    sa.Column("completed_at", UTCDateTime),
    sa.Column("data", JSONType),
    _in("stage", STAGES, "stage"),
)

session_states = sa.Table(
    "session_states",
    metadata,
    sa.Column("session_id", sa.String(64), sa.ForeignKey("sessions.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("state", JSONType),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# Contract v2: the bearer tokens of the OTLP receiver. Only a hash of a token is stored; the
# token decides the organization of everything sent with it.
ingest_tokens = sa.Table(
    "ingest_tokens",
    metadata,
    _id(),
    _org(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_by", sa.String(320), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_used_at", UTCDateTime),
    sa.Column("revoked_at", UTCDateTime),
    sa.Index("ix_ingest_tokens_org_created", "org_id", "created_at"),
)

# How far an incremental sync has read each table of an outside source (migration 0006):
# `watermark` is the keyset position of the last row written, advanced in the transaction
# that wrote its batch (sessionscope.sync). Deleting a row makes the next run start over.
sync_marks = sa.Table(
    "sync_marks",
    metadata,
    sa.Column("source", sa.String(32), primary_key=True),
    sa.Column("org_id", sa.String(64), sa.ForeignKey("organizations.id"), primary_key=True),
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("watermark", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# Derived from the admins' choices (migration 0007): how long the organization's sessions
# are kept (NULL: for good) and its redaction rules (sessionscope.redaction). No row: the
# defaults. Read by `retention apply`, the writers (ingest, import, sync) and the Admin page.
org_policies = sa.Table(
    "org_policies",
    metadata,
    sa.Column("org_id", sa.String(64), sa.ForeignKey("organizations.id"), primary_key=True),
    sa.Column("retention_days", sa.Integer),
    sa.Column("redaction", JSONType),
    sa.Column("updated_by", sa.String(320), nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("retention_days IS NULL OR retention_days > 0", name="retention_days"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    _id(),
    sa.Column("org_id", sa.String(64)),  # null for a viewer with no organization
    sa.Column("actor_email", sa.String(320), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target_type", sa.String(32)),
    sa.Column("target_id", sa.Text),
    sa.Column("detail", JSONType),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_audit_log_org_created", "org_id", sa.text("created_at DESC")),
)
# Append-only for real: triggers from migration 0005 refuse UPDATE and DELETE on both
# backends (and TRUNCATE on PostgreSQL). A SQLite batch migration that rebuilds this table
# drops them: recreate them after one.


# --- derived: the daily rollup ----------------------------------------------------------------
# Not part of the data contract: rebuilt from the tables above by sessionscope.rollup (and
# `sessionscope rollup`). The Admin analytics read settled days from here and the days from
# `rollup_marks.settled_before` on from the sessions themselves; see queries/daily.py.


def _rollup_dims() -> list[sa.Column[Any]]:
    """The dimensions the Admin filters can select without reading sessions one by one."""
    return [
        sa.Column("org_id", sa.String(64), nullable=False),
        sa.Column("day", sa.Date, nullable=False),  # UTC day the session started
        sa.Column("server_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("archived", sa.Boolean, nullable=False),
    ]


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger, nullable=False)


rollup_marks = sa.Table(
    "rollup_marks",
    metadata,
    sa.Column("org_id", sa.String(64), primary_key=True),
    # The rollup holds every day before this one; later days are read live.
    sa.Column("settled_before", sa.Date, nullable=False),
    sa.Column("refreshed_at", UTCDateTime, nullable=False),
)

rollup_sessions = sa.Table(
    "rollup_sessions",
    metadata,
    *_rollup_dims(),
    _count("sessions"),
    _count("tool_calls"),
    _count("tool_errors"),
    _count("jobs"),
    _count("companies"),
    _count("contacts"),
    _count("campaigns"),
    sa.Index("ix_rollup_sessions_org_day", "org_id", "day"),
)

# Ended sessions per duration bucket (queries.daily.bucket_of) and the sum of their ms.
rollup_durations = sa.Table(
    "rollup_durations",
    metadata,
    *_rollup_dims(),
    sa.Column("bucket", sa.BigInteger, nullable=False),
    _count("sessions"),
    _count("ms_sum"),
    sa.Index("ix_rollup_durations_org_day", "org_id", "day"),
)

# Calls per method (one of TARGET_METHODS), target (tool_name: the tool, resource URI or
# prompt name) and duration bucket (NULL: not timed) and the sum of their ms.
rollup_tools = sa.Table(
    "rollup_tools",
    metadata,
    *_rollup_dims(),
    sa.Column("tool_name", sa.String(255), nullable=False),
    sa.Column("bucket", sa.BigInteger),
    _count("calls"),
    _count("errors"),
    _count("ms_sum"),
    sa.Column("method", sa.String(32), nullable=False, server_default=TOOL_CALL_METHOD),
    sa.Index("ix_rollup_tools_org_day", "org_id", "day"),
)

# Sessions, and the calls and errors they recorded, per client (what its initialize said)
# and transport (sessions.attributes' `transport`); NULL where not recorded.
rollup_clients = sa.Table(
    "rollup_clients",
    metadata,
    *_rollup_dims(),
    sa.Column("client_name", sa.Text),
    sa.Column("client_version", sa.Text),
    sa.Column("transport", sa.Text),
    _count("sessions"),
    _count("calls"),
    _count("errors"),
    sa.Index("ix_rollup_clients_org_day", "org_id", "day"),
)

# Tool paths (queries.daily.live_paths) of the `tools/call`s of each day's sessions. kind:
# seq2/seq3/seq4 (step1..stepN: the consecutive calls), loop (step1: the tool called 3+ times
# in a row), before_error (step1, step2: the two calls before, NULL at the session's start;
# step3: the failed tool). sessions: sessions holding it; occurrences: positions (seq*),
# loops (loop) or failed calls (before_error); longest, calls: the longest run and the calls
# in runs (loop only, 0 otherwise). Tickets of the day's sessions: before_ticket (step1: the
# call before the last one, step2: the last call that started at or before the ticket was
# raised; NULL where there was none) and ticket_tool (step1: that last call); occurrences
# counts tickets. Steps are columns, not one joined text: any tool name
# (a `>` in it too) is kept as it is.
PATH_KINDS = ("seq2", "seq3", "seq4", "loop", "before_error", "before_ticket", "ticket_tool")
PATH_STEPS = 4
rollup_paths = sa.Table(
    "rollup_paths",
    metadata,
    *_rollup_dims(),
    sa.Column("kind", sa.String(16), nullable=False),
    *[sa.Column(f"step{i}", sa.String(255)) for i in range(1, PATH_STEPS + 1)],
    _count("sessions"),
    _count("occurrences"),
    _count("longest"),
    _count("calls"),
    sa.Index("ix_rollup_paths_org_kind_day", "org_id", "kind", "day"),
)

ROLLUP_TABLES = (rollup_sessions, rollup_durations, rollup_tools, rollup_clients, rollup_paths)


@functools.cache
def writable(table_name: str) -> sa.Table:
    """A twin of a table for writing: the same SQL names, JSON None bound as SQL NULL."""
    table = metadata.tables[table_name]
    return sa.Table(
        table.name,
        sa.MetaData(),
        *(
            sa.Column(
                c.name,
                _JSON_NULL if isinstance(c.type, sa.JSON) else c.type,
                primary_key=c.primary_key,
            )
            for c in table.columns
        ),
    )
