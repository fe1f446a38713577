"""The Search page's pieces: the box and filters mirrored with the URL, and the results.

Every param is read and checked here (components/url.py): a bad one gets one message and
leaves the URL. Widgets show what the URL says and write it back in their callbacks. Matched
text is escaped (fmt.md) piece by piece and only then marked, so a payload never renders as
markdown or HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import streamlit as st

from components import data, keys, pager, url
from components import format as fmt
from queries import search
from sessionscope import human
from sessionscope.schema import SESSION_STATUSES

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Request:
    """What the URL asks for, checked: the phrase ('' for none) and the filter."""

    q: str
    flt: search.SearchFilter
    user_ref: str | None


def read_request(org_id: str) -> Request:
    """The URL's search and filters; what is not valid is named once and dropped."""
    problems: list[str] = []
    q = _query(problems)
    statuses = url.choices(keys.P_S_STATUS, SESSION_STATUSES, problems)
    server_id = _server(org_id, problems)
    date_from = _date(keys.P_S_FROM, problems)
    date_to = _date(keys.P_S_TO, problems)
    if date_from and date_to and date_from > date_to:
        problems.append("`from` is after `to`")
        url.drop(keys.P_S_FROM, keys.P_S_TO)
        date_from = date_to = None
    user_ref, user_id = _user(org_id, problems)
    url.warn_removed(problems, "search settings")
    flt = search.SearchFilter(user_id, server_id, statuses, date_from, date_to)
    return Request(q, flt, user_ref)


def _query(problems: list[str]) -> str:
    raw = url.param(keys.P_Q)
    if raw is None:
        return ""
    try:
        if not url.is_search_text(raw):
            raise search.BadQuery(f"at most {url.MAX_SEARCH} printable characters")
        return search.clean_query(raw)
    except search.BadQuery as refused:
        problems.append(f"the search `q` was not valid ({fmt.md(str(refused))})")
        url.drop(keys.P_Q)
        return ""


def _server(org_id: str, problems: list[str]) -> str | None:
    raw = url.param(keys.P_S_SERVER)
    if raw is None:
        return None
    if raw in set(data.search_servers(org_id)["id"]):
        return raw
    problems.append(f"no server {url.quoted(raw)} here")
    url.drop(keys.P_S_SERVER)
    return None


def _date(name: str, problems: list[str]) -> date | None:
    raw = url.param(name)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw) if _DATE.match(raw) else _bad_date(raw)
    except ValueError:
        problems.append(f"`{name}` is a date like 2026-11-30, not {url.quoted(raw)}")
        url.drop(name)
        return None


def _bad_date(raw: str) -> date:
    raise ValueError(raw)


def _user(org_id: str, problems: list[str]) -> tuple[str | None, str | None]:
    """The user param as given and the end user's id, when it names one of the org's."""
    raw = url.param(keys.P_S_USER)
    if raw is None:
        return None, None
    found = data.end_user(org_id, raw) if url.is_user_ref(raw) else None
    if found is None:
        problems.append(f"no user {url.quoted(raw)} here")
        url.drop(keys.P_S_USER)
        return None, None
    return raw, found.id


def controls(org_id: str, req: Request) -> None:
    """The search box and the filters, showing what the URL says; each change rewrites it."""
    state = st.session_state
    state[keys.SEARCH_Q] = req.q
    st.text_input(
        "Search tool calls and tickets",
        key=keys.SEARCH_Q,
        max_chars=search.MAX_QUERY_CHARS,
        placeholder="A word or phrase: a customer id, a name, an error…",
        icon=":material/search:",
        on_change=url.write_search,
        args=(keys.P_Q, keys.SEARCH_Q),
    )
    servers = data.search_servers(org_id)
    names = dict(zip(servers["id"], servers["name"], strict=True))
    state[keys.SEARCH_USER] = req.user_ref or ""
    state[keys.SEARCH_SERVER] = req.flt.server_id
    state[keys.SEARCH_STATUS] = list(req.flt.statuses)
    state[keys.SEARCH_FROM] = req.flt.date_from
    state[keys.SEARCH_TO] = req.flt.date_to
    with st.container(horizontal=True):
        st.text_input(
            "User", key=keys.SEARCH_USER, max_chars=url.MAX_PARAM,
            placeholder="User id or distinct id", on_change=url.write_search,
            args=(keys.P_S_USER, keys.SEARCH_USER),
        )  # fmt: skip
        st.selectbox(
            "Server", list(names), key=keys.SEARCH_SERVER, placeholder="Any server",
            format_func=lambda i: names.get(i, i), on_change=url.write_value,
            args=(keys.P_S_SERVER, keys.SEARCH_SERVER),
        )  # fmt: skip
        st.multiselect(
            "Status", SESSION_STATUSES, key=keys.SEARCH_STATUS, placeholder="Any status",
            on_change=url.write_choices, args=(keys.P_S_STATUS, keys.SEARCH_STATUS),
        )  # fmt: skip
        st.date_input(
            "From", key=keys.SEARCH_FROM, on_change=url.write_value,
            args=(keys.P_S_FROM, keys.SEARCH_FROM),
        )  # fmt: skip
        st.date_input(
            "To", key=keys.SEARCH_TO, on_change=url.write_value,
            args=(keys.P_S_TO, keys.SEARCH_TO),
        )  # fmt: skip


