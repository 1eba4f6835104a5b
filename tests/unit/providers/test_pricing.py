"""Price tables: well-formed for every provider, and the lookups that use them."""

from __future__ import annotations

import importlib
import re

import pytest

from gateway import providers
from gateway.models import ImageRequest
from gateway.providers.pricing import (
    ANY,
    Price,
    find,
    flat,
    lookup,
    no_price,
    table_price,
    usd,
)

# Package name of every registered provider (``azure-openai`` -> ``azure_openai``).
PACKAGES = sorted(name.replace("-", "_") for name in providers.REGISTRY)
# Prices of 0 that are published as free, not unknown.
FREE = {("placeholder", "placeholder"), ("together_ai", "black-forest-labs/FLUX.1-schnell-Free")}
_SOURCE = re.compile(r"^https://[^ ]+ \(read \d{4}-\d\d-\d\d\)")


def request(model: str, size: str = "1024x1024", quality: str | None = "standard", **params):
    return ImageRequest(
        params={"model": model, **params},
        raw=b"{}",
        model=model,
        prompt="p",
        n=1,
        size=size,
        quality=quality,
        style=None,
        response_format="url",
    )


def table(package: str):
    return importlib.import_module(f"gateway.providers.{package}.pricing").PRICES


def entries():
    for package in PACKAGES:
        for model, prices in table(package).items():
            for (size, quality), price in prices.items():
                yield package, model, size, quality, price


def test_every_provider_package_has_a_price_table_and_wires_its_price():
    for package in PACKAGES:
        module = importlib.import_module(f"gateway.providers.{package}.pricing")
        provider = importlib.import_module(f"gateway.providers.{package}").PROVIDER
        assert isinstance(module.PRICES, dict), package
        assert provider.price is module.price, package


@pytest.mark.parametrize(("package", "model", "size", "quality", "price"), list(entries()))
def test_every_price_is_a_positive_integer_with_its_source(package, model, size, quality, price):
    assert isinstance(price, Price)
    assert type(price.micro_usd) is int
    if (package, model) in FREE:
        assert price.micro_usd == 0
    else:
        assert price.micro_usd > 0
        assert _SOURCE.match(price.source), price.source


@pytest.mark.parametrize(("package", "model", "size", "quality", "price"), list(entries()))
def test_every_priced_model_size_and_quality_is_one_the_provider_declares(
    package, model, size, quality, price
):
    capabilities = importlib.import_module(f"gateway.providers.{package}").PROVIDER.capabilities
    spec = capabilities.spec(model)
    assert spec is not None, f"{package} prices {model!r}, which it does not declare"
    if size != ANY and spec.sizes is not None:
        assert size in spec.sizes
    if quality != ANY and spec.qualities is not None:
        assert quality in spec.qualities


def test_at_least_the_priced_providers_have_prices():
    priced = {package for package, *_ in entries()}
    assert priced >= {
        "openai",
        "stability_ai",
        "bedrock",
        "vertex_ai",
        "recraft_ai",
        "together_ai",
        "fireworks_ai",
        "deepinfra",
        "workers_ai",
        "placeholder",
    }


@pytest.mark.parametrize(
    ("model", "size", "quality", "micro_usd"),
    [
        ("dall-e-2", "256x256", "standard", 16_000),
        ("dall-e-2", "512x512", "standard", 18_000),
        ("dall-e-2", "1024x1024", "standard", 20_000),
        ("dall-e-3", "1024x1024", "standard", 40_000),
        ("dall-e-3", "1792x1024", "standard", 80_000),
        ("dall-e-3", "1024x1024", "hd", 80_000),
        ("dall-e-3", "1024x1792", "hd", 120_000),
        ("gpt-image-1", "1024x1024", "low", 11_000),
        ("gpt-image-1", "1536x1024", "medium", 63_000),
        ("gpt-image-1", "1024x1536", "high", 250_000),
        ("gpt-image-1-mini", "1024x1024", "high", 36_000),
        ("gpt-image-1.5", "1536x1024", "low", 13_000),
        ("gpt-image-1.5", "1024x1024", "high", 133_000),
        # OpenAI chooses for auto: the dearest choice for what is known (an estimate,
        # settled by the answer's own size and quality).
        ("gpt-image-1", "1024x1024", "auto", 167_000),
        ("gpt-image-1", "1536x1024", "auto", 250_000),
        ("gpt-image-1", "auto", "low", 16_000),
        ("gpt-image-1", "auto", "high", 250_000),
        ("gpt-image-1", "auto", "auto", 250_000),
        ("gpt-image-1-mini", "1024x1024", "auto", 36_000),
        ("gpt-image-1.5", "auto", "medium", 50_000),
        ("gpt-image-1", "auto", "ultra", None),  # a quality the table does not list
        ("dall-e-9", "1024x1024", "standard", None),
    ],
)
def test_openai_prices(model, size, quality, micro_usd):
    assert providers.get("openai").price(request(model, size, quality)) == micro_usd


