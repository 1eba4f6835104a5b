from __future__ import annotations

import json

import pytest

from gateway.errors import InvalidRequest
from gateway.providers.capabilities import resolve
from gateway.providers.openai.capabilities import CAPABILITIES
from gateway.providers.openai.images import body


def run(**params):
    return resolve(CAPABILITIES, params, b"{}")


def test_seed_defaults_apply_to_dall_e():
    req = run(prompt="p")
    assert (req.model, req.n, req.size, req.quality, req.style, req.response_format) == (
        "dall-e-2",
        1,
        "1024x1024",
        "standard",
        None,  # dall-e-2 takes no style
        "url",
    )
    assert req.model_was_defaulted is True
    assert run(prompt="p", model="dall-e-3").style == "vivid"


def test_gpt_image_fields_imply_gpt_image_1_and_its_own_defaults():
    req = run(prompt="p", background="transparent")
    assert (req.model, req.quality, req.style, req.response_format) == (
        "gpt-image-1",
        "auto",
        None,
        "b64_json",
    )


def test_explicit_null_means_default():
    req = run(prompt="p", model="dall-e-3", n=None, size=None, style=None)
    assert (req.n, req.size, req.style) == (1, "1024x1024", "vivid")


@pytest.mark.parametrize(
    ("model", "sizes"),
    [
        ("dall-e-2", ["256x256", "512x512", "1024x1024"]),
        ("dall-e-3", ["1024x1024", "1792x1024", "1024x1792"]),
        ("gpt-image-1", ["1024x1024", "1536x1024", "1024x1536", "auto"]),
    ],
)
def test_each_known_size_is_accepted(model, sizes):
    for size in sizes:
        assert run(prompt="p", model=model, size=size).size == size


@pytest.mark.parametrize(
    ("model", "n_ok", "n_bad"), [("dall-e-2", 10, 11), ("dall-e-3", 1, 2), ("gpt-image-1", 10, 11)]
)
def test_n_ranges(model, n_ok, n_bad):
    assert run(prompt="p", model=model, n=n_ok).n == n_ok
    with pytest.raises(InvalidRequest) as info:
        run(prompt="p", model=model, n=n_bad)
    assert info.value.param == "n"
    with pytest.raises(InvalidRequest):
        run(prompt="p", model=model, n=0)


def test_prompt_limits_per_model():
    assert run(prompt="x" * 32000, model="gpt-image-1").prompt
    with pytest.raises(InvalidRequest) as info:
        run(prompt="x" * 32001, model="gpt-image-1")
    assert info.value.code == "string_above_max_length"


def test_unknown_models_get_generic_checks_only():
    req = run(prompt="p", model="flux-pro", size="1440x960", quality="max", style="anime")
    assert (req.model, req.size, req.quality) == ("flux-pro", "1440x960", "max")
    with pytest.raises(InvalidRequest):
        run(prompt="p", model="flux-pro", n=11)


def test_gpt_image_extra_values_are_checked():
    with pytest.raises(InvalidRequest) as info:
        run(prompt="p", model="gpt-image-1", output_format="gif")
    assert info.value.param == "output_format"
    assert "use one of png, jpeg, webp" in info.value.message


def refused(**params):
    with pytest.raises(InvalidRequest) as info:
        run(**params)
    return info.value.param, info.value.message


def test_output_compression_needs_jpeg_or_webp_and_png_is_the_default():
    assert refused(prompt="p", model="gpt-image-1", output_compression=50) == (
        "output_compression",
        "For model 'gpt-image-1', 'output_compression' needs 'output_format' jpeg or webp; "
        "got png (the default).",
    )
    _, message = refused(
        prompt="p", model="gpt-image-1.5", output_format="png", output_compression=0
    )
    assert message == (
        "For model 'gpt-image-1.5', 'output_compression' needs 'output_format' jpeg or webp; "
        "got png."
    )
    for fmt in ("jpeg", "webp"):
        req = run(prompt="p", model="gpt-image-1-mini", output_format=fmt, output_compression=100)
        assert req.params["output_compression"] == 100
    assert run(prompt="p", model="gpt-image-1", output_compression=None).model == "gpt-image-1"


def test_transparent_background_needs_png_or_webp_and_png_is_the_default():
    assert refused(
        prompt="p", model="gpt-image-1", background="transparent", output_format="jpeg"
    ) == (
        "background",
        "For model 'gpt-image-1', 'background' transparent needs 'output_format' png or webp; "
        "got jpeg.",
    )
    for extra in ({}, {"output_format": "png"}, {"output_format": "webp"}):
        assert run(prompt="p", model="gpt-image-1", background="transparent", **extra)
    for background in ("opaque", "auto"):
        assert run(prompt="p", model="gpt-image-1", background=background, output_format="jpeg")


