"""Figures of the Session details page: stages, tool-call waterfall, results, latency."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from charts import palette
from charts.layout import (
    MARGIN,
    TIME_UTC,
    count_axis,
    escaped,
    is_empty,
    no_data,
    styled,
    utc_naive,
)
from charts.shared import step_funnel, tool_bars
from charts.waterfall import tool_waterfall  # re-exported: one module per page area
from sessionscope import human
from sessionscope.schema import STAGE_STATUSES, STAGES

__all__ = [
    "calls_per_tool",
    "latency_distribution",
    "results_funnel",
    "stage_outcomes",
    "stage_timeline",
    "tool_waterfall",
]

RESULT_STEPS = ("jobs", "companies", "contacts", "campaigns")
STAGE_COLUMNS = ("stage", "status", "total", "completed", "failed", "started_at", "completed_at")
NOT_STARTED = "not started"
OUTCOMES = ("completed", "failed")
_STAGE_HOVER = (
    "<b>%{y}</b> · %{customdata[0]}<br>Total: %{customdata[1]:,}"
    "<br>Completed: %{customdata[2]:,}<br>Failed: %{customdata[3]:,}"
    "<br>Duration: %{customdata[4]}<extra></extra>"
)


def _stage_order(stages: pd.Series) -> list[str]:
    """The stages present, in schema.STAGES order, any unknown stage after them."""
    present = list(dict.fromkeys(stages))
    return [s for s in STAGES if s in present] + [s for s in present if s not in STAGES]


def _stage_rows(stages: pd.DataFrame) -> pd.DataFrame:
    """Stage rows in canonical order, counts as ints, UTC start/end, a readable duration."""
    rank = {stage: i for i, stage in enumerate(_stage_order(stages["stage"]))}
    df = stages.loc[:, list(STAGE_COLUMNS)].copy()
    df = df.iloc[np.argsort(df["stage"].map(rank).to_numpy(), kind="stable")]
    for col in ("total", "completed", "failed"):
        df[col] = pd.to_numeric(df[col], errors="coerce").fillna(0).astype(int)
    df["status"] = escaped(df["status"]).to_numpy()
    df["start"] = utc_naive(df["started_at"])
    df["end"] = utc_naive(df["completed_at"])
    seconds = (df["end"] - df["start"]).dt.total_seconds()
    df["duration"] = [human.duration(s) if s == s else "not finished" for s in seconds]
    return df


def _with_visible_ends(started: pd.DataFrame, until: pd.Series) -> pd.DataFrame:
    """Unfinished stages run to the latest known time (the session's last activity too, in
    `until`); every bar gets a visible width."""
    latest = pd.concat([started["start"], started["end"], until]).max()
    span = max(latest - started["start"].min(), pd.Timedelta(seconds=100))
    end = started["end"].fillna(latest)
    return started.assign(end=end.where(end > started["start"], started["start"] + span / 100))


def _not_started_traces(fig: go.Figure, rows: pd.DataFrame, x: pd.Timestamp) -> None:
    """Stages with no start as labelled open markers at the left edge (pending unless skipped)."""
    for status, group in rows.groupby("status", sort=False):
        fig.add_scatter(
            x=[x] * len(group),
            y=group["stage"],
            mode="markers+text",
            text=[NOT_STARTED] * len(group),
            textposition="middle right",
            marker={"symbol": "circle-open", "size": 12, "color": palette.color(status)},
            name=f"{status} ({NOT_STARTED})",
            customdata=group[["status", "total", "completed", "failed", "duration"]].to_numpy(),
            hovertemplate=_STAGE_HOVER,
        )


def stage_timeline(stages: pd.DataFrame, *, last_activity: datetime | None = None) -> go.Figure:
    """The session's stages as a Gantt in canonical order, coloured and named by status; an
    unfinished stage runs to the session's `last_activity` when that is later than every
    stage's start and end (a paused session's stage was worked on until it paused)."""
    title = "Stages over time"
    if is_empty(stages, STAGE_COLUMNS):
        return no_data(title)
    rows = _stage_rows(stages)
    unstarted = rows["start"].isna()
    if unstarted.all():
        return no_data(title, f"No stage has started yet ({len(rows)} not started)")
    rows.loc[unstarted, "duration"] = NOT_STARTED
    rows.loc[unstarted & (rows["status"] != "skipped"), "status"] = "pending"
    started = _with_visible_ends(rows[~unstarted], utc_naive(pd.Series([last_activity])))
    fig = px.timeline(
        started,
        x_start="start",
        x_end="end",
        y="stage",
        color="status",
        color_discrete_map=palette.STATUS_COLORS,
        color_discrete_sequence=[palette.UNKNOWN],
        category_orders={"status": list(STAGE_STATUSES)},
        text="status",
        custom_data=["status", "total", "completed", "failed", "duration"],
    )
    fig.update_traces(hovertemplate=_STAGE_HOVER, textposition="auto", cliponaxis=False)
    _not_started_traces(fig, rows[unstarted], started["start"].min())
    order = _stage_order(rows["stage"])
    fig.update_yaxes(categoryorder="array", categoryarray=order, autorange="reversed")
    return styled(fig, title, x_title=TIME_UTC, y_title="Stage", legend_title="Status")


def results_funnel(totals: Mapping[str, int]) -> go.Figure:
    """Jobs -> companies -> contacts -> campaigns with values and percent of the previous step."""
    values = [int(totals.get(step) or 0) for step in RESULT_STEPS]
    return step_funnel(RESULT_STEPS, values, title="Results")


def _outcome_rows(stages: pd.DataFrame) -> pd.DataFrame:
    """One row per (stage, outcome) with the stage's counts for the hover."""
    df = _stage_rows(stages)
    df = df.assign(**{f"n_{o}": df[o] for o in OUTCOMES})
    rows = df.melt(
        ["stage", "total", "completed", "failed"],
        [f"n_{o}" for o in OUTCOMES],
        var_name="outcome",
        value_name="n",
    )
    return rows.assign(outcome=rows["outcome"].str.removeprefix("n_"))


