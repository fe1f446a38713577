"""What every figure shares: title, transparent background, margins, the "No data" figure.

No font colours are set anywhere, so Streamlit's light or dark theme styles the text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.basedatatypes import BaseTraceType

from sessionscope import human

TRANSPARENT = "rgba(0,0,0,0)"
MARGIN = {"l": 8, "r": 8, "t": 56, "b": 8}
NO_DATA = "No data"
TIME_UTC = "Time (UTC)"


def house_layout(
    title: str,
    *,
    x_title: str | None = None,
    y_title: str | None = None,
    legend_title: str | None = None,
    xaxis: dict[str, Any] | None = None,
    yaxis: dict[str, Any] | None = None,
    **more: Any,
) -> dict[str, Any]:
    """The layout every figure shares: title, axis titles, transparent background, margins,
    plus the figure's own `xaxis`, `yaxis` and other layout settings."""
    return {
        "title": {"text": title, "x": 0, "xanchor": "left"},
        "paper_bgcolor": TRANSPARENT,
        "plot_bgcolor": TRANSPARENT,
        "margin": MARGIN,
        "legend": {"title": {"text": legend_title}},
        "xaxis": {**(xaxis or {}), "title": {"text": x_title}},
        "yaxis": {**(yaxis or {}), "title": {"text": y_title}},
        **more,
    }


def figure(traces: Sequence[BaseTraceType], title: str, **layout: Any) -> go.Figure:
    """A figure of `traces` in the house layout (house_layout's arguments), built in one step.

    The Admin analytics build their figures this way rather than with plotly express: a
    figure built so costs ~10 ms against 60-100 ms through px, whose updates each walk and
    validate the whole figure (the analytics' cold budget is one second for six figures).
    """
    return go.Figure(data=list(traces), layout=house_layout(title, **layout))


def styled(
    fig: go.Figure,
    title: str,
    *,
    x_title: str | None = None,
    y_title: str | None = None,
    legend_title: str | None = None,
) -> go.Figure:
    """The figure (from plotly express) with the house layout, in one update."""
    fig.update_layout(
        house_layout(title, x_title=x_title, y_title=y_title, legend_title=legend_title)
    )
    return fig


def no_data(title: str, message: str = NO_DATA) -> go.Figure:
    """An empty figure that says why it is empty instead of drawing blank axes."""
    fig = go.Figure()
    fig.add_annotation(
        text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font_size=16
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return styled(fig, title)


def is_empty(df: pd.DataFrame | None, columns: Iterable[str]) -> bool:
    """True when there is nothing to draw: no frame, no rows, or a needed column missing."""
    return df is None or df.empty or not set(columns) <= set(df.columns)


def escaped(values: pd.Series) -> pd.Series:
    """User text safe for plotly labels and hover, which read a subset of HTML tags."""
    text = values.astype("string").fillna("—")
    return text.str.replace("&", "&amp;").str.replace("<", "&lt;").str.replace(">", "&gt;")


def human_ms(values: pd.Series) -> pd.Series:
    """Millisecond durations as people read them ('850 ms', '3 min 5 s'); '—' when unknown."""
    return values.map(lambda ms: human.millis(None if pd.isna(ms) else float(ms))).astype(object)


def human_s(values: pd.Series) -> pd.Series:
    """Second durations as people read them; '—' when unknown."""
    return values.map(lambda s: human.duration(None if pd.isna(s) else float(s))).astype(object)


def utc_naive(values: pd.Series) -> pd.Series:
    """Timestamps as naive UTC: plotly.js has no time zones, and the axes say UTC."""
    ts = pd.to_datetime(values, utc=True)
    return ts.dt.tz_localize(None)


def day_keys(values: pd.Series) -> pd.Series:
    """Calendar days as ISO strings ('2026-01-05'), the key a page filters by."""
    return pd.to_datetime(values).dt.strftime("%Y-%m-%d")


def share(part: float, whole: float) -> str:
    """part of whole as a percent ('12.5%'); an em dash when whole is zero."""
    return f"{part / whole:.1%}" if whole else "—"


def whole_ticks(most: float) -> dict[str, Any]:
    """Axis settings for a count (calls, sessions, items, a call number): whole-number ticks
    only. Plotly picks steps of 0.5 for a range under about five ('2.5 calls'); a step of one
    below ten keeps them whole, and above it plotly's own steps (1, 2 or 5 times a power of
    ten) are whole already."""
    return {"tickformat": ",d", **({"dtick": 1} if most < 10 else {})}


def count_axis(most: float) -> dict[str, Any]:
    """A count axis from zero with whole-number ticks (see whole_ticks)."""
    return {**whole_ticks(most), "rangemode": "tozero"}
