"""Gateway-hosted image links through the Flask app: placeholder answers, signed files."""

from __future__ import annotations

import base64
import json

import pytest

from tests.e2e.fakes import TINY_PNG, TINY_PNG_B64
from tests.factories import OPENAI_URL, auth_headers, encode, image_body

URL = "/v1/images/generations"
PLACEHOLDER = {"Content-Type": "application/json", "x-portkey-provider": "placeholder"}


def generate(client, headers=PLACEHOLDER, **body):
    res = client.post(
        URL, data=encode({"prompt": "a cat", "size": "64x64", **body}), headers=headers
    )
    assert res.status_code == 200, res.get_data()
    return res


def test_placeholder_url_serves_the_png_with_its_content_type(client):
    res = generate(client, n=2)
    assert res.headers["x-portkey-provider"] == "placeholder"
    data = res.get_json()["data"]
    assert len(data) == 2
    url = data[0]["url"]
    assert url.startswith("http://localhost/v1/images/files/")
    image = client.get(url)
    assert image.status_code == 200
    assert image.headers["Content-Type"] == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.headers["Cache-Control"].startswith("private, max-age=")
    assert image.data.startswith(b"\x89PNG")
    b64 = generate(client, n=2, response_format="b64_json").get_json()["data"][0]["b64_json"]
    assert base64.b64decode(b64) == image.data


@pytest.mark.parametrize(
    "tamper",
    [
        lambda u: u.replace("signature=", "signature=0"),
        lambda u: u.replace("expires=", "expires=1"),
        lambda u: u.split("?")[0],
        lambda u: u.replace(".png?", ".jpeg?"),
    ],
)
def test_a_tampered_link_is_one_json_404(client, tamper):
    url = generate(client).get_json()["data"][0]["url"]
    res = client.get(tamper(url))
    assert res.status_code == 404
    assert res.get_json()["error"]["code"] == "image_not_found"


def test_an_expired_link_is_404(make_app):
    app = make_app()
    client = app.test_client()
    url = generate(client).get_json()["data"][0]["url"]
    store = app.extensions["gateway"].deps.delivery.store
    store.clock = lambda: 4_000_000_000.0
    assert client.get(url).status_code == 404


def test_public_url_setting_builds_the_links(make_app):
    client = make_app(public_url="https://images.example.com/gw").test_client()
    url = generate(client).get_json()["data"][0]["url"]
    assert url.startswith("https://images.example.com/gw/v1/images/files/")


def test_trusted_forwarded_headers_build_the_links(make_app):
    client = make_app(trusted_proxies=1).test_client()
    headers = {**PLACEHOLDER, "X-Forwarded-Proto": "https", "X-Forwarded-Host": "gw.example"}
    url = generate(client, headers).get_json()["data"][0]["url"]
    assert url.startswith("https://gw.example/v1/images/files/")


def test_untrusted_forwarded_headers_are_ignored(client):
    headers = {**PLACEHOLDER, "X-Forwarded-Host": "evil.example"}
    assert generate(client, headers).get_json()["data"][0]["url"].startswith("http://localhost/")


def test_gpt_image_asked_for_url_gets_a_hosted_link(client, upstream):
    upstream.post(
        OPENAI_URL,
        body=json.dumps({"created": 1, "data": [{"b64_json": TINY_PNG_B64}]}),
        content_type="application/json",
    )
    res = client.post(
        URL,
        data=encode(image_body(model="gpt-image-1", response_format="url")),
        headers=auth_headers(),
    )
    assert res.status_code == 200
    assert json.loads(upstream.calls[0].request.body) == {
        "model": "gpt-image-1",
        "prompt": "a lighthouse at dusk",
    }
    body = res.get_json()
    assert body["created"] == 1
    assert client.get(body["data"][0]["url"]).data == TINY_PNG


def test_openai_success_that_is_really_an_error_is_a_502(client, upstream):
    upstream.post(
        OPENAI_URL,
        body=json.dumps({"error": {"message": "content policy", "code": "blocked"}}),
        content_type="application/json",
    )
    res = client.post(URL, data=encode(image_body()), headers=auth_headers())
    assert res.status_code == 502
    assert res.get_json()["error"] == {
        "message": "openai error: content policy",
        "type": "upstream_error",
        "param": None,
        "code": "blocked",
        "provider": "openai",
    }


def test_fallback_skips_a_target_that_cannot_serve_and_says_why_when_none_can(client):
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [
            {"provider": "openai", "api_key": "sk-a", "override_params": {"model": "dall-e-3"}},
            {"provider": "placeholder"},
        ],
    }
    headers = {"Content-Type": "application/json", "x-portkey-config": json.dumps(config)}
    res = client.post(URL, data=encode({"prompt": "p", "size": "64x64"}), headers=headers)
    assert res.status_code == 200
    assert res.headers["x-portkey-last-used-option-index"] == "config.targets[1]"
    res = client.post(URL, data=encode({"prompt": "p", "size": "4000x4000"}), headers=headers)
    assert res.status_code == 400
    message = res.get_json()["error"]["message"]
    assert message.startswith("No target can serve this request. config.targets[0]: 'size'")
    assert (
        "config.targets[1]: 'size' 4000x4000 is not supported by model 'placeholder': "
        "each side must be 64 to 2048 pixels." in message
    )


def test_a_target_whose_transform_refuses_the_request_is_skipped_in_a_fallback(client):
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [
            {"provider": "azure-openai", "api_key": "k" * 20},  # no resource_name
            {"provider": "placeholder"},
        ],
    }
    headers = {"Content-Type": "application/json", "x-portkey-config": json.dumps(config)}
    res = client.post(URL, data=encode({"prompt": "p", "size": "1024x1024"}), headers=headers)
    assert res.status_code == 200
    assert res.headers["x-portkey-provider"] == "placeholder"
    single = {"Content-Type": "application/json", "x-portkey-provider": "azure-openai"}
    res = client.post(
        URL, data=encode({"prompt": "p"}), headers={**single, "Authorization": "Bearer " + "k" * 20}
    )
    assert res.status_code == 400
    assert res.get_json()["error"]["param"] == "resource_name"


@pytest.mark.parametrize(
    "query",
    ["expires=%C2%B2&signature=" + "0" * 64, "expires=1&signature=%C3%A9", "expires=&signature="],
)
def test_non_ascii_or_empty_link_parts_are_a_404_not_a_500(client, query):
    res = client.get(f"/v1/images/files/{'a' * 32}.png?{query}")
    assert res.status_code == 404
    assert res.get_json()["error"]["code"] == "image_not_found"


def test_a_trusted_forwarded_prefix_is_kept_in_the_links(make_app):
    client = make_app(trusted_proxies=1).test_client()
    headers = {**PLACEHOLDER, "X-Forwarded-Host": "gw.example", "X-Forwarded-Prefix": "/images"}
    url = generate(client, headers).get_json()["data"][0]["url"]
    assert url.startswith("http://gw.example/images/v1/images/files/")
