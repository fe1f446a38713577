"""Whose identity headers are believed: SESSIONSCOPE_TRUSTED_PROXIES and the peer's address,
as uvicorn may have rewritten it (issue 15, finding 1)."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from sessionscope import proxies
from sessionscope.errors import ConfigError
from sessionscope.settings import load_settings

LOOP = proxies.LOOPBACK
UVICORN = proxies.uvicorn_forwarders({})  # its default: 127.0.0.1 and ::1
TEN = (ip_network("10.0.0.0/8"),)


def trusted(
    reported: str | None,
    allow: tuple = LOOP,
    *,
    xff: bool = False,
    forwarders: tuple = UVICORN,
    loopback: bool = False,
) -> bool:
    peers = proxies.possible_peers(
        reported, forwarded_for=xff, forwarders=forwarders, listens_on_loopback=loopback
    )
    return proxies.all_trusted(peers, allow)


def test_the_default_allow_list_is_loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(proxies.SETTING, raising=False)
    assert load_settings().trusted_proxies == LOOP


def test_the_setting_takes_addresses_and_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(proxies.SETTING, " 10.0.0.5, 192.168.0.0/16 ,fd00::/8")
    assert [str(n) for n in load_settings().trusted_proxies] == [
        "10.0.0.5/32",
        "192.168.0.0/16",
        "fd00::/8",
    ]


@pytest.mark.parametrize("raw", ["proxy.internal", "10.0.0.1/8", "10.0.0.0/33", ",", "1.2.3"])
def test_a_bad_entry_is_a_config_error_naming_the_setting(
    raw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(proxies.SETTING, raw)
    with pytest.raises(ConfigError, match=proxies.SETTING):
        load_settings()


@pytest.mark.parametrize(
    ("reported", "allow", "expected"),
    [
        (None, LOOP, True),  # Streamlit's None: 127.0.0.1 or ::1
        ("127.0.0.2", LOOP, True),
        ("203.0.113.9", LOOP, False),
        ("10.0.0.5", TEN, True),
        ("10.0.0.5", (ip_network("10.0.0.5/32"),), True),
        ("10.0.0.6", (ip_network("10.0.0.5/32"),), False),
        (None, TEN, False),  # loopback is trusted only while it is listed
        ("::ffff:10.0.0.5", TEN, False),  # another family is another address
        ("not-an-ip", LOOP, False),
    ],
)
def test_without_x_forwarded_for_the_reported_address_is_the_peer(
    reported: str | None, allow: tuple, expected: bool
) -> None:
    assert trusted(reported, allow) is expected


def test_with_x_forwarded_for_a_loopback_peer_could_have_forged_the_reported_address() -> None:
    """uvicorn believes X-Forwarded-For from loopback by default: a local process sending
    `X-Forwarded-For: 10.0.0.5` is reported as 10.0.0.5, so that proves nothing."""
    assert not trusted("10.0.0.5", TEN, xff=True)
    assert trusted("10.0.0.5", (*TEN, *LOOP), xff=True)  # every possible peer is listed
    assert trusted("10.0.0.5", TEN, xff=True, forwarders=())  # FORWARDED_ALLOW_IPS=""


def test_a_server_listening_on_loopback_only_has_only_loopback_peers() -> None:
    """nginx on the same host appends the visitor's address; uvicorn reports that one, but
    only a local process can have connected."""
    assert trusted("198.51.100.7", LOOP, xff=True, loopback=True)
    assert not trusted("198.51.100.7", TEN, xff=True, loopback=True)
    assert not trusted("10.0.0.5", TEN, xff=True, loopback=True)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, ["127.0.0.1/32", "::1/128"]),
        ({"FORWARDED_ALLOW_IPS": ""}, []),
        ({"FORWARDED_ALLOW_IPS": "*"}, ["0.0.0.0/0", "::/0"]),
        ({"FORWARDED_ALLOW_IPS": "10.0.0.0/8, 10.1.2.3,unix:sock"}, ["10.0.0.0/8", "10.1.2.3/32"]),
    ],
)
def test_uvicorn_forwarders_are_read_as_uvicorn_reads_them(environ: dict, expected: list) -> None:
    assert [str(n) for n in proxies.uvicorn_forwarders(environ)] == expected


def test_trusting_every_forwarder_trusts_no_header() -> None:
    everywhere = proxies.uvicorn_forwarders({"FORWARDED_ALLOW_IPS": "*"})
    assert not trusted("10.0.0.5", TEN, xff=True, forwarders=everywhere)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("127.0.0.2", True),
        (None, False),
        ("", False),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.5", False),
        ("myhost", False),
    ],
)
def test_is_loopback_host(host: str | None, expected: bool) -> None:
    assert proxies.is_loopback_host(host) is expected
