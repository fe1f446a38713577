"""The headline numbers of a period against the period before it, as st.metric cards.

Pure functions build the cards (tested without Streamlit); `kpi_row` draws them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from components import format as fmt
from queries.analytics import Kpis


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    delta: str | None = None
    color: str = "normal"  # st.metric delta_color: normal (up is good), inverse, off
    help: str | None = None
    arrow: str = "auto"  # "off" when nothing changed


def _count(n: float) -> str:
    return f"{n:,.0f}"


def _signed_count(d: float) -> str:
    return f"{d:+,.0f}"


def _card(
    label: str,
    now: float | None,
    before: float | None,
    show: Callable[[float], str],
    signed: Callable[[float], str] | None,
    *,
    color: str = "normal",
    help: str | None = None,
) -> Card:
    """A card with the value and, when both periods have one, the signed difference."""
    value = "—" if now is None else show(now)
    if signed is None or now is None or before is None:
        return Card(label, value, help=help)
    delta = signed(now - before)
    if delta.lstrip("+-") == signed(0.0).lstrip("+-"):  # no change at the precision shown
        return Card(label, value, "±" + delta.lstrip("+-"), "off", help, arrow="off")
    return Card(label, value, delta, color, help)


def cards(now: Kpis, before: Kpis | None) -> list[Card]:
    """The seven cards, counts and rates first; deltas only when there is a previous period."""
    b = before
    return [
        _card("Sessions", now.total_sessions, b and b.total_sessions, _count, _signed_count),
        _card(
            "Active now",
            now.active_now,
            None,
            _count,
            None,
            help="Sessions of this period still running now; a state, not a trend.",
        ),
        _card(
            "Success rate",
            now.success_rate,
            b and b.success_rate,
            fmt.percent,
            fmt.signed_pp,
            help="Completed of the ended (completed or failed) sessions.",
        ),
        _card(
            "Tool error rate",
            now.tool_error_rate,
            b and b.tool_error_rate,
            fmt.percent,
            fmt.signed_pp,
            color="inverse",
            help=f"{fmt.count(now.tool_errors, 'error')} in {fmt.count(now.tool_calls, 'call')}.",
        ),
        _card(
            "Median duration",
            now.median_duration_s,
            b and b.median_duration_s,
            fmt.duration,
            fmt.signed_duration,
            color="off",
        ),
        _card(
            "p95 duration",
            now.p95_duration_s,
            b and b.p95_duration_s,
            fmt.duration,
            fmt.signed_duration,
            color="off",
        ),
        _card(
            "Tickets opened",
            now.tickets_opened,
            b and b.tickets_opened,
            _count,
            _signed_count,
            color="inverse",
        ),
    ]


ROWS = (4, 3)  # counts and rates, then durations and tickets


def kpi_row(now: Kpis, before: Kpis | None) -> None:
    """The cards in two rows, counts and rates first, then durations and tickets; each row
    wraps when the width runs out.

    In a horizontal container a stretch-wide metric grows from its content's width, so a card
    is never narrower than its number (four st.columns cut "806…" at 800 px); one wrapping row
    of all seven left the seventh card alone and full-width at 1,366 px.
    tests/browser/test_metric_widths_browser.py checks 800 to 1,600 px."""
    order = cards(now, before)
    start = 0
    for n in ROWS:
        with st.container(horizontal=True, wrap=True, gap="small"):
            for card in order[start : start + n]:
                _metric(card)
        start += n


def _metric(card: Card) -> None:
    st.metric(
        card.label,
        card.value,
        card.delta,
        delta_color=card.color,  # type: ignore[arg-type]
        delta_arrow=card.arrow,  # type: ignore[arg-type]
        help=card.help,
        border=True,
        height="stretch",
    )
