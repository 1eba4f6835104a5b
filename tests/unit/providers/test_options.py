"""Provider options that become part of a URL are held to their narrowest form."""

from __future__ import annotations

import pytest

from gateway.errors import InvalidRequest
from gateway.providers import options


@pytest.mark.parametrize("value", ["..", ".", "a/b", "a?b=1", "a#b", "d\n", "", "é"])
def test_a_path_segment_cannot_climb_add_a_segment_or_a_query(value):
    with pytest.raises(InvalidRequest) as info:
        options.segment({"deployment_id": value}, "deployment_id", "azure-openai")
    assert info.value.param == "deployment_id"


@pytest.mark.parametrize("value", ["my-deployment", "v1.2_x~y", "...", "a..b"])
def test_ordinary_segments_pass(value):
    assert options.segment({"deployment_id": value}, "deployment_id", "azure-openai") == value


@pytest.mark.parametrize("value", ["corp\n", "corp.evil", "-corp", "corp_1", "a" * 64])
def test_a_dns_label_is_one_label_without_a_trailing_newline(value):
    with pytest.raises(InvalidRequest):
        options.label({"resource_name": value}, "resource_name", "azure-openai")


def test_a_label_is_lower_cased_and_a_missing_option_names_its_header():
    assert options.label({"resource_name": "Corp"}, "resource_name", "azure-openai") == "corp"
    with pytest.raises(InvalidRequest) as info:
        options.label({}, "resource_name", "azure-openai")
    assert info.value.message == (
        "azure-openai needs 'resource_name': send the 'x-portkey-azure-resource-name' header "
        "or 'resource_name' in the config or virtual key."
    )
