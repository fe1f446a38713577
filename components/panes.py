"""The explorer's layout: three panes side by side from 1,280 px, each scrolling by itself
within the viewport; from 900 px the details go under the timeline; stacked below that.

Streamlit stacks columns only below 640 px; the steps above that are media queries on the
keyed containers. The session list and the timeline are radios styled as cards and rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components import format as fmt
from components import keys, url

WIDE_PX = 1280  # from this width the three panes sit side by side
STACK_BELOW_PX = 900  # below this width every pane stacks
_OUTER = "us_panes"  # the row of the left pane and the main column
_MAIN = "us_main"  # the column holding the center and right panes

_PANES = ", ".join(f".st-key-{k}" for k in (keys.US_LEFT, keys.US_CENTER, keys.US_RIGHT))
_ROWS = "> [data-testid='stLayoutWrapper'] > [data-testid='stHorizontalBlock']"
_OUTER_ROW = f".st-key-{_OUTER} {_ROWS}"
_INNER = f".st-key-{_MAIN} [data-testid='stHorizontalBlock']"
_CARD = f".st-key-{keys.US_LIST} [role='radiogroup'] > div"
_ROW = f".st-key-{keys.US_TL_ITEMS} [role='radiogroup'] > div"
_LISTS = f":is(.st-key-{keys.US_LIST}, .st-key-{keys.US_TL_ITEMS})"
_CSS = """
<style>
[data-testid="stMainBlockContainer"] {
  padding: 3rem 1.25rem 0.5rem 1.25rem !important; max-width: none !important;
}
.st-key-us_left h3, .st-key-us_center h3 {
  font-size: 1.25rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
  padding: 0.25rem 0 0 0;
}
@media (min-width: WIDEpx) {
  PANES { height: calc(100dvh - TOPrem); flex: 0 0 auto !important; overflow-y: auto;
          overscroll-behavior: contain; scrollbar-gutter: stable; flex-wrap: nowrap;
          padding-right: 0.25rem; }
}
@media (max-width: WIDE_MINUSpx) {
  INNER { flex-wrap: wrap !important; }
  INNER > [data-testid="stColumn"] { flex: 1 1 100% !important; min-width: 100% !important; }
  .st-key-us_left { height: calc(100dvh - TOPrem); flex: 0 0 auto !important; overflow-y: auto; }
  .st-key-us_center { max-height: 70dvh; flex: 0 0 auto !important; overflow-y: auto; }
}
@media (max-width: STACKpx) {
  OUTER_ROW { flex-wrap: wrap !important; }
  OUTER_ROW > [data-testid="stColumn"] { flex: 1 1 100% !important; min-width: 100% !important; }
  .st-key-us_left { height: auto; max-height: 60dvh; }
}
/* The session list and the timeline: radios whose options are cards and one-line rows.
   The option's label covers the whole card (::after), so a click anywhere on it selects. */
LISTS { width: 100%; }
LISTS [role="radiogroup"] { width: 100%; flex-wrap: nowrap; }
LISTS [data-testid="stRadioOption"] { width: 100%; margin: 0; padding: 0; position: static; }
LISTS [data-testid="stRadioOption"]::after {
  content: ""; position: absolute; inset: 0; z-index: 1;
}
LISTS [data-testid="stRadioOption"] > div > div:first-child:not([data-testid]) { display: none; }
LISTS [data-testid="stRadioOption"] > div { min-width: 0; width: 100%; }
LISTS p { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; margin: 0; }
LISTS [data-testid="stRadioCaption"] { padding: 0; margin: 0; pointer-events: none; }
LISTS [data-testid="stRadioCaption"] [data-testid="stCaptionContainer"] { opacity: 1; }
PANES { scroll-margin-top: 4rem; }
CARD, ROW { position: relative; width: 100%; border-left: 3px solid transparent; cursor: pointer; }
CARD { padding: 0.3rem 0.6rem; margin-bottom: 0.375rem; border-radius: 0.5rem;
       border: 1px solid rgba(128, 128, 128, 0.3); border-left-width: 3px; }
