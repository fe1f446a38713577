"""The Compare page: two sessions' tool calls aligned side by side (or two calls), a JSON diff
of the chosen pair, and the "Compare with…" picker the explorer's session headers offer.

The ids (`a`, `b`), the chosen pair (`pair`, its number in the alignment) and the view's
flags (`diff`: differences only; `protocol`: protocol requests aligned too) live in the URL.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

import pandas as pd
import streamlit as st

from components import data, keys, url
from components import format as fmt
from queries.compare import (
    CAP,
    DIFFERS,
    ONLY_A,
    ONLY_B,
    OUTCOME,
    REPLACED,
    SAME,
    Alignment,
)
from queries.items import ToolCallDetail
from queries.sessions import ListFilter, SessionDetail
from sessionscope import human
from sessionscope.schema import TOOL_CALL_METHOD

PREFIXES = ("ses_", "tc_")
MATCH = {
    SAME: "= same",
    DIFFERS: "≠ arguments or result",
    OUTCOME: "≠ outcome",
    REPLACED: "⇄ another tool",
    ONLY_A: "◀ only in A",
    ONLY_B: "▶ only in B",
}
DIFF_CHARS = 200_000  # of each side's JSON text diffed: difflib over more takes seconds
DIFF_LINES = 2_000  # of the diff shown: a longer code block stalls the browser
TABLE_ROW_PX = 35


def _kind(item_id: str) -> str:
    return "session" if item_id.startswith("ses_") else "tool call"


# --- the ids in the link -----------------------------------------------------------------------


def checked_ids(org_id: str) -> tuple[str | None, str | None, list[str]]:
    """`a` and `b` when each names a session or tool call this organization can see, and b
    is not a itself nor of the other kind; the rest is dropped from the URL, and why listed."""
    problems: list[str] = []
    found: dict[str, str] = {}
    for name in (keys.P_CMP_A, keys.P_CMP_B):
        raw = url.param(name)
        if raw is None:
            continue
        if not url.is_id(raw, PREFIXES):
            problems.append(f"`{name}` {url.quoted(raw)} is not a session or tool call id")
        elif not _visible(org_id, raw):
            problems.append(f"`{name}`: this {_kind(raw)} is not available")
        else:
            found[name] = raw
            continue
        url.drop(name)
    a, b = found.get(keys.P_CMP_A), found.get(keys.P_CMP_B)
    if a and b and (a == b or _kind(a) != _kind(b)):
        why = "is the same as `a`" if a == b else f"is a {_kind(b)}, `a` a {_kind(a)}"
        problems.append(f"`b` {why}: compare two sessions or two tool calls")
        url.drop(keys.P_CMP_B)
        b = None
    return a, b, problems


def _visible(org_id: str, item_id: str) -> bool:
    if item_id.startswith("ses_"):
        return data.session(org_id, item_id) is not None
    return isinstance(data.item(org_id, item_id), ToolCallDetail)


def compare_page(org_id: str) -> None:
    """The whole page: the two sessions or calls, or what to choose when a link lacks one."""
    st.title(":material/compare_arrows: Compare", anchor=False)
    a, b, problems = checked_ids(org_id)
    url.warn_removed(problems, what="ids")
    if a and b and a.startswith("ses_"):
        compare_sessions(org_id, a, b)
    elif a and b:
        compare_calls(org_id, a, b)
    else:
        if url.param(keys.P_CMP_PAIR) is not None:  # a pair of no comparison
            url.drop(keys.P_CMP_PAIR)
        choose(org_id, a or b)


def choose(org_id: str, one: str | None) -> None:
    """A link with one id (or none): what it names, and how to pick the other."""
    if one is None:
        st.info(
            "Choose two sessions to compare: open a session and use **Compare with…** in its "
            "header, or open a link `/compare?a=ses_…&b=ses_…` (two tool calls: "
            "`a=tc_…&b=tc_…`).",
            icon=":material/compare_arrows:",
        )
        st.page_link(keys.PAGE_USERS, label="Go to Users", icon=":material/arrow_forward:")
        return
    if one.startswith("tc_"):
        call = data.item(org_id, one)
        if not isinstance(call, ToolCallDetail):  # gone since the check: nothing to show
            return
        st.info("Add a second tool call as `b` to compare it with this one.", icon=":material/add:")
        with st.columns(2)[0].container(border=True):
            call_card(org_id, "A", call)
        return
    session = data.session_now(org_id, one)
    if session is None:
        return
    st.info("Choose a second session to compare with this one.", icon=":material/add:")
    with st.columns(2)[0].container(border=True):  # where A shows beside B
        session_card("A", session)
        compare_with(session, keys.SD_COMPARE_WITH)


# --- "Compare with…": the explorer's way in ----------------------------------------------------


_ID_MAX = 64  # sessions.id's length


def compare_with(session: SessionDetail, key: str) -> None:
    """A popover listing the user's newest sessions and a box for any other session's id:
    choosing one shows a link to their comparison (a real link: a new tab works too). Its
    content is drawn only while it is open (opening it reruns the pane), so a closed one costs
    a run no query and no options."""
    box = st.popover(
        "Compare with…",
        icon=":material/compare_arrows:",
        type="tertiary",
        key=popover_key(key),
        on_change="rerun",
    )
    if box.open:
        with box:
            _compare_choices(session, key)


def popover_key(key: str) -> str:
    """The open state of the "Compare with…" popover whose picker is `key`."""
    return f"{key}_open"


def _compare_choices(session: SessionDetail, key: str) -> None:
    """The user's newest sessions (the list's first window) and a box for any session id."""
    page = data.user_sessions(session.org_id, session.end_user_id, ListFilter(), None)
    others = {r.id: _option(r) for r in page.rows.itertuples() if r.id != session.id}
    if not others:
        st.caption("This user has no other session to compare with.")
        return
    choice = st.selectbox(
        "Another session of this user"
        + (f" (of the {len(page.rows):,} newest)" if page.next_cursor else ""),
        list(others),
        index=None,
        width=440,  # room for the title, start, status and calls of each option
        format_func=others.__getitem__,
        placeholder="Choose a session",
        key=key,
    )
    # An older session than the list's first window: by its id (the Compare page checks
    # that it is one of this organization's sessions).
    typed = st.text_input(
        "Or a session by its id",
        key=f"{key}_id",
        placeholder="ses_…",
        max_chars=_ID_MAX,
        width=440,
    ).strip()
    choice = choice or typed or None
    if choice is not None:
        st.page_link(
            keys.PAGE_COMPARE,
            label="Compare these two sessions",
            icon=":material/compare_arrows:",
            query_params={keys.P_CMP_A: session.id, keys.P_CMP_B: choice},
        )


def _option(row: Any) -> str:
    """Plain text (a selectbox shows its options as typed, not as markdown)."""
    title = fmt.title_of(row)
    title = title if len(title) <= 60 else title[:59] + "…"
    calls = human.count(int(row.total_tool_calls), "call")
    return f"{title} · {human.absolute(row.started_at)} · {row.status} · {calls}"


# --- headers -------------------------------------------------------------------------------------


def _user_label(session: SessionDetail) -> str:
    return session.user_display_name or session.user_email or session.user_distinct_id


def session_card(side: str, session: SessionDetail) -> None:
    """Title, status, user, server, start, duration and counts, and a way into the explorer."""
    st.markdown(f":gray-badge[{side}] **{fmt.md(fmt.title_of(session), limit=100)}**")
    st.markdown(
        f"{fmt.status_badge(session.status)} :material/person: "
        f"{fmt.md(_user_label(session), limit=40)} · :material/dns: "
        f"{fmt.md(session.server_name, limit=40)}"
    )
    # Not a caption: the counts' red error count would be faded below a readable contrast.
    st.markdown(
        f"Started {human.absolute(session.started_at)} · "
        f"{human.duration(session.duration_s)} · {fmt.counts_line(session)}"
    )
    st.page_link(
        keys.PAGE_USER,
        label="Open in the explorer",
        icon=":material/open_in_new:",
        query_params={keys.P_USER: session.end_user_id, keys.P_SESSION: session.id},
    )


def call_card(org_id: str, side: str, call: ToolCallDetail) -> SessionDetail | None:
    """The call's name, outcome, number, start and session; returns that session."""
    session = data.session(org_id, call.session_id)
    st.markdown(f":gray-badge[{side}] **{fmt.md(_call_label(call), limit=100)}**")
    st.markdown(
        f"{_outcome(call.is_error)} call #{call.seq:,} · {human.millis(call.duration_ms)} · "
        f"started {human.absolute(call.started_at)}"
    )
    if session is not None:
        st.caption(f"In {fmt.md(fmt.title_of(session), limit=80)} · {fmt.md(_user_label(session))}")
        st.page_link(
            keys.PAGE_USER,
            label="Open in the explorer",
            icon=":material/open_in_new:",
            query_params={
                keys.P_USER: session.end_user_id,
                keys.P_SESSION: session.id,
                keys.P_ITEM: call.id,
            },
        )
    return session


