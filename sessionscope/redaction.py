"""Redaction rules of an organization, compiled once, applied to payloads and texts.

Rules are JSON (`org_policies.redaction`): `keys` whose values are masked at any depth
(case-insensitive), `patterns` masked inside every string (built-in names, or a checked
regular expression written `re:...`), and `drop_payloads` to store no input or output at
all. Writers (ingest, import, sync) call `redactor_for(conn, org_id)` once per request or
file: one primary-key read, and the compiled Redactor is cached by the rules' content, so
a change made on the Admin page applies to the very next request in every process.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from sessionscope.errors import SessionscopeError
from sessionscope.schema import org_policies

MASK = "[redacted]"
DEFAULT_KEYS = ("password", "token", "authorization", "api_key", "secret")
# Built-in patterns, by the name the rules use. Cards: a run of digits, spaces and dashes
# holding 13 to 19 digits, kept if the Luhn check fails (order numbers mostly do). Each is
# its own regex, skipped when the text lacks its literal: a 10 KB text payload took 950 us
# with the three as one alternation, 340 us so (`Bearer` alone: 3 us where `\bBearer`
# took 168, re scans for a literal prefix; the card run 230 us, `\d(?:[ -]?\d){12,18}` 420).
BUILT_IN: dict[str, str] = {
    "email": r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}",
    "bearer": r"Bearer\s+\S+",
    "card": r"(?<![\d-])\d[\d \-]{11,36}\d(?![\d-])",
}
_NEEDLES = {"email": "@", "bearer": "Bearer"}
CARD_DIGITS = range(13, 20)
# What is redacted of each table's rows: (JSON payload columns, text columns). A session's
# title is made from its first call's arguments, so it is masked like one.
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "tool_calls": (("input", "output"), ("error_message",)),
    "support_tickets": ((), ("title", "summary", "context")),
    "sessions": ((), ("title",)),
}
# A new organization: secrets by key, bearer tokens and card numbers by pattern. Emails are
# not masked by default: they are the working data of many tools (contacts, tickets).
DEFAULT_RULES: dict[str, Any] = {
    "keys": list(DEFAULT_KEYS),
    "patterns": ["bearer", "card"],
    "drop_payloads": False,
}
CUSTOM_PREFIX = "re:"
MAX_KEYS, MAX_PATTERNS, MAX_PATTERN_CHARS, MAX_KEY_CHARS = 50, 20, 200, 100
# A group that repeats and holds a repetition, e.g. (a+)+ or (\w*x)*: exponential
# backtracking on a near-miss. Refused rather than run against every payload.
_NESTED_REPEAT = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]")


class InvalidRules(SessionscopeError):
    """Redaction rules that cannot be used; the message names the rule and why."""


@dataclass(frozen=True)
class Redactor:
    """Applies one organization's compiled rules. `active` is False when there are none."""

    keys: frozenset[str]
    # (name, compiled, a literal the text must hold for it to match, or "")
    patterns: tuple[tuple[str, re.Pattern[str], str], ...]
    check_cards: bool
    drop_payloads: bool

    @property
    def active(self) -> bool:
        return bool(self.keys or self.patterns or self.drop_payloads)

    def text(self, value: str | None) -> tuple[str | None, bool]:
        """The text with every pattern match masked, and whether anything was."""
        if not value or not self.patterns:
            return value, False
        changed = False
        for name, pattern, needle in self.patterns:
            if needle and needle not in value:
                continue

            def mask(match: re.Match[str], name: str = name) -> str:
                nonlocal changed
                if name == "card" and not self._is_card(match.group()):
                    return match.group()
                changed = True
                return MASK

            value = pattern.sub(mask, value)
        return value, changed

    def _is_card(self, candidate: str) -> bool:
        digits = sum(c.isdigit() for c in candidate)
        separated = "  " not in candidate and "--" not in candidate
        return digits in CARD_DIGITS and separated and (not self.check_cards or _luhn(candidate))

    def payload(self, value: Any) -> tuple[Any, bool]:
        """A JSON value with named keys' values and pattern matches masked (or None when the
        rules drop payloads), and whether anything changed."""
        if value is None:
            return None, False
        if self.drop_payloads:
            return None, True
        if not self.active:
            return value, False
        changed = [False]
        return self._walk(value, changed), changed[0]

    def _walk(self, value: Any, changed: list[bool]) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if str(key).lower() in self.keys and item not in (None, MASK):
                    out[key] = MASK
                    changed[0] = True
                else:
                    out[key] = self._walk(item, changed)
            return out
        if isinstance(value, list):
            return [self._walk(item, changed) for item in value]
        if isinstance(value, str):
            text, hit = self.text(value)
            changed[0] = changed[0] or hit
            return text
        return value


