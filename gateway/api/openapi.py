"""``GET /v1/openapi.json``: an OpenAPI 3.1 document of every route, built with apispec.

The generations body comes from ``schemas.images``; the answer and the error shape are
described here. The document is built once, when the blueprint is registered on an
app, and served as the same bytes on every request.
"""

from __future__ import annotations

import json
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Response, current_app
from flask.blueprints import BlueprintSetupState
from marshmallow import INCLUDE, Schema, fields

from .. import headers as h
from ..image_formats import CONTENT_TYPES
from ..schemas.images import ImageGenerationSchema
from ..schemas.upload_forms import ImageEditForm, ImageVariationForm

bp = Blueprint("openapi", __name__)
EXTENSION = "gateway.openapi"  # app.extensions key: the document's JSON bytes
PATH = "/v1/openapi.json"
OPENAPI_VERSION = "3.1.0"


class _Open(Schema):
    """The provider's body comes back byte for byte: other fields (usage, ...) may appear."""

    class Meta:
        unknown = INCLUDE


class ImageSchema(_Open):
    url = fields.String(metadata={"description": "A link to the image (response_format url)."})
    b64_json = fields.String(
        metadata={"description": "The image, base64 (response_format b64_json)."}
    )
    revised_prompt = fields.String(
        allow_none=True, metadata={"description": "The prompt the model used, when it says."}
    )


class ImagesResponseSchema(_Open):
    created = fields.Integer(required=True, metadata={"description": "Unix time, seconds."})
    data = fields.List(fields.Nested(ImageSchema), required=True)


