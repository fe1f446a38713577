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
    got = auth.identify(user, demo=demo)
    assert (got and (got.email, got.source.value)) == expected


def test_choose_membership_prefers_the_chosen_org_then_the_first() -> None:
    ms = [M("acme"), M("globex")]
    assert auth.choose_membership(ms, org_slug="globex").org_slug == "globex"
    assert auth.choose_membership(ms, org_slug="nope").org_slug == "acme"
    assert auth.choose_membership([], org_slug=None) is None


def test_login_configured_only_with_is_logged_in() -> None:
    assert auth.login_configured({"is_logged_in": False})
    assert not auth.login_configured({"email": "a@x.example"})
