"""The OpenAI images body: types only. Model-specific limits live in providers/*/capabilities."""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

MAX_EXTRA_KEYS = 32


def _optional(field_cls: type[fields.Field], **kw: Any) -> fields.Field:
    # OpenAI's API treats an explicit null like an absent optional parameter.
    return field_cls(required=False, allow_none=True, **kw)


class ImageGenerationSchema(Schema):
    """Strict types (``"n": 2.5`` and ``"n": "2"`` are errors); unknown keys pass through,
    because providers take their own parameters (seed, negative_prompt, ...)."""

    class Meta:
        unknown = INCLUDE

    model = _optional(fields.String, validate=validate.Length(min=1, max=256))
    prompt = fields.String(required=True, validate=validate.Length(min=1))
    n = _optional(fields.Integer, strict=True)
    size = _optional(fields.String, validate=validate.Length(min=1, max=32))
    quality = _optional(fields.String, validate=validate.Length(min=1, max=32))
    style = _optional(fields.String, validate=validate.Length(min=1, max=32))
    response_format = _optional(fields.String, validate=validate.OneOf(("url", "b64_json")))
    user = _optional(fields.String, validate=validate.Length(max=256))
    background = _optional(fields.String, validate=validate.Length(min=1, max=32))
    output_format = _optional(fields.String, validate=validate.Length(min=1, max=32))
    output_compression = _optional(
        fields.Integer, strict=True, validate=validate.Range(min=0, max=100)
    )
    moderation = _optional(fields.String, validate=validate.Length(min=1, max=32))
    stream = _optional(fields.Boolean, truthy={True}, falsy={False})
    partial_images = _optional(fields.Integer, strict=True, validate=validate.Range(min=0, max=3))

    @validates_schema(pass_original=True)
    def _limits(self, data: dict[str, Any], original: dict[str, Any], **_: Any) -> None:
        if data.get("stream"):
            # One JSON answer per request: cache, cost, limits, retries and the request
            # log all need the whole answer, so streamed events are not relayed yet.
            raise ValidationError(
                "streaming is not supported by the gateway yet; leave 'stream' out or send false.",
                "stream",
            )
        if len(original.keys() - self.fields.keys()) > MAX_EXTRA_KEYS:
            raise ValidationError(f"at most {MAX_EXTRA_KEYS} extra parameters are accepted.")
