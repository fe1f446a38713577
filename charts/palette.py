"""The one home of status colours: each status, priority and call outcome's hex for a chart
and Streamlit colour name for its badge, in one table (COLORS).

A chart and a badge agree because both read COLORS. The hexes are mid-tones with at least 3:1
contrast against both Streamlit's light (#FFFFFF) and dark (#0E1117) backgrounds. Colour never
works alone: failures also carry a pattern or symbol, and legends and hover text name the status.
"""

from __future__ import annotations

from typing import NamedTuple


class Hue(NamedTuple):
    name: str  # Streamlit's colour name, for a markdown badge: :blue-badge[...]
    hex: str  # the same hue for plotly


BLUE = Hue("blue", "#1C83E1")
ORANGE = Hue("orange", "#D97706")
GREEN = Hue("green", "#16A34A")
RED = Hue("red", "#E5484D")
GRAY = Hue("gray", "#8A8F9C")
VIOLET = Hue("violet", "#8B5CF6")

# Session and stage statuses, ticket priorities, call outcomes.
COLORS: dict[str, Hue] = {
    "active": BLUE,
    "paused": ORANGE,
    "completed": GREEN,
    "failed": RED,
    "pending": GRAY,
    "running": BLUE,
    "skipped": VIOLET,
    "low": GRAY,
    "medium": BLUE,
    "high": ORANGE,
    "critical": RED,
    "ok": GREEN,
    "error": RED,
}

# The hexes, as plotly's color_discrete_map takes them.
STATUS_COLORS: dict[str, str] = {name: hue.hex for name, hue in COLORS.items()}
ERROR: str = STATUS_COLORS["error"]
OK: str = STATUS_COLORS["ok"]
UNKNOWN: str = GRAY.hex
# Series that are not a status (counts, latencies, funnel steps): a hue no status uses.
ACCENT: str = "#0891B2"

# Failures are patterned bars and cross markers, so they read without colour too.
FAILURE_PATTERN = "x"
FAILURE_SYMBOL = "x"
STATUS_PATTERNS: dict[str, str] = {
    name: (FAILURE_PATTERN if name in ("failed", "error") else "") for name in STATUS_COLORS
}


def color(name: str) -> str:
    """The hex of a status, priority or outcome; gray for a name the palette does not know."""
    return STATUS_COLORS.get(name, UNKNOWN)


def badge_color(name: str) -> str:
    """The Streamlit colour name of a status or priority badge; gray for a name it does not know."""
    return COLORS.get(name, GRAY).name
