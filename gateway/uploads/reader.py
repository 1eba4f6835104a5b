"""The forms of ``POST /v1/images/edits`` and ``/v1/images/variations``, read and checked.

``read_edit`` and ``read_variation`` are context managers: they read the body (files
spooled to disk past a small threshold), check its structure, its values and every
image against the model's limits, and yield the request. Every temporary file is
deleted when the ``with`` block ends, and also when a check refuses the request.
Order: the form's shape, the text values, the image count, then each image (Pillow),
then the mask, so the cheap refusals come before any image is opened.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, BinaryIO

from ..errors import InvalidRequest
from . import checks
from .errors import DuplicateField, MissingField, UnexpectedFile
from .form import Form, read_form
from .images import inspect
from .limits import (
    DEFAULT_EDIT_MODEL,
    DEFAULT_VARIATION_MODEL,
    EDIT_MODELS,
    EDIT_REFUSED,
    GENERIC_EDIT,
    GENERIC_VARIATION,
    VARIATION_MODELS,
    VARIATION_REFUSED,
    ModelLimits,
)
from .models import EditRequest, Upload, UploadLimits, VariationRequest
from .spool import Spool, Spooler

# openai-python sends one image as "image" and a list as "image[]" (its extract_files
# with array_format "brackets"); a repeated "image" is taken as a list too.
IMAGE_FIELDS = ("image", "image[]")
FILE_FIELDS = (*IMAGE_FIELDS, "mask")
# Integer fields and their generic bounds (``n``'s bound is the model's).
INTEGERS: Mapping[str, tuple[int, int] | None] = {"n": None, "output_compression": (0, 100)}
MAX_TEXT = {"model": 256, "user": 256, "size": 32}
EDIT_FIELDS = (
    *("prompt", "model", "n", "size", "quality", "background", "output_format"),
    *("output_compression", "input_fidelity", "response_format", "user"),
)
_INTEGER = re.compile(r"[0-9]{1,6}\Z")


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    text: tuple[str, ...]  # the text fields the route knows
    required: tuple[str, ...]
    mask: bool
    default_model: str
    table: Mapping[str, ModelLimits]
    refused: frozenset[str]
    generic: ModelLimits


EDITS = Route(
    name="edits",
    text=EDIT_FIELDS,
    required=("prompt",),
    mask=True,
    default_model=DEFAULT_EDIT_MODEL,
    table=EDIT_MODELS,
    refused=EDIT_REFUSED,
    generic=GENERIC_EDIT,
)
VARIATIONS = Route(
    name="variations",
    text=("model", "n", "size", "response_format", "user"),
    required=(),
    mask=False,
    default_model=DEFAULT_VARIATION_MODEL,
    table=VARIATION_MODELS,
    refused=VARIATION_REFUSED,
    generic=GENERIC_VARIATION,
)


@contextmanager
def read_edit(
    stream: BinaryIO,
    *,
    content_type: str | None,
    content_length: int | None,
    limits: UploadLimits,
    spool_dir: str | os.PathLike[str] | None = None,
) -> Iterator[EditRequest]:
    with _form(stream, content_type, content_length, limits, spool_dir) as form:
        model, values, images, mask = _checked(form, EDITS, limits)
        yield EditRequest(
            model=model,
            prompt=values["prompt"],
            images=images,
            mask=mask,
            fields=MappingProxyType(dict(form.fields)),
            model_named="model" in values,
            **{k: values.get(k) for k in EDITS.text if k not in ("model", "prompt")},
        )


@contextmanager
def read_variation(
    stream: BinaryIO,
    *,
    content_type: str | None,
    content_length: int | None,
    limits: UploadLimits,
    spool_dir: str | os.PathLike[str] | None = None,
) -> Iterator[VariationRequest]:
    with _form(stream, content_type, content_length, limits, spool_dir) as form:
        model, values, images, _ = _checked(form, VARIATIONS, limits)
        yield VariationRequest(
            model=model,
            image=images[0],
            fields=MappingProxyType(dict(form.fields)),
            model_named="model" in values,
            **{k: values.get(k) for k in VARIATIONS.text if k != "model"},
        )


@contextmanager
def _form(
    stream: BinaryIO,
    content_type: str | None,
    content_length: int | None,
    limits: UploadLimits,
    spool_dir: str | os.PathLike[str] | None,
) -> Iterator[Form]:
    with Spooler(
        spool_dir, memory_threshold=limits.memory_threshold, max_file_bytes=limits.max_file_bytes
    ) as spooler:
        yield read_form(
            stream,
            content_type=content_type,
            content_length=content_length,
            limits=limits,
            spooler=spooler,
        )


def _checked(
    form: Form, route: Route, limits: UploadLimits
) -> tuple[str, dict[str, Any], tuple[Upload, ...], Upload | None]:
    values = _values(_text(form, route, limits), route)
    image_spools, mask_spool = _files(form, route)
    named = values.get("model")
    model = named or route.default_model
    # An unnamed model is each target's default (OpenAI's, Bedrock's, ...): the generic
    # limits here, that model's own once a target resolves it (``check_upload``).
    rules = _rules(route, named) if named else route.generic
    checks.check_values(model, rules, values)
    checks.check_count(model, rules, len(image_spools))
    array = len(image_spools) > 1 or image_spools[0].field == "image[]"
    images = tuple(
        _upload(spool, f"image[{i}]" if array else "image", limits)
        for i, spool in enumerate(image_spools)
    )
    checks.check_images(model, rules, images)
    mask = _upload(mask_spool, "mask", limits) if mask_spool else None
    checks.check_mask(model, rules, mask, images[0])
    return model, values, images, mask


def _rules(route: Route, model: str) -> ModelLimits:
    return checks.model_limits(model, route.table, route.refused, route.generic, route.name)


def check_upload(
    operation: str,
    model: str,
    params: Mapping[str, Any],
    images: tuple[Upload, ...],
    mask: Upload | None,
) -> None:
    """The checks of ``model``'s limits, for a target whose model is not the one the
    form named (its default, or a config's ``override_params``): a 400, or a skip in a
    fallback, before that target is called. No file is read again."""
    route = EDITS if operation == EDITS.name else VARIATIONS
    rules = _rules(route, model)
    values = {k: params[k] for k in route.text if params.get(k) is not None and k != "model"}
    checks.check_values(model, rules, values)
    checks.check_count(model, rules, len(images))
    checks.check_images(model, rules, images)
    checks.check_mask(model, rules, mask, images[0])


def _files(form: Form, route: Route) -> tuple[list[Spool], Spool | None]:
    images: list[Spool] = []
    masks: list[Spool] = []
    for spool in form.files:
        if spool.field in IMAGE_FIELDS:
            images.append(spool)
        elif spool.field == "mask" and route.mask:
            masks.append(spool)
        else:
            raise UnexpectedFile(
                f"The field '{spool.field}' takes no file on image {route.name}.",
                param=spool.field,
            )
    if len({spool.field for spool in images}) > 1:
        raise InvalidRequest(
            "Send the images either as 'image' or as 'image[]', not both.", param="image"
        )
    if not images:
        raise MissingField("'image' is required: one file, or several as 'image[]'.", param="image")
    if len(masks) > 1:
        raise DuplicateField("'mask' was sent more than once.", param="mask")
    return images, masks[0] if masks else None


def _text(form: Form, route: Route, limits: UploadLimits) -> dict[str, str]:
    fields: dict[str, str] = {}
    for name, value in form.fields:
        if name in FILE_FIELDS:
            raise InvalidRequest(
                f"'{name}' must be a file (curl: -F '{name}=@photo.png').", param=name
            )
        if name in fields:
            raise DuplicateField(f"'{name}' was sent more than once.", param=name)
        fields[name] = value
    extras = [name for name in fields if name not in route.text]
    if len(extras) > limits.max_extra_fields:
        raise InvalidRequest(
            f"At most {limits.max_extra_fields} extra fields are accepted.", param=extras[-1]
        )
    _refuse_streaming(fields)
    for name in route.required:
        if not fields.get(name):
            raise MissingField(f"'{name}' is required.", param=name)
    return fields


def _refuse_streaming(fields: Mapping[str, str]) -> None:
    # One answer per request, as for generations: streamed events are not relayed yet.
    for name in ("stream", "partial_images"):
        if name in fields and fields[name].strip().lower() not in ("", "false"):
            raise InvalidRequest(
                "Streaming is not supported by the gateway yet; leave 'stream' and "
                "'partial_images' out.",
                param=name,
            )


def _values(fields: Mapping[str, str], route: Route) -> dict[str, Any]:
    """The known text fields typed; an empty field counts as absent (as null does in JSON)."""
    values: dict[str, Any] = {}
    for name in route.text:
        raw = fields.get(name, "")
        if raw == "":
            continue
        if name in INTEGERS:
            values[name] = _integer(name, raw, INTEGERS[name])
        elif len(raw) > MAX_TEXT.get(name, len(raw)):
            raise InvalidRequest(
                f"'{name}' is longer than {MAX_TEXT[name]} characters.", param=name
            )
        else:
            values[name] = raw
    return values


def _integer(name: str, raw: str, bounds: tuple[int, int] | None) -> int:
    if not _INTEGER.match(raw):
        raise InvalidRequest(f"'{name}' must be a whole number; got {raw[:20]!r}.", param=name)
    value = int(raw)
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        raise InvalidRequest(
            f"'{name}' must be from {bounds[0]} to {bounds[1]}; got {value}.", param=name
        )
    return value


def _upload(spool: Spool, param: str, limits: UploadLimits) -> Upload:
    info = inspect(spool, param=param, max_pixels=limits.max_pixels)
    return Upload(
        param=param,
        format=info.format,
        width=info.width,
        height=info.height,
        has_alpha=info.has_alpha,
        size=spool.size,
        sha256=spool.sha256,
        path=spool.path,
        data=spool.data,
        filename=spool.filename,
        content_type=spool.content_type,
    )
