"""The right pane: one tool call or support ticket in full. Payload text is shown as text."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import streamlit as st

from components import data, keys, url
from components import format as fmt
from components.resume_panel import resume_panel
from queries import search
from queries.items import TicketDetail, ToolCallDetail
from queries.sessions import SessionDetail
from queries.timeline import STAGE_PREFIX
from sessionscope import bulk, human
from sessionscope.auth import Viewer
from sessionscope.schema import TOOL_CALL_METHOD

JSON_TREE_DEPTH = 2  # levels expanded at first in the collapsible view
MAX_DOWNLOAD_BYTES = bulk.MAX_EXPORT_PAYLOAD_BYTES  # what one export may carry, one payload too


# Makes the callable a payload's download button runs on the click: (field) -> () -> bytes.
Download = Callable[[str], Callable[[], bytes]]


def tool_call_view(
    call: ToolCallDetail,
    *,
    session_started_at: datetime,
    download: Download,
    find: str | None = None,
) -> None:
    """A tool call, or another MCP request (initialize, tools/list...) stored beside them."""
    is_tool = call.method == TOOL_CALL_METHOD
    icon, noun = (":material/build:", "call") if is_tool else (":material/sync_alt:", "request")
    st.subheader(f"{icon} {fmt.md(call.tool_name if is_tool else call.method)}", anchor=False)
    status = (
        ":red-badge[:material/error: error]"
        if call.is_error
        else (":green-badge[:material/check: ok]")
    )
    st.markdown(f"{status} {noun} #{call.seq:,} · {human.millis(call.duration_ms)}")
    _found(_call_texts(call), find)
    _fields(_call_fields(call, session_started_at, is_tool=is_tool))
    if call.is_error:
        st.error(fmt.md(call.error_message or "(no message)"), icon=":material/error:")
    # Writers mark what the organization's redaction rules changed (sessionscope.redaction).
    if isinstance(call.attributes, dict) and call.attributes.get("redacted"):
        st.caption(":material/visibility_off: Redacted by the organization's policy")
    _payload("Input", call.id, call.input, call.input_preview, call.input_bytes, download)
    _payload("Output", call.id, call.output, call.output_preview, call.output_bytes, download)
    _attributes(call.attributes, expanded=not is_tool)


def _call_fields(
    call: ToolCallDetail, session_started_at: datetime, *, is_tool: bool
) -> dict[str, str]:
    # A protocol request's tool_name is its target (a resource uri, a prompt) or its method.
    target = {} if is_tool or call.tool_name in ("", call.method) else {"Target": call.tool_name}
    return {
        "Method": call.method,
        **target,
        "Started": human.absolute(call.started_at),
        "Offset": human.offset(call.started_at, session_started_at),
        "Duration": human.millis(call.duration_ms),
        ("Tool call id" if is_tool else "Item id"): call.id,
        "Session id": call.session_id,
    }


def _attributes(attributes: Any, *, expanded: bool) -> None:
    """What the source knew beyond the columns (trace and span ids, request id, error.type),
    open by default for a protocol request, whose payloads are usually empty."""
    if attributes is None:
        return
    with st.expander("Attributes", expanded=expanded, icon=":material/data_object:"):
        st.json(attributes, expanded=True)


def ticket_view(ticket: TicketDetail, *, find: str | None = None) -> None:
    st.subheader(f":material/support_agent: {fmt.md(ticket.title)}", anchor=False)
    st.markdown(f"{fmt.priority_badge(ticket.priority)} :gray-badge[{fmt.md(ticket.status)}]")
    _found({"title": ticket.title, "summary": ticket.summary, "context": ticket.context}, find)
    _fields(
        {
            "Email": ticket.email or "—",
            "Created": human.absolute(ticket.created_at),
            "Resolved": human.absolute(ticket.resolved_at),
            "Ticket id": ticket.id,
            "Session id": ticket.session_id or "—",
        }
    )
    st.markdown("**Summary**")
    st.text(ticket.summary or "—")
    st.markdown("**Context**")
    st.text(ticket.context or "—")
    _activities((ticket.attributes or {}).get("activities"))


def _call_texts(call: ToolCallDetail) -> dict[str, str | None]:
    """The call's searchable text as shown: a payload's JSON (non-ASCII as itself), or the
    preview of one too large to load."""

    def text(value: Any, preview: str | None) -> str | None:
        return preview if value is None else json.dumps(value, ensure_ascii=False)

    return {
        "input": text(call.input, call.input_preview),
        "output": text(call.output, call.output_preview),
        "error_message": call.error_message,
    }


def _found(texts: dict[str, str | None], find: str | None) -> None:
    """Where the timeline's Find phrase occurs in this item, marked in context."""
    found = search.found_in(texts, find) if find else []
    if not found:
        return
    lines = [
        f":material/search: {fmt.FIELD_LABELS.get(f.field, f.field)}: "
        f"{fmt.marked(f.snippet, f.start, f.end)}"
        for f in found
    ]
    st.markdown("  \n".join(lines), help=f"Where “{find}” occurs in this item (Find).")


