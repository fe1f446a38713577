"""What a page shows, read from an AppTest: its texts, its whole element tree, and the User
sessions page's cards and timeline rows."""

from __future__ import annotations

import re
from collections.abc import Iterable

from google.protobuf import text_format
from streamlit.testing.v1 import AppTest

from components import keys
from components.format import untagged
from tests.pages.datasets.explorer import GLOBEX_TEXT

PAGE = keys.PAGE_USER
# The timeline's line that the selected item is not among its rows (timeline_view._outside).
_AWAY = re.compile("The selected item(, #[0-9,]+,)? is (outside this window|hidden by this view)")
_TEXT_KINDS = (
    "markdown",
    "caption",
    "info",
    "warning",
    "error",
    "header",
    "subheader",
    "title",
    "code",
    "text",
)


def texts(at: AppTest) -> str:
    """Everything the page shows as text, for 'is it there / is it absent' checks."""
    parts = [e.value for kind in _TEXT_KINDS for e in at.get(kind)]
    parts += [b.label for b in at.button]
    for radio in at.radio:
        parts += [*map(untagged, radio.options), *radio.proto.captions]
    return "\n".join(str(p) for p in parts)


def rendered(at: AppTest, *, sidebar: bool = True) -> str:
    """Everything in the element tree as text (every proto field, every table cell), with the
    backslashes that escape user text for markdown removed."""
    roots = [at.main, at.sidebar] if sidebar else [at.main]
    parts = [
        text_format.MessageToString(node.proto, as_utf8=True)
        for root in roots
        for node in root
        if getattr(node, "proto", None) is not None
    ]
    parts += [df.value.to_string() for df in at.dataframe]
    return "\n".join(parts).replace("\\", "")


def leaked(at: AppTest, inputs: Iterable[str] = (), *, sidebar: bool = True) -> list[str]:
    """The explorer data set's globex texts the page shows, beside those the viewer typed
    into the link."""
    typed = " ".join(inputs).lower()
    shown = rendered(at, sidebar=sidebar)
    return [t for t in GLOBEX_TEXT if t.lower() not in typed and t in shown]


def plain_texts(at: AppTest) -> str:
    """texts(at) without the backslashes that escape user text for markdown (search\\_docs)."""
    return texts(at).replace("\\", "")


def _radio(at: AppTest, key: str):  # type: ignore[no-untyped-def]
    found = [r for r in at.radio if r.key == key]
    return found[0] if found else None


def card_ids(at: AppTest) -> list[str]:
    """The session ids of the cards shown, in order (the radio's option values)."""
    radio = _radio(at, keys.US_LIST)
    return [] if radio is None else _values(radio)


def card_titles(at: AppTest) -> list[str]:
    """The cards' title lines as markdown (bold, escaped), without their tags."""
    radio = _radio(at, keys.US_LIST)
    return [] if radio is None else [untagged(o) for o in radio.options]


def card_captions(at: AppTest) -> list[str]:
    radio = _radio(at, keys.US_LIST)
    return [] if radio is None else list(radio.proto.captions)


def selected_card(at: AppTest) -> str | None:
    radio = _radio(at, keys.US_LIST)
    return None if radio is None else radio.value


def row_ids(at: AppTest) -> list[str]:
    radio = _radio(at, keys.US_TL_ITEMS)
    return [] if radio is None else _values(radio)


def row_labels(at: AppTest) -> list[str]:
    radio = _radio(at, keys.US_TL_ITEMS)
    return [] if radio is None else [untagged(o) for o in radio.options]


def selected_row(at: AppTest) -> str | None:
    radio = _radio(at, keys.US_TL_ITEMS)
    return None if radio is None else radio.value


def choose_session(at: AppTest, session_id: str) -> AppTest:
    """Choose a card: only the timeline and the details run again (the frame and the list
    do not; the browser keeps them), and they show what a full run then shows."""
    at.radio(key=keys.US_LIST).set_value(session_id).run()
    return _then_full_run(at, not_rerun=(keys.US_LIST,))


def choose_item(at: AppTest, item_id: str) -> AppTest:
    """Choose a timeline row: only the details run again (with a find text, or a line saying
    the selected item is out of view, the timeline too: its "3 of 7 matches" follows the
    selection, the line goes), and they show what a full run shows."""
    finding = at.query_params.get(keys.P_FIND) or _AWAY.search(texts(at))
    at.radio(key=keys.US_TL_ITEMS).set_value(item_id).run()
    kept = (keys.US_LIST,) if finding else (keys.US_LIST, keys.US_TL_ITEMS)
    return _then_full_run(at, not_rerun=kept)


def _then_full_run(at: AppTest, *, not_rerun: tuple[str, ...]) -> AppTest:
    """After a click's run, whose tree holds only what ran again: the lists `not_rerun` were
    not drawn, every text drawn is one a full run draws too; then that full run (the whole
    page, as the browser shows it after the click)."""
    assert not at.exception, at.exception
    again = [key for key in not_rerun if _radio(at, key) is not None]
    assert not again, f"the click's run drew {again} again"
    drawn = texts(at).splitlines()
    at.run()
    full = set(texts(at).splitlines())
    extra = [t for t in drawn if t not in full]
    assert extra == [], f"the click's run drew what a full run does not: {extra}"
    return at


def _values(radio) -> list[str]:  # type: ignore[no-untyped-def]
    """Option values in order: a list's format function is the bound __getitem__ of its
    {id: label} dict (components/panes.choice_list), whose keys are the ids."""
    return list(radio.format_func.__self__)
