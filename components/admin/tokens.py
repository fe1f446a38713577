"""The Ingest tokens tab: the organization's OTLP tokens, create one (shown once), revoke one.

The secret outlives one script run nowhere: the create callback leaves it in session state
for the run it triggers, and that run pops it before drawing anything, so the next rerun
(Done, or any other click) no longer has it. It never reaches the URL, a cache or the audit
log (sessionscope.tokens audits the name only). Each write is one transaction through
sessionscope.tokens and clears the cached list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC
from urllib.parse import urlsplit

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from components import data
from components import format as fmt
from components.admin import data as admin_data
from components.admin import keys as ak
from components.outcome import outcome_line
from queries.tokens import TokenInfo
from sessionscope import human, tokens
from sessionscope.auth import Viewer
from sessionscope.db import begin_write
from sessionscope.errors import NotFound, SessionscopeError

DEFAULT_ORIGIN = "http://localhost:8501"
# What an origin may look like before it goes into markdown and the env lines: the browser
# reports the URL, so anything odd falls back to the default instead of being shown.
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:\d{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
# name, created by, created, last used, status, action: at 1366 px "Revoke…" needs 1.8
_COLUMNS = (3, 3, 2.2, 1.8, 1.6, 1.8)
_HEADERS = ("Name", "Created by", "Created (UTC)", "Last used", "Status", "")


@dataclass(frozen=True)
class Pending:
    """The token whose revoke dialog is open."""

    token_id: str
    name: str


@dataclass(frozen=True)
class Outcome:
    message: str
    ok: bool


def origin() -> str:
    """The app's origin as the browser sees it: the receiver listens on the app's own port."""
    url = st.context.url
    if not url:  # AppTest, or a run before the browser said where it is
        return DEFAULT_ORIGIN
    parts = urlsplit(url)
    found = f"{parts.scheme}://{parts.netloc}"
    return found if _ORIGIN.fullmatch(found) else DEFAULT_ORIGIN


def env_lines(base: str, token: str) -> str:
    """The OpenTelemetry exporter settings for `token`, ready to paste into an environment.

    The endpoint is the origin (exporters append /v1/traces); the header value is
    percent-encoded as the OTEL_EXPORTER_OTLP_HEADERS format requires (a space is %20).
    The receiver speaks OTLP/HTTP only, so the protocol is named too (some SDKs default
    to gRPC).
    """
    return "\n".join(
        [
            f"OTEL_EXPORTER_OTLP_ENDPOINT={base}",
            f"OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20{token}",
            "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
        ]
    )


def tokens_section(viewer: Viewer) -> None:
    """The tab: the token just created (once), the last revoke's outcome, the list, the form."""
    new: tokens.NewToken | None = st.session_state.pop(ak.TOK_NEW, None)
    base = origin()
    if new is not None and new.org_id == viewer.org_id:
        _show_new(new, base)
    outcome: Outcome | None = st.session_state.get(ak.TOK_OUTCOME)
    if outcome is not None:
        _show_outcome(outcome)
    rows = admin_data.ingest_tokens(viewer.org_id)
    if rows:
        st.caption(
            f"Exporters send traces to `{base}/v1/traces` with "
            "`Authorization: Bearer <token>`; each token's traces belong to "
            f"{fmt.md(viewer.org_name)}."
        )
        _table(rows)
    else:
        _empty(base)
    _create_form(viewer)
    pending: Pending | None = st.session_state.get(ak.TOK_PENDING)
    if pending is not None:
        _dialog(pending, viewer)


def _empty(base: str) -> None:
    st.info(
        "**No ingest tokens yet.** A token lets your MCP servers report here: send "
        f"OpenTelemetry traces from your MCP servers to `{base}/v1/traces` with "
        "`Authorization: Bearer <token>`. Create a token below; the sessions and tool calls "
        "it brings in belong to this organization.",
        icon=":material/key:",
    )


# --- the list ---------------------------------------------------------------------------------


def _table(rows: list[TokenInfo]) -> None:
    """A compact table: one row per token, a Revoke button on each active one."""
    with st.container(border=True, gap="small"):
        for col, header in zip(st.columns(_COLUMNS), _HEADERS, strict=True):
            col.caption(f"**{header}**" if header else "")
        for row in rows:
            _row(row)