class ErrorBodySchema(_Open):
    message = fields.String(required=True)
    type = fields.String(required=True, metadata={"examples": ["invalid_request_error"]})
    param = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The field or header at fault, or null."},
    )
    code = fields.String(required=True, allow_none=True, metadata={"examples": ["invalid_value"]})
    provider = fields.String(
        metadata={"description": "The provider that refused, when the error is its own."}
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


# The x-portkey-* request headers (README "Request headers"), by name.
HEADERS = {
    h.PROVIDER: "Provider slug; without it the default provider (GATEWAY_DEFAULT_PROVIDER).",
    h.API_KEY: "A gateway API key (pkgw_...), or else the provider key when Authorization "
    "is absent.",
    h.VIRTUAL_KEY: "The name of a stored provider key; needs a valid gateway API key.",
    h.CONFIG: "A routing config: an inline JSON object (at most 8 KiB) or a saved config's name.",
    h.TRACE_ID: "Echoed in the response; generated (32 hex characters) if absent.",
    h.METADATA: "A JSON object of string values (at most 2 KiB, values at most 128 characters), "
    "kept in the request log.",
    h.REQUEST_TIMEOUT: "Milliseconds allowed for the upstream call; then 408 timeout_error.",
    h.CUSTOM_HOST: "Another base URL for the provider; must be on GATEWAY_ALLOWED_CUSTOM_HOSTS.",
    h.FORWARD_HEADERS: "Comma-separated names of your headers to copy upstream, at most 16.",
    h.OPENAI_ORGANIZATION: "Sent upstream as OpenAI-Organization.",
    h.OPENAI_PROJECT: "Sent upstream as OpenAI-Project.",
    h.CACHE_FORCE_REFRESH: "Any value: skip the cache lookup, call the provider and store "
    "its answer.",
}
HEADERS |= {
    name: f"Provider setting: sets the target's '{option}' option."
    for name, option in h.PROVIDER_OPTION_HEADERS.items()
}

ERRORS = {
    400: "A bad body, header or routing config.",
    401: "No provider key, a malformed Authorization header, or a bad gateway key.",
    403: "The virtual key is disabled.",
    404: "A virtual key or saved config that does not exist.",
    408: "x-portkey-request-timeout expired.",
    413: "The body is larger than GATEWAY_MAX_BODY_BYTES.",
    415: "The body was not sent as application/json.",
    429: "The gateway API key is over a rate limit or budget, or the provider's 429.",
    500: "A bug; the message carries the request id.",
    502: "The provider could not be reached or answered badly.",
    503: "The instance is at capacity, or the store that holds the limits does not answer.",
    504: "The provider did not answer within GATEWAY_READ_TIMEOUT.",
}


def _json(schema: Any, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json("Error", description)


# How the upload routes' refusals differ from a JSON body's (None: not answered there).
UPLOAD_ERRORS: dict[int, str | None] = {
    400: "A body that is not multipart/form-data (unsupported_content_type), a malformed "
    "form, a field a model does not take, or an image that is not a PNG, JPEG or WEBP, is "
    "truncated, or declares too many pixels; 'param' names the field.",
    413: "The form is larger than GATEWAY_UPLOAD_MAX_BYTES, or one file larger than "
    "GATEWAY_UPLOAD_MAX_FILE_BYTES (or its model's limit).",
    415: None,
}


def _images_post(
    operation_id: str,
    summary: str,
    content_type: str,
    schema: str,
    errors: dict[int, str | None],
) -> dict[str, Any]:
    parameters = [
        {"in": "header", "name": name, "required": False, "description": text}
        | {"schema": {"type": "string"}}
        for name, text in HEADERS.items()
    ]
    responses = {200: _json("ImagesResponse", "The provider's answer, in OpenAI's shape.")}
    responses |= {status: _error(text) for status, text in (ERRORS | errors).items() if text}
    return {
        "post": {
            "operationId": operation_id,
            "summary": summary,
            "parameters": parameters,
            "security": [{"bearerAuth": []}, {}],
            "requestBody": {"required": True, "content": {content_type: {"schema": schema}}},
            "responses": responses,
        }
    }


def _generations() -> dict[str, Any]:
    summary = "Generate images (OpenAI's body) through the routed providers."
    return _images_post("createImage", summary, "application/json", "ImageGenerationRequest", {})


def _edits() -> dict[str, Any]:
    summary = (
        "Edit images (OpenAI's multipart form): inpaint with a mask, change by prompt, "
        "combine reference images; mapped to each provider's edit API."
    )
    return _images_post(
        "createImageEdit", summary, "multipart/form-data", "ImageEditRequest", UPLOAD_ERRORS
    )


def _variations() -> dict[str, Any]:
    summary = "Variations of one image (OpenAI's multipart form, dall-e-2)."
    return _images_post(
        "createImageVariation",
        summary,
        "multipart/form-data",
        "ImageVariationRequest",
        UPLOAD_ERRORS,
    )


def _files() -> dict[str, Any]:
    kinds = sorted(set(CONTENT_TYPES.values()))
    images = {kind: {"schema": {"type": "string", "contentMediaType": kind}} for kind in kinds}
    query = {"in": "query", "required": True}
    return {
        "get": {
            "operationId": "getImageFile",
            "summary": "An image the gateway hosts; the signed link is the credential.",
            "parameters": [
                {
                    "in": "path",
                    "name": "name",
                    "required": True,
                    "schema": {
                        "type": "string",
                        "pattern": rf"^[0-9a-f]{{32}}\.({'|'.join(CONTENT_TYPES)})$",
                    },
                },
                query
                | {
                    "name": "expires",
                    "description": "Unix time the link expires at, seconds.",
                    "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
                },
                query
                | {
                    "name": "signature",
                    "description": "HMAC-SHA256 over the name and expiry, hex.",
                    "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                },
            ],
            "responses": {
                200: {
                    "description": "The image, with its real content type.",
                    "content": images,
                },
                304: {"description": "Not modified."},
                404: _error("The link is not valid or has expired."),
            },
        }
    }


def _health() -> dict[str, Any]:
    ok = {"type": "object", "properties": {"status": {"const": "ok"}}, "required": ["status"]}
    ready = {
        "type": "object",
        "properties": {
            "status": {"const": "ready"},
            "in_flight": {"type": "integer"},
            "capacity": {"type": "integer"},
        },
        "required": ["status", "in_flight", "capacity"],
    }
    return {
        "/healthz": {
            "get": {
                "operationId": "healthz",
                "summary": "Liveness: no auth, no upstream call.",
                "responses": {200: _json(ok, "The process answers.")},
            }
        },
        "/readyz": {
            "get": {
                "operationId": "readyz",
                "summary": "Readiness: the store answers and the instance has room.",
                "responses": {
                    200: _json(ready, "Ready for calls."),
                    503: _error("store_unavailable or gateway_overloaded."),
                },
            }
        },
    }


def _metrics() -> dict[str, Any]:
    text = {"schema": {"type": "string"}}
    return {
        "get": {
            "operationId": "metrics",
            "summary": "Prometheus metrics.",
            "security": [{"metricsToken": []}, {}],
            "responses": {
                200: {
                    "description": "Prometheus text format (or OpenMetrics, by Accept).",
                    "content": {"text/plain": text, "application/openmetrics-text": text},
                },
                401: _error("GATEWAY_METRICS_TOKEN is set and was not presented."),
                404: _error("Metrics are turned off (GATEWAY_METRICS=false)."),
            },
        }
    }


def build() -> dict[str, Any]:
    spec = APISpec(
        title="image-gateway",
        version="0.1.0",
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin()],
        info={"description": "Self-hosted, Portkey-compatible gateway for AI image generation."},
    )
    spec.components.schema("ImageGenerationRequest", schema=ImageGenerationSchema)
    spec.components.schema("ImageEditRequest", schema=ImageEditForm)
    spec.components.schema("ImageVariationRequest", schema=ImageVariationForm)
    one_of = {"anyOf": [{"required": ["url"]}, {"required": ["b64_json"]}]}
    spec.components.schema("Image", one_of, schema=ImageSchema)
    spec.components.schema("ImagesResponse", schema=ImagesResponseSchema)
    spec.components.schema("ErrorBody", schema=ErrorBodySchema)
    spec.components.schema("Error", schema=ErrorSchema)
    spec.components.security_scheme(
        "bearerAuth",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "The provider key, or a gateway API key (pkgw_...).",
        },
    )
    spec.components.security_scheme(
        "metricsToken",
        {"type": "http", "scheme": "bearer", "description": "GATEWAY_METRICS_TOKEN."},
    )
    spec.path(path="/v1/images/generations", operations=_generations())
    spec.path(path="/v1/images/edits", operations=_edits())
    spec.path(path="/v1/images/variations", operations=_variations())
    spec.path(path="/v1/images/files/{name}", operations=_files())
    for path, operations in _health().items():
        spec.path(path=path, operations=operations)
    spec.path(path="/metrics", operations=_metrics())
    document = {"type": "object", "description": "This document."}
    spec.path(
        path=PATH,
        operations={
            "get": {
                "operationId": "openapi",
                "summary": "This OpenAPI 3.1 document.",
                "responses": {200: _json(document, "The document.")},
            }
        },
    )
    return spec.to_dict()


@bp.record_once
def _build_once(state: BlueprintSetupState) -> None:
    state.app.extensions[EXTENSION] = json.dumps(build(), separators=(",", ":")).encode()


@bp.get(PATH)
def openapi() -> Response:
    return Response(current_app.extensions[EXTENSION], content_type="application/json")
