"""What the seed makes: SeedConfig and its sizes, and the tables and columns its rows come in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sessionscope.errors import ConfigError
from sessionscope.seed.ids import EDGE_SESSION_IDS

# --- Sizes -------------------------------------------------------------------------------------

FULL_SIZE_SESSIONS = 3000  # from here on the edge cases have their full size
MIN_SESSIONS = 100  # the fixed edge cases plus a believable population need this many
FULL_HEAVY_USER_SESSIONS = 1000
FULL_HUGE_SESSION_CALLS = 20_000
FULL_BIG_PAYLOAD_BYTES = 5 * 1024 * 1024
MIN_BIG_PAYLOAD_BYTES = 1_258_291  # 1.2 MiB: still over a 1 MiB preview threshold
ACME_SHARE = 0.8

# The columns the seed writes, in the order of its row tuples (archived_at stays NULL: only an
# admin's audited action archives a session). Parents come before children.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(columns.split())
    for name, columns in (
        ("organizations", "id slug name created_at"),
        ("members", "id org_id email name role created_at"),
        ("servers", "id org_id slug name kind"),
        ("end_users", "id org_id distinct_id email display_name first_seen_at last_seen_at"),
        (
            "sessions",
            "id org_id end_user_id server_id title status current_stage started_at "
            "last_activity_at completed_at client_name client_version total_tool_calls "
            "total_errors total_jobs total_companies total_contacts total_campaigns "
            "workflow_state state_version source",
        ),
        (
            "tool_calls",
            "id org_id session_id seq tool_name input output started_at duration_ms is_error "
            "error_message",
        ),
        (
            "support_tickets",
            "id org_id session_id end_user_id email title summary context status priority "
            "created_at resolved_at",
        ),
        (
            "session_stages",
            "session_id stage status total completed failed started_at completed_at data",
        ),
        ("session_states", "session_id version state created_at"),
    )
}
TABLES = tuple(TABLE_COLUMNS)


def _default_now() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class SeedConfig:
    """What to generate. Equal configs generate identical rows."""

    sessions: int = FULL_SIZE_SESSIONS
    seed: int = 42
    now: datetime = field(default_factory=_default_now)
    heavy_user_sessions: int = FULL_HEAVY_USER_SESSIONS
    huge_session_calls: int = FULL_HUGE_SESSION_CALLS
    big_payload_bytes: int = FULL_BIG_PAYLOAD_BYTES

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ConfigError("SeedConfig.now must be timezone-aware (UTC)")
        object.__setattr__(self, "now", self.now.astimezone(UTC))
        if self.sessions < MIN_SESSIONS:
            raise ConfigError(
                f"sessions={self.sessions} is too few for the demo data's edge cases: "
                f"use --sessions {MIN_SESSIONS} or more"
            )
        if min(self.heavy_user_sessions, self.huge_session_calls, self.big_payload_bytes) < 1:
            raise ConfigError("SeedConfig sizes must be positive")
        if self.heavy_user_sessions + len(EDGE_SESSION_IDS) >= self.acme_sessions:
            raise ConfigError(
                f"heavy_user_sessions={self.heavy_user_sessions} leaves no room for other "
                f"sessions in acme ({self.acme_sessions} sessions)"
            )

    @classmethod
    def for_size(cls, n: int, *, seed: int = 42, now: datetime | None = None) -> SeedConfig:
        """Full-size edge cases from 3,000 sessions up; proportionally smaller below that."""
        now = now or _default_now()
        if n >= FULL_SIZE_SESSIONS:
            return cls(sessions=n, seed=seed, now=now)
        return cls(
            sessions=n,
            seed=seed,
            now=now,
            heavy_user_sessions=max(1, n // 4),
            huge_session_calls=max(100, n * 5),
            big_payload_bytes=max(MIN_BIG_PAYLOAD_BYTES, FULL_BIG_PAYLOAD_BYTES * n // 3000),
        )

    @property
    def acme_sessions(self) -> int:
        return round(self.sessions * ACME_SHARE)
