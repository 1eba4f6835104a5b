"""Shared answer handling: what passes through untouched and what must raise."""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest

from gateway.errors import GatewayError
from gateway.models import GeneratedImage, ImageRequest, ProviderReply
from gateway.providers.answers import created_seconds, openai_compatible
from gateway.providers.outline import CUT, outline

REQUEST = ImageRequest({}, b"", "m", "p", 1, "1024x1024", None, None, "url")


def reply(body: bytes, status: int = 200) -> ProviderReply:
    return ProviderReply(status, {"content-type": "application/json"}, body)


@pytest.mark.parametrize(
    "body",
    [b'{"created":1,"data":[{"url":"u"}]}', b' { "data" :\n [ {"url": "u"}], "created": 1}'],
)
def test_a_complete_body_in_the_native_format_passes_through_byte_for_byte(body):
    result = openai_compatible("acme", reply(body), REQUEST, ("url",))
    assert (result.body, result.images) == (body, None)


def test_a_body_in_another_format_is_parsed_into_images():
    body = b'{"created":1700000000123,"data":[{"b64_json":"QUJD","revised_prompt":"r"}]}'
    result = openai_compatible("acme", reply(body), REQUEST, ("b64_json",))
    assert result.body == b""
    assert result.images == (GeneratedImage(b64_json="QUJD", revised_prompt="r"),)
    assert result.created == 1700000000  # milliseconds turned into seconds


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"created":1,"data":[]}', "acme answered HTTP 200 but it holds no image."),
        (b'{"data": [ ]}', "acme answered HTTP 200 but it holds no image."),
        (b'{"error":{"message":"blocked"}}', "acme error: blocked"),
        (b'{"error":"quota"}', "acme error: quota"),
        (b'{"created":1}', "acme answered HTTP 200 but its body has no 'data' list."),
        (b'{"data":[{"x":1}]}', "acme answered HTTP 200 but a 'data' entry has neither"),
        (b"[1]", "acme answered HTTP 200 but its body is not a JSON object."),
        (b"{nope", "acme answered HTTP 200 but its body is not valid JSON."),
    ],
)
def test_a_2xx_that_is_not_an_image_answer_raises_a_502(body, message):
    with pytest.raises(GatewayError) as info:
        openai_compatible("acme", reply(body), REQUEST, ())
    assert info.value.status == 502
    assert info.value.message.startswith(message)
    assert info.value.provider == "acme"


@pytest.mark.parametrize(
    "body", [b'{"created":1,"data":[]}', b'{"error":{"message":"x"},"data":[]}']
)
def test_the_cheap_pass_through_check_sends_empty_or_error_bodies_to_the_parser(body):
    with pytest.raises(GatewayError):
        openai_compatible("acme", reply(body), REQUEST, ("url",))


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(1700000000, 1700000000), (1700000000123, 1700000000), (0, None), (True, None), ("1", None)],
)
def test_created_is_normalised_to_seconds(value, seconds):
    assert created_seconds(value) == seconds


def test_a_body_in_the_other_format_than_asked_is_parsed_not_passed_through():
    body = b'{"created":1,"data":[{"url":"https://img.example/1.png"}]}'
    asked_b64 = ImageRequest({}, b"", "m", "p", 1, "1024x1024", None, None, "b64_json")
    result = openai_compatible("acme", reply(body), asked_b64, ("url", "b64_json"))
    assert (result.body, result.images) == (b"", (GeneratedImage(url="https://img.example/1.png"),))


B64 = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(4000)).decode()
AS_B64 = dataclasses.replace(REQUEST, response_format="b64_json")


