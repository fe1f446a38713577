"""Which sign-in this server may offer: refuses a configuration through which an identity
could be forged (two sign-in methods, a guessable cookie secret, demo mode exposed).

Pure functions over the configuration the frame reads, so every rule is tested without
Streamlit; each refusal's message names the setting to change and where it lives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sessionscope.auth import SignInRefused
from sessionscope.proxies import is_loopback_host

SECRETS_FILE = ".streamlit/secrets.toml"
MIN_COOKIE_SECRET_BYTES = 32
# Every value in .streamlit/secrets.example.toml starts with this (tests/test_safe_defaults.py).
PLACEHOLDER = "REPLACE-ME"
GENERATE = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
_OIDC = f"OIDC sign-in (`[auth]` in `{SECRETS_FILE}`)"
_HEADER = "a trusted proxy header (`server.trustedUserHeaders`)"


@dataclass(frozen=True)
class SignInConfig:
    """What this server is configured with, as the frame read it for this run."""

    auth: Mapping[str, Any] | None  # the [auth] section of the secrets, if any
    trusted_headers: bool  # server.trustedUserHeaders names at least one header
    demo: bool  # SESSIONSCOPE_DEMO
    address: str | None  # server.address; None listens on every interface


class ConflictingSignIn(SignInRefused):
    title = "Sign-in is misconfigured"

    def __init__(self) -> None:
        super().__init__(
            f"This server has both {_OIDC} and {_HEADER} configured. Streamlit lets the "
            "header override a signed-in user, so Sessionscope runs with one of them only: "
            "remove the other."
        )


class WeakCookieSecret(SignInRefused):
    title = "Sign-in is off"

    def __init__(self, problem: str) -> None:
        super().__init__(
            f"`[auth] cookie_secret` in `{SECRETS_FILE}` is {problem}: anyone who knows it "
            "can forge a signed-in cookie. Generate one with "
            f"`{GENERATE}`, put it there and reload this page."
        )


class DemoRefused(SignInRefused):
    title = "Demo mode refused"

    def __init__(self, problem: str) -> None:
        super().__init__(
            "SESSIONSCOPE_DEMO=1 makes every visitor the demo organization's admin without "
            "signing in, so it runs only on a loopback address with no sign-in configured. "
            f"This server {problem}. Unset SESSIONSCOPE_DEMO, or start the demo with `make run`."
        )


def check(config: SignInConfig) -> None:
    """Raise the SignInRefused that applies to this configuration, if any."""
    if config.auth is not None and config.trusted_headers:
        raise ConflictingSignIn
    if config.auth is not None:
        problem = cookie_secret_problem(config.auth.get("cookie_secret"))
        if problem:
            raise WeakCookieSecret(problem)
    if config.demo:
        problem = demo_problem(config)
        if problem:
            raise DemoRefused(problem)


def cookie_secret_problem(secret: object) -> str | None:
    """Why this cookie secret must not sign logins, or None when it may."""
    text = "" if secret is None else str(secret)
    if not text.strip():
        return "missing"
    if PLACEHOLDER in text.upper():
        return "the example's placeholder"
    if len(text.encode()) < MIN_COOKIE_SECRET_BYTES:
        return f"shorter than {MIN_COOKIE_SECRET_BYTES} bytes"
    return None


def demo_problem(config: SignInConfig) -> str | None:
    """Why demo mode must not run here, or None when it may (no sign-in, loopback only)."""
    if config.auth is not None:
        return f"has {_OIDC} configured"
    if config.trusted_headers:
        return f"has {_HEADER} configured"
    if not config.address:
        return "listens on every interface (`server.address` is unset)"
    if not is_loopback_host(config.address):
        return (
            f"listens on `{config.address}` (`server.address`), not only on 127.0.0.1, "
            "localhost or ::1"
        )
    return None
