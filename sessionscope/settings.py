"""Settings from the environment: one frozen object, read afresh at each load_settings().

Each page run reads the environment again (the frame, Resume); only the database engine,
built once per process from the settings of its first run, keeps what it read then."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sessionscope import proxies
from sessionscope.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'sessionscope.db'}"
DEFAULT_STATEMENT_TIMEOUT_MS = 30_000
DEFAULT_IDLE_MINUTES = 30


@dataclass(frozen=True)
class Settings:
    database_url: str
    demo: bool
    statement_timeout_ms: int
    resume_url: str | None
    idle_minutes: int  # an ingested session with no call for this long is over
    # Peers whose identity header (server.trustedUserHeaders) is believed; see proxies.py.
    trusted_proxies: tuple[proxies.Network, ...]


def _flag(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name}={value!r} is not a boolean: set it to 1 or 0 in the environment")


def _int(name: str, default: int, unit: str = "milliseconds") -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number of {unit}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return value


def load_settings() -> Settings:
    """Read the SESSIONSCOPE_* variables and DATABASE_URL; raise ConfigError naming a bad one."""
    return Settings(
        database_url=os.environ.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
        demo=_flag("SESSIONSCOPE_DEMO"),
        statement_timeout_ms=_int(
            "SESSIONSCOPE_STATEMENT_TIMEOUT_MS", DEFAULT_STATEMENT_TIMEOUT_MS
        ),
        resume_url=os.environ.get("SESSIONSCOPE_RESUME_URL", "").strip() or None,
        idle_minutes=_int("SESSIONSCOPE_IDLE_MINUTES", DEFAULT_IDLE_MINUTES, "minutes"),
        trusted_proxies=proxies.parse_networks(
            os.environ.get(proxies.SETTING, "").strip() or proxies.DEFAULT_TRUSTED
        ),
    )
