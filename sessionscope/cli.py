"""The `sessionscope` command: db upgrade, seed, import, ingest, token, rollup, retention,
redact. Each honours DATABASE_URL."""

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
    from sessionscope.tokens import org_by_slug

    engine = _engine()
    with engine.connect() as conn:
        org_id = org_by_slug(conn, args.org)
    report = import_file(
        engine,
        Path(args.file),
        org_id=org_id,
        actor=_actor(),
        dry_run=args.dry_run,
        allow_members=args.allow_members,
    )
    print(report.summary())
    return 0


def _cmd_org_create(args: argparse.Namespace) -> int:
    from sessionscope import orgs
    from sessionscope.db import begin_write

    engine = _engine()
    with begin_write(engine) as conn:
        org_id = orgs.create(
            conn, slug=args.slug, name=args.name, admin_email=args.admin, actor=_actor()
        )
    print(f"created organization {args.slug} ({org_id}) with admin {args.admin.strip().lower()}")
    return 0


def _actor() -> str:
    """Who a command acts as in the audit log: the operating-system user, marked as the CLI."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "cli"


def _cmd_token(args: argparse.Namespace) -> int:
    from queries import tokens as token_queries
    from sessionscope import tokens
    from sessionscope.db import begin_write

    engine = _engine()
    with begin_write(engine) as conn:
        org_id = tokens.org_by_slug(conn, args.org)
        if args.token_command == "create":
            new = tokens.create(conn, org_id=org_id, name=args.name, created_by=_actor())
            print(f"created ingest token {new.id} ({new.name}) for {args.org}; it is shown once:")
            print(new.token)
        elif args.token_command == "revoke":
            done = tokens.revoke(conn, org_id=org_id, token_id=args.id, actor_email=_actor())
            print(f"{args.id}: {'revoked' if done else 'was already revoked'}")
        else:
            for t in token_queries.for_org(conn, org_id=org_id):
                state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
                used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
                print(f"{t.id}  {t.name:<24} {state:<24} last used {used}  by {t.created_by}")
    return 0


def _cmd_ingest(args: argparse.Namespace) -> int:
    from sessionscope.db import begin_write
    from sessionscope.ingest.files import ingest_files
    from sessionscope.tokens import org_by_slug

    engine = _engine()
    with begin_write(engine) as conn:
        org_id = org_by_slug(conn, args.org)
    report = ingest_files(
        engine,
        org_id=org_id,
        paths=[Path(p) for p in args.files],
        idle_minutes=load_settings().idle_minutes,
        actor=_actor(),
    )
    print(report.summary())
    return 0 if not report.failed else 2


def _cmd_sync_mcplatform(args: argparse.Namespace) -> int:
    from datetime import datetime

    from sessionscope.sync.mcplatform import sync

    try:
        since = datetime.fromisoformat(args.since) if args.since else None
    except ValueError:
        raise SessionscopeError(f"--since {args.since!r} is not an ISO date or time") from None
    report = sync(
        _engine(),
        source_url=args.source,
        org_slugs=args.org or (),
        since=since,
        dry_run=args.dry_run,
        idle_minutes=load_settings().idle_minutes,
        actor=_actor(),
        progress=lambda line: print(line, file=sys.stderr),
    )
    print(report.summary())
    return 0


def _add_sync_command(sub: argparse._SubParsersAction) -> None:
    syn = sub.add_parser("sync", help="sync from another product's database").add_subparsers(
        dest="sync_command", required=True
    )
    mcp = syn.add_parser("mcplatform", help="MCPlatform's PostgreSQL, read-only, incremental")
    mcp.add_argument("--source", required=True, metavar="URL", help="MCPlatform's database URL")
    mcp.add_argument("--org", action="append", metavar="SLUG", help="only these (repeatable)")
    mcp.add_argument("--since", metavar="ISO", help="skip rows older than this")
    mcp.add_argument("--dry-run", action="store_true", help="read and map, write nothing")
    mcp.set_defaults(func=_cmd_sync_mcplatform)


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


def _cmd_retention(args: argparse.Namespace) -> int:
    from sessionscope import policy, retention
    from sessionscope.db import begin_write
    from sessionscope.tokens import org_by_slug

    engine = _engine()
    if args.retention_command == "set":
        days = None if args.keep_all else args.days
        with begin_write(engine) as conn:
            policy.set_retention(
                conn, org_id=org_by_slug(conn, args.org), days=days, actor=_actor()
            )
        print(f"{args.org}: " + (f"keeps sessions {days} days" if days else "keeps everything"))
        return 0
    org_id = None
    if args.org:
        with engine.connect() as conn:
            org_id = org_by_slug(conn, args.org)
    runs = retention.apply(engine, actor=_actor(), dry_run=args.dry_run, org_id=org_id)
    for run in runs:
        print(run.summary())
    if not runs:
        print("no organization limits how long sessions are kept; nothing to do")
    return 0


def _cmd_redact(args: argparse.Namespace) -> int:
    from sessionscope import redaction_apply
    from sessionscope.tokens import org_by_slug

    engine = _engine()
    with engine.connect() as conn:
        org_id = org_by_slug(conn, args.org)
    run = redaction_apply.apply(engine, org_id=org_id, actor=_actor(), dry_run=args.dry_run)
    print(run.summary())
    return 0


def _add_policy_commands(sub: argparse._SubParsersAction) -> None:
    ret = sub.add_parser("retention", help="how long sessions are kept").add_subparsers(
        dest="retention_command", required=True
    )
    ret_set = ret.add_parser("set", help="keep an organization's sessions N days, or for good")
    ret_set.add_argument("--org", required=True, metavar="SLUG")
    keep = ret_set.add_mutually_exclusive_group(required=True)
    keep.add_argument("--days", type=int, metavar="N", help="delete sessions idle for N days")
    keep.add_argument("--keep-all", action="store_true", help="never delete (the default)")
    ret_apply = ret.add_parser(
        "apply", help="delete expired sessions with their calls, tickets, stages, states"
    )
    ret_apply.add_argument("--org", metavar="SLUG", help="only this organization")
    ret_apply.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    for command in (ret_set, ret_apply):
        command.set_defaults(func=_cmd_retention)

    red = sub.add_parser("redact", help="redaction rules").add_subparsers(
        dest="redact_command", required=True
    )
    red_apply = red.add_parser("apply", help="re-apply the organization's rules to stored data")
    red_apply.add_argument("--org", required=True, metavar="SLUG")
    red_apply.add_argument("--dry-run", action="store_true", help="count, change nothing")
    red_apply.set_defaults(func=_cmd_redact)


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

    org = sub.add_parser("org", help="organizations").add_subparsers(
        dest="org_command", required=True
    )
    org_create = org.add_parser("create", help="a new organization and its first admin")
    org_create.add_argument("slug", help="short name used in --org, e.g. acme")
    org_create.add_argument("--name", required=True, help="display name, e.g. 'Acme Corp'")
    org_create.add_argument("--admin", required=True, metavar="EMAIL", help="its first admin")
    org_create.set_defaults(func=_cmd_org_create)

    imp = sub.add_parser("import", help="import a JSON Lines file in one transaction")
    imp.add_argument("file")
    imp.add_argument(
        "--org", required=True, metavar="SLUG", help="the one organization every line belongs to"
    )
    imp.add_argument(
        "--allow-members",
        action="store_true",
        help="accept member lines (who may sign in, and as what); refused without it",
    )
    imp.add_argument("--dry-run", action="store_true", help="validate and roll back")
    imp.set_defaults(func=_cmd_import)

    ing = sub.add_parser(
        "ingest", help="read OTLP trace exports (JSON, JSON lines or protobuf files)"
    )
    ing.add_argument("files", nargs="+", metavar="FILE")
    ing.add_argument("--org", required=True, help="slug of the organization they belong to")
    ing.set_defaults(func=_cmd_ingest)

    tok = sub.add_parser("token", help="ingest tokens for the OTLP receiver").add_subparsers(
        dest="token_command", required=True
    )
    create = tok.add_parser("create", help="create a token; it is printed once, on the last line")
    create.add_argument("--org", required=True, help="organization slug")
    create.add_argument("--name", required=True, help="what sends with it, e.g. 'docs server'")
    listing = tok.add_parser("list", help="the organization's tokens (never the tokens themselves)")
    listing.add_argument("--org", required=True)
    revoke = tok.add_parser("revoke", help="revoke a token by its id (itk_...)")
    revoke.add_argument("id")
    revoke.add_argument("--org", required=True)
    for command in (create, listing, revoke):
        command.set_defaults(func=_cmd_token)

    roll = sub.add_parser(
        "rollup", help="bring the Admin analytics' daily rollup up to yesterday (UTC)"
    )
    roll.add_argument(
        "--rebuild",
        action="store_true",
        help="redo every settled day (after an outside tool changed old sessions)",
    )
    roll.set_defaults(func=_cmd_rollup)
    _add_sync_command(sub)
    _add_policy_commands(sub)
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
