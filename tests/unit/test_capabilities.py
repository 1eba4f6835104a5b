from __future__ import annotations

import pytest

from gateway.errors import InvalidRequest
from gateway.providers.capabilities import resolve
from gateway.providers.openai.capabilities import CAPABILITIES


def run(**params):
    return resolve(CAPABILITIES, params, b"{}")


def test_seed_defaults_apply_to_dall_e():
    req = run(prompt="p")
    assert (req.model, req.n, req.size, req.quality, req.style, req.response_format) == (
        "dall-e-2",
        1,
        "1024x1024",
        "standard",
        "vivid",
        "url",
    )
    assert req.model_was_defaulted is True


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