@pytest.mark.parametrize(
    ("body", "fmt"),
    [
        (b'{"created": 1700000000, "data": [{"url": "https://mock.', "url"),
        (b'{"created": 1700000000, "data": [{"url": "https://mock.example/1.png"}]', "url"),
        (b'{"created": 1700000000, "data": [{"url": "https://mock.example/1.png"}', "url"),
        (b'{"created": 1, "data": [{"b64_json": "' + B64.encode(), "b64_json"),
        (b'{"created": 1, "data": [{"b64_json": "' + B64.encode() + b'"}]', "b64_json"),
        (b'{"created": 1, "data": [{"b64_json": "' + B64.encode() + b'"}]}}', "b64_json"),
        (b'{"created": 1, "data": [{"b64_json": "' + B64.encode() + b'"}]} x', "b64_json"),
        (b'{"created": 1, "data": [{"b64_json": "' + B64.encode() + b'"},]}', "b64_json"),
        (b"", "url"),
        (b"<html>502 Bad Gateway</html>", "url"),
    ],
)
def test_a_truncated_or_broken_2xx_is_a_502_never_passed_through(body, fmt):
    request = AS_B64 if fmt == "b64_json" else REQUEST
    with pytest.raises(GatewayError) as info:
        openai_compatible("acme", reply(body), request, ("url", "b64_json"))
    assert (info.value.status, info.value.code) == (502, "upstream_invalid_response")
    assert info.value.message == "acme answered HTTP 200 but its body is not valid JSON."


def test_a_large_b64_body_passes_through_byte_for_byte():
    body = (
        b'{"created": 1700000000, "data": [{"revised_prompt": "a \\"b64_json\\": cat",'
        b' "b64_json" : "' + B64.encode() + b'"}, {"b64_json":"' + B64.encode() + b'"}]}'
    )
    result = openai_compatible("acme", reply(body), AS_B64, ("b64_json",))
    assert result.body is body
    assert result.images is None


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'{"created": 1, "data": [{"url": 7}]}', "a 'data' entry has neither"),
        (b'{"created": 1, "data": {"url": "u"}}', "its body has no 'data' list"),
        (b'{"created": 1, "data": ["u"]}', "a 'data' entry is not an object"),
    ],
)
def test_a_wrong_shape_is_a_502(body, why):
    with pytest.raises(GatewayError) as info:
        openai_compatible("acme", reply(body), REQUEST, ("url",))
    assert info.value.status == 502
    assert info.value.message == f"acme answered HTTP 200 but {why}" + (
        " 'url' nor 'b64_json'." if why.endswith("neither") else "."
    )


@pytest.mark.parametrize("created", [b'"1700000000"', b"1700000000.5", b"null", b"-5"])
def test_a_good_answer_with_an_odd_created_is_rendered_not_passed_through(created):
    body = b'{"created": ' + created + b', "data": [{"url": "https://img.example/1.png"}]}'
    result = openai_compatible("acme", reply(body), REQUEST, ("url",))
    assert result.body == b""
    assert result.images == (GeneratedImage(url="https://img.example/1.png"),)


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": "' + B64.encode() + b'", "b64_json": 1}',
        b'{"data": [{"b64_json": "' + B64.encode() + b'"}], "created": 1}',
        b'["b64_json", "' + B64.encode() + b'"]',
        b'{"b64_json": "' + B64.encode()[:2000] + b"\\n" + B64.encode() + b'"}',
        b'{"b64_json": "short", "x": {"b64_json" : "' + B64.encode() + b'"}}',
    ],
)
def test_outline_equals_json_loads_apart_from_cut_values(body):
    full = json.loads(body)
    cut = outline(body)
    assert json.dumps(cut).replace(B64, CUT) == json.dumps(full).replace(B64, CUT)


@pytest.mark.parametrize(
    "body",
    [
        b'{"b64_json": "' + B64.encode(),
        b'{"b64_json": "' + B64.encode() + b'"',
        b'{"b64_json": "' + B64.encode() + b'" "x"}',
        b'["b64_json": "' + B64.encode() + b'"]',
        b'{"x": "abc\\"b64_json": "' + B64.encode() + b'"}',
    ],
)
def test_outline_refuses_what_json_loads_refuses(body):
    with pytest.raises(json.JSONDecodeError) as full:
        json.loads(body)
    with pytest.raises(json.JSONDecodeError) as cut:
        outline(body)
    assert cut.value.msg == full.value.msg


def test_a_passed_through_body_carries_its_outline_count_size_and_quality():
    body = (
        b'{"created": 1700000000, "size": "1024x1536", "quality": "high", "data": ['
        b'{"b64_json": "' + B64.encode() + b'"}, {"b64_json": "' + B64.encode() + b'"}]}'
    )
    result = openai_compatible("acme", reply(body), AS_B64, ("b64_json",))
    assert result.body is body
    assert (result.body_images, result.size, result.quality) == (2, "1024x1536", "high")
