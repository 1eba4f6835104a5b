"""The last step: one answer shape, in the format asked, whatever the provider gave."""

from __future__ import annotations

import base64
import json

import pytest

from gateway.errors import GatewayError, UpstreamTimeout
from gateway.models import GeneratedImage, ImageRequest, ImageResult, ProviderReply
from gateway.outbound.delivery import Delivery, Origin, origin_of
from gateway.outbound.image_store import ImageStore
from tests.e2e.fakes import TINY_PNG, TINY_PNG_B64
from tests.factories import settings

NOW = 1_800_000_000.0


class FakeTransport:
    def __init__(self, reply=None, error=None):
        self.reply, self.error, self.calls = reply, error, []

    def send(self, call, connect_timeout, timeout):
        self.calls.append(call)
        if self.error:
            raise self.error
        return self.reply


def resolver(addresses):
    return lambda host, port: list(addresses)


def delivery(tmp_path, transport=None, addresses=("93.184.216.34",)):
    store = ImageStore(tmp_path / "images", b"k" * 32, 3600, lambda: NOW)
    return Delivery(
        settings(tmp_path), transport or FakeTransport(), store, resolver(addresses), lambda: NOW
    )


def request(fmt):
    return ImageRequest({}, b"", "m", "p", 1, "1024x1024", None, None, fmt)


ORIGIN = Origin("acme", ("img.acme.example", ".cdn.acme.example"), "https://api.acme:443", None)


def render(d, images, fmt, created=None, origin=ORIGIN):
    result = ImageResult(200, images=tuple(images), created=created, headers={"retry-after": "1"})
    out = d.render(result, request(fmt), origin, "https://gw.example")
    assert out.headers == {"retry-after": "1"}
    return json.loads(out.body)


def test_a_passed_through_body_is_returned_as_is(tmp_path):
    result = ImageResult(200, b'{"created":1,"data":[]}')
    assert delivery(tmp_path).render(result, request("url"), ORIGIN, "x") is result


def test_base64_asked_as_url_is_hosted_behind_a_signed_link(tmp_path):
    d = delivery(tmp_path)
    body = render(d, [GeneratedImage(b64_json=TINY_PNG_B64, revised_prompt="r")], "url")
    assert body["created"] == int(NOW)
    [item] = body["data"]
    assert item["revised_prompt"] == "r"
    url = item["url"]
    assert url.startswith("https://gw.example/v1/images/files/")
    name = url.split("/files/")[1].split("?")[0]
    assert (tmp_path / "images" / name).read_bytes() == TINY_PNG
    assert url.endswith(
        f"?expires={int(NOW) + 3600}&signature={d.store.signature(name, int(NOW) + 3600)}"
    )


def test_raw_bytes_become_base64_or_a_link(tmp_path):
    d = delivery(tmp_path)
    body = render(d, [GeneratedImage(data=TINY_PNG)], "b64_json", created=1700000000)
    assert body == {"created": 1700000000, "data": [{"b64_json": TINY_PNG_B64}]}
    assert render(d, [GeneratedImage(data=TINY_PNG)], "url")["data"][0]["url"].startswith(
        "https://gw.example/v1/images/files/"
    )


def test_invalid_base64_from_a_provider_is_a_502_naming_it(tmp_path):
    with pytest.raises(GatewayError) as info:
        render(delivery(tmp_path), [GeneratedImage(b64_json="not base64!")], "url")
    assert (info.value.status, info.value.provider) == (502, "acme")


def test_url_asked_as_url_is_kept_and_b64_asked_as_b64_is_kept(tmp_path):
    d = delivery(tmp_path)
    assert render(d, [GeneratedImage(url="https://img.acme.example/1.png")], "url") == {
        "created": int(NOW),
        "data": [{"url": "https://img.acme.example/1.png"}],
    }
    assert render(d, [GeneratedImage(b64_json="QUJD")], "b64_json")["data"] == [
        {"b64_json": "QUJD"}
    ]


