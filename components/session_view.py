"""One session in full: header, metric cards against the user's average, charts, export.

Used by the Session details page and by the dialog a session card opens ("View details").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import streamlit as st

from charts import session as charts
from charts import waterfall
from components import data, keys, metrics, sidebar_sessions, url
from components import format as fmt
from components.compare_view import compare_with
from components.export_file import ExportFile, download_button
from components.resume_panel import resume_panel
from components.viewer import current_viewer
from queries.session_stats import UserAverages
from queries.sessions import SessionDetail
from sessionscope import bulk, clock, human
from sessionscope.errors import ExportTooLarge

_EXPORT = "sd_export_ready"  # the last export this viewer prepared


# --- header ----------------------------------------------------------------------------------


def unavailable(session_id: str | None) -> None:
    """No session to show: say so for a bad link (and drop it), else how to pick one."""
    if session_id:
        url.drop(keys.P_SESSION)
        st.warning("This link's session is not available.", icon=":material/link_off:")
    st.info("Open a session from a user's sessions to see its details.", icon=":material/insights:")
    st.page_link(keys.PAGE_USERS, label="Go to Users", icon=":material/arrow_forward:")


def header(session: SessionDetail, *, in_dialog: bool = False) -> None:
    """Title, status, server, start, end, duration, and where to go from here."""
    title = fmt.md(fmt.title_of(session), limit=160)
    if in_dialog:
        st.subheader(title, anchor=False)
    else:
        st.title(title, anchor=False)
    st.markdown(
        f"{fmt.status_badge(session.status)} :material/dns: {fmt.md(session.server_name)} "
        f"({fmt.md(session.server_kind)}) · :material/person: {fmt.md(user_label(session))}"
    )
    st.caption(
        f"Started {human.absolute(session.started_at)} · {end_text(session)} · "
        f"duration {human.duration(session.duration_s)}"
    )
    with st.container(horizontal=True, gap="medium", vertical_alignment="center"):
        st.page_link(
            keys.PAGE_USER,
            label=f"All sessions of {fmt.md(user_label(session), limit=60)}",
            icon=":material/arrow_back:",
            query_params={keys.P_USER: session.end_user_id, keys.P_SESSION: session.id},
        )
        if in_dialog:
            st.page_link(
                keys.PAGE_SESSION,
                label="Open the full page (resume, export)",
                icon=":material/open_in_new:",
                query_params={keys.P_SESSION: session.id},
            )
        else:
            compare_with(session, keys.SD_COMPARE_WITH)


def user_label(session: SessionDetail) -> str:
    return session.user_display_name or session.user_email or session.user_distinct_id


def end_text(session: SessionDetail) -> str:
    if session.completed_at is not None:
        return f"ended {human.absolute(session.completed_at)}"
    last = session.last_activity_at or session.started_at
    if session.status == "active":
        return f"running, last activity {human.relative(last)}"
    return f"{session.status} after its last activity at {human.absolute(last)}"


# --- metric cards ----------------------------------------------------------------------------

NO_AVERAGE = "No other session of this user to compare with."


def metric_card(
    label: str, mine: float | None, avg: float | None, n: int, kind: metrics.Kind
) -> metrics.Card:
    """The session's value with its difference from the user's average over n sessions."""
    if mine is None or avg is None or n < 2:
        return metrics.card(label, mine, None, kind, help=NO_AVERAGE)
    about = f"This user's average session: {kind.show(avg)} (over {n:,} sessions)."
    return metrics.card(label, mine, avg, kind, help=about)


def mcp_cards(
    s: SessionDetail, latency: tuple[float | None, ...], avg: UserAverages
) -> list[metrics.Card]:
    rate = s.total_errors / s.total_tool_calls if s.total_tool_calls else None
    n = avg.sessions
    return [
        metric_card("Tool calls", s.total_tool_calls, avg.tool_calls, n, metrics.NEUTRAL_COUNT),
        metric_card("Errors", s.total_errors, avg.errors, n, metrics.PROBLEM_COUNT),
        metric_card("Error rate", rate, avg.error_rate, n, metrics.ERROR_RATE),
        metric_card("Tickets", s.ticket_count, avg.tickets, n, metrics.PROBLEM_COUNT),
        metric_card("Median latency", latency[0], avg.p50_ms, n, metrics.LATENCY),
        metric_card("p95 latency", latency[1], avg.p95_ms, n, metrics.LATENCY),
    ]


def workflow_cards(s: SessionDetail, avg: UserAverages) -> list[metrics.Card]:
    n = avg.sessions
    return [
        metric_card("Jobs scraped", s.total_jobs, avg.jobs, n, metrics.COUNT),
        metric_card("Companies enriched", s.total_companies, avg.companies, n, metrics.COUNT),
        metric_card("Contacts found", s.total_contacts, avg.contacts, n, metrics.COUNT),
        metric_card("Campaigns", s.total_campaigns, avg.campaigns, n, metrics.COUNT),
    ]


def metric_cards(org_id: str, session: SessionDetail) -> None:
    avg = data.user_averages(org_id, session.end_user_id)
    if session.server_kind == "workflow":
        cards = workflow_cards(session, avg)
    else:
        fresh = data.freshness(session.status == "active")
        cards = mcp_cards(session, data.session_latency(org_id, session.id, fresh), avg)
    metrics.row(cards)
    if any(card.delta for card in cards):
        st.caption(
            f"Below each number: its difference from the average session of "
            f"{fmt.md(user_label(session))} ({human.count(avg.sessions, 'session')})."
        )


# --- charts ----------------------------------------------------------------------------------


def section(title: str, *, in_dialog: bool = False) -> None:
    """A section heading one level below the title `header` wrote: h2 under the page's h1,
    h3 under the dialog's subheader, so headings never skip a level."""
    (st.subheader if in_dialog else st.header)(title, anchor=False)


