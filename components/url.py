"""Selection in the URL: read a param safely, write selections, drop what is bad."""

from __future__ import annotations

import re
from collections.abc import Sequence

import streamlit as st

from components import keys

MAX_PARAM = 255
MAX_SEARCH = 200  # characters of a search text, as the search boxes' max_chars
_ID = re.compile(r"^[a-z]{2,4}_[A-Za-z0-9_-]{1,60}$")
ITEM_PREFIXES = ("tc_", "sr_", "stg_")  # a tool call, a ticket, a workflow stage


def param(name: str) -> str | None:
    """The param's value, stripped; None when absent or blank."""
    value = st.query_params.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def is_id(value: str, prefixes: tuple[str, ...]) -> bool:
    """Does `value` look like one of our ids with one of these prefixes?"""
    return bool(_ID.match(value)) and value.startswith(prefixes)


def is_user_ref(value: str) -> bool:
    """A user ref is an id or a distinct_id: any printable text of sane length."""
    return len(value) <= MAX_PARAM and value.isprintable()


def is_search_text(value: str) -> bool:
    """Can `value` be searched for: printable (no NUL or other control character), not too long?"""
    return len(value) <= MAX_SEARCH and value.isprintable()


def write_search(name: str, widget_key: str) -> None:
    """A search box changed: its stripped text becomes param `name` (gone when blank)."""
    text = str(st.session_state.get(widget_key) or "").strip()
    change(**{name: text or None})


def change(**params: str | None) -> None:
    """Set (or, with None, remove) several params in ONE URL update.

    Each separate assignment pushes its own browser history entry, and Back would
    then stop on half-made states; one update keeps Back/Forward one step per selection.
    The other params stay as they are, a repeated one (`status=a&status=b`) with all its
    values: to_dict() would keep only the last.
    """
    current = {name: st.query_params.get_all(name) for name in st.query_params}
    wanted = {**current, **{k: [v] for k, v in params.items() if v is not None}}
    for name in (k for k, v in params.items() if v is None):
        wanted.pop(name, None)
    if wanted != current:
        st.query_params.from_dict(wanted)


def drop(*names: str) -> None:
    change(**dict.fromkeys(names))


def select_session(session_id: str) -> None:
    """A new session clears the item (DESIGN.md URL contract)."""
    change(**{keys.P_SESSION: session_id, keys.P_ITEM: None})


def select_item(item_id: str) -> None:
    change(**{keys.P_ITEM: item_id})


# --- view state beside the selection: filters a colleague expects a link to keep -------------
# Each reader returns what the param validly says and drops the param when it says anything
# else; `dropped` names the params dropped in this run, so a pane can say so once.


def choices(name: str, allowed: Sequence[str], dropped: list[str]) -> tuple[str, ...]:
    """A comma-separated param's values, in `allowed` order; any unknown value drops it."""
    raw = param(name)
    if raw is None:
        return ()
    values = set(raw.split(","))
    if len(raw) > MAX_PARAM or not values <= set(allowed):
        drop(name)
        dropped.append(name)
        return ()
    return tuple(v for v in allowed if v in values)


def flag(name: str, dropped: list[str]) -> bool:
    """A param that is "1" when on; absent when off; any other value drops it."""
    raw = param(name)
    if raw not in (None, "1"):
        drop(name)
        dropped.append(name)
    return raw == "1"


def text(name: str, dropped: list[str]) -> str | None:
    """A search text param (printable, at most MAX_SEARCH characters)."""
    raw = param(name)
    if raw is not None and not is_search_text(raw):
        drop(name)
        dropped.append(name)
        return None
    return raw


def dropped_note(dropped: list[str]) -> None:
    """One short message for the view params a link carried that were not valid."""
    if dropped:
        names = ", ".join(f"`{n}`" for n in dropped)
        st.warning(f"Not valid here, so left out: {names}.", icon=":material/link_off:")


def write_choices(name: str, widget_key: str) -> None:
    """A multi-choice widget changed: its values become the param (gone when none)."""
    change(**{name: ",".join(st.session_state.get(widget_key) or ()) or None})


def write_flag(name: str, widget_key: str) -> None:
    change(**{name: "1" if st.session_state.get(widget_key) else None})


def write_value(name: str, widget_key: str) -> None:
    """A single-choice widget changed: its value becomes the param (gone when None)."""
    value = st.session_state.get(widget_key)
    change(**{name: None if value is None else str(value)})
