"""The figure builders, checked through their data: no database, no browser."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from charts import admin, palette, session
from charts.layout import NO_DATA, TRANSPARENT
from charts.waterfall import BUCKET, BUCKETS, CALL, CALL_ID, KIND, _calls, buckets
from sessionscope.schema import SESSION_STATUSES, STAGE_STATUSES, STAGES, TICKET_PRIORITIES
from tests import latency as oracle

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)


def stages_frame() -> pd.DataFrame:
    """Stages out of canonical order: two done, one running, one unstarted, one skipped."""
    rows = [
        ("enrichment", "failed", 80, 60, 20, T0 + timedelta(minutes=5), T0 + timedelta(minutes=20)),
        ("scraping", "completed", 100, 100, 0, T0, T0 + timedelta(minutes=5)),
        ("contacts", "running", 50, 10, 2, T0 + timedelta(minutes=20), None),
        ("campaigns", "pending", 0, 0, 0, None, None),
        ("results", "skipped", 0, 0, 0, None, None),
    ]
    cols = ["stage", "status", "total", "completed", "failed", "started_at", "completed_at"]
    return pd.DataFrame(rows, columns=cols).assign(session_id="ses_1", data=None)


def calls_frame(n: int, *, error_every: int = 10) -> pd.DataFrame:
    """n calls a second apart, 250 ms each, every error_every-th one failed."""
    seq = np.arange(1, n + 1)
    return pd.DataFrame(
        {
            "seq": seq,
            "tool_name": np.where(seq % 2 == 0, "search", "fetch"),
            "at": pd.Timestamp(T0) + pd.to_timedelta(seq, unit="s"),
            "duration_ms": 250,
            "is_error": seq % error_every == 0,
        }
    )


def tickets_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "at": [T0 + timedelta(seconds=3), T0 + timedelta(seconds=7)],
            "label": ["Export <b>broken</b>", "Slow"],
            "priority": ["critical", "low"],
        }
    )


def tool_stats() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tool_name": ["search", "fetch", "send"],
            "calls": [40, 120, 5],
            "errors": [4, 0, 5],
            "error_rate": [0.1, 0.0, 1.0],
            "p50_ms": [120.0, 80.0, 2500.0],
            "p95_ms": [900.0, 300.0, 61000.0],
        }
    )


def per_day() -> pd.DataFrame:
    days = [date(2026, 1, 1)] * 2 + [date(2026, 1, 2)] * 3
    return pd.DataFrame(
        {
            "day": days,
            "status": ["completed", "failed", "active", "completed", "paused"],
            "sessions": [10, 2, 3, 8, 1],
        }
    )


def success_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "day": [date(2026, 1, 1), date(2026, 1, 2)],
            "completed": [10, 8],
            "failed": [2, 0],
            "success_rate": [10 / 12, 1.0],
        }
    )


def durations_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "day": [date(2026, 1, 1), date(2026, 1, 2)],
            "p50_s": [90.0, 300.0],
            "p95_s": [600.0, 3000.0],
        }
    )


def users_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "end_user_id": ["eu_2", "eu_1"],
            "user_email": [None, "ann@example.com"],
            "sessions": [7, 20],
            "failed": [0, 3],
        }
    )


def funnel_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"step": ["jobs", "companies", "contacts", "campaigns"], "value": [100, 50, 5, 0]}
    )


def by_name(fig: go.Figure, name: str) -> go.BaseTraceType:
    return next(t for t in fig.data if t.name == name)


def values(seq: object) -> list:
    return [] if seq is None else list(seq)


def hovers(fig: go.Figure) -> str:
    return " ".join(t.hovertemplate or "" for t in fig.data)


# --- palette ---------------------------------------------------------------------------


def _luminance(hex_color: str) -> float:
    rgb = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_palette_names_every_status_priority_and_outcome() -> None:
    names = {*SESSION_STATUSES, *STAGE_STATUSES, *TICKET_PRIORITIES, "ok", "error"}
    assert names <= set(palette.STATUS_COLORS)
    assert palette.STATUS_COLORS["failed"] == palette.ERROR
    assert palette.color("no-such-status") == palette.UNKNOWN


@pytest.mark.parametrize("background", ["#FFFFFF", "#0E1117"])  # Streamlit light, dark
def test_palette_reads_on_light_and_dark_themes(background: str) -> None:
    for name, hex_color in {**palette.STATUS_COLORS, "accent": palette.ACCENT}.items():
        assert _contrast(hex_color, background) >= 3, name


def test_badges_use_streamlit_colour_names() -> None:
    # Streamlit 1.67's badge colours; an unknown name shows ":name-badge[...]" literally.
    streamlit_colours = {"red", "orange", "yellow", "green", "blue", "violet", "gray", "primary"}
    assert {hue.name for hue in palette.COLORS.values()} <= streamlit_colours
    assert palette.badge_color("no-such-status") == "gray"


# --- every builder ---------------------------------------------------------------------

BUILT: dict[str, Callable[[], go.Figure]] = {
    "stage_timeline": lambda: session.stage_timeline(stages_frame()),
    "tool_waterfall": lambda: session.tool_waterfall(calls_frame(30), tickets_frame()),
    "results_funnel": lambda: session.results_funnel({"jobs": 10, "companies": 5}),
    "stage_outcomes": lambda: session.stage_outcomes(stages_frame()),
    "calls_per_tool": lambda: session.calls_per_tool(tool_stats()),
    "latency_distribution": lambda: latency([10, 20, 30]),
    "sessions_per_day": lambda: admin.sessions_per_day(per_day()),
    "success_rate": lambda: admin.success_rate(success_frame()),
    "duration_percentiles": lambda: admin.duration_percentiles(durations_frame()),
    "top_tools": lambda: admin.top_tools(tool_stats()),
    "top_users": lambda: admin.top_users(users_frame()),
    "workflow_funnel": lambda: admin.workflow_funnel(funnel_frame()),
}

EMPTY: dict[str, Callable[[], go.Figure]] = {
    "stage_timeline": lambda: session.stage_timeline(stages_frame().head(0)),
    "tool_waterfall": lambda: session.tool_waterfall(calls_frame(0), tickets_frame().head(0)),
    "results_funnel": lambda: session.results_funnel({}),
    "stage_outcomes": lambda: session.stage_outcomes(pd.DataFrame()),
    "calls_per_tool": lambda: session.calls_per_tool(tool_stats().head(0)),
    "latency_distribution": lambda: latency([]),
    "sessions_per_day": lambda: admin.sessions_per_day(per_day().head(0)),
    "success_rate": lambda: admin.success_rate(success_frame().head(0)),
    "duration_percentiles": lambda: admin.duration_percentiles(durations_frame().head(0)),
    "top_tools": lambda: admin.top_tools(tool_stats().head(0)),
    "top_users": lambda: admin.top_users(users_frame().head(0)),
    "workflow_funnel": lambda: admin.workflow_funnel(funnel_frame().head(0)),
}


@pytest.mark.parametrize("name", BUILT)
def test_figure_has_title_axis_titles_and_a_see_through_background(name: str) -> None:
    fig = BUILT[name]()
    assert fig.layout.title.text
    assert fig.layout.paper_bgcolor == fig.layout.plot_bgcolor == TRANSPARENT
    assert fig.layout.font.color is None and fig.layout.title.font.color is None
    assert any(ax.title.text for ax in fig.select_xaxes())
    assert any(ax.title.text for ax in fig.select_yaxes())
    assert all(t.hovertemplate for t in fig.data)


@pytest.mark.parametrize("name", EMPTY)
def test_empty_input_says_no_data(name: str) -> None:
    fig = EMPTY[name]()
    assert not fig.data
    assert [a.text for a in fig.layout.annotations] == [NO_DATA]
    assert fig.layout.title.text


def test_waterfall_without_calls_or_tickets_columns_says_no_data() -> None:
    fig = session.tool_waterfall(pd.DataFrame(), None)  # type: ignore[arg-type]
    assert [a.text for a in fig.layout.annotations] == [NO_DATA]


# --- session: stages -------------------------------------------------------------------


def test_stage_timeline_is_a_gantt_in_canonical_order_coloured_by_status() -> None:
    fig = session.stage_timeline(stages_frame())
    assert list(fig.layout.yaxis.categoryarray) == list(STAGES)
    assert fig.layout.yaxis.autorange == "reversed"  # scraping on top
    bars = [t for t in fig.data if t.type == "bar"]
    assert {t.name for t in bars} == {"completed", "failed", "running"}
    for t in bars:
        assert t.marker.color == palette.STATUS_COLORS[t.name]
    assert values(by_name(fig, "failed").y) == ["enrichment"]
    assert fig.layout.xaxis.type == "date"


def test_an_unfinished_stage_runs_to_the_session_s_last_activity() -> None:
    """contacts started at +20 min, the last stage to start; without the session's last
    activity it was a sliver at its start (seen on a paused demo session)."""

    def contacts_end(fig: go.Figure) -> pd.Timestamp:
        bar = by_name(fig, "running")
        return pd.Timestamp(bar.base[0]) + pd.Timedelta(milliseconds=float(bar.x[0]))

    alone = session.stage_timeline(stages_frame())
    later = session.stage_timeline(stages_frame(), last_activity=T0 + timedelta(minutes=29))
    assert contacts_end(alone) < pd.Timestamp(T0 + timedelta(minutes=21)).tz_localize(None)
    assert contacts_end(later) == pd.Timestamp(T0 + timedelta(minutes=29)).tz_localize(None)


def test_stage_timeline_hover_gives_counts_and_duration_in_words() -> None:
    fig = session.stage_timeline(stages_frame())
    failed = by_name(fig, "failed")
    for word in ("Total", "Completed", "Failed", "Duration"):
        assert word in failed.hovertemplate
    assert list(failed.customdata[0]) == ["failed", 80, 60, 20, "15 min"]
    assert by_name(fig, "running").customdata[0][4] == "not finished"


def test_unstarted_stages_show_as_pending_with_a_note() -> None:
    fig = session.stage_timeline(stages_frame())
    pending = by_name(fig, "pending (not started)")
    assert pending.type == "scatter"
    assert values(pending.y) == ["campaigns"]
    assert values(pending.text) == ["not started"]
    assert pending.marker.color == palette.STATUS_COLORS["pending"]
    # A skipped stage never starts: it keeps its status rather than reading as pending.
    assert values(by_name(fig, "skipped (not started)").y) == ["results"]


def test_stage_timeline_with_no_stage_started_says_so() -> None:
    frame = stages_frame().assign(started_at=None, completed_at=None)
    fig = session.stage_timeline(frame)
    assert "No stage has started yet" in fig.layout.annotations[0].text


def test_stage_outcomes_stacks_completed_and_failed_per_stage() -> None:
    fig = session.stage_outcomes(stages_frame())
    assert fig.layout.barmode == "stack"
    completed, failed = by_name(fig, "completed"), by_name(fig, "failed")
    assert values(completed.x) == list(STAGES)  # canonical, not input order
    assert list(fig.layout.xaxis.categoryarray) == list(STAGES)
    assert values(completed.y) == [100, 60, 10, 0, 0]
    assert values(failed.y) == [0, 20, 2, 0, 0]
    assert completed.marker.color == palette.STATUS_COLORS["completed"]
    assert failed.marker.color == palette.STATUS_COLORS["failed"]
    assert failed.marker.pattern.shape == palette.FAILURE_PATTERN
    assert "Completed: %{customdata[3]:,}" in failed.hovertemplate


# --- session: waterfall ----------------------------------------------------------------


def test_waterfall_draws_one_bar_per_call_from_start_for_its_duration() -> None:
    fig = session.tool_waterfall(calls_frame(30), tickets_frame())
    ok, err = (
        by_name(fig, "call: ok"),
        next(t for t in fig.data if t.type == "bar" and "error" in t.name),
    )
    assert len(ok.y) + len(err.y) == 30
    assert sorted(values(err.y)) == [10, 20, 30]
    assert set(values(ok.x)) == {250}  # bar length in ms on the date axis
    assert pd.Timestamp(ok.base[0]) == pd.Timestamp("2026-01-01 12:00:01")
    assert fig.layout.title.text == "Tool calls over time"


def test_waterfall_marks_errors_by_colour_pattern_symbol_and_word() -> None:
    fig = session.tool_waterfall(calls_frame(30), None)  # type: ignore[arg-type]
    bar = next(t for t in fig.data if t.type == "bar" and t.name == "call: error")
    cross = next(t for t in fig.data if t.type == "scatter" and t.name == "call: error")
    assert bar.marker.color == cross.marker.color == palette.ERROR
    assert bar.marker.pattern.shape == palette.FAILURE_PATTERN
    assert cross.marker.symbol == palette.FAILURE_SYMBOL
    assert list(bar.customdata[0]) == [
        10,
        "search",
        "250 ms",
        "error",
        "2026-01-01 12:00:10.000",
        "",
        "call",
    ]
    assert "Duration: %{customdata[2]}" in bar.hovertemplate


def test_waterfall_puts_tickets_on_the_same_time_axis_by_priority() -> None:
    fig = session.tool_waterfall(calls_frame(30), tickets_frame())
    critical = by_name(fig, "ticket: critical")
    assert critical.marker.color == palette.STATUS_COLORS["critical"]
    assert critical.customdata[0][0] == "Export &lt;b&gt;broken&lt;/b&gt;"  # shown, not rendered
    assert fig.layout.xaxis.matches == "x2" or fig.layout.xaxis2.matches == "x"
    assert fig.layout.xaxis2.title.text == "Time (UTC)"
    assert fig.layout.yaxis2.title.text == "Call # (seq)"


def test_waterfall_with_tickets_only_still_draws_them() -> None:
    fig = session.tool_waterfall(calls_frame(0), tickets_frame())
    assert {t.name for t in fig.data} == {"ticket: critical", "ticket: low"}


def test_waterfall_reads_timeline_rows_with_label_for_the_tool() -> None:
    calls = calls_frame(3).rename(columns={"tool_name": "label"})
    fig = session.tool_waterfall(calls, tickets_frame().head(0))
    assert {row[1] for row in by_name(fig, "call: ok").customdata} == {"fetch", "search"}


def _bucket_totals(fig: go.Figure) -> tuple[int, int, int]:
    ok, err = by_name(fig, "calls: ok"), by_name(fig, "calls: error")
    assert len(ok.y) == len(err.y)
    return len(ok.y), int(np.sum(ok.y) + np.sum(err.y)), int(np.sum(err.y))


def test_waterfall_past_max_bars_counts_calls_into_time_buckets() -> None:
    fig = session.tool_waterfall(calls_frame(2_500), tickets_frame(), max_bars=2_000)
    bars, calls, errors = _bucket_totals(fig)
    assert (bars, calls, errors) == (BUCKETS, 2_500, 250)
    assert "2,500 calls shown as 200 time buckets" in fig.layout.title.text
    assert len(fig.data) < 10 and fig.layout.barmode == "stack"
    assert by_name(fig, "calls: error").marker.color == palette.ERROR
    assert "Errors: %{customdata[2]:,}" in hovers(fig)


def test_waterfall_of_20000_calls_is_a_few_hundred_bars_with_totals_kept() -> None:
    # Speed is measured by the benchmark; here only the shape of the big case.
    fig = session.tool_waterfall(calls_frame(20_000, error_every=7), tickets_frame())
    assert _bucket_totals(fig) == (BUCKETS, 20_000, 20_000 // 7)
    assert "20,000 calls shown as 200 time buckets" in fig.layout.title.text


def test_waterfall_buckets_never_outnumber_max_bars() -> None:
    fig = session.tool_waterfall(calls_frame(60), None, max_bars=50)  # type: ignore[arg-type]
    assert _bucket_totals(fig)[:2] == (50, 60)
    assert "60 calls shown as 50 time buckets" in fig.layout.title.text


def test_waterfall_draws_buckets_counted_elsewhere() -> None:
    """The page passes buckets counted in SQL: drawn as the chart's own, calls not needed."""
    counted = buckets(_calls(calls_frame(2_500)), BUCKETS)
    fig = session.tool_waterfall(calls_frame(0), tickets_frame(), buckets=counted)
    assert _bucket_totals(fig) == (BUCKETS, 2_500, 250)
    assert "2,500 calls shown as 200 time buckets" in fig.layout.title.text


