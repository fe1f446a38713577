"""The Analytics tab's MCP traffic panel: sessions and calls by client and by transport, and
the slowest and most failing tools, resources and prompts, each against the previous period
(queries.traffic, cached in components.admin.data).

Every row opens its sessions (components.admin.clicks): `client` (and `version`),
`transport`, or `method` and `target` (with `then=error` from the failing table).
`row_params` is that mapping, pure so it is tested without a page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from components import metrics
from components.admin import clicks
from components.admin import data as admin_data
from components.admin import keys as ak
from components.admin.filters import MAX_NAME, MAX_TRANSPORT
from queries.admin import AdminFilter
from sessionscope import human

UNRECORDED = "(not recorded)"
TOP = 10  # of each method in each table (queries.traffic.targets keeps as many)
METHOD_LABELS = {"tools/call": "tool", "resources/read": "resource", "prompts/get": "prompt"}
TRANSPORT_NOTE = (
    "Transport comes from OpenTelemetry traces (`network.transport` or `mcp.transport`); "
    "sessions imported or synced from other sources record none."
)


def _text(value: Any, limit: int = MAX_NAME) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= limit else None


def row_params(panel: str, row: dict[str, Any]) -> dict[str, str | None]:
    """The params that list the sessions behind a row of `panel` ({}: none can)."""
    if panel == "clients":
        name = _text(row["client_name"])
        if name is None:
            return {}
        return {ak.P_CLIENT: name, ak.P_VERSION: _text(row["client_version"])}
    if panel == "transports":
        transport = _text(row["transport"], MAX_TRANSPORT)
        return {ak.P_TRANSPORT: transport} if transport else {}
    target = _text(row["target"])
    if target is None:
        return {}
    params = {ak.P_METHOD: row["method"], ak.P_TARGET: target}
    return {**params, ak.P_THEN: "error"} if panel == "failing" else params


def _or_unrecorded(values: pd.Series) -> list[str]:
    return [v if isinstance(v, str) else UNRECORDED for v in values]


def _counts(df: pd.DataFrame) -> dict[str, Any]:
    return {
        "sessions": df["sessions"],
        "sessions_change": clicks.delta(df["sessions"], df["sessions_before"]),
        "calls": df["calls"],
        "calls_change": clicks.delta(df["calls"], df["calls_before"]),
        "errors": df["errors"],
    }


def _clients_view(df: pd.DataFrame) -> pd.DataFrame:
    versions = [v if isinstance(v, str) else "" for v in df["client_version"]]
    return pd.DataFrame(
        {"client": _or_unrecorded(df["client_name"]), "version": versions, **_counts(df)}
    )


def _transports_view(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"transport": _or_unrecorded(df["transport"]), **_counts(df)})


def _kind(methods: pd.Series) -> list[str]:
    return [METHOD_LABELS.get(m, m) for m in methods]


def slowest(targets: pd.DataFrame) -> pd.DataFrame:
    """The timed targets, slowest p95 first."""
    timed = targets[targets["p95_ms"].notna()]
    ordered = timed.sort_values(["p95_ms", "calls"], ascending=False, kind="stable")
    return ordered.groupby("method", sort=False).head(TOP)


def failing(targets: pd.DataFrame) -> pd.DataFrame:
    """The targets with errors, most errors first."""
    failed = targets[targets["errors"] > 0]
    ordered = failed.sort_values(["errors", "error_rate"], ascending=False, kind="stable")
    return ordered.groupby("method", sort=False).head(TOP)


def _millis(v: Any) -> str:
    return "—" if v is None or pd.isna(v) else human.millis(float(v))


def _slowest_view(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kind": _kind(df["method"]),
            "target": df["target"],
            "p95": [_millis(v) for v in df["p95_ms"]],
            "p95_change": clicks.delta(df["p95_ms"], df["p95_ms_before"], metrics.LATENCY),
            "p50": [_millis(v) for v in df["p50_ms"]],
            "calls": df["calls"],
        }
    )


def _failing_view(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kind": _kind(df["method"]),
            "target": df["target"],
            "errors": df["errors"],
            "error_rate": df["error_rate"],
            "rate_change": clicks.delta(
                df["error_rate"], df["error_rate_before"], metrics.ERROR_RATE
            ),
            "calls": df["calls"],
        }
    )


_COUNT = {"format": "localized"}
_CHANGE = {"help": "Against the period before (— where it had none)"}
_COLUMNS = {
    "client": st.column_config.TextColumn("Client"),
    "version": st.column_config.TextColumn("Version"),
    "transport": st.column_config.TextColumn("Transport"),
    "sessions": st.column_config.NumberColumn("Sessions", **_COUNT),
    "sessions_change": st.column_config.TextColumn("vs previous", **_CHANGE),
    "calls": st.column_config.NumberColumn("Calls", **_COUNT),
    "calls_change": st.column_config.TextColumn("Calls vs previous", **_CHANGE),
    "errors": st.column_config.NumberColumn("Errors", **_COUNT),
    "kind": st.column_config.TextColumn("Kind", width="small"),
    "target": st.column_config.TextColumn("Name", width="medium"),
    "p95": st.column_config.TextColumn("p95"),
    "p95_change": st.column_config.TextColumn("p95 vs previous", **_CHANGE),
    "p50": st.column_config.TextColumn("p50"),
    "error_rate": st.column_config.ProgressColumn(
        "Error rate", format="percent", min_value=0.0, max_value=1.0
    ),
    "rate_change": st.column_config.TextColumn("vs previous", **_CHANGE),
}

# panel -> (title, caption, rows of the Traffic data, the view)
_PANELS: dict[
    str, tuple[str, str, Callable[[admin_data.Traffic], pd.DataFrame | None], Callable]
] = {
    "clients": (
        "Clients",
        "Sessions and their calls by the client's name and version (its initialize).",
        lambda t: t.clients,
        _clients_view,
    ),
    "transports": ("Transports", TRANSPORT_NOTE, lambda t: t.transports, _transports_view),
    "slowest": (
        "Slowest tools, resources and prompts",
        "By p95 duration (10%-wide buckets); the 10 slowest of each kind.",
        lambda t: None if t.targets is None else slowest(t.targets),
        _slowest_view,
    ),
    "failing": (
        "Most failing tools, resources and prompts",
        "By failed calls; the 10 with the most of each kind.",
        lambda t: None if t.targets is None else failing(t.targets),
        _failing_view,
    ),
}
PANELS = tuple(_PANELS)


def traffic_section(org_id: str, flt: AdminFilter, before: AdminFilter | None) -> None:
    """The MCP traffic panel of `flt`'s period, one table under the other (half widths cut
    columns off at 1,366 px)."""
    st.subheader("MCP traffic", anchor=False)
    st.caption("Click a row to list its sessions.")
    with st.spinner("Reading MCP traffic…"):
        data = admin_data.traffic_of(org_id, flt, before)
    for name in PANELS:
        title, caption, rows_of, view = _PANELS[name]
        clicks.panel(
            title,
            caption,
            rows_of(data),
            ak.panel(name),
            view,
            _COLUMNS,
            lambda f, name=name: [row_params(name, r) for r in f.to_dict("records")],
            flt,
        )
