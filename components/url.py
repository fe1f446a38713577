"""Selection in the URL: read a param safely, write selections, drop what is bad."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

import streamlit as st

from components import format as fmt
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
    """A search box changed: its stripped text becomes param `name` (gone when blank); a
    card's or row's title pasted in loses the invisible tag it was copied with."""
    text = fmt.untagged(str(st.session_state.get(widget_key) or "")).strip()
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


# --- checking params: one home for every page's checks and its one message ---------------------
# A check returns what a param validly says and appends why the rest is not valid to
# `problems`; the page shows them once with `warn_removed` (the Admin filter bar and audit
# log, the User sessions page's view state).


def quoted(value: str) -> str:
    return f"“{fmt.md(value, limit=40)}”"


def last(values: Sequence[str]) -> str | None:
    """The last non-blank of a param's values, stripped (a link may repeat a param)."""
    kept = [v.strip() for v in values if v and v.strip()]
    return kept[-1] if kept else None


def check_text(name: str, value: str | None, problems: list[str]) -> str | None:
    """`value` when it can be searched for; else None, and why in `problems`."""
    if value is None:
        return None
    if not is_search_text(value):
        problems.append(f"`{name}` is not a search text (at most {MAX_SEARCH} characters)")
        return None
    return value


def check_choices(
    name: str, raw: Sequence[str], allowed: Collection[str], problems: list[str]
) -> tuple[str, ...]:
    """The allowed values of a param (comma-separated and/or repeated), in order, once each;
    the others are named in `problems`."""
    values = [v.strip() for item in raw for v in item.split(",") if v.strip()]
    bad = [v for v in values if v not in allowed]
    if bad:
        what = ", ".join(quoted(v) for v in bad[:3]) + (" …" if len(bad) > 3 else "")
        problems.append(f"unknown `{name}` {what}")
    return tuple(dict.fromkeys(v for v in values if v in allowed))


def warn_removed(problems: Sequence[str], what: str = "filters") -> None:
    """One short message naming what a link had wrong (nothing when nothing was)."""
    if problems:
        st.warning(
            f"Some {what} in this link were not valid and were removed: "
            + "; ".join(problems)
            + ".",
            icon=":material/link_off:",
        )


# The User sessions page's view params: read, checked, and rewritten without what is wrong.


def choices(name: str, allowed: Sequence[str], problems: list[str]) -> tuple[str, ...]:
    """A comma-separated param's allowed values, in `allowed` order; the URL keeps only those."""
    found = len(problems)
    kept = check_choices(name, st.query_params.get_all(name), allowed, problems)
    if len(problems) > found:
        change(**{name: ",".join(kept) or None})
    return tuple(v for v in allowed if v in kept)


def flag(name: str, problems: list[str]) -> bool:
    """A param that is "1" when on; absent when off; any other value leaves the URL."""
    raw = param(name)
    if raw not in (None, "1"):
        problems.append(f"`{name}` is 1 or absent, not {quoted(raw)}")
        drop(name)
    return raw == "1"


def text(name: str, problems: list[str]) -> str | None:
    """A search text param (printable, at most MAX_SEARCH characters)."""
    raw = param(name)
    value = check_text(name, raw, problems)
    if raw is not None and value is None:
        drop(name)
    return value


def write_choices(name: str, widget_key: str) -> None:
    """A multi-choice widget changed: its values become the param (gone when none)."""
    change(**{name: ",".join(st.session_state.get(widget_key) or ()) or None})


def write_flag(name: str, widget_key: str) -> None:
    change(**{name: "1" if st.session_state.get(widget_key) else None})


def write_value(name: str, widget_key: str) -> None:
    """A single-choice widget changed: its value becomes the param (gone when None)."""
    value = st.session_state.get(widget_key)
    change(**{name: None if value is None else str(value)})
