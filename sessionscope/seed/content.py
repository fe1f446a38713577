"""Text and payload templates for the demo data (sessionscope.seed draws from these).

Everything here is cheap on purpose: the seed builds about five payloads per session for up to a
million sessions, so Faker runs once (in `Pools`) and each payload is a small dict filled from
precomputed pools with the caller's `random.Random`. No global random state is touched.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import Any

from faker import Faker

Json = dict[str, Any]
Focus = dict[str, str]
# A tool builder returns (input, structured output) for one call within a session's focus.
Builder = Callable[[Random, "Pools", Focus], tuple[Json, Json]]

# ---------------------------------------------------------------------------------------------
# Organizations, members, servers, clients
# ---------------------------------------------------------------------------------------------

ORGS = (("acme", "Acme Corp"), ("globex", "Globex"))

# (org slug, email, name, role): fixed so that demo logins and tests can name them.
MEMBERS = (
    ("acme", "admin@acme.example", "Priya Raman", "admin"),
    ("acme", "analyst@acme.example", "Tom Becker", "analyst"),
    ("acme", "consultant@partner.example", "Jordan Ellis", "analyst"),
    ("globex", "admin@globex.example", "Grace Okafor", "admin"),
    ("globex", "analyst@globex.example", "Luis Ortega", "analyst"),
    ("globex", "consultant@partner.example", "Jordan Ellis", "admin"),
)

# (client name, versions oldest to newest): sessions pick a version by how recent they are.
CLIENTS = (
    ("Claude Desktop", ("1.0.211", "1.0.734", "1.1.2", "1.1.9", "1.2.4")),
    ("Cursor", ("0.48.9", "0.49.6", "0.50.5", "0.51.2")),
    ("Claude Code", ("1.0.31", "1.0.44", "1.0.58", "1.0.72")),
    ("VS Code", ("1.99.3", "1.100.2", "1.101.1", "1.102.0")),
    ("Windsurf", ("1.9.2", "1.10.3", "1.10.7")),
    ("Zed", ("0.186.8", "0.190.5", "0.193.2")),
)
CLIENT_WEIGHTS = (34, 26, 18, 12, 6, 4)
WORKFLOW_CLIENTS = (("Sessionscope Runner", ("2.3.0", "2.3.4", "2.4.1")),)

LOCALES = (
    ("en_US", 40),
    ("en_GB", 10),
    ("de_DE", 8),
    ("fr_FR", 7),
    ("es_ES", 6),
    ("pt_BR", 5),
    ("hi_IN", 5),
    ("it_IT", 4),
    ("pl_PL", 4),
    ("ja_JP", 4),
    ("ar_AA", 4),
    ("he_IL", 3),
)
FREE_MAIL = ("gmail.com", "outlook.com", "proton.me", "yahoo.com", "icloud.com", "hey.com")

# ---------------------------------------------------------------------------------------------
# Deliberately hostile text: markup, script injection, Streamlit markdown, RTL, emoji
# ---------------------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
ARABIC = "مرحبا بالعالم: اختبار النص من اليمين إلى اليسار"
HEBREW = "שלום עולם: בדיקת טקסט מימין לשמאל"
EMOJI = "🚀🔥✅ 👩‍👩‍👧‍👦 🇯🇵"
HOSTILE_TEXTS = (
    SCRIPT,
    IMG,
    ARABIC,
    HEBREW,
    EMOJI,
    "RTL override: \u202edlrow olleh\u202c and zero\u200bwidth",
    "'; DROP TABLE sessions; --",
    "[click me](javascript:alert(1)) **bold** `code` :material/warning: :smile:",
    "It costs $5 and $10, not $x^2$",
    "{{7*7}} ${7*7} %s %n \\x00",
    "line one\nline two\r\n\ttabbed </div></td></tr>",
)
HOSTILE_TITLE = f"{SCRIPT} Fix checkout 🚀 {ARABIC} {HEBREW}"
HOSTILE_USER_NAME = f"{IMG} Zoë 🚀 مريم"
HOSTILE_USER_EMAIL = "zoe+<script>@example.com"
# Characters that need escaping in a URL query parameter (the `user` param takes a distinct_id).
HOSTILE_DISTINCT_ID = "zoë/<b>?user=1&session=2#😀"

# ---------------------------------------------------------------------------------------------
# Vocabulary for payloads
# ---------------------------------------------------------------------------------------------

REPOS = (
    "web",
    "api",
    "mobile-app",
    "billing-service",
    "checkout",
    "data-pipeline",
    "infra",
    "design-system",
    "search",
    "notifications",
)
AREAS = (
    "checkout",
    "login",
    "search",
    "billing",
    "onboarding",
    "dashboard",
    "export",
    "notifications",
    "SSO",
    "webhooks",
    "rate limiter",
    "CSV import",
)
PROBLEMS = (
    "fails with 500 on Safari",
    "is slow for large accounts",
    "drops the last page of results",
    "shows the wrong currency",
    "times out after 30 s",
    "double-submits on retry",
    "ignores the timezone",
    "breaks with emoji in names",
    "leaks memory under load",
    "returns stale data after deploy",
    "crashes on empty input",
    "needs pagination",
)
LABELS = (
    ("bug", "d73a4a"),
    ("enhancement", "a2eeef"),
    ("p1", "b60205"),
    ("needs-triage", "fbca04"),
    ("frontend", "1d76db"),
    ("backend", "5319e7"),
    ("good first issue", "7057ff"),
    ("regression", "e99695"),
)
TEAMS = (("ENG", "Engineering"), ("DATA", "Data"), ("GRO", "Growth"), ("OPS", "Operations"))
ISSUE_STATES = (("Todo", "unstarted"), ("In Progress", "started"), ("In Review", "started"))
# The analytics database behind postgres-mcp: (table, columns).
DEMO_TABLES = (
    ("orders", ("id", "customer_id", "total_cents", "currency", "status", "created_at")),
    ("customers", ("id", "email", "country", "plan", "signed_up_at")),
    ("invoices", ("id", "order_id", "amount_cents", "due_at", "paid_at")),
    ("events", ("id", "user_id", "name", "properties", "occurred_at")),
    ("subscriptions", ("id", "customer_id", "plan", "mrr_cents", "started_at", "canceled_at")),
    ("products", ("id", "sku", "name", "price_cents", "inventory", "updated_at")),
)
COLUMN_TYPES = {"id": "bigint", "email": "text", "properties": "jsonb", "country": "char(2)"}
METRICS = ("revenue", "signups", "churn", "conversion", "refunds", "active users")
REGIONS = ("EMEA", "North America", "LATAM", "APAC", "DACH", "Nordics")
SITES = (
    "shop.acme.example",
    "staging.acme.example",
    "docs.acme.example",
    "status.acme.example",
    "competitor.example",
    "pricing.globex.example",
)
PATHS = ("/", "/pricing", "/checkout", "/login", "/docs/api", "/blog", "/cart", "/account")
SELECTORS = ("#submit", "button[type=submit]", ".price", "#email", "nav a.login", "main h1")
CONSOLE = (
    ("warning", "Third-party cookie will be blocked"),
    ("error", "Failed to load resource: the server responded with a status of 404"),
    ("info", "Service worker registered"),
)
CHANNELS = ("#eng", "#support", "#sales", "#incidents", "#random", "#data-requests")
SOURCES = ("linkedin", "indeed", "wellfound", "company-careers", "glassdoor")
PROVIDERS = ("clearbit", "apollo", "crunchbase", "builtwith")
ROLES_TARGETED = ("CTO", "VP Engineering", "Head of Data", "Head of Growth", "CFO")
INDUSTRIES = ("fintech", "logistics", "healthtech", "e-commerce", "climate", "cybersecurity")

# ---------------------------------------------------------------------------------------------
# Pools: Faker output computed once per seed
# ---------------------------------------------------------------------------------------------

POOL_NAMES_PER_LOCALE = 300
POOL_COMPANIES = 300
# Loading only the providers we use keeps Faker's start-up (module discovery) to a few ms.
PEOPLE_PROVIDERS = ["faker.providers.person", "faker.providers.internet"]
BUSINESS_PROVIDERS = ["faker.providers.company", "faker.providers.address"]
POOL_TIMESTAMPS = 4000


def ascii_slug(text: str) -> str:
    """Lowercase ASCII letters and digits only ('' for scripts with no Latin form)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()


