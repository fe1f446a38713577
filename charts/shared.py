"""Figures both the Session details page and the Admin analytics draw: tool bars, step funnel.

customdata[0] of every trace is the value that identifies a bar (tool_name, step), so a page
can narrow a table to a clicked bar through st.plotly_chart(on_select=...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from charts import palette
from charts.layout import count_axis, escaped, figure, human_ms, is_empty, no_data, share

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


def bars_by(
    rows: pd.DataFrame,
    by: str,
    order: Sequence[str],
    *,
    x: str,
    y: str,
    custom: Sequence[str],
    hover: str,
    colors: Mapping[str, str] | None = None,
    orientation: str = "v",
) -> list[go.Bar]:
    """One bar trace per value of `by` present in `rows`, in `order`, coloured from the
    palette (gray when unknown) and patterned when it is a failure: the traces plotly
    express draws with color= and pattern_shape=, built directly (see layout.figure)."""
    colors = palette.STATUS_COLORS if colors is None else colors
    present = set(rows[by])
    traces = []
    for name in [n for n in order if n in present]:
        part = rows[rows[by] == name]
        traces.append(
            go.Bar(
                x=part[x].to_numpy(),
                y=part[y].to_numpy(),
                name=name,
                legendgroup=name,
                orientation=orientation,
                marker={
                    "color": colors.get(name, palette.UNKNOWN),
                    "pattern": {"shape": palette.STATUS_PATTERNS.get(name, "")},
                },
                customdata=part[list(custom)].to_numpy(dtype=object),
                hovertemplate=hover,
            )
        )
    return traces


def tool_bars(stats: pd.DataFrame, *, title: str) -> go.Figure:
    """Calls per tool as ok/error stacked bars, error rate at the bar end, most-called on top."""
    if is_empty(stats, ("tool_name", "calls", "errors")):
        return no_data(title)
    rows = _tool_rows(stats)
    custom = ["tool_name", "calls", "errors", "rate", "latency"]
    traces = bars_by(
        rows, "outcome", OUTCOMES, x="n", y="label", custom=custom, hover=_TOOL_HOVER,
        orientation="h",
    )  # fmt: skip
    for trace in traces:
        if trace.name == "error":
            trace.update(
                texttemplate="%{customdata[3]} errors", textposition="outside", cliponaxis=False
            )
    # plotly draws categoryarray[0] at the bottom: reversed, the most-called is on top.
    labels = rows["label"].unique().tolist()[::-1]
    return figure(
        traces,
        title,
        x_title="Tool calls",
        y_title="Tool",
        barmode="stack",
        # The legend above the bars, right: the "n% errors" labels at the bar ends have the
        # plot's right edge to themselves (at 1,366 px a legend beside them ran into them).
        legend={
            "title": {"text": "Outcome"},
            "orientation": "h",
            "x": 1,
            "xanchor": "right",
            "y": 1.0,
            "yanchor": "bottom",
        },
        # Room right of the longest bar for its "n% errors" label.
        xaxis={
            **count_axis(float(stats["calls"].max() or 1)),
            "range": [0, float(stats["calls"].max() or 1) * LABEL_ROOM],
        },
        yaxis={"categoryorder": "array", "categoryarray": labels},
    )


_ONE = {"jobs": "job", "companies": "company", "contacts": "contact", "campaigns": "campaign"}


def of_previous(value: int, previous: int, step: str) -> str:
    """How a step compares with the one before: '62.0% of jobs', never above 100%. A step can
    hold more than the one before (several contacts found per company): then a rate per item
    of that step, '2.4 per company'; after an empty step, 'with no contacts'."""
    if value <= previous:
        return f"{share(value, previous)} of {step}"
    if not previous:
        return f"with no {step}"
    return f"{value / previous:,.1f} per {_ONE.get(step, step.removesuffix('s'))}"


def _funnel_rows(steps: Sequence[str], values: Sequence[int]) -> pd.DataFrame:
    """Steps with their labels and how each compares with the previous (see of_previous)."""
    values = [int(v or 0) for v in values]
    prev = [""] + [of_previous(v, p, s) for v, p, s in zip(values[1:], values, steps, strict=False)]
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
    trace = go.Funnel(
        x=rows["value"].to_numpy(),
        y=rows["label"].to_numpy(),
        customdata=rows[["step", "of_previous"]].to_numpy(dtype=object),
        marker={"color": palette.ACCENT},
        texttemplate="%{x:,}<br>%{customdata[1]}",
        hovertemplate="<b>%{y}</b>: %{x:,}<br>%{customdata[1]}<extra></extra>",
    )
    return figure([trace], title, x_title="Count", y_title="Step")