def _call_label(call: ToolCallDetail) -> str:
    if call.method == TOOL_CALL_METHOD:
        return call.tool_name
    return call.method if call.tool_name in ("", call.method) else f"{call.method} {call.tool_name}"


def _outcome(is_error: bool) -> str:
    return ":red-badge[:material/error: error]" if is_error else ":green-badge[:material/check: ok]"


# --- two sessions --------------------------------------------------------------------------------


def compare_sessions(org_id: str, a_id: str, b_id: str) -> None:
    """Both headers, the alignment's summary and table, then the chosen pair in full."""
    a, b = data.session_now(org_id, a_id), data.session_now(org_id, b_id)
    if a is None or b is None:  # archived between the check and now
        st.warning("One of these sessions is no longer available.", icon=":material/link_off:")
        return
    left, right = st.columns(2, gap="medium")
    for column, side, session in ((left, "A", a), (right, "B", b)):
        with column.container(border=True):
            session_card(side, session)
    problems: list[str] = []
    protocol = url.flag(keys.P_CMP_PROTOCOL, problems)
    diff_only = url.flag(keys.P_CMP_DIFF, problems)
    fresh = data.freshness("active" in (a.status, b.status))
    with st.spinner("Aligning the calls…"):
        found = data.compare_sessions(org_id, a.id, b.id, protocol, fresh)
    pair = _pair_param(found, problems)
    url.warn_removed(problems, what="settings")
    _summary(found, a, b, protocol)
    _toggles(protocol, diff_only)
    if found.rows.empty:
        return
    shown = found.rows[found.rows["status"] != SAME] if diff_only else found.rows
    if shown.empty:
        st.caption("Every aligned pair is the same.")
    else:
        pair = _table(
            shown.reset_index(drop=True), pair, _table_key(a.id, b.id, diff_only, protocol)
        )
    if pair is not None:
        _pair_detail(org_id, found.rows.iloc[pair - 1], a, b)


