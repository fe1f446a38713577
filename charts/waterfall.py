"""The tool-call waterfall: one bar per call over time, tickets as markers on the same axis.

Past max_bars calls the calls are counted into time buckets instead, so a 20,000-call
session stays a few hundred bars; the Session details page gets those buckets counted in
SQL (queries.session_stats.time_buckets, which counts exactly as `buckets` here) and never
holds every call. Everything is built from whole columns: a fixed handful of traces, never
one per call.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from charts import palette
from charts.layout import (
    TIME_UTC,
    count_axis,
    escaped,
    human_ms,
    is_empty,
    no_data,
    share,
    styled,
    utc_naive,
    whole_ticks,
)
from sessionscope import human
from sessionscope.schema import TICKET_PRIORITIES

TITLE = "Tool calls over time"
BUCKETS = 200
CALL_COLUMNS = ("seq", "at", "duration_ms", "is_error")
TICKET_COLUMNS = ("at", "label", "priority")
OUTCOMES = ("ok", "error")
# customdata of every call bar and bucket bar ends with [call id, kind], so a page reads a
# clicked bar from st.plotly_chart(on_select=...): the call id ("" when the calls came without
# an `id` column) and what the bar is, one call or a time bucket of many.
CALL_ID, KIND = 5, 6
CALL, BUCKET = "call", "bucket"
_CALL_HOVER = (
    "<b>#%{customdata[0]} %{customdata[1]}</b> · %{customdata[3]}"
    "<br>Started: %{customdata[4]} UTC<br>Duration: %{customdata[2]}<extra></extra>"
)
_BUCKET_HOVER = (
    "<b>%{customdata[0]} UTC</b><br>Calls: %{customdata[1]:,}"
    "<br>Errors: %{customdata[2]:,} (%{customdata[3]})"
    "<br>Median duration: %{customdata[4]}<extra></extra>"
)
_TICKET_HOVER = (
    "<b>Ticket</b>: %{customdata[0]}<br>Priority: %{customdata[1]}"
    "<br>Created: %{customdata[2]} UTC<extra></extra>"
)


def _has_calls(calls: pd.DataFrame | None) -> bool:
    names = calls is not None and bool({"tool_name", "label"} & set(calls.columns))
    return names and not is_empty(calls, CALL_COLUMNS)


def _calls(calls: pd.DataFrame) -> pd.DataFrame:
    """Calls with a naive-UTC start, float ms and a boolean error flag, in time order.

    A call without a start has no place on a time axis (the schema never stores one)."""
    names = calls["tool_name"] if "tool_name" in calls.columns else calls["label"]
    ids = calls["id"].fillna("").astype(str).to_numpy() if "id" in calls.columns else ""
    df = pd.DataFrame(
        {
            "id": ids,
            "seq": calls["seq"].to_numpy(),
            "tool": names.to_numpy(),
            "start": utc_naive(calls["at"]).to_numpy(),
            "ms": pd.to_numeric(calls["duration_ms"], errors="coerce").to_numpy(dtype=float),
            "error": calls["is_error"].fillna(False).astype(bool).to_numpy(),
        }
    )
    df = df[df["start"].notna()]
    return df.sort_values(["start", "seq"], kind="stable", ignore_index=True)


def _stamp(values: pd.Series) -> pd.Series:
    """Timestamps to the millisecond, for hover text."""
    return values.dt.strftime("%Y-%m-%d %H:%M:%S.%f").str[:-3]


def _bar_marker(outcome: str) -> dict:
    """Fill and pattern of an outcome's bars, no outline: a 1 px bar is all outline."""
    pattern = palette.STATUS_PATTERNS[outcome]
    return {"color": palette.color(outcome), "pattern_shape": pattern, "line_width": 0}