def test_bucket_medians_are_nearest_rank() -> None:
    calls = calls_frame(4).assign(duration_ms=[10, 20, 30, 40])
    [median] = buckets(_calls(calls), 1)["median_ms"]
    assert median == 20  # the 2nd of 4 (ceil 4 * 0.5), as SQL takes it: not 25


# --- session: results, tools, latency --------------------------------------------------


def test_results_funnel_shows_values_and_percent_of_previous() -> None:
    fig = session.results_funnel({"jobs": 200, "companies": 50, "contacts": 10})
    (trace,) = fig.data
    assert trace.type == "funnel"
    assert values(trace.x) == [200, 50, 10, 0]
    assert values(trace.y) == ["Jobs", "Companies", "Contacts", "Campaigns"]
    assert [row[1] for row in trace.customdata] == [
        "",
        "25.0% of jobs",
        "20.0% of companies",
        "0.0% of contacts",
    ]
    assert "%{customdata[1]}" in trace.texttemplate


def test_results_funnel_of_zeros_says_no_data() -> None:
    fig = session.results_funnel({"jobs": 0, "companies": 0})
    assert fig.layout.annotations[0].text == NO_DATA


def test_calls_per_tool_stacks_ok_and_errors_most_called_first() -> None:
    fig = session.calls_per_tool(tool_stats()[["tool_name", "calls", "errors"]])
    ok, err = by_name(fig, "ok"), by_name(fig, "error")
    assert values(ok.y) == ["fetch", "search", "send"]
    assert values(ok.x) == [120, 36, 0] and values(err.x) == [0, 4, 5]
    # plotly draws categoryarray[0] at the bottom: most-called on top.
    assert list(fig.layout.yaxis.categoryarray)[::-1] == ["fetch", "search", "send"]
    assert ok.marker.color == palette.OK and err.marker.color == palette.ERROR
    assert [row[3] for row in err.customdata] == ["0.0%", "10.0%", "100.0%"]
    assert "Calls: %{customdata[1]:,}" in err.hovertemplate
    assert "errors" in err.texttemplate
    # The legend sits above the bars, not beside their "n% errors" labels.
    legend = fig.layout.legend
    assert legend.orientation == "h" and (legend.y, legend.yanchor) == (1.0, "bottom")
    assert legend.title.text == "Outcome"