def _activities(activities: list[dict[str, Any]] | None) -> None:
    """A synced ticket's history (MCPlatform's comments, status changes), one line each."""
    if not activities:
        return
    st.markdown("**Activity**")
    st.markdown("  \n".join(_activity_line(a) for a in activities))


def _activity_line(activity: dict[str, Any]) -> str:
    at = activity.get("at")
    when = human.absolute(datetime.fromisoformat(at)) if at else "time unknown"
    content = activity.get("content")
    text = content if isinstance(content, str | None) else json.dumps(content)
    who, kind = fmt.md(activity.get("by") or "—"), fmt.md(activity.get("type"))
    return f"{when} · :gray-badge[{kind}] **{who}**: {fmt.md(text or '—', limit=300)}"


def _fields(values: dict[str, str]) -> None:
    """Label/value lines; values are escaped so ids and emails show as typed."""
    st.markdown("  \n".join(f"**{label}:** {fmt.md(value)}" for label, value in values.items()))


def _payload(
    label: str,
    item_id: str,
    value: Any,
    preview: str | None,
    size: int | None,
    download: Download,
) -> None:
    field = label.lower()
    if value is None and preview is None:
        # Protocol requests and calls without a result have none; st.json(None) shows an error.
        st.caption(f"{label}: none recorded.")
        return
    size_text = human.size(size or 0)
    with st.expander(f"{label} · {size_text}", expanded=True):
        if preview is None:
            # Only the open tab is drawn: the JSON is sent once per run, not twice.
            tree_tab, text_tab = st.tabs(
                ["Tree", "Text"], key=f"us_json_{field}", on_change="rerun"
            )
            if tree_tab.open:
                with tree_tab:
                    st.json(value, expanded=JSON_TREE_DEPTH)
            if text_tab.open:
                with text_tab:
                    text = json.dumps(value, indent=2, ensure_ascii=False)
                    st.code(text, language="json", height=320)
        else:
            st.warning(
                f"{label} is {size_text}: showing the first part. Download it for the whole.",
                icon=":material/content_cut:",
            )
            st.code(preview, language="json", wrap_lines=True, height=320)
        _download(item_id, field, size or 0, download)


def _download(item_id: str, field: str, size: int, download: Download) -> None:
    """The whole payload, read and audited only when clicked (data= a callable): a render,
    even of a 300 MB payload, reads and writes nothing."""
    if size > MAX_DOWNLOAD_BYTES:
        st.caption(
            f":material/block: Too large to download here ({human.size(size)}; at most "
            f"{human.size(MAX_DOWNLOAD_BYTES)}, as for an export)."
        )
        return
    st.download_button(
        f"Download {field} JSON",
        data=download(field),
        file_name=f"{item_id}-{field}.json",
        mime="application/json",
        key=f"dl_{item_id}_{field}",
        on_click="ignore",
        icon=":material/download:",
        help="Each download is written to the audit log.",
    )


