"""A prepared export in an anonymous temporary file: written once, read by each download."""

from __future__ import annotations

import tempfile
import threading
import weakref
from collections.abc import Callable
from typing import Any, BinaryIO

import streamlit as st


class ExportFile:
    """One export's bytes on disk, not in session state.

    The file has no name (tempfile.TemporaryFile): nothing else can open it, and its space is
    freed when it is closed: on the next export, on Dismiss, when the object is collected
    (the browser session ended and its session state went), or when the process ends.
    """

    def __init__(self, name: str, mime: str) -> None:
        self.name, self.mime, self.size = name, mime, 0
        # Owned by this object, not a with-block: it outlives the run that wrote it.
        self._file = tempfile.TemporaryFile(prefix="sessionscope-export-")  # noqa: SIM115
        self._lock = threading.Lock()  # two downloads at once must not share a file offset
        self._close = weakref.finalize(self, self._file.close)

    def write(self, fill: Callable[[BinaryIO], Any]) -> ExportFile:
        """fill(out) writes the export; closed (and so gone) if it raises part-way."""
        try:
            fill(self._file)  # type: ignore[arg-type]
            self.size = self._file.tell()
        except BaseException:
            self.close()
            raise
        return self

    def read(self) -> bytes:
        """The whole file. st.download_button calls this only when the viewer clicks."""
        with self._lock:
            self._file.seek(0)
            return self._file.read()

    def close(self) -> None:
        self._close()

    @property
    def closed(self) -> bool:
        return not self._close.alive


def download_button(label: str, file: ExportFile, *, key: str) -> None:
    """A download of `file`, read from disk when clicked.

    Streamlit 1.67 reads bytes or a file object into memory at every render and keeps that
    copy while the page shows the button; a callable runs only on the click, in a worker
    thread, and its bytes are dropped once no session refers to them.
    """
    st.download_button(
        label,
        data=file.read,
        file_name=file.name,
        mime=file.mime,
        key=key,
        on_click="ignore",
        icon=":material/download:",
    )
