"""The checks that read ``uploads.limits``: one loop per kind of rule, no model names.

Pure: no IO. Every refusal is a 400 naming the field and, where there is a list, the
values the model takes, in the words of ``value_rules`` (as generations are refused).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import InvalidRequest
from ..value_rules import SIZE, check_needs, one_of, short, show
from .errors import UnsupportedImage, UnsupportedModel
from .limits import OPTIONS, ModelLimits, SizeRule
from .models import MIB, Upload


def model_limits(
    model: str,
    table: Mapping[str, ModelLimits],
    refused: frozenset[str],
    generic: ModelLimits,
    route: str,
) -> ModelLimits:
    if model in refused:
        raise UnsupportedModel(
            f"Model '{short(model)}' does not support image {route}; "
            f"use one of {', '.join(table)} or another provider's model.",
            param="model",
        )
    return table.get(model, generic)


def check_values(model: str, limits: ModelLimits, values: Mapping[str, Any]) -> None:
    """``values``: the typed text fields that were sent (absent ones left out)."""
    prompt = values.get("prompt")
    if prompt is not None and len(prompt) > limits.prompt_max:
        raise InvalidRequest(
            f"'prompt' is {len(prompt)} characters; model '{short(model)}' accepts at most "
            f"{limits.prompt_max}.",
            param="prompt",
        )
    n = values.get("n")
    if n is not None and not 1 <= n <= limits.n_max:
        raise InvalidRequest(
            f"'n' {n} is not supported by model '{short(model)}'; use 1 to {limits.n_max}.",
            param="n",
        )
    if values.get("size") is not None:
        _check_size(model, limits, values["size"])
    for name in OPTIONS:
        if values.get(name) is not None:
            _check_option(model, limits, name, values[name])
    if values.get("output_compression") is not None and not limits.compression:
        raise _unsupported(model, "output_compression")
    for rule in limits.needs:
        check_needs(rule, model, values)


def _check_option(model: str, limits: ModelLimits, name: str, value: str) -> None:
    if name not in limits.options:
        raise _unsupported(model, name)
    allowed = limits.options[name]
    if allowed is not None and value not in allowed:
        one_of(name, value, allowed, model)


def _check_size(model: str, limits: ModelLimits, size: str) -> None:
    if not SIZE.match(size):
        raise InvalidRequest(
            f"'size' {show(size)} is not a size; use WIDTHxHEIGHT (like 1024x1024) or auto.",
            param="size",
        )
    if limits.sizes is not None and size not in limits.sizes:
        one_of("size", size, limits.sizes, model)
    if limits.size_rule is not None and size != "auto":
        _check_size_rule(model, limits.size_rule, size)


def _check_size_rule(model: str, rule: SizeRule, size: str) -> None:
    width, height = (int(side) for side in size.split("x"))
    long_side, short_side = max(width, height), min(width, height)
    if width % rule.step or height % rule.step or long_side > rule.max_side:
        why = f"each side must be a multiple of {rule.step} up to {rule.max_side}"
    elif long_side > rule.max_ratio * short_side:
        why = f"the long side may be at most {rule.max_ratio} times the short one"
    elif width * height > rule.max_pixels:
        why = f"at most {rule.max_pixels:,} pixels"
    else:
        return
    raise InvalidRequest(
        f"'size' {size} is not supported by model '{short(model)}': {why}.", param="size"
    )


def check_images(model: str, limits: ModelLimits, images: Sequence[Upload]) -> None:
    for image in images:
        _check_file(model, image, limits.formats, limits.max_image_bytes)
        if limits.square and image.width != image.height:
            raise UnsupportedImage(
                f"The image in '{image.param}' is {image.width}x{image.height}; model "
                f"'{short(model)}' takes square images only.",
                param=image.param,
                code="image_not_square",
            )


def check_count(model: str, limits: ModelLimits, count: int) -> None:
    if count > limits.max_images:
        one = "one image" if limits.max_images == 1 else f"at most {limits.max_images} images"
        raise UnsupportedImage(
            f"{count} images were sent; model '{short(model)}' takes {one}.",
            param="image",
            code="too_many_images",
        )


def check_mask(model: str, limits: ModelLimits, mask: Upload | None, first: Upload) -> None:
    """The mask's rules, or the image's transparency when the model uses it as the mask."""
    if mask is None:
        if limits.alpha_without_mask and not first.has_alpha:
            raise UnsupportedImage(
                f"Without a 'mask', model '{short(model)}' edits the transparent areas of "
                f"the image, and the image in '{first.param}' has no alpha channel; send "
                "a PNG with transparency or a mask.",
                param=first.param,
                code="alpha_channel_required",
            )
        return
    rules = limits.mask
    if rules is None:  # the reader refuses a mask part first; kept for direct callers
        raise _unsupported(model, "mask")
    _check_file(model, mask, rules.formats, rules.max_bytes)
    if rules.same_size and (mask.width, mask.height) != (first.width, first.height):
        raise UnsupportedImage(
            f"The mask is {mask.width}x{mask.height} and the image in '{first.param}' "
            f"{first.width}x{first.height}; they must have the same dimensions.",
            param="mask",
            code="mask_size_mismatch",
        )
    if rules.alpha and not mask.has_alpha:
        raise UnsupportedImage(
            "The mask has no alpha channel; its fully transparent pixels mark where to "
            "edit, so send a PNG with transparency.",
            param="mask",
            code="alpha_channel_required",
        )


def _check_file(model: str, upload: Upload, formats: Sequence[str], max_bytes: int) -> None:
    if upload.format not in formats:
        raise UnsupportedImage(
            f"The file in '{upload.param}' is a {upload.format.upper()} image; model "
            f"'{short(model)}' takes {', '.join(f.upper() for f in formats)} here.",
            param=upload.param,
            code="unsupported_image_format",
        )
    if upload.size > max_bytes:
        raise UnsupportedImage(
            f"The file in '{upload.param}' is {upload.size} bytes; model "
            f"'{short(model)}' takes at most {max_bytes // MIB} MiB ({max_bytes} bytes) here.",
            param=upload.param,
            code="image_file_too_large",
        )


def _unsupported(model: str, name: str) -> InvalidRequest:
    return InvalidRequest(f"'{name}' is not supported by model '{short(model)}'.", param=name)
