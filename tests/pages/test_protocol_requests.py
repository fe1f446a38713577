"""User sessions with MCP protocol requests (initialize, tools/list, resources/read...) stored
beside the tool calls: a quieter timeline kind of their own, never a tool, selectable.

Data: tests/pages/datasets/protocol.py.
"""

from __future__ import annotations

import json

import pytest

from components import keys
from tests.pages.client import Client, Open
from tests.pages.datasets import DataSet, protocol
from tests.pages.datasets.protocol import ATTRIBUTES, CALLS, REQUESTS, SESSION
from tests.pages.explorer_view import (
    PAGE,
    choose_item,
    row_ids,
    row_labels,
    selected_row,
    texts,
)


@pytest.fixture()
def app(client: Client, data_set: DataSet) -> Open:
    return client(data_set(protocol.build))


def _rows(at) -> dict[str, str]:
    return dict(zip(row_ids(at), row_labels(at), strict=True))


def test_protocol_requests_show_in_time_order_as_a_quieter_kind(app) -> None:
    at = app(PAGE, user="usr_ann", session=SESSION)
    assert not at.exception
    rows = _rows(at)
    assert list(rows) == [rid for rid, _, _ in REQUESTS]
    assert rows["tc_list"].startswith(":gray[:small[:material/sync_alt: tools/list · ")
    assert rows["tc_read"].startswith(
        ":gray[:small[:material/sync_alt: resources/read docs\\://index"
    )
    assert rows["tc_read"].endswith(":red-badge[:material/error: error]")
    assert rows["tc_search"].startswith(":material/build: **search\\_docs**")
    assert "Items 1–5 of 5" in texts(at)


def test_the_kind_filter_hides_protocol_requests(app) -> None:
    at = app(PAGE, user="usr_ann", session=SESSION)
    assert at.pills(key=keys.US_TL_KINDS).value == ["tool_call", "protocol"]  # no tickets
    at.pills(key=keys.US_TL_KINDS).set_value(["tool_call"]).run()
    assert list(_rows(at)) == CALLS
    at.pills(key=keys.US_TL_KINDS).set_value(["protocol"]).run()
    assert list(_rows(at)) == ["tc_init", "tc_list", "tc_read"]


def test_the_tool_filter_lists_and_selects_tools_call_only(app) -> None:
    at = app(PAGE, user="usr_ann", session=SESSION)
    tool = at.selectbox(key=keys.US_TL_TOOL)
    assert tool.options == ["get_page", "search_docs"]  # no initialize, tools/list, docs://
    tool.set_value("search_docs").run()
    assert list(_rows(at)) == ["tc_search"]


def test_selecting_a_protocol_request_shows_its_method_and_attributes(app) -> None:
    at = app(PAGE, user="usr_ann", session=SESSION)
    choose_item(at, "tc_read")
    assert not at.exception
    assert at.query_params["item"] == "tc_read"
    shown = texts(at).replace("\\", "")
    assert "request #4" in shown and "Resource not found" in shown
    assert "**Method:** resources/read" in shown and "**Target:** docs://index" in shown
    assert [h.value for h in at.subheader][-1] == ":material/sync_alt: resources/read"
    assert "Input: none recorded." in shown  # no payloads: no empty JSON tree
    assert [json.loads(j.value) for j in at.json] == [ATTRIBUTES]
    assert selected_row(at) == "tc_read"


def test_a_tool_calls_details_name_its_method(app) -> None:
    at = app(PAGE, user="usr_ann", session=SESSION, item="tc_search")
    shown = texts(at).replace("\\", "")
    assert "call #3" in shown and "**Method:** tools/call" in shown and "Target" not in shown
    assert "Attributes" not in [e.label for e in at.expander]  # none stored for this call
    assert row_labels(at)  # the timeline is there too
