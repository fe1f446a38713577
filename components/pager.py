"""Keyset cursors in a list, and the buttons that grow or walk it.

Two kinds of list keep the cursor of each page they reached ([None]: the first page only):
- "Load more" lists show every page loaded so far, and the button adds the next one (Users,
  the sidebar's latest sessions): `load` and `more_button`.
- Pagers show the last page only, Back pops a cursor and Forward pushes the next one (the
  Admin sessions table and audit log): `stack`, `first_row` and `keyset_pager`.
The explorer's session list is neither: a window placed around a selection (recent.Anchored).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from components import recent
from queries.page import Page


@dataclass(frozen=True)
class Loaded:
    """The pages of a "Load more" list loaded so far, and their cursors (the list in session
    state: the button appends to it)."""

    cursors: list[tuple | None]
    pages: list[Page]


def load(name: str, key: Hashable, fetch: Callable[[tuple | None], Page]) -> Loaded:
    """Every page loaded so far of the list `key` (a search, filters); the cursors are kept per
    key in the family `name`, the least recently used forgotten (recent.kept)."""
    cursors: list[tuple | None] = recent.kept(name, key, lambda: [None])
    return Loaded(cursors, [fetch(cursor) for cursor in cursors])


def more_button(loaded: Loaded, label: str, *, key: str, **button: Any) -> None:
    """The button that loads the next page; none after the last page."""
    next_cursor = loaded.pages[-1].next_cursor
    if next_cursor is not None:
        st.button(label, key=key, on_click=loaded.cursors.append, args=(next_cursor,), **button)


def stack(name: str, key: Hashable) -> list[tuple | None]:
    """The cursor of every page a pager walked through for `key` (filters, sort); another key
    starts again at the first page (one list is kept: new filters, new list)."""
    kept = st.session_state.get(name)
    if kept is None or kept[0] != key:
        kept = (key, [None])
        st.session_state[name] = kept
    return kept[1]


def first_row(cursors: list[Any], page_size: int) -> int:
    """The 0-based position of the current page's first row (cursors[0] is the first page)."""
    return (len(cursors) - 1) * page_size


def keyset_pager(
    cursors: list[Any],
    next_cursor: Any,
    *,
    keys: tuple[str, str],
    labels: tuple[str, str],
    caption: str | None,
) -> None:
    """Back pops the last cursor, forward pushes `next_cursor`; the caption says where we are."""
    with st.container(horizontal=True, vertical_alignment="center"):
        st.button(
            labels[0],
            key=keys[0],
            on_click=cursors.pop,
            disabled=len(cursors) == 1,
            icon=":material/chevron_left:",
        )
        st.button(
            labels[1],
            key=keys[1],
            on_click=cursors.append,
            args=(next_cursor,),
            disabled=next_cursor is None,
            icon=":material/chevron_right:",
        )
        if caption:
            st.caption(caption)
