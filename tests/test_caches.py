"""Every cache at the boundary between pages and queries is bounded in entries, not only time."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from streamlit.runtime.caching.cache_utils import CachedFunc

import components


def _caches() -> dict[str, CachedFunc]:
    found = {}
    for info in pkgutil.walk_packages(components.__path__, "components."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, CachedFunc) and value._info.func.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = value
    return found


CACHES = _caches()


def test_the_caches_are_found() -> None:
    assert {"components.data.memberships", "components.admin.data.servers"} <= set(CACHES)


@pytest.mark.parametrize("name", sorted(CACHES))
def test_every_cache_keyed_by_arguments_has_max_entries(name: str) -> None:
    """A key per search, session or organization would otherwise grow until the TTL."""
    info = CACHES[name]._info
    if not inspect.signature(info.func).parameters:
        return  # one entry at most (the engine)
    assert info.max_entries, f"{name} has no max_entries"
