"""Generation: one RNG, a fixed order, rows appended to the current batch.

Generator(config).batches() yields the rows of every table in batches, parents before
children; what they hold is described in the package docstring (sessionscope.seed)."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random
from typing import Any, TypeVar

from sessionscope import schema
from sessionscope.schema import METRIC_OF_STAGE
from sessionscope.seed import content, ids
from sessionscope.seed.config import TABLES, SeedConfig
from sessionscope.seed.content import Focus, Json, Pools, ServerSpec, ToolSpec

# The population's shape and pace (SeedConfig holds the sizes).
SESSIONS_PER_USER = 14
WINDOW_DAYS = 90
WORKFLOW_SHARES = (0.05, 0.1, 0.2, 0.45)  # per user, so some mostly run workflows; 0.2 overall
# Tool calls per MCP session: 1 + lognormal, tuned so all sessions average about 5 calls.
CALLS_MU, CALLS_SIGMA, MAX_CALLS = 1.37, 0.9, 250
EMPTY_SESSION_SHARE = 0.02
ERROR_RATE = 0.055
NULL_TITLE_SHARE = 0.03
ACTIVE_WINDOW = timedelta(hours=3)
BATCH_SESSIONS = 2000  # flush a batch after this many sessions...
BATCH_TOOL_CALLS = 20_000  # ...or this many tool calls, whichever comes first

# One encoder, built once: compact, and ASCII-escaped like sa.JSON writes (also the faster path).
_dumps = json.JSONEncoder(separators=(",", ":")).encode
Row = tuple[Any, ...]
T = TypeVar("T")


@dataclass(frozen=True)
class _Weighted:
    """Names with relative weights, drawn with one RNG call."""

    names: tuple[str, ...]
    cum_weights: tuple[int, ...]

    @classmethod
    def of(cls, *pairs: tuple[str, int]) -> _Weighted:
        names, weights = zip(*pairs, strict=True)
        return cls(names, tuple(itertools.accumulate(weights)))

    def pick(self, r: Random) -> str:
        return r.choices(self.names, cum_weights=self.cum_weights)[0]


MCP_STATUSES = _Weighted.of(("completed", 87), ("failed", 8), ("paused", 5))
WORKFLOW_STATUSES = _Weighted.of(("completed", 70), ("failed", 13), ("paused", 17))
TICKET_STATUSES = _Weighted.of(*content.TICKET_STATUS_WEIGHTS)
TICKET_PRIORITIES = _Weighted.of(*content.TICKET_PRIORITY_WEIGHTS)


@dataclass(frozen=True)
class _Pace:
    """How tool calls follow each other: median gap, and how often the person steps away."""

    gap_ms: int
    step_away_rate: float


CONVERSATION = _Pace(gap_ms=4000, step_away_rate=0.03)  # a person and a model taking turns
AGENT_LOOP = _Pace(gap_ms=400, step_away_rate=0.0)  # an unattended agent, call after call
# Typical time per item of each workflow stage (results: building the one report).
STAGE_ITEM_MS = {
    "scraping": 700,
    "enrichment": 1800,
    "contacts": 1100,
    "campaigns": 15000,
    "results": 8000,
}
TICKET_RATE, TICKET_RATE_AFTER_ERRORS = 0.02, 0.15
LOOSE_TICKET_RATE = 0.03  # share of users with a ticket raised outside any session
CORRUPT_RATE = 0.02
# UTC hour-of-day weights: European and American working hours overlap in the afternoon.
HOUR_WEIGHTS = (2, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 10, 10, 12, 14, 15, 15, 13, 11, 9, 7, 5, 4, 3)
PlannedCall = tuple[ToolSpec, int, int, str | None]  # tool, offset ms, duration ms, error


@dataclass(frozen=True)
class _Server:
    id: str
    org_id: str
    spec: ServerSpec
    cum_weights: tuple[int, ...]


@dataclass(slots=True)
class _User:
    id: str
    org: str
    org_id: str
    distinct_id: str
    email: str | None
    display_name: str | None
    client: tuple[str, tuple[str, ...]]
    fav_mcp: int
    workflow_share: float
    first_seen: datetime | None = None
    last_seen: datetime | None = None

    def saw(self, start: datetime, end: datetime) -> None:
        if self.first_seen is None or start < self.first_seen:
            self.first_seen = start
        if self.last_seen is None or end > self.last_seen:
            self.last_seen = end


@dataclass(slots=True)
class _Stage:
    name: str
    status: str = "pending"
    total: int = 0
    completed: int = 0
    failed: int = 0
    offset_ms: int = 0
    duration_ms: int = 0


@dataclass
class Batch:
    rows: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in TABLES})
    sessions: int = 0

    def full(self) -> bool:
        return self.sessions >= BATCH_SESSIONS or len(self.rows["tool_calls"]) >= BATCH_TOOL_CALLS


class _FastRandom(Random):
    """random.Random whose choice() and randrange() take one random() call instead of the
    bit-rejection loop: faster in the payload builders (tens of millions of calls at full
    size), and just as deterministic for a given seed."""

    def choice(self, seq: Sequence[T]) -> T:
        return seq[int(self.random() * len(seq))]

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        if stop is None:
            start, stop = 0, start
        if step != 1 or stop - start > 1 << 40:  # keep the exact algorithm where floats fall short
            return super().randrange(start, stop, step)
        if stop <= start:
            raise ValueError(f"empty range for randrange({start}, {stop})")
        return start + int(self.random() * (stop - start))


class Generator:
    """Yields batches of rows; each batch holds parents before children (FK-safe per batch)."""

    def __init__(self, config: SeedConfig) -> None:
        self.cfg = config
        self.now = config.now
        self.r = _FastRandom(config.seed)
        self.pools = Pools(config.seed, config.now)
        self.window_start = self.now - timedelta(days=WINDOW_DAYS)
        self._hours, self._hour_cw = self._hour_buckets()
        self._counters = dict.fromkeys(("usr", "ses", "tc", "sr"), 0)
        self._batch = Batch()
        self._taken: dict[str, set[str]] = {org: set() for org, _ in content.ORGS}
        self.servers = {org: self._org_servers(org) for org, _ in content.ORGS}
        self.mcp_servers = {
            org: [s for s in servers.values() if s.spec.kind == "mcp"]
            for org, servers in self.servers.items()
        }

    def batches(self) -> Iterator[Batch]:
        self._reference_rows()
        acme_regular = (
            self.cfg.acme_sessions - len(ids.EDGE_SESSION_IDS) - self.cfg.heavy_user_sessions
        )
        self._edge_cases()
        heavy = self._demo_user(
            ids.HEAVY_USER_ID, ids.HEAVY_USER_DISTINCT_ID, "Heavy User", "heavy.user"
        )
        self._user_sessions(heavy, self.cfg.heavy_user_sessions)
        plan = (("acme", acme_regular), ("globex", self.cfg.sessions - self.cfg.acme_sessions))
        for org, total in plan:
            for count in self._session_counts(total):
                self._user_sessions(self._new_user(org), count)
                if self._batch.full():
                    yield self._take()
        yield self._take()

    def _take(self) -> Batch:
        batch, self._batch = self._batch, Batch()
        return batch

    def _id(self, prefix: str) -> str:
        self._counters[prefix] += 1
        width = 10 if prefix == "tc" else 8
        return f"{prefix}_{self._counters[prefix]:0{width}d}"

    # --- reference data ---------------------------------------------------------------------

    def _org_servers(self, org: str) -> dict[str, _Server]:
        out = {}
        for spec in content.SERVERS[org]:
            cum = tuple(sum(t.weight for t in spec.tools[: i + 1]) for i in range(len(spec.tools)))
            sid = f"srv_{org}_{spec.slug.replace('-', '_')}"
            out[spec.slug] = _Server(sid, f"org_{org}", spec, cum)
        return out

    def _reference_rows(self) -> None:
        rows = self._batch.rows
        for age_days, (slug, name) in zip((400, 250), content.ORGS, strict=True):
            created = self.now - timedelta(days=age_days)
            rows["organizations"].append((f"org_{slug}", slug, name, created))
        for org, email, name, role in content.MEMBERS:
            member_id = f"mem_{org}_{email.split('@')[0]}"
            created = self.now - timedelta(days=200 if org == "acme" else 120)
            rows["members"].append((member_id, f"org_{org}", email, name, role, created))
        for servers in self.servers.values():
            for s in servers.values():
                rows["servers"].append((s.id, s.org_id, s.spec.slug, s.spec.name, s.spec.kind))

    def _hour_buckets(self) -> tuple[list[datetime], list[float]]:
        """Hour slots over the window, weighted by hour of day, weekday and growth over time."""
        hours = WINDOW_DAYS * 24
        starts, cum, total = [], [], 0.0
        for back in range(hours, 0, -1):
            slot = self.now - timedelta(hours=back)
            weight = HOUR_WEIGHTS[slot.hour] * (0.3 if slot.weekday() >= 5 else 1.0)
            total += weight * (1.0 - 0.4 * back / hours)  # usage grew over the quarter
            starts.append(slot)
            cum.append(total)
        return starts, cum

    def _random_start(self) -> datetime:
        slot = self.r.choices(self._hours, cum_weights=self._hour_cw)[0]
        return slot + timedelta(seconds=self.r.random() * 3600)

    # --- users --------------------------------------------------------------------------------

    def _session_counts(self, total: int) -> list[int]:
        """Sessions per user summing to `total`: everyone has one, a lognormal few have many."""
        r = self.r
        users = max(1, round(total / SESSIONS_PER_USER))
        weights = [r.lognormvariate(0.0, 1.0) for _ in range(users)]
        scale = (total - users) / sum(weights)
        counts = [1 + int(w * scale) for w in weights]
        for i in r.sample(range(users), total - sum(counts)):
            counts[i] += 1
        return counts

    def _new_user(self, org: str, *, uid: str | None = None, distinct_id: str = "") -> _User:
        r, pools = self.r, self.pools
        person = r.choice(pools.people[r.choices(pools.locales, pools.locale_weights)[0]])
        return _User(
            id=uid or self._id("usr"),
            org=org,
            org_id=f"org_{org}",
            # 128 random bits: a clash in (org_id, distinct_id) is not a practical concern.
            distinct_id=distinct_id or _uuid_text(r.getrandbits(128)),
            email=None if r.random() < 0.04 else self._unique_email(org, person.local_part),
            display_name=None if r.random() < 0.01 else person.display,
            client=r.choices(content.CLIENTS, content.CLIENT_WEIGHTS)[0],
            fav_mcp=r.randrange(8),
            workflow_share=r.choice(WORKFLOW_SHARES),
        )

    def _unique_email(self, org: str, local: str) -> str:
        r, taken = self.r, self._taken[org]
        domain = (
            r.choice(self.pools.companies)[1] if r.random() < 0.6 else r.choice(content.FREE_MAIL)
        )
        email = f"{local}@{domain}"
        while email in taken:
            email = f"{local}{r.randrange(2, 1000)}@{domain}"
        taken.add(email)
        return email

    def _user_sessions(self, user: _User, count: int) -> None:
        for start in sorted(self._random_start() for _ in range(count)):
            self._regular_session(user, start)
        self._emit_user(user)

    def _emit_user(self, user: _User, *, loose_ticket: bool | None = None) -> None:
        """The user row goes in after its sessions, when first/last seen are known; now and
        then with a ticket raised outside any session (`loose_ticket`: always or never)."""
        r = self.r
        row = (user.id, user.org_id, user.distinct_id, user.email, user.display_name)
        self._batch.rows["end_users"].append((*row, user.first_seen, user.last_seen))
        if loose_ticket is None:
            loose_ticket = r.random() < LOOSE_TICKET_RATE
        if loose_ticket and user.first_seen and user.last_seen:
            created = user.first_seen + (user.last_seen - user.first_seen) * r.random()
            title = r.choice(content.GENERAL_TICKET_TITLES)
            self._ticket(user, None, title, "raised from the help widget", created)

    def _regular_session(self, user: _User, start: datetime) -> None:
        r, servers = self.r, self.servers[user.org]
        if r.random() < user.workflow_share:
            server = servers["lead-gen"] if r.random() < 0.7 else servers["market-scan"]
            status = self._status(start, WORKFLOW_STATUSES)
            self._workflow_session(user, self._id("ses"), server, start, status)
            return
        mcp = self.mcp_servers[user.org]
        server = mcp[user.fav_mcp % len(mcp)] if r.random() < 0.6 else r.choice(mcp)
        self._mcp_session(user, self._id("ses"), server, start, self._status(start, MCP_STATUSES))

    def _status(self, start: datetime, statuses: _Weighted) -> str:
        """Sessions that started in the last few hours are mostly still going."""
        if start >= self.now - ACTIVE_WINDOW and self.r.random() < 0.6:
            return "active"
        return statuses.pick(self.r)

    def _place(self, start: datetime, span_ms: int, status: str) -> datetime:
        """Move a session's start so it ends before `now` (active ones: minutes to hours before)."""
        span = timedelta(milliseconds=span_ms)
        if status == "active":
            idle_s = min(self.r.lognormvariate(math.log(600), 1.0), ACTIVE_WINDOW.total_seconds())
            return self.now - timedelta(seconds=idle_s) - span
        return min(start, self.now - span - timedelta(minutes=1))

    def _title(self, spec: ServerSpec, focus: Focus) -> str | None:
        r = self.r
        return None if r.random() < NULL_TITLE_SHARE else r.choice(spec.titles).format_map(focus)

    def _client(self, user: _User, start: datetime, workflow: bool) -> tuple[str, str]:
        """Later sessions tend to run newer client versions."""
        name, versions = content.WORKFLOW_CLIENTS[0] if workflow else user.client
        frac = (start - self.window_start) / timedelta(days=WINDOW_DAYS)
        i = int(frac * len(versions) + self.r.random() - 0.5)
        return name, versions[min(len(versions) - 1, max(0, i))]

    def _session_row(
        self,
        user: _User,
        sid: str,
        server: _Server,
        *,
        title: str | None,
        status: str,
        start: datetime,
        span_ms: int,
        counts: tuple[int, int, int, int, int, int] = (0, 0, 0, 0, 0, 0),
        stage: str | None = None,
        state: str | None = None,
        version: int = 0,
    ) -> datetime:
        end = start + timedelta(milliseconds=span_ms)
        user.saw(start, end)
        client = self._client(user, start, server.spec.kind == "workflow")
        completed = end if status in ("completed", "failed") else None
        row = (sid, user.org_id, user.id, server.id, title, status, stage, start, end, completed)
        self._batch.rows["sessions"].append((*row, *client, *counts, state, version, "seed"))
        self._batch.sessions += 1
        return end

    # --- MCP sessions -----------------------------------------------------------------------

    def _mcp_session(
        self,
        user: _User,
        sid: str,
        server: _Server,
        start: datetime,
        status: str,
        *,
        calls: int | None = None,
        pace: _Pace = CONVERSATION,
        title: str | None = None,
        hostile: bool = False,
    ) -> tuple[list[PlannedCall], datetime]:
        r = self.r
        focus = content.make_focus(r, self.pools, user.org)
        n = self._call_count() if calls is None else calls
        plan = self._plan_calls(server, focus, n, pace, fail_last=status == "failed")
        span = plan[-1][1] + plan[-1][2] if plan else r.randrange(2_000, 60_000)
        start = self._place(start, span, status)
        errors = self._tool_call_rows(user, sid, focus, plan, start, hostile=hostile)
        title = title or self._title(server.spec, focus)
        counts = (n, errors, 0, 0, 0, 0)
        self._session_row(
            user, sid, server, title=title, status=status, start=start, span_ms=span, counts=counts
        )
        if plan and r.random() < (TICKET_RATE_AFTER_ERRORS if errors else TICKET_RATE):
            self._call_ticket(user, sid, server, plan, start)
        return plan, start

    def _call_count(self) -> int:
        r = self.r
        if r.random() < EMPTY_SESSION_SHARE:
            return 0  # connected, looked around, left
        return min(MAX_CALLS, 1 + int(r.lognormvariate(CALLS_MU, CALLS_SIGMA)))

    def _plan_calls(
        self, server: _Server, focus: Focus, n: int, pace: _Pace, *, fail_last: bool
    ) -> list[PlannedCall]:
        """Tool, offset, duration and error of each call; a failed session ends in an error."""
        r, spec = self.r, server.spec
        log_gap = math.log(pace.gap_ms)
        plan: list[PlannedCall] = []
        offset = 0
        for i, tool in enumerate(r.choices(spec.tools, cum_weights=server.cum_weights, k=n)):
            error = None
            if r.random() < ERROR_RATE or (fail_last and i == n - 1):
                error = r.choice(spec.errors).format_map(focus)
            duration = self._duration(tool, error)
            plan.append((tool, offset, duration, error))
            offset += duration + int(r.lognormvariate(log_gap, 1.0))
            if r.random() < pace.step_away_rate:
                offset += r.randrange(120_000, 1_800_000)
        return plan

    def _duration(self, tool: ToolSpec, error: str | None) -> int:
        r = self.r
        if error is not None and "imeout" in error:
            return 30_000 + r.randrange(0, 50)
        ms = r.lognormvariate(math.log(tool.median_ms), 0.8)
        if r.random() < 0.015:
            ms *= 5 + 15 * r.random()  # the long tail: cold caches, retries, heavy pages
        return int(ms) + 1

    def _tool_call_rows(
        self,
        user: _User,
        sid: str,
        focus: Focus,
        plan: list[PlannedCall],
        start: datetime,
        *,
        hostile: bool = False,
    ) -> int:
        """Append the rows; return how many are errors. The innermost loop of the whole seed
        (about five million times at full size), hence the local names."""
        r, pools, append = self.r, self.pools, self._batch.rows["tool_calls"].append
        org_id, dumps, ms = user.org_id, _dumps, timedelta(milliseconds=1)
        errors, counter = 0, self._counters["tc"]
        for seq, (tool, offset, duration, error) in enumerate(plan, 1):
            inp, out = tool.build(r, pools, focus)
            if hostile:
                inp, out, error = _hostile_payload(seq, inp, out, error)
            if error is not None:
                errors += 1
                out = {"error": {"message": error, "retryable": "limit" in error}}
                out["request_id"] = f"req_{r.getrandbits(64):016x}"
            counter += 1
            row = (f"tc_{counter:010d}", org_id, sid, seq, tool.name, dumps(inp), dumps(out))
            append((*row, start + offset * ms, duration, error is not None, error))
        self._counters["tc"] = counter
        return errors

    # --- tickets ----------------------------------------------------------------------------

    def _call_ticket(
        self,
        user: _User,
        sid: str,
        server: _Server,
        plan: list[PlannedCall],
        start: datetime,
        **text: str,
    ) -> None:
        """A ticket raised between two tool calls of the session (or just after the last)."""
        r = self.r
        j = r.randrange(len(plan))
        tool, offset, duration, error = plan[j]
        after = offset + duration
        until = plan[j + 1][1] if j + 1 < len(plan) else after + 120_000
        created = start + timedelta(milliseconds=after + int((until - after) * r.random()))
        title = text.get("title") or r.choice(server.spec.ticket_titles)
        context = text.get("context") or (
            f"server: {server.spec.slug}\nlast tool: {tool.name}\n"
            f"last error: {error or 'none'}\nclient: {user.client[0]}"
        )
        self._ticket(user, sid, title, context, min(created, self.now), text.get("summary"))

    def _ticket(
        self,
        user: _User,
        sid: str | None,
        title: str,
        context: str,
        created: datetime,
        summary: str | None = None,
    ) -> None:
        r = self.r
        status = TICKET_STATUSES.pick(r)
        if user.email is None:
            status = "needs_email"  # nobody to answer until support finds an address
        priority = TICKET_PRIORITIES.pick(r)
        resolved = None
        if status in ("resolved", "closed"):
            resolved = created + timedelta(hours=r.lognormvariate(math.log(18), 1.0))
            if resolved > self.now:
                status, resolved = "in_progress", None
        summary = summary or r.choice(content.TICKET_SUMMARIES)
        row = (self._id("sr"), user.org_id, sid, user.id, user.email, title, summary, context)
        self._batch.rows["support_tickets"].append((*row, status, priority, created, resolved))

    # --- workflow sessions ------------------------------------------------------------------

    def _workflow_session(
        self,
        user: _User,
        sid: str,
        server: _Server,
        start: datetime,
        status: str,
        *,
        stop: int | None = None,
        corrupt: str | None = None,
    ) -> None:
        """Stages run in order up to `stop` (an index into the stages this workflow runs)."""
        r, slug = self.r, server.spec.slug
        focus = content.make_focus(r, self.pools, user.org)
        runs = [s for s in schema.STAGES if s not in content.SKIPPED_STAGES[slug]]
        if status == "completed":
            stop = len(runs)
        elif stop is None:
            stop = r.randrange(len(runs))
        if corrupt is None and status in ("paused", "failed") and r.random() < CORRUPT_RATE:
            corrupt = r.choice(tuple(ids.CORRUPT_SESSION_IDS))
        stages = self._stage_progress(runs, stop, status)
        span = max(s.offset_ms + s.duration_ms for s in stages)
        start = self._place(start, span, status)
        self._stage_rows(sid, focus, stages, start)
        current = runs[min(stop, len(runs) - 1)]
        state, version = self._state_rows(sid, slug, focus, stages, current, start, span, corrupt)
        totals = tuple(s.completed for s in stages[:4])  # jobs, companies, contacts, campaigns
        end = self._session_row(
            user,
            sid,
            server,
            title=self._title(server.spec, focus),
            status=status,
            start=start,
            span_ms=span,
            counts=(0, 0, *totals),
            stage=current,
            state=state,
            version=version,
        )
        if status == "failed" and r.random() < 0.25:
            created = min(self.now, end + timedelta(minutes=r.randrange(2, 90)))
            context = f"stage: {current}\nerror: {content.STAGE_ERRORS[current]}"
            self._ticket(user, sid, r.choice(server.spec.ticket_titles), context, created)

    def _stage_progress(self, runs: list[str], stop: int, status: str) -> list[_Stage]:
        """All five stages in order: completed before `stop`, then the stopped one, then pending."""
        r = self.r
        stages, offset, upstream = [], 0, 0
        for name in schema.STAGES:
            stage = _Stage(name)
            stages.append(stage)
            if name not in runs:
                stage.status = "skipped"
                continue
            index = runs.index(name)
            if index > stop:
                continue  # pending: never reached
            stage.total = total = self._stage_total(name, upstream)
            if index < stop:
                stage.status, stage.failed = "completed", int(total * r.random() * 0.06)
                stage.completed = total - stage.failed
            elif status == "failed":
                stage.status, stage.completed = "failed", int(total * r.random() * 0.7)
                stage.failed = min(total - stage.completed, 1 + int(total * r.random() * 0.2))
            else:  # paused or active: interrupted part-way through this stage
                stage.status, stage.completed = "running", int(total * r.uniform(0.05, 0.9))
                stage.failed = int(stage.completed * 0.03)
            stage.offset_ms = offset
            stage.duration_ms = self._stage_duration(name, stage.completed + stage.failed)
            offset += stage.duration_ms + r.randrange(1_000, 30_000)
            upstream = stage.completed
        return stages

    def _stage_total(self, name: str, upstream: int) -> int:
        r = self.r
        if name == "scraping":
            return 5 + int(r.lognormvariate(math.log(120), 0.8))
        if name == "enrichment":
            return int(upstream * r.uniform(0.35, 0.7))  # several jobs per company
        if name == "contacts":
            return upstream * r.randrange(1, 4)
        if name == "campaigns":
            return min(upstream, r.randrange(1, 5))
        return 1  # results: one report

    def _stage_duration(self, name: str, items: int) -> int:
        base = STAGE_ITEM_MS[name] * max(items, 1)
        return 500 + int(base * self.r.lognormvariate(0.0, 0.4))

    def _stage_rows(self, sid: str, focus: Focus, stages: list[_Stage], start: datetime) -> None:
        rows = self._batch.rows["session_stages"]
        for s in stages:
            started = finished = data = None
            if s.status == "skipped":
                data = _dumps({"reason": "disabled in the workflow config"})
            elif s.status != "pending":
                started = start + timedelta(milliseconds=s.offset_ms)
                if s.status in ("completed", "failed"):
                    finished = started + timedelta(milliseconds=s.duration_ms)
                payload = content.stage_data(self.r, self.pools, focus, s.name, s.completed)
                if s.status == "failed":
                    error = {"message": content.STAGE_ERRORS[s.name], "at_item": s.completed}
                    payload["error"] = error
                data = _dumps(payload)
            counts = (s.total, s.completed, s.failed)
            rows.append((sid, s.name, s.status, *counts, started, finished, data))

    def _state_rows(
        self,
        sid: str,
        slug: str,
        focus: Focus,
        stages: list[_Stage],
        current: str,
        start: datetime,
        span_ms: int,
        corrupt: str | None,
    ) -> tuple[str, int]:
        """One saved state as each stage starts, and the latest at the last activity."""
        config = {
            "workflow": slug,
            "query": {k: focus[k] for k in ("role", "industry", "city", "region")},
            "limits": {"max_jobs": 500, "contacts_per_company": 3},
            "skip_stages": list(content.SKIPPED_STAGES[slug]),
        }
        rows = self._batch.rows["session_states"]
        done: list[str] = []
        metrics = dict.fromkeys(METRIC_OF_STAGE.values(), 0)
        version = 0
        for s in stages:
            if s.status in ("pending", "skipped"):
                continue
            version += 1
            cursor = {"stage": s.name, "offset": 0, "batch_size": 25}
            state = _state(version, s.name, done, metrics, cursor, config)
            rows.append((sid, version, _dumps(state), start + timedelta(milliseconds=s.offset_ms)))
            if s.status == "completed":
                done.append(s.name)
            if s.name in METRIC_OF_STAGE:
                metrics[METRIC_OF_STAGE[s.name]] = s.completed
        version += 1
        offset = next(s.completed for s in stages if s.name == current)
        cursor = {"stage": current, "offset": offset, "batch_size": 25}
        latest: Any = _state(version, current, done, metrics, cursor, config)
        if corrupt:
            latest = _corrupt(latest, corrupt)
        text = _dumps(latest)
        rows.append((sid, version, text, start + timedelta(milliseconds=span_ms)))
        return text, version

    # --- the deliberate edge cases ------------------------------------------------------------

    def _edge_cases(self) -> None:
        """The sessions of ids.EDGE_SESSION_IDS, at fixed offsets before `now`."""
        servers = self.servers["acme"]
        edge = self._demo_user(
            ids.EDGE_USER_ID, ids.EDGE_USER_DISTINCT_ID, "Edge Cases", "edge.cases"
        )
        self._huge_session(edge, servers["browser-mcp"], self._ago(3, 6, 17))
        self._big_payload_session(edge, servers["postgres-mcp"], self._ago(2, 3, 41))
        empty = "Connected from Cursor, no tool calls"
        github = servers["github-mcp"]
        self._mcp_session(
            edge,
            ids.EMPTY_SESSION_ID,
            github,
            self._ago(1, 7, 5),
            "completed",
            calls=0,
            title=empty,
        )
        active = "Plan next cycle for Engineering"
        linear = servers["linear-mcp"]
        self._mcp_session(
            edge, ids.ACTIVE_SESSION_ID, linear, self.now, "active", calls=8, title=active
        )
        self._resumable_sessions(edge, servers["lead-gen"])
        self._emit_user(edge, loose_ticket=True)
        self._hostile_session(github, self._ago(5, 2, 33))

    def _ago(self, days: int, hours: int, minutes: int) -> datetime:
        return self.now - timedelta(days=days, hours=hours, minutes=minutes)

    def _demo_user(self, uid: str, distinct_id: str, name: str, local: str) -> _User:
        user = self._new_user("acme", uid=uid, distinct_id=distinct_id)
        user.email, user.display_name = f"{local}@example.com", name
        return user

    def _huge_session(self, user: _User, server: _Server, start: datetime) -> None:
        title = "Crawl every product page on staging"
        calls = self.cfg.huge_session_calls
        plan, start = self._mcp_session(
            user,
            ids.HUGE_SESSION_ID,
            server,
            start,
            "completed",
            calls=calls,
            pace=AGENT_LOOP,
            title=title,
        )
        for _ in range(2):  # tickets somewhere in the middle of the long timeline
            self._call_ticket(user, ids.HUGE_SESSION_ID, server, plan, start)

    def _resumable_sessions(self, user: _User, lead_gen: _Server) -> None:
        """Paused and failed lead-gen sessions: one valid each, then one per corruption kind."""
        self._workflow_session(
            user, ids.PAUSED_SESSION_ID, lead_gen, self._ago(4, 1, 12), "paused", stop=2
        )
        self._workflow_session(
            user, ids.FAILED_SESSION_ID, lead_gen, self._ago(6, 3, 8), "failed", stop=1
        )
        for i, (kind, sid) in enumerate(ids.CORRUPT_SESSION_IDS.items()):
            status, stop = ("paused", "failed")[i % 2], 1 + i % 3
            start = self._ago(8 + i, 2, 10 * i)
            self._workflow_session(user, sid, lead_gen, start, status, stop=stop, corrupt=kind)

    def _big_payload_session(self, user: _User, server: _Server, start: datetime) -> None:
        tools = {t.name: t for t in server.spec.tools}
        plan: list[PlannedCall] = [
            (tools["list_tables"], 0, 80, None),
            (tools["describe_table"], 9_000, 95, None),
            (tools["run_query"], 31_000, 48_000, None),  # this one returns every row
            (tools["run_query"], 97_000, 240, None),
        ]
        focus = content.make_focus(self.r, self.pools, user.org) | {"table": "orders"}
        self._tool_call_rows(user, ids.BIG_PAYLOAD_SESSION_ID, focus, plan, start)
        rows = self._batch.rows["tool_calls"]
        big = list(rows[-2])
        big[0] = ids.BIG_PAYLOAD_TOOL_CALL_ID
        big[5] = _dumps({"sql": "SELECT * FROM orders ORDER BY id", "params": [], "timeout_ms": 0})
        big[6] = _dumps(content.big_query_result(self.r, self.pools, self.cfg.big_payload_bytes))
        rows[-2] = tuple(big)
        self._session_row(
            user,
            ids.BIG_PAYLOAD_SESSION_ID,
            server,
            title="Export the full orders table",
            status="completed",
            start=start,
            span_ms=97_240,
            counts=(len(plan), 0, 0, 0, 0, 0),
        )

    def _hostile_session(self, server: _Server, start: datetime) -> None:
        user = self._new_user(
            "acme", uid=ids.HOSTILE_USER_ID, distinct_id=content.HOSTILE_DISTINCT_ID
        )
        user.email, user.display_name = content.HOSTILE_USER_EMAIL, content.HOSTILE_USER_NAME
        title = content.HOSTILE_TITLE
        args = (user, ids.HOSTILE_SESSION_ID, server, start, "failed")
        plan, start = self._mcp_session(*args, calls=12, title=title, hostile=True)
        self._call_ticket(
            user,
            ids.HOSTILE_SESSION_ID,
            server,
            plan,
            start,
            title=f"{content.SCRIPT} {content.HEBREW} {content.EMOJI}",
            summary=f"{content.IMG} {content.ARABIC} [click me](javascript:alert(1))",
            context="\n".join(content.HOSTILE_TEXTS),
        )
        self._emit_user(user)