def latency(durations: list[float | None]) -> go.Figure:
    """The chart as the page builds it: bins and percentiles counted beforehand."""
    ms = pd.Series(durations, dtype=float)
    known = ms.dropna().to_numpy()
    p50, p95 = (oracle.nearest_rank(known, p) if len(known) else None for p in (50, 95))
    return session.latency_distribution(oracle.latency_bins(ms, 40), p50=p50, p95=p95)


def test_latency_distribution_marks_median_and_p95_in_words() -> None:
    fig = latency([*range(1, 101), None])
    (trace,) = fig.data
    assert trace.type == "bar" and len(trace.x) == 34  # 100 values, 40 bins 3 ms wide
    assert sum(trace.y) == 100
    assert [s.x0 for s in fig.layout.shapes] == [50, 95]  # nearest rank, as the queries
    assert [a.text for a in fig.layout.annotations] == ["median 50 ms", "p95 95 ms"]
    assert fig.layout.xaxis.title.text == "Latency (ms)"
    assert "calls" in trace.hovertemplate
    assert "Tool-call latency: 100 calls" in fig.layout.title.text


def test_latency_distribution_of_long_calls_is_drawn_in_seconds() -> None:
    fig = latency([1_000, 20_000, 90_000])
    assert fig.layout.xaxis.title.text == "Latency (s)"
    assert fig.layout.annotations[1].text == "p95 1 min 30 s"


