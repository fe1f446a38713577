"""The details pane says when the organization's redaction rules changed a call's payload."""

from __future__ import annotations

import pytest

from tests.pages.client import Client, Open
from tests.pages.datasets import DataSet, redacted
from tests.pages.explorer_view import PAGE, texts

MARKER = "Redacted by the organization's policy"


@pytest.fixture()
def app(client: Client, data_set: DataSet) -> Open:
    return client(data_set(redacted.build))


@pytest.mark.parametrize(("item", "marked"), [("tc_masked", True), ("tc_plain", False)])
def test_a_redacted_call_says_so_in_the_details_pane(app, item: str, marked: bool) -> None:
    at = app(PAGE, user="usr_ann", session="ses_r", item=item)
    assert not at.exception
    captions = " ".join(c.value for c in at.caption) + texts(at)
    assert (MARKER in captions) is marked
