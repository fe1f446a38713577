"""Whose identity headers to believe: the allow-listed proxy networks and the peer's address.

Pure functions over addresses, so the rule is tested without a server.

What the dashboard sees of the peer (read in Streamlit 1.67 and uvicorn 0.54, and
checked by tests/browser/test_identity_browser.py):
- `st.context.ip_address` is the `client` of the websocket's ASGI scope, with 127.0.0.1
  and ::1 both turned into None (streamlit/runtime/context.py); other loopback addresses
  (127.0.0.2) come through as they are.
- `streamlit run app.py` starts uvicorn with neither `proxy_headers` nor
  `forwarded_allow_ips` (starlette_server._get_uvicorn_config_kwargs), so uvicorn's
  defaults hold: its ProxyHeadersMiddleware wraps the app and, for a peer listed in the
  environment's FORWARDED_ALLOW_IPS (default "127.0.0.1,::1", "*" for any), replaces
  `client` with an address taken from X-Forwarded-For. The app's own middleware runs
  inside it, so nothing in this process sees the TCP peer once that has happened.
So the reported address is the immediate peer's only when the handshake carried no
X-Forwarded-For or uvicorn trusts nobody; otherwise the peer is the reported address or one
of uvicorn's forwarders. `possible_peers` is that set, narrowed to loopback when the server
only listens there, and a header identity is honoured only if all of it is allow-listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from sessionscope.errors import ConfigError

Network = IPv4Network | IPv6Network

SETTING = "SESSIONSCOPE_TRUSTED_PROXIES"
DEFAULT_TRUSTED = "127.0.0.0/8,::1"
LOOPBACK: tuple[Network, ...] = (ip_network("127.0.0.0/8"), ip_network("::1/128"))
# What Streamlit reports as None: either loopback address (see the module docstring).
_REPORTED_AS_NONE: tuple[Network, ...] = (ip_network("127.0.0.1/32"), ip_network("::1/128"))
_EVERYWHERE: tuple[Network, ...] = (ip_network("0.0.0.0/0"), ip_network("::/0"))
UVICORN_DEFAULT_FORWARDERS = "127.0.0.1,::1"


def parse_networks(raw: str, *, setting: str = SETTING) -> tuple[Network, ...]:
    """Comma-separated addresses or CIDR networks; a bad entry is a ConfigError naming `setting`."""
    entries = [entry.strip() for entry in raw.split(",") if entry.strip()]
    if not entries:
        raise ConfigError(f"{setting} is empty: list the proxies, e.g. {DEFAULT_TRUSTED}")
    networks = []
    for entry in entries:
        try:
            networks.append(ip_network(entry))  # strict: 10.0.0.1/8 is a typo, not 10.0.0.0/8
        except ValueError:
            raise ConfigError(
                f"{setting}: {entry!r} is not an IP address or a CIDR network "
                "(e.g. 10.0.0.5 or 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def is_loopback_host(host: str | None) -> bool:
    """True for localhost and loopback addresses; False for unset (every interface) or others."""
    if not host:
        return False
    if host.strip().lower() == "localhost":
        return True
    try:
        return ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


def uvicorn_forwarders(environ: Mapping[str, str]) -> tuple[Network, ...]:
    """The peers whose X-Forwarded-For uvicorn believes, parsed as uvicorn parses them.

    uvicorn keeps an entry it cannot parse as a literal host name, which only a non-IP peer
    (a Unix socket) could match, so it is dropped here.
    """
    raw = environ.get("FORWARDED_ALLOW_IPS", UVICORN_DEFAULT_FORWARDERS)
    if raw.strip() == "*":
        return _EVERYWHERE
    networks = []
    for entry in (e.strip() for e in raw.split(",")):
        try:
            networks.append(ip_network(entry) if "/" in entry else ip_network(ip_address(entry)))
        except ValueError:
            continue
    return tuple(networks)


def possible_peers(
    reported: str | None,
    *,
    forwarded_for: bool,
    forwarders: Sequence[Network],
    listens_on_loopback: bool,
) -> tuple[Network, ...]:
    """Every address the websocket's immediate peer may have had (see the module docstring)."""
    try:
        peers = _REPORTED_AS_NONE if reported is None else (ip_network(ip_address(reported)),)
    except ValueError:  # not an IP address (a Unix socket's name): nothing to trust
        return ()
    if forwarded_for:
        peers = (*peers, *forwarders)
    if listens_on_loopback:
        peers = tuple(_within_loopback(peers))
    return peers


def _within_loopback(networks: Iterable[Network]) -> Iterable[Network]:
    """The part of each network that is loopback (two networks nest or are disjoint)."""
    for net in networks:
        for loop in LOOPBACK:
            if net.version != loop.version:
                continue
            if net.subnet_of(loop):  # type: ignore[arg-type]
                yield net
            elif loop.subnet_of(net):  # type: ignore[arg-type]
                yield loop


def all_trusted(peers: Sequence[Network], trusted: Sequence[Network]) -> bool:
    """True when there is a peer and each possible one lies inside an allow-listed network."""
    return bool(peers) and all(
        any(p.version == t.version and p.subnet_of(t) for t in trusted)  # type: ignore[arg-type]
        for p in peers
    )
