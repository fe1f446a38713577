"""Accessibility in a real browser: axe-core on every page in both themes, the explorer by
keyboard alone, and status never shown by colour alone.

Whose markup a violation is in (the rule the test applies and the report states):

- **project**: the node is, or is inside, an element whose content the project writes
  itself: ``st.markdown`` / ``st.caption`` / ``st.write`` text (``data-testid`` ``stMarkdown``,
  ``stCaptionContainer``), ``st.title`` / ``st.subheader`` (``stHeading``), ``st.text``
  (``stText``), ``st.html`` (``stHtml``), or the session cards and timeline rows: the options
  of the two radios the project restyles with its own CSS (``.st-key-us_list``,
  ``.st-key-us_tl_items``, components/panes.py).
  The theme colours in .streamlit/config.toml are the project's too, so colour contrast of
  that text counts here.
- **streamlit**: every other node: Streamlit's own widgets and chrome (navigation, sidebar,
  header, toolbar, inputs, pills, tabs, buttons, other radios, alerts, the data grid,
  plotly charts) and page-level rules whose node is ``html``/``body``. A widget's label is
  text the project passes, but its markup, colours and roles are Streamlit's.

The scan fails on any critical or serious violation in project markup; Streamlit's are only
counted. Each scan adds its figures to test-output/accessibility/axe-report.json and
axe-report.md (rule id, impact, node count, whose), for docs/reliability.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from harness import screenshot, wait_for_query, wait_idle
from sessionscope.settings import PROJECT_ROOT

REPORT_DIR = PROJECT_ROOT / "test-output" / "accessibility"
FAILING_IMPACTS = ("critical", "serious")
IMPACTS = ("critical", "serious", "moderate", "minor")
PROJECT_MARKUP = ", ".join(
    [
        "[data-testid='stMarkdown']",
        "[data-testid='stCaptionContainer']",
        "[data-testid='stHeading']",
        "[data-testid='stText']",
        "[data-testid='stHtml']",
        ".st-key-us_list [role='radiogroup']",
        ".st-key-us_tl_items [role='radiogroup']",
    ]
)
# For each violation node: whether it lies in project markup (see the module docstring).
_CLASSIFY = """([violations, selector]) => violations.map(v => v.nodes.map(n => {
  const t = n.target;
  if (t.length !== 1 || typeof t[0] !== 'string') return false;  // in a frame or shadow DOM
  let el = null;
  try { el = document.querySelector(t[0]); } catch (e) { return false; }
  return !!(el && el.closest(selector));
}))"""


@dataclass(frozen=True)
class Scan:
    """One scan: `path` opened on the `server` fixture's app, then `click` clicked (a
    Playwright selector) when what is scanned is not shown cold, then `marker` (text, or a
    css= selector) awaited to know it is rendered."""

    name: str
    server: str
    path: str
    marker: str
    click: str | None = None


RESUME = "role=button[name='Resume…']"
SCANS = [
    Scan("users", "server", "/users", "css=[data-testid='stDataFrame'] canvas"),
    Scan(
        "user-sessions-call",
        "server",
        "/user?user=usr_ann&session=ses_long&item=tc_long010",
        "rate limited",
    ),
    Scan(
        "user-sessions-ticket",
        "server",
        "/user?user=usr_ann&session=ses_long&item=sr_long1",
        "The export button fails",
    ),
    Scan("session-details-mcp", "server", "/session?session=ses_long", "Calls per tool"),
    Scan("session-details-workflow", "demo_server", "/session?session=ses_demo_paused", "Resume"),
    Scan(
        "resume-dialog",
        "demo_server",
        "/session?session=ses_demo_paused",
        "css=[role='dialog'] :text('Completed stages')",
        click=RESUME,
    ),
    Scan(
        "resume-dialog-corrupt",
        "demo_server",
        "/session?session=ses_demo_corrupt",
        "css=[role='dialog'] :text('Resume from the last completed stage')",
        click=RESUME,
    ),
    Scan("admin", "demo_server", "/admin", "css=[data-testid='stDataFrame'] canvas"),
    Scan(
        "admin-analytics",
        "demo_server",
        "/admin",
        "css=[data-testid='stPlotlyChart'] .main-svg",
        click="role=tab[name='Analytics']",
    ),
    Scan("admin-audit", "demo_server", "/admin", "Append-only", click="role=tab[name='Audit log']"),
    Scan(
        "admin-tool-paths",
        "demo_server",
        "/admin?tab=Analytics&section=Tool+paths",
        "css=[data-testid='stDataFrame'] canvas",
    ),
    Scan(
        "admin-mcp-traffic",
        "demo_server",
        "/admin?tab=Analytics&section=MCP+traffic",
        "css=[data-testid='stDataFrame'] canvas",
    ),
    Scan("search", "server", "/search?q=export+button", "sessions shown, newest first"),
    Scan(
        "compare",
        "server",
        "/compare?a=ses_long&b=ses_big",
        "css=[data-testid='stDataFrame'] canvas",
    ),
    Scan(
        "history-panel",
        "server",
        "/users",
        "Recently viewed",
        click="css=[data-testid='stSidebar'] summary:has-text('Session history')",
    ),
]
_REPORT: dict[str, dict[str, Any]] = {}


@pytest.fixture(params=["light", "dark"])
def scheme(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture()
def context(browser, scheme: str) -> Iterator[object]:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1600, "height": 1000}, color_scheme=scheme)
    yield ctx
    ctx.close()


def axe_violations(page) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """axe-core's violations on the page, each node marked `project` True or False."""
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:  # a set-up error, said plainly
        pytest.fail("The accessibility tests need axe-playwright-python: run `make setup`")
    results = Axe().run(page).response
    assert results["testEngine"]["name"] == "axe-core", results.get("testEngine")
    violations = results["violations"]
    flags = page.evaluate(_CLASSIFY, [violations, PROJECT_MARKUP])
    for violation, node_flags in zip(violations, flags, strict=True):
        for node, is_project in zip(violation["nodes"], node_flags, strict=True):
            node["project"] = is_project
    return violations


