"""Markdown for st: user text shown literally (md), status and priority badges, a session's
row text (title, counts, card lines). No st here.

Numbers, durations, sizes and times as people read them are sessionscope.human."""

from __future__ import annotations

import re
import zlib
from typing import Any

from charts import palette
from sessionscope import human

# Every ASCII punctuation character may be backslash-escaped in CommonMark, which
# turns markdown and HTML in user text (titles, payloads) into literal characters.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&\"'=])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

STATUS_ICONS = {
    "active": ":material/play_circle:",
    "paused": ":material/pause_circle:",
    "completed": ":material/check_circle:",
    "failed": ":material/error:",
}


def md(text: object, *, limit: int | None = None) -> str:
    """User text made safe for st.markdown: shown literally, never as markdown or HTML."""
    s = _CONTROL.sub(" ", "" if text is None else str(text))
    if limit is not None and len(s) > limit:
        s = s[: limit - 1] + "…"
    return _MD_SPECIAL.sub(r"\\\1", s.replace("\n", " "))


# A list label's tag (components/panes.tagged): a space, so that markdown ends the label's
# bold or badge before it, and 24 zero-width characters spelling bits of a checksum of the
# option's id; TAG_AGAIN after it on the rare label and checksum both repeated. Copied with
# a card's title, it is taken out of what is pasted into a search box (url.write_search).
_TAG_BITS = 24
_ZERO, _ONE, TAG_AGAIN = "\u200b", "\u200c", "\u2060"
_TAG_END = re.compile(f" ([{_ZERO}{_ONE}]{{{_TAG_BITS}}}){TAG_AGAIN}*$")
_TAG_ANYWHERE = re.compile(f" ?[{_ZERO}{_ONE}]{{{_TAG_BITS}}}{TAG_AGAIN}*")


def tag(option_id: str) -> str:
    bits = zlib.crc32(option_id.encode())
    return " " + "".join(_ONE if bits >> i & 1 else _ZERO for i in range(_TAG_BITS))


def tag_of(label: str) -> str | None:
    """The tag a label ends with (as tag() gives it), or None."""
    found = _TAG_END.search(label)
    return None if found is None else " " + found.group(1)


def untagged(text: str) -> str:
    """`text` without the list labels' tags in it (a label, or text copied from the page)."""
    return _TAG_ANYWHERE.sub("", text)


# The searchable fields of tool calls and tickets, as Search and Find name them to a user.
FIELD_LABELS = {
    "input": "input",
    "output": "output",
    "error_message": "error",
    "title": "ticket title",
    "summary": "ticket summary",
    "context": "ticket context",
}


# Streamlit pads a coloured background by a quarter rem on each side, which opens a gap
# where a match sits inside a word ("timeout _ms"); the pages that show marks add this rule.
MARK_CSS = (
    "[data-testid='stMarkdownContainer'] span.stMarkdownColoredBackground "
    "{ padding-left: 0 !important; padding-right: 0 !important; }"
)


def marked(text: str, start: int, end: int) -> str:
    """`text` as safe markdown with text[start:end] marked (escaped first, then marked);
    nothing marked when end <= start. The page draws MARK_CSS."""
    if end <= start:
        return md(text)
    before, match, after = text[:start], text[start:end], text[end:]
    return f"{md(before)}:orange-background[**{md(match)}**]{md(after)}"


def status_badge(status: str) -> str:
    """A markdown badge with colour, icon and word, so status never relies on colour alone."""
    return f":{palette.badge_color(status)}-badge[{STATUS_ICONS.get(status, '')} {md(status)}]"


def priority_badge(priority: str) -> str:
    return f":{palette.badge_color(priority)}-badge[{md(priority)} priority]"


# --- a session as a row: its title and counts, on cards, headers and sidebar links ---------------


def title_of(row: Any) -> str:
    """The title, or a readable fallback naming the server and the day."""
    # Lists come back as DataFrames, where a missing title is NaN, not None.
    if isinstance(row.title, str) and row.title.strip():
        return row.title
    return f"Untitled {row.server_name} session, {row.started_at:%b %d}"


def counts_line(row: Any) -> str:
    """Calls, errors and tickets (an MCP session) or jobs, companies, contacts and the stage
    it is at (a workflow), joined by dots."""
    parts = [human.count(row.total_tool_calls, "call")]
    if row.total_errors:
        parts.append(f":red[{human.count(row.total_errors, 'error')}]")
    if row.ticket_count:
        parts.append(human.count(row.ticket_count, "ticket"))
    if row.server_kind == "workflow":
        parts = [
            human.count(row.total_jobs, "job"),
            human.count(row.total_companies, "company").replace("companys", "companies"),
            human.count(row.total_contacts, "contact"),
        ]
        stage = getattr(row, "current_stage", None)
        if isinstance(stage, str) and stage:
            parts.append(f"at {md(stage)}")
    return " · ".join(parts)


def card_title(row: Any) -> str:
    """A session card's first line: its title, bold (the list's CSS keeps it to one line)."""
    return f"**{md(title_of(row), limit=120)}**"


def card_caption(row: Any) -> str:
    """A session card's second and third lines: status and counts; then server, when, how
    long."""
    return (
        f"{status_badge(row.status)} {counts_line(row)}  \n"
        f":gray[{md(row.server_name, limit=40)} · {human.relative(row.started_at)} · "
        f"{human.duration(row.duration_s)}]"
    )


def stage_status(status: str, session_status: str) -> str:
    """A stage's status as it reads in its session: a stage the workflow left "running" when
    it paused is paused (the saved state resumes there); any other reads as stored."""
    return "paused" if status == "running" and session_status == "paused" else status
