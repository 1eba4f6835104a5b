"""Declared limits of a provider's models, and the one place that enforces them.

Known models are checked strictly (a clear 400 naming the parameter and the
allowed values) instead of Portkey's silent clamping; a model the table does not
know gets generic checks only, because providers ship new models every month.
Pure: no IO.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidRequest
from ..models import ImageRequest

_SIZE = re.compile(r"^(auto|[1-9][0-9]{1,4}x[1-9][0-9]{1,4})\Z")
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
    n_max: int
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
    # Extra body fields this model accepts, with their allowed values (None = any).
    extras: Mapping[str, tuple[Any, ...] | None] = field(default_factory=dict)


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

    def spec(self, model: str) -> ModelSpec | None:
        return self.models.get(model)


def _allowed(param: str, value: Any, allowed: tuple[Any, ...] | None, model: str) -> None:
    if allowed is not None and value not in allowed:
        choices = ", ".join(str(a) for a in allowed)
        raise InvalidRequest(
            f"'{param}' {_show(value)} is not supported by model '{_short(model)}'; "
            f"use one of {choices}.",
            param=param,
        )


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 66 else text[:63] + "..."


def _short(model: str) -> str:
    return model if len(model) <= 64 else model[:61] + "..."


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
    _allowed("size", eff["size"], spec.sizes, model)
    if spec.side_range is not None and eff["size"] != "auto":
        _check_sides(spec, model, eff["size"])
    if params.get("quality") is not None:
        _allowed("quality", eff["quality"], spec.qualities, model)
    if params.get("style") is not None:
        if spec.styles == ():
            raise InvalidRequest(f"'style' is not supported by model '{model}'.", param="style")
        _allowed("style", eff["style"], spec.styles, model)
    for name, owner in caps.model_only.items():
        if params.get(name) is not None and name not in spec.extras:
            raise InvalidRequest(
                f"'{name}' is only supported by {owner}, not by model '{model}'.", param=name
            )
    for name, allowed in spec.extras.items():
        if params.get(name) is not None:
            _allowed(name, params[name], allowed, model)


def _check_sides(spec: ModelSpec, model: str, size: str) -> None:
    low, high = spec.side_range or (1, 99999)
    step = spec.side_step
    for side in size.lower().split("x"):
        if not low <= int(side) <= high or int(side) % step:
            multiple = f" and a multiple of {step}" if step > 1 else ""
            raise InvalidRequest(
                f"'size' {size} is not supported by model '{_short(model)}': each side must "
                f"be {low} to {high} pixels{multiple}.",
                param="size",
            )


def resolve(caps: Capabilities, params: dict[str, Any], raw: bytes) -> ImageRequest:
    """Apply the model's defaults and limits to a type-checked body."""
    model, defaulted = _choose_model(caps, params)
    spec = caps.spec(model)
    rules = spec or GENERIC
    eff = {k: params.get(k) for k in DEFAULTS}
    for key, default in DEFAULTS.items():
        if eff[key] is None:
            eff[key] = rules.defaults.get(key, default)
    prompt = params["prompt"]
    if len(prompt) > rules.prompt_max:
        raise InvalidRequest(
            f"'prompt' is {len(prompt)} characters; model '{_short(model)}' accepts at most "
            f"{rules.prompt_max}.",
            param="prompt",
            code="string_above_max_length",
        )
    if not 1 <= eff["n"] <= rules.n_max:
        only = "only 1" if rules.n_max == 1 else f"1 to {rules.n_max}"
        raise InvalidRequest(
            f"'n' must be {only} for model '{_short(model)}'; got {eff['n']}.", param="n"
        )
    if not _SIZE.match(eff["size"]):
        raise InvalidRequest(
            "'size' must look like 1024x1024 (WIDTHxHEIGHT) or auto.", param="size"
        )
    # Every provider can serve both formats: the gateway hosts base64 images behind a
    # signed URL and inlines URL-only ones, so only the value itself is checked.
    _allowed("response_format", eff["response_format"], FORMATS, model)
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