def stage_outcomes(stages: pd.DataFrame) -> go.Figure:
    """Completed and failed items per stage as stacked bars, in canonical stage order."""
    title = "Stage outcomes"
    if is_empty(stages, STAGE_COLUMNS):
        return no_data(title)
    rows = _outcome_rows(stages)
    fig = px.bar(
        rows,
        x="stage",
        y="n",
        color="outcome",
        pattern_shape="outcome",
        color_discrete_map=palette.STATUS_COLORS,
        color_discrete_sequence=[palette.UNKNOWN],
        pattern_shape_map=palette.STATUS_PATTERNS,
        category_orders={"stage": _stage_order(rows["stage"]), "outcome": list(OUTCOMES)},
        custom_data=["stage", "outcome", "total", "completed", "failed"],
    )
    fig.update_traces(
        hovertemplate="<b>%{x}</b> · %{customdata[1]}: %{y:,} of %{customdata[2]:,}"
        "<br>Completed: %{customdata[3]:,}<br>Failed: %{customdata[4]:,}<extra></extra>"
    )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(count_axis(float(rows.groupby("stage")["n"].sum().max())))
    return styled(fig, title, x_title="Stage", y_title="Items", legend_title="Outcome")


def calls_per_tool(stats: pd.DataFrame) -> go.Figure:
    """Calls per tool (tool_name, calls, errors) as ok/error bars with the error rate."""
    return tool_bars(stats, title="Calls per tool")


SPREAD = 50  # a bar under 1/SPREAD of the tallest is a sliver on a linear axis


def thin_calls(calls: np.ndarray) -> int:
    """Calls in bars under 1/SPREAD of the tallest: too short to see on a linear axis (about
    6 px of a 300 px plot), as a session's few very slow calls are beside its thousands of
    quick ones."""
    calls = np.asarray(calls, dtype="int64")
    thin = (calls > 0) & (calls * SPREAD < calls.max())
    return int(calls[thin].sum())


