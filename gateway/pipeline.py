"""The one top-down flow of an image generation; no Flask here.

headers -> body -> routing plan (config) -> for each attempt the routing engine
asks for: capabilities -> provider transform -> HTTP -> answer transform.
``Trace`` collects what the request log needs as the flow goes, so a failure at
any step still logs what was known by then.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, NoReturn

from . import cost, limits, providers
from .cache import ImageCache
from .config_source import SavedConfigs, build_plan
from .credentials import Team, VirtualKey
from .errors import AuthenticationError, GatewayError, InvalidRequest
from .models import GENERATIONS, ImageRequest, ImageResult, RequestOptions, Upload
from .outbound import custom_hosts, preflight
from .outbound.delivery import Delivery
from .outbound.signing import Signer
from .outbound.transport import Transport
from .outbound.upstream import Answered, Attempts
from .providers.pricing import no_price
from .routing import engine, plan
from .routing.attempts import SKIPPED, AttemptRecord, Outcome
from .routing.nodes import Leaf, PlanNode
from .schemas import headers as header_schema
from .schemas import load
from .schemas.images import ImageGenerationSchema
from .settings import Settings
from .strict_json import loads_object
from .uploads import EditRequest, VariationRequest
from .uploads.reader import INTEGERS, check_upload

_BODY_SCHEMA = ImageGenerationSchema()
_INTEGERS = frozenset(INTEGERS)  # the form fields the upload checks read as numbers
# Every attempt, retry and back-off of one request fits in this (REL-2: below
# nginx's proxy_read_timeout of 330 s, above one attempt's read timeout).
TOTAL_DEADLINE_S = 300.0


@dataclass
class Trace:
    """Mutable per-request record for the log; filled in as the pipeline learns things."""

    trace_id: str
    provider: str | None = None
    request: ImageRequest | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    target: str | None = None
    upstream_ms: float | None = None
    retry_count: int = 0
    attempts: tuple[AttemptRecord, ...] = ()
    config_name: str | None = None
    config_version: int | None = None
    team: str | None = None
    virtual_key: str | None = None
    api_key_id: str | None = None
    # HIT, MISS, REFRESH or DISABLED (x-portkey-cache-status).
    cache_status: str = "DISABLED"
    # Images made: the answer's, plus those of a failed fan-out's calls (not returned).
    images: int | None = None
    cost_micro_usd: int | None = None  # millionths of a US dollar; 0 for cache hits
    # Edits and variations: each input file's hash, size, format and dimensions (never
    # its bytes), for the request log.
    uploads: tuple[dict[str, Any], ...] = ()
    operation: str = GENERATIONS  # the route: generations, edits or variations


def _no_saved_configs(name: str) -> tuple[int, dict[str, Any]]:
    raise InvalidRequest("Saved configs are not available.", param="x-portkey-config")


def _no_teams(presented: str) -> Team | None:
    return None


def _no_virtual_keys(name: str, team: str | None, param: str) -> NoReturn:
    raise InvalidRequest("Virtual keys are not available.", param=param)


@dataclass(frozen=True)
class Deps:
    settings: Settings
    transport: Transport
    signer: Signer
    delivery: Delivery
    base_urls: Mapping[str, str]
    resolve_host: custom_hosts.Resolver = custom_hosts.system_resolver
    saved_configs: SavedConfigs = _no_saved_configs
    # presented gateway key -> the caller (its team, key id and limits) or None
    authenticate: Callable[[str], Team | None] = _no_teams
    api_keys_exist: Callable[[], bool] = bool
    # (name, team, param) -> resolved virtual key
    virtual_key: Callable[[str, str | None, str], VirtualKey] = _no_virtual_keys
    # Per-key rate limits and budgets (``limits``): shared by every worker through SQLite.
    usage: limits.UsageStore = field(default_factory=limits.NoLimits)
    wall_clock: Callable[[], float] = time.time  # UTC windows of the limits
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.SystemRandom)
    # The simple cache (config ``cache``); None: every request is DISABLED.
    cache: ImageCache | None = None


def generate(
    raw: bytes, headers: Mapping[str, str], trace: Trace, deps: Deps, public_url: str
) -> ImageResult:
    """Validate, route across the config's targets, and answer in OpenAI's shape.

    ``headers`` are looked up without regard to case; ``public_url`` is the gateway's
    own base URL, for links to images it hosts.
    """
    front = _front(headers, trace, deps)
    params: dict[str, Any] = loads_object(raw)  # a bad body costs no DNS lookup
    load(_BODY_SCHEMA, params)
    return _serve(front, Body(params, raw), trace, deps, public_url)


def transform(
    operation: str,
    read_form: Callable[[], AbstractContextManager[EditRequest | VariationRequest]],
    headers: Mapping[str, str],
    trace: Trace,
    deps: Deps,
    public_url: str,
) -> ImageResult:
    """An image edit or variation (``operation``): as ``generate``, but the body is a
    form whose files ``read_form`` spools and checks, once the caller is known (an
    unknown caller's upload is never read), and deletes when the answer is made."""
    front = _front(headers, trace, deps)
    with read_form() as form:
        trace.uploads = tuple(upload.described() for upload in form.uploads)
        body = Body(_form_params(form), b"", operation, *_files(form))
        return _serve(front, body, trace, deps, public_url)


@dataclass(frozen=True)
class Body:
    """What a request asks for: a JSON body's params, or a form's (typed) with files."""

    params: dict[str, Any]
    raw: bytes
    operation: str = GENERATIONS
    images: tuple[Upload, ...] = ()
    mask: Upload | None = None


@dataclass(frozen=True)
class _Front:
    """What the headers settle before the body is read: who asks, and the plan."""

    options: RequestOptions
    caller: Team | None
    root: PlanNode
    leaves: list[Leaf]
    header: Callable[[str], str | None]


def _front(headers: Mapping[str, str], trace: Trace, deps: Deps) -> _Front:
    options = header_schema.parse(headers, deps.settings.default_provider, trace.trace_id)
    trace.metadata = options.metadata
    trace.provider = options.provider
    caller = _authenticate(options, deps)
    team = trace.team = caller.name if caller is not None else None
    trace.api_key_id = caller.key_id if caller is not None else None
    virtual_keys = None
    if team is not None:
        virtual_keys = functools.partial(_virtual_key, deps, team)
    root, trace.config_name, trace.config_version = build_plan(
        options, deps.saved_configs, virtual_keys
    )
    return _Front(options, caller, root, list(plan.leaves(root)), headers.get)


def _files(form: EditRequest | VariationRequest) -> tuple[tuple[Upload, ...], Upload | None]:
    if isinstance(form, EditRequest):
        return form.images, form.mask
    return (form.image,), None


def _form_params(form: EditRequest | VariationRequest) -> dict[str, Any]:
    """The form's text fields in the caller's order, as sent but for the integers the
    upload checks read (``n``); an empty field is left out, as the checks took it."""
    return {
        name: getattr(form, name, value) if name in _INTEGERS else value
        for name, value in form.fields.items()
        if value != ""
    }


def _check_upload(request: ImageRequest) -> None:
    check_upload(request.operation, request.model, request.params, request.images, request.mask)


def _serve(front: _Front, body: Body, trace: Trace, deps: Deps, public_url: str) -> ImageResult:
    options, caller, root, leaves = front.options, front.caller, front.root, front.leaves
    team = trace.team
    # The whole plan, before the first call: a target refused later would be refused
    # after the earlier ones were called and paid for.
    checked = preflight.check(
        leaves, options, deps.settings.allowed_custom_hosts, deps.resolve_host
    )
    trace.provider = leaves[0].provider
    attempt = Attempts(
        deps.settings,
        deps.transport,
        deps.signer.checked(checked.accounts),
        deps.base_urls,
        deps.resolve_host,
        options,
        front.header,
        body.params,
        body.raw,
        many=len(leaves) > 1,
        cache=deps.cache.scope(team, options.cache_force_refresh) if deps.cache else None,
        endpoints=checked.endpoints,
        operation=body.operation,
        images=body.images,
        mask=body.mask,
        check_upload=_check_upload if body.images else None,
    )
    if len(leaves) == 1:  # a clear 400 for a request its only target cannot serve
        trace.request = attempt.request_for(leaves[0], providers.get(leaves[0].provider or ""))
    key_limits = limits.of(caller)
    # The price of an image without one, for a key with a budget (None: refused).
    unpriced = deps.settings.unpriced_image_micro_usd if key_limits.has_budget() else None
    held = _reserve(deps, trace, attempt, leaves, key_limits, unpriced)
    try:
        return _route(root, attempt, body.params, trace, deps, public_url, unpriced)
    finally:  # the actual cost replaces the estimate; a failure releases it
        _charge_discarded(trace, attempt.discarded, unpriced)
        deps.usage.settle(held, trace.cost_micro_usd or 0)


def _route(
    root: PlanNode,
    attempt: Attempts,
    params: dict[str, Any],
    trace: Trace,
    deps: Deps,
    public_url: str,
    unpriced: int | None,
) -> ImageResult:
    """Try the config's targets, then answer in the format asked for."""
    outcome = engine.run(
        root,
        attempt,
        context={"metadata": trace.metadata, "params": params},
        clock=deps.clock,
        sleep=deps.sleep,
        rng=deps.rng,
        deadline_s=deps.clock() + TOTAL_DEADLINE_S,
    )
    if attempt.cache is not None:  # the status of the target that answered
        trace.cache_status = attempt.cache.status_of(outcome.leaf.path)
    answered = attempt.save(outcome.leaf, _answer(outcome, trace))  # a miss is stored
    _charge(trace, answered, unpriced)
    return deps.delivery.render(
        answered.result, answered.request, answered.origin, deps.settings.public_url or public_url
    )


def _reserve(
    deps: Deps,
    trace: Trace,
    attempt: Attempts,
    leaves: list[Leaf],
    key_limits: limits.Limits,
    unpriced: int | None,
) -> limits.Hold:
    """Count this request against its gateway key's limits (429 when over one); a key
    with a budget is refused a request that no target can price (400), unless
    ``unpriced`` prices it."""
    if trace.api_key_id is None or not key_limits.any():
        return limits.Hold()
    asked, unknown = [], []
    for leaf in leaves:
        provider = providers.get(leaf.provider or "")
        try:
            request = attempt.request_for(leaf, provider)
        except InvalidRequest:
            continue  # a target that cannot serve the request is skipped: it costs nothing
        price = _price_of(provider, request)(request)
        if price is None:
            unknown.append(_described(provider.name, request))
            price = unpriced
        asked.append((request.n, price))
    if key_limits.has_budget() and unpriced is None and asked and len(unknown) == len(asked):
        raise limits.unpriced(unknown)
    n, estimate = limits.estimate(asked)
    return deps.usage.reserve(trace.api_key_id, key_limits, n, estimate, deps.wall_clock())


def _price_of(
    provider: providers.Provider, request: ImageRequest
) -> Callable[[ImageRequest], int | None]:
    """The provider's price of one image for the route ``request`` came in on."""
    served = provider.serving(request.operation)
    return served.price if served is not None else no_price


def _described(provider: str, request: ImageRequest) -> str:
    quality = f", quality {request.quality}" if request.quality else ""
    return f"{provider} model '{request.model}' (size {request.size}{quality})"


def _charge(trace: Trace, answered: Answered, unpriced: int | None) -> None:
    """Images and cost of the answer, for the log, the header and the budget."""
    trace.images, trace.cost_micro_usd = _made(answered, unpriced, trace.cache_status)


def _charge_discarded(trace: Trace, discarded: list[Answered], unpriced: int | None) -> None:
    """Add the answers of fan-out calls whose attempt failed: never returned to the
    caller, but made and billed by the provider, so logged and charged like the rest."""
    if not discarded:
        return
    images = trace.images or 0
    spent = trace.cost_micro_usd if trace.images is not None else 0  # no answer: 0 so far
    for answered in discarded:
        count, price = _made(answered, unpriced, cost.MISS)
        images += count
        spent = None if spent is None or price is None else spent + price
    trace.images, trace.cost_micro_usd = images, spent


def _made(answered: Answered, unpriced: int | None, cache_status: str) -> tuple[int, int | None]:
    """(images, micro-USD) of one answer, priced by the provider that made it."""
    images = cost.images_in(answered.result, answered.request.n)
    price_of = _price_of(providers.get(answered.origin.provider), answered.request)
    price = cost.price_made(price_of, answered.request, answered.result)
    return images, cost.cost(price if price is not None else unpriced, images, cache_status)


def _virtual_key(deps: Deps, team: str, name: str, param: str) -> VirtualKey:
    return deps.virtual_key(name, team, param)


def _authenticate(options: RequestOptions, deps: Deps) -> Team | None:
    """The caller (team ``name``, ``key_id``, limits), None without a key; 401 when a key
    is required or a presented one is not valid."""
    if options.gateway_key is None:
        mode = deps.settings.require_api_key
        if mode == "true" or (mode == "auto" and deps.api_keys_exist()):
            raise AuthenticationError(
                "A gateway API key is required: send 'x-portkey-api-key: pkgw_...' "
                "(or 'Authorization: Bearer pkgw_...').",
                param="x-portkey-api-key",
                code="missing_gateway_key",
            )
        return None
    team = deps.authenticate(options.gateway_key)
    if team is None:  # unknown, revoked or malformed: one answer for all
        raise AuthenticationError(
            "The gateway API key is not valid.",
            param="x-portkey-api-key",
            code="invalid_gateway_key",
        )
    return team


def _answer(outcome: Outcome, trace: Trace) -> Answered:
    result, leaf = outcome.result, outcome.leaf
    trace.target, trace.retry_count = leaf.path, outcome.retry_count
    trace.attempts = outcome.attempts
    trace.provider = leaf.provider
    trace.virtual_key = leaf.virtual_key
    # Provider calls only: a skipped target and a cache hit made none (None for a hit).
    spent = [a.ended - a.started for a in outcome.attempts if a.called]
    trace.upstream_ms = sum(spent) * 1000 if spent else None
    if result.failure == SKIPPED:
        reasons = "; ".join(f"{a.path}: {a.skip_reason}" for a in outcome.attempts)
        raise InvalidRequest(
            f"No target can serve this request. {reasons}", code="no_target_can_serve"
        )
    if isinstance(result.payload, GatewayError):
        raise result.payload
    answered: Answered = result.payload
    trace.request = answered.request
    return answered
