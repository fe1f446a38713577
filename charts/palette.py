"""The one colour palette of every chart: a hex per status, priority and call outcome.

Each status maps to the same hue as its badge (components.format names the badge colours),
so a chart and a badge agree. The hexes are mid-tones with at least 3:1 contrast against
both Streamlit's light (#FFFFFF) and dark (#0E1117) backgrounds. Colour never works alone:
failures also carry a pattern or symbol, and legends and hover text name the status.
"""

from __future__ import annotations

HUES: dict[str, str] = {
    "blue": "#1C83E1",
    "orange": "#D97706",
    "green": "#16A34A",
    "red": "#E5484D",
    "gray": "#8A8F9C",
    "violet": "#8B5CF6",
}

# The badge hue of each name: session and stage statuses, ticket priorities, call outcomes.
HUE_OF: dict[str, str] = {
    "active": "blue",
    "paused": "orange",
    "completed": "green",
    "failed": "red",
    "pending": "gray",
    "running": "blue",
    "skipped": "violet",
    "low": "gray",
    "medium": "blue",
    "high": "orange",
    "critical": "red",
    "ok": "green",
    "error": "red",
}

STATUS_COLORS: dict[str, str] = {name: HUES[hue] for name, hue in HUE_OF.items()}
ERROR: str = STATUS_COLORS["error"]
OK: str = STATUS_COLORS["ok"]
UNKNOWN: str = HUES["gray"]
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