def _uuid_text(bits: int) -> str:
    """A version-4-looking UUID from 128 bits of our RNG (uuid4() would read the OS RNG)."""
    h = f"{bits:032x}"
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"


def _state(
    version: int,
    stage: str,
    done: list[str],
    metrics: dict[str, int],
    cursor: Json,
    config: Json,
) -> Json:
    """The saved-state shape the resume feature validates."""
    return {
        "version": version,
        "stage": stage,
        "completed_stages": list(done),
        "metrics": dict(metrics),
        "cursor": cursor,
        "config": config,
    }


def _corrupt(state: Json, kind: str) -> Any:
    if kind == "missing_keys":
        return {k: v for k, v in state.items() if k not in ("metrics", "cursor")}
    if kind == "unknown_stage":
        return {**state, "stage": "qualification"}
    if kind == "contradicting_metrics":
        metrics = state["metrics"]
        return {**state, "metrics": {**metrics, "contacts": metrics["contacts"] + 250}}
    text = _dumps(state)  # not_an_object: what a crash mid-write leaves behind
    return text[: len(text) // 2]


def _hostile_payload(
    seq: int, inp: Json, out: Json, error: str | None
) -> tuple[Json, Json, str | None]:
    text = content.HOSTILE_TEXTS[seq % len(content.HOSTILE_TEXTS)]
    inp = {**inp, "note": text}
    comment = {"author": {"name": content.HOSTILE_USER_NAME}, "body": text, "html": content.IMG}
    out = {"result": out, "comments": [comment], "summary": f"{content.EMOJI} {content.ARABIC}"}
    if error is not None:
        error = f"{error}: {content.SCRIPT} {content.HEBREW}"
    return inp, out, error
