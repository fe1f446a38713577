"""The three-pane layout: three columns when wide, two over one from ~1,400 px, stacked narrow.

Streamlit stacks columns only below 640 px; the two steps above that are media
queries on the keyed container that holds the columns.
"""

from __future__ import annotations

import streamlit as st

PANES_KEY = "us_panes"
PANE_HEIGHT = 720  # px; each list pane scrolls by itself
STACK_BELOW_PX = 900  # viewport width under which the panes stack

_ROW = f".st-key-{PANES_KEY} > [data-testid='stLayoutWrapper'] > [data-testid='stHorizontalBlock']"
_CSS = f"""
<style>
@media (max-width: 1400px) {{
  {_ROW} {{ flex-wrap: wrap !important; }}
  {_ROW} > [data-testid="stColumn"] {{
    flex: 1 1 calc(50% - 1rem) !important; min-width: calc(50% - 1rem) !important;
  }}
  {_ROW} > [data-testid="stColumn"]:nth-child(3) {{
    flex: 1 1 100% !important; min-width: 100% !important;
  }}
}}
@media (max-width: {STACK_BELOW_PX}px) {{
  {_ROW} > [data-testid="stColumn"] {{ flex: 1 1 100% !important; min-width: 100% !important; }}
}}
/* Compact cards: small padding, a little space between them. */
[class*="st-key-us_card_"] {{ padding: 0.5rem 0.75rem !important; }}
[class*="st-key-us_card_"] button {{ text-align: left; min-height: 0; padding: 0; }}
[class*="st-key-us_row_"] button {{ justify-content: flex-start; min-height: 2rem; }}
[class*="st-key-us_row_"] button > div {{ justify-content: flex-start; }}
</style>
"""


def three_panes() -> tuple[st.delta_generator.DeltaGenerator, ...]:
    """Left (sessions), center (timeline), right (details) containers."""
    st.html(_CSS)
    with st.container(key=PANES_KEY):
        return tuple(st.columns([1.0, 1.25, 1.35], gap="medium"))
