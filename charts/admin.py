"""Figures of the Admin analytics, built from exactly the frames queries.analytics returns.

Selection: customdata[0] of every point is the value the Admin page filters its table by
(day as 'YYYY-MM-DD', tool_name, end_user_id or funnel step); sessions_per_day adds the
status as customdata[1]. Read them from st.plotly_chart(on_select="rerun") points.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from charts import palette
from charts.layout import day_keys, escaped, human_s, is_empty, no_data, share, styled
from charts.shared import step_funnel, tool_bars
from sessionscope.schema import SESSION_STATUSES

DAY_UTC = "Day (UTC)"
# (upper bound in seconds, unit, seconds per unit): the unit a duration axis is drawn in.
_UNITS = ((120.0, "s", 1.0), (7200.0, "min", 60.0), (float("inf"), "h", 3600.0))


def _daily_ticks(fig: go.Figure, dates: pd.Series) -> go.Figure:
    """Ticks on whole days when the range is two weeks or less (no 12:00 ticks)."""
    if dates.max() - dates.min() <= pd.Timedelta(days=14):
        fig.update_xaxes(dtick=86_400_000, tickformat="%b %-d")
    return fig


def sessions_per_day(df: pd.DataFrame) -> go.Figure:
    """Sessions started per day (day, status, sessions) as bars stacked by status.

    customdata per bar: [day, status, sessions, sessions that day].
    """
    title = "Sessions per day"
    if is_empty(df, ("day", "status", "sessions")):
        return no_data(title)
    rows = df.assign(
        day_key=day_keys(df["day"]),
        date=pd.to_datetime(df["day"]),
        day_total=df.groupby("day")["sessions"].transform("sum"),
        status=escaped(df["status"]).to_numpy(),
    )
    statuses = list(SESSION_STATUSES) + sorted(set(rows["status"]) - set(SESSION_STATUSES))
    fig = px.bar(
        rows,
        x="date",
        y="sessions",
        color="status",
        pattern_shape="status",
        color_discrete_map=palette.STATUS_COLORS,
        color_discrete_sequence=[palette.UNKNOWN],
        pattern_shape_map=palette.STATUS_PATTERNS,
        category_orders={"status": statuses},
        custom_data=["day_key", "status", "sessions", "day_total"],
    )
    fig.update_traces(
        hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}: %{y:,} sessions"
        "<br>All statuses: %{customdata[3]:,}<extra></extra>"
    )
    fig.update_layout(barmode="stack")
    _daily_ticks(fig, rows["date"])
    return styled(fig, title, x_title=DAY_UTC, y_title="Sessions", legend_title="Status")


def success_rate(df: pd.DataFrame) -> go.Figure:
    """Share of ended sessions that completed per day (day, completed, failed, success_rate).

    customdata per point: [day, completed, failed].
    """
    title = "Success rate per day"
    if is_empty(df, ("day", "completed", "failed", "success_rate")):
        return no_data(title)
    rows = df.assign(day_key=day_keys(df["day"]), date=pd.to_datetime(df["day"]))
    fig = px.line(
        rows,
        x="date",
        y="success_rate",
        markers=True,
        custom_data=["day_key", "completed", "failed"],
        color_discrete_sequence=[palette.STATUS_COLORS["completed"]],
    )
    fig.update_traces(
        name="success rate",
        hovertemplate="<b>%{customdata[0]}</b><br>Success rate: %{y:.1%}"
        "<br>Completed: %{customdata[1]:,}<br>Failed: %{customdata[2]:,}<extra></extra>",
    )
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    _daily_ticks(fig, rows["date"])
    return styled(fig, title, x_title=DAY_UTC, y_title="Completed of ended sessions")


def _duration_unit(seconds: pd.Series) -> tuple[str, float]:
    """The unit a duration axis reads best in, from the largest value: s, min or h."""
    top = float(seconds.max()) if seconds.notna().any() else 0.0
    return next((unit, per) for bound, unit, per in _UNITS if top < bound)


def duration_percentiles(df: pd.DataFrame) -> go.Figure:
    """Median (p50) and p95 session duration per day (day, p50_s, p95_s) as two lines.

    customdata per point: [day, percentile, duration in words].
    """
    title = "Session duration per day"
    if is_empty(df, ("day", "p50_s", "p95_s")):
        return no_data(title)
    names = {"p50_s": "median (p50)", "p95_s": "p95"}
    rows = df.assign(day_key=day_keys(df["day"]), date=pd.to_datetime(df["day"]))
    rows = rows.melt(["day_key", "date"], list(names), var_name="percentile", value_name="s")
    rows["percentile"] = rows["percentile"].map(names)
    unit, per = _duration_unit(rows["s"])
    rows = rows.assign(value=rows["s"] / per, words=human_s(rows["s"]))
    fig = px.line(
        rows,
        x="date",
        y="value",
        color="percentile",
        line_dash="percentile",
        markers=True,
        color_discrete_sequence=[palette.ACCENT],
        custom_data=["day_key", "percentile", "words"],
    )
    fig.update_traces(
        hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}: %{customdata[2]}<extra></extra>"
    )
    _daily_ticks(fig, rows["date"])
    y_title = f"Session duration ({unit})"
    return styled(fig, title, x_title=DAY_UTC, y_title=y_title, legend_title="Percentile")


def top_tools(df: pd.DataFrame) -> go.Figure:
    """Most-called tools (tool_name, calls, errors, error_rate, p50_ms, p95_ms), ok/error bars.

    customdata per bar: [tool_name, calls, errors, error rate, latency text].
    """
    return tool_bars(df, title="Top tools by calls")


def _user_label(df: pd.DataFrame) -> pd.Series:
    """The user's email, or the end user id when there is none, safe for plotly."""
    return escaped(df["user_email"].where(df["user_email"].notna(), df["end_user_id"]))


