"""The right pane: one tool call or support ticket in full. Payload text is shown as text."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import streamlit as st

from components import data, keys, url
from components import format as fmt
from queries.items import TicketDetail, ToolCallDetail
from sessionscope.schema import TOOL_CALL_METHOD

JSON_TREE_DEPTH = 2  # levels expanded at first in the collapsible view


def tool_call_view(
    call: ToolCallDetail, *, session_started_at: Any, fetch_payload: Callable[[str], str]
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
    st.markdown(f"{status} {noun} #{call.seq:,} · {fmt.millis(call.duration_ms)}")
    _fields(_call_fields(call, session_started_at, is_tool=is_tool))
    if call.is_error:
        st.error(fmt.md(call.error_message or "(no message)"), icon=":material/error:")
    _payload("Input", call.id, call.input, call.input_preview, call.input_bytes, fetch_payload)
    _payload("Output", call.id, call.output, call.output_preview, call.output_bytes, fetch_payload)
    _attributes(call.attributes, expanded=not is_tool)


def _call_fields(call: ToolCallDetail, session_started_at: Any, *, is_tool: bool) -> dict[str, str]:
    # A protocol request's tool_name is its target (a resource uri, a prompt) or its method.
    target = {} if is_tool or call.tool_name in ("", call.method) else {"Target": call.tool_name}
    return {
        "Method": call.method,
        **target,
        "Started": fmt.absolute(call.started_at),
        "Offset": fmt.offset(call.started_at, session_started_at),
        "Duration": fmt.millis(call.duration_ms),
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


def ticket_view(ticket: TicketDetail) -> None:
    st.subheader(f":material/support_agent: {fmt.md(ticket.title)}", anchor=False)
    st.markdown(f"{fmt.priority_badge(ticket.priority)} :gray-badge[{fmt.md(ticket.status)}]")
    _fields(
        {
            "Email": ticket.email or "—",
            "Created": fmt.absolute(ticket.created_at),
            "Resolved": fmt.absolute(ticket.resolved_at),
            "Ticket id": ticket.id,
            "Session id": ticket.session_id or "—",
        }
    )
    st.markdown("**Summary**")
    st.text(ticket.summary or "—")
    st.markdown("**Context**")
    st.text(ticket.context or "—")


def _fields(values: dict[str, str]) -> None:
    """Label/value lines; values are escaped so ids and emails show as typed."""
    st.markdown("  \n".join(f"**{label}:** {fmt.md(value)}" for label, value in values.items()))


def _payload(
    label: str,
    item_id: str,
    value: Any,
    preview: str | None,
    size: int | None,
    fetch_payload: Callable[[str], str],
) -> None:
    field = label.lower()
    if value is None and preview is None:
        # Protocol requests and calls without a result have none; st.json(None) shows an error.
        st.caption(f"{label}: none recorded.")
        return
    size_text = _size(size or 0)
    with st.expander(f"{label} · {size_text}", expanded=True):
        if preview is None:
            text = json.dumps(value, indent=2, ensure_ascii=False)
            tree_tab, text_tab = st.tabs(["Tree", "Text"])
            with tree_tab:
                st.json(value, expanded=JSON_TREE_DEPTH)
            with text_tab:
                st.code(text, language="json", height=320)
            _download(item_id, field, text)
            return
        st.warning(
            f"{label} is {size_text}: showing the first part. Download it for the whole.",
            icon=":material/content_cut:",
        )
        st.code(preview, language="json", wrap_lines=True, height=320)
        # The whole payload is fetched only when asked for, not on every selection.
        prepared = f"dl_ready_{item_id}_{field}"
        if st.session_state.get(prepared):
            _download(item_id, field, fetch_payload(field))
        else:
            st.button(
                f"Prepare the whole {field} ({size_text})",
                key=f"prep_{item_id}_{field}",
                on_click=st.session_state.__setitem__,
                args=(prepared, True),
                icon=":material/download:",
            )


def _download(item_id: str, field: str, text: str) -> None:
    st.download_button(
        f"Download {field} JSON",
        data=text,
        file_name=f"{item_id}-{field}.json",
        mime="application/json",
        key=f"dl_{item_id}_{field}",
        on_click="ignore",
        icon=":material/download:",
    )


def _size(size: int) -> str:
    return f"{size / 1024:,.1f} KB" if size < 1_000_000 else f"{size / 1_000_000:,.1f} MB"


def item_pane(org_id: str, session: Any | None, item_id: str | None) -> None:
    """Placeholder, a clear message for a bad link, or the item in full."""
    if session is None or item_id is None:
        _placeholder()
        return
    if not url.is_id(item_id, url.ITEM_PREFIXES):
        _bad_link("This link's item is not a tool call or ticket id.")
        return
    detail = data.item(org_id, item_id)
    if detail is None or detail.session_id != session.id:
        _bad_link("This link's item is not available in this session.")
        return
    with st.container(border=True):
        if isinstance(detail, ToolCallDetail):
            tool_call_view(
                detail,
                session_started_at=session.started_at,
                fetch_payload=lambda field: data.payload_text(org_id, detail.id, field),
            )
        else:
            ticket_view(detail)


def _placeholder() -> None:
    st.caption("Details")
    st.info(
        "Choose a tool call or ticket in the timeline to see it in full.",
        icon=":material/touch_app:",
    )


def _bad_link(message: str) -> None:
    url.drop(keys.P_ITEM)
    st.warning(message, icon=":material/link_off:")
    _placeholder()