def _call_bars(fig: go.Figure, df: pd.DataFrame, row: int) -> None:
    """One horizontal bar per call from its start for its duration; errors also get an x."""
    ms = df["ms"].to_numpy()
    span_ms = (df["start"].max() - df["start"].min()) / pd.Timedelta(milliseconds=1)
    width = np.fmax(np.nan_to_num(ms), max(span_ms, 1.0) / 1000)  # 0 ms still shows
    outcome = np.where(df["error"], "error", "ok")
    hover = np.column_stack(
        [df["seq"], escaped(df["tool"]), human_ms(df["ms"]), outcome, _stamp(df["start"]),
         df["id"], np.full(len(df), CALL)]
    )  # fmt: skip
    for name in OUTCOMES:
        mask = outcome == name
        if not mask.any():
            continue
        fig.add_bar(
            base=df["start"][mask],
            x=width[mask],
            y=df["seq"][mask],
            orientation="h",
            name=f"call: {name}",
            legendgroup=name,
            marker=_bar_marker(name),
            customdata=hover[mask],
            hovertemplate=_CALL_HOVER,
            row=row,
            col=1,
        )
    _error_marks(fig, df, width, hover, row)


def _error_marks(
    fig: go.Figure, df: pd.DataFrame, width: np.ndarray, hover: np.ndarray, row: int
) -> None:
    """A cross at the end of each failed call: visible however thin its bar is drawn."""
    err = df["error"].to_numpy()
    if not err.any():
        return
    ends = df["start"][err] + pd.to_timedelta(width[err], unit="ms")
    fig.add_scatter(
        x=ends,
        y=df["seq"][err],
        mode="markers",
        marker={"symbol": palette.FAILURE_SYMBOL, "size": 7, "color": palette.ERROR},
        name="call: error",
        legendgroup="error",
        showlegend=False,
        customdata=hover[err],
        hovertemplate=_CALL_HOVER,
        row=row,
        col=1,
    )