@dataclass(frozen=True)
class Person:
    """A name from one locale, and an ASCII local part for addresses built from it."""

    first: str
    last: str
    display: str
    local_part: str  # ASCII, for emails and logins


class Pools:
    """Faker output drawn once per seed; payload builders pick from these with the RNG."""

    def __init__(self, seed: int, now: datetime) -> None:
        rng = Random(f"pools-{seed}")
        self.locales = tuple(name for name, _ in LOCALES)
        self.locale_weights = tuple(w for _, w in LOCALES)
        self.people: dict[str, tuple[Person, ...]] = {}
        for index, locale in enumerate(self.locales):
            fake = Faker(locale, providers=PEOPLE_PROVIDERS)
            fake.seed_instance(seed * 100 + index)
            self.people[locale] = tuple(_people(fake, locale, POOL_NAMES_PER_LOCALE))
        fake = Faker("en_US", providers=[*PEOPLE_PROVIDERS, *BUSINESS_PROVIDERS])
        fake.seed_instance(seed)
        self.companies = tuple(_company(fake) for _ in range(POOL_COMPANIES))
        self.cities = tuple(fake.city() for _ in range(200))
        self.catch_phrases = tuple(fake.catch_phrase() for _ in range(200))
        self.logins = tuple(p.local_part.replace(".", "-") for p in self.people["en_US"])
        horizon = 2 * 365 * 86400
        self.timestamps = tuple(
            (now - timedelta(seconds=rng.randrange(horizon))).strftime("%Y-%m-%dT%H:%M:%SZ")
            for _ in range(POOL_TIMESTAMPS)
        )
        self.hex = tuple(f"{rng.getrandbits(160):040x}" for _ in range(1000))


