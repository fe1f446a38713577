from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from components import format as fmt

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
    assert fmt.duration(seconds) == text


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
    assert fmt.relative(NOW - ago, now=NOW) == text


def test_offset_and_status_badge_carry_words_not_only_colour() -> None:
    assert fmt.offset(NOW + timedelta(seconds=72.5), NOW) == "+1:12.5"
    assert fmt.offset(NOW + timedelta(hours=1, seconds=3), NOW) == "+1:00:03"
    assert "failed" in fmt.status_badge("failed") and ":red-badge" in fmt.status_badge("failed")


@pytest.mark.parametrize(
    ("fn", "value", "text"),
    [
        (fmt.number, 1234, "1,234"),
        (fmt.number, 2.5, "2.5"),
        (fmt.signed_number, -6, "-6"),
        (fmt.percent, 0.1432, "14.3%"),
        (fmt.signed_pp, 0.025, "+2.5 pp"),
        (fmt.signed_duration, -0.12, "-120 ms"),
        (fmt.signed_duration, 90, "+1 min 30 s"),
        (fmt.signed_millis, 409, "+409 ms"),
        (fmt.millis, 1234, "1.2 s"),
    ],
)
def test_metric_numbers_carry_their_unit(fn, value: float, text: str) -> None:
    assert fn(value) == text