def buckets(df: pd.DataFrame, n: int) -> pd.DataFrame:
    """Calls counted into n equal time buckets by start: left, right, width_ms, calls, errors,
    median_ms (nearest rank). In microseconds, as the database keeps and counts them."""
    t = df["start"].to_numpy().astype("datetime64[us]").astype(np.int64)
    lo = int(t.min())
    width = max(-(-(int(t.max()) - lo + 1) // n), 1_000)  # ceil, and at least 1 ms
    idx = (t - lo) // width
    calls = np.bincount(idx, minlength=n)
    errors = np.bincount(idx, weights=df["error"].to_numpy(), minlength=n).astype("int64")
    # "lower" at 0.5 is the ceil(n/2)-th value: the nearest rank, as SQL takes it.
    median = df["ms"].groupby(idx).quantile(0.5, interpolation="lower").reindex(range(n))
    left = pd.Series(pd.to_datetime(lo + np.arange(n) * width, unit="us"))
    return pd.DataFrame(
        {
            "left": left,
            "right": left + pd.Timedelta(width, unit="us"),
            "width_ms": width / 1e3,
            "calls": calls.astype("int64"),
            "errors": errors,
            "median_ms": median.to_numpy(dtype=float),
        }
    )


def _bucket_bars(fig: go.Figure, b: pd.DataFrame, row: int) -> None:
    """Calls per bucket as ok/error stacked bars spanning each bucket's time."""
    rate = [share(e, c) for e, c in zip(b["errors"], b["calls"], strict=True)]
    span = _stamp(b["left"]).str[:-4] + " – " + b["right"].dt.strftime("%H:%M:%S")
    kind = np.full(len(b), BUCKET)
    hover = np.column_stack(
        [span, b["calls"], b["errors"], rate, human_ms(b["median_ms"]), np.full(len(b), ""), kind]
    )
    mid = b["left"] + pd.to_timedelta(b["width_ms"] / 2, unit="ms")
    counts = {"ok": b["calls"] - b["errors"], "error": b["errors"]}
    for name in OUTCOMES:
        fig.add_bar(
            x=mid,
            y=counts[name],
            width=b["width_ms"],
            name=f"calls: {name}",
            legendgroup=name,
            marker=_bar_marker(name),
            customdata=hover,
            hovertemplate=_BUCKET_HOVER,
            row=row,
            col=1,
        )


def _priority_rank(priority: str) -> int:
    return TICKET_PRIORITIES.index(priority) if priority in TICKET_PRIORITIES else 99


def _ticket_marks(fig: go.Figure, tickets: pd.DataFrame, row: int) -> None:
    """Tickets as diamonds on the time axis, one trace per priority, named in the legend."""
    at = utc_naive(tickets["at"]).reset_index(drop=True)
    priority = tickets["priority"].fillna("unknown").astype(str).reset_index(drop=True)
    hover = np.column_stack(
        [escaped(tickets["label"]).to_numpy(), escaped(priority).to_numpy(), _stamp(at)]
    )
    for name in sorted(priority.unique(), key=_priority_rank):
        mask = (priority == name).to_numpy()
        fig.add_scatter(
            x=at[mask],
            y=["Tickets"] * int(mask.sum()),
            mode="markers",
            marker={"symbol": "diamond", "size": 11, "color": palette.color(name)},
            name=f"ticket: {hover[mask][0, 1]}",
            customdata=hover[mask],
            hovertemplate=_TICKET_HOVER,
            row=row,
            col=1,
        )


def _canvas(with_calls: bool, with_tickets: bool) -> tuple[go.Figure, int, int]:
    """The figure and the rows of calls and tickets: a thin ticket strip above the calls."""
    if with_calls and with_tickets:
        fig = make_subplots(
            rows=2, cols=1, shared_xaxes=True, row_heights=[0.12, 0.88], vertical_spacing=0.03
        )
        return fig, 2, 1
    return make_subplots(rows=1, cols=1), 1, 1


def _draw_calls(fig: go.Figure, df: pd.DataFrame, row: int, max_bars: int) -> tuple[str, str]:
    """Bars per call, or per time bucket past max_bars; the title and y-axis title to use."""
    if len(df) <= max_bars:
        _call_bars(fig, df, row)
        most = float(df["seq"].max())
        fig.update_yaxes(autorange="reversed", **whole_ticks(most), row=row, col=1)
        fig.update_layout(barmode="overlay", bargap=0.1)
        return TITLE, "Call # (seq)"
    return _draw_buckets(fig, buckets(df, max(1, min(BUCKETS, max_bars))), row)


def _draw_buckets(fig: go.Figure, b: pd.DataFrame, row: int) -> tuple[str, str]:
    _bucket_bars(fig, b, row)
    fig.update_layout(barmode="stack", bargap=0)
    fig.update_yaxes(count_axis(float(b["calls"].max())), row=row, col=1)
    calls = human.count(int(b["calls"].sum()), "call")
    shown = f"{calls} shown as {human.count(len(b), 'time bucket')}"
    return f"{TITLE}: {shown}", "Calls per bucket"


def tool_waterfall(
    calls: pd.DataFrame,
    tickets: pd.DataFrame,
    *,
    max_bars: int = 2000,
    buckets: pd.DataFrame | None = None,
) -> go.Figure:
    """Tool calls (seq, tool_name, at, duration_ms, is_error) as bars over time, errors
    coloured, patterned and crossed; tickets (at, label, priority) as markers above them.

    `buckets` (left, right, width_ms, calls, errors, median_ms, as `buckets()` makes them)
    are drawn instead of `calls` when given: a long session counted in SQL."""
    df = _calls(calls) if _has_calls(calls) else None
    bucketed = buckets is not None and int(buckets["calls"].sum()) > 0
    with_calls = bucketed or (df is not None and not df.empty)
    with_tickets = not is_empty(tickets, TICKET_COLUMNS)
    if not with_calls and not with_tickets:
        return no_data(TITLE)
    fig, call_row, ticket_row = _canvas(with_calls, with_tickets)
    title, y_title = TITLE, None
    if bucketed:
        title, y_title = _draw_buckets(fig, buckets, call_row)  # type: ignore[arg-type]
    elif df is not None and with_calls:
        title, y_title = _draw_calls(fig, df, call_row, max_bars)
    if with_tickets:
        _ticket_marks(fig, tickets, ticket_row)
        fig.update_yaxes(fixedrange=True, row=ticket_row, col=1)
    styled(fig, title)
    fig.update_xaxes(type="date")
    fig.update_xaxes(title_text=TIME_UTC, row=call_row, col=1)
    fig.update_yaxes(title_text=y_title, row=call_row, col=1)
    return fig