def test_partial_images_needs_stream_which_the_gateway_does_not_do():
    message = (
        "For model 'gpt-image-1', 'partial_images' needs 'stream' true; got false (the default). "
        "Streaming is not supported by the gateway yet, so partial images cannot be sent."
    )
    assert refused(prompt="p", model="gpt-image-1", partial_images=2) == ("partial_images", message)
    # Sent alone, it implies gpt-image-1 (a GPT-image-only field), then needs stream.
    assert refused(prompt="p", partial_images=0) == ("partial_images", message)
    assert refused(prompt="p", model="gpt-image-1", partial_images=1, stream=False)[1] == (
        message.replace("false (the default)", "false")
    )
    assert refused(prompt="p", model="gpt-image-1", partial_images=4)[0] == "partial_images"
    assert run(prompt="p", model="gpt-image-1", partial_images=None, stream=False)


def test_style_is_dall_e_3_only():
    assert refused(prompt="p", model="dall-e-2", style="vivid") == (
        "style",
        "'style' is not supported by model 'dall-e-2'.",
    )
    assert refused(prompt="p", style="natural")[0] == "style"  # dall-e-2 by default
    assert run(prompt="p", model="dall-e-2", style=None).style is None
    for style in ("vivid", "natural"):
        assert run(prompt="p", model="dall-e-3", style=style).style == style


@pytest.mark.parametrize("name", ["output_compression", "partial_images"])
def test_gpt_image_fields_are_refused_for_dall_e(name):
    assert refused(prompt="p", model="dall-e-3", **{name: 1}) == (
        name,
        f"'{name}' is only supported by gpt-image models, not by model 'dall-e-3'.",
    )


@pytest.mark.parametrize(
    "size", ["auto", "1024x1024", "1536x864", "3840x2160", "2160x3840", "768x2304", "16x48"]
)
def test_gpt_image_2_takes_any_size_by_rule(size):
    for model in ("gpt-image-2", "gpt-image-2-2026-04-21"):
        assert run(prompt="p", model=model, size=size).size == size


@pytest.mark.parametrize(
    ("size", "why"),
    [
        ("1000x1000", "each side must be 16 to 3840 pixels and a multiple of 16"),
        ("4096x1024", "each side must be 16 to 3840 pixels and a multiple of 16"),
        ("3840x1024", "the long side may be at most 3 times the short one"),
        ("3840x3840", "at most 8,294,400 pixels"),
    ],
)
def test_gpt_image_2_sizes_outside_the_rule_are_refused(size, why):
    assert refused(prompt="p", model="gpt-image-2", size=size) == (
        "size",
        f"'size' {size} is not supported by model 'gpt-image-2': {why}.",
    )


def test_newer_gpt_image_models_default_to_base64_but_get_generic_checks():
    req = run(prompt="p", model="gpt-image-2.5-flare", quality="xhigh", size="2048x1152")
    assert (req.response_format, req.style, req.quality) == ("b64_json", None, "xhigh")
    assert run(prompt="p", model="chatgpt-image-latest").response_format == "b64_json"
    assert run(prompt="p", model="gpt-image-2.5-flare", response_format="url").response_format == (
        "url"
    )
    assert run(prompt="p", model="flux-pro").response_format == "url"


def test_azure_serves_the_same_models_with_the_same_rules():
    from gateway.providers.azure_openai.capabilities import CAPABILITIES as AZURE

    with pytest.raises(InvalidRequest) as info:
        resolve(AZURE, {"prompt": "p", "model": "gpt-image-1", "output_compression": 5}, b"{}")
    assert info.value.param == "output_compression"
    assert resolve(AZURE, {"prompt": "p"}, b"{}").style == "vivid"  # dall-e-3, its default
    # An unlisted GPT image model: base64 by default, and no response_format sent.
    assert resolve(AZURE, {"prompt": "p", "model": "gpt-image-2"}, b"").response_format == (
        "b64_json"
    )
    raw = b'{"model": "gpt-image-9", "prompt": "p", "response_format": "url"}'
    assert body(resolve(AZURE, json.loads(raw), raw)) == b'{"model":"gpt-image-9","prompt":"p"}'


def test_a_rule_reads_the_callers_value_before_the_default():
    from gateway.providers.capabilities import Capabilities, ModelSpec, Needs

    spec = ModelSpec(
        prompt_max=10,
        n_max=1,
        extras={"a": None, "b": None},
        needs=(Needs("a", "b", (1, 2), values=("x",), default=3),),
    )
    caps = Capabilities(default_model="m", models={"m": spec})
    assert resolve(caps, {"prompt": "p", "a": "y"}, b"")  # only "x" is bound by the rule
    assert resolve(caps, {"prompt": "p", "a": "x", "b": 2}, b"")
    with pytest.raises(InvalidRequest) as info:
        resolve(caps, {"prompt": "p", "a": "x"}, b"")
    assert info.value.message == "For model 'm', 'a' x needs 'b' 1 or 2; got 3 (the default)."
