from __future__ import annotations

import pytest

from gateway.errors import CustomHostRejected
from gateway.outbound.custom_hosts import check


def resolver(answers):
    calls = []

    def resolve(host, port):
        calls.append((host, port))
        return answers

    resolve.calls = calls
    return resolve


ALLOW = (
    "https://img.example",
    "http://127.0.0.1:9000",
    "http://localhost:9001",
    "https://internal.corp:8443",
)


def test_allowed_host_is_pinned_to_its_checked_address():
    resolve = resolver(["93.184.216.34"])
    assert check("https://img.example/v1/", ALLOW, resolve) == (
        "https://img.example:443/v1",
        "93.184.216.34",
    )
    assert resolve.calls == [("img.example", 443)]


def test_loopback_only_when_the_entry_names_loopback():
    assert check("http://127.0.0.1:9000/mock/v1", ALLOW, resolver([])) == (
        "http://127.0.0.1:9000/mock/v1",
        "127.0.0.1",
    )
    assert check("http://localhost:9001", ALLOW, resolver(["127.0.0.1"]))[1] == "127.0.0.1"
    with pytest.raises(CustomHostRejected, match="loopback"):
        check("https://img.example", ALLOW, resolver(["127.0.0.1"]))


def test_a_name_must_resolve_to_public_addresses_but_a_named_private_ip_is_fine():
    with pytest.raises(CustomHostRejected, match="loopback or private"):
        check("https://internal.corp:8443", ALLOW, resolver(["10.2.3.4"]))
    allow = ("http://10.2.3.4:8080",)
    assert check("http://10.2.3.4:8080/v1", allow, resolver([])) == (
        "http://10.2.3.4:8080/v1",
        "10.2.3.4",
    )


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "100.64.1.1",
        "::ffff:127.0.0.1",
        "fe80::1",
        "240.0.0.1",
        "0.0.0.1",
        "fd00:ec2::254",
    ],
)
def test_blocked_ranges_are_refused_even_for_allowlisted_names(address):
    with pytest.raises(CustomHostRejected, match="blocked address"):
        check("https://img.example", ALLOW, resolver(["93.184.216.34", address]))


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example",
        "http://img.example",
        "https://img.example:444",
        "https://user@img.example",
        "https://img.example/v1?x=1",
        "https://img.example/#f",
        "https://img.example./",
        "ftp://img.example",
        "https://img%2eexample",
        "http://2130706433:9000",
        "http://[::1",
        "http://[foo]:9000",
        "http://img.example:99999",
        "http://0x7f000001:9000",
        "https://ímg.example",
        "not a url",
        "http://127.0.0.1:9001",
    ],
)
def test_everything_not_exactly_allowlisted_is_refused_before_resolving(url):
    resolve = resolver(["93.184.216.34"])
    with pytest.raises(CustomHostRejected) as info:
        check(url, ALLOW, resolve)
    assert info.value.param == "x-portkey-custom-host"
    assert resolve.calls == []


def test_empty_allowlist_denies_everything():
    with pytest.raises(CustomHostRejected, match="allowlist"):
        check("http://127.0.0.1:9000", (), resolver([]))


def test_names_that_do_not_resolve_are_refused():
    def fail(host, port):
        raise OSError("nxdomain")

    with pytest.raises(CustomHostRejected, match="does not resolve"):
        check("https://img.example", ALLOW, fail)
