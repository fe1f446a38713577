"""Per-search cursors in session state: a viewer's many searches keep only the last few."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from components import keys, recent


def _size(at: AppTest) -> int:
    """Entries in the viewer's session state, counting those inside containers once."""
    values = at.session_state.values()
    return sum(1 + (len(v) if isinstance(v, dict | list) else 0) for v in values)


def test_many_searches_keep_the_session_state_the_same_size(app) -> None:
    at = app(keys.PAGE_USERS)
    sizes = []
    for i in range(recent.MAX_KEPT + 15):
        at.query_params["q"] = f"search {i}"
        at.run()
        assert not at.exception
        sizes.append(_size(at))
    # Once MAX_KEPT searches are remembered, another one forgets the oldest.
    assert sizes[-1] == sizes[recent.MAX_KEPT]
    cursors = at.session_state[keys.USERS_CURSORS]
    assert len(cursors) == recent.MAX_KEPT
    assert list(cursors)[-1] == f"search {recent.MAX_KEPT + 14}"


def _lru_script() -> None:
    import streamlit as st

    from components import recent

    for key in st.session_state.get("visit", []):
        recent.kept("family", key, lambda: [None]).append(key)


def test_the_least_recently_used_is_forgotten_first() -> None:
    at = AppTest.from_function(_lru_script)
    visits: list[Any] = [*range(recent.MAX_KEPT), 0, "new"]  # 0 used again, then one more
    at.session_state["visit"] = visits
    at.run()
    family = at.session_state["family"]
    assert len(family) == recent.MAX_KEPT
    assert 1 not in family and 0 in family and list(family)[-2:] == [0, "new"]
    assert family[0] == [None, 0, 0]  # kept between uses: the pages loaded so far