def _pair_param(found: Alignment, problems: list[str]) -> int | None:
    """The chosen pair's number, when the link's is one of this alignment's."""
    raw = url.param(keys.P_CMP_PAIR)
    if raw is None:
        return None
    # ASCII digits only, and few: int() refuses "²" and numbers past 4,300 digits.
    if raw.isascii() and raw.isdigit() and len(raw) <= 9 and 1 <= int(raw) <= len(found.rows):
        return int(raw)
    problems.append(f"`{keys.P_CMP_PAIR}` {url.quoted(raw)} is not a pair of this comparison")
    url.drop(keys.P_CMP_PAIR)
    return None


def _summary(found: Alignment, a: SessionDetail, b: SessionDetail, protocol: bool) -> None:
    what = "requests" if protocol else "tool calls"
    if found.rows.empty:
        st.info(f"Neither session has {what} to compare.", icon=":material/inbox:")
        return
    n = found.counts
    differ = n[DIFFERS] + n[OUTCOME] + n[REPLACED]
    st.markdown(
        f"**{n[SAME]:,}** same · **{differ:,}** differ ({n[DIFFERS]:,} in arguments or result, "
        f"{n[OUTCOME]:,} in outcome, {n[REPLACED]:,} another tool) · **{n[ONLY_A]:,}** only "
        f"in A · **{n[ONLY_B]:,}** only in B"
    )
    for side, capped, session in (("A", found.a_capped, a), ("B", found.b_capped, b)):
        if capped:
            st.caption(
                f":material/content_cut: Only the first {CAP:,} {what} of {side} are compared "
                f"(it has {session.total_tool_calls:,} tool calls)."
            )


def _toggles(protocol: bool, diff_only: bool) -> None:
    st.session_state[keys.CMP_DIFF] = diff_only
    st.session_state[keys.CMP_PROTOCOL] = protocol
    with st.container(horizontal=True, gap="medium"):
        st.toggle(
            "Differences only",
            key=keys.CMP_DIFF,
            on_change=url.write_flag,
            args=(keys.P_CMP_DIFF, keys.CMP_DIFF),
        )
        st.toggle(
            "Protocol requests too",
            key=keys.CMP_PROTOCOL,
            on_change=_write_protocol,
            help="Align initialize, tools/list, resources/read… beside the tool calls.",
        )