@pytest.mark.parametrize(
    "url", ["https://img.acme.example/1.png", "https://eu.cdn.acme.example/x/1.png"]
)
def test_url_asked_as_b64_is_fetched_from_a_declared_host_pinned(tmp_path, url):
    transport = FakeTransport(ProviderReply(200, {"content-type": "image/png"}, TINY_PNG))
    d = delivery(tmp_path, transport)
    assert render(d, [GeneratedImage(url=url)], "b64_json")["data"] == [{"b64_json": TINY_PNG_B64}]
    [call] = transport.calls
    assert (call.method, call.url, call.pinned_ip, call.body) == ("GET", url, "93.184.216.34", b"")


def test_url_on_the_calls_own_host_is_fetched_with_that_pin(tmp_path):
    transport = FakeTransport(ProviderReply(200, {}, TINY_PNG))
    origin = Origin("acme", (), "http://127.0.0.1:9000", "127.0.0.1")
    d = delivery(tmp_path, transport)
    render(d, [GeneratedImage(url="http://127.0.0.1:9000/files/a.png")], "b64_json", origin=origin)
    assert transport.calls[0].pinned_ip == "127.0.0.1"


@pytest.mark.parametrize(
    ("url", "addresses"),
    [
        ("https://evil.example/1.png", ("93.184.216.34",)),  # not declared
        ("http://img.acme.example/1.png", ("93.184.216.34",)),  # not https
        ("https://img.acme.example.evil.example/1.png", ("93.184.216.34",)),
        ("https://img.acme.example/1.png", ("169.254.169.254",)),  # metadata
        ("https://img.acme.example/1.png", ("10.0.0.5",)),  # private
        ("https://img.acme.example/1.png", ("127.0.0.1",)),
        ("https://user:pw@img.acme.example/1.png", ("93.184.216.34",)),
        ("http://[::1", ("93.184.216.34",)),
    ],
)
def test_fetch_refuses_undeclared_or_non_public_hosts_without_a_call(tmp_path, url, addresses):
    transport = FakeTransport(ProviderReply(200, {}, TINY_PNG))
    with pytest.raises(GatewayError) as info:
        render(delivery(tmp_path, transport, addresses), [GeneratedImage(url=url)], "b64_json")
    assert (info.value.status, info.value.code) == (502, "image_fetch_failed")
    assert transport.calls == []


@pytest.mark.parametrize(
    ("reply", "error", "why"),
    [
        (ProviderReply(404, {}, b"gone"), None, "answered HTTP 404"),
        (ProviderReply(200, {}, b"<html>"), None, "not a PNG, JPEG, WebP or GIF"),
        (None, UpstreamTimeout("The provider did not answer in time."), "did not answer in time"),
    ],
)
def test_a_failed_fetch_is_a_502_that_says_why(tmp_path, reply, error, why):
    d = delivery(tmp_path, FakeTransport(reply, error))
    with pytest.raises(GatewayError) as info:
        render(d, [GeneratedImage(url="https://img.acme.example/1.png")], "b64_json")
    assert why in info.value.message
    assert info.value.message.startswith("The image from acme could not be fetched")


def test_origin_of_normalises_default_ports():
    assert origin_of("https://API.acme/v1/x") == "https://api.acme:443"
    assert origin_of("http://h:8080/x") == "http://h:8080"


def test_many_images_keep_their_order(tmp_path):
    images = [GeneratedImage(b64_json=base64.b64encode(bytes([i])).decode()) for i in range(3)]
    body = render(delivery(tmp_path), images, "b64_json")
    assert [item["b64_json"] for item in body["data"]] == ["AA==", "AQ==", "Ag=="]


def test_extra_top_level_fields_follow_created_and_data(tmp_path):
    extra = {"usage": {"total_tokens": 7}, "created": 1, "data": [], "background": "opaque"}
    result = ImageResult(200, images=(GeneratedImage(data=TINY_PNG),), created=5, extra=extra)
    out = delivery(tmp_path).render(result, request("b64_json"), ORIGIN, "https://gw.example")
    body = json.loads(out.body)
    assert list(body) == ["created", "data", "usage", "background"]
    assert body == {
        "created": 5,
        "data": [{"b64_json": TINY_PNG_B64}],
        "usage": {"total_tokens": 7},
        "background": "opaque",
    }