def test_latency_distribution_of_a_million_calls_is_a_few_dozen_bars() -> None:
    """Issue 15: the chart carried every duration (10.7 MB for 1,000,000 calls)."""
    durations = list((np.arange(1_000_000) * 7919) % 3000 + 20)
    fig = latency(durations)
    assert len(fig.data[0].x) <= 40 and sum(fig.data[0].y) == 1_000_000
    assert len(fig.to_json()) < 20_000


def test_latency_bins_count_every_value_once() -> None:
    bins = oracle.latency_bins(pd.Series([5, 5, 6, 45, None]), 4)
    assert bins.to_dict("list") == {
        "left_ms": [5, 16, 27, 38],
        "right_ms": [16, 27, 38, 49],
        "calls": [3, 0, 0, 1],
        "beyond": [False] * 4,
    }
    cut = oracle.latency_bins(pd.Series([*range(1, 201), 5_000]), 4)  # p99 199; 5,000 > 4 x
    assert cut.to_dict("list") == {
        "left_ms": [1, 51, 101, 151, 200],
        "right_ms": [51, 101, 151, 201, 5_001],
        "calls": [50, 50, 50, 49, 2],
        "beyond": [False, False, False, False, True],
    }


# --- admin -----------------------------------------------------------------------------

SELECTABLE: dict[str, tuple[Callable[[], go.Figure], set[str]]] = {
    "sessions_per_day": (BUILT["sessions_per_day"], {"2026-01-01", "2026-01-02"}),
    "success_rate": (BUILT["success_rate"], {"2026-01-01", "2026-01-02"}),
    "duration_percentiles": (BUILT["duration_percentiles"], {"2026-01-01", "2026-01-02"}),
    "top_tools": (BUILT["top_tools"], {"search", "fetch", "send"}),
    "top_users": (BUILT["top_users"], {"eu_1", "eu_2"}),
    "workflow_funnel": (BUILT["workflow_funnel"], {"jobs", "companies", "contacts", "campaigns"}),
}