@pytest.mark.parametrize(
    ("provider", "model", "params", "micro_usd"),
    [
        ("stability-ai", "ultra", {}, 80_000),
        ("stability-ai", "sd3.5-large", {}, 65_000),
        ("stability-ai", "sd3.5-medium", {}, 35_000),
        ("stability-ai", "stable-diffusion-xl-1024-v1-0", {}, None),
        ("bedrock", "stability.stable-image-ultra-v1:1", {}, 140_000),
        ("bedrock", "us.stability.stable-image-core-v1:1", {}, 40_000),
        ("bedrock", "amazon.titan-image-generator-v2:0", {}, None),
        ("bedrock", "stability.sd3-large-v1:0", {}, None),
        ("vertex-ai", "imagen-4.0-fast-generate-001", {}, 20_000),
        ("recraft-ai", "recraftv3_vector", {}, 80_000),
        ("fireworks-ai", "flux-1-schnell-fp8", {}, 1_400),
        ("fireworks-ai", "accounts/fireworks/models/flux-1-schnell-fp8", {}, 1_400),
        ("fireworks-ai", "flux-1-schnell-fp8", {"num_inference_steps": 8}, 2_800),
        ("together-ai", "black-forest-labs/FLUX.1-schnell", {}, 2_700),
        ("together-ai", "black-forest-labs/FLUX.1-schnell", {"steps": 8}, None),
        ("together-ai", "black-forest-labs/FLUX.1-schnell-Free", {"steps": 8}, 0),
        ("placeholder", "anything", {}, 0),
        ("azure-openai", "dall-e-3", {}, None),
        ("deepinfra", "black-forest-labs/FLUX-pro", {}, 50_000),
        ("deepinfra", "stabilityai/sd3.5", {}, 60_000),
        # Priced by steps the OpenAI-compatible endpoint does not say: unknown.
        ("deepinfra", "black-forest-labs/FLUX-1-schnell", {}, None),
        ("deepinfra", "black-forest-labs/FLUX-1-dev", {}, None),
    ],
)
def test_other_providers_prices(provider, model, params, micro_usd):
    assert providers.get(provider).price(request(model, **params)) == micro_usd


@pytest.mark.parametrize(
    ("model", "size", "quality", "micro_usd"),
    [
        ("amazon.nova-canvas-v1:0", "1024x1024", "standard", 40_000),
        ("amazon.nova-canvas-v1:0", "1024x1024", None, 40_000),
        ("us.amazon.nova-canvas-v1:0", "1024x1024", "hd", 60_000),
        ("amazon.nova-canvas-v1:0", "512x512", "premium", 60_000),
        ("amazon.nova-canvas-v1:0", "1024x576", "standard", 40_000),
        ("amazon.nova-canvas-v1:0", "2048x1024", "standard", 60_000),
        ("eu.amazon.nova-canvas-v1:0", "1280x1280", "premium", 80_000),
        # A side over 1024 in a small image: which tier is not published.
        ("amazon.nova-canvas-v1:0", "1280x720", "standard", None),
        # auto: the model's default, whose tier is not published: the dearer tier.
        ("amazon.nova-canvas-v1:0", "auto", "standard", 60_000),
        ("amazon.nova-canvas-v1:0", "auto", "premium", 80_000),
    ],
)
def test_bedrock_nova_canvas_prices_by_size_tier_and_quality(model, size, quality, micro_usd):
    assert providers.get("bedrock").price(request(model, size, quality)) == micro_usd


def test_bedrock_nova_canvas_tiers_have_their_source():
    from gateway.providers.bedrock.pricing import NOVA_TIERS

    for tier in NOVA_TIERS.values():
        for price in tier.values():
            assert _SOURCE.match(price.source), price.source


FLUX_CF = "@cf/black-forest-labs/flux-1-schnell"
PHOENIX_CF = "@cf/leonardo/phoenix-1.0"
LUCID_CF = "@cf/leonardo/lucid-origin"


