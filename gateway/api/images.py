"""``POST /v1/images/generations``: parse, call the pipeline, answer, log. No business logic."""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, g, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wsgi import get_input_stream

from .. import headers as h
from ..cost import dollars
from ..error_handlers import http_response, render, store_unavailable
from ..errors import GatewayError, Overloaded, UnsupportedMediaType, http_error
from ..models import EDITS, VARIATIONS, ImageResult
from ..observability import metrics
from ..pipeline import Trace, generate, transform
from ..redact import forget, remember
from ..schemas.headers import trace_id_or_new
from ..store.database import UNAVAILABLE
from ..uploads import read_edit, read_variation

if TYPE_CHECKING:
    from . import AppState

bp = Blueprint("images", __name__)
log = logging.getLogger("gateway.images")


def _check_content_type() -> None:
    mimetype = request.mimetype
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if not (mimetype == "application/json" or mimetype.endswith("+json")) or charset != "utf-8":
        raise UnsupportedMediaType(
            "Send the body as JSON with 'Content-Type: application/json'.",
            param="content-type",
        )


class Headers(dict[str, str]):
    """The request's headers, read once from the WSGI environ and looked up without
    regard to case, as werkzeug's ``EnvironHeaders`` does: a request reads some 30 of
    them, and each ``EnvironHeaders.get`` rebuilds the environ key (about 1 us)."""

    __slots__ = ()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)

    @classmethod
    def of(cls, environ: dict[str, Any]) -> Headers:
        found = cls()
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                found[key[5:].replace("_", "-").lower()] = value
        for key, name in (("CONTENT_TYPE", "content-type"), ("CONTENT_LENGTH", "content-length")):
            if key in environ:  # EnvironHeaders reads these two without HTTP_
                found[name] = environ[key]
        return found


def _remember_secrets(headers: Headers) -> None:
    auth = headers.get("authorization", "")
    remember(auth.partition(" ")[2].strip(), headers.get(h.API_KEY, "").strip())


def _read_body(limit: int) -> bytes:
    """The whole body, or 413: a chunked body has no Content-Length for Werkzeug to
    check, and its capped stream would silently hand back only the first ``limit`` bytes."""
    raw = request.stream.read(limit)
    if len(raw) == limit and request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()
    return raw


@bp.post("/v1/images/generations")
def generations() -> Response:
    return _admitted("generations", _generate)


@bp.post("/v1/images/edits")
def edits() -> Response:
    """OpenAI's multipart form: images (``image`` or ``image[]``), ``mask``, ``prompt``..."""
    return _admitted(EDITS, functools.partial(_upload, EDITS, read_edit))


@bp.post("/v1/images/variations")
def variations() -> Response:
    return _admitted(VARIATIONS, functools.partial(_upload, VARIATIONS, read_variation))


def _admitted(route: str, run: Callable[[AppState, Trace, Headers], ImageResult]) -> Response:
    """Admit the call first: beyond the capacity it is refused before its body is read."""
    state = current_app.extensions["gateway"]
    started = time.monotonic()
    trace = Trace(trace_id=trace_id_or_new(request.headers.get(h.TRACE_ID)))
    trace.operation = route
    if not state.admission.enter():
        return _overloaded(state, trace, started, route)
    try:
        # The answer is bytes, built in full here: its place is free once it is made.
        return _answer(state, trace, started, run)
    finally:
        state.admission.leave()


def _overloaded(state: AppState, trace: Trace, started: float, route: str) -> Response:
    """503 at once: no body read, no pipeline, no wait on SQLite (the row is dropped,
    and counted, if the request log's queue is full)."""
    exc = Overloaded(state.admission.capacity)
    response = render(exc)
    _gateway_headers(response, trace)
    row = _log_row(trace, g.request_id, response, exc.code, started, state)
    if not state.request_log.offer(row):
        metrics.log_row_dropped()
    metrics.overloaded(route)
    metrics.record(trace, response.status_code, time.monotonic() - started)
    g.access_fields = row
    return response


def _generate(state: AppState, trace: Trace, headers: Headers) -> ImageResult:
    _check_content_type()
    raw = _read_body(state.settings.max_body_bytes)
    return generate(raw, headers, trace, state.deps, request.url_root)


