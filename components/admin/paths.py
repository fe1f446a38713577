"""The Analytics tab's Tool paths panel: common sequences, loops, what comes before an error
or a ticket, and tickets per tool (queries.paths, cached in components.admin.data).

Every row opens the sessions behind it: a click writes the row's `path` (and `then`) params
and switches to the Sessions tab, which then lists only the sessions holding that path
(queries.tool_path). `row_params` is that mapping, pure so it is tested without a page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from components.admin import clicks
from components.admin import data as admin_data
from components.admin import keys as ak
from components.admin.filters import path_param
from queries.admin import AdminFilter
from queries.paths import STEP_COLUMNS
from queries.tool_path import Path

ARROW = " → "
START = "(start)"  # no earlier call in the session
NO_CALL = "(no call yet)"
FAILED = "✖"  # a symbol every text font has (an emoji without its font shows a box)
CLICK_HELP = "Click a row to list its sessions."


def _name(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _path_params(steps: Sequence[str], *, start: bool = False, then: str | None = None) -> dict:
    """The `path` / `then` params of a path; {} when a name cannot be written in a link."""
    text = path_param(Path(tuple(steps), start=start, then=then))
    return {} if text is None else {ak.P_PATH: text, ak.P_THEN: then}


def row_params(panel: str, row: dict[str, Any]) -> dict[str, str | None]:
    """The params that list the sessions behind a row of `panel` ({}: none can)."""
    if panel == "sequences":
        steps = [s for s in (_name(row.get(c)) for c in STEP_COLUMNS) if s]
        return _path_params(steps)
    if panel == "loops":
        return _path_params([row["tool_name"]] * 3)
    if panel == "before_error":
        before = [_name(row["before_2"]), _name(row["before_1"])]
        steps = [s for s in before if s] + [row["failed_tool"]]
        return _path_params(steps, start=None in before, then="error")
    last = _name(row.get("last_tool"))
    if last is None:  # the ticket came before any call
        return {}
    if panel == "before_ticket":
        first = _name(row["before_1"])
        return _path_params([first, last] if first else [last], start=first is None, then="ticket")
    return _path_params([last], then="ticket")  # tickets_per_tool


def _joined(*parts: Any) -> str:
    return ARROW.join(p if isinstance(p, str) else START for p in parts)


def _sequences_view(df: pd.DataFrame) -> pd.DataFrame:
    paths = [ARROW.join(s for s in r if isinstance(s, str)) for r in df[list(STEP_COLUMNS)].values]
    return pd.DataFrame(
        {
            "path": paths,
            "calls": df["length"],
            "sessions": df["sessions"],
            "occurrences": df["occurrences"],
        }
    )


def _loops_view(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(change=clicks.delta(df["sessions"], df["sessions_before"]))[
        ["tool_name", "sessions", "change", "loops", "longest", "calls"]
    ]


def _before_error_view(df: pd.DataFrame) -> pd.DataFrame:
    rows = df.to_dict("records")
    path = [
        _joined(*([r["before_2"]] if isinstance(r["before_1"], str) else []), r["before_1"])
        for r in rows
    ]
    return pd.DataFrame(
        {
            "before": path,
            "failed": [f"{FAILED} {r['failed_tool']}" for r in rows],
            "errors": df["errors"],
            "sessions": df["sessions"],
        }
    )


def _before_ticket_view(df: pd.DataFrame) -> pd.DataFrame:
    rows = df.to_dict("records")
    path = [
        _joined(r["before_1"], r["last_tool"]) if isinstance(r["last_tool"], str) else NO_CALL
        for r in rows
    ]
    return pd.DataFrame(
        {"before_ticket": path, "tickets": df["tickets"], "sessions": df["sessions"]}
    )


def _tickets_view(df: pd.DataFrame) -> pd.DataFrame:
    tools = [t if isinstance(t, str) else NO_CALL for t in df["last_tool"]]
    return pd.DataFrame(
        {
            "last_tool": tools,
            "tickets": df["tickets"],
            "change": clicks.delta(df["tickets"], df["tickets_before"]),
            "sessions": df["sessions"],
        }
    )


_COUNT = {"format": "localized"}
_COLUMNS = {
    "path": st.column_config.TextColumn("Path", width="medium"),
    "calls": st.column_config.NumberColumn("Calls", help="Calls in the sequence", **_COUNT),
    "sessions": st.column_config.NumberColumn(
        "Sessions", help="Sessions holding it at least once", **_COUNT
    ),
    "occurrences": st.column_config.NumberColumn(
        "Times", help="Every position it starts at", **_COUNT
    ),
    "tool_name": st.column_config.TextColumn("Tool"),
    "change": st.column_config.TextColumn(
        "vs previous", help="Against the period before (— where it had none)"
    ),
    "loops": st.column_config.NumberColumn("Loops", help="Runs of 3+ calls in a row", **_COUNT),
    "longest": st.column_config.NumberColumn("Longest", help="Calls in the longest run", **_COUNT),
    "before": st.column_config.TextColumn("Calls before", width="medium"),
    "before_ticket": st.column_config.TextColumn("Calls before the ticket", width="medium"),
    "failed": st.column_config.TextColumn("Failed call"),
    "errors": st.column_config.NumberColumn("Errors", **_COUNT),
    "tickets": st.column_config.NumberColumn("Tickets", **_COUNT),
    "last_tool": st.column_config.TextColumn("Last tool before the ticket"),
}

# panel -> (title, caption, the view of its frame, the ToolPaths field)
_PANELS: dict[str, tuple[str, str, Callable[[pd.DataFrame], pd.DataFrame], str]] = {
    "sequences": (
        "Common sequences",
        "2 to 4 consecutive tool calls, the 10 most common of each length.",
        _sequences_view,
        "sequences",
    ),
    "loops": ("Loops", "The same tool called 3 or more times in a row.", _loops_view, "loops"),
    "before_error": (
        "Before an error",
        "The one or two calls before a failed tool call.",
        _before_error_view,
        "before_error",
    ),
    "before_ticket": (
        "Before a ticket",
        "The last two calls before a support ticket was raised.",
        _before_ticket_view,
        "before_ticket",
    ),
    "tickets_per_tool": (
        "Tickets per tool",
        "Tickets by the last tool called before them.",
        _tickets_view,
        "tickets_per_tool",
    ),
}
PANELS = tuple(_PANELS)


def paths_section(org_id: str, flt: AdminFilter, before: AdminFilter | None) -> None:
    """The Tool paths panel of `flt`'s period, one table under the other (half widths cut
    columns off at 1,366 px)."""
    st.subheader("Tool paths", anchor=False)
    st.caption(
        "Consecutive tools/call requests within a session, in call order (other MCP "
        f"requests are skipped). {CLICK_HELP}"
    )
    with st.spinner("Reading tool paths…"):
        data = admin_data.tool_paths_of(org_id, flt, before)
    for name in PANELS:
        title, caption, view, field = _PANELS[name]
        clicks.panel(
            title,
            caption,
            getattr(data, field),
            ak.panel(name),
            view,
            _COLUMNS,
            lambda f, name=name: [row_params(name, r) for r in f.to_dict("records")],
            flt,
        )
