"""Every registered provider: a well-formed table, golden tests, a fake and an e2e test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.providers import REGISTRY
from gateway.providers.capabilities import FORMATS

TESTS = Path(__file__).resolve().parents[2]
SIZE = re.compile(r"^(auto|[1-9][0-9]{1,4}x[1-9][0-9]{1,4})$")
EXPECTED = {
    "openai", "azure-openai", "azure-ai", "stability-ai", "together-ai", "deepinfra",
    "fireworks-ai", "segmind", "recraft-ai", "workers-ai", "vertex-ai", "bedrock",
    "lemonfox-ai", "nscale", "siliconflow", "hyperbolic", "deepbricks", "placeholder",
}  # fmt: skip


def test_every_provider_the_gateway_promises_is_registered():
    assert set(REGISTRY) == EXPECTED


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_capability_table_is_well_formed(name):
    caps = REGISTRY[name].capabilities
    assert caps.default_model in caps.models
    for model, spec in caps.models.items():
        assert model
        assert 1 <= spec.n_max <= 10, model
        assert spec.prompt_max > 0, model
        assert set(spec.response_formats) <= set(FORMATS), model
        assert spec.response_formats, model
        for size in spec.sizes or ():
            assert SIZE.match(size), (model, size)
        if spec.side_range is not None:
            low, high = spec.side_range
            assert 1 <= low <= high, model


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_provider_has_golden_tests_a_fake_and_an_e2e_test(name):
    module = name.replace("-", "_")
    assert (TESTS / "unit" / "providers" / f"test_{module}.py").is_file()
    # OpenAI's fake is fake_provider.py itself, exercised by every other e2e test.
    if REGISTRY[name].local is None and name != "openai":
        assert (TESTS / "e2e" / "fakes" / f"{module}.py").is_file()
        assert (TESTS / "e2e" / f"test_provider_{module}.py").is_file()
