"""Shared answer handling: what passes through untouched and what must raise."""

from __future__ import annotations

import pytest

from gateway.errors import GatewayError
from gateway.models import GeneratedImage, ImageRequest, ProviderReply
from gateway.providers.answers import created_seconds, openai_compatible

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
