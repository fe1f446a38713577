"""Back / forward buttons over keyset pages, for tables that keep their cursors in a list."""

from __future__ import annotations

from typing import Any

import streamlit as st


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
