"""Bulk actions on the selected sessions (or every one matching the filter): archive, restore,
export. Each asks first in a dialog with the count, runs in one transaction through
sessionscope.bulk (one audit entry; a failure part-way changes nothing), shows progress on
large selections, and clears the admin caches so the table shows the change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from components import data
from components import format as fmt
from components.admin import data as admin_data
from components.admin import keys as ak
from components.export_file import ExportFile, download_button
from components.outcome import outcome_line
from components.viewer import current_viewer
from queries.admin import AdminFilter
from sessionscope import bulk, clock, human
from sessionscope.auth import Viewer
from sessionscope.errors import ExportTooLarge

CHUNK = bulk.CHUNK_SIZE  # ids per UPDATE; the progress bar moves once per chunk
MAX_MATCHING = 10_000  # "all matching" acts on at most this many sessions at once
MAX_JSON_EXPORT = 1_000  # each session's whole timeline goes into the file
ACTIONS = {
    "archive": ("Archive", ":material/archive:", bulk.archive),
    "restore": ("Restore", ":material/unarchive:", bulk.restore),
}
BUTTON_KEYS = {"archive": ak.ARCHIVE, "restore": ak.RESTORE, "export": ak.EXPORT}
FORMATS = {"csv": "CSV (one row per session)", "json": "JSON (each session with its timeline)"}


@dataclass(frozen=True)
class Pending:
    """The action whose dialog is open, and what it acts on (ids, or all matching flt)."""

    action: str
    ids: tuple[str, ...]
    flt: AdminFilter | None = None  # set: every session matching it, resolved on confirm
    count: int = 0


@dataclass(frozen=True)
class Outcome:
    action: str
    message: str
    ok: bool
    file: ExportFile | None = None  # an export's temporary file, deleted with the outcome


def _open(pending: Pending) -> None:
    st.session_state[ak.PENDING] = pending
    _drop_outcome()


def _drop_outcome() -> None:
    """Forget the last outcome, deleting its export file if it had one."""
    outcome: Outcome | None = st.session_state.pop(ak.OUTCOME, None)
    if outcome is not None and outcome.file is not None:
        outcome.file.close()


def _close() -> None:
    st.session_state.pop(ak.PENDING, None)


def bulk_bar(selected: list[str], total: int, flt: AdminFilter) -> None:
    """What the actions apply to, the three buttons, the last outcome and the open dialog."""
    outcome: Outcome | None = st.session_state.get(ak.OUTCOME)
    if outcome is not None:
        _show_outcome(outcome)
    everything = _scope(selected, total)
    count = total if everything else len(selected)
    ids, scope = ((), flt) if everything else (tuple(selected), None)
    buttons = [(a, f"{label}…", icon) for a, (label, icon, _) in ACTIONS.items()]
    buttons.append(("export", "Export…", ":material/download:"))
    # Only archived sessions can be restored, and the list shows them only when asked.
    no_restore = not flt.include_archived
    with st.container(horizontal=True, vertical_alignment="center"):
        for action, label, icon in buttons:
            st.button(
                label,
                key=BUTTON_KEYS[action],
                on_click=_open,
                args=(Pending(action, ids, scope, count),),
                disabled=count == 0 or (action == "restore" and no_restore),
                icon=icon,
                help=RESTORE_HELP if action == "restore" and no_restore else None,
            )
    pending: Pending | None = st.session_state.get(ak.PENDING)
    if pending is not None:
        _dialog(pending)


RESTORE_HELP = "Only archived sessions can be restored: turn on Show archived to list them."


def _scope(selected: list[str], total: int) -> bool:
    """True when the actions apply to every session matching the filter."""
    # The toggle's state, read before it is drawn: the label beside it says what it means.
    everything = bool(st.session_state.get(ak.SCOPE_ALL)) and 0 < total <= MAX_MATCHING
    with st.container(horizontal=True, vertical_alignment="center"):
        if everything:
            st.markdown(f"**All {human.count(total, 'session')} matching**")
        else:
            st.markdown(f"**{human.count(len(selected), 'session')} selected**")
        st.toggle(
            f"Apply to all {total:,} matching the filter",
            key=ak.SCOPE_ALL,
            disabled=total == 0 or total > MAX_MATCHING,
            help=f"At most {MAX_MATCHING:,} at once; narrow the filters for more.",
        )
    return everything


# --- the dialog -------------------------------------------------------------------------------


def _dialog(pending: Pending) -> None:
    title = {"archive": "Archive sessions", "restore": "Restore sessions"}.get(
        pending.action, "Export sessions"
    )
    st.dialog(title, width="medium", on_dismiss=_close)(_confirm)(pending)


def _confirm(pending: Pending) -> None:
    viewer = current_viewer()
    what = human.count(pending.count, "session")
    scope = "matching the filter" if pending.flt is not None else "selected"
    if pending.action == "export":
        _export_form(viewer, pending, f"{what} {scope}")
        return
    label = ACTIONS[pending.action][0]
    st.markdown(f"{label} **{what}** {scope}?")
    st.caption(
        "Archiving hides sessions from every list; nothing is deleted and Restore brings them "
        "back. One audit entry names every session changed."
    )
    with st.container(horizontal=True):
        confirmed = st.button(
            label, key=ak.CONFIRM, type="primary", icon=ACTIONS[pending.action][1]
        )
        _cancel()
    if confirmed:
        _finish(_run_change(viewer, pending))


def _cancel() -> None:
    # A full rerun: a button in a dialog reruns only the dialog, which would stay open.
    if st.button("Cancel", key=ak.CANCEL):
        _close()
        st.rerun()


def _ids(viewer: Viewer, pending: Pending) -> list[str]:
    if pending.flt is None:
        return list(pending.ids)
    return admin_data.matching_ids(viewer.org_id, pending.flt, limit=MAX_MATCHING)


def _progress(total: int) -> Callable[[int, int], None] | None:
    if total <= CHUNK:
        return None
    bar = st.progress(0.0, text=f"0 of {total:,}")
    return lambda done, of: bar.progress(done / of, text=f"{done:,} of {of:,}")


def _run_change(viewer: Viewer, pending: Pending) -> Outcome:
    """Archive or restore in one transaction; a failure anywhere leaves every row as it was."""
    label, _, fn = ACTIONS[pending.action]
    ids = _ids(viewer, pending)
    try:
        result = bulk.run_in_transaction(
            data.engine(),
            fn,
            org_id=viewer.org_id,
            actor=viewer.email,
            session_ids=ids,
            progress=_progress(len(ids)),
            chunk_size=CHUNK,
        )
    except SQLAlchemyError as exc:
        reason = fmt.md(human.error_reason(exc))
        return Outcome(pending.action, f"{label} failed; nothing was changed. {reason}", False)
    finally:
        admin_data.sessions_changed()
    done = "archived" if pending.action == "archive" else "restored"
    message = f"{human.count(result.changed, 'session')} {done}"
    if result.skipped:
        message += f"; {result.skipped:,} already {done}"
    if result.not_found:
        message += f"; {result.not_found:,} not available"
    return Outcome(pending.action, message + ".", True)


def _export_form(viewer: Viewer, pending: Pending, what: str) -> None:
    choice = st.radio("Format", list(FORMATS), format_func=FORMATS.get, key=ak.EXPORT_FORMAT)
    too_many = choice == "json" and pending.count > MAX_JSON_EXPORT
    st.markdown(f"Export **{what}**.")
    if too_many:
        st.warning(
            f"JSON carries every tool call and ticket: at most {MAX_JSON_EXPORT:,} sessions "
            "at once. Narrow the selection or choose CSV.",
            icon=":material/warning:",
        )
    st.caption("The export is written to the audit log.")
    with st.container(horizontal=True):
        confirmed = st.button(
            "Prepare the file", key=ak.CONFIRM, type="primary", disabled=too_many,
            icon=":material/package_2:",
        )  # fmt: skip
        _cancel()
    if confirmed:
        _finish(_run_export(viewer, pending, choice or "csv"))


def _run_export(viewer: Viewer, pending: Pending, kind: str) -> Outcome:
    """The export into a temporary file; refused whole (no file) past bulk.ExportLimits."""
    fn = bulk.export_json if kind == "json" else bulk.export_csv
    stamp = clock.now()
    mime = "application/json" if kind == "json" else "text/csv"
    file = ExportFile(f"sessions-{stamp:%Y%m%d-%H%M%S}.{kind}", mime)
    try:
        with st.spinner("Preparing the export…"):
            file.write(
                lambda out: bulk.run_in_transaction(
                    data.engine(),
                    fn,
                    org_id=viewer.org_id,
                    actor=viewer.email,
                    session_ids=_ids(viewer, pending),
                    out=out,
                )
            )
    except ExportTooLarge as exc:
        return Outcome("export", f"Not exported: {fmt.md(str(exc))}. Select fewer sessions.", False)
    except SQLAlchemyError as exc:
        return Outcome("export", f"Export failed. {fmt.md(human.error_reason(exc))}", False)
    finally:
        admin_data.audit_written()
    return Outcome(
        "export",
        f"Export of {human.count(pending.count, 'session')} ready ({human.size(file.size)}).",
        True,
        file=file,
    )


def _finish(outcome: Outcome) -> None:
    _drop_outcome()
    st.session_state[ak.OUTCOME] = outcome
    _close()
    st.rerun()


# --- the outcome, above the table ------------------------------------------------------------


def _show_outcome(outcome: Outcome) -> None:
    file = outcome.file
    outcome_line(
        outcome.ok,
        outcome.message,
        dismiss=ak.DISMISS,
        on_dismiss=_drop_outcome,
        extra=None
        if file is None
        else lambda: download_button(f"Download {file.name}", file, key=ak.DOWNLOAD),
    )
