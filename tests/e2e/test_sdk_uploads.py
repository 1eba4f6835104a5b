"""Both SDKs' ``images.edit`` and ``images.create_variation`` under gunicorn, answered by
the local placeholder: the route, the form the SDKs build (one image, an ``image[]``
list, a mask), the errors they raise for a bad upload, and the request log."""

from __future__ import annotations

import base64
import hashlib
import io
import json

import openai
import pytest
from PIL import Image
from portkey_ai._vendor import openai as portkey_openai

from tests.e2e.conftest import poll
from tests.e2e.sdk_clients import openai_sdk, portkey_sdk

pytestmark = pytest.mark.e2e


def png(size=(96, 96), box=False) -> bytes:
    image = Image.new("RGBA", size, (10, 120, 30, 255))
    if box:
        image.paste((0, 0, 0, 0), (0, 0, size[0] // 2, size[1] // 2))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def _no_sdk_environment(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "PORTKEY_API_KEY", "PORTKEY_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def openai_client(gateway):
    return openai_sdk(gateway, "unused-by-the-placeholder", {"x-portkey-provider": "placeholder"})


def portkey_client(gateway, **options):
    return portkey_sdk(gateway, provider="placeholder", **options)


def _rows(gateway, trace: str, count: int) -> list[dict] | None:
    rows = gateway.log_rows(trace, timeout=0.5)
    return rows if len(rows) == count else None


def sizes(result) -> list[tuple[int, int]]:
    return [Image.open(io.BytesIO(base64.b64decode(d.b64_json))).size for d in result.data]


def test_openai_sdk_edits_with_a_mask_and_several_images(gateway):
    first, second, mask = png(), png((64, 64)), png(box=True)
    with openai_client(gateway) as client:
        result = client.images.edit(
            image=[("a.png", first, "image/png"), ("b.png", second, "image/png")],
            mask=("mask.png", mask, "image/png"),
            prompt="a red boat",
            size="128x128",
            response_format="b64_json",
            extra_headers={"x-portkey-trace-id": "sdk-edit-many"},
        )
    assert sizes(result) == [(128, 128)]
    [row] = gateway.log_rows("sdk-edit-many")
    assert (row["operation"], row["status"], row["provider"]) == ("edits", 200, "placeholder")
    uploads = json.loads(row["uploads"])
    assert [(u["param"], u["sha256"]) for u in uploads] == [
        ("image[0]", hashlib.sha256(first).hexdigest()),
        ("image[1]", hashlib.sha256(second).hexdigest()),
        ("mask", hashlib.sha256(mask).hexdigest()),
    ]


# openai-python marks create_variation deprecated (dall-e-2 is retired); it still calls.
@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")
def test_openai_sdk_variation_answers_urls_the_gateway_hosts(gateway, http):
    with openai_client(gateway) as client:
        result = client.images.create_variation(image=("a.png", png(), "image/png"), n=2)
    assert len(result.data) == 2
    for item in result.data:
        hosted = http.get(item.url, timeout=30)
        assert hosted.status_code == 200
        assert Image.open(io.BytesIO(hosted.content)).size == (96, 96)


def test_portkey_sdk_edits_and_varies(gateway):
    with portkey_client(gateway, trace_id="sdk-portkey-edit") as client:
        edited = client.images.edit(
            image=("a.png", png(), "image/png"), prompt="a hat", response_format="b64_json"
        )
        varied = client.images.create_variation(
            image=("a.png", png(), "image/png"), n=3, size="64x64", response_format="b64_json"
        )
    assert sizes(edited) == [(96, 96)]
    assert sizes(varied) == [(64, 64)] * 3
    rows = poll(lambda: _rows(gateway, "sdk-portkey-edit", 2), 5.0)
    assert sorted((r["operation"], r["n"]) for r in rows) == [("edits", 1), ("variations", 3)]


def test_a_bad_upload_is_a_bad_request_naming_the_field_in_both_sdks(gateway):
    not_an_image = ("a.png", b"GIF89a" + b"\0" * 64, "image/png")
    with openai_client(gateway) as client, pytest.raises(openai.BadRequestError) as raised:
        client.images.edit(image=not_an_image, prompt="x")
    assert raised.value.status_code == 400
    assert raised.value.body["param"] == "image"
    with portkey_client(gateway) as client, pytest.raises(portkey_openai.BadRequestError) as raised:
        client.images.create_variation(image=not_an_image)
    assert raised.value.body["param"] == "image"