def _row(row: TokenInfo) -> None:
    name, by, created, used, status, action = st.columns(_COLUMNS, vertical_alignment="center")
    name.markdown(f"**{fmt.md(row.name)}**")
    by.markdown(fmt.md(row.created_by))
    created.markdown(row.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"))
    used.markdown(human.relative(row.last_used_at) if row.last_used_at else "never")
    if row.active:
        status.markdown(":green-badge[:material/check_circle: active]")
        action.button(
            "Revoke…",
            key=ak.tok_revoke(row.id),
            on_click=_open,
            args=(Pending(row.id, row.name),),
            icon=":material/block:",
            type="tertiary",
        )
    else:
        revoked = f"Revoked {human.absolute(row.revoked_at)}"
        status.markdown(":gray-badge[:material/block: revoked]", help=revoked)


# --- create -----------------------------------------------------------------------------------


def _create_form(viewer: Viewer) -> None:
    with st.form(ak.TOK_FORM, border=True, enter_to_submit=True):
        st.markdown("**New token**")
        error: str | None = st.session_state.pop(ak.TOK_ERROR, None)
        if error:
            st.error(error, icon=":material/error:")
        with st.container(horizontal=True, vertical_alignment="bottom"):
            st.text_input(
                "Name",
                key=ak.TOK_NAME,
                max_chars=tokens.MAX_NAME,
                placeholder="e.g. github-mcp production",
                help="Say which server or environment will use it; you see it here and in "
                "the audit log.",
            )
            st.form_submit_button(
                "Create token",
                key=ak.TOK_CREATE,
                on_click=_create,
                args=(viewer,),
                type="primary",
                icon=":material/add:",
            )


def _create(viewer: Viewer) -> None:
    """Form callback: validate, write in one transaction, leave the token for this run only."""
    name = " ".join(str(st.session_state.get(ak.TOK_NAME) or "").split())
    if not 1 <= len(name) <= tokens.MAX_NAME:
        st.session_state[ak.TOK_ERROR] = (
            f"Give the token a name of 1 to {tokens.MAX_NAME} characters, such as the server "
            "that will use it."
        )
        return
    try:
        with begin_write(data.engine()) as conn:
            new = tokens.create(conn, org_id=viewer.org_id, name=name, created_by=viewer.email)
    except (SQLAlchemyError, SessionscopeError) as exc:
        reason = fmt.md(human.error_reason(exc))
        st.session_state[ak.TOK_ERROR] = f"The token was not created. {reason}"
        return
    finally:
        admin_data.tokens_changed()
    st.session_state[ak.TOK_NEW] = new
    st.session_state[ak.TOK_NAME] = ""  # a callback may reset its form's widget
    st.session_state.pop(ak.TOK_OUTCOME, None)


def _show_new(new: tokens.NewToken, base: str) -> None:
    with st.container(border=True):
        st.success(
            f"Token **{fmt.md(new.name)}** created. Copy it now: it is not shown again "
            "(only its hash is kept). If it is lost, revoke it and create another.",
            icon=":material/key:",
        )
        st.code(new.token, language=None)
        st.caption("Exporter settings for an MCP server (environment variables):")
        st.code(env_lines(base, new.token), language="bash")
        st.button("Done, I have copied it", key=ak.TOK_DONE, icon=":material/check:")


# --- revoke -----------------------------------------------------------------------------------


def _open(pending: Pending) -> None:
    st.session_state[ak.TOK_PENDING] = pending
    st.session_state.pop(ak.TOK_OUTCOME, None)


def _close() -> None:
    st.session_state.pop(ak.TOK_PENDING, None)


def _dialog(pending: Pending, viewer: Viewer) -> None:
    st.dialog("Revoke ingest token", width="small", on_dismiss=_close)(_confirm)(pending, viewer)


def _confirm(pending: Pending, viewer: Viewer) -> None:
    st.markdown(f"Revoke **{fmt.md(pending.name)}**?")
    st.caption(
        "Exporters that send it are refused from their next request on. A revoked token "
        "cannot be turned back on: create a new one instead. Written to the audit log."
    )
    with st.container(horizontal=True):
        confirmed = st.button("Revoke", key=ak.TOK_CONFIRM, type="primary", icon=":material/block:")
        # A full rerun: a button in a dialog reruns only the dialog, which would stay open.
        if st.button("Cancel", key=ak.TOK_CANCEL):
            _close()
            st.rerun()
    if confirmed:
        st.session_state[ak.TOK_OUTCOME] = _revoke(viewer, pending)
        _close()
        st.rerun()


def _revoke(viewer: Viewer, pending: Pending) -> Outcome:
    name = f"**{fmt.md(pending.name)}**"
    try:
        with begin_write(data.engine()) as conn:
            changed = tokens.revoke(
                conn, org_id=viewer.org_id, token_id=pending.token_id, actor_email=viewer.email
            )
    except NotFound:
        return Outcome("That token is not in this organization.", False)
    except SQLAlchemyError as exc:
        reason = fmt.md(human.error_reason(exc))
        return Outcome(f"Revoking {name} failed; nothing was changed. {reason}", False)
    finally:
        admin_data.tokens_changed()
    if not changed:
        return Outcome(f"{name} was already revoked.", True)
    return Outcome(f"{name} revoked: exporters sending it are refused from now on.", True)


def _show_outcome(outcome: Outcome) -> None:
    outcome_line(
        outcome.ok,
        outcome.message,
        dismiss=ak.TOK_DISMISS,
        on_dismiss=st.session_state.pop,
        args=(ak.TOK_OUTCOME, None),
    )
