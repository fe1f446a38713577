from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from components import format as fmt
from sessionscope import human

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    ["<script>alert(1)</script>", "**bold** _x_ [a](javascript:1)", ":red[x] $x$", "a|b`c`"],
)
def test_md_escapes_every_markdown_and_html_character(text: str) -> None:
    escaped = fmt.md(text)
    for ch in "<>*_[]()`|:$":
        assert all(escaped[i - 1] == "\\" for i, c in enumerate(escaped) if c == ch)


def test_md_keeps_unicode_and_drops_control_characters() -> None:
    assert fmt.md("مرحبا 🎉\x00\x1b") == "مرحبا 🎉  "
    assert fmt.md("x" * 10, limit=5) == "xxxx…"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (-3, "—"),
        (0.25, "250 ms"),
        (4.2, "4.2 s"),
        (42, "42 s"),
        (185, "3 min 5 s"),
        (7500, "2 h 5 min"),
        (200_000, "2 d 7 h"),
    ],
)
def test_duration(seconds: float | None, text: str) -> None:
    assert human.duration(seconds) == text


@pytest.mark.parametrize(
    ("ago", "text"),
    [
        (timedelta(seconds=5), "just now"),
        (timedelta(minutes=5), "5 min ago"),
        (timedelta(hours=3), "3 h ago"),
        (timedelta(days=2), "2 d ago"),
        (timedelta(days=40), "2026-09-22"),
        (-timedelta(minutes=1), "in the future"),
    ],
)
def test_relative(ago: timedelta, text: str) -> None:
    assert human.relative(NOW - ago, now=NOW) == text


def test_offset_and_status_badge_carry_words_not_only_colour() -> None:
    assert human.offset(NOW + timedelta(seconds=72.5), NOW) == "+1:12.5"
    assert human.offset(NOW + timedelta(hours=1, seconds=3), NOW) == "+1:00:03"
    assert "failed" in fmt.status_badge("failed") and ":red-badge" in fmt.status_badge("failed")


@pytest.mark.parametrize(
    ("fn", "value", "text"),
    [
        (human.number, 1234, "1,234"),
        (human.number, 2.5, "2.5"),
        (human.signed_number, 17_998.8, "+17,999"),  # a difference from an average
        (human.signed_number, -6, "-6"),
        (human.percent, 0.1432, "14.3%"),
        (human.signed_pp, 0.025, "+2.5 pp"),
        (human.signed_duration, -0.12, "-120 ms"),
        (human.signed_duration, 90, "+1 min 30 s"),
        (human.signed_millis, 409, "+409 ms"),
        (human.millis, 1234, "1.2 s"),
        (human.size, 200, "200 B"),
        (human.size, 12_345, "12.1 KiB"),
        (human.size, 1_258_291, "1.2 MiB"),
        (human.size, 8 * 2**20, "8 MiB"),
    ],
)
def test_metric_numbers_carry_their_unit(fn, value: float, text: str) -> None:
    assert fn(value) == text


def test_a_stage_left_running_in_a_paused_session_reads_paused() -> None:
    """The audit saw a paused workflow's current stage called "running" in the timeline, its
    details and the stage chart."""
    from types import SimpleNamespace

    from components import timeline_view

    assert fmt.stage_status("running", "paused") == "paused"
    assert fmt.stage_status("running", "active") == "running"
    assert fmt.stage_status("failed", "paused") == "failed"
    row = SimpleNamespace(kind="stage", label="contacts", status="running", at=NOW)
    paused = SimpleNamespace(started_at=NOW - timedelta(minutes=5), status="paused")
    assert ":orange-badge[paused]" in timeline_view.row_label(row, paused)
    active = SimpleNamespace(started_at=NOW - timedelta(minutes=5), status="active")
    assert ":blue-badge[running]" in timeline_view.row_label(row, active)