def _count_scale(fig: go.Figure, calls: np.ndarray) -> tuple[str, str | None]:
    """A linear count axis, or a log one when some calls would not show on a linear one;
    returns the y-axis title and, for a log axis, a note saying why."""
    thin = thin_calls(calls)
    if not thin:
        fig.update_yaxes(count_axis(float(calls.max())))
        return "Calls", None
    top = float(np.log10(calls.max() * 1.6))
    fig.update_yaxes(type="log", range=[np.log10(0.8), top], dtick=1, tickformat=",d")
    thin_n = human.count(thin, "call")
    note = f"Calls on a log scale: {thin_n} in bars too short to see on a linear one"
    return "Calls (log scale)", note


def latency_distribution(
    bins: pd.DataFrame, *, p50: float | None = None, p95: float | None = None
) -> go.Figure:
    """A histogram of tool-call latency from counted bins (left_ms, right_ms, calls), with the
    median and p95 marked and named: a few dozen bars whatever the number of calls. Counts on
    a log axis when a few calls sit far from the rest (see _count_scale)."""
    title = "Tool-call latency"
    if is_empty(bins, ("left_ms", "right_ms", "calls")) or not int(bins["calls"].sum()):
        return no_data(title)
    past = bins[bins["beyond"]]  # the calls past the axis (queries.session_stats.latency_axis)
    bins = bins.drop(past.index)
    unit, per = ("s", 1000.0) if bins["right_ms"].max() > 10_000 else ("ms", 1.0)
    left, right = bins["left_ms"].to_numpy(float) / per, bins["right_ms"].to_numpy(float) / per
    calls = bins["calls"].to_numpy(dtype="int64")
    fig = go.Figure(
        go.Bar(
            x=(left + right) / 2,
            y=calls,
            width=right - left,
            marker={"color": palette.ACCENT, "line_width": 0},
            customdata=np.column_stack([left, right]),
            hovertemplate=f"Latency %{{customdata[0]:,.4~g}}–%{{customdata[1]:,.4~g}} {unit}"
            "<br>%{y:,} calls<extra></extra>",
            name="calls",
        )
    )
    _mark_percentiles(fig, p50, p95, per)
    fig.update_layout(bargap=0)
    total = int(calls.sum()) + int(past["calls"].sum())
    styled(fig, f"{title}: {total:,} calls", x_title=f"Latency ({unit})")
    y_title, log_note = _count_scale(fig, calls)
    fig.update_yaxes(title_text=y_title)
    notes = [n for n in (_past_note(past), log_note) if n]
    if notes:
        # Each note past the first is a line more above the plot (the percentiles' labels
        # sit at its top).
        top = MARGIN["t"] + 16 * (len(notes) - 1)
        fig.update_layout(title_subtitle_text="<br>".join(notes), margin_t=top)
    return fig


def _past_note(past: pd.DataFrame) -> str | None:
    """What the axis leaves out when it stops at the p99 (latency_bins' beyond row)."""
    if past.empty:
        return None
    row = past.iloc[0]
    n = int(row["calls"])
    return (
        f"Axis cut at the p99, {human.millis(row['left_ms'] - 1)}: "
        f"{human.count(n, 'slower call')} (up to {human.millis(row['right_ms'] - 1)}) not drawn"
    )


def _mark_percentiles(fig: go.Figure, p50: float | None, p95: float | None, per: float) -> None:
    """The median and p95 as named vertical lines."""
    marks = (("median", p50, "dash", "top left"), ("p95", p95, "dot", "top right"))
    for name, value, dash, where in marks:
        if value is None:
            continue
        fig.add_vline(
            x=value / per,
            line={"dash": dash, "color": palette.UNKNOWN, "width": 2},
            annotation_text=f"{name} {human.millis(value)}",
            annotation_position=where,
        )
