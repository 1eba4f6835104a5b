"""Checks for ``x-portkey-custom-host``: an admin allowlist, then the resolved addresses.

Deny by default (Portkey trusts loopback by default: CVE-2026-110719). An entry
must match scheme, host and port exactly. Every address the name resolves to is
checked and the call is pinned to the first one, so a DNS answer that changes
between check and connect cannot move the call (rebinding). Link-local and cloud
metadata (also AWS's fd00:ec2::/32), multicast, reserved, unspecified, CGNAT and
0.0.0.0/8 addresses are never allowed. Loopback and private addresses only when
the allowlist entry itself is that IP address (or ``localhost``): a host name
must resolve to public addresses. The same check applies to a virtual key's
``http://`` base URL (an intranet server the administrator listed), with the
virtual key's ``param``. Pure apart from the injected resolver.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from ..errors import CustomHostRejected
from ..headers import CUSTOM_HOST
from ..settings import parse_allow_entry

Resolver = Callable[[str, int], list[str]]
_ALWAYS_BLOCKED_NETS = tuple(
    ipaddress.ip_network(net)
    for net in ("0.0.0.0/8", "100.64.0.0/10", "198.18.0.0/15", "fd00:ec2::/32")
)


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class _Refused(ValueError):
    """Why a host is refused; ``check`` turns it into the caller's 400 with its ``param``."""


def _reject(reason: str) -> CustomHostRejected:
    return CustomHostRejected(f"Custom host refused: {reason}.", param=CUSTOM_HOST)


def _always_blocked(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and (ip.ipv4_mapped or ip.sixtofour or ip.teredo):
        return True
    return ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved


@functools.lru_cache(maxsize=8)
def _parsed(allowlist: tuple[str, ...]) -> frozenset[tuple[str, str, int]]:
    """The allowlist is a start-up setting: parse it once, not on every request."""
    return frozenset(parse_allow_entry(entry) for entry in allowlist)


def _parse(custom_host: str) -> tuple[str, str, int, str]:
    if any(c in custom_host for c in "@\\%") or not custom_host.isascii():
        raise _Refused("credentials, escapes and non-ASCII characters are not allowed")
    try:
        parts = urlsplit(custom_host)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _Refused("it is not a valid URL") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise _Refused("it must be an http(s) URL")
    if parts.query or parts.fragment or parts.hostname.endswith("."):
        raise _Refused("a query, fragment or trailing dot is not allowed")
    return parts.scheme, parts.hostname.lower(), port, parts.path.rstrip("/")


def check(
    custom_host: str,
    allowlist: Iterable[str],
    resolve: Resolver = system_resolver,
    *,
    param: str = CUSTOM_HOST,
    what: str = "Custom host",
    code: str | None = None,
) -> tuple[str, str]:
    """Return ``(base_url, pinned_ip)`` for an allowed host, else raise a 400 at ``param``.

    ``what`` names the URL in the message and ``code`` replaces the error code, for a
    URL that is not a custom host (a virtual key's http base URL).
    """
    try:
        return _checked(custom_host, allowlist, resolve)
    except _Refused as exc:
        raise CustomHostRejected(f"{what} refused: {exc}.", param=param, code=code) from None


def _checked(custom_host: str, allowlist: Iterable[str], resolve: Resolver) -> tuple[str, str]:
    scheme, host, port, path = _parse(custom_host)
    allowed = _parsed(tuple(allowlist))
    if (scheme, host, port) not in allowed:
        raise _Refused("the host is not on the gateway's allowlist (GATEWAY_ALLOWED_CUSTOM_HOSTS)")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    try:
        addresses = (
            [literal]
            if literal
            else [ipaddress.ip_address(a.split("%")[0]) for a in resolve(host, port)]
        )
    except (OSError, UnicodeError, ValueError):
        raise _Refused("the host name does not resolve") from None
    if not addresses:
        raise _Refused("the host name does not resolve")
    # The admin named this exact address (or localhost): it may be loopback or private.
    named_address = literal is not None or host == "localhost"
    for ip in addresses:
        if _always_blocked(ip) or any(ip in net for net in _ALWAYS_BLOCKED_NETS):
            raise _Refused("the host resolves to a blocked address range")
        if (ip.is_loopback or ip.is_private) and not named_address:
            raise _Refused("the host name resolves to a loopback or private address")
    netloc = f"[{host}]" if ":" in host else host
    return f"{scheme}://{netloc}:{port}{path}", str(addresses[0])


def public_address(host: str, port: int, resolve: Resolver = system_resolver) -> str:
    """The address to pin for a provider-declared host: every address must be public."""
    try:
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolve(host, port)]
    except (OSError, UnicodeError, ValueError):
        raise _reject("the host name does not resolve") from None
    if not addresses:
        raise _reject("the host name does not resolve")
    for ip in addresses:
        if (
            _always_blocked(ip)
            or any(ip in net for net in _ALWAYS_BLOCKED_NETS)
            or ip.is_loopback
            or ip.is_private
        ):
            raise _reject("the host resolves to a non-public address")
    return str(addresses[0])
