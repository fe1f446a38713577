"""Figures of the Admin analytics, built from exactly the frames queries.analytics returns.

Selection: customdata[0] of every point is the value the Admin page filters its table by
(day as 'YYYY-MM-DD', tool_name, end_user_id or funnel step); sessions_per_day adds the
status as customdata[1]. Read them from st.plotly_chart(on_select="rerun") points.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from charts import palette
from charts.layout import (
    count_axis,
    day_keys,
    escaped,
    figure,
    human_s,
    is_empty,
    no_data,
    share,
)
from charts.shared import bars_by, step_funnel, tool_bars
from sessionscope.schema import SESSION_STATUSES

DAY_UTC = "Day (UTC)"
# (upper bound in seconds, unit, seconds per unit): the unit a duration axis is drawn in.
_UNITS = ((120.0, "s", 1.0), (7200.0, "min", 60.0), (float("inf"), "h", 3600.0))


def _day_axis(dates: pd.Series) -> dict[str, object]:
    """Ticks on whole days when the range is two weeks or less (no 12:00 ticks)."""
    if dates.max() - dates.min() <= pd.Timedelta(days=14):
        return {"dtick": 86_400_000, "tickformat": "%b %-d"}
    return {}


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
    traces = bars_by(
        rows,
        "status",
        statuses,
        x="date",
        y="sessions",
        custom=["day_key", "status", "sessions", "day_total"],
        hover="<b>%{customdata[0]}</b><br>%{customdata[1]}: %{y:,} sessions"
        "<br>All statuses: %{customdata[3]:,}<extra></extra>",
    )
    return figure(
        traces,
        title,
        x_title=DAY_UTC,
        y_title="Sessions",
        legend_title="Status",
        barmode="stack",
        xaxis=_day_axis(rows["date"]),
        yaxis=count_axis(float(rows["day_total"].max())),
    )


def success_rate(df: pd.DataFrame) -> go.Figure:
    """Share of ended sessions that completed per day (day, completed, failed, success_rate).

    customdata per point: [day, completed, failed].
    """
    title = "Success rate per day"
    if is_empty(df, ("day", "completed", "failed", "success_rate")):
        return no_data(title)
    rows = df.assign(day_key=day_keys(df["day"]), date=pd.to_datetime(df["day"]))
    trace = go.Scatter(
        x=rows["date"].to_numpy(),
        y=rows["success_rate"].to_numpy(),
        name="success rate",
        mode="lines+markers",
        line={"color": palette.STATUS_COLORS["completed"]},
        customdata=rows[["day_key", "completed", "failed"]].to_numpy(dtype=object),
        hovertemplate="<b>%{customdata[0]}</b><br>Success rate: %{y:.1%}"
        "<br>Completed: %{customdata[1]:,}<br>Failed: %{customdata[2]:,}<extra></extra>",
    )
    return figure(
        [trace],
        title,
        x_title=DAY_UTC,
        y_title="Completed of ended sessions",
        xaxis=_day_axis(rows["date"]),
        yaxis={"tickformat": ".0%", "range": [0, 1.05]},
    )


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
    hover = "<b>%{customdata[0]}</b><br>%{customdata[1]}: %{customdata[2]}<extra></extra>"
    traces = [
        go.Scatter(
            x=part["date"].to_numpy(),
            y=part["value"].to_numpy(),
            name=name,
            mode="lines+markers",
            line={"color": palette.ACCENT, "dash": dash},  # told apart without colour
            customdata=part[["day_key", "percentile", "words"]].to_numpy(dtype=object),
            hovertemplate=hover,
        )
        for (name, dash) in zip(names.values(), ("solid", "dot"), strict=True)
        for part in [rows[rows["percentile"] == name]]
    ]
    return figure(
        traces,
        title,
        x_title=DAY_UTC,
        y_title=f"Session duration ({unit})",
        legend_title="Percentile",
        xaxis=_day_axis(rows["date"]),
    )


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
    traces = bars_by(
        rows,
        "measure",
        ("all", "failed"),
        x="n",
        y="end_user_id",
        custom=["end_user_id", "label", "sessions", "failed", "failed_share"],
        hover="<b>%{customdata[1]}</b><br>Sessions: %{customdata[2]:,}"
        "<br>Failed: %{customdata[3]:,} (%{customdata[4]})<extra></extra>",
        colors={"all": palette.ACCENT, "failed": palette.STATUS_COLORS["failed"]},
        orientation="h",
    )
    ids = users["end_user_id"].tolist()
    return figure(
        traces,
        title,
        x_title="Sessions",
        y_title="User",
        legend_title="Sessions",
        barmode="group",
        xaxis=count_axis(float(users["sessions"].max())),
        yaxis={
            "categoryorder": "array",
            "categoryarray": ids,
            "tickvals": ids,
            "ticktext": _user_label(users).tolist(),
            "autorange": "reversed",
        },
    )


def workflow_funnel(df: pd.DataFrame) -> go.Figure:
    """Workflow results summed over sessions (step, value) as a funnel.

    customdata per step: [step, percent of the previous step].
    """
    if is_empty(df, ("step", "value")):
        return no_data("Workflow funnel")
    return step_funnel(df["step"].tolist(), df["value"].tolist(), title="Workflow funnel")