@pytest.mark.parametrize("name", SELECTABLE)
def test_admin_points_carry_their_key_in_customdata(name: str) -> None:
    build, keys = SELECTABLE[name]
    fig = build()
    for trace in fig.data:
        assert len(trace.customdata) == len(trace.y)
        assert {row[0] for row in trace.customdata} <= keys
    assert {row[0] for t in fig.data for row in t.customdata} == keys


def test_sessions_per_day_stacks_statuses_in_palette_colours() -> None:
    fig = admin.sessions_per_day(per_day())
    assert fig.layout.barmode == "stack"
    assert [t.name for t in fig.data] == ["active", "paused", "completed", "failed"]
    for t in fig.data:
        assert t.marker.color == palette.STATUS_COLORS[t.name]
        assert {row[1] for row in t.customdata} == {t.name}  # the status, for the filter
    completed = by_name(fig, "completed")
    assert values(completed.y) == [10, 8]
    assert by_name(fig, "failed").marker.pattern.shape == palette.FAILURE_PATTERN
    assert "sessions" in completed.hovertemplate and "%{customdata[1]}" in completed.hovertemplate
    assert fig.layout.xaxis.dtick == 86_400_000


def test_success_rate_is_a_line_on_a_percent_axis() -> None:
    fig = admin.success_rate(success_frame())
    (trace,) = fig.data
    assert trace.type == "scatter" and "markers" in trace.mode  # points are selectable
    assert values(trace.y) == pytest.approx([10 / 12, 1.0])
    assert fig.layout.yaxis.tickformat == ".0%"
    assert trace.line.color == palette.STATUS_COLORS["completed"]
    assert "Completed: %{customdata[1]:,}" in trace.hovertemplate


