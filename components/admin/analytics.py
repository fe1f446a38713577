"""System-wide analytics of the filtered sessions: KPI cards against the previous period and
the charts of charts/admin.py. Every number is aggregated in SQL (queries.analytics, cached
in components.admin.data).

Without a date range in the URL the analytics cover the last DEFAULT_DAYS days (the table
still shows all sessions): a bounded period is what the cards compare with the period
before, and it keeps the aggregates cheap on a large organization.

Clicking a bar or point narrows the table to it (see `narrow`): the click's callback writes
the params and switches to the Sessions tab before the next run draws anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from functools import partial
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from components import url
from components.admin import data as admin_data
from components.admin import keys as ak
from components.admin.kpis import kpi_row
from components.admin.paths import paths_section
from components.admin.traffic import traffic_section
from components.keys import P_USER
from queries.admin import AdminFilter, broad
from queries.analytics import previous_period
from sessionscope import clock

DEFAULT_DAYS = 30
TOOL_NOTE = (
    "Tool filtering is not a session filter: the table lists sessions, and a tool's calls "
    "span many of them. The tool's numbers are in the chart's hover."
)
FUNNEL_NOTE = "Funnel steps are totals over workflow sessions, not a session filter."
NARROWING_NOTE = (
    "The tool path, client, transport or call a row click chose narrows the Sessions tab "
    "only; these analytics cover every session of the filters."
)


def period(flt: AdminFilter, *, today: date) -> AdminFilter:
    """The filter with a bounded date range: the URL's, completed, or the last DEFAULT_DAYS."""
    span = timedelta(days=DEFAULT_DAYS - 1)
    if flt.date_from and flt.date_to:
        return flt
    if flt.date_from:
        return replace(flt, date_to=max(today, flt.date_from))
    if flt.date_to:
        return replace(flt, date_from=flt.date_to - span)
    return replace(flt, date_from=today - span, date_to=today)


def narrow(chart: str, customdata: Sequence[Any]) -> tuple[dict[str, str | None], str | None]:
    """What a click on a chart's point does: the params to set, or a note to show instead."""
    if customdata is None or len(customdata) == 0:
        return {}, None
    first = str(customdata[0])
    if chart in ("per_day", "success", "durations"):
        day = {ak.P_FROM: first, ak.P_TO: first}
        if chart == "per_day" and len(customdata) > 1:
            return {**day, ak.P_STATUS: str(customdata[1])}, None
        if chart == "success":
            return {**day, ak.P_STATUS: "completed,failed"}, None
        return day, None
    if chart == "users":
        return {P_USER: first}, None
    if chart == "tools":
        return {}, TOOL_NOTE
    return {}, FUNNEL_NOTE


def _clicked(chart: str) -> None:
    """A chart's on_select callback: narrow the table to the clicked point."""
    points = points_of(st.session_state.get(ak.chart(chart)))
    if not points:
        return
    params, note = narrow(chart, points[0].get("customdata") or ())
    if params:
        url.change(**params, **{ak.P_TAB: None})  # and back to the Sessions tab
    st.session_state[ak.CHART_NOTE] = note


def _chart(name: str, fig: go.Figure) -> None:
    st.plotly_chart(
        fig,
        key=ak.chart(name),
        on_select=partial(_clicked, name),
        selection_mode=("points",),
        width="stretch",
    )


def _period_caption(shown: AdminFilter, flt: AdminFilter, before: AdminFilter | None) -> None:
    assert shown.date_from and shown.date_to
    text = f"{shown.date_from:%Y-%m-%d} to {shown.date_to:%Y-%m-%d} (UTC)"
    if flt.date_from is None and flt.date_to is None:
        text = f"Last {DEFAULT_DAYS} days, {text}; set From and To above for another period"
    if before is not None and before.date_from and before.date_to:
        text += f" · deltas against {before.date_from:%Y-%m-%d} to {before.date_to:%Y-%m-%d}"
    st.caption(text + ". Click a bar or point to list its sessions.")


def analytics_section(org_id: str, flt: AdminFilter, *, today: date | None = None) -> None:
    """The filter's period (the last 30 days by default) in three lazy tabs: KPI cards and
    the chart grid, the tool paths, the MCP traffic."""
    if flt.narrowed:  # a row click's narrowing lists sessions; the analytics cover them all
        st.caption(NARROWING_NOTE)
        flt = broad(flt)
    shown = period(flt, today=today or clock.now().date())
    before = previous_period(shown)
    _period_caption(shown, flt, before)
    note = st.session_state.pop(ak.CHART_NOTE, None)
    if note:
        st.info(note, icon=":material/info:")
    _open_section()
    overview, tool_paths, traffic = st.tabs(
        list(ak.SECTION_LABELS), key=ak.SECTIONS, on_change=_write_section
    )
    if overview.open:
        with overview:
            _overview(org_id, shown, before)
    if tool_paths.open:
        with tool_paths:
            paths_section(org_id, shown, before)
    if traffic.open:
        with traffic:
            traffic_section(org_id, shown, before)


def _overview(org_id: str, shown: AdminFilter, before: AdminFilter | None) -> None:
    data = admin_data.analytics_of(org_id, shown, before)
    kpi_row(data.kpis, data.kpis_before)
    grid = st.columns(2)
    for i, name in enumerate(admin_data.CHARTS):
        with grid[i % 2]:
            _chart(name, data.figures[name])


def _open_section() -> None:
    """The section the URL names (`section`, a label; none: the first), set into the tabs
    before they are drawn; an unknown one gets a message and leaves the URL."""
    raw = st.query_params.get(ak.P_SECTION)
    label = raw if raw in ak.SECTION_LABELS else None
    if raw is not None and label is None:
        url.warn_removed([f"unknown `{ak.P_SECTION}` {url.quoted(raw)}"], "params")
    if raw is not None and label in (None, ak.SECTION_LABELS[0]):
        url.drop(ak.P_SECTION)
    st.session_state[ak.SECTIONS] = label or ak.SECTION_LABELS[0]


def _write_section() -> None:
    label = st.session_state.get(ak.SECTIONS)
    first = label in (None, ak.SECTION_LABELS[0])
    url.change(**{ak.P_SECTION: None if first else label})


def points_of(state: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The selected points of a chart's state (empty when nothing is selected)."""
    if not state:
        return []
    return list(state.get("selection", {}).get("points", []))
