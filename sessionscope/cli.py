"""The `sessionscope` command: db upgrade, seed, import, rollup. Each honours DATABASE_URL."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from sessionscope.db import check_connection, describe_db_error, make_engine, safe_url
from sessionscope.errors import SessionscopeError
from sessionscope.settings import load_settings


def _engine() -> Engine:
    settings = load_settings()
    engine = make_engine(settings.database_url, statement_timeout_ms=settings.statement_timeout_ms)
    check_connection(engine)
    return engine


def _cmd_db_upgrade(args: argparse.Namespace) -> int:
    from sessionscope.migrate import upgrade

    engine = _engine()
    upgrade(engine, args.revision)
    print(f"database {safe_url(engine.url)} is at revision {args.revision}")
    return 0


def _cmd_seed(args: argparse.Namespace) -> int:
    from sessionscope.seed import SeedConfig, is_empty, seed_database

    engine = _engine()
    if args.if_empty and not is_empty(engine):
        print(f"database {safe_url(engine.url)} already has data; not seeding")
        return 0
    config = SeedConfig.for_size(args.sessions, seed=args.seed)
    report = seed_database(engine, config, progress=not args.quiet)
    print(report.summary())
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from sessionscope.importer import import_file

    engine = _engine()
    report = import_file(engine, Path(args.file), dry_run=args.dry_run)
    print(report.summary())
    return 0


def _cmd_rollup(args: argparse.Namespace) -> int:
    import time

    import sqlalchemy as sa

    from sessionscope import rollup, schema
    from sessionscope.db import begin_write, is_postgres

    engine = _engine()
    with engine.connect() as conn:
        orgs = list(conn.execute(sa.select(schema.organizations.c.id)).scalars())
    for org_id in orgs:
        started = time.perf_counter()
        with begin_write(engine) as conn:
            if is_postgres(conn):  # maintenance: a first build reads every session
                conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
            if args.rebuild:
                rollup.rebuild(conn, org_id=org_id)
                done = "rebuilt"
            else:
                done = "settled" if rollup.settle(conn, org_id=org_id) else "already settled"
        print(f"{org_id}: rollup {done} in {time.perf_counter() - started:.1f} s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sessionscope", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", required=True
    )
    up = db.add_parser("upgrade", help="apply the Alembic migrations")
    up.add_argument("--revision", default="head")
    up.set_defaults(func=_cmd_db_upgrade)

    seed = sub.add_parser("seed", help="generate deterministic demo data")
    seed.add_argument("--sessions", type=int, default=3000, help="number of sessions (3000)")
    seed.add_argument("--seed", type=int, default=42, help="random seed (42)")
    seed.add_argument("--if-empty", action="store_true", help="do nothing if data exists")
    seed.add_argument("--quiet", action="store_true", help="no progress bar")
    seed.set_defaults(func=_cmd_seed)

    imp = sub.add_parser("import", help="import a JSON Lines file in one transaction")
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="validate and roll back")
    imp.set_defaults(func=_cmd_import)

    roll = sub.add_parser(
        "rollup", help="bring the Admin analytics' daily rollup up to yesterday (UTC)"
    )
    roll.add_argument(
        "--rebuild",
        action="store_true",
        help="redo every settled day (after an outside tool changed old sessions)",
    )
    roll.set_defaults(func=_cmd_rollup)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SessionscopeError as exc:
        print(f"sessionscope: error: {exc}", file=sys.stderr)
        return 2
    except DBAPIError as exc:
        print(
            f"sessionscope: error: {describe_db_error(_engine_for_message(), exc)}", file=sys.stderr
        )
        return 2
    except KeyboardInterrupt:
        print(
            "sessionscope: interrupted; nothing was committed by the step in progress",
            file=sys.stderr,
        )
        return 130


def _engine_for_message() -> Engine:
    return make_engine(load_settings().database_url)


if __name__ == "__main__":
    sys.exit(main())