def _luhn(candidate: str) -> bool:
    digits = [int(c) for c in candidate if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def validate(rules: Any) -> dict[str, Any]:
    """The rules in canonical form, or InvalidRules saying what is wrong with them."""
    if not isinstance(rules, dict):
        raise InvalidRules("redaction rules must be an object with keys, patterns, drop_payloads")
    unknown = set(rules) - {"keys", "patterns", "drop_payloads", "check_cards"}
    if unknown:
        raise InvalidRules(f"unknown redaction setting(s): {', '.join(sorted(unknown))}")
    keys = _strings(rules.get("keys", []), "keys", MAX_KEYS, MAX_KEY_CHARS)
    patterns = _strings(rules.get("patterns", []), "patterns", MAX_PATTERNS, MAX_PATTERN_CHARS)
    for n, pattern in enumerate(patterns, 1):
        _check_pattern(n, pattern)
    drop = rules.get("drop_payloads", False)
    if not isinstance(drop, bool):
        raise InvalidRules("drop_payloads must be true or false")
    out = {
        "keys": sorted({k.lower() for k in keys}),
        "patterns": list(dict.fromkeys(patterns)),
        "drop_payloads": drop,
    }
    if rules.get("check_cards", True) is False:
        out["check_cards"] = False
    return out


def _strings(value: Any, name: str, most: int, longest: int) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidRules(f"{name} must be a list of strings")
    cleaned = [v.strip() for v in value if v.strip()]
    if len(cleaned) > most:
        raise InvalidRules(f"at most {most} {name}, not {len(cleaned)}")
    too_long = next((v for v in cleaned if len(v) > longest), None)
    if too_long is not None:
        raise InvalidRules(f"{name}: {too_long[:40]!r}… is longer than {longest} characters")
    return cleaned


def _check_pattern(n: int, pattern: str) -> None:
    if pattern in BUILT_IN:
        return
    if not pattern.startswith(CUSTOM_PREFIX):
        raise InvalidRules(
            f"pattern {n} {pattern!r} is not one of {', '.join(BUILT_IN)}; write a regular "
            f"expression of your own as {CUSTOM_PREFIX}<expression>"
        )
    expression = pattern.removeprefix(CUSTOM_PREFIX)
    try:
        compiled = re.compile(expression)
    except re.error as exc:
        raise InvalidRules(
            f"pattern {n} {expression!r} is not a valid regular expression: {exc}"
        ) from None
    if compiled.match("") is not None:
        raise InvalidRules(f"pattern {n} {expression!r} matches empty text; it would mask nothing")
    if _NESTED_REPEAT.search(expression):
        raise InvalidRules(
            f"pattern {n} {expression!r} repeats a group that itself repeats, which can take "
            "exponential time on some texts; rewrite it without the nesting"
        )


@functools.lru_cache(maxsize=256)
def _compiled(canonical: str) -> Redactor:
    rules = json.loads(canonical)
    patterns = tuple(
        (p, re.compile(BUILT_IN[p]), _NEEDLES.get(p, ""))
        if p in BUILT_IN
        else ("custom", re.compile(p.removeprefix(CUSTOM_PREFIX)), "")
        for p in rules["patterns"]
    )
    return Redactor(
        keys=frozenset(rules["keys"]),
        patterns=patterns,
        check_cards=rules.get("check_cards", True),
        drop_payloads=rules["drop_payloads"],
    )


def compile_rules(rules: dict[str, Any]) -> Redactor:
    """The Redactor of validated rules, compiled once per distinct set of rules."""
    return _compiled(json.dumps(validate(rules), sort_keys=True))


def rules_of(conn: sa.Connection, org_id: str) -> dict[str, Any]:
    """The organization's stored rules, or DEFAULT_RULES when it has set none."""
    p = org_policies.c
    stored = conn.execute(sa.select(p.redaction).where(p.org_id == org_id)).scalar_one_or_none()
    return dict(stored) if stored is not None else dict(DEFAULT_RULES)


def redactor_for(conn: sa.Connection, org_id: str) -> Redactor:
    """The organization's Redactor: read once per request, compiled once per rule set."""
    return compile_rules(rules_of(conn, org_id))


def redact_row(redactor: Redactor, table: str, row: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The row of `table` with its FIELDS redacted, and whether any was. A changed tool call
    says so in its attributes (`redacted`: true), which the details pane shows."""
    payloads, texts = FIELDS.get(table, ((), ()))
    out, changed = dict(row), False
    for name in payloads:
        if name in out:
            out[name], hit = redactor.payload(out[name])
            changed = changed or hit
    for name in texts:
        if name in out:
            out[name], hit = redactor.text(out[name])
            changed = changed or hit
    if changed and table == "tool_calls":
        out["attributes"] = {**(out.get("attributes") or {}), "redacted": True}
    return out, changed
