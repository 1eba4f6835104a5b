"""One attempt against one routing target: capabilities, transform, HTTP, and what happened.

The routing engine decides what to try next from the ``AttemptResult`` built here;
it never sees HTTP. Failures are classified by what the provider may have done:
``connect`` (nothing reached it: safe to retry), ``ambiguous`` (the request was
sent, an image may be billed), ``skipped`` (this target cannot serve the request,
no call made).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import providers
from ..errors import (
    GatewayError,
    InvalidRequest,
    InvalidUpstreamResponse,
    ProviderError,
    RequestTimeout,
    UpstreamBroken,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from ..models import (
    GENERATIONS,
    ImageRequest,
    ImageResult,
    ProviderCall,
    RequestOptions,
    Target,
    Upload,
)
from ..providers.capabilities import resolve, resolve_upload
from ..routing.attempts import AMBIGUOUS, CONNECT, LOST, SKIPPED, AttemptResult
from ..routing.nodes import Leaf
from ..routing.retry import retry_after
from ..settings import Settings
from . import custom_hosts, fanout, preflight
from .answer_cache import AnswerCache, Answered
from .delivery import Origin, origin_of
from .signing import Signer
from .transport import Transport


def _not_worth_retrying(exc: GatewayError, ok: bool) -> bool:
    """An exhausted quota does not recover; a broken 2xx answer was made, and maybe
    billed, so the same target is not asked again (fallback may still move on)."""
    if isinstance(exc, ProviderError):
        return exc.quota_exhausted
    return ok and isinstance(exc, InvalidUpstreamResponse)


def _unread(
    exc: GatewayError, provider: str, status: int, headers: Mapping[str, str]
) -> AttemptResult:
    """An answer that could not be read: a 2xx one fails with the error's status and,
    as ``_not_worth_retrying`` says, is not asked for again (single and fan-out calls)."""
    exc.provider = exc.provider or provider
    ok = 200 <= status < 300
    return AttemptResult(
        status=exc.status if ok else status,
        retry_after_s=retry_after(headers),
        payload=exc,
        no_retry=_not_worth_retrying(exc, ok),
    )


def _local(provider: providers.Provider) -> Callable[[ImageRequest, Target], ImageResult]:
    if provider.local is None:
        raise AssertionError(f"{provider.name} builds HTTP calls; it has no local answer")
    return provider.local


@dataclass(frozen=True)
class Attempts:
    """Builds ``attempt(leaf)`` for one request; holds nothing between requests."""

    settings: Settings
    transport: Transport
    signer: Signer
    base_urls: Mapping[str, str]
    resolve_host: custom_hosts.Resolver
    options: RequestOptions
    header: Callable[[str], str | None]
    params: dict[str, Any]
    raw: bytes
    many: bool
    # Per request: a target retried, or checked before routing, is resolved once.
    _resolved: dict[str, ImageRequest] = field(default_factory=dict)
    # The simple cache for this request (team, force refresh); None: no cache at all.
    cache: AnswerCache | None = None
    # Hosts the pre-flight checked, by target path: (base URL, pinned address).
    endpoints: Mapping[str, preflight.Endpoint] = field(default_factory=dict)
    # Per request: the key of each target's successful miss, stored by ``save`` once
    # routing is done (outside the attempt's timing: the upstream latency is the call's).
    _unsaved: dict[str, str] = field(default_factory=dict)
    # Per request: the answers of fan-out calls whose attempt failed as a whole. Never
    # returned, but made and billed: the request log and the budget count them.
    discarded: list[Answered] = field(default_factory=list)
    # Edits and variations: the route, and the checked input files (``params`` then
    # holds the form's text fields, typed, and ``raw`` is empty).
    operation: str = GENERATIONS
    images: tuple[Upload, ...] = ()
    mask: Upload | None = None
    # The upload limits of the model a target resolves to (``uploads.check_upload``).
    check_upload: Callable[[ImageRequest], None] | None = None

    def request_for(self, leaf: Leaf, provider: providers.Provider) -> ImageRequest:
        known = self._resolved.get(leaf.path)
        if known is not None:
            return known
        self._resolved[leaf.path] = request = self._resolve(leaf, provider)
        return request

    def _resolve(self, leaf: Leaf, provider: providers.Provider) -> ImageRequest:
        params, raw = self.params, self.raw
        uploaded = self.operation != GENERATIONS
        if leaf.override_params:
            params = {**params, **leaf.override_params}
            raw = b"" if uploaded else fanout.raw_body(params)
        if not uploaded:
            return resolve(provider.capabilities, params, raw)
        served = providers.serving(provider, self.operation)
        request = resolve_upload(
            served.capabilities, self.operation, params, self.images, self.mask
        )
        if self.check_upload is not None:
            self.check_upload(request)
        return request

    def target(self, leaf: Leaf, provider: providers.Provider) -> Target:
        base_url, pinned = leaf.base_url or self.base_urls.get(provider.name), None
        # A custom host (only the caller's own key travels there: virtual keys are refused
        # with one when the config is loaded) or a virtual key's http base URL: connect to
        # the address the pre-flight pinned, never to a second DNS answer.
        checked = preflight.endpoint(
            leaf,
            self.options,
            self.settings.allowed_custom_hosts,
            self.resolve_host,
            self.endpoints,
        )
        if checked is not None:
            base_url, pinned = checked
        forward = self.options.forward_headers
        if not forward and leaf.forward_headers:
            forward = tuple((n, v) for n in leaf.forward_headers if (v := self.header(n)))
        return Target(
            provider=provider.name,
            base_url=base_url,
            api_key=leaf.api_key or "",
            pinned_ip=pinned,
            organization=leaf.provider_options.get("openai_organization")
            or self.options.openai_organization,
            project=leaf.provider_options.get("openai_project") or self.options.openai_project,
            forward_headers=forward,
            options=leaf.provider_options,
        )

    def __call__(self, leaf: Leaf) -> AttemptResult:
        provider = providers.get(leaf.provider or "")
        prepared = self._prepare(leaf, provider)
        if isinstance(prepared, AttemptResult):
            return prepared
        if self.cache is not None and leaf.cache is not None:
            return self._cached(self.cache, leaf, provider, *prepared)
        return self._calls(leaf, provider, *prepared)

    def _cached(
        self,
        cache: AnswerCache,
        leaf: Leaf,
        provider: providers.Provider,
        request: ImageRequest,
        target: Target,
        parts: tuple[fanout.Part, ...] | None,
    ) -> AttemptResult:
        """A hit answers without a call (status 200, ``cached``); a success is stored by
        ``save`` after routing, an error never."""
        key = cache.key(provider.name, request, target, parts[0].call.url if parts else None)
        hit = cache.lookup(leaf, key, request.response_format)
        if hit is not None:
            origin = Origin(provider.name, (), "", None)
            return AttemptResult(status=200, payload=Answered(request, hit, origin), cached=True)
        result = self._calls(leaf, provider, request, target, parts)
        if result.ok and key is not None:
            self._unsaved[leaf.path] = key
        return result

    def save(self, leaf: Leaf, answered: Answered) -> Answered:
        """Store the answer of ``leaf`` if it was a cache miss (a hit, or a target without
        a cache, stores nothing); return it with its images' bytes filled in."""
        key = self._unsaved.pop(leaf.path, None)
        if self.cache is None or key is None:
            return answered
        return self.cache.save(leaf, key, answered)

    def _call(
        self,
        leaf: Leaf,
        provider: providers.Provider,
        request: ImageRequest,
        target: Target,
        call: ProviderCall | None,
        deadline: float | None = None,
    ) -> AttemptResult:
        if call is None:  # a local provider (the placeholder): no network
            local = Origin(provider.name, (), "", None)
            answered = Answered(request, _local(provider)(request, target), local)
            return AttemptResult(status=200, payload=answered)
        ready = self._signed(leaf, provider, call, deadline)
        if isinstance(ready, AttemptResult):
            return ready
        signed, left = ready
        try:
            reply = self.transport.send(signed, self.settings.connect_timeout, left)
        except (UpstreamTimeout, UpstreamUnavailable) as exc:
            return self._timed_out(leaf, provider, exc, self._limit(leaf))
        except InvalidRequest:
            raise  # our own refusal (a header that cannot be sent): never a fallback
        except GatewayError as exc:  # lost connection, redirect, oversized answer
            exc.provider = exc.provider or provider.name
            failure = LOST if isinstance(exc, UpstreamBroken) else None
            # An oversized answer was made (and billed); a redirect will redirect again.
            again = isinstance(exc, InvalidUpstreamResponse)
            return AttemptResult(status=exc.status, failure=failure, payload=exc, no_retry=again)
        try:
            # Parsed here, not after routing: a 2xx that is not an image answer must
            # count as a failure, so that fallback can move on.
            result = providers.serving(provider, request.operation).parse_reply(reply, request)
        except GatewayError as exc:
            return _unread(exc, provider.name, reply.status, reply.headers)
        origin = Origin(provider.name, provider.image_hosts, origin_of(call.url), call.pinned_ip)
        return AttemptResult(status=reply.status, payload=Answered(request, result, origin))

    def _calls(
        self,
        leaf: Leaf,
        provider: providers.Provider,
        request: ImageRequest,
        target: Target,
        parts: tuple[fanout.Part, ...] | None,
    ) -> AttemptResult:
        """One call, or a fan-out whose answers merge into one; any failed call fails
        the attempt (``fanout``)."""
        if parts is None or len(parts) == 1:
            return self._call(leaf, provider, request, target, parts[0].call if parts else None)
        deadline = time.monotonic() + self._limit(leaf)
        ran = fanout.run(
            lambda part: self._part(leaf, provider, target, part, deadline),
            parts,
            deadline=deadline,
            late=lambda part: self._late(leaf, provider),
        )
        made: list[Answered] = [r.payload for r in ran.results if r is not None and r.ok]
        failed = fanout.failure(ran.results)
        if ran.error is not None or failed is not None:
            self.discarded.extend(made)  # never returned, but made and billed
        if ran.error is not None:
            raise ran.error  # our own refusal, as from a single call
        if failed is not None:
            return failed
        merged = fanout.merge([answered.result for answered in made], provider.name)
        return AttemptResult(
            status=merged.status, payload=Answered(request, merged, made[0].origin)
        )

    def _part(
        self,
        leaf: Leaf,
        provider: providers.Provider,
        target: Target,
        part: fanout.Part,
        deadline: float,
    ) -> AttemptResult:
        """One call of a fan-out, its answer read into images (the merge renders anew)."""
        result = self._call(leaf, provider, part.request, target, part.call, deadline)
        if not result.ok:
            return result
        answered: Answered = result.payload
        try:
            images = fanout.as_images(answered.result, provider.name)
        except GatewayError as exc:
            self.discarded.append(answered)  # unreadable, but made and maybe billed
            return _unread(exc, provider.name, answered.result.status, answered.result.headers)
        return dataclasses.replace(result, payload=dataclasses.replace(answered, result=images))

    def _signed(
        self,
        leaf: Leaf,
        provider: providers.Provider,
        call: ProviderCall,
        deadline: float | None,
    ) -> tuple[ProviderCall, float] | AttemptResult:
        """``call`` signed, and the seconds it may take. A fan-out's calls share the
        attempt's time: a call gets what is left once signed (a token fetch takes some),
        and one with too little left to be answered is not made (``_late``)."""
        limit = self._limit(leaf)
        left = fanout.time_left(limit, deadline)
        if left is None:
            return self._late(leaf, provider)
        signed = self._sign(call, left)
        if isinstance(signed, AttemptResult):
            return signed
        left = fanout.time_left(limit, deadline)
        return self._late(leaf, provider) if left is None else (signed, left)

    def _late(self, leaf: Leaf, provider: providers.Provider) -> AttemptResult:
        """A fan-out call whose turn came too late: not made, so the attempt timed out."""
        late = UpstreamTimeout("The provider did not make every image in time.")
        return self._timed_out(leaf, provider, late, self._limit(leaf))

    def _limit(self, leaf: Leaf) -> float:
        """Seconds one attempt may take: the read timeout, or the config's shorter one."""
        limit = self.settings.read_timeout
        if leaf.request_timeout is not None:
            limit = min(limit, leaf.request_timeout / 1000)
        return limit

    def _prepare(
        self, leaf: Leaf, provider: providers.Provider
    ) -> tuple[ImageRequest, Target, tuple[fanout.Part, ...] | None] | AttemptResult:
        """The calls to make (one, or a fan-out's; None for a local provider), or the
        result of a skipped target."""
        try:
            request = self.request_for(leaf, provider)
        except InvalidRequest as exc:
            return self._skip(exc)
        # A refused custom host is the caller's mistake in every case: never skipped.
        target = self.target(leaf, provider)
        if provider.local is not None:
            return request, target, None
        try:
            # Limits only the transform can check (a seed range, a missing Azure
            # resource) skip this target like the capability table's do.
            served = providers.serving(provider, request.operation)
            shares = fanout.split(request, served.capabilities.per_call(request.model))
            parts = tuple(fanout.Part(r, served.build_call(r, target)) for r in shares)
            return request, target, parts
        except InvalidRequest as exc:
            return self._skip(exc)

    def _skip(self, exc: InvalidRequest) -> AttemptResult:
        if not self.many:
            raise exc
        return AttemptResult(failure=SKIPPED, payload=exc, reason=exc.message)

    def _sign(self, call: ProviderCall, limit: float) -> ProviderCall | AttemptResult:
        """Signing before the call; a token endpoint's failure reached no provider."""
        try:
            return self.signer.apply(call, self.settings.connect_timeout, limit)
        except InvalidRequest:
            raise  # an unusable service-account key: the caller's to fix
        except UpstreamUnavailable as exc:
            return AttemptResult(failure=CONNECT, payload=exc)
        except GatewayError as exc:  # the token request was refused
            return AttemptResult(status=exc.status, payload=exc)

    def _timed_out(
        self, leaf: Leaf, provider: providers.Provider, exc: GatewayError, limit: float
    ) -> AttemptResult:
        exc.provider = provider.name
        connecting = isinstance(exc, UpstreamUnavailable)
        if connecting and exc.code != "upstream_connect_timeout":
            return AttemptResult(failure=CONNECT, payload=exc)
        if leaf.request_timeout is not None and leaf.request_timeout / 1000 <= limit:
            exc = RequestTimeout(
                f"Request exceeded the timeout sent in the request: {leaf.request_timeout}ms",
                provider=provider.name,
            )
        return AttemptResult(
            status=exc.status, failure=CONNECT if connecting else AMBIGUOUS, payload=exc
        )
