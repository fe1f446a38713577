"""Per-search values in session state (keyset cursors), the most recently used few only."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

import streamlit as st

# Searches (or sessions and filters) remembered per list. Each once kept a session-state entry
# of its own, never dropped: a viewer paging through many searches grew their session without
# bound (issue 15). Going back to one of the last few still finds the pages loaded.
MAX_KEPT = 20

T = TypeVar("T")


def _family(name: str) -> OrderedDict[Hashable, Any]:
    return st.session_state.setdefault(name, OrderedDict())


def kept(name: str, key: Hashable, new: Callable[[], T]) -> T:
    """The value kept under `key` in the family `name` (new() the first time), now the most
    recently used; the least recently used past MAX_KEPT are forgotten."""
    family = _family(name)
    value = family.pop(key) if key in family else new()
    keep(name, key, value)
    return value


def keep(name: str, key: Hashable, value: Any) -> None:
    """Keep `value` under `key` in the family `name` as the most recently used."""
    family = _family(name)
    family.pop(key, None)
    family[key] = value
    while len(family) > MAX_KEPT:
        family.popitem(last=False)


@dataclass(frozen=True)
class Anchored:
    """A list window's start (a keyset cursor; None: the top) and the selection it was last
    placed around, so that paging away from the selection is not undone on the next run."""

    cursor: tuple | None = None
    around: str | None = None
