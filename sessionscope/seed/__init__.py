"""`sessionscope seed`: deterministic, realistic demo data, from 100 to 1,000,000+ sessions.

The package: ids (the edge cases' stable ids), config (SeedConfig, sizes, the tables
written), content (text and payload templates), generate (the rows, batch by batch), load
(the entry points and the SQLite and PostgreSQL loaders), progress (the bar on stderr).
Import the public names from here.

Same `SeedConfig` (seed and `now`) -> identical rows on either backend: one `random.Random`
drives everything in a fixed order, ids come from counters, and nothing reads the clock except
the default `now`. Rows stream out in batches (a few thousand sessions each), so memory stays
flat however many sessions are asked for.

Invariants the rest of the app may rely on:
- sessions.total_tool_calls / total_errors equal the tool_calls rows / those with is_error.
- total_jobs, total_companies, total_contacts, total_campaigns equal the `completed` count of the
  scraping, enrichment, contacts and campaigns stage rows; every workflow session has all five
  stage rows (`pending` or `skipped` where it never ran).
- For a valid saved state: workflow_state == the latest session_states row, state["version"] ==
  sessions.state_version == that row's version, state["stage"] == sessions.current_stage,
  state["completed_stages"] lists the `completed` stages in order, state["metrics"] equals the
  session totals. The sessions in CORRUPT_SESSION_IDS (and ~2% of other paused or failed
  workflow sessions) break exactly one of these on purpose, in the latest state only.
- end_users.first_seen_at / last_seen_at are the min started_at / max last_activity_at of
  their sessions; every timestamp is at or before `now`.

Ids: org_<slug>, mem_<org>_<local part>, srv_<org>_<slug>, usr_00000001, ses_00000001,
tc_0000000001, sr_00000001; the edge cases below have readable ids (ses_demo_...).
"""

from sessionscope.seed.config import (
    ACME_SHARE,
    FULL_BIG_PAYLOAD_BYTES,
    FULL_HEAVY_USER_SESSIONS,
    FULL_HUGE_SESSION_CALLS,
    FULL_SIZE_SESSIONS,
    MIN_BIG_PAYLOAD_BYTES,
    MIN_SESSIONS,
    TABLE_COLUMNS,
    TABLES,
    SeedConfig,
)
from sessionscope.seed.generate import ACTIVE_WINDOW
from sessionscope.seed.ids import (
    ACME_ORG_ID,
    ACTIVE_SESSION_ID,
    BIG_PAYLOAD_SESSION_ID,
    BIG_PAYLOAD_TOOL_CALL_ID,
    CORRUPT_SESSION_ID,
    CORRUPT_SESSION_IDS,
    EDGE_SESSION_IDS,
    EDGE_USER_DISTINCT_ID,
    EDGE_USER_ID,
    EMPTY_SESSION_ID,
    FAILED_SESSION_ID,
    GLOBEX_ORG_ID,
    HEAVY_USER_DISTINCT_ID,
    HEAVY_USER_ID,
    HOSTILE_SESSION_ID,
    HOSTILE_USER_ID,
    HUGE_SESSION_ID,
    PAUSED_SESSION_ID,
)
from sessionscope.seed.load import SeedReport, is_empty, seed_database

__all__ = [
    "ACME_ORG_ID",
    "ACME_SHARE",
    "ACTIVE_SESSION_ID",
    "ACTIVE_WINDOW",
    "BIG_PAYLOAD_SESSION_ID",
    "BIG_PAYLOAD_TOOL_CALL_ID",
    "CORRUPT_SESSION_ID",
    "CORRUPT_SESSION_IDS",
    "EDGE_SESSION_IDS",
    "EDGE_USER_DISTINCT_ID",
    "EDGE_USER_ID",
    "EMPTY_SESSION_ID",
    "FAILED_SESSION_ID",
    "FULL_BIG_PAYLOAD_BYTES",
    "FULL_HEAVY_USER_SESSIONS",
    "FULL_HUGE_SESSION_CALLS",
    "FULL_SIZE_SESSIONS",
    "GLOBEX_ORG_ID",
    "HEAVY_USER_DISTINCT_ID",
    "HEAVY_USER_ID",
    "HOSTILE_SESSION_ID",
    "HOSTILE_USER_ID",
    "HUGE_SESSION_ID",
    "MIN_BIG_PAYLOAD_BYTES",
    "MIN_SESSIONS",
    "PAUSED_SESSION_ID",
    "TABLES",
    "TABLE_COLUMNS",
    "SeedConfig",
    "SeedReport",
    "is_empty",
    "seed_database",
]
