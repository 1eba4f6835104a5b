"""What the cache key covers, what it leaves out, and that it never carries a credential."""

from __future__ import annotations

import dataclasses
import json

import pytest

from gateway.cache.keys import cache_key, canonical, identity, split_url
from gateway.models import ImageRequest, Target

SECRET = b"s" * 32
API_KEY = "sk-test-PLANTEDKEY0123456789abcdefABCDEF"
ENDPOINT = "https://api.openai.com/v1/images/generations"


def request(**params) -> ImageRequest:
    body = {"model": "dall-e-3", "prompt": "a lighthouse", **params}
    return ImageRequest(
        params=body,
        raw=json.dumps(body).encode(),
        model=body["model"],
        prompt=body["prompt"],
        n=body.get("n", 1),
        size=body.get("size", "1024x1024"),
        quality=body.get("quality", "standard"),
        style=body.get("style", "vivid"),
        response_format=body.get("response_format", "url"),
    )


def target(**overrides) -> Target:
    base = {"provider": "openai", "base_url": None, "api_key": API_KEY}
    return Target(**{**base, **overrides})


def key(**overrides) -> str:
    args = {
        "team": "design",
        "provider": "openai",
        "endpoint": ENDPOINT,
        "request": request(),
        "identity": identity(SECRET, target()),
    }
    return cache_key(**{**args, **overrides})


def test_the_same_request_gives_the_same_key():
    assert key() == key()
    assert len(key()) == 64
    int(key(), 16)


def test_parameter_order_does_not_matter():
    a = dataclasses.replace(request(), params={"prompt": "a lighthouse", "model": "dall-e-3"})
    assert key(request=a) == key()


@pytest.mark.parametrize(
    "overrides",
    [
        {"team": "marketing"},
        {"team": None},
        {"provider": "azure-openai"},
        {"endpoint": "https://openai-proxy.corp/v1/images/generations"},
        {"request": request(prompt="a lighthouse at night")},
        {"request": request(model="gpt-image-1")},
        {"request": request(size="1792x1024")},
        {"request": request(quality="hd")},
        {"request": request(style="natural")},
        {"request": request(n=2)},
        {"request": request(response_format="b64_json")},
        {"request": request(user="u-1")},
        {"request": request(seed=7)},
        {"identity": identity(SECRET, target(api_key="sk-another-key"))},
        {"identity": identity(b"t" * 32, target())},
    ],
)
def test_each_part_changes_the_key(overrides):
    assert key(**overrides) != key()


def test_effective_values_count_even_when_the_body_leaves_them_out():
    defaulted = dataclasses.replace(request(), quality="hd")  # a model default, not sent
    assert key(request=defaulted) != key()


@pytest.mark.parametrize(
    "overrides",
    [
        {"options": {"aws_secret_access_key": "another-secret"}},
        {"options": {"resource_name": "eastus"}},
        {"organization": "org-2"},
        {"project": "proj-2"},
    ],
)
def test_the_identity_covers_options_organization_and_project(overrides):
    assert identity(SECRET, target(**overrides)) != identity(SECRET, target())


def test_the_identity_covers_the_query_but_the_endpoint_never_holds_it():
    assert identity(SECRET, target(), "key=AIza1") != identity(SECRET, target(), "key=AIza2")
    assert split_url(
        "https://user:pw@Generativelanguage.Googleapis.com/v1/x:predict?key=AIza1"
    ) == (
        "https://generativelanguage.googleapis.com/v1/x:predict",
        "key=AIza1",
    )


def test_what_the_request_does_not_decide_leaves_the_key_alone():
    # The address a custom host resolved to is where the call goes, not who makes it.
    assert identity(SECRET, target(pinned_ip="203.0.113.7")) == identity(SECRET, target())


def test_forwarded_headers_are_part_of_the_identity():
    # A forwarded header may carry a credential or pick a tenant upstream.
    plain = identity(SECRET, target())
    user1 = identity(SECRET, target(forward_headers=(("x-user", "1"),)))
    user2 = identity(SECRET, target(forward_headers=(("x-user", "2"),)))
    tenant1 = identity(SECRET, target(forward_headers=(("x-tenant", "1"),)))
    assert len({plain, user1, user2, tenant1}) == 4
    # Header names are case-insensitive, and their order is not the caller's meaning.
    both = (("x-user", "1"), ("x-tenant", "1"))
    assert identity(SECRET, target(forward_headers=both)) == identity(
        SECRET, target(forward_headers=(("X-Tenant", "1"), ("X-User", "1")))
    )


def test_explicit_defaults_and_left_out_defaults_share_a_key():
    # The same effective request, once with the defaults sent and once without.
    left_out = ImageRequest(
        params={"prompt": "a"},
        raw=b'{"prompt":"a"}',
        model="dall-e-2",
        prompt="a",
        n=1,
        size="1024x1024",
        quality="standard",
        style=None,
        response_format="url",
        model_was_defaulted=True,
    )
    sent = {"prompt": "a", "n": 1, "model": "dall-e-2", "response_format": "url"}
    explicit = dataclasses.replace(left_out, params=sent, raw=json.dumps(sent).encode())
    assert key(request=explicit) == key(request=left_out)
    other = {**sent, "n": 2}
    assert key(request=dataclasses.replace(explicit, params=other, n=2)) != key(request=left_out)


def test_no_credential_appears_in_the_key_or_the_identity():
    secret_target = target(options={"aws_secret_access_key": "AWSSECRETVALUE123"})
    who = identity(SECRET, secret_target)
    for text in (who, key(identity=who)):
        assert API_KEY not in text
        assert API_KEY[-8:] not in text
        assert "AWSSECRETVALUE123" not in text


def test_canonical_json_is_stable_and_refuses_nan():
    assert canonical({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
    with pytest.raises(ValueError, match="not JSON compliant"):
        canonical({"x": float("nan")})


def _upload(param: str, data: bytes):
    import hashlib

    from gateway.models import Upload

    return Upload(
        param=param,
        format="png",
        width=2,
        height=2,
        has_alpha=True,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )


def _edit_key(images, mask=None, operation="edits"):
    from dataclasses import replace

    from gateway.cache.keys import cache_key
    from gateway.models import ImageRequest

    request = ImageRequest(
        params={"prompt": "a hat", "model": "gpt-image-1"},
        raw=b"",
        model="gpt-image-1",
        prompt="a hat",
        n=1,
        size="auto",
        quality="auto",
        style=None,
        response_format="b64_json",
    )
    request = replace(request, operation=operation, images=tuple(images), mask=mask)
    return cache_key(
        team=None, provider="openai", endpoint="https://x/v1", request=request, identity="i"
    )


def test_an_edit_key_covers_every_input_image_and_the_mask():
    a, b = _upload("image[0]", b"A"), _upload("image[1]", b"B")
    base = _edit_key([a, b])
    assert base == _edit_key([a, b])
    assert base != _edit_key([a, _upload("image[1]", b"C")])  # another image
    assert base != _edit_key([b, a])  # the same images in another order
    assert base != _edit_key([a, b], mask=_upload("mask", b"M"))
    assert _edit_key([a, b], mask=_upload("mask", b"M")) != _edit_key(
        [a, b], mask=_upload("mask", b"N")
    )
    assert _edit_key([a]) != _edit_key([a], operation="variations")
