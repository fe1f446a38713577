"""AppTest as a served session runs the app: one page registry across runs."""

from __future__ import annotations

from typing import Any
from unittest import mock

from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module


class ServedAppTest(AppTest):
    """AppTest whose runs share one PagesManager, as a served session's runs do.

    A fragment rerun by its key (`st.rerun(key)` in a callback: a session or an item chosen
    on User sessions) runs without the frame, so without st.navigation; its page links
    resolve against the pages the last full run registered. AppTest (1.67) makes a new
    PagesManager for every run, which knows none of them.
    """

    _pages: PagesManager | None = None

    def _run(self, widget_state: Any = None, timeout: float | None = None) -> AppTest:
        def kept(*args: Any, **kwargs: Any) -> PagesManager:
            if self._pages is None:
                self._pages = PagesManager(*args, **kwargs)
            return self._pages

        PagesManager.uses_pages_directory = None  # what AppTest resets before each run
        with mock.patch.object(app_test_module, "PagesManager", kept):
            return super()._run(widget_state, timeout)
