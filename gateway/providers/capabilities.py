"""Declared limits of a provider's models, and the one place that enforces them.

Known models are checked strictly (a clear 400 naming the parameter and the
allowed values) instead of Portkey's silent clamping; a model the table does not
know gets generic checks only, because providers ship new models every month.
Pure: no IO.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import InvalidRequest
from ..models import GENERATIONS, ImageRequest, Upload
from ..value_rules import SIZE, Needs, check_needs, one_of, short

# Seeds' defaults (shared/seeds): n=1, size=1024x1024, quality=standard, style=vivid, url.
DEFAULTS: Mapping[str, Any] = {
    "n": 1,
    "size": "1024x1024",
    "quality": "standard",
    "style": "vivid",
    "response_format": "url",
}


@dataclass(frozen=True)
class ModelSpec:
    """What one model accepts. ``None`` for a value list means "any short string"."""

    prompt_max: int
    # The most images one request may ask for: 10 (OpenAI's limit), or less where the
    # provider's own API forbids more for a whole request and the gateway mirrors it.
    n_max: int
    # The most images one provider call makes; None: ``n_max`` (one call serves every
    # request). A request for more becomes several calls, made in parallel (``fanout``).
    n_per_call: int | None = None
    sizes: tuple[str, ...] | None = None
    qualities: tuple[str, ...] | None = None
    styles: tuple[str, ...] | None = None
    # What the provider itself answers with; the gateway converts to the other one.
    response_formats: tuple[str, ...] = ("url", "b64_json")
    # Model-specific defaults that differ from the seeds' (gpt-image-1: quality auto).
    defaults: Mapping[str, Any] = field(default_factory=dict)
    # For models that take any WxH (``sizes`` None): each side's bounds and step.
    side_range: tuple[int, int] | None = None
    side_step: int = 1
    # And, for those, the longest side over the shortest and the pixel count at most.
    max_ratio: float | None = None
    max_pixels: int | None = None
    # Extra body fields this model accepts, with their allowed values (None = any).
    extras: Mapping[str, tuple[Any, ...] | None] = field(default_factory=dict)
    # Fields the model accepts only alongside certain values of another field.
    needs: tuple[Needs, ...] = ()


GENERIC = ModelSpec(prompt_max=32000, n_max=10)
FORMATS = ("url", "b64_json")


@dataclass(frozen=True)
class Capabilities:
    default_model: str
    models: Mapping[str, ModelSpec]
    # Fields that only some models accept; sending one to another known model is a 400.
    model_only: Mapping[str, str] = field(default_factory=dict)
    # If the caller names no model but sends one of these fields, that model is implied
    # (OpenAI: "dall-e-2 unless a parameter specific to gpt-image-1 is used").
    implied_by: Mapping[str, str] = field(default_factory=dict)
    # Defaults for models the table does not know, by the start of their name: a new
    # gpt-image model answers base64 when no format is asked, like the listed ones.
    family_defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # ``n_per_call`` for a model the table does not know (one call serves it if None).
    n_per_call: int | None = None

    def spec(self, model: str) -> ModelSpec | None:
        return self.models.get(model)

    def defaults(self, model: str) -> Mapping[str, Any]:
        """The model's own defaults, or its family's when the table does not know it."""
        spec = self.spec(model)
        if spec is not None:
            return spec.defaults
        for prefix, defaults in self.family_defaults.items():
            if model.startswith(prefix):
                return defaults
        return GENERIC.defaults

    def per_call(self, model: str) -> int | None:
        """The most images one call makes for ``model``; None: no limit below ``n``."""
        spec = self.spec(model)
        return spec.n_per_call if spec is not None else self.n_per_call


def _choose_model(caps: Capabilities, params: Mapping[str, Any]) -> tuple[str, bool]:
    model = params.get("model")
    if model:
        return model, False
    for name, implied in caps.implied_by.items():
        if params.get(name) is not None:
            return implied, True
    return caps.default_model, True


def _check_known(
    caps: Capabilities, spec: ModelSpec, model: str, eff: dict[str, Any], params: Mapping[str, Any]
) -> None:
    one_of("size", eff["size"], spec.sizes, model)
    if spec.side_range is not None and eff["size"] != "auto":
        _check_sides(spec, model, eff["size"])
    if params.get("quality") is not None:
        one_of("quality", eff["quality"], spec.qualities, model)
    if params.get("style") is not None:
        if spec.styles == ():
            raise InvalidRequest(f"'style' is not supported by model '{model}'.", param="style")
        one_of("style", eff["style"], spec.styles, model)
    for name, owner in caps.model_only.items():
        if params.get(name) is not None and name not in spec.extras:
            raise InvalidRequest(
                f"'{name}' is only supported by {owner}, not by model '{model}'.", param=name
            )
    for name, allowed in spec.extras.items():
        if params.get(name) is not None:
            one_of(name, params[name], allowed, model)
    for rule in spec.needs:
        check_needs(rule, model, params)


def _check_sides(spec: ModelSpec, model: str, size: str) -> None:
    low, high = spec.side_range or (1, 99999)
    step = spec.side_step
    for side in size.lower().split("x"):
        if not low <= int(side) <= high or int(side) % step:
            multiple = f" and a multiple of {step}" if step > 1 else ""
            raise InvalidRequest(
                f"'size' {size} is not supported by model '{short(model)}': each side must "
                f"be {low} to {high} pixels{multiple}.",
                param="size",
            )
    _check_shape(spec, model, size)


def _check_shape(spec: ModelSpec, model: str, size: str) -> None:
    width, height = (int(side) for side in size.lower().split("x"))
    if spec.max_ratio is not None and max(width, height) > spec.max_ratio * min(width, height):
        raise InvalidRequest(
            f"'size' {size} is not supported by model '{short(model)}': the long side may "
            f"be at most {spec.max_ratio:g} times the short one.",
            param="size",
        )
    if spec.max_pixels is not None and width * height > spec.max_pixels:
        raise InvalidRequest(
            f"'size' {size} is not supported by model '{short(model)}': at most "
            f"{spec.max_pixels:,} pixels.",
            param="size",
        )


def resolve(caps: Capabilities, params: dict[str, Any], raw: bytes) -> ImageRequest:
    """Apply the model's defaults and limits to a type-checked body."""
    model, defaulted = _choose_model(caps, params)
    spec = caps.spec(model)
    rules = spec or GENERIC
    defaults = caps.defaults(model)
    eff = {k: params.get(k) for k in DEFAULTS}
    for key, default in DEFAULTS.items():
        if eff[key] is None:
            eff[key] = defaults.get(key, default)
    prompt = params.get("prompt") or ""  # variations have none
    if len(prompt) > rules.prompt_max:
        raise InvalidRequest(
            f"'prompt' is {len(prompt)} characters; model '{short(model)}' accepts at most "
            f"{rules.prompt_max}.",
            param="prompt",
            code="string_above_max_length",
        )
    if not 1 <= eff["n"] <= rules.n_max:
        only = "only 1" if rules.n_max == 1 else f"1 to {rules.n_max}"
        raise InvalidRequest(
            f"'n' must be {only} for model '{short(model)}'; got {eff['n']}.", param="n"
        )
    if not SIZE.match(eff["size"]):
        raise InvalidRequest(
            "'size' must look like 1024x1024 (WIDTHxHEIGHT) or auto.", param="size"
        )
    # Every provider can serve both formats: the gateway hosts base64 images behind a
    # signed URL and inlines URL-only ones, so only the value itself is checked.
    one_of("response_format", eff["response_format"], FORMATS, model)
    if spec is not None:
        _check_known(caps, spec, model, eff, params)
    return ImageRequest(
        params=params,
        raw=raw,
        model=model,
        prompt=prompt,
        n=eff["n"],
        size=eff["size"],
        quality=eff["quality"],
        style=eff["style"],
        response_format=eff["response_format"],
        model_was_defaulted=defaulted,
    )


def resolve_upload(
    caps: Capabilities,
    operation: str,
    params: dict[str, Any],
    images: tuple[Upload, ...],
    mask: Upload | None,
) -> ImageRequest:
    """An edit or variation for a provider: ``params`` (the form's text fields, typed)
    checked against the operation's table as a generation body is, with the files."""
    if operation == GENERATIONS:
        raise ValueError("generations have a JSON body: use resolve()")
    request = resolve(caps, params, b"")
    return replace(request, operation=operation, images=images, mask=mask)
