"""A per-process count of ingest writes per organization, for the dashboard's cache keys.

The OTLP route runs in the dashboard's own process, so when spans land, the cached lists
(users, a user's sessions, a session's header, an item) of that organization turn over at
once instead of after their TTL: a session that has just arrived is never shown as "not
available" from a cache. Another replica learns of it through its TTLs (seconds to a
minute); see the README's "Live capture".
"""

from __future__ import annotations

import threading
from collections import Counter

_lock = threading.Lock()
_versions: Counter[str] = Counter()


def bump(org_id: str) -> None:
    """Note that `org_id`'s sessions changed in this process."""
    with _lock:
        _versions[org_id] += 1


def version(org_id: str) -> int:
    """How many ingest writes for `org_id` this process has seen: a cache-key part."""
    return _versions[org_id]