@pytest.mark.parametrize(
    ("model", "size", "params", "micro_usd"),
    [
        # 4 tiles x $0.0000528 + 4 steps x $0.0001056 = $0.0006336, rounded up.
        (FLUX_CF, "1024x1024", {}, 634),
        (FLUX_CF, "auto", {}, 634),
        # 4 x 52.8 + 8 x 105.6 = 1056 micro-USD exactly.
        (FLUX_CF, "1024x1024", {"steps": 8}, 1_056),
        (FLUX_CF, "1024x1024", {"num_steps": 1}, 317),
        # 4 tiles x $0.0058 + 25 steps x $0.00011 = $0.02595.
        (PHOENIX_CF, "1024x1024", {}, 25_950),
        (PHOENIX_CF, "auto", {}, 25_950),
        # 8 tiles x $0.0058 + 10 steps x $0.00011 = $0.0475.
        (PHOENIX_CF, "2048x1024", {"num_steps": 10}, 47_500),
        # 4 tiles x $0.007 + 20 steps x $0.000132 = $0.03064.
        (LUCID_CF, "1024x1024", {"steps": 20}, 30_640),
        # No default steps published for Lucid Origin, nor its partial tiles.
        (LUCID_CF, "1024x1024", {}, None),
        (PHOENIX_CF, "1000x1000", {}, None),
        ("@cf/stabilityai/stable-diffusion-xl-base-1.0", "1024x1024", {}, None),
    ],
)
def test_workers_ai_prices_by_tile_and_step(model, size, params, micro_usd):
    price = providers.get("workers-ai").price
    assert price(request(model, size, "standard", **params)) == micro_usd


def test_together_prices_only_the_listed_size():
    price = providers.get("together-ai").price
    assert price(request("black-forest-labs/FLUX.1-schnell", size="1024x768")) is None


def test_lookup_prefers_the_most_specific_entry():
    exact, by_size, by_quality, default = (Price(n, "s") for n in (1, 2, 3, 4))
    prices = {"m": {("1x1", "hd"): exact, ("1x1", ANY): by_size, (ANY, "hd"): by_quality}}
    assert find(prices, "m", "1x1", "hd") is exact
    assert find(prices, "m", "1x1", "standard") is by_size
    assert find(prices, "m", "2x2", "hd") is by_quality
    assert find(prices, "m", "2x2", "standard") is None
    assert find({"m": {(ANY, ANY): default}}, "m", "2x2", None) is default
    assert lookup(prices, request("m", "1x1", "hd")) == 1
    assert lookup(prices, request("other", "1x1", "hd"), model="m") == 1
    assert no_price(request("m")) is None


def test_auto_on_a_flat_row_is_its_one_price():
    assert lookup({"m": flat("0.04", "s")}, request("m", "auto", "auto")) == 40_000
    prices = {"m": {("1x1", "hd"): Price(3, "s"), ("2x2", ANY): Price(2, "s")}}
    assert find(prices, "m", "auto", "hd").micro_usd == 3
    assert find(prices, "m", "auto", "standard").micro_usd == 2
    assert find(prices, "m", "1x1", "auto").micro_usd == 3
    assert find(prices, "m", "3x3", "auto") is None


def test_flat_and_table_price_build_a_providers_table_and_price():
    row = flat("0.04", "https://example.com (read 2026-11-26)")
    assert row == {(ANY, ANY): Price(40_000, "https://example.com (read 2026-11-26)")}
    price = table_price({"m": row})
    assert (price(request("m", "512x512", "hd")), price(request("other"))) == (40_000, None)


@pytest.mark.parametrize(
    ("text", "micro"),
    [
        ("0.04", 40_000),
        ("0.25", 250_000),
        ("0.00035", 350),
        ("5", 5_000_000),
        ("9223372036854.775807", 2**63 - 1),
    ],
)
def test_usd_reads_dollars_exactly(text, micro):
    assert usd(text) == micro


@pytest.mark.parametrize(
    "text",
    ["-1", "0.0000001", "1e3", "1e400", "", "1.2.3", "$1", ".5", "\u00b2", "\u0663", "1 ", "1\n"],
)
def test_usd_refuses_what_is_not_a_price(text):
    with pytest.raises(ValueError, match=r"must be dollars such as 25 or 0\.04"):
        usd(text)


@pytest.mark.parametrize("text", ["9223372036854.775808", "9" * 18])
def test_usd_refuses_more_than_sqlite_holds(text):
    with pytest.raises(ValueError, match=r"must be at most 9223372036854\.775807 dollars"):
        usd(text)
