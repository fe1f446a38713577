"""Which sign-in a server may offer (issue 15, findings 1-3): never two methods at once, no
guessable cookie secret, demo mode only on loopback with no sign-in configured."""

from __future__ import annotations

import tomllib

import pytest

from sessionscope import signin
from sessionscope.settings import PROJECT_ROOT

GOOD_SECRET = "k" * 32
EXAMPLE = tomllib.loads((PROJECT_ROOT / ".streamlit/secrets.example.toml").read_text())["auth"]


def config(**changes: object) -> signin.SignInConfig:
    base = {"auth": None, "trusted_headers": False, "demo": False, "address": "127.0.0.1"}
    return signin.SignInConfig(**{**base, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "cfg",
    [
        config(),
        config(auth={"cookie_secret": GOOD_SECRET}),
        config(trusted_headers=True, address=None),
        config(demo=True),
        config(demo=True, address="localhost"),
        config(demo=True, address="::1"),
    ],
)
def test_safe_configurations_pass(cfg: signin.SignInConfig) -> None:
    signin.check(cfg)


def test_oidc_and_a_trusted_header_together_are_refused_naming_both() -> None:
    with pytest.raises(signin.ConflictingSignIn) as caught:
        signin.check(config(auth={"cookie_secret": GOOD_SECRET}, trusted_headers=True))
    assert "[auth]" in str(caught.value) and "server.trustedUserHeaders" in str(caught.value)


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        (None, "missing"),
        ("   ", "missing"),
        (EXAMPLE["cookie_secret"], "the example's placeholder"),
        ("replace-me-" + "x" * 40, "the example's placeholder"),
        ("k" * 31, "shorter than 32 bytes"),
        ("é" * 15, "shorter than 32 bytes"),  # 30 bytes in UTF-8
    ],
)
def test_a_weak_cookie_secret_stops_sign_in_naming_the_setting_and_the_file(
    secret: object, problem: str
) -> None:
    auth = {k: v for k, v in {"cookie_secret": secret}.items() if v is not None}
    with pytest.raises(signin.WeakCookieSecret) as caught:
        signin.check(config(auth=auth))
    message = str(caught.value)
    assert problem in message
    assert "`[auth] cookie_secret`" in message and ".streamlit/secrets.toml" in message
    assert "secrets.token_urlsafe(32)" in message


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"auth": {"cookie_secret": GOOD_SECRET}}, "[auth]"),
        ({"trusted_headers": True}, "server.trustedUserHeaders"),
        ({"address": None}, "every interface"),
        ({"address": "0.0.0.0"}, "`0.0.0.0`"),
        ({"address": "10.0.0.7"}, "`10.0.0.7`"),
    ],
)
def test_demo_mode_refuses_beside_a_sign_in_method_or_off_loopback(changes: dict, why: str) -> None:
    with pytest.raises(signin.DemoRefused) as caught:
        signin.check(config(demo=True, **changes))
    assert why in str(caught.value) and "SESSIONSCOPE_DEMO" in str(caught.value)
