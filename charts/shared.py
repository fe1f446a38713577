"""Figures both the Session details page and the Admin analytics draw: tool bars, step funnel.

customdata[0] of every trace is the value that identifies a bar (tool_name, step), so a page
can narrow a table to a clicked bar through st.plotly_chart(on_select=...).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from charts import palette
from charts.layout import escaped, human_ms, is_empty, no_data, share, styled

OUTCOMES = ("ok", "error")
LABEL_ROOM = 1.3  # the x axis runs to 130% of the most calls
_TOOL_HOVER = (
    "<b>%{y}</b><br>Calls: %{customdata[1]:,}<br>Errors: %{customdata[2]:,}"
    " (%{customdata[3]} error rate)%{customdata[4]}<extra></extra>"
)


def _latency_text(stats: pd.DataFrame) -> pd.Series:
    """'<br>Median 120 ms · p95 1.2 s' when the stats carry latencies, else ''."""
    if not {"p50_ms", "p95_ms"} <= set(stats.columns):
        return pd.Series("", index=stats.index, dtype=object)
    return "<br>Median " + human_ms(stats["p50_ms"]) + " · p95 " + human_ms(stats["p95_ms"])


def _tool_rows(stats: pd.DataFrame) -> pd.DataFrame:
    """One row per (tool, outcome) with the hover fields, most-called tool first."""
    df = stats.sort_values(["calls", "tool_name"], ascending=[False, True]).copy()
    df["label"] = escaped(df["tool_name"]).to_numpy()
    df["calls"] = df["calls"].fillna(0).astype(int)
    df["errors"] = df["errors"].fillna(0).astype(int)
    df["ok"] = df["calls"] - df["errors"]
    df["error"] = df["errors"]
    df["rate"] = [share(e, c) for e, c in zip(df["errors"], df["calls"], strict=True)]
    df["latency"] = _latency_text(df)
    keep = ["tool_name", "label", "calls", "errors", "rate", "latency"]
    return df.melt(id_vars=keep, value_vars=list(OUTCOMES), var_name="outcome", value_name="n")


def tool_bars(stats: pd.DataFrame, *, title: str) -> go.Figure:
    """Calls per tool as ok/error stacked bars, error rate at the bar end, most-called on top."""
    if is_empty(stats, ("tool_name", "calls", "errors")):
        return no_data(title)
    rows = _tool_rows(stats)
    fig = px.bar(
        rows,
        x="n",
        y="label",
        color="outcome",
        pattern_shape="outcome",
        orientation="h",
        color_discrete_map=palette.STATUS_COLORS,
        color_discrete_sequence=[palette.UNKNOWN],
        pattern_shape_map=palette.STATUS_PATTERNS,
        category_orders={"outcome": list(OUTCOMES), "label": rows["label"].unique().tolist()},
        custom_data=["tool_name", "calls", "errors", "rate", "latency"],
        # Room right of the longest bar for its "n% errors" label, clear of the legend.
        range_x=[0, float(stats["calls"].max() or 1) * LABEL_ROOM],
    )
    fig.update_traces(hovertemplate=_TOOL_HOVER)
    fig.update_traces(
        selector={"name": "error"},
        texttemplate="%{customdata[3]} errors",
        textposition="outside",
        cliponaxis=False,
    )
    fig.update_layout(barmode="stack")
    return styled(fig, title, x_title="Tool calls", y_title="Tool", legend_title="Outcome")


def _funnel_rows(steps: Sequence[str], values: Sequence[int]) -> pd.DataFrame:
    """Steps with their labels and the share of the previous step ('62.0% of jobs')."""
    values = [int(v or 0) for v in values]
    prev = [""] + [
        f"{share(v, p)} of {s}" for v, p, s in zip(values[1:], values, steps, strict=False)
    ]
    return pd.DataFrame(
        {
            "step": list(steps),
            "label": [s.capitalize() for s in steps],
            "value": values,
            "of_previous": prev,
        }
    )


def step_funnel(steps: Sequence[str], values: Sequence[int], *, title: str) -> go.Figure:
    """A funnel of steps with each value and its percent of the previous step."""
    if not steps or not any(values):
        return no_data(title)
    rows = _funnel_rows(steps, values)
    fig = px.funnel(
        rows,
        x="value",
        y="label",
        custom_data=["step", "of_previous"],
        color_discrete_sequence=[palette.ACCENT],
    )
    fig.update_traces(
        texttemplate="%{x:,}<br>%{customdata[1]}",
        hovertemplate="<b>%{y}</b>: %{x:,}<br>%{customdata[1]}<extra></extra>",
    )
    return styled(fig, title, x_title="Count", y_title="Step")
