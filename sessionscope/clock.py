"""The one clock the pages read: relative times, "today", the analytics period, file stamps.

Call it as `clock.now()` (not `from sessionscope.clock import now`), so a test can pin the
instant in one place: tests/pages/test_isolation.py renders two pages at the same instant.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)
