"""vertex-ai through real gunicorn against the fake Imagen API and Google token endpoint.

The service-account path is end to end: the test makes an RSA key, registers its public
half with the fake, and hands the gateway a service-account JSON whose ``token_uri`` is
the fake's ``/token`` (an allowlisted custom host); the fake checks the JWT assertion's
signature before minting the token the predict call must carry.
"""

from __future__ import annotations

import json

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.e2e.fakes import TINY_PNG, TINY_PNG_B64
from tests.e2e.fakes.vertex_ai import ACCESS_TOKEN

PREFIX = "/p/vertex-ai"
PREDICT = (
    f"{PREFIX}/v1/projects/{{project}}/locations/us-central1/publishers/google/models/"
    "{model}:predict"
)


@pytest.fixture(scope="module")
def vertex_gateway(start_gateway, fake_provider):
    # One worker: the token cache is per process.
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url, GATEWAY_WORKERS="1")


def post(gateway, fake, body, **headers):
    return requests.post(
        gateway.url("/v1/images/generations"),
        json=body,
        headers={
            "x-portkey-provider": "vertex-ai",
            "x-portkey-custom-host": fake.host("vertex-ai"),
            "x-portkey-vertex-region": "us-central1",
            **headers,
        },
        timeout=30,
    )


def upstream(fake, suffix=""):
    return [r for r in fake.requests_to("vertex-ai") if r.path.endswith(suffix)]


def test_oauth_token_call_and_b64_answer(vertex_gateway, fake_provider):
    res = post(
        vertex_gateway,
        fake_provider,
        {
            "model": "imagen-3.0-generate-002",
            "prompt": "a red fox",
            "n": 2,
            "size": "1408x768",
            "style": "vivid",
            "response_format": "b64_json",
        },
        Authorization=f"Bearer {ACCESS_TOKEN}",
        **{"x-portkey-vertex-project-id": "e2e-project"},
    )
    assert res.status_code == 200, res.text
    assert res.json()["data"] == [{"b64_json": TINY_PNG_B64}] * 2
    [sent] = upstream(fake_provider)
    assert (sent.method, sent.path) == (
        "POST",
        PREDICT.format(project="e2e-project", model="imagen-3.0-generate-002"),
    )
    assert sent.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert sent.json() == {
        "instances": [{"prompt": "a red fox"}],
        "parameters": {"sampleCount": 2, "aspectRatio": "16:9", "includeRaiReason": True},
    }


def test_service_account_token_is_minted_cached_and_used(vertex_gateway, fake_provider):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    registered = requests.post(
        fake_provider.host("vertex-ai") + "/keys",
        json={"kid": "e2e-kid", "public_key_pem": public_pem.decode()},
        timeout=10,
    )
    assert registered.status_code == 200
    account = {
        "type": "service_account",
        "project_id": "sa-project",
        "private_key_id": "e2e-kid",
        "private_key": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        "client_email": "gateway@sa-project.iam.gserviceaccount.com",
        "token_uri": fake_provider.host("vertex-ai") + "/token",
    }
    fake_provider.clear()
    header = {"x-portkey-vertex-service-account-json": json.dumps(account)}
    for _ in range(2):
        res = post(vertex_gateway, fake_provider, {"prompt": "a red fox"}, **header)
        assert res.status_code == 200, res.text
        [item] = res.json()["data"]
        image = requests.get(item["url"], timeout=30)
        assert (image.status_code, image.headers["Content-Type"]) == (200, "image/png")
        assert image.content == TINY_PNG
    [token_call] = upstream(fake_provider, "/token")  # the second request used the cache
    assert token_call.headers["content-type"] == "application/x-www-form-urlencoded"
    predicts = upstream(fake_provider, ":predict")
    assert [p.path for p in predicts] == [
        PREDICT.format(project="sa-project", model="imagen-4.0-generate-001")
    ] * 2
    [auth] = {p.headers["authorization"] for p in predicts}
    assert auth.startswith("Bearer ya29.e2e-minted-")


def test_google_error_is_normalised(vertex_gateway, fake_provider):
    res = post(
        vertex_gateway,
        fake_provider,
        {"prompt": "a red fox"},
        Authorization="Bearer ya29.expired",
        **{"x-portkey-vertex-project-id": "e2e-project"},
    )
    assert res.status_code == 401
    assert res.json() == {
        "error": {
            "message": "vertex-ai error: Request had invalid authentication credentials. "
            "Expected OAuth 2 access token.",
            "type": "UNAUTHENTICATED",
            "param": None,
            "code": "UNAUTHENTICATED",
            "provider": "vertex-ai",
        }
    }
    assert len(upstream(fake_provider)) == 1


def test_n6_is_two_predict_calls_of_four_and_two(vertex_gateway, fake_provider):
    body = {"model": "imagen-4.0-fast-generate-001", "prompt": "a red fox", "n": 6}
    headers = {"x-portkey-vertex-project-id": "e2e-project"}
    res = post(
        vertex_gateway,
        fake_provider,
        {**body, "response_format": "b64_json"},
        Authorization=f"Bearer {ACCESS_TOKEN}",
        **headers,
    )
    assert res.status_code == 200, res.text
    assert res.json()["data"] == [{"b64_json": TINY_PNG_B64}] * 6
    sent = upstream(fake_provider, ":predict")
    assert sorted(r.json()["parameters"]["sampleCount"] for r in sent) == [2, 4]
    assert {r.headers["authorization"] for r in sent} == {f"Bearer {ACCESS_TOKEN}"}
