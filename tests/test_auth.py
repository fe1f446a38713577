from __future__ import annotations

from dataclasses import dataclass

import pytest

from sessionscope import auth


@dataclass(frozen=True)
class M:
    org_slug: str
    org_id: str = "org_x"
    org_name: str = "X"
    role: str = "analyst"


@pytest.mark.parametrize(
    ("user", "demo", "expected"),
    [
        ({"email": "a@x.example", "is_logged_in": True}, False, ("a@x.example", "oidc")),
        ({"email": "a@x.example"}, False, ("a@x.example", "header")),
        ({"email": "a@x.example"}, True, ("a@x.example", "header")),  # a real identity wins
        ({}, True, (auth.DEMO_EMAIL, "demo")),
        ({"is_logged_in": False}, True, (auth.DEMO_EMAIL, "demo")),
        ({}, False, None),
        ({"is_logged_in": False}, False, None),
        ({"email": "  "}, False, None),
        ({"email": "a@x.example", "is_logged_in": False}, False, None),
    ],
)
def test_identify(user: dict, demo: bool, expected: tuple | None) -> None:
    got = auth.identify(user, demo=demo, header_trusted=True)
    assert (got and (got.email, got.source.value)) == expected


@pytest.mark.parametrize(
    "user",
    [
        {"email": "  Admin@Globex.EXAMPLE ", "is_logged_in": True},
        {"email": "ADMIN@globex.example\t"},
    ],
)
def test_identify_normalises_the_email_for_lookups_and_the_audit_log(user: dict) -> None:
    assert auth.identify(user, demo=False, header_trusted=True).email == "admin@globex.example"


@pytest.mark.parametrize("claim", [False, "false", "FALSE"])
def test_an_oidc_email_the_provider_calls_unverified_is_refused(claim: object) -> None:
    user = {"email": "a@x.example", "is_logged_in": True, "email_verified": claim}
    with pytest.raises(auth.UnverifiedEmail, match="a@x.example is not verified"):
        auth.identify(user, demo=False, header_trusted=True)


@pytest.mark.parametrize("claim", [True, "true", None])
def test_a_verified_or_silent_provider_is_believed(claim: object) -> None:
    user = {"email": "a@x.example", "is_logged_in": True, "email_verified": claim}
    assert auth.identify(user, demo=False, header_trusted=True).source is auth.Source.OIDC


def test_a_header_identity_from_an_untrusted_peer_is_refused_even_in_demo() -> None:
    with pytest.raises(auth.UntrustedPeer, match="^Sign-in header refused: "):
        auth.identify({"email": "admin@globex.example"}, demo=True, header_trusted=False)


def test_the_peer_matters_for_header_identities_only() -> None:
    oidc = {"email": "a@x.example", "is_logged_in": True}
    assert auth.identify(oidc, demo=False, header_trusted=False).source is auth.Source.OIDC
    assert auth.identify({}, demo=True, header_trusted=False).source is auth.Source.DEMO


def test_choose_membership_prefers_the_chosen_org_then_the_first() -> None:
    ms = [M("acme"), M("globex")]
    assert auth.choose_membership(ms, org_slug="globex").org_slug == "globex"
    assert auth.choose_membership(ms, org_slug="nope").org_slug == "acme"
    assert auth.choose_membership([], org_slug=None) is None


def test_login_configured_only_with_is_logged_in() -> None:
    assert auth.login_configured({"is_logged_in": False})
    assert not auth.login_configured({"email": "a@x.example"})
