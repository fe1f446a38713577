"""Numbers, durations, byte sizes and times as people read them. No streamlit, no markdown."""

from __future__ import annotations

from datetime import UTC, datetime

from sessionscope import clock


def duration(seconds: float | None) -> str:
    """'850 ms', '42 s', '3 min 5 s', '2 h 4 min'; an em dash when unknown."""
    if seconds is None or seconds != seconds or seconds < 0:  # unknown, NaN, clock skew
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} d {hours % 24} h"


def millis(ms: float | None) -> str:
    return "—" if ms is None or ms != ms else duration(ms / 1000)


def absolute(ts: datetime | None) -> str:
    return "—" if ts is None else ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def relative(ts: datetime | None, *, now: datetime | None = None) -> str:
    """'just now', '5 min ago', '3 h ago', '2 d ago', or the date for older times."""
    if ts is None:
        return "—"
    delta = ((now or clock.now()) - ts).total_seconds()
    if delta < 0:
        return "in the future"
    if delta < 60:
        return "just now"
    if delta < 3600:
        return f"{int(delta // 60)} min ago"
    if delta < 86400:
        return f"{int(delta // 3600)} h ago"
    if delta < 30 * 86400:
        return f"{int(delta // 86400)} d ago"
    return ts.astimezone(UTC).strftime("%Y-%m-%d")


def offset(ts: datetime | None, start: datetime | None) -> str:
    """Time since the session started: '+0:12.3', '+1:02:03'."""
    if ts is None or start is None:
        return ""
    total = max((ts - start).total_seconds(), 0.0)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"+{int(hours)}:{int(minutes):02d}:{int(seconds):02d}"
    return f"+{int(minutes)}:{seconds:04.1f}"


def size(n: int) -> str:
    """Bytes in binary units, as the limits are set: '200 B', '12.3 KiB', '8 MiB', '1.5 GiB'."""
    value, unit = float(n), "B"
    for bigger in ("KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024:
            break
        value, unit = value / 1024, bigger
    # A whole number reads without its ".0": the 8 MiB line limit, the 256 MiB export limit.
    return f"{value:,.1f}".removesuffix(".0") + f" {unit}"


def error_reason(exc: BaseException) -> str:
    """The first line of an error (the driver's own, when it wraps one), at most 200 characters.

    Plain text: a caller showing it as markdown escapes it (components.format.md)."""
    orig = getattr(exc, "orig", None)
    line = (str(orig if orig is not None else exc).splitlines() or [""])[0]
    return line if len(line) <= 200 else line[:199] + "…"


def count(n: int | None, word: str) -> str:
    n = int(n or 0)
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# --- numbers on metric cards and in their deltas ------------------------------------------------


def number(v: float) -> str:
    """A count as people read it: '1,234'; one decimal when it is small and not whole ('2.5',
    an average), none from 100 on ('+17,999', not '+17,998.8 tool calls')."""
    return f"{v:,.0f}" if abs(v) >= 100 or abs(v - round(v)) < 0.05 else f"{v:,.1f}"


def signed_number(d: float) -> str:
    return ("+" if d >= 0 else "-") + number(abs(d))


def percent(r: float) -> str:
    """A rate as a percent with one decimal: '14.3%' (the charts' share() writes it the same)."""
    return f"{r:.1%}"


def signed_pp(d: float) -> str:
    """A difference of two rates in percentage points: '+2.5 pp'."""
    return f"{d * 100:+.1f} pp"


def signed_duration(d: float) -> str:
    """A difference of two durations in seconds: '+1 min 30 s', '-120 ms'."""
    return ("+" if d >= 0 else "-") + duration(abs(d))


def signed_millis(d: float) -> str:
    return ("+" if d >= 0 else "-") + millis(abs(d))