def _write_protocol() -> None:
    """Pairs are numbered anew when requests join or leave: the chosen one goes."""
    on = bool(st.session_state.get(keys.CMP_PROTOCOL))
    url.change(**{keys.P_CMP_PROTOCOL: "1" if on else None, keys.P_CMP_PAIR: None})


def _table_key(a_id: str, b_id: str, diff_only: bool, protocol: bool) -> str:
    """One table per view: a row's position means another pair in another view."""
    return f"{keys.CMP_PAIRS}_{a_id}_{b_id}_{int(diff_only)}_{int(protocol)}"


def table_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The aligned pairs as the table shows them: A's call beside B's."""
    out = {"#": rows["pair"], "Match": rows["status"].map(MATCH)}
    for side in ("A", "B"):
        s = side.lower()
        out[f"{side} #"] = rows[f"{s}_seq"].astype("Int64")
        out[f"{side} call"] = rows[f"{s}_label"]
        out[f"{side} result"] = rows[f"{s}_is_error"].map({True: "error", False: "ok"})
        out[f"{side} ms"] = rows[f"{s}_duration_ms"].astype("Int64")
    return pd.DataFrame(out)


def _table(rows: pd.DataFrame, pair: int | None, key: str) -> int | None:
    """The pairs, one row each; choosing a row (or clearing it) writes `pair`. The table's
    selection is compared with the one it had last run, so a change is the viewer's."""
    frame = table_frame(rows)
    at = frame.index[frame["#"] == pair].tolist() if pair is not None else []
    event = st.dataframe(
        frame,
        hide_index=True,
        key=key,
        on_select="rerun",
        selection_mode="single-row",
        selection_default={"selection": {"rows": at}} if at else None,
        height=min(420, TABLE_ROW_PX * (len(frame) + 1) + 3),
        column_config=_columns(),
        placeholder="",
    )
    chosen = list(event.selection.rows)
    seen_key = f"{key}_seen"
    seen = st.session_state.get(seen_key)
    st.session_state[seen_key] = chosen
    if seen is None or chosen == seen:
        return pair
    new = int(frame["#"].iloc[chosen[0]]) if chosen else None
    url.change(**{keys.P_CMP_PAIR: None if new is None else str(new)})
    return new


def _columns() -> dict[str, Any]:
    """Narrow numbers and outcomes; the tool names take the rest (fits 1,366 px beside the
    sidebar: the call columns were cut off at a fixed "medium")."""
    narrow = {f"{side} {col}": 48 for side in "AB" for col in ("#", "ms")}
    narrow |= {"A result": 56, "B result": 56, "#": 44}
    config: dict[str, Any] = {
        name: st.column_config.Column(width=width) for name, width in narrow.items()
    }
    config["Match"] = st.column_config.TextColumn(width=150)
    # Sized, not auto: auto sizes a column to its first rows, empty where A has no call.
    config |= {f"{side} call": st.column_config.TextColumn(width=172) for side in "AB"}
    return config


def _pair_detail(org_id: str, row: pd.Series, a: SessionDetail, b: SessionDetail) -> None:
    x = _call(org_id, row["a_id"])
    y = _call(org_id, row["b_id"])
    st.subheader(f"Pair #{int(row['pair']):,}: {MATCH[row['status']]}", anchor=False)
    if x is not None and y is not None:
        st.page_link(
            keys.PAGE_COMPARE,
            label="Compare these two calls alone",
            icon=":material/link:",
            query_params={keys.P_CMP_A: x.id, keys.P_CMP_B: y.id},
        )
    call_diff(x, y, (a.started_at, b.started_at))


def _call(org_id: str, item_id: Any) -> ToolCallDetail | None:
    if not isinstance(item_id, str):  # the side without a call (NaN in the frame)
        return None
    found = data.item(org_id, item_id)
    return found if isinstance(found, ToolCallDetail) else None


# --- two calls -----------------------------------------------------------------------------------