def _upload(
    operation: str, reader: Callable[..., Any], state: AppState, trace: Trace, headers: Headers
) -> ImageResult:
    """An edit or variation: the form is read (spooled, checked) only once the pipeline
    knows the caller, from the raw input, under the upload limits rather than the JSON
    body's ``MAX_CONTENT_LENGTH``."""
    settings = state.settings
    read_form = functools.partial(
        reader,
        get_input_stream(request.environ, safe_fallback=False),
        content_type=request.headers.get("content-type"),
        content_length=request.content_length,
        limits=state.upload_limits,
        spool_dir=settings.upload_path,
    )
    return transform(operation, read_form, headers, trace, state.deps, request.url_root)


def _answer(
    state: AppState,
    trace: Trace,
    started: float,
    run: Callable[[AppState, Trace, Headers], ImageResult],
) -> Response:
    rid = g.request_id
    error_code = None
    headers = Headers.of(request.environ)
    _remember_secrets(headers)
    try:
        result = run(state, trace, headers)
        response = Response(result.body, status=result.status, mimetype="application/json")
        response.headers.update(result.headers)
    except GatewayError as exc:
        response, error_code = render(exc), exc.code
    except HTTPException as exc:  # 413 from MAX_CONTENT_LENGTH, client disconnects
        response = http_response(exc)
        error_code = http_error(response.status_code, "").code
    except UNAVAILABLE as exc:  # the store: answered 503, its transaction rolled back
        err = store_unavailable(exc)
        response, error_code = render(err), err.code
    except Exception:
        log.exception("unexpected error (trace %s, request %s)", trace.trace_id, rid)
        err = GatewayError(f"The gateway failed unexpectedly; request id {rid}.")
        response, error_code = render(err), err.code
    finally:
        forget()
    _gateway_headers(response, trace)
    row = _log_row(trace, rid, response, error_code, started, state)
    state.request_log.record(row, _attempt_rows(rid, trace))
    metrics.record(trace, response.status_code, time.monotonic() - started)
    g.access_fields = row
    return response


def _attempt_rows(rid: str, trace: Trace) -> list[dict[str, object]]:
    return [
        {
            "request_id": rid,
            "seq": seq,
            "target_path": a.path,
            "provider": a.provider,
            "status": a.status,
            "failure": a.failure,
            "latency_ms": round((a.ended - a.started) * 1000, 3),
            "skip_reason": a.skip_reason,
            "created_at": time.time(),
        }
        for seq, a in enumerate(trace.attempts)
    ]


def _gateway_headers(response: Response, trace: Trace) -> None:
    headers = response.headers
    headers[h.TRACE_ID] = trace.trace_id
    if trace.provider:
        headers[h.RESPONSE_PROVIDER] = trace.provider
        headers[h.LAST_USED_OPTION_INDEX] = trace.target or "config"
        headers[h.RETRY_ATTEMPT_COUNT] = str(trace.retry_count)
        headers[h.CACHE_STATUS] = trace.cache_status
    if trace.cost_micro_usd is not None:
        headers[h.COST_USD] = dollars(trace.cost_micro_usd)


def _log_row(
    trace: Trace,
    rid: str,
    response: Response,
    error_code: str | None,
    started: float,
    state: AppState,
) -> dict[str, object]:
    req = trace.request
    settings = state.settings
    return {
        "created_at": time.time(),
        "request_id": rid,
        "trace_id": trace.trace_id,
        "provider": trace.provider,
        "model": req.model if req else None,
        "n": req.n if req else None,
        "size": req.size if req else None,
        "quality": req.quality if req else None,
        "status": response.status_code,
        "latency_ms": round((time.monotonic() - started) * 1000, 3),
        "upstream_latency_ms": round(trace.upstream_ms, 3) if trace.upstream_ms else None,
        "error_code": error_code,
        "bytes_out": response.content_length or 0,
        "metadata": json.dumps(trace.metadata) if trace.metadata else None,
        "prompt": req.prompt if req and settings.log_prompts else None,
        "target": trace.target,
        "client_ip": request.remote_addr,
        "team": trace.team,
        "virtual_key": trace.virtual_key,
        "config_name": trace.config_name,
        "config_version": trace.config_version,
        "api_key_id": trace.api_key_id,
        "cache_status": trace.cache_status,
        "images": trace.images,
        "cost_micro_usd": trace.cost_micro_usd,
        "operation": trace.operation,
        "uploads": json.dumps(trace.uploads) if trace.uploads else None,
    }
