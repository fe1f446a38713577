"""Tables whose rows open their sessions, for the Tool paths and MCP traffic panels.

A row click writes the row's click-through params with the panel's period (so the Sessions
tab lists exactly the sessions the row counted), clears any earlier click-through, and
switches to the Sessions tab. AppTest has no dataframe clicks, so the selection is read in
the run (on_select="rerun") and the page reruns at once, as the chart clicks do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from components import metrics, url
from components.admin import data as admin_data
from components.admin import keys as ak
from queries.admin import AdminFilter

NO_LINK = (
    "This row's sessions cannot be listed: a name cannot be written in a link, or the row "
    "has no call."
)


def too_slow() -> str:
    """What a panel cut off after data.PANEL_TIMEOUT says instead of its table."""
    return (
        f"Not computed: this period's calls take over {admin_data.PANEL_TIMEOUT} to read "
        "here. Choose a shorter period with From and To."
    )


def panel(
    title: str,
    caption: str,
    frame: pd.DataFrame | None,
    key: str,
    view: Callable[[pd.DataFrame], pd.DataFrame],
    columns: Mapping[str, Any],
    params: Callable[[pd.DataFrame], Sequence[Mapping[str, str | None]]],
    shown: AdminFilter,
) -> None:
    """One panel: title and caption, then a note when its query was cut off (frame None) or
    found nothing, else its rows (view(frame)) that open the sessions of params(frame)."""
    with st.container():
        st.markdown(f"**{title}**")
        st.caption(caption)
        if frame is None:
            st.warning(too_slow(), icon=":material/hourglass_disabled:")
        elif frame.empty:
            st.info("None in this period.", icon=":material/info:")
        else:
            open_rows(key, view(frame), columns, params(frame), shown)


def delta(now: pd.Series, before: pd.Series, kind: metrics.Kind = metrics.COUNT) -> list[str]:
    """Each value against the previous period's, as the KPI cards write it (— when none)."""
    out = []
    for n, b in zip(now, before, strict=True):
        b = None if b is None or pd.isna(b) else float(b)
        n = None if n is None or pd.isna(n) else float(n)
        out.append(metrics.card("", n, b, kind).delta or "—")
    return out


def period_params(shown: AdminFilter) -> dict[str, str | None]:
    """The `from` / `to` of the period a panel covers."""
    return {
        ak.P_FROM: shown.date_from.isoformat() if shown.date_from else None,
        ak.P_TO: shown.date_to.isoformat() if shown.date_to else None,
    }


def open_rows(
    key: str,
    view: pd.DataFrame,
    columns: Mapping[str, Any],
    params: Sequence[Mapping[str, str | None]],
    shown: AdminFilter,
) -> None:
    """`view` as a table; a click on row i opens the sessions of params[i] in `shown`'s period."""
    event = st.dataframe(
        view,
        column_config={name: c for name, c in columns.items() if name in view.columns},
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=key,
        width="stretch",
    )
    picked = [i for i in event.selection.rows if i < len(params)]
    if not picked:
        return
    row = params[picked[0]]
    if not row:
        st.caption(NO_LINK)
        return
    cleared = dict.fromkeys(ak.NARROW_PARAMS)
    url.change(**{**cleared, **period_params(shown), **row, ak.P_TAB: None, ak.P_SECTION: None})
    st.rerun()