def compare_calls(org_id: str, a_id: str, b_id: str) -> None:
    """Both calls' cards, a link to their sessions' comparison, then the diff."""
    x, y = data.item(org_id, a_id), data.item(org_id, b_id)
    if not isinstance(x, ToolCallDetail) or not isinstance(y, ToolCallDetail):
        st.warning("One of these tool calls is no longer available.", icon=":material/link_off:")
        return
    left, right = st.columns(2, gap="medium")
    sessions = []
    for column, side, call in ((left, "A", x), (right, "B", y)):
        with column.container(border=True):
            sessions.append(call_card(org_id, side, call))
    sa_, sb = sessions
    if sa_ is not None and sb is not None and sa_.id != sb.id:
        st.page_link(
            keys.PAGE_COMPARE,
            label="Compare their sessions",
            icon=":material/compare_arrows:",
            query_params={keys.P_CMP_A: sa_.id, keys.P_CMP_B: sb.id},
        )
    starts = (sa_.started_at if sa_ else None, sb.started_at if sb else None)
    call_diff(x, y, starts)


# --- the diff of two calls -----------------------------------------------------------------------


def call_diff(x: ToolCallDetail | None, y: ToolCallDetail | None, starts: tuple) -> None:
    """Every field side by side (≠ where they differ), then input, output and attributes as
    unified diffs of their JSON (keys sorted, two-space indent)."""
    rows = [
        (name, fa, fb, "" if fa == fb else "≠")
        for name, fa, fb in zip(FIELDS, _fields(x, starts[0]), _fields(y, starts[1]), strict=True)
    ]
    st.dataframe(
        pd.DataFrame(rows, columns=["Field", "A", "B", "Differs"]),
        hide_index=True,
        height=TABLE_ROW_PX * (len(rows) + 1) + 3,  # every field without scrolling
        column_config={
            "Field": st.column_config.TextColumn(width=170),
            "Differs": st.column_config.TextColumn("", width=40),
        },
    )
    for field in ("input", "output", "attributes"):
        json_diff(field, *_json_text(x, field), *_json_text(y, field))


FIELDS = (
    "Call",
    "Method",
    "Outcome",
    "Error message",
    "Request #",
    "Started",
    "Offset in its session",
    "Duration",
    "Input size",
    "Output size",
    "Call id",
    "Session id",
)


def _fields(call: ToolCallDetail | None, start: Any) -> list[str]:
    if call is None:
        return ["(no call)", *["—"] * (len(FIELDS) - 1)]
    return [
        _call_label(call),
        call.method,
        "error" if call.is_error else "ok",
        call.error_message or "—",
        f"{call.seq:,}",
        human.absolute(call.started_at),
        human.offset(call.started_at, start) if start else "—",
        human.millis(call.duration_ms),
        human.size(call.input_bytes or 0) if call.input_bytes is not None else "—",
        human.size(call.output_bytes or 0) if call.output_bytes is not None else "—",
        call.id,
        call.session_id,
    ]


def _json_text(call: ToolCallDetail | None, field: str) -> tuple[str, bool]:
    """The field as indented JSON with sorted keys ("" when none), and whether it was cut: a
    payload over items.PREVIEW_BYTES is only its stored preview, any text past DIFF_CHARS."""
    if call is None:
        return "", False
    value = getattr(call, field)
    preview = getattr(call, f"{field}_preview", None)
    if preview is not None:
        return preview[:DIFF_CHARS], True
    if value is None:
        return "", False
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    return text[:DIFF_CHARS], len(text) > DIFF_CHARS


def diff_lines(field: str, a: str, b: str) -> list[str]:
    """The unified diff of A's and B's text (three lines of context)."""
    return list(
        difflib.unified_diff(
            a.splitlines(), b.splitlines(), f"A {field}", f"B {field}", lineterm="", n=3
        )
    )


def json_diff(field: str, a: str, a_cut: bool, b: str, b_cut: bool) -> None:
    """ "identical" (the text a click away), or the diff; says when either side was cut."""
    label = field.capitalize()
    if a == b:
        if not a:
            st.caption(f"{label}: none recorded on either side.")
            return
        with st.expander(f"{label}: identical ({human.size(len(a.encode()))})"):
            st.code(a, language="json", height=320)
        return
    lines = diff_lines(field, a, b)
    st.markdown(f"**{label}**")
    if a_cut or b_cut:
        st.caption(
            ":material/content_cut: A large payload: its first part is compared. Open the "
            "call in the explorer to download it whole."
        )
    if len(lines) > DIFF_LINES:
        st.caption(f"The first {DIFF_LINES:,} of {len(lines):,} diff lines.")
        lines = lines[:DIFF_LINES]
    height = "content" if len(lines) <= 24 else 420
    st.code("\n".join(lines), language="diff", height=height)
