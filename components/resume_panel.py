"""Resume a stopped workflow session: what it would do, a confirmation dialog, the outcome.

Only sessionscope.resume decides and writes: preview() (through the cached
data.resume_preview) says whether and from which state; resume() does it in one
transaction, and only for an admin of the organization (it reads the role itself, so a
viewer demoted while the dialog was open is refused). Analysts see the saved state and why
there is no Resume. The dialog stays open across reruns while its flag is set, so its
buttons work in a full rerun as well as in the dialog's own. Inside the "View details" dialog
(Streamlit does not nest dialogs) the same confirmation is drawn in place, and its reruns stay
in that dialog.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import streamlit as st
from streamlit.errors import StreamlitAPIException

from components import data, keys
from components import format as fmt
from components.outcome import dismiss_button
from queries.sessions import SessionDetail
from sessionscope import human, resume
from sessionscope.auth import Viewer
from sessionscope.errors import AlreadyResumed, Forbidden, InvalidState, NotFound
from sessionscope.settings import load_settings

_OPEN = "sd_resume_open"  # the id of the session whose confirmation dialog is open
# Inside the View details dialog, keys and the open flag get this prefix: the page under the
# dialog may show the same session's Resume (the User sessions page's right pane does).
_IN_DIALOG = "dlg_"


def _key(key: str, in_dialog: bool) -> str:
    return _IN_DIALOG + key if in_dialog else key


_OUTCOME = "sd_resume_outcome"


@dataclass(frozen=True)
class Outcome:
    """What the last resume here did: a result, or why it did not happen."""

    session_id: str
    result: resume.ResumeResult | None = None
    conflict: str | None = None  # someone else got there first (or the session went away)
    refused: str | None = None  # the state turned out invalid at the moment of resuming
    forbidden: str | None = None  # the viewer was no longer an admin when they confirmed


def resume_panel(viewer: Viewer, session: SessionDetail, *, in_dialog: bool = False) -> None:
    """The outcome of a resume just done, then Resume for a stopped workflow session (its
    saved state and why there is no button, for an analyst). `in_dialog`: drawn inside another
    dialog, so the confirmation is drawn in place."""
    outcome: Outcome | None = st.session_state.get(_OUTCOME)
    if outcome is not None and outcome.session_id == session.id:
        _show_outcome(outcome, in_dialog)
    if session.server_kind != "workflow" or session.status == "completed":
        return
    preview = data.resume_preview(viewer.org_id, session.id)
    if preview is None:
        return
    if not preview.resumable:
        if session.status != "active":  # a running session needs no word on why
            st.caption(f":material/block: Resume is not available: {fmt.md(preview.reason)}.")
        if preview.problems:
            _problems(preview, in_dialog)
        return
    if not viewer.is_admin:
        _read_only(preview, viewer, in_dialog)
        return
    _offer(preview, in_dialog)
    if st.session_state.get(_key(_OPEN, in_dialog)) != session.id:
        return
    if in_dialog:
        with st.container(border=True):
            _confirm_body(viewer.org_id, preview, viewer.email, in_dialog=True)
    else:
        _confirm(viewer.org_id, preview, viewer.email)


def _read_only(preview: resume.StatePreview, viewer: Viewer, in_dialog: bool) -> None:
    """What a resume would do, the saved state, and who may resume: no button."""
    with st.container(border=True):
        _heading(preview)
        st.caption(
            f":material/lock: Only admins of {fmt.md(viewer.org_name)} resume sessions: a "
            "resume writes a new saved state. Ask one of them if this session should go on."
        )
        if preview.problems:
            _problems(preview, in_dialog)
        else:
            with st.expander(f"Saved state (version {preview.latest_version})"):
                st.json(preview.raw_state, expanded=1)


def _heading(preview: resume.StatePreview) -> None:
    st.markdown(
        f"**Resume** · {fmt.status_badge(preview.status)} would continue at stage "
        f"**{fmt.md(preview.stage)}** · saved state version {preview.latest_version}"
    )


def _offer(preview: resume.StatePreview, in_dialog: bool) -> None:
    with st.container(border=True):
        _heading(preview)
        if preview.problems:
            st.warning(
                f"The saved state has {human.count(len(preview.problems), 'problem')}: resuming "
                "from it is refused, resuming from the last completed stage is possible.",
                icon=":material/warning:",
            )
        st.button(
            "Resume…",
            key=_key(keys.SD_RESUME, in_dialog),
            on_click=st.session_state.__setitem__,
            args=(_key(_OPEN, in_dialog), preview.session_id),
            type="primary",
            icon=":material/play_arrow:",
        )


def _close(in_dialog: bool = False) -> None:
    st.session_state.pop(_key(_OPEN, in_dialog), None)


@st.dialog("Resume session", width="medium", on_dismiss=_close)
def _confirm(org_id: str, preview: resume.StatePreview, actor: str) -> None:
    _confirm_body(org_id, preview, actor, in_dialog=False)


def _confirm_body(
    org_id: str, preview: resume.StatePreview, actor: str, *, in_dialog: bool
) -> None:
    """What the resume would restore, the button that does it, and Cancel."""
    if preview.problems:
        _problems(preview, in_dialog)
        if preview.fallback is not None:
            st.markdown("**Resume from the last completed stage instead**")
            _summary(
                preview.fallback,
                source=f"rebuilt from the stage records (version {preview.latest_version} "
                "is kept as it is)",
            )
            _resume_button(org_id, preview, actor, use_fallback=True, in_dialog=in_dialog)
    else:
        _summary(preview.raw_state, source=f"saved state version {preview.latest_version}")
        _resume_button(org_id, preview, actor, use_fallback=False, in_dialog=in_dialog)
    if st.button("Cancel", key=_key(keys.SD_RESUME_CANCEL, in_dialog)):
        _close(in_dialog)
        _rerun(in_dialog)


# The confirming button, by whether it restores the fallback: label, key, icon.
_RESUME_BUTTONS = {
    False: ("Resume", keys.SD_RESUME_CONFIRM, ":material/play_arrow:"),
    True: ("Resume from the last completed stage", keys.SD_RESUME_FALLBACK, ":material/history:"),
}


def _resume_button(
    org_id: str, preview: resume.StatePreview, actor: str, *, use_fallback: bool, in_dialog: bool
) -> None:
    label, key, icon = _RESUME_BUTTONS[use_fallback]
    if st.button(label, key=_key(key, in_dialog), type="primary", icon=icon):
        _resume(org_id, preview, actor, use_fallback=use_fallback, in_dialog=in_dialog)


def _rerun(in_dialog: bool) -> None:
    """Run again: only the dialog it is in when a click inside it started this run (a whole
    run would close that dialog), else the whole page."""
    if in_dialog:
        with contextlib.suppress(StreamlitAPIException):  # raised outside a fragment's run
            st.rerun(scope="fragment")
    st.rerun(scope="app")


def _summary(state: Mapping[str, Any], *, source: str) -> None:
    """The stage it resumes at, where the state comes from, its completed stages and metrics."""
    done = ", ".join(fmt.md(s) for s in state.get("completed_stages") or ()) or "none"
    st.markdown(
        f"It will resume at stage **{fmt.md(state.get('stage'))}**.  \n"
        f"State: {source}  \n"
        f"Completed stages: {done}  \n"
        f"Metrics: {_metrics(state.get('metrics') or {})}"
    )


def _metrics(metrics: Mapping[str, Any]) -> str:
    return " · ".join(f"{fmt.md(k)} {fmt.md(v)}" for k, v in metrics.items()) or "none"


def _problems(preview: resume.StatePreview, in_dialog: bool) -> None:
    """Every exact reason the saved state is refused, and the raw state to download."""
    reasons = "\n".join(f"- {fmt.md(p)}" for p in preview.problems)
    st.error(
        f"The saved state (version {preview.latest_version}) cannot be resumed:\n\n{reasons}",
        icon=":material/error:",
    )
    st.download_button(
        "Download the raw saved state",
        data=_raw_text(preview.raw_state),
        file_name=f"{preview.session_id}-state-v{preview.latest_version}.json",
        mime="application/json",
        key=_key(keys.SD_RAW_STATE, in_dialog),
        on_click="ignore",
        icon=":material/download:",
    )


def _raw_text(raw: Any) -> str:
    """The state as stored: text that is not JSON stays as it is."""
    return raw if isinstance(raw, str) else json.dumps(raw, indent=2, ensure_ascii=False)


def _resume(
    org_id: str, preview: resume.StatePreview, actor: str, *, use_fallback: bool, in_dialog: bool
) -> None:
    """Resume, keep the outcome for the page, forget the cached session, close the dialog."""
    sid = preview.session_id
    try:
        result = resume.resume(
            data.engine(),
            org_id=org_id,
            session_id=sid,
            actor=actor,
            expected_version=preview.latest_version or 0,
            use_fallback=use_fallback,
        )
        outcome = Outcome(sid, result=result)
    except (AlreadyResumed, NotFound) as exc:
        outcome = Outcome(sid, conflict=str(exc))
    except InvalidState as exc:
        outcome = Outcome(sid, refused=str(exc))
    except Forbidden as exc:
        outcome = Outcome(sid, forbidden=str(exc))
        data.memberships.clear()  # the next run shows the role they have now
    st.session_state[_OUTCOME] = outcome
    _close(in_dialog)
    data.session_changed(org_id, sid)
    _rerun(in_dialog)


def _show_outcome(outcome: Outcome, in_dialog: bool) -> None:
    """Shown on this session's page until dismissed, so the restored state stays at hand."""
    if outcome.conflict is not None:
        st.warning(
            "**Already resumed by someone else.** This session changed since you opened it, "
            "so nothing was done; the page now shows its current status.",
            icon=":material/group:",
        )
        st.caption(fmt.md(outcome.conflict))
    elif outcome.forbidden is not None:
        st.error(
            f"**Not resumed.** Your role changed since this page was shown: "
            f"{fmt.md(outcome.forbidden)}.",
            icon=":material/lock:",
        )
    elif outcome.refused is not None:
        st.error(
            f"The saved state cannot be resumed: {fmt.md(outcome.refused)}",
            icon=":material/error:",
        )
    elif outcome.result is not None:
        _resumed(outcome.result, in_dialog)
    dismiss_button(_key(keys.SD_RESUME_DISMISS, in_dialog), st.session_state.pop, (_OUTCOME, None))


