"""Who is asking: st.user checked against this server's sign-in configuration and the peer.

Reads what Streamlit knows (secrets, options, the websocket's peer and headers) and hands
it to the pure rules in sessionscope.signin, .auth and .proxies.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

import streamlit as st

from sessionscope import auth, proxies, signin
from sessionscope.settings import Settings

log = logging.getLogger(__name__)


def current(settings: Settings) -> auth.Identity | None:
    """The identity for this run, or None when nobody is signed in.

    Raises auth.SignInRefused (with the reason for the page) for a configuration or an
    identity that could be forged.
    """
    config = signin.SignInConfig(
        auth=auth_section(),
        trusted_headers=bool(st.get_option("server.trustedUserHeaders")),
        demo=settings.demo,
        address=st.get_option("server.address"),
    )
    signin.check(config)
    user = st.user.to_dict()
    trusted = False
    if auth.claimed_source(user) is auth.Source.HEADER:
        refuse_repeated_header()
        trusted = header_peer_trusted(settings.trusted_proxies, address=config.address)
    return auth.identify(user, demo=settings.demo, header_trusted=trusted)


def auth_section() -> Mapping[str, Any] | None:
    """The [auth] section of st.secrets, or None (no secrets file, or no such section)."""
    if not st.secrets.load_if_toml_exists():
        return None
    section = st.secrets.get("auth")
    return section if isinstance(section, Mapping) else None


def peer_address() -> str | None:
    """The websocket peer Streamlit reports (None for 127.0.0.1 and ::1); a test seam."""
    return st.context.ip_address


def handshake_headers() -> Any:
    """The websocket handshake's headers (st.context.headers, with get_all); a test seam."""
    return st.context.headers


def refuse_repeated_header() -> None:
    """Raise auth.RepeatedHeader when an identity header came more than once.

    Streamlit takes the first value, so a proxy that appends its header after the client's
    would let the client choose the email; one that overwrites sends it once.
    """
    headers = handshake_headers()
    names = st.get_option("server.trustedUserHeaders") or {}
    repeated = sorted(name for name in names if len(headers.get_all(name)) > 1)
    if repeated:
        raise auth.RepeatedHeader(repeated)


def header_peer_trusted(trusted: tuple[proxies.Network, ...], *, address: str | None) -> bool:
    """Whether every address this run's peer may have had is an allow-listed proxy."""
    reported = peer_address()
    forwarded_for = "X-Forwarded-For" in handshake_headers()
    peers = proxies.possible_peers(
        reported,
        forwarded_for=forwarded_for,
        forwarders=proxies.uvicorn_forwarders(os.environ),
        listens_on_loopback=proxies.is_loopback_host(address),
    )
    ok = proxies.all_trusted(peers, trusted)
    if not ok:
        log.warning(
            "identity header refused: peer %s%s may be %s, not all in %s",
            reported or "loopback",
            " (after X-Forwarded-For)" if forwarded_for else "",
            [str(p) for p in peers] or "unknown",
            proxies.SETTING,
        )
    return ok