def session_charts(org_id: str, session: SessionDetail, *, in_dialog: bool = False) -> None:
    """The timeline (stages or tool calls), then the results breakdown."""
    fresh = data.freshness(session.status == "active")
    if session.server_kind == "workflow":
        _workflow_charts(org_id, session, fresh, in_dialog)
    else:
        _mcp_charts(org_id, session, fresh, in_dialog)


def _workflow_charts(org_id: str, session: SessionDetail, fresh: int, in_dialog: bool) -> None:
    stages = data.session_stages(org_id, session.id, fresh)
    stages = stages.assign(status=[fmt.stage_status(v, session.status) for v in stages["status"]])
    section("Stage by stage", in_dialog=in_dialog)
    chart = charts.stage_timeline(stages, last_activity=session.last_activity_at)
    st.plotly_chart(chart, width="stretch")
    section("Results breakdown", in_dialog=in_dialog)
    left, right = st.columns(2, gap="medium")
    with left:
        st.plotly_chart(charts.results_funnel(totals(session)), width="stretch")
    with right:
        st.plotly_chart(charts.stage_outcomes(stages), width="stretch")


def totals(session: SessionDetail) -> dict[str, int]:
    return {
        "jobs": session.total_jobs,
        "companies": session.total_companies,
        "contacts": session.total_contacts,
        "campaigns": session.total_campaigns,
    }


def _mcp_charts(org_id: str, session: SessionDetail, fresh: int, in_dialog: bool) -> None:
    """Counted in SQL whatever the session's size: see queries/session_stats.py."""
    flow = data.session_waterfall(org_id, session.id, fresh)
    tickets = data.session_tickets(org_id, session.id, fresh)
    section("Timeline", in_dialog=in_dialog)
    event = st.plotly_chart(
        charts.tool_waterfall(flow.calls, tickets, buckets=flow.buckets),
        width="stretch",
        on_select="rerun",
        selection_mode="points",
        key=WATERFALL_KEY,
    )
    open_clicked(org_id, session, clicked_point(event))
    section("Results breakdown", in_dialog=in_dialog)
    left, right = st.columns(2, gap="medium")
    with left:
        st.plotly_chart(
            charts.calls_per_tool(data.session_tools(org_id, session.id, fresh)), width="stretch"
        )
    with right:
        p50, p95 = data.session_latency(org_id, session.id, fresh)
        bins = data.session_latency_bins(org_id, session.id, fresh)
        st.plotly_chart(charts.latency_distribution(bins, p50=p50, p95=p95), width="stretch")


