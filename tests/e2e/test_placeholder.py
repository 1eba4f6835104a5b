"""The placeholder provider through gunicorn: links signed by one worker serve from any."""

from __future__ import annotations

import base64

import openai
import pytest


@pytest.fixture(scope="module")
def gateway(start_gateway):
    return start_gateway(GATEWAY_WORKERS="2", GATEWAY_THREADS="4")


@pytest.mark.local_files
def test_openai_sdk_gets_working_links_from_every_worker(gateway, http):
    client = openai.OpenAI(
        api_key="unused",
        base_url=gateway.base_url + "/v1",
        default_headers={"x-portkey-provider": "placeholder"},
        max_retries=0,
        http_client=None,
    )
    result = client.images.generate(prompt="a red fox", n=4, size="256x256")
    assert len(result.data) == 4
    pngs = set()
    for item in result.data:
        assert item.url.startswith(gateway.base_url + "/v1/images/files/")
        for _ in range(3):  # new connections: any worker may answer
            res = http.get(item.url, timeout=10, headers={"Connection": "close"})
            assert res.status_code == 200
            assert res.headers["Content-Type"] == "image/png"
            pngs.add(res.content)
    assert len(pngs) == 4
    files = list((gateway.data_dir / "images").iterdir())
    assert len(files) == 4


def test_b64_json_and_the_request_log(gateway, http):
    res = http.post(
        gateway.base_url + "/v1/images/generations",
        json={"prompt": "a red fox", "size": "64x64", "response_format": "b64_json"},
        headers={"x-portkey-provider": "placeholder", "x-portkey-trace-id": "ph-1"},
        timeout=10,
    )
    assert res.status_code == 200
    png = base64.b64decode(res.json()["data"][0]["b64_json"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    [row] = gateway.log_rows("ph-1")
    assert (row["provider"], row["model"], row["status"], row["size"]) == (
        "placeholder",
        "placeholder",
        200,
        "64x64",
    )
