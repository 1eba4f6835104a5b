"""Every target of a routing plan is checked before the first upstream call.

A target found unusable only when routing reaches it would be found after the
earlier targets were called and paid for. So the whole plan is checked up front,
whatever its strategy: a ``conditional`` or ``loadbalance`` group calls one of its
targets, but a config is accepted or refused whole, so the answer never depends on
which target the metadata or the dice pick. Cheap checks come first (provider,
credentials), then the hosts, which need DNS: a custom host, or a virtual key's
``http://`` base URL, is resolved and checked once here, and the attempt connects
to the address pinned here (``Attempts.target``), never resolving it again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from . import custom_hosts, providers
from .config_source import config_param, virtual_key_param
from .errors import AuthenticationError, InvalidRequest, UnknownProvider
from .headers import CONFIG, CUSTOM_HOST, PROVIDER
from .models import RequestOptions
from .routing.nodes import Leaf

# (base URL, pinned IP address) of a checked host.
Endpoint = tuple[str, str]


def check(
    leaves: list[Leaf],
    options: RequestOptions,
    allowlist: Iterable[str],
    resolve: custom_hosts.Resolver,
) -> dict[str, Endpoint]:
    """Refuse the plan at the first unusable target (400 at its path, 401 for a missing
    key); return the checked endpoint of every target that has a custom host or an
    ``http://`` virtual-key base URL, by target path."""
    for leaf in leaves:
        provider_of(leaf)
    require_keys(leaves)
    allowed = tuple(allowlist)
    checked: dict[str, Endpoint] = {}
    endpoints: dict[str, Endpoint] = {}
    for leaf in leaves:
        url = _checked_url(leaf)
        if url is None:
            continue
        if url not in checked:  # one DNS answer per host, even when targets share it
            checked[url] = _check(leaf, url, options, allowed, resolve)
        endpoints[leaf.path] = checked[url]
    return endpoints


def endpoint(
    leaf: Leaf,
    options: RequestOptions,
    allowlist: Iterable[str],
    resolve: custom_hosts.Resolver,
    known: Mapping[str, Endpoint],
) -> Endpoint | None:
    """The checked endpoint of ``leaf``: from the pre-flight when it ran, else checked now
    (a target never reaches a custom or ``http://`` host unchecked)."""
    if leaf.path in known:
        return known[leaf.path]
    url = _checked_url(leaf)
    return None if url is None else _check(leaf, url, options, tuple(allowlist), resolve)


def provider_of(leaf: Leaf) -> providers.Provider:
    """The target's provider; 400 when it names none (``GATEWAY_DEFAULT_PROVIDER=none``)
    or one the gateway does not know."""
    if not leaf.provider:
        raise InvalidRequest(
            f"No provider: send the '{PROVIDER}' header, or an '{CONFIG}' that names "
            "a provider or a virtual key.",
            param=PROVIDER,
            code="missing_provider",
        )
    try:
        return providers.get(leaf.provider)
    except UnknownProvider as exc:
        if leaf.path != "config":
            exc.param = config_param(leaf, "provider")
        raise


def require_keys(leaves: list[Leaf]) -> None:
    """Every target needs its provider's credentials before anything is sent anywhere."""
    for leaf in leaves:
        provider = providers.get(leaf.provider or "")
        missing = provider.credentials(leaf.api_key, leaf.provider_options)
        if missing is None:
            continue
        if missing == "a provider API key":
            message = (
                "No provider API key: send 'Authorization: Bearer <key>' "
                "(or 'x-portkey-api-key: <key>'), or give each config target an api_key."
            )
        else:
            message = f"{provider.name} needs {missing}."
        raise AuthenticationError(
            message,
            param=config_param(leaf, "api_key") if leaf.path != "config" else "authorization",
        )


def _checked_url(leaf: Leaf) -> str | None:
    """The URL whose host must pass the allowlist and address checks, if any.

    A virtual key's https base URL is the administrator's and is used as stored; its
    ``http://`` one is allowed only on the allowlist (intranet servers), like a custom host.
    """
    if leaf.custom_host:
        return leaf.custom_host
    if leaf.base_url and urlsplit(leaf.base_url).scheme != "https":
        return leaf.base_url
    return None


def _check(
    leaf: Leaf,
    url: str,
    options: RequestOptions,
    allowlist: tuple[str, ...],
    resolve: custom_hosts.Resolver,
) -> Endpoint:
    if leaf.custom_host:
        return custom_hosts.check(url, allowlist, resolve, param=_host_param(leaf, options))
    # An allowlist entry dropped since the key was stored refuses the key here, no call.
    param = virtual_key_param(leaf, options)
    what = f"Base URL of virtual key '{leaf.virtual_key}'"
    code = "virtual_key_base_url_not_allowed"
    return custom_hosts.check(url, allowlist, resolve, param=param, what=what, code=code)


def _host_param(leaf: Leaf, options: RequestOptions) -> str:
    """Where the refused custom host came from: the header (which the whole config
    inherits unless a target sets its own) or the target's path in the config."""
    if options.custom_host is not None and leaf.custom_host == options.custom_host:
        return CUSTOM_HOST
    if leaf.path == "config":
        return f"{CONFIG}.custom_host" if options.config is not None else CUSTOM_HOST
    return config_param(leaf, "custom_host")
