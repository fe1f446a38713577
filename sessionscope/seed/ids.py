"""The stable ids of the demo organizations and of the deliberate edge cases (all in acme):
tests, the bench and the docs name them."""

from __future__ import annotations

ACME_ORG_ID = "org_acme"
GLOBEX_ORG_ID = "org_globex"
HEAVY_USER_ID = "usr_demo_heavy"  # heavy_user_sessions sessions
HEAVY_USER_DISTINCT_ID = "heavy-user"
EDGE_USER_ID = "usr_demo_edge"  # owns the edge-case sessions below, so one user shows them all
EDGE_USER_DISTINCT_ID = "edge-cases"
HOSTILE_USER_ID = "usr_demo_hostile"  # markup, RTL and emoji in the name and email
HUGE_SESSION_ID = "ses_demo_huge"  # huge_session_calls tool calls
BIG_PAYLOAD_SESSION_ID = "ses_demo_big_payload"
BIG_PAYLOAD_TOOL_CALL_ID = "tc_demo_big_payload"  # output is >= big_payload_bytes of JSON
HOSTILE_SESSION_ID = "ses_demo_hostile"  # hostile text in title, payloads and a ticket
EMPTY_SESSION_ID = "ses_demo_empty"  # no tool calls, no tickets
ACTIVE_SESSION_ID = "ses_demo_active"  # status active, last activity minutes before `now`
PAUSED_SESSION_ID = "ses_demo_paused"  # lead-gen paused at `contacts`, valid state
FAILED_SESSION_ID = "ses_demo_failed"  # lead-gen failed at `enrichment`, valid state
CORRUPT_SESSION_ID = "ses_demo_corrupt"
CORRUPT_SESSION_IDS = {  # kind of corruption -> session; all paused or failed, so resumable
    "missing_keys": CORRUPT_SESSION_ID,  # no "metrics" and no "cursor"
    "unknown_stage": "ses_demo_corrupt_stage",  # stage "qualification"
    "contradicting_metrics": "ses_demo_corrupt_metrics",  # metrics disagree with the stages
    "not_an_object": "ses_demo_corrupt_truncated",  # a JSON string: the state cut in half
}
EDGE_SESSION_IDS = (
    HUGE_SESSION_ID,
    BIG_PAYLOAD_SESSION_ID,
    HOSTILE_SESSION_ID,
    EMPTY_SESSION_ID,
    ACTIVE_SESSION_ID,
    PAUSED_SESSION_ID,
    FAILED_SESSION_ID,
    *CORRUPT_SESSION_IDS.values(),
)