def test_duration_percentiles_picks_a_human_unit() -> None:
    fig = admin.duration_percentiles(durations_frame())
    p50, p95 = by_name(fig, "median (p50)"), by_name(fig, "p95")
    assert fig.layout.yaxis.title.text == "Session duration (min)"
    assert values(p50.y) == [1.5, 5.0] and values(p95.y) == [10.0, 50.0]
    assert [row[2] for row in p95.customdata] == ["10 min", "50 min"]
    assert p50.line.dash != p95.line.dash  # told apart without colour


def test_top_tools_shows_error_rate_and_latency_in_hover() -> None:
    fig = admin.top_tools(tool_stats())
    err = by_name(fig, "error")
    send = next(row for row in err.customdata if row[0] == "send")
    assert send[3] == "100.0%"
    assert send[4] == "<br>Median 2.5 s · p95 1 min 1 s"


def test_top_users_label_emails_and_keep_ids_for_selection() -> None:
    fig = admin.top_users(users_frame())
    assert fig.layout.barmode == "group"
    assert list(fig.layout.yaxis.tickvals) == ["eu_1", "eu_2"]  # most sessions first
    assert list(fig.layout.yaxis.ticktext) == ["ann@example.com", "eu_2"]
    failed = by_name(fig, "failed")
    assert values(failed.x) == [3, 0]
    assert failed.marker.color == palette.STATUS_COLORS["failed"]
    assert "Failed: %{customdata[3]:,}" in failed.hovertemplate