# --- a click on the waterfall ----------------------------------------------------------------

WATERFALL_KEY = "sd_waterfall"  # the waterfall's selection (a clicked bar)


@dataclass(frozen=True)
class Clicked:
    """The waterfall bar a viewer clicked: one call (its seq, and its id when the chart had
    it), or a time bucket of `calls` calls (`span` is its time range, as the hover says)."""

    kind: str  # "call" or "bucket"
    seq: int | None = None
    call_id: str | None = None
    calls: int = 0
    span: str = ""


def clicked_point(event: object) -> Clicked | None:
    """The bar a plotly selection event points at (the first point), or None: nothing
    selected, or a ticket marker (its own pane opens it from the timeline)."""
    points = ((event or {}).get("selection") or {}).get("points") or []  # type: ignore[attr-defined]
    custom = next((p.get("customdata") for p in points if p.get("customdata")), None)
    if not custom or len(custom) <= waterfall.KIND:
        return None
    if custom[waterfall.KIND] == waterfall.BUCKET:
        return Clicked(waterfall.BUCKET, calls=int(custom[1]), span=str(custom[0]))
    if custom[waterfall.KIND] == waterfall.CALL:
        call_id = str(custom[waterfall.CALL_ID] or "") or None
        return Clicked(waterfall.CALL, seq=int(custom[0]), call_id=call_id)
    return None


def open_clicked(org_id: str, session: SessionDetail, clicked: Clicked | None) -> None:
    """A clicked call opens in the User sessions page; a bucket (many calls) opens nothing and
    says where its calls are."""
    if clicked is None:
        return
    if clicked.kind == waterfall.BUCKET:
        st.caption(
            f":material/info: That bar is a time bucket of {human.count(clicked.calls, 'call')} "
            f"({fmt.md(clicked.span)} UTC), not one call: open a single call from the "
            f"timeline of {fmt.md(fmt.title_of(session), limit=60)} in the User sessions page."
        )
        return
    item = clicked.call_id
    if item is None:
        st.caption(":material/info: That call is no longer in this session.")
        return
    params = {keys.P_USER: session.end_user_id, keys.P_SESSION: session.id, keys.P_ITEM: item}
    st.switch_page(keys.PAGE_USER, query_params=params)


# --- live: the parts of the page that move while the session runs ----------------------------


def refresh_every(session: SessionDetail) -> float | None:
    """Seconds between refreshes of the page's live parts: data.LIVE_TTL while it is active."""
    return data.LIVE_TTL if session.status == "active" else None


def live(part: Callable[[str, SessionDetail], None], org_id: str, session: SessionDetail) -> None:
    """`part(org_id, session)` in a fragment that, while the session is active, runs again
    every LIVE_TTL seconds with the session read again (data.session_now)."""
    st.fragment(_live_part, run_every=refresh_every(session))(
        part, org_id, session.id, session.status
    )


def _live_part(
    part: Callable[[str, SessionDetail], None], org_id: str, session_id: str, status: str
) -> None:
    """When the session has stopped (or gone) since the page ran, the whole page runs again, so
    its status, resume and refresh agree with it; else the part is drawn from a fresh read."""
    now = data.session_now(org_id, session_id)
    if now is None or now.status != status:
        st.rerun()
    part(org_id, now)


def header_part(org_id: str, session: SessionDetail) -> None:
    """The page's header (title, status, duration, last activity)."""
    header(session)


def numbers_part(org_id: str, session: SessionDetail) -> None:
    """The page's metric cards and charts."""
    metric_cards(org_id, session)
    session_charts(org_id, session)


# --- the dialog from a session card ----------------------------------------------------------


