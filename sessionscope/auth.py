"""Who is looking: the viewer's email from st.user, then their memberships and role.

Pure functions over plain mappings, so the rules are tested without Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sessionscope.errors import SessionscopeError

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


class SignInRefused(SessionscopeError):
    """No viewer for this request, on purpose: the message says why, for the page."""

    title = "Sign-in refused"


class UnverifiedEmail(SignInRefused):
    title = "Email not verified"

    def __init__(self, email: str) -> None:
        super().__init__(
            f"Your identity provider says {email} is not verified, so Sessionscope cannot "
            "tell that it is yours. Verify the address with your provider, then sign in again."
        )


class UntrustedPeer(SignInRefused):
    title = "Sign-in header refused"

    def __init__(self) -> None:
        super().__init__(
            "Sign-in header refused: this server only accepts identity headers from its "
            "proxy (the addresses in SESSIONSCOPE_TRUSTED_PROXIES), and this connection did "
            "not come through it. Open Sessionscope at your organization's address for it."
        )


class RepeatedHeader(SignInRefused):
    title = "Sign-in header refused"

    def __init__(self, names: list[str]) -> None:
        super().__init__(
            f"Sign-in header refused: {', '.join(names)} came more than once, so this server "
            "cannot tell which one your proxy set. The proxy must overwrite the header, not "
            "add to one the browser sent."
        )


def normalise_email(email: object) -> str:
    """The form emails are compared and recorded in: no surrounding spaces, lower case."""
    return str(email or "").strip().lower()


def identify(user: Mapping[str, Any], *, demo: bool, header_trusted: bool) -> Identity | None:
    """The signed-in email from st.user, normalised; the demo admin only when demo mode is on.

    Raises UnverifiedEmail for an OIDC identity whose provider says `email_verified` false,
    and UntrustedPeer for a header identity that did not come from an allow-listed proxy.
    """
    email = normalise_email(user.get("email"))
    source = claimed_source(user)
    if source is Source.OIDC:
        if _says_false(user.get("email_verified")):
            raise UnverifiedEmail(email)
        return Identity(email, Source.OIDC)
    if source is Source.HEADER:
        if not header_trusted:
            raise UntrustedPeer
        return Identity(email, Source.HEADER)
    if demo:
        return Identity(DEMO_EMAIL, Source.DEMO)
    return None


def claimed_source(user: Mapping[str, Any]) -> Source | None:
    """Where st.user's email came from: a login sets is_logged_in, a header does not."""
    if not normalise_email(user.get("email")):
        return None
    logged_in = user.get("is_logged_in")
    if logged_in is True:
        return Source.OIDC
    return Source.HEADER if logged_in is None else None


def _says_false(claim: object) -> bool:
    """False, or "false" (a provider may send the claim as a string).

    An absent claim is not false: not every provider sends it."""
    return claim is False or (isinstance(claim, str) and claim.strip().lower() == "false")


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