def test_workflow_funnel_takes_the_query_frame() -> None:
    (trace,) = admin.workflow_funnel(funnel_frame()).data
    assert values(trace.x) == [100, 50, 5, 0]
    assert trace.customdata[2][1] == "10.0% of companies"


def test_a_status_outside_the_palette_is_gray_not_a_borrowed_colour() -> None:
    frame = pd.DataFrame({"day": [date(2026, 1, 1)], "status": ["archived"], "sessions": [1]})
    (trace,) = admin.sessions_per_day(frame).data
    assert trace.name == "archived" and trace.marker.color == palette.UNKNOWN


def test_charts_never_import_streamlit() -> None:
    code = "import sys, charts.admin, charts.session; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- charts that tell the truth (issue 14) ---------------------------------------------


def test_funnel_never_shows_a_step_above_100_percent_of_the_one_before() -> None:
    fig = session.results_funnel({"jobs": 100, "companies": 40, "contacts": 96, "campaigns": 0})
    shown = [row[1] for row in fig.data[0].customdata]
    assert shown == ["", "40.0% of jobs", "2.4 per company", "0.0% of contacts"]
    after_nothing = session.results_funnel({"jobs": 0, "companies": 0, "contacts": 3})
    assert after_nothing.data[0].customdata[2][1] == "with no companies"


def test_count_axes_have_whole_ticks_however_few_the_counts() -> None:
    few = session.calls_per_tool(tool_stats().head(1).assign(calls=2, errors=1))
    assert few.layout.xaxis.dtick == 1 and few.layout.xaxis.tickformat == ",d"
    outcomes = session.stage_outcomes(stages_frame().assign(completed=1, failed=1))
    assert outcomes.layout.yaxis.dtick == 1
    waterfall = session.tool_waterfall(calls_frame(3), None)  # type: ignore[arg-type]
    assert waterfall.layout.yaxis.dtick == 1  # "Call # (seq)": no call 2.5
    bucketed = session.tool_waterfall(calls_frame(60), None, max_bars=50)  # type: ignore[arg-type]
    assert bucketed.layout.yaxis.tickformat == ",d"
    assert admin.sessions_per_day(per_day()).layout.yaxis.tickformat == ",d"
    many = session.calls_per_tool(tool_stats())
    assert many.layout.xaxis.dtick is None and many.layout.xaxis.tickformat == ",d"