def empty_state() -> None:
    st.info(
        "Type a word or phrase to find the sessions whose tool inputs, outputs, errors or "
        "tickets contain it.",
        icon=":material/search:",
    )
    st.caption(
        "Any case, any language; the whole text is one phrase, matched literally "
        f"(%, _, quotes and regex characters are plain characters); up to "
        f"{search.MAX_QUERY_CHARS} characters."
    )


def results(org_id: str, req: Request) -> None:
    """The matching sessions, newest first, with "Older results"."""
    with st.spinner("Searching…"):
        loaded = pager.load(
            keys.SEARCH_CURSORS,
            (org_id, req.q, req.flt),
            lambda cursor: data.search_page(org_id, req.q, req.flt, cursor),  # type: ignore[arg-type]
        )
    # pager keeps any page with a next_cursor; these are SearchPages.
    found = [s for page in loaded.pages for s in page.sessions]  # type: ignore[attr-defined]
    if not found:
        st.info(
            f"No session holds “{fmt.md(req.q, limit=80)}” with these filters.",
            icon=":material/search_off:",
        )
        return
    scanning = loaded.pages[-1].index == "scan"  # type: ignore[attr-defined]
    note = " · this database has no search index (pg_trgm): rare words take longer"
    st.caption(f"{len(found):,} sessions shown, newest first" + (note if scanning else ""))
    st.html(f"<style>{fmt.MARK_CSS}</style>")
    _compare_picker(found)
    for ses in found:
        _session(ses)
    pager.more_button(loaded, "Older results", key=keys.SEARCH_MORE, icon=":material/expand_more:")


def _session(ses: search.SessionHits) -> None:
    with st.container(border=True):
        who = fmt.md(ses.user_email or ses.user_distinct_id, limit=60)
        st.markdown(
            f"**{fmt.md(ses.title or ses.id, limit=90)}** {fmt.status_badge(ses.status)}  \n"
            f":gray[{who} · {fmt.md(ses.server_name, limit=40)} · "
            f"{fmt.md(human.absolute(ses.started_at))}]"
        )
        for hit in ses.hits:
            _hit(ses, hit)
        if ses.more:
            st.caption("More matches in this session: open it and use the timeline's find.")


def _hit(ses: search.SessionHits, hit: search.Hit) -> None:
    where = f"#{hit.seq} " if hit.seq is not None else ""
    what = "ticket" if hit.kind == "ticket" else fmt.md(hit.label, limit=60)
    with st.container(horizontal=True, vertical_alignment="center"):
        st.page_link(
            keys.PAGE_USER,
            label=f"{where}{what} · {fmt.FIELD_LABELS.get(hit.field, hit.field)}",
            query_params={
                keys.P_USER: ses.end_user_id,
                keys.P_SESSION: ses.id,
                keys.P_ITEM: hit.id,
            },
            icon=":material/open_in_new:",
        )
        st.markdown(highlighted(hit))


def highlighted(hit: search.Hit) -> str:
    """The snippet as safe markdown, the match marked (unmarked when the database found it
    but this rendering of the text did not)."""
    return fmt.marked(hit.snippet, hit.start, hit.end)


def _compare_picker(found: list[search.SessionHits]) -> None:
    """Pick two of the results to open side by side on the Compare page."""
    labels = {s.id: f"{s.title or s.id} ({s.id})" for s in found}
    with st.expander("Compare two of these sessions", icon=":material/compare_arrows:"):
        picked = st.multiselect(
            "Sessions", list(labels), format_func=lambda i: labels[i], max_selections=2,
            key=keys.SEARCH_COMPARE, placeholder="Pick two sessions",
        )  # fmt: skip
        if len(picked) == 2:
            st.page_link(
                keys.PAGE_COMPARE,
                label="Compare these two",
                query_params={keys.P_CMP_A: picked[0], keys.P_CMP_B: picked[1]},
                icon=":material/compare_arrows:",
            )
