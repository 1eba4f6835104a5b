"""Every target of a routing plan is checked before the first upstream call.

A target found unusable only when routing reaches it would be found after the
earlier targets were called and paid for. So the whole plan is checked up front,
whatever its strategy: a ``conditional`` or ``loadbalance`` group calls one of its
targets, but a config is accepted or refused whole, so the answer never depends on
which target the metadata or the dice pick. Cheap checks come first (provider,
credentials), then the hosts, which need DNS: a custom host, or a virtual key's
``http://`` base URL, is resolved and checked once here, and the attempt connects
to the address pinned here (``Attempts.target``), never resolving it again. A
service-account JSON (``Provider.service_account``) is parsed and checked here too,
once per request, its ``token_uri`` resolved and pinned; the signer uses that result
(``Signer.checked``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from .. import providers
from ..config_source import config_param, virtual_key_param
from ..errors import AuthenticationError, InvalidRequest, UnknownProvider
from ..headers import CONFIG, CUSTOM_HOST, PROVIDER, PROVIDER_OPTION_HEADERS
from ..models import RequestOptions
from ..routing.nodes import Leaf
from . import custom_hosts
from .signing import CheckedAccount, check_account

# (base URL, pinned IP address) of a checked host.
Endpoint = tuple[str, str]
_OPTION_HEADER = {o: h for h, o in PROVIDER_OPTION_HEADERS.items()}


@dataclass(frozen=True)
class Checked:
    """What the pre-flight checked, for the attempts to use as it is."""

    # Custom hosts and ``http://`` virtual-key base URLs, by target path.
    endpoints: dict[str, Endpoint]
    # Service accounts, by their JSON text: parsed, token_uri pinned.
    accounts: dict[str, CheckedAccount]


def check(
    leaves: list[Leaf],
    options: RequestOptions,
    allowlist: Iterable[str],
    resolve: custom_hosts.Resolver,
) -> Checked:
    """Refuse the plan at the first unusable target (400 at its path, 401 for a missing
    key); return the checked endpoint of every target that has a custom host or an
    ``http://`` virtual-key base URL, and every service account, checked."""
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
    return Checked(endpoints, service_accounts(leaves, options, allowed, resolve))


def service_accounts(
    leaves: list[Leaf],
    options: RequestOptions,
    allowlist: tuple[str, ...],
    resolve: custom_hosts.Resolver,
) -> dict[str, CheckedAccount]:
    """Each target's service-account JSON (a provider's ``service_account``), checked once
    by the signer's own rules: an unusable key is a 400 at the target's path before any
    target is called."""
    accounts: dict[str, CheckedAccount] = {}
    for leaf in leaves:
        auth = providers.get(leaf.provider or "").service_account
        if auth is None:
            continue
        text = auth.text(leaf.api_key, leaf.provider_options)
        if text is None or text in accounts:
            continue
        try:
            accounts[text] = check_account(text, allowlist, resolve, auth.option)
        except InvalidRequest as exc:
            exc.param = _account_param(leaf, options, text, auth.option)
            raise
    return accounts


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
    """Where the refused custom host came from."""
    from_header = options.custom_host is not None and leaf.custom_host == options.custom_host
    return _param(leaf, options, "custom_host", CUSTOM_HOST, from_header)


def _account_param(leaf: Leaf, options: RequestOptions, text: str, option: str) -> str:
    """Where the refused service-account JSON came from: its ``option``, or the provider
    key (a virtual key's secret, the ``Authorization`` header or a target's ``api_key``)."""
    if leaf.provider_options.get(option) == text:
        from_header = options.provider_options.get(option) == text
        header = _OPTION_HEADER.get(option, option)
        return _param(leaf, options, option, header, from_header)
    if leaf.virtual_key:
        return virtual_key_param(leaf, options)
    return _param(leaf, options, "api_key", "authorization", options.api_key == text)


def _param(leaf: Leaf, options: RequestOptions, key: str, header: str, from_header: bool) -> str:
    """Where a target's ``key`` came from: its header (which the whole config inherits
    unless a target sets its own) or the target's path in the config."""
    if from_header:
        return header
    if leaf.path == "config":
        return f"{CONFIG}.{key}" if options.config is not None else header
    return config_param(leaf, key)
