"""The multipart forms of ``/v1/images/edits`` and ``/v1/images/variations``, as schemas.

They describe the forms for the OpenAPI document (``api/openapi.py``); the checks
themselves are ``gateway.uploads``', which read the form as it streams in (files
spooled, hashed and opened by Pillow) and so cannot hand it to marshmallow whole. The
limits named here are the generic ones; each model's own are those checks'.
"""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

_FILE = {"type": "string", "format": "binary"}


def _file(description: str, **kw: object) -> fields.Raw:
    return fields.Raw(metadata={**_FILE, "description": description}, **kw)  # type: ignore[arg-type]


class _Form(Schema):
    class Meta:
        unknown = INCLUDE  # provider options (seed, negative_prompt, ...) pass on

    model = fields.String(validate=validate.Length(min=1, max=256))
    n = fields.Integer(validate=validate.Range(min=1, max=10))
    size = fields.String(
        validate=validate.Length(min=1, max=32),
        metadata={"description": "WIDTHxHEIGHT or auto, as the model takes."},
    )
    response_format = fields.String(validate=validate.OneOf(("url", "b64_json")))
    user = fields.String(validate=validate.Length(max=256))


class ImageEditForm(_Form):
    image = _file(
        "The image to edit: a PNG, JPEG or WEBP file (dall-e-2: one square PNG under "
        "4 MB). Several images (GPT image models, up to 16) go as repeated 'image[]' parts.",
        required=True,
    )
    mask = _file(
        "A PNG with an alpha channel, the size of the (first) image; its fully "
        "transparent pixels mark where to edit."
    )
    prompt = fields.String(required=True, validate=validate.Length(min=1, max=32000))
    quality = fields.String(metadata={"examples": ["auto", "low", "medium", "high"]})
    background = fields.String(validate=validate.OneOf(("transparent", "opaque", "auto")))
    output_format = fields.String(validate=validate.OneOf(("png", "jpeg", "webp")))
    output_compression = fields.Integer(validate=validate.Range(min=0, max=100))
    input_fidelity = fields.String(validate=validate.OneOf(("high", "low")))


class ImageVariationForm(_Form):
    image = _file("The image to vary: one square PNG under 4 MB (dall-e-2).", required=True)
