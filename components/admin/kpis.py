"""The headline numbers of a period against the period before it, as st.metric cards.

`cards` builds them (components.metrics, tested without Streamlit); `kpi_row` draws them.
"""

from __future__ import annotations

from components import metrics
from components.metrics import Card
from queries.analytics import Kpis
from sessionscope import human


def cards(now: Kpis, before: Kpis | None) -> list[Card]:
    """The seven cards, counts and rates first; deltas only when there is a previous period."""
    b = before
    return [
        metrics.card("Sessions", now.total_sessions, b and b.total_sessions, metrics.COUNT),
        metrics.card(
            "Active now",
            now.active_now,
            None,  # a state, not a trend: no delta
            metrics.COUNT,
            help="Sessions of this period still running now; a state, not a trend.",
        ),
        metrics.card(
            "Success rate",
            now.success_rate,
            b and b.success_rate,
            metrics.SUCCESS_RATE,
            help="Completed of the ended (completed or failed) sessions.",
        ),
        metrics.card(
            "Tool error rate",
            now.tool_error_rate,
            b and b.tool_error_rate,
            metrics.ERROR_RATE,
            help=f"{human.count(now.tool_errors, 'error')} in "
            f"{human.count(now.tool_calls, 'call')}.",
        ),
        metrics.card(
            "Median duration", now.median_duration_s, b and b.median_duration_s, metrics.DURATION
        ),
        metrics.card("p95 duration", now.p95_duration_s, b and b.p95_duration_s, metrics.DURATION),
        metrics.card(
            "Tickets opened", now.tickets_opened, b and b.tickets_opened, metrics.PROBLEM_COUNT
        ),
    ]


ROWS = (4, 3)  # counts and rates, then durations and tickets


def kpi_row(now: Kpis, before: Kpis | None) -> None:
    """The cards in two rows, counts and rates first, then durations and tickets; each row
    wraps when the width runs out (metrics.row). One wrapping row of all seven left the
    seventh card alone and full-width at 1,366 px."""
    order = cards(now, before)
    start = 0
    for n in ROWS:
        metrics.row(order[start : start + n])
        start += n