def item_pane(viewer: Viewer, session: SessionDetail | None, item_id: str | None) -> None:
    """Placeholder, a clear message for a bad link, or the item in full."""
    org_id = viewer.org_id
    if session is None or item_id is None:
        _placeholder(session)
        if session is not None and session.server_kind == "workflow":
            resume_panel(viewer, session)
        return
    if not url.is_id(item_id, url.ITEM_PREFIXES):
        _bad_link("This link's item is not a tool call, ticket or stage id.", session)
        return
    if item_id.startswith(STAGE_PREFIX):
        _stage_item(viewer, session, item_id)
        return
    detail = data.item(org_id, item_id)
    if detail is None or detail.session_id != session.id:
        _bad_link("This link's item is not available in this session.", session)
        return
    find = url.text(keys.P_FIND, [])  # checked, and any problem said, by the timeline
    with st.container(border=True, key=keys.US_ITEM):
        if isinstance(detail, ToolCallDetail):
            tool_call_view(
                detail,
                session_started_at=session.started_at,
                download=lambda field: data.payload_download(
                    org_id, viewer.email, detail.id, field
                ),
                find=find,
            )
        else:
            ticket_view(detail, find=find)


def _stage_item(viewer: Viewer, session: SessionDetail, item_id: str) -> None:
    fresh = data.freshness(session.status == "active")
    stages = data.session_stages(viewer.org_id, session.id, fresh)
    row = stages[stages["stage"] == item_id.removeprefix(STAGE_PREFIX)]
    if row.empty:
        _bad_link("This link's stage is not available in this session.", session)
        return
    with st.container(border=True, key=keys.US_ITEM):
        stage = row.iloc[0].to_dict()
        stage_view(stage | {"status": fmt.stage_status(stage["status"], session.status)})
    resume_panel(viewer, session)


def stage_view(stage: dict[str, Any]) -> None:
    """A workflow stage: status, totals, timings and its data."""
    st.subheader(f":material/account_tree: Stage {fmt.md(stage['stage'])}", anchor=False)
    st.markdown(f":gray-badge[{fmt.md(stage['status'])}]")
    started, completed = _timestamp(stage["started_at"]), _timestamp(stage["completed_at"])
    took = (completed - started).total_seconds() if started and completed else None
    _fields(
        {
            "Total": f"{int(stage['total']):,}",
            "Completed": f"{int(stage['completed']):,}",
            "Failed": f"{int(stage['failed']):,}",
            "Started": human.absolute(started),
            "Finished": human.absolute(completed),
            "Took": human.duration(took),
            "Item id": f"{STAGE_PREFIX}{stage['stage']}",
            "Session id": stage["session_id"],
        }
    )
    if stage["data"] is None:
        st.caption("Data: none recorded.")
        return
    with st.expander("Data", expanded=True, icon=":material/data_object:"):
        st.json(stage["data"], expanded=JSON_TREE_DEPTH)


def _timestamp(value: Any) -> datetime | None:
    """A DataFrame cell's timestamp as a datetime (NaT and None: None)."""
    if value is None or value != value:
        return None
    return value.to_pydatetime() if hasattr(value, "to_pydatetime") else value


def _placeholder(session: SessionDetail | None) -> None:
    st.caption("Details")
    if session is None:  # no timeline to choose from yet (none chosen, or a bad link's)
        st.info(
            "The item you choose in a session's timeline shows here.", icon=":material/touch_app:"
        )
        return
    what = "stage, tool call or ticket" if session.server_kind == "workflow" else None
    st.info(
        f"Choose a {what or 'tool call or ticket'} in the timeline to see it in full.",
        icon=":material/touch_app:",
    )


def _bad_link(message: str, session: SessionDetail | None) -> None:
    url.drop(keys.P_ITEM)
    st.warning(message, icon=":material/link_off:")
    _placeholder(session)
