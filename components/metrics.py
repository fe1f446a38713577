"""Metric cards with deltas: a number against a baseline, as st.metric cards that wrap.

Session details compares a session with the user's average session, the Admin KPIs a period
with the one before it; both build their cards here (pure, tested without Streamlit) and draw
them with `row`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import streamlit as st

from sessionscope import human


@dataclass(frozen=True)
class Card:
    """One st.metric: the value, its difference from the baseline, and how to colour it."""

    label: str
    value: str
    delta: str | None = None
    color: str = "normal"  # st.metric delta_color: normal (up is good), inverse, off
    arrow: str = "auto"  # "off" when nothing changed
    help: str | None = None


@dataclass(frozen=True)
class Kind:
    """How a number reads on a card: its value, a signed difference, and the delta's colour
    ("normal" when more is better, "inverse" when less is, "off" when neither)."""

    show: Callable[[float], str]
    signed: Callable[[float], str]
    color: str = "normal"


COUNT = Kind(human.number, human.signed_number)
NEUTRAL_COUNT = Kind(human.number, human.signed_number, "off")
PROBLEM_COUNT = Kind(human.number, human.signed_number, "inverse")
SUCCESS_RATE = Kind(human.percent, human.signed_pp)
ERROR_RATE = Kind(human.percent, human.signed_pp, "inverse")
LATENCY = Kind(human.millis, human.signed_millis, "inverse")
DURATION = Kind(human.duration, human.signed_duration, "off")


def card(
    label: str, now: float | None, before: float | None, kind: Kind, *, help: str | None = None
) -> Card:
    """The value and, when there is a baseline, its signed difference from it."""
    value = "—" if now is None else kind.show(now)
    if now is None or before is None:
        return Card(label, value, help=help)
    delta = kind.signed(now - before)
    zero = kind.signed(0.0).lstrip("+-")
    if delta.lstrip("+-") == zero:  # no difference at the precision shown
        return Card(label, value, "±" + zero, "off", "off", help)
    return Card(label, value, delta, kind.color, help=help)


def row(cards: Sequence[Card]) -> None:
    """The cards side by side, wrapping onto another row when the width runs out.

    In a horizontal container a stretch-wide metric grows from its content's width (flex basis
    fit-content), so a card is never narrower than its label and number: no value is cut
    ("14.…" in st.columns at 1,280 px, "806…" in four at 800 px);
    tests/browser/test_metric_widths_browser.py checks 800 to 1,600 px.
    """
    with st.container(horizontal=True, wrap=True, gap="small"):
        for c in cards:
            st.metric(
                c.label,
                c.value,
                c.delta,
                delta_color=c.color,  # type: ignore[arg-type]
                delta_arrow=c.arrow,  # type: ignore[arg-type]
                help=c.help,
                border=True,
                height="stretch",
            )
