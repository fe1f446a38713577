"""Selection in the URL: read a param safely, write selections, drop what is bad."""

from __future__ import annotations

import re

import streamlit as st

from components import keys

MAX_PARAM = 255
_ID = re.compile(r"^[a-z]{2,4}_[A-Za-z0-9_-]{1,60}$")
ITEM_PREFIXES = ("tc_", "sr_")


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


def drop(*names: str) -> None:
    for name in names:
        if name in st.query_params:
            del st.query_params[name]


def select_session(session_id: str) -> None:
    """A new session clears the item (DESIGN.md URL contract)."""
    st.query_params[keys.P_SESSION] = session_id
    drop(keys.P_ITEM)


def select_item(item_id: str) -> None:
    st.query_params[keys.P_ITEM] = item_id
