"""A workflow session's stages in canonical order, and its saved states newest first."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from queries.page import frame
from queries.sessions import visible
from sessionscope.schema import STAGES, session_stages, session_states


def stages(conn: sa.Connection, *, org_id: str, session_id: str) -> pd.DataFrame:
    """The session's stages (columns of session_stages) in the order of schema.STAGES."""
    st = session_stages.c
    canonical = sa.case(
        {name: i for i, name in enumerate(STAGES)}, value=st.stage, else_=len(STAGES)
    )
    stmt = (
        sa.select(session_stages)
        .where(st.session_id == session_id, visible(org_id, session_id))
        .order_by(canonical, st.stage)
    )
    return frame(conn.execute(stmt))


def states(conn: sa.Connection, *, org_id: str, session_id: str) -> pd.DataFrame:
    """Every saved workflow state of the session (version, created_at, state), newest first."""
    st = session_states.c
    stmt = (
        sa.select(st.version, st.created_at, st.state)
        .where(st.session_id == session_id, visible(org_id, session_id))
        .order_by(st.version.desc())
    )
    return frame(conn.execute(stmt))
