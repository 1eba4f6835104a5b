"""The README documents what operators must know: every setting, and how budgets behave."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from gateway.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def section(title: str) -> str:
    """The text of one ``##``/``###`` section, up to the next heading of any level."""
    found = re.search(rf"^#+ {re.escape(title)}\n(.*?)(?=^#+ )", README, re.M | re.S)
    assert found, title
    return " ".join(found.group(1).split())


@pytest.mark.parametrize("name", sorted(f.metadata["env"] for f in fields(Settings)))
def test_every_setting_has_a_row_in_the_configuration_table(name):
    assert f"| `{name}` |" in section("Configuration")


def test_the_budgets_section_says_a_cache_hit_needs_room_for_one_paid_image():
    text = section("Budgets and rate limits")
    assert "The estimate is reserved before the cache lookup." in text
    assert "a key needs room in its budget for one more paid image" in text


def test_the_budgets_section_says_limits_are_per_key():
    text = section("Budgets and rate limits")
    assert "Limits belong to keys, not teams." in text
    assert "N keys means N budgets" in text
    assert "A key created later has no limits until they are set on it" in text


def test_the_budgets_section_explains_unpriced_requests():
    text = section("Budgets and rate limits")
    assert "`unpriced_request_with_budget`" in text
    assert "`GATEWAY_UNPRICED_IMAGE_USD`" in text