def test_latency_of_an_ordinary_session_stays_linear() -> None:
    fig = latency([*range(20, 420, 4)])
    assert fig.layout.yaxis.type != "log" and fig.layout.yaxis.title.text == "Calls"
    assert not fig.layout.title.subtitle.text


def test_latency_with_a_few_very_slow_calls_stops_at_the_p99_and_says_so() -> None:
    """5,000 calls of 20-219 ms and three of about a minute: an axis to the slowest call
    would squeeze the 5,000 into its first bar. It stops at the p99 (218 ms; the slowest
    took over 4 times as long), and the note counts what it leaves out."""
    fig = latency([20 + i % 200 for i in range(5_000)] + [58_000, 61_000, 64_000])
    assert fig.layout.yaxis.type != "log" and fig.layout.xaxis.title.text == "Latency (ms)"
    assert max(fig.data[0].x) < 218 and sum(fig.data[0].y) == 5_003 - 28
    assert fig.layout.title.subtitle.text == (
        "Axis cut at the p99, 218 ms: 28 slower calls (up to 1 min 4 s) not drawn"
    )
    assert "Tool-call latency: 5,003 calls" in fig.layout.title.text


def test_latency_with_a_long_thin_tail_goes_log_and_says_so() -> None:
    """5,000 calls of 20 ms and 60 of 1-3 s: the slowest is within 4 times the p99, so the
    axis runs to it, and the tail's bars of a call or two would not show on a linear count
    axis beside the 5,000: the count axis goes log."""
    fig = latency([20] * 5_000 + [1_000 + 33 * i for i in range(60)])
    assert not [s for s in fig.layout.title.subtitle.text.split("<br>") if "Axis cut" in s]
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.title.text == "Calls (log scale)"
    assert fig.layout.yaxis.range[0] < 0  # bars of one call show above the axis
    assert "60 calls in bars too short to see on a linear one" in fig.layout.title.subtitle.text
    assert sum(fig.data[0].y) == 5_060
    assert session.thin_calls(np.array([5_000, 0, 3])) == 3
    assert session.thin_calls(np.array([40, 10, 1])) == 0


def test_waterfall_bars_say_which_call_or_bucket_they_are() -> None:
    calls = calls_frame(3).assign(id=["tc_a", "tc_b", "tc_c"])
    ok = by_name(session.tool_waterfall(calls, None), "call: ok")  # type: ignore[arg-type]
    assert [(row[0], row[CALL_ID], row[KIND]) for row in ok.customdata] == [
        (1, "tc_a", CALL),
        (2, "tc_b", CALL),
        (3, "tc_c", CALL),
    ]
    bucketed = session.tool_waterfall(calls_frame(60), None, max_bars=50)  # type: ignore[arg-type]
    assert {row[KIND] for row in by_name(bucketed, "calls: ok").customdata} == {BUCKET}


def test_latency_with_both_notes_makes_room_for_them_above_the_plot() -> None:
    """Cut at the p99 and on a log scale: two lines of subtitle, over the percentiles' labels
    unless the top margin grows (seen on the 20,000-call demo session)."""
    fig = latency([20] * 5_000 + [1_000 + 33 * i for i in range(60)] + [60_000, 61_000, 62_000])
    assert len(fig.layout.title.subtitle.text.split("<br>")) == 2
    assert fig.layout.margin.t == session.MARGIN["t"] + 16
    assert latency([*range(1, 101)]).layout.margin.t == session.MARGIN["t"]
