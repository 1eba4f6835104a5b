"""``/v1/images/edits`` and ``/v1/images/variations`` through the whole app (Flask test
client): the local placeholder answers, every other upstream is mocked with
``responses`` and must see no call when an upload is refused."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
from typing import Any

import pytest
from PIL import Image

from gateway import providers
from gateway.request_log import query
from gateway.store.request_log import attempts_of
from tests.functional.conftest import log_rows
from tests.unit.uploads.bodies import png_header
from tests.upload_images import short_pixels_png

EDITS, VARIATIONS = "/v1/images/edits", "/v1/images/variations"
PLACEHOLDER = {"x-portkey-provider": "placeholder"}
OPENAI = {"x-portkey-provider": "openai", "Authorization": "Bearer sk-test-0123456789"}


def png(size: tuple[int, int] = (128, 128), transparent_box: bool = False) -> bytes:
    """An opaque blue square; with ``transparent_box`` its top-left quarter is alpha 0."""
    image = Image.new("RGBA", size, (20, 40, 200, 255))
    if transparent_box:
        image.paste((0, 0, 0, 0), (0, 0, size[0] // 2, size[1] // 2))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def decoded(item: dict[str, Any]) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(item["b64_json"])))


def post(client, path: str, fields: dict[str, Any], headers: dict[str, str] | None = None):
    data = {
        k: (io.BytesIO(v), f"{k}.png") if isinstance(v, bytes) else v for k, v in fields.items()
    }
    return client.post(
        path, data=data, headers=headers or PLACEHOLDER, content_type="multipart/form-data"
    )


def test_an_edit_draws_over_the_masked_area_and_the_log_keeps_hashes_not_bytes(app, client):
    image, mask = png(), png(transparent_box=True)
    res = post(
        client,
        EDITS,
        {"image": image, "mask": mask, "prompt": "a red boat", "response_format": "b64_json"},
    )
    assert res.status_code == 200, res.get_data(as_text=True)
    [item] = res.get_json()["data"]
    out = decoded(item).convert("RGB")
    assert out.size == (128, 128)  # size auto: the input's
    assert out.getpixel((100, 100)) == (20, 40, 200)  # outside the mask: untouched
    assert out.getpixel((10, 10)) != (20, 40, 200)  # inside: the prompt's gradient
    [row] = log_rows(app)
    assert (row["operation"], row["provider"], row["status"], row["images"]) == (
        "edits",
        "placeholder",
        200,
        1,
    )
    uploads = json.loads(row["uploads"])
    assert uploads == [
        {
            "param": "image",
            "sha256": hashlib.sha256(image).hexdigest(),
            "bytes": len(image),
            "format": "png",
            "width": 128,
            "height": 128,
        },
        {
            "param": "mask",
            "sha256": hashlib.sha256(mask).hexdigest(),
            "bytes": len(mask),
            "format": "png",
            "width": 128,
            "height": 128,
        },
    ]
    assert base64.b64encode(image).decode()[:40] not in json.dumps(row)


def test_a_variation_makes_n_images_at_the_size_asked(app, client):
    res = post(
        client,
        VARIATIONS,
        {"image": png(), "n": "2", "size": "256x256", "response_format": "b64_json"},
    )
    assert res.status_code == 200, res.get_data(as_text=True)
    data = res.get_json()["data"]
    assert [decoded(item).size for item in data] == [(256, 256), (256, 256)]
    assert data[0]["b64_json"] != data[1]["b64_json"]
    [row] = log_rows(app)
    assert (row["operation"], row["n"], row["size"]) == ("variations", 2, "256x256")


def test_a_url_answer_links_to_the_hosted_image(client):
    res = post(client, EDITS, {"image": png(), "prompt": "a boat"})
    assert res.status_code == 200
    [item] = res.get_json()["data"]
    assert item["url"].startswith("http://localhost/v1/images/files/")
    hosted = client.get(item["url"].removeprefix("http://localhost"))
    assert hosted.status_code == 200
    assert hosted.data.startswith(b"\x89PNG")


def test_spooled_files_are_deleted_when_the_request_ends(make_app, tmp_path):
    app = make_app(upload_memory_bytes=0)  # every file goes to disk
    client = app.test_client()
    res = post(client, EDITS, {"image": png((512, 512)), "prompt": "x"})
    assert res.status_code == 200
    spool = tmp_path / "data" / "uploads"
    assert spool.is_dir()
    assert list(spool.iterdir()) == []


def _no_edits_provider() -> str:
    return next(name for name, p in sorted(providers.REGISTRY.items()) if p.edits is None)


def test_a_provider_without_an_edit_api_is_a_clear_400(client):
    name = _no_edits_provider()
    res = post(
        client,
        EDITS,
        {"image": png(), "prompt": "x"},
        {"x-portkey-provider": name, "Authorization": "Bearer k-0123456789"},
    )
    assert res.status_code == 400
    error = res.get_json()["error"]
    assert error["code"] == "operation_not_supported"
    assert error["message"] == f"Provider '{name}' has no image edits API."


def test_a_fallback_skips_a_target_without_an_edit_api(app, client):
    name = _no_edits_provider()
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [{"provider": name, "api_key": "k-0123456789"}, {"provider": "placeholder"}],
    }
    res = post(
        client, EDITS, {"image": png(), "prompt": "x"}, {"x-portkey-config": json.dumps(config)}
    )
    assert res.status_code == 200, res.get_data(as_text=True)
    assert res.headers["x-portkey-last-used-option-index"] == "config.targets[1]"
    [row] = log_rows(app)
    first, second = attempts_of(app.extensions["gateway"].database, row["request_id"])
    assert first["skip_reason"] == f"Provider '{name}' has no image edits API."
    assert second["status"] == 200


def test_the_model_a_target_defaults_to_is_checked_against_the_upload(client, upstream):
    """No model named: the form passes the generic checks; OpenAI's default variation
    model (dall-e-2) takes square PNGs only, so a JPEG is refused before any call."""
    jpeg = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(jpeg, "JPEG")
    res = post(client, VARIATIONS, {"image": jpeg.getvalue()}, OPENAI)
    assert res.status_code == 400
    assert res.get_json()["error"]["code"] == "unsupported_image_format"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code", "param"),
    [
        (
            b"not a form",
            "multipart/form-data; boundary=xyz",
            400,
            "invalid_multipart",
            "content-type",
        ),
        (b'{"prompt": "x"}', "application/json", 400, "unsupported_content_type", "content-type"),
    ],
)
def test_malformed_bodies_are_refused_with_nothing_sent(
    client, upstream, body, content_type, status, code, param
):
    res = client.post(EDITS, data=body, headers={**OPENAI, "Content-Type": content_type})
    assert res.status_code == status, res.get_data(as_text=True)
    error = res.get_json()["error"]
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", code, param)
    assert len(upstream.calls) == 0


def test_a_truncated_image_and_a_bomb_are_400_naming_the_field(client, upstream):
    truncated = png()[:-30]
    res = post(client, EDITS, {"image": truncated, "prompt": "x"}, OPENAI)
    assert res.status_code == 400
    assert res.get_json()["error"]["param"] == "image"

    res = post(client, EDITS, {"image": png_header(100_000, 100_000), "prompt": "x"}, OPENAI)
    assert res.status_code == 400
    error = res.get_json()["error"]
    assert error["param"] == "image"
    assert "pixels" in error["message"]
    assert len(upstream.calls) == 0


def test_an_upload_over_the_setting_is_413(make_app, upstream):
    client = make_app(upload_max_bytes=1 << 20, upload_max_file_bytes=1 << 20).test_client()
    res = post(client, EDITS, {"image": b"\x89PNG" + b"\0" * (1 << 20), "prompt": "x"}, OPENAI)
    assert res.status_code == 413
    assert res.get_json()["error"]["type"] == "invalid_request_error"
    assert len(upstream.calls) == 0


def test_an_unknown_caller_is_401_before_the_upload_is_read(make_app, tmp_path):
    app = make_app(require_api_key="true", upload_memory_bytes=0)
    client = app.test_client()
    res = post(client, EDITS, {"image": png(), "prompt": "x"})
    assert res.status_code == 401
    assert app.extensions["gateway"].request_log.flush(5.0)
    [row] = query(app.extensions["gateway"].database)
    assert row["uploads"] is None  # never read, so nothing to describe
    assert list((tmp_path / "data" / "uploads").iterdir()) == []


def test_pixel_data_cut_short_is_found_when_a_provider_decodes_it(app, client):
    """The upload checks read the header and chunk checksums; a PNG whose compressed
    pixels stop halfway passes them, and the placeholder, which draws from the pixels,
    answers a 400 naming the field instead of a 500."""

    res = post(client, EDITS, {"image": short_pixels_png(), "prompt": "x"}, PLACEHOLDER)
    assert res.status_code == 400, res.get_data(as_text=True)
    assert res.get_json()["error"] == {
        "message": "The image in 'image' is truncated or corrupt.",
        "type": "invalid_request_error",
        "param": "image",
        "code": "invalid_image",
    }
    [row] = log_rows(app)
    assert (row["status"], row["error_code"]) == (400, "invalid_image")


def test_the_app_sweeps_spool_files_a_killed_worker_left(make_app, tmp_path, caplog):
    """A worker killed mid-upload (SIGKILL, the OOM killer) never ran its cleanup; the
    next start removes its spool files once they are an hour old, and only those."""

    uploads = tmp_path / "data" / "uploads"
    uploads.mkdir(parents=True)
    stale, fresh = uploads / "gw-upload-left.part", uploads / "gw-upload-live.part"
    stale.write_bytes(b"half an upload")
    fresh.write_bytes(b"another instance's upload")
    os.utime(stale, (1, 1))
    make_app()
    assert not stale.exists()
    assert fresh.exists()
    assert "removed 1 stale upload spool file(s)" in caplog.text
