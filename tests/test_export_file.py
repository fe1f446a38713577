"""components.export_file: an export's temporary file, its reads, and when it goes away."""

from __future__ import annotations

import gc
import threading

import pytest

from components.export_file import ExportFile


def _file(data: bytes = b"x" * 1000) -> ExportFile:
    return ExportFile("s.json", "application/json").write(lambda out: out.write(data))


def test_what_was_written_is_read_whole_on_every_download() -> None:
    file = _file(b'[{"id": "ses_1"}]')
    assert file.size == 17
    assert file.read() == file.read() == b'[{"id": "ses_1"}]'


def test_a_write_that_fails_part_way_leaves_no_file() -> None:
    file = ExportFile("s.json", "application/json")

    def half(out) -> None:  # type: ignore[no-untyped-def]
        out.write(b"[{")
        raise RuntimeError("connection lost")

    with pytest.raises(RuntimeError):
        file.write(half)
    assert file.closed
    with pytest.raises(ValueError):
        file.read()  # nothing half-written is ever handed out


def test_the_file_goes_when_its_holder_does() -> None:
    """The browser session ends: its session state, and the ExportFile in it, are collected."""
    file = _file()
    raw = file._file  # kept alive here only to look at it afterwards
    del file
    gc.collect()
    assert raw.closed


def test_downloads_at_once_each_get_the_whole_file() -> None:
    data = bytes(range(256)) * 4096
    file = _file(data)
    got: list[bytes] = []
    threads = [threading.Thread(target=lambda: got.append(file.read())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert got == [data] * 8
