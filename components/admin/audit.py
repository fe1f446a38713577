"""The organization's audit log: who did what to which ids and when, newest first.

Read only: the log is append-only, and nothing here (or anywhere) updates or deletes entries.
Filterable by actor (part of an email) and action; keyset pages, Newer / Older.

The filters live in the URL like the filter bar's (components.admin.filters): `actor` (a
search text) and `action` (comma-separated or repeated, among the organization's actions).
Each run reads and checks them, drops what is wrong with one short message, and sets the
widgets from them; a widget's change writes its param back in one URL update.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from components import url
from components.admin import data as admin_data
from components.admin import keys as ak
from components.pager import first_row, keyset_pager, stack

# Ids and Detail share the room, so both show at 1,366 px (a bulk action's ids run long).
_COLUMNS = {
    "created_at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
    "actor_email": st.column_config.TextColumn("Who"),
    "action": st.column_config.TextColumn("Action"),
    "target_type": st.column_config.TextColumn("Target"),
    "targets": st.column_config.NumberColumn("Count", format="%d", help="How many ids"),
    "target_id": st.column_config.TextColumn("Ids", width="medium"),
    "detail": st.column_config.JsonColumn("Detail", width="medium"),
}


def read_url(org_id: str) -> tuple[str | None, tuple[str, ...]]:
    """The actor text and actions in the URL; anything wrong gets a message and leaves it."""
    raw = {name: st.query_params.get_all(name) for name in ak.AUDIT_PARAMS}
    problems: list[str] = []
    actor = url.check_text(ak.P_ACTOR, url.last(raw[ak.P_ACTOR]), problems)
    known = admin_data.audit_actions(org_id)
    actions = url.check_choices(ak.P_ACTION, raw[ak.P_ACTION], known, problems)
    if problems:  # a valid link is left as it is (a rewrite is a history entry)
        wanted = to_params(actor, actions)
        url.change(**{n: wanted[n] for n in ak.AUDIT_PARAMS if wanted[n] != url.last(raw[n])})
    url.warn_removed(problems, "audit-log filters")
    return actor, actions


def to_params(actor: str | None, actions: tuple[str, ...]) -> dict[str, str | None]:
    """The URL params of these filters (None for those not set)."""
    return {ak.P_ACTOR: actor, ak.P_ACTION: ",".join(actions) or None}


def _write_actor() -> None:
    text = str(st.session_state.get(ak.AUDIT_ACTOR) or "").strip()
    url.change(**{ak.P_ACTOR: text or None})


def _write_actions() -> None:
    url.change(**{ak.P_ACTION: ",".join(st.session_state.get(ak.AUDIT_ACTIONS) or ()) or None})


def _filters(org_id: str) -> tuple[str | None, tuple[str, ...]]:
    actor, actions = read_url(org_id)
    st.session_state[ak.AUDIT_ACTOR] = actor or ""  # the widgets show what the URL says
    st.session_state[ak.AUDIT_ACTIONS] = list(actions)
    left, right = st.columns(2)
    left.text_input(
        "Who", key=ak.AUDIT_ACTOR, max_chars=url.MAX_SEARCH, placeholder="Part of an email",
        icon=":material/person:", on_change=_write_actor,
    )  # fmt: skip
    right.multiselect(
        "Action",
        admin_data.audit_actions(org_id),
        key=ak.AUDIT_ACTIONS,
        placeholder="All",
        on_change=_write_actions,
    )
    return actor, actions


def view(rows: pd.DataFrame) -> pd.DataFrame:
    """Entries as shown: how many ids each names, the detail as JSON text."""
    ids = rows["target_id"].fillna("")
    return rows.assign(
        target_id=ids.where(ids != "", "—"),
        target_type=rows["target_type"].fillna("—"),
        targets=[len(i.split(",")) if i else 0 for i in ids],
        detail=[json.dumps(d, ensure_ascii=False, default=str) for d in rows["detail"]],
    )[list(_COLUMNS)]


def audit_section(org_id: str) -> None:
    actor, actions = _filters(org_id)
    cursors = stack(ak.AUDIT_CURSORS, (actor, actions))
    page = admin_data.audit_page(org_id, actor, actions, cursors[-1])
    if page.rows.empty:
        st.caption("No audit entries match.")
    else:
        st.dataframe(view(page.rows), column_config=_COLUMNS, hide_index=True, width="stretch")
    first = first_row(cursors, admin_data.PAGE_SIZE)
    shown = f"Entries {first + 1:,}–{first + len(page.rows):,} · page {len(cursors)}"
    keyset_pager(
        cursors,
        page.next_cursor,
        keys=(ak.AUDIT_NEWER, ak.AUDIT_OLDER),
        labels=("Newer", "Older"),
        caption=None if page.rows.empty else shown,
    )
    st.caption("Append-only: entries are never changed or removed.")
