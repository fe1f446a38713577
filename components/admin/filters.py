"""The Admin filter bar: the URL is the state, the widgets mirror it.

Every run reads the params (status, user, from, to, q, server), drops what is malformed
with one short message, and builds the AdminFilter. Each widget is set from the URL before
it is drawn, and its change callback writes its param back with `change`, one history
entry per change; so a shared link, Back/Forward and a chart click all restore the same view.

The checks themselves (`check_text`, `check_choices`, `last`, `warn_removed`) are
components.url's, shared with the audit log and the User sessions page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components import format as fmt
from components import url
from components.admin import data as admin_data
from components.admin import keys as ak
from components.keys import P_Q, P_USER
from queries.admin import AdminFilter
from queries.tool_path import MAX_STEPS, THEN, Path
from sessionscope.schema import SESSION_STATUSES, TARGET_METHODS

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MIN_DATE, MAX_DATE = date(2000, 1, 1), date(2099, 12, 31)
# Table cells: symbols every text font has (a missing emoji font shows empty boxes).
STATUS_SYMBOLS = {"active": "▶", "paused": "❚❚", "completed": "✔", "failed": "✖"}


@dataclass(frozen=True)
class Parsed:
    """The filter the params describe, what was wrong, and the params to rewrite."""

    flt: AdminFilter
    problems: tuple[str, ...] = ()
    rewrite: dict[str, str | None] = field(default_factory=dict)


def status_label(status: str) -> str:
    """'✖ failed': a symbol and the word, so status never relies on colour alone."""
    return f"{STATUS_SYMBOLS.get(status, '•')} {status}"


def _status_pill(status: str) -> str:
    return f"{fmt.STATUS_ICONS.get(status, '')} {status}"


def _date(name: str, value: str | None, problems: list[str]) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value) if _DATE.match(value) else None
    except ValueError:
        day = None
    if day is None or not MIN_DATE <= day <= MAX_DATE:
        problems.append(f"`{name}` {url.quoted(value)} is not a date like 2026-11-01")
        return None
    return day


def parse(params: Mapping[str, Sequence[str]], *, server_ids: Collection[str]) -> Parsed:
    """The AdminFilter of these params (each a list of values) and what must leave the URL."""

    def one(name: str) -> str | None:
        return url.last(params.get(name, ()))

    problems: list[str] = []
    user_q = url.check_text(P_USER, one(P_USER), problems)
    title_q = url.check_text(P_Q, one(P_Q), problems)
    date_from = _date(ak.P_FROM, one(ak.P_FROM), problems)
    date_to = _date(ak.P_TO, one(ak.P_TO), problems)
    if date_from and date_to and date_from > date_to:
        problems.append("`from` is after `to`")
        date_from = date_to = None
    statuses = url.check_choices(
        ak.P_STATUS, params.get(ak.P_STATUS, ()), SESSION_STATUSES, problems
    )
    server_ids_ = url.check_choices(ak.P_SERVER, params.get(ak.P_SERVER, ()), server_ids, problems)
    flt = AdminFilter(
        user_q=user_q,
        title_q=title_q,
        date_from=date_from,
        date_to=date_to,
        statuses=statuses,
        server_ids=server_ids_,
        **narrowing(one, problems),
    )
    # Only a link with something wrong is rewritten: every rewrite is a browser history
    # entry, and Back would land on the same link again for nothing.
    wanted = to_params(flt)
    rewrite = {n: wanted[n] for n in ak.FILTER_PARAMS if problems and wanted[n] != one(n)}
    return Parsed(flt, tuple(problems), rewrite)


def to_params(flt: AdminFilter) -> dict[str, str | None]:
    """The URL params of a filter (None for those it does not set)."""
    then = flt.path.then if flt.path else "error" if flt.call_failed else None
    return {
        ak.P_STATUS: ",".join(flt.statuses) or None,
        P_USER: flt.user_q,
        ak.P_FROM: flt.date_from.isoformat() if flt.date_from else None,
        ak.P_TO: flt.date_to.isoformat() if flt.date_to else None,
        P_Q: flt.title_q,
        ak.P_SERVER: ",".join(flt.server_ids) or None,
        ak.P_PATH: path_param(flt.path) if flt.path else None,
        ak.P_THEN: then,
        ak.P_CLIENT: flt.client_name,
        ak.P_VERSION: flt.client_version,
        ak.P_TRANSPORT: flt.transport,
        ak.P_METHOD: flt.call_method,
        ak.P_TARGET: flt.call_target,
    }


# --- the click-through params ---------------------------------------------------------------

PATH_START, PATH_SEP = "^", ">"
MAX_NAME = 255  # a tool, resource, prompt or client name (tool_calls.tool_name's length)
MAX_TRANSPORT = 64


def path_param(path: Path) -> str | None:
    """`^search>fetch`: the `path` param of a path; None when a name cannot be written in
    one (it holds `>` or starts with `^`, or is too long)."""
    if any(PATH_SEP in s or s.startswith(PATH_START) or len(s) > MAX_NAME for s in path.steps):
        return None
    return (PATH_START if path.start else "") + PATH_SEP.join(path.steps)


def _name(value: str) -> bool:
    return 0 < len(value) <= MAX_NAME and value.isprintable()


def _path(raw: str | None, problems: list[str]) -> tuple[str, ...] | None:
    """The steps of a `path` param (None when absent or malformed; why in `problems`)."""
    if raw is None:
        return None
    steps = raw.removeprefix(PATH_START).split(PATH_SEP)
    fits = len(raw) <= MAX_STEPS * (MAX_NAME + 1) and len(steps) <= MAX_STEPS
    if fits and all(_name(s) for s in steps):
        return tuple(steps)
    problems.append(
        f"`{ak.P_PATH}` {url.quoted(raw)} is not a tool path (1 to {MAX_STEPS} tool names "
        f"joined by {PATH_SEP})"
    )
    return None


def _checked(
    name: str, raw: str | None, ok: Callable[[str], bool], problems: list[str]
) -> str | None:
    if raw is None or ok(raw):
        return raw
    problems.append(f"`{name}` {url.quoted(raw)} is not valid")
    return None


def narrowing(one: Callable[[str], str | None], problems: list[str]) -> dict[str, Any]:
    """The AdminFilter fields of the click-through params; what is malformed, or only makes
    sense with another param that is missing, goes into `problems`."""
    raw_path = one(ak.P_PATH)
    steps = _path(raw_path, problems)
    then = _checked(ak.P_THEN, one(ak.P_THEN), lambda v: v in THEN, problems)
    client = _checked(ak.P_CLIENT, one(ak.P_CLIENT), _name, problems)
    version = _checked(ak.P_VERSION, one(ak.P_VERSION), _name, problems)
    transport = _checked(
        ak.P_TRANSPORT,
        one(ak.P_TRANSPORT),
        lambda v: _name(v) and len(v) <= MAX_TRANSPORT,
        problems,
    )
    method = _checked(ak.P_METHOD, one(ak.P_METHOD), lambda v: v in TARGET_METHODS, problems)
    target = _checked(ak.P_TARGET, one(ak.P_TARGET), _name, problems)
    if version and not client:
        problems.append(f"`{ak.P_VERSION}` needs a `{ak.P_CLIENT}`")
        version = None
    if (method is None) != (target is None):
        problems.append(f"`{ak.P_METHOD}` and `{ak.P_TARGET}` go together")
        method = target = None
    if then and not (steps or (then == "error" and method)):
        problems.append(f"`{ak.P_THEN}` needs a `{ak.P_PATH}`")
        then = None
    path = None
    if steps:
        path = Path(steps, start=bool(raw_path and raw_path.startswith(PATH_START)), then=then)
    return {
        "path": path,
        "client_name": client,
        "client_version": version,
        "transport": transport,
        "call_method": method,
        "call_target": target,
        "call_failed": bool(then == "error" and method and not steps),
    }


def read_url(org_id: str) -> AdminFilter:
    """The filter in the URL; anything malformed gets a message and leaves the URL."""
    servers = admin_data.servers(org_id)
    params = {name: st.query_params.get_all(name) for name in ak.FILTER_PARAMS}
    parsed = parse(params, server_ids=set(servers["id"]))
    if parsed.rewrite:
        url.change(**parsed.rewrite)
    url.warn_removed(parsed.problems)
    return parsed.flt


def open_tab() -> None:
    """The tab the URL names (`tab`, a tab's label; none: the first), set into the tabs before
    they are drawn; an unknown one is dropped with a message. `write_tab` writes it back."""
    raw = st.query_params.get(ak.P_TAB)
    tab = raw if raw in ak.TAB_LABELS else None
    if raw is not None and tab is None:
        url.warn_removed([f"unknown `{ak.P_TAB}` {url.quoted(raw)}"], "params")
    if raw is not None and tab in (None, ak.TAB_LABELS[0]):
        url.drop(ak.P_TAB)  # unknown, or the default, which the URL leaves out
    st.session_state[ak.TABS] = tab or ak.TAB_LABELS[0]


def write_tab() -> None:
    """The tabs changed: the open one becomes `tab` (the first, the default, leaves the URL)."""
    label = st.session_state.get(ak.TABS)
    url.change(**{ak.P_TAB: None if label in (None, ak.TAB_LABELS[0]) else label})


# --- the widgets --------------------------------------------------------------------------------

# How each widget's value becomes its param's text.
_WRITE: dict[str, Callable[[object], str | None]] = {
    ak.P_STATUS: lambda v: ",".join(v or ()) or None,  # type: ignore[arg-type]
    ak.P_SERVER: lambda v: ",".join(v or ()) or None,  # type: ignore[arg-type]
    ak.P_FROM: lambda v: v.isoformat() if isinstance(v, date) else None,
    ak.P_TO: lambda v: v.isoformat() if isinstance(v, date) else None,
    P_USER: lambda v: (str(v).strip() or None) if v else None,
    P_Q: lambda v: (str(v).strip() or None) if v else None,
}


def _write(param: str) -> None:
    """A widget changed: its param, in one URL update."""
    url.change(**{param: _WRITE[param](st.session_state.get(ak.WIDGET_OF[param]))})


def _mirror(flt: AdminFilter) -> None:
    """Each widget shows what the URL says (set before the widgets are drawn)."""
    st.session_state[ak.F_USER] = flt.user_q or ""
    st.session_state[ak.F_Q] = flt.title_q or ""
    st.session_state[ak.F_STATUS] = list(flt.statuses)
    st.session_state[ak.F_SERVER] = list(flt.server_ids)
    st.session_state[ak.F_FROM] = flt.date_from
    st.session_state[ak.F_TO] = flt.date_to


def clear_all() -> None:
    url.drop(*ak.FILTER_PARAMS)


def _unnarrow() -> None:
    url.drop(*ak.NARROW_PARAMS)


def describe(flt: AdminFilter) -> str | None:
    """The click-through narrowing in words (markdown, names escaped); None when unset."""
    parts = []
    if flt.path is not None:
        steps = " → ".join(f"**{fmt.md(s, limit=60)}**" for s in flt.path.steps)
        text = f"the tool path {steps}" + (
            " from the session's first call" if flt.path.start else ""
        )
        ends = {"error": ", its last call failing", "ticket": ", then a ticket"}
        parts.append(text + ends.get(flt.path.then or "", ""))
    if flt.client_name is not None:
        version = f" {fmt.md(flt.client_version, limit=40)}" if flt.client_version else ""
        parts.append(f"client **{fmt.md(flt.client_name, limit=60)}{version}**")
    if flt.transport is not None:
        parts.append(f"transport **{fmt.md(flt.transport, limit=40)}**")
    if flt.call_method is not None:
        failed = " failing" if flt.call_failed else ""
        parts.append(
            f"a{failed} `{fmt.md(flt.call_method)}` of **{fmt.md(flt.call_target, limit=80)}**"
        )
    return "Only sessions with " + "; ".join(parts) + "." if parts else None


def narrowing_note(flt: AdminFilter) -> None:
    """What an analytics row click narrowed the table to, with a way back."""
    text = describe(flt)
    if text is None:
        return
    note, clear = st.columns([9, 1], vertical_alignment="center")
    note.info(text, icon=":material/filter_alt:")
    clear.button(
        "Show all", key=ak.F_UNNARROW, on_click=_unnarrow, icon=":material/close:", type="tertiary"
    )


def filter_bar(org_id: str) -> AdminFilter:
    """The filter bar, set from the URL; returns the filter the page shows."""
    flt = read_url(org_id)
    _mirror(flt)
    # The four status pills need about 400 px: at 1,280 px with the sidebar open, 53 %.
    user, title, status = st.columns([4, 4, 9], vertical_alignment="bottom")
    _search_box(user, "User", ak.F_USER, P_USER, "Email, name or id")
    _search_box(title, "Title contains", ak.F_Q, P_Q, "Words in the title")
    status.pills(
        "Status",
        list(SESSION_STATUSES),
        selection_mode="multi",
        key=ak.F_STATUS,
        format_func=_status_pill,
        on_change=_write,
        args=(ak.P_STATUS,),
    )
    _second_row(admin_data.servers(org_id))
    narrowing_note(flt)
    return replace(flt, include_archived=bool(st.session_state.get(ak.F_ARCHIVED)))


def _search_box(col: DeltaGenerator, label: str, key: str, param: str, placeholder: str) -> None:
    col.text_input(
        label,
        key=key,
        max_chars=url.MAX_SEARCH,
        placeholder=placeholder,
        icon=":material/search:",
        on_change=_write,
        args=(param,),
    )


def _second_row(servers: pd.DataFrame) -> None:
    names = dict(zip(servers["id"], servers["name"], strict=True))
    server, since, until, archived, clear = st.columns([3, 2, 2, 2, 1], vertical_alignment="bottom")
    server.multiselect(
        "Server or workflow",
        list(names),
        key=ak.F_SERVER,
        format_func=lambda sid: names.get(sid, sid),
        placeholder="All",
        on_change=_write,
        args=(ak.P_SERVER,),
    )
    for col, label, key, param in (
        (since, "From", ak.F_FROM, ak.P_FROM),
        (until, "To", ak.F_TO, ak.P_TO),
    ):
        col.date_input(
            f"{label} (UTC)",
            value=None,
            key=key,
            min_value=MIN_DATE,
            max_value=MAX_DATE,
            format="YYYY-MM-DD",
            on_change=_write,
            args=(param,),
        )
    archived.toggle(
        "Show archived", key=ak.F_ARCHIVED, help="Archived sessions are hidden unless on."
    )
    clear.button(
        "Clear",
        key=ak.F_CLEAR,
        on_click=clear_all,
        icon=":material/filter_alt_off:",
        type="tertiary",
    )
