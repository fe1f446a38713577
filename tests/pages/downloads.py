"""Click a deferred download in AppTest: run the callable a browser's click would run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest


class Downloads:
    """Records every callable given to st.download_button(data=...) while the test runs.

    AppTest's runtime is a mock rebuilt on every run, so the file id on the button is the
    only handle left; the callable itself is kept here by that id.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._by_id: dict[str, Callable[[], Any]] = {}
        real = MediaFileManager.add_deferred

        def record(mgr: MediaFileManager, data: Callable[[], Any], *args: Any, **kw: Any) -> str:
            file_id = real(mgr, data, *args, **kw)
            self._by_id[file_id] = data
            return file_id

        monkeypatch.setattr(MediaFileManager, "add_deferred", record)

    def click(self, at: AppTest, key: str) -> bytes:
        """What the browser would receive for the download button `key`."""
        file_id = at.download_button(key=key).proto.deferred_file_id
        assert file_id, f"{key} is not a deferred download (its bytes were sent at render)"
        data = self._by_id[file_id]()
        return data.encode("utf-8") if isinstance(data, str) else data
