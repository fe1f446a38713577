"""What an action just did, shown above what it changed until dismissed: a success or error
line and its Dismiss button (Admin bulk actions and token revokes, Resume)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st


def dismiss_button(key: str, on_click: Callable[..., object], args: tuple = ()) -> None:
    """The quiet button that forgets the outcome (`on_click(*args)`)."""
    st.button(
        "Dismiss", key=key, on_click=on_click, args=args, type="tertiary", icon=":material/close:"
    )


def outcome_line(
    ok: bool,
    message: str,
    *,
    dismiss: str,
    on_dismiss: Callable[..., object],
    args: tuple = (),
    extra: Callable[[], None] | None = None,
) -> None:
    """The message (green when it worked, red when not), `extra()` beside it (a download),
    then Dismiss (key `dismiss`), on one line."""
    with st.container(horizontal=True, vertical_alignment="center"):
        if ok:
            st.success(message, icon=":material/check_circle:")
        else:
            st.error(message, icon=":material/error:")
        if extra is not None:
            extra()
        dismiss_button(dismiss, on_dismiss, args)