def _people(fake: Faker, locale: str, count: int) -> list[Person]:
    people = []
    for _ in range(count):
        first, last = fake.first_name(), fake.last_name()
        # Family name first where that is the convention, so display names look right.
        display = f"{last}{first}" if locale == "ja_JP" else f"{first} {last}"
        slug_first, slug_last = ascii_slug(first), ascii_slug(last)
        if slug_first and slug_last:
            local = f"{slug_first}.{slug_last}"
        else:
            local = ascii_slug(fake.user_name()) or "user"
        people.append(Person(first, last, display, local))
    return people


def _company(fake: Faker) -> tuple[str, str]:
    name = fake.company()
    stem = ascii_slug(name.split(",")[0].split(" and ")[0])[:18] or "company"
    return name, f"{stem}.{fake.random_element(('com', 'io', 'co', 'dev', 'ai'))}"


# ---------------------------------------------------------------------------------------------
# Tool payload builders, one per tool; `f` is the session's focus (repo, table, site, ...)
# ---------------------------------------------------------------------------------------------


def _issue(r: Random, p: Pools, f: Focus) -> Json:
    label = r.choice(LABELS)
    return {
        "number": r.randrange(100, 9000),
        "title": f"{r.choice(AREAS).capitalize()} {r.choice(PROBLEMS)}",
        "state": "open" if r.random() < 0.7 else "closed",
        "user": {"login": r.choice(p.logins), "type": "User"},
        "labels": [{"name": label[0], "color": label[1]}],
        "comments": int(r.expovariate(0.3)),
        "updated_at": r.choice(p.timestamps),
    }


