"""Who is looking: the viewer's email from st.user, then their memberships and role.

Pure functions over plain mappings, so the rules are tested without Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

DEMO_EMAIL = "admin@acme.example"
DEMO_ORG_SLUG = "acme"


class Source(StrEnum):
    OIDC = "oidc"  # st.login; st.user has is_logged_in=True
    HEADER = "header"  # server.trustedUserHeaders; no is_logged_in key
    DEMO = "demo"  # SESSIONSCOPE_DEMO=1 and no identity from either


@dataclass(frozen=True)
class Identity:
    email: str
    source: Source


@dataclass(frozen=True)
class Viewer:
    email: str
    source: Source
    org_id: str
    org_slug: str
    org_name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def identify(user: Mapping[str, Any], *, demo: bool) -> Identity | None:
    """The signed-in email from st.user; the demo admin only when demo mode is on."""
    email = str(user.get("email") or "").strip()
    logged_in = user.get("is_logged_in")
    if email and logged_in is True:
        return Identity(email, Source.OIDC)
    if email and logged_in is None:
        return Identity(email, Source.HEADER)
    if demo:
        return Identity(DEMO_EMAIL, Source.DEMO)
    return None


def login_configured(user: Mapping[str, Any]) -> bool:
    """st.user carries is_logged_in only when an [auth] section is configured."""
    return "is_logged_in" in user


def choose_membership(memberships: Sequence[Any], *, org_slug: str | None) -> Any | None:
    """The membership for `org_slug` if the viewer has it, else the first one."""
    for membership in memberships:
        if membership.org_slug == org_slug:
            return membership
    return memberships[0] if memberships else None


def viewer_from(identity: Identity, membership: Any) -> Viewer:
    return Viewer(
        email=identity.email,
        source=identity.source,
        org_id=membership.org_id,
        org_slug=membership.org_slug,
        org_name=membership.org_name,
        role=membership.role,
    )
