"""Apply the Alembic chain in migrations/ to an engine, and refuse what would drop all data."""

from __future__ import annotations

from alembic import command, context
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy.engine import Engine

from sessionscope.errors import SessionscopeError
from sessionscope.settings import PROJECT_ROOT

# The consent to go below the first revision: `alembic -x yes-drop-everything=1 downgrade
# base` (read by migrations/env.py) or downgrade(..., drop_everything=True).
DROP_EVERYTHING = "yes-drop-everything"
CONSENT_VALUES = ("", "1", "true", "yes")  # "" is a bare `-x yes-drop-everything`


class MigrationRefused(SessionscopeError, CommandError):
    """A migration would lose data and was not told it may; the message says what to do.

    Also a CommandError, so the alembic command prints it as one FAILED line, not a traceback.
    """


def alembic_config() -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to `revision` in one transaction (DDL is transactional on both)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str, *, drop_everything: bool = False) -> None:
    """Migrate down to `revision` in one transaction. Going below the first revision drops
    every table, so it is refused (MigrationRefused, nothing changed) without
    `drop_everything`."""
    cfg = alembic_config()
    cfg.attributes[DROP_EVERYTHING] = drop_everything
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def consented_to_drop_everything() -> bool:
    """Inside env.py: whether the alembic command line passed -x yes-drop-everything."""
    value = context.get_x_argument(as_dictionary=True).get(DROP_EVERYTHING)
    return value is not None and value.lower() in CONSENT_VALUES


def refuse_dropping_everything() -> None:
    """Inside the first revision's downgrade: stop unless the caller consented. The whole
    downgrade runs in one transaction, so the steps already taken are rolled back too."""
    if not context.config.attributes.get(DROP_EVERYTHING):
        raise MigrationRefused(
            "refusing to downgrade below the first revision: that drops every table and all "
            "the data in them. Take a backup first (README, Backups), then pass "
            f"`-x {DROP_EVERYTHING}=1` to alembic, or drop_everything=True to "
            "sessionscope.migrate.downgrade"
        )