def gh_search_issues(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    label = r.choice(LABELS)[0]
    query = f"is:open label:{label} {r.choice(AREAS)}"
    items = [_issue(r, p, f) for _ in range(r.randrange(0, 5))]
    inp = {"repo": f["repo"], "query": query, "sort": "updated", "per_page": 10}
    return inp, {"total_count": len(items) + r.randrange(0, 40), "items": items}


def gh_get_issue(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    issue = _issue(r, p, f)
    issue["body"] = f"Steps to reproduce:\n1. Open {r.choice(PATHS)}\n2. {r.choice(PROBLEMS)}"
    issue["assignees"] = [{"login": r.choice(p.logins)}]
    issue["milestone"] = {"title": f"v{r.randrange(1, 5)}.{r.randrange(0, 12)}", "open_issues": 7}
    issue["reactions"] = {"+1": r.randrange(0, 9), "eyes": r.randrange(0, 3)}
    return {"repo": f["repo"], "number": issue["number"]}, issue


def gh_create_issue(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    title = f"{r.choice(AREAS).capitalize()} {r.choice(PROBLEMS)}"
    labels = [r.choice(LABELS)[0]]
    inp = {"repo": f["repo"], "title": title, "body": r.choice(p.catch_phrases), "labels": labels}
    number = r.randrange(100, 9000)
    url = f"https://github.com/{f['repo']}/issues/{number}"
    return inp, {"number": number, "html_url": url, "state": "open"}


def gh_list_pull_requests(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    pulls = [
        {
            "number": r.randrange(100, 9000),
            "title": f"Fix {r.choice(AREAS)} {r.choice(PROBLEMS)}",
            "head": {"ref": f"fix/{r.choice(AREAS).replace(' ', '-')}", "sha": r.choice(p.hex)},
            "base": {"ref": "main"},
            "draft": r.random() < 0.2,
            "mergeable_state": r.choice(("clean", "blocked", "behind", "dirty")),
        }
        for _ in range(r.randrange(0, 4))
    ]
    return {"repo": f["repo"], "state": "open", "base": "main"}, {"pulls": pulls}


def gh_get_file_contents(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    area = r.choice(AREAS).replace(" ", "_").lower()
    path = f"src/{area}/handler.py"
    content = f"def handle_{area}(request):\n    # TODO: {r.choice(PROBLEMS)}\n    return ok()\n"
    out = {"path": path, "sha": r.choice(p.hex), "size": len(content), "content": content}
    return {"repo": f["repo"], "path": path, "ref": "main"}, out


def gh_add_comment(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    number = r.randrange(100, 9000)
    body = f"Reproduced on {r.choice(CLIENTS)[0]}; {r.choice(PROBLEMS)}."
    url = f"https://github.com/{f['repo']}/issues/{number}#issuecomment-{r.randrange(10**9)}"
    return {"repo": f["repo"], "number": number, "body": body}, {"html_url": url}


def _linear_issue(r: Random, p: Pools, f: Focus) -> Json:
    state = r.choice(ISSUE_STATES)
    person = r.choice(p.people["en_US"])
    return {
        "identifier": f"{f['team']}-{r.randrange(10, 3000)}",
        "title": f"{r.choice(AREAS).capitalize()} {r.choice(PROBLEMS)}",
        "state": {"name": state[0], "type": state[1]},
        "priority": r.randrange(0, 5),
        "assignee": {"name": person.display, "email": f"{person.local_part}@acme.example"},
        "cycle": {"number": r.randrange(20, 60)},
    }


def lin_search_issues(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    nodes = [_linear_issue(r, p, f) for _ in range(r.randrange(0, 5))]
    inp = {
        "team": f["team"],
        "query": r.choice(AREAS),
        "filter": {"state": {"type": {"in": ["unstarted", "started"]}}, "priority": {"lte": 2}},
        "first": 20,
    }
    page = {"hasNextPage": r.random() < 0.3, "endCursor": r.choice(p.hex)[:24]}
    return inp, {"nodes": nodes, "pageInfo": page}


def lin_create_issue(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    ident = f"{f['team']}-{r.randrange(10, 3000)}"
    title = f"{r.choice(AREAS).capitalize()} {r.choice(PROBLEMS)}"
    inp = {"team": f["team"], "title": title, "priority": r.randrange(1, 5), "labels": ["Bug"]}
    url = f"https://linear.app/acme/issue/{ident}"
    return inp, {"success": True, "issue": {"identifier": ident, "url": url}}


def lin_update_issue(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    ident = f"{f['team']}-{r.randrange(10, 3000)}"
    state = r.choice(ISSUE_STATES)
    inp = {"id": ident, "update": {"state": state[0], "priority": r.randrange(1, 5)}}
    return inp, {"success": True, "issue": {"identifier": ident, "state": {"name": state[0]}}}


def lin_list_projects(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    nodes = [
        {
            "name": f"{r.choice(AREAS).capitalize()} revamp",
            "progress": round(r.random(), 2),
            "lead": {"name": r.choice(p.people["en_GB"]).display},
            "targetDate": r.choice(p.timestamps)[:10],
        }
        for _ in range(r.randrange(1, 4))
    ]
    return {"team": f["team"], "first": 10}, {"nodes": nodes}


def pg_list_tables(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    tables = [
        {
            "name": name,
            "rows_estimate": r.randrange(10**3, 10**7),
            "size": f"{r.randrange(1, 900)} MB",
        }
        for name, _ in DEMO_TABLES
    ]
    return {"schema": "public"}, {"tables": tables}


def pg_describe_table(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    table, columns = f["table"], TABLE_COLUMNS[f["table"]]
    cols = [
        {
            "name": c,
            "type": COLUMN_TYPES.get(c, "timestamptz" if c.endswith("_at") else "text"),
            "nullable": c != "id",
        }
        for c in columns
    ]
    index = {"name": f"{table}_pkey", "definition": f"CREATE UNIQUE INDEX ON {table} (id)"}
    return {"table": table}, {"table": table, "columns": cols, "indexes": [index]}


def pg_run_query(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    table, columns = f["table"], TABLE_COLUMNS[f["table"]]
    cols = [c for c in columns if not c.endswith("_at")][:3]
    since = next(c for c in columns if c.endswith("_at"))
    where = f"WHERE {since} >= $1 ORDER BY 1 DESC LIMIT 20"
    sql = f"SELECT {', '.join(cols)} FROM {table} {where}"  # noqa: S608 - payload text, never run
    rows = [[_cell(r, p, table, c) for c in cols] for _ in range(r.randrange(0, 8))]
    inp = {"sql": sql, "params": [r.choice(p.timestamps)[:10]], "timeout_ms": 15000}
    out = {
        "columns": cols,
        "rows": rows,
        "row_count": len(rows),
        "duration_ms": r.randrange(2, 900),
    }
    return inp, out


CELL_CHOICES = {
    "country": ("US", "DE", "GB", "FR", "BR", "IN", "JP", "PL"),
    "plan": ("free", "team", "business", "enterprise"),
    "sku": ("SKU-1042", "SKU-2210", "SKU-3307", "SKU-4891"),
    "products.name": ("Widget Pro", "Starter kit", "USB-C cable 2 m", "Desk lamp"),
    "events.name": ("signup", "checkout_started", "invite_sent", "export_downloaded"),
}


def _cell(r: Random, p: Pools, table: str, column: str) -> Any:
    """A plausible value for a column of DEMO_TABLES, judged by its name."""
    choices = CELL_CHOICES.get(f"{table}.{column}") or CELL_CHOICES.get(column)
    if choices:
        return r.choice(choices)
    if column == "email":
        return f"{r.choice(p.people['en_US']).local_part}@{r.choice(p.companies)[1]}"
    return r.randrange(1, 250_000)  # ids, foreign keys, amounts in cents


def pg_explain(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    table = f["table"]
    sql = f"SELECT * FROM {table} WHERE customer_id = $1"  # noqa: S608 - payload text
    scan = {
        "Node Type": "Index Scan",
        "Relation Name": table,
        "Index Name": f"ix_{table}_customer_id",
        "Plan Rows": r.randrange(1, 500),
    }
    plan = {"Node Type": "Limit", "Total Cost": round(r.random() * 900, 2), "Plans": [scan]}
    return {"sql": sql, "analyze": False}, {"plan": plan}


def br_navigate(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    url = f"https://{f['site']}{r.choice(PATHS)}"
    timing = {
        "dns_ms": r.randrange(1, 80),
        "ttfb_ms": r.randrange(40, 900),
        "load_ms": r.randrange(300, 6000),
    }
    console = (
        [dict(zip(("level", "text"), r.choice(CONSOLE), strict=True))] if r.random() < 0.3 else []
    )
    out = {
        "url": url,
        "status": 200,
        "title": f"{r.choice(AREAS).capitalize()} | {f['site']}",
        "timing": timing,
        "console": console,
    }
    return {"url": url, "wait_until": "networkidle"}, out


def br_screenshot(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    full = r.random() < 0.4
    height = r.randrange(2000, 9000) if full else 800
    image = {
        "mime_type": "image/png",
        "width": 1280,
        "height": height,
        "bytes": r.randrange(80_000, 2_000_000),
        "sha256": r.choice(p.hex),
    }
    return {"full_page": full, "selector": None}, {
        "image": image,
        "viewport": {"width": 1280, "height": 800},
    }


def br_click(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    selector = r.choice(SELECTORS)
    nav = (
        {"url": f"https://{f['site']}{r.choice(PATHS)}", "status": 200}
        if r.random() < 0.4
        else None
    )
    return {"selector": selector, "timeout_ms": 10000}, {"clicked": True, "navigation": nav}


def br_extract_text(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    text = f"{r.choice(p.catch_phrases)}. Plans from ${r.randrange(9, 99)}/month."
    return {"selector": r.choice(SELECTORS)}, {"text": text, "length": len(text)}


def br_fill_form(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    person = r.choice(p.people["en_US"])
    fields = [
        {"selector": "#email", "value": f"{person.local_part}@example.com"},
        {"selector": "#name", "value": person.display},
    ]
    return {"fields": fields, "submit": True}, {
        "filled": 2,
        "submitted": True,
        "validation_errors": [],
    }


def sl_post_message(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    text = f"Heads up: {r.choice(AREAS)} {r.choice(PROBLEMS)}"
    ts = f"{r.randrange(1_700_000_000, 1_800_000_000)}.{r.randrange(10**6):06d}"
    return {"channel": f["channel"], "text": text}, {"ok": True, "channel": f["channel"], "ts": ts}


def sl_search_messages(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    matches = [
        {
            "user": r.choice(p.logins),
            "text": f"{r.choice(AREAS)} {r.choice(PROBLEMS)}",
            "channel": {"name": f["channel"]},
            "ts": r.choice(p.timestamps),
        }
        for _ in range(r.randrange(0, 5))
    ]
    return {"query": r.choice(AREAS), "count": 20}, {
        "messages": {"total": len(matches), "matches": matches}
    }


def sl_list_channels(r: Random, p: Pools, f: Focus) -> tuple[Json, Json]:
    chans = [{"name": c, "num_members": r.randrange(3, 400), "is_private": False} for c in CHANNELS]
    return {"limit": 100}, {"channels": chans}


TABLE_COLUMNS = dict(DEMO_TABLES)

# ---------------------------------------------------------------------------------------------
# Servers: tools (name, weight, median ms, builder), error messages, titles, focus
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolSpec:
    """One tool of an MCP server: how often sessions call it, how long it takes, its payloads."""

    name: str
    weight: int
    median_ms: int
    build: Builder


@dataclass(frozen=True)
class ServerSpec:
    """An MCP server or a workflow, with the text its sessions and tickets draw from."""

    slug: str
    name: str
    kind: str
    tools: tuple[ToolSpec, ...] = ()
    errors: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    ticket_titles: tuple[str, ...] = ()


GITHUB = ServerSpec(
    "github-mcp",
    "GitHub",
    "mcp",
    tools=(
        ToolSpec("search_issues", 30, 420, gh_search_issues),
        ToolSpec("get_issue", 22, 260, gh_get_issue),
        ToolSpec("create_issue", 8, 610, gh_create_issue),
        ToolSpec("list_pull_requests", 14, 380, gh_list_pull_requests),
        ToolSpec("get_file_contents", 18, 300, gh_get_file_contents),
        ToolSpec("add_issue_comment", 8, 520, gh_add_comment),
    ),
    errors=(
        "API rate limit exceeded for installation (5000 requests/hour); retry after 37s",
        "404 Not Found: repository {repo} not found or token lacks access",
        "401 Bad credentials: the GitHub token expired",
        "422 Validation Failed: title is too long (maximum is 256 characters)",
        "502 Bad Gateway from api.github.com",
    ),
    titles=(
        "Triage open bugs in {repo}",
        "Find duplicate issues about {area} in {repo}",
        "Summarise PRs waiting for review in {repo}",
        "Why does {area} {problem}?",
        "File issues from the {area} incident review",
        "Draft release notes for {repo}",
    ),
    ticket_titles=(
        "GitHub search returns nothing for private repos",
        "Issue created twice after a retry",
        "Token expired in the middle of a session",
    ),
)

LINEAR = ServerSpec(
    "linear-mcp",
    "Linear",
    "mcp",
    tools=(
        ToolSpec("search_issues", 34, 350, lin_search_issues),
        ToolSpec("create_issue", 20, 540, lin_create_issue),
        ToolSpec("update_issue", 26, 410, lin_update_issue),
        ToolSpec("list_projects", 10, 300, lin_list_projects),
    ),
    errors=(
        "Linear API error: Entity not found: Issue",
        "Rate limit exceeded: 1500 requests per hour per user",
        "Argument Validation Error: priority must be between 0 and 4",
        "Authentication required, not authenticated",
    ),
    titles=(
        "Plan next cycle for {team_name}",
        "Turn meeting notes into {team} tickets",
        "Clean up stale {team} issues",
        "Move {area} bugs to In Review",
    ),
    ticket_titles=(
        "Linear issues assigned to the wrong team",
        "Priorities not saved when updating issues",
    ),
)

POSTGRES = ServerSpec(
    "postgres-mcp",
    "Postgres (analytics replica)",
    "mcp",
    tools=(
        ToolSpec("run_query", 46, 180, pg_run_query),
        ToolSpec("list_tables", 12, 60, pg_list_tables),
        ToolSpec("describe_table", 24, 70, pg_describe_table),
        ToolSpec("explain_query", 10, 120, pg_explain),
    ),
    errors=(
        'relation "{table}_archive" does not exist',
        "canceling statement due to statement timeout",
        'column "revenue_usd" does not exist; did you mean "total_cents"?',
        "permission denied for table {table}",
        "could not connect to server: Connection refused",
        'syntax error at or near "FROM"',
    ),
    titles=(
        "Why did {metric} drop last week?",
        "Top customers by {metric} in {region}",
        "Monthly {metric} by plan from {table}",
        "Find duplicate rows in {table}",
        "Check slow queries on {table}",
    ),
    ticket_titles=(
        "Query timed out on the analytics replica",
        "Numbers do not match the finance report",
        "Permission denied on a table we should see",
    ),
)

BROWSER = ServerSpec(
    "browser-mcp",
    "Browser",
    "mcp",
    tools=(
        ToolSpec("navigate", 30, 1400, br_navigate),
        ToolSpec("screenshot", 18, 900, br_screenshot),
        ToolSpec("click", 22, 350, br_click),
        ToolSpec("extract_text", 18, 220, br_extract_text),
        ToolSpec("fill_form", 8, 700, br_fill_form),
    ),
    errors=(
        "Timeout 30000ms exceeded while waiting for selector '#submit'",
        "net::ERR_NAME_NOT_RESOLVED at https://{site}/",
        "Navigation failed: 503 Service Unavailable",
        "Element is not visible: button[type=submit]",
        "Target page, context or browser has been closed",
    ),
    titles=(
        "Check the pricing page on {site}",
        "Screenshot the checkout flow on {site}",
        "Compare plans on {site}",
        "Test sign-up form on {site}",
        "Collect release notes from {site}",
    ),
    ticket_titles=(
        "Screenshots come back blank",
        "Browser session closes after a few pages",
        "Cannot log in to the staging site",
    ),
)

SLACK = ServerSpec(
    "slack-mcp",
    "Slack",
    "mcp",
    tools=(
        ToolSpec("post_message", 30, 320, sl_post_message),
        ToolSpec("search_messages", 45, 450, sl_search_messages),
        ToolSpec("list_channels", 15, 200, sl_list_channels),
    ),
    errors=(
        "not_in_channel: the bot is not a member of {channel}",
        "ratelimited: retry after 30 seconds",
        "invalid_auth: token revoked",
    ),
    titles=(
        "Summarise yesterday in {channel}",
        "Post the {area} incident update to {channel}",
        "Find the thread about {area}",
    ),
    ticket_titles=("Messages posted to the wrong channel", "Slack search misses old threads"),
)

LEAD_GEN = ServerSpec(
    "lead-gen",
    "Lead generation",
    "workflow",
    titles=(
        "Lead gen: {role} at {industry} companies in {city}",
        "Outbound for {industry} in {region}",
        "Hiring signals: {industry} teams growing in {city}",
    ),
    ticket_titles=("Campaign stuck in draft", "Enrichment found no companies", "Contacts bounced"),
)

MARKET_SCAN = ServerSpec(
    "market-scan",
    "Market scan",
    "workflow",
    titles=("Market scan: {industry} in {region}", "Competitor hiring in {industry}"),
    ticket_titles=("Market scan report is empty",),
)

SERVERS = {
    "acme": (GITHUB, LINEAR, POSTGRES, BROWSER, LEAD_GEN, MARKET_SCAN),
    "globex": (GITHUB, SLACK, POSTGRES, LEAD_GEN, MARKET_SCAN),
}
# Stages a workflow skips entirely (status 'skipped'); lead-gen runs all five.
SKIPPED_STAGES = {"lead-gen": (), "market-scan": ("contacts", "campaigns")}


def make_focus(r: Random, p: Pools, org: str) -> Focus:
    """What a session is about; titles and tool inputs both draw from it so they agree."""
    team = r.choice(TEAMS)
    table = r.choice(DEMO_TABLES)[0]
    return {
        "repo": f"{org}/{r.choice(REPOS)}",
        "team": team[0],
        "team_name": team[1],
        "table": table,
        "site": r.choice(SITES),
        "channel": r.choice(CHANNELS),
        "area": r.choice(AREAS),
        "problem": r.choice(PROBLEMS),
        "metric": r.choice(METRICS),
        "region": r.choice(REGIONS),
        "industry": r.choice(INDUSTRIES),
        "city": r.choice(p.cities),
        "role": r.choice(ROLES_TARGETED),
    }


# ---------------------------------------------------------------------------------------------
# Support ticket text
# ---------------------------------------------------------------------------------------------

TICKET_SUMMARIES = (
    "The assistant kept retrying the same call and never finished.",
    "Results looked wrong compared to what we see in the product.",
    "I had to start over twice; the session lost its progress.",
    "It worked yesterday, today every call fails.",
    "The answer cited data I do not have access to.",
    "Very slow today, several calls took more than a minute.",
)
TICKET_STATUS_WEIGHTS = (
    ("pending", 16),
    ("in_progress", 14),
    ("resolved", 42),
    ("closed", 28),
)
TICKET_PRIORITY_WEIGHTS = (("low", 30), ("medium", 40), ("high", 22), ("critical", 8))
GENERAL_TICKET_TITLES = (
    "How do I connect a new MCP server?",
    "Please delete my account data",
    "Billing question about seats",
    "Cannot find my past sessions",
)

# ---------------------------------------------------------------------------------------------
# Workflow stage data and the one deliberately big payload
# ---------------------------------------------------------------------------------------------


def stage_data(r: Random, p: Pools, f: Focus, stage: str, done: int) -> Json:
    """The `data` of a stage row: what it found, with a small sample a human can read."""
    return _STAGE_DATA[stage](r, p, f, done)


def _scraping_data(r: Random, p: Pools, f: Focus, done: int) -> Json:
    sample = [
        {
            "title": f["role"],
            "company": r.choice(p.companies)[0],
            "location": f["city"],
            "posted_at": r.choice(p.timestamps),
        }
        for _ in range(min(done, 2))
    ]
    query = {"titles": [f["role"]], "location": f["city"], "industry": f["industry"]}
    return {"sources": r.sample(SOURCES, 2), "query": query, "sample": sample}


def _enrichment_data(r: Random, p: Pools, f: Focus, done: int) -> Json:
    name, domain = r.choice(p.companies)
    company = {
        "name": name,
        "domain": domain,
        "headcount": r.randrange(11, 5000),
        "funding": {
            "stage": r.choice(("Seed", "Series A", "Series B")),
            "total_usd": r.randrange(1, 90) * 1_000_000,
        },
    }
    return {
        "providers": r.sample(PROVIDERS, 2),
        "fields": ["headcount", "funding", "tech"],
        "sample": [company] if done else [],
    }


def _contacts_data(r: Random, p: Pools, f: Focus, done: int) -> Json:
    person = r.choice(p.people["en_US"])
    contact = {
        "name": person.display,
        "title": f["role"],
        "email": f"{person.local_part}@{r.choice(p.companies)[1]}",
        "verified": True,
    }
    return {"roles": [f["role"]], "verified": int(done * 0.8), "sample": [contact] if done else []}


def _campaigns_data(r: Random, p: Pools, f: Focus, done: int) -> Json:
    campaigns = [
        {
            "name": f"{f['industry'].capitalize()} {f['role']} #{i + 1}",
            "channel": "email",
            "steps": r.randrange(2, 5),
            "scheduled": r.randrange(20, 400),
        }
        for i in range(min(done, 4))
    ]
    return {"campaigns": campaigns}


def _results_data(r: Random, p: Pools, f: Focus, done: int) -> Json:
    url = f"https://files.example/exports/{r.choice(p.hex)[:20]}.csv"
    return {"report": {"format": "csv", "rows": done}, "export_url": url}


_STAGE_DATA: dict[str, Callable[[Random, Pools, Focus, int], Json]] = {
    "scraping": _scraping_data,
    "enrichment": _enrichment_data,
    "contacts": _contacts_data,
    "campaigns": _campaigns_data,
    "results": _results_data,
}


STAGE_ERRORS = {
    "scraping": "LinkedIn returned 999: request blocked after 412 pages",
    "enrichment": "Enrichment provider quota exhausted (10000 lookups/month)",
    "contacts": "Email verification service timed out after 3 retries",
    "campaigns": "Mailbox not connected: OAuth token revoked",
    "results": "Export failed: disk quota exceeded",
}


def big_query_result(r: Random, p: Pools, target_bytes: int) -> Json:
    """A run_query result of at least `target_bytes` of compact JSON (every orders row)."""
    columns = list(TABLE_COLUMNS["orders"])
    rows: list[list[Any]] = []
    result = {"columns": columns, "rows": rows, "row_count": 0, "truncated": False}
    size = len(_compact(result))
    while size < target_bytes:
        # Counted a thousand rows at a time (one encode per chunk): the chunk's brackets
        # become one comma in the whole; row_count's extra digits are checked below.
        chunk = [_order_row(r, p, len(rows) + i + 1) for i in range(1000)]
        rows.extend(chunk)
        size += len(_compact(chunk)) - 1
        if size >= target_bytes:
            result["row_count"] = len(rows)
            size = len(_compact(result))
    return result


def _order_row(r: Random, p: Pools, order_id: int) -> list[Any]:
    currency = r.choice(("EUR", "USD", "GBP"))
    status = r.choice(("paid", "refunded", "pending"))
    return [
        order_id,
        r.randrange(1, 90_000),
        r.randrange(100, 250_000),
        currency,
        status,
        r.choice(p.timestamps),
    ]


_compact = json.JSONEncoder(separators=(",", ":")).encode  # ASCII here: len() is bytes