def _user_rows(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (user, measure): all sessions and failed ones, with label and share."""
    base = df.assign(
        label=_user_label(df).to_numpy(),
        failed_share=[share(f, s) for f, s in zip(df["failed"], df["sessions"], strict=True)],
        all=df["sessions"],
        failed_n=df["failed"],
    )
    keep = ["end_user_id", "label", "sessions", "failed", "failed_share"]
    rows = base.melt(keep, ["all", "failed_n"], var_name="measure", value_name="n")
    return rows.assign(measure=rows["measure"].replace({"failed_n": "failed"}))


def top_users(df: pd.DataFrame) -> go.Figure:
    """Users with most sessions (end_user_id, user_email, sessions, failed): all vs failed.

    customdata per bar: [end_user_id, user label, sessions, failed, failed share].
    """
    title = "Top users by sessions"
    if is_empty(df, ("end_user_id", "user_email", "sessions", "failed")):
        return no_data(title)
    users = df.drop_duplicates("end_user_id").sort_values("sessions", ascending=False)
    rows = _user_rows(users)
    fig = px.bar(
        rows,
        x="n",
        y="end_user_id",
        color="measure",
        pattern_shape="measure",
        orientation="h",
        barmode="group",
        color_discrete_map={"all": palette.ACCENT, "failed": palette.STATUS_COLORS["failed"]},
        pattern_shape_map={"all": "", "failed": palette.FAILURE_PATTERN},
        category_orders={"measure": ["all", "failed"]},
        custom_data=["end_user_id", "label", "sessions", "failed", "failed_share"],
    )
    fig.update_traces(
        hovertemplate="<b>%{customdata[1]}</b><br>Sessions: %{customdata[2]:,}"
        "<br>Failed: %{customdata[3]:,} (%{customdata[4]})<extra></extra>"
    )
    ids = users["end_user_id"].tolist()
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=ids,
        tickvals=ids,
        ticktext=_user_label(users).tolist(),
        autorange="reversed",
    )
    return styled(fig, title, x_title="Sessions", y_title="User", legend_title="Sessions")


def workflow_funnel(df: pd.DataFrame) -> go.Figure:
    """Workflow results summed over sessions (step, value) as a funnel.

    customdata per step: [step, percent of the previous step].
    """
    if is_empty(df, ("step", "value")):
        return no_data("Workflow funnel")
    return step_funnel(df["step"].tolist(), df["value"].tolist(), title="Workflow funnel")