ROW { padding: 0.05rem 0.5rem; border-radius: 0.25rem; }
CARD:hover { border-color: rgba(128, 128, 128, 0.6); }
ROW:hover { background: rgba(128, 128, 128, 0.08); }
CARD:has(input:checked), ROW:has(input:checked) {
  background: rgba(128, 128, 128, 0.16); border-left-color: #ff4b4b;
}
CARD:has(input:focus-visible), ROW:has(input:focus-visible) { outline: 2px solid #ff4b4b; }
MARK
</style>
"""


def explorer_css(top_rem: float) -> None:
    """The page's CSS; `top_rem` is the height above the panes (padding, any banner)."""
    css = (
        _CSS.replace("WIDE_MINUS", str(WIDE_PX - 1))
        .replace("WIDE", str(WIDE_PX))
        .replace("STACK", str(STACK_BELOW_PX))
        .replace("TOP", f"{top_rem:g}")
        .replace("PANES", _PANES)
        .replace("INNER", _INNER)
        .replace("OUTER_ROW", _OUTER_ROW)
        .replace("LISTS", _LISTS)
        .replace("CARD", _CARD)
        .replace("ROW", _ROW)
        .replace("MARK", fmt.MARK_CSS)
    )
    st.html(css)


def outer_panes() -> tuple[DeltaGenerator, DeltaGenerator]:
    """The left pane's container and the column that holds the center and right panes."""
    left, main = st.container(key=_OUTER).columns([1.0, 2.7], gap="medium")
    return left.container(key=keys.US_LEFT), main.container(key=_MAIN)


def inner_panes() -> tuple[DeltaGenerator, DeltaGenerator]:
    """The center (timeline) and right (details) panes, inside the main column."""
    center, right = st.columns([1.2, 1.5], gap="medium")
    return center.container(key=keys.US_CENTER), right.container(key=keys.US_RIGHT)


_REVEAL = """<script>
if (window.parent.innerWidth < {below}) {{
  const pane = window.parent.document.querySelector(".st-key-{key}");
  if (pane) pane.scrollIntoView({{behavior: "smooth", block: "start"}});
}}
</script>"""


def reveal(key: str, *, below: int = WIDE_PX) -> None:
    """Scroll the pane `key` into view when the window is narrower than `below` (the pane a
    click filled is then under the one clicked). The script is ours: no input reaches it."""
    st.html(_REVEAL.format(key=key, below=below), unsafe_allow_javascript=True)


# Again on the next frames: the new window may be drawn after the script runs, and the
# browser's scroll anchoring would then keep the old position.
_TO_TOP = """<script>
(() => {{
  const toTop = () => {{
    const pane = window.parent.document.querySelector(".st-key-{key}");
    if (pane) pane.scrollTop = 0;
  }};
  toTop();
  for (const ms of [50, 150, 400]) setTimeout(toTop, ms);
}})();
</script>"""


def to_top(key: str) -> None:
    """Scroll pane `key` back to its top (its list moved to another window: the new one is
    read from its start). The script is ours: no input reaches it. Drawn where it is called,
    not in the sidebar: the list may be a live fragment, whose runs leave the sidebar be."""
    st.html(_TO_TOP.format(key=key), unsafe_allow_javascript=True)


def pane_under_below(key: str) -> int:
    """The width under which pane `key` sits below the pane whose click fills it."""
    return WIDE_PX if key == keys.US_RIGHT else STACK_BELOW_PX


def choice_list(
    label: str,
    key: str,
    options: dict[str, str],
    param: str,
    on_change: Callable[..., None],
    args: tuple = (),
    captions: list[str] | None = None,
) -> None:
    """A list whose options ({id: markdown label}) are cards or rows: one st.radio that
    selects the URL's `param`, set before it is drawn; its callback, called with `args`,
    reads the choice from st.session_state[key]. The CSS above styles it by its key."""
    labels = tagged(options)
    selected = url.param(param)
    selected = selected if selected in labels else None
    st.session_state[key] = selected
    st.radio(
        label,
        list(labels),
        index=None,
        format_func=labels.__getitem__,
        captions=captions,
        key=key,
        label_visibility="collapsed",
        on_change=_picked,
        args=(key, frozenset(labels), param, selected, on_change, args),
        width="stretch",
    )


def _picked(
    key: str,
    ids: frozenset[str],
    param: str,
    drawn: str | None,
    on_change: Callable[..., None],
    args: tuple,
) -> None:
    """`on_change(*args)` with the list's value made the id its label names, unless nothing
    was chosen anew. A radio's browser side sends the chosen option's label, and Streamlit
    hands back a label it no longer offers as the value itself: a live card retitled by a
    refresh still names its session by its tag. Chosen anew is:
    - not the URL's `param` now, as the click arrives: the option the list was drawn with
      (`drawn`) is not the choice any more once a click reruns fragments other than the
      list's, and a click back to it must choose it;
    - and not `drawn` named by a label no longer offered: that is the browser sending the
      drawn option's old label again with another widget's change (a refresh relabelled
      it), even when that change, a card's click, has just taken the param away."""
    value = st.session_state.get(key)
    option_id = owner(value, ids)
    if option_id is None:
        return
    st.session_state[key] = option_id
    resent = value not in ids and option_id == drawn
    if not resent and option_id != url.param(param):
        on_change(*args)


def tagged(options: dict[str, str]) -> dict[str, str]:
    """{id: label} with each label tagged by its id (format.tag): a radio tells its options
    apart by their text (Streamlit 1.67), so two cards titled alike would otherwise select
    each other, and a label no longer offered (a stale one) would become whichever option
    now reads the same."""
    out: dict[str, str] = {}
    seen: set[str] = set()
    for option_id, label in options.items():
        text = label + fmt.tag(option_id)
        while text in seen:  # two ids with one checksum and one label
            text += fmt.TAG_AGAIN
        seen.add(text)
        out[option_id] = text
    return out


def owner(value: object, ids: frozenset[str]) -> str | None:
    """The id a list's value names: the value itself when it is one of `ids`; for a label
    (one no longer offered), the one id whose tag it ends with; else None."""
    if value in ids:
        return str(value)
    tag = fmt.tag_of(value) if isinstance(value, str) else None
    if tag is None:
        return None
    named = [option_id for option_id in ids if fmt.tag(option_id) == tag]
    return named[0] if len(named) == 1 else None


# CHECKED: the selected options to place; AGAIN: later tries (ms), for a selection the
# browser draws after the script runs (the old one is found first).
_IN_VIEW = """<script>
(() => {
  const doc = window.parent.document;
  let tries = 0;
  const place = () => {
    const picked = [...doc.querySelectorAll("CHECKED")];
    if (!picked.length && tries++ < 30) { setTimeout(place, 100); return; }
    for (const input of picked) {
      const option = input.closest("[role='radiogroup'] > div");
      const pane = option && option.closest(".st-key-us_left, .st-key-us_center");
      if (!pane || pane.scrollHeight <= pane.clientHeight) continue;
      const at = option.getBoundingClientRect(), box = pane.getBoundingClientRect();
      if (at.top < box.top || at.bottom > box.bottom) pane.scrollTop += at.top - box.top - 48;
    }
  };
  place();
  for (const ms of AGAIN) setTimeout(place, ms);
})();
</script>"""
_CHECKED = ".st-key-{} input:checked"


def _in_view_script(lists: tuple[str, ...], again: tuple[int, ...] = ()) -> str:
    checked = ", ".join(_CHECKED.format(key) for key in lists)
    return _IN_VIEW.replace("CHECKED", checked).replace("AGAIN", json.dumps(list(again)))


def selection_in_view() -> None:
    """Scroll the selected card and timeline row into view inside their panes, where a pane
    scrolls by itself and they are out of its view (narrow windows). Our script, no input;
    in the sidebar, where its empty element takes no room from the panes."""
    script = _in_view_script((keys.US_LIST, keys.US_TL_ITEMS))
    st.sidebar.html(script, unsafe_allow_javascript=True)


def row_in_view() -> None:
    """Scroll the timeline's selected row into view in its pane: chosen by Find's next or
    previous, it may be below the pane's fold. Drawn where it is called, after the rows (it
    takes no room above them), not in the sidebar: the panes' run leaves the sidebar be."""
    script = _in_view_script((keys.US_TL_ITEMS,), again=(50, 150, 400))
    st.html(script, unsafe_allow_javascript=True)
