from __future__ import annotations

import pytest

from gateway.errors import InvalidJSON
from gateway.strict_json import loads_object


def test_accepts_a_plain_object_and_keeps_order():
    assert list(loads_object(b'{"b": 1, "a": [1, {"c": null}]}')) == ["b", "a"]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": Infinity}',
        b'{"a": -Infinity}',
        b'{"a": NaN}',
        b'{"a":1,"a":2}',
        b"[]",
        b"1",
        b'"s"',
        b"null",
        b"   ",
        b"\xef\xbb\xbf{}",
        b"\xfe\xff\x00{",
        b'{"a": "\\udc00"}',
        b"{" * 3000,
        b'{"a":' * 33 + b"1" + b"}" * 33,
    ],
)
def test_rejects(raw):
    with pytest.raises(InvalidJSON):
        loads_object(raw)


def test_depth_32_is_fine_and_33_is_not():
    ok = b'{"a":' * 32 + b"1" + b"}" * 32
    assert loads_object(ok)
    with pytest.raises(InvalidJSON, match="deeper than 32"):
        loads_object(b'{"a":' * 33 + b"1" + b"}" * 33)


def test_param_is_carried_for_headers():
    with pytest.raises(InvalidJSON) as info:
        loads_object("nope", what="'x-portkey-metadata' header", param="x-portkey-metadata")
    assert info.value.param == "x-portkey-metadata"
    assert info.value.message.startswith("The 'x-portkey-metadata' header is not valid JSON")
