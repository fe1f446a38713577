"""member emails unique per organization whatever the case; the audit log append-only

- members: a unique index on (org_id, lower(email)), on both backends. A case variant
  (`ANALYST@acme.example` as admin beside `analyst@acme.example`) made a viewer's role
  depend on row order. Existing emails are stored stripped and lower-cased, as the importer
  now writes them. If an organization already has members whose emails differ only in
  case or surrounding spaces, the upgrade stops before changing anything and lists them
  (organization, member ids, emails, roles): keep one member per email, with the role it
  should have, delete or change the others, and upgrade again.
- audit_log: triggers refuse UPDATE and DELETE on both backends, and TRUNCATE on
  PostgreSQL, so "append-only" no longer rests on convention. They guard against the
  application and anything that connects as it; a superuser can still disable them.

Downgrade drops the index and the triggers; emails stay lower-cased.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from sessionscope.migrate import MigrationRefused

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

EMAIL_INDEX = "uq_members_org_email_ci"
REFUSED = "audit_log is append-only: % refused"  # % is the operation (PostgreSQL's TG_OP)
PG_FUNCTION = "audit_log_append_only"
SQLITE_TRIGGERS = {"audit_log_no_update": "UPDATE", "audit_log_no_delete": "DELETE"}


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _normal(email: str) -> str:
    return email.strip().lower()  # as sessionscope.importer stores it, frozen here


def _members() -> list[sa.Row]:
    query = "SELECT id, org_id, email, role FROM members ORDER BY org_id, id"
    return list(op.get_bind().execute(sa.text(query)))


def _refuse_duplicates(rows: list[sa.Row]) -> None:
    groups: dict[tuple[str, str], list[sa.Row]] = defaultdict(list)
    for row in rows:
        groups[row.org_id, _normal(row.email)].append(row)
    clashes = [
        f"  {org_id}: " + ", ".join(f"{r.id} {r.email!r} ({r.role})" for r in group)
        for (org_id, _), group in groups.items()
        if len(group) > 1
    ]
    if clashes:
        raise MigrationRefused(
            "migration 0005 stopped and changed nothing: member emails must be unique per "
            "organization whatever their case or surrounding spaces, and these are not:\n"
            + "\n".join(clashes)
            + "\nKeep one member per email (with the role it should have), delete or change "
            "the others, then upgrade again."
        )


def _normalise_emails(rows: list[sa.Row]) -> None:
    update = sa.text("UPDATE members SET email = :email WHERE id = :id")
    changed = [{"id": r.id, "email": _normal(r.email)} for r in rows if r.email != _normal(r.email)]
    if changed:
        op.get_bind().execute(update, changed)


def _append_only() -> None:
    if _postgres():
        op.execute(
            f"CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{REFUSED}', TG_OP; END $$"
        )
        # Per statement: a DELETE that matches no row is refused too, and TRUNCATE has no rows.
        op.execute(
            f"CREATE TRIGGER {PG_FUNCTION} BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
        )
        return
    for name, operation in SQLITE_TRIGGERS.items():  # SQLite has no TRUNCATE
        message = REFUSED.replace("%", operation)
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {operation} ON audit_log "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )


def upgrade() -> None:
    rows = _members()
    _refuse_duplicates(rows)
    _normalise_emails(rows)
    op.create_index(EMAIL_INDEX, "members", ["org_id", sa.text("lower(email)")], unique=True)
    _append_only()


def downgrade() -> None:
    if _postgres():
        # Identifiers cannot be bound: PG_FUNCTION is this module's own constant, not input.
        op.execute(f"DROP TRIGGER {PG_FUNCTION} ON audit_log")  # constant identifier
        op.execute(f"DROP FUNCTION {PG_FUNCTION}()")  # constant identifier
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")  # SQLITE_TRIGGERS: our own constant names
    op.drop_index(EMAIL_INDEX, table_name="members")