def resumed_text(result: resume.ResumeResult, resume_url: str | None) -> str:
    """What a resume did, plainly. sessionscope.resume writes a new saved state and marks the
    session active, nothing more: it calls no workflow app. With SESSIONSCOPE_RESUME_URL set,
    the page hands the session over by a link the viewer follows."""
    done = f"**Resumed: saved state version {result.version}** (stage {fmt.md(result.stage)})"
    if resume_url:
        return (
            f"{done}; marked active. Hand it to the workflow app with **Continue in the "
            "workflow app** (Sessionscope does not call the app itself)."
        )
    return f"{done}; marked active; no workflow app configured (`SESSIONSCOPE_RESUME_URL`)."


def continue_url(resume_url: str, session_id: str) -> str:
    """The workflow app's address for this session: `session=<id>` added to its query."""
    parts = urlsplit(resume_url)
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), ("session", session_id)])
    return urlunsplit(parts._replace(query=query))


def _resumed(result: resume.ResumeResult, in_dialog: bool) -> None:
    resume_url = load_settings().resume_url
    st.success(resumed_text(result, resume_url), icon=":material/play_circle:")
    with st.expander("Restored state", expanded=True):
        st.json(result.state, expanded=1)
    with st.container(horizontal=True):
        st.download_button(
            "Download the restored state",
            data=json.dumps(result.state, indent=2, ensure_ascii=False),
            file_name=f"{result.session_id}-state-v{result.version}.json",
            mime="application/json",
            key=_key(keys.SD_RESUMED_STATE, in_dialog),
            on_click="ignore",
            icon=":material/download:",
        )
        if resume_url:
            st.link_button(
                "Continue in the workflow app",
                continue_url(resume_url, result.session_id),
                icon=":material/open_in_new:",
            )