def summarize(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per rule and whose markup: rule id, impact, node count, whose."""
    rows = []
    for v in violations:
        for whose, project in (("project", True), ("streamlit", False)):
            nodes = [n for n in v["nodes"] if n["project"] == project]
            if nodes:
                rows.append(
                    {
                        "rule": v["id"],
                        "impact": v["impact"],
                        "count": len(nodes),
                        "whose": whose,
                        "help": v["help"],
                        "failure": nodes[0].get("failureSummary", ""),
                        "targets": [n["target"] for n in nodes][:10],
                    }
                )
    return rows


def write_report() -> None:
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    (REPORT_DIR / "axe-report.json").write_text(json.dumps(_REPORT, indent=2, sort_keys=True))
    lines = ["# axe-core scan", ""]
    lines.append("| page | theme | critical | serious | moderate | minor |")
    lines.append("|---|---|---|---|---|---|")
    for _key, entry in sorted(_REPORT.items()):
        cells = []
        for impact in IMPACTS:
            own = sum(
                r["count"]
                for r in entry["rows"]
                if r["impact"] == impact and r["whose"] == "project"
            )
            theirs = sum(
                r["count"]
                for r in entry["rows"]
                if r["impact"] == impact and r["whose"] == "streamlit"
            )
            cells.append(f"{own} / {theirs}")
        lines.append(f"| {entry['page']} | {entry['theme']} | " + " | ".join(cells) + " |")
    lines += ["", "Counts are nodes, project / Streamlit.", ""]
    for _key, entry in sorted(_REPORT.items()):
        lines += [f"## {entry['page']} ({entry['theme']})", ""]
        if not entry["rows"]:
            lines += ["No violations.", ""]
            continue
        lines += ["| rule | impact | count | whose |", "|---|---|---|---|"]
        for r in entry["rows"]:
            lines.append(f"| {r['rule']} | {r['impact']} | {r['count']} | {r['whose']} |")
        lines.append("")
    (REPORT_DIR / "axe-report.md").write_text("\n".join(lines))


@pytest.mark.parametrize("scan", SCANS, ids=lambda scan: scan.name)
def test_no_serious_violation_in_project_markup(  # type: ignore[no-untyped-def]
    request: pytest.FixtureRequest, context, scheme: str, scan: Scan
) -> None:
    page = context.new_page()
    page.goto(request.getfixturevalue(scan.server).url + scan.path)
    wait_idle(page)
    if scan.click:
        page.locator(scan.click).click()
        wait_idle(page)
    marker = scan.marker
    shown = page.locator(marker) if marker.startswith("css=") else page.get_by_text(marker)
    shown.first.wait_for(timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
    if "session-details" in scan.name:  # charts draw after the run; scan them drawn
        page.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for(timeout=30_000)
    shot = screenshot(page, f"a11y-{scan.name}-{scheme}")
    assert page.locator(PROJECT_MARKUP).count() > 0  # the rule has project markup to judge

    violations = axe_violations(page)
    rows = summarize(violations)
    _REPORT[f"{scan.name}/{scheme}"] = {
        "page": scan.name,
        "theme": scheme,
        "path": scan.path,
        "screenshot": str(shot),
        "rows": rows,
    }
    write_report()
    failing = [r for r in rows if r["whose"] == "project" and r["impact"] in FAILING_IMPACTS]
    assert failing == [], json.dumps(failing, indent=2)


# --- keyboard alone --------------------------------------------------------------------------

# The key of the keyed container holding the focus, and a short name of the focused element.
_FOCUS = """() => {
  const el = document.activeElement;
  const box = el && el.closest('[class*="st-key-"]');
  const key = box ? [...box.classList].find(c => c.startsWith('st-key-')).slice(7) : '';
  const where = el ? [el.tagName.toLowerCase(), el.getAttribute('data-testid') || '',
    (el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 30)].join(' ') : '-';
  return [key, where];
}"""
MAX_TABS = 400  # a bound on the walk, not a timing: the list and the timeline are one stop each
CARD = ".st-key-us_list [role='radiogroup'] > div"
ROW = ".st-key-us_tl_items [role='radiogroup'] > div"
# Whether the option holding the focus is drawn with a visible outline, and its index.
_FOCUSED_OPTION = """() => {
  const input = document.activeElement;
  const option = input && input.closest("[role='radiogroup'] > div");
  if (!option) return null;
  const style = getComputedStyle(option);
  return {index: Number(input.value), outlined: style.outlineStyle !== 'none' &&
          parseFloat(style.outlineWidth) > 0};
}"""


def tab_to(page, key: re.Pattern[str]) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    """Press Tab until the focused element sits in a container whose key matches; return
    that key and the number of presses."""
    path: list[str] = []
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        focused, where = page.evaluate(_FOCUS)
        if key.fullmatch(focused):
            return focused, presses
        path.append(f"{focused or '(no key)'}: {where}")
    shot = screenshot(page, "a11y-keyboard-lost", settle=False)
    raise AssertionError(
        f"no focusable element keyed {key.pattern} within {MAX_TABS} Tabs; the focus went "
        f"{' -> '.join(path[:40])} ... {' -> '.join(path[-10:])}; page in {shot}"
    )


def press_and_wait(page, key: str, **query: str | None) -> None:  # type: ignore[no-untyped-def]
    """Press `key`, wait for the URL and the run it causes, and see the focus stay put."""
    before = page.evaluate(_FOCUS)[0]
    page.keyboard.press(key)
    wait_for_query(page, **query)
    after, where = page.evaluate(_FOCUS)
    assert after == before, f"{key} moved the focus from {before} to {after} ({where})"


def test_a_session_an_item_and_its_details_by_keyboard_alone(browser, server) -> None:  # type: ignore[no-untyped-def]
    """The session list and the timeline are radio groups: Tab enters one, the arrow keys
    move through it and choose; the timeline and the details follow, and the focus stays in
    the group through the rerun."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.goto(server.url + "/user?user=usr_ann")
    wait_idle(page)
    assert page.get_by_text("Choose a session on the left").is_visible()

    # Into the list: the first card (Big payload), outlined; two cards down is ses_long.
    _, card_tabs = tab_to(page, re.compile(r"us_list"))
    assert page.evaluate(_FOCUSED_OPTION) == {"index": 0, "outlined": True}
    assert page.locator(f"{CARD}:has(input:checked)").count() == 0  # focus alone chooses none
    press_and_wait(page, "ArrowDown", session="ses_live", item=None)
    press_and_wait(page, "ArrowDown", session="ses_long", item=None)
    assert "Triage" in page.locator(f"{CARD}:has(input:checked)").inner_text()
    assert page.evaluate(_FOCUSED_OPTION) == {"index": 2, "outlined": True}
    rows = page.locator(ROW)
    rows.first.wait_for()
    assert rows.count() == 100

    # Into the timeline: its first row; two rows down is call #3, and its details show.
    _, row_tabs = tab_to(page, re.compile(r"us_tl_items"))
    assert page.evaluate(_FOCUSED_OPTION) == {"index": 0, "outlined": True}
    press_and_wait(page, "ArrowDown", session="ses_long", item="tc_long002")
    press_and_wait(page, "ArrowDown", session="ses_long", item="tc_long003")
    details = page.locator(".st-key-us_right")
    details.get_by_text("call #3 ·", exact=False).wait_for()

    # Back up one row: the details follow.
    press_and_wait(page, "ArrowUp", session="ses_long", item="tc_long002")
    details.get_by_text("call #2 ·", exact=False).wait_for()
    assert details.get_by_text("call #3 ·", exact=False).count() == 0
    assert page.evaluate(_FOCUSED_OPTION) == {"index": 1, "outlined": True}

    # Into the details: the payload's Text tab by arrow keys shows the input as JSON text.
    tabs = details.get_by_role("tab")
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if tabs.first.evaluate("e => e === document.activeElement"):
            break
    else:
        raise AssertionError("the payload's Tree/Text tabs were not reached by Tab")
    page.keyboard.press("ArrowRight")
    selected = details.get_by_role("tab", name="Text", selected=True).first
    try:
        selected.wait_for(timeout=10_000)
    except Exception as exc:  # say where the focus went, with a picture
        shot = screenshot(page, "a11y-keyboard-tabs", settle=False)
        what = f"ArrowRight left the Text tab unselected; focus {page.evaluate(_FOCUS)}"
        raise AssertionError(f"{what}; page in {shot}") from exc
    page.keyboard.press("Enter")
    wait_idle(page)
    text_panel = details.locator("[data-testid='stCode']").first
    text_panel.wait_for(timeout=10_000)
    assert '"query": "q2"' in text_panel.inner_text()
    screenshot(page, "a11y-keyboard-path")
    print(f"keyboard: the list after {card_tabs} Tabs, the timeline after {row_tabs} more")
    context.close()


# --- status is never colour alone ------------------------------------------------------------

STATUS_WORDS = {
    "active",
    "paused",
    "completed",
    "failed",
    "error",
    "ok",
    "needs_email",
    "pending",
    "in_progress",
    "resolved",
    "closed",
    "low priority",
    "medium priority",
    "high priority",
    "critical priority",
}
# Every badge and coloured span in project markup, with its text without icons.
_COLOURED = """(selector) => [...document.querySelectorAll(selector)]
  .flatMap(box => [...box.querySelectorAll('.stMarkdownBadge, span[style*="color"]')])
  .filter(el => el.getAttribute('role') !== 'img')
  .map(el => {
    const copy = el.cloneNode(true);
    copy.querySelectorAll('[role=img]').forEach(i => i.remove());
    const box = el.getBoundingClientRect();
    return {badge: el.classList.contains('stMarkdownBadge'),
            text: copy.textContent.trim(), visible: box.width > 0 && box.height > 0};
  })"""


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/user?user=usr_ann&session=ses_long&item=tc_long010", {"completed", "active", "error"}),
        ("/user?user=usr_ann&session=ses_long&item=sr_long1", {"high priority", "pending"}),
        ("/session?session=ses_live", {"active"}),
    ],
)
def test_status_is_spelled_out_not_only_coloured(
    browser, server, scheme: str, path: str, expected: set[str]
) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, color_scheme=scheme)
    page = context.new_page()
    page.goto(server.url + path)
    wait_idle(page)
    coloured = page.evaluate(_COLOURED, PROJECT_MARKUP)
    badges = [c for c in coloured if c["badge"]]
    assert badges, "no status badge rendered"
    unlabelled = [c for c in coloured if not re.search(r"[A-Za-z]{2,}", c["text"])]
    assert unlabelled == [], unlabelled
    unknown = {c["text"] for c in badges} - STATUS_WORDS
    assert unknown == set(), unknown
    shown = {c["text"] for c in badges if c["visible"]}
    assert expected <= shown, (expected, shown)
    context.close()