@st.dialog("Session details", width="large", icon=":material/insights:")
def details_dialog(session_id: str) -> None:
    """The session's header, Resume (as on the page), metrics and charts over the page that
    opened it."""
    viewer = current_viewer()
    org_id = viewer.org_id
    session = data.session(org_id, session_id)
    if session is None:
        st.warning("This session is not available.", icon=":material/link_off:")
        return
    sidebar_sessions.remember(session.id)
    header(session, in_dialog=True)
    resume_panel(viewer, session, in_dialog=True)
    metric_cards(org_id, session)
    session_charts(org_id, session, in_dialog=True)


def details_link(session_id: str, *, label: str = "Session details") -> None:
    """A link to the Session details page (a real link: it opens in a new tab too)."""
    st.page_link(
        keys.PAGE_SESSION,
        label=label,
        icon=":material/open_in_new:",
        query_params={keys.P_SESSION: session_id},
    )


def details_button(session_id: str) -> None:
    """Opens the session's details in a dialog over the current page."""
    if st.button(
        "View details",
        key=keys.details_button(session_id),
        icon=":material/open_in_full:",
        type="tertiary",
        help="Show this session's metrics and charts here, over the panes",
    ):
        details_dialog(session_id)


# --- export ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    """The last export this viewer prepared: two temporary files, never bytes in session state."""

    session_id: str
    json: ExportFile
    csv: ExportFile
    at: datetime

    def close(self) -> None:
        self.json.close()
        self.csv.close()


def _export(org_id: str, actor: str, session_id: str) -> Export:
    """Both files in one transaction, each audited once; ExportTooLarge leaves neither."""
    kw = {"org_id": org_id, "actor": actor, "session_ids": [session_id]}
    as_json = ExportFile(f"{session_id}.json", "application/json")
    as_csv = ExportFile(f"{session_id}.csv", "text/csv")
    try:
        with data.engine().begin() as conn:
            as_json.write(lambda out: bulk.export_json(conn, out=out, **kw))
            as_csv.write(lambda out: bulk.export_timeline_csv(conn, out=out, **kw))
    except BaseException:
        as_json.close()
        as_csv.close()
        raise
    return Export(session_id, as_json, as_csv, clock.now())


def _keep(ready: Export | None) -> None:
    """Hold the new export, deleting the files of the one before."""
    previous: Export | None = st.session_state.pop(_EXPORT, None)
    if previous is not None:
        previous.close()
    if ready is not None:
        st.session_state[_EXPORT] = ready


@st.fragment
def export_panel(org_id: str, session: SessionDetail, *, actor: str) -> None:
    """Prepared on request only (it reads every payload and writes audit entries)."""
    section("Export")
    st.caption(
        "JSON: the session with its timeline, every tool call with its input and output and "
        "every ticket. CSV: one row per tool call or ticket, input and output as JSON text. "
        f"One export holds at most {bulk.MAX_EXPORT_ITEMS:,} tool calls and tickets and "
        f"{human.size(bulk.MAX_EXPORT_PAYLOAD_BYTES)} of inputs and outputs."
    )
    ready: Export | None = st.session_state.get(_EXPORT)
    if ready is None or ready.session_id != session.id:
        slot = st.empty()  # the button goes once the files are there
        if not slot.button("Prepare export", key=keys.SD_EXPORT, icon=":material/package_2:"):
            return
        try:
            with slot, st.spinner("Preparing the export…"):
                ready = _export(org_id, actor, session.id)
        except ExportTooLarge as exc:
            slot.warning(
                f"Not exported: {fmt.md(str(exc))}. Nothing was written.", icon=":material/block:"
            )
            return
        slot.empty()
        _keep(ready)
    with st.container(horizontal=True, vertical_alignment="center"):
        download_button(
            f"JSON · {human.size(ready.json.size)}", ready.json, key=keys.SD_EXPORT_JSON
        )
        download_button(f"CSV · {human.size(ready.csv.size)}", ready.csv, key=keys.SD_EXPORT_CSV)
        st.caption(f"Prepared {human.relative(ready.at)}")
