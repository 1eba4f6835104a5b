"""Golden tests of OpenAI's edit and variation forms and their answers; no HTTP."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from PIL import Image

from gateway.errors import InvalidRequest
from gateway.models import EDITS, VARIATIONS, ImageRequest, ProviderReply, Target, Upload
from gateway.providers.capabilities import resolve_upload
from gateway.providers.openai import PROVIDER
from gateway.providers.openai.edits import filename, form_fields
from gateway.providers.openai.pricing import edit_price, variation_price
from tests.e2e.fake_multipart import parse
from tests.e2e.fakes import TINY_PNG_B64

TARGET = Target(
    provider="openai",
    base_url="https://api.openai.com/v1/",
    api_key="sk-abc",
    organization="org-1",
    forward_headers=(("X-Trace", "t1"), ("Authorization", "Bearer stolen")),
)


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (2, 2), mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (10, 20, 30, 0) if mode == "RGBA" else (10, 20, 30)).save(out, fmt)
    return out.getvalue()


def upload(
    param: str = "image",
    fmt: str = "png",
    filename: str | None = None,
    data: bytes | None = None,
) -> Upload:
    if data is None:
        data = image_bytes(fmt.upper(), mode="RGB" if fmt == "jpeg" else "RGBA")
    return Upload(
        param=param,
        format=fmt,
        width=2,
        height=2,
        has_alpha=fmt != "jpeg",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        filename=filename,
        content_type="application/octet-stream",
    )


def edit(params: dict, images: tuple[Upload, ...] = (), mask: Upload | None = None):
    images = images or (upload(filename="cat.png"),)
    return resolve_upload(PROVIDER.edits.capabilities, EDITS, params, images, mask)


def variation(params: dict, image: Upload | None = None) -> ImageRequest:
    image = image or upload(filename="cat.png")
    return resolve_upload(PROVIDER.variations.capabilities, VARIATIONS, params, (image,), None)


def test_edit_form_golden_bytes_url_and_headers():
    image = upload(filename="cat.png", data=b"\x89PNG-fake")
    request = edit({"prompt": "a hat", "model": "dall-e-2", "n": 2}, (image,))
    call = PROVIDER.edits.build_call(request, TARGET)
    boundary = call.headers["Content-Type"].split("boundary=")[1]
    assert call.method == "POST"
    assert call.url == "https://api.openai.com/v1/images/edits"
    assert call.headers == {
        "Authorization": "Bearer sk-abc",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Accept": "application/json",
        "OpenAI-Organization": "org-1",
        "X-Trace": "t1",
    }
    # Derived from the content (fields and each file's SHA-256): the same form, the same bytes.
    assert boundary == "gateway-453d0a74dbd8bcfca3c63d9995da4fd2"
    expected = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="prompt"\r\n\r\na hat\r\n'
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="model"\r\n\r\ndall-e-2\r\n'
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="n"\r\n\r\n2\r\n'
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="image"; filename="cat.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
        "\x89PNG-fake\r\n"
        f"--{boundary}--\r\n"
    ).encode("latin-1")
    assert call.body.to_bytes() == expected
    assert len(call.body) == len(expected)
    # The file is streamed from the upload, never copied into the description.
    assert image in call.body.pieces


def test_same_request_same_bytes():
    first = PROVIDER.edits.build_call(edit({"prompt": "p"}), TARGET).body.to_bytes()
    assert PROVIDER.edits.build_call(edit({"prompt": "p"}), TARGET).body.to_bytes() == first


def test_gpt_image_drops_response_format_and_keeps_the_callers_order():
    params = {
        "size": "1024x1024",
        "response_format": "url",
        "prompt": "p",
        "model": "gpt-image-1",
        "output_format": "webp",
        "output_compression": 80,
        "background": "transparent",
        "input_fidelity": "high",
        "user": "u-1",
        "seed": "7",  # an unknown extra goes through as sent
    }
    assert form_fields(edit(params)) == [
        ("size", "1024x1024"),
        ("prompt", "p"),
        ("model", "gpt-image-1"),
        ("output_format", "webp"),
        ("output_compression", "80"),
        ("background", "transparent"),
        ("input_fidelity", "high"),
        ("user", "u-1"),
        ("seed", "7"),
    ]


def test_newer_gpt_image_and_chatgpt_image_models_drop_response_format_too():
    for model in ("gpt-image-3", "chatgpt-image-latest"):
        fields = form_fields(edit({"model": model, "prompt": "p", "response_format": "url"}))
        assert fields == [("model", model), ("prompt", "p")]


def test_dall_e_2_keeps_response_format():
    fields = form_fields(edit({"prompt": "p", "model": "dall-e-2", "response_format": "url"}))
    assert fields == [("prompt", "p"), ("model", "dall-e-2"), ("response_format", "url")]


def test_defaulted_model_is_named_first():
    request = edit({"prompt": "p", "response_format": "b64_json", "n": 1})
    assert (request.model, request.model_was_defaulted) == ("gpt-image-1.5", True)
    assert form_fields(request) == [("model", "gpt-image-1.5"), ("prompt", "p"), ("n", "1")]


def test_several_images_go_as_image_array_with_mask_last():
    images = (
        upload("image[0]", filename="a.png"),
        upload("image[1]", "webp", filename="../../etc/passwd"),
        upload("image[2]", "jpeg", filename="photo.JPG"),
    )
    mask = upload("mask", filename="mask.webp")  # a PNG declared as .webp: renamed
    call = PROVIDER.edits.build_call(edit({"prompt": "p"}, images, mask), TARGET)
    sent = parse(call.headers["Content-Type"], call.body.to_bytes())
    described = [(f.name, f.filename, f.content_type, f.sha256) for f in sent.files]
    assert described == [
        ("image[]", "a.png", "image/png", images[0].sha256),
        ("image[]", "image-2.webp", "image/webp", images[1].sha256),
        ("image[]", "photo.JPG", "image/jpeg", images[2].sha256),
        ("mask", "mask.png", "image/png", mask.sha256),
    ]
    assert sent.order == ["model", "prompt", "image[]", "image[]", "image[]", "mask"]


def test_one_image_sent_as_a_list_stays_a_list():
    call = PROVIDER.edits.build_call(edit({"prompt": "p"}, (upload("image[0]"),)), TARGET)
    sent = parse(call.headers["Content-Type"], call.body.to_bytes())
    assert [(f.name, f.filename) for f in sent.files] == [("image[]", "image.png")]


@pytest.mark.parametrize(
    ("declared", "fmt", "index", "expected"),
    [
        ("cat.png", "png", 0, "cat.png"),
        ("Cat Photo (1).jpeg", "jpeg", 0, "Cat Photo (1).jpeg"),
        ("cat.png", "jpeg", 1, "image-2.jpg"),
        (None, "webp", 0, "image.webp"),
        ('a"b.png', "png", 0, "image.png"),
        ("caf\u00e9.png", "png", 3, "image-4.png"),
        (".hidden.png", "png", 0, "image.png"),
        ("dir/cat.png", "png", 0, "image.png"),
    ],
)
def test_filename(declared, fmt, index, expected):
    assert filename(upload(fmt=fmt, filename=declared), index) == expected


def test_variation_form_url_and_fields():
    request = variation({"n": 3, "size": "512x512", "response_format": "url"})
    call = PROVIDER.variations.build_call(request, TARGET)
    assert call.url == "https://api.openai.com/v1/images/variations"
    sent = parse(call.headers["Content-Type"], call.body.to_bytes())
    assert sent.fields == [
        ("model", "dall-e-2"),
        ("n", "3"),
        ("size", "512x512"),
        ("response_format", "url"),
    ]
    assert [(f.name, f.filename, f.content_type) for f in sent.files] == [
        ("image", "cat.png", "image/png")
    ]


def test_default_base_url_when_target_has_none():
    call = PROVIDER.variations.build_call(variation({}), Target("openai", None, "sk"))
    assert call.url == "https://api.openai.com/v1/images/variations"


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        ({"prompt": "p", "model": "dall-e-2", "background": "opaque"}, "background", "gpt-image"),
        (
            {"prompt": "p", "model": "gpt-image-1-mini", "input_fidelity": "high"},
            "input_fidelity",
            "not gpt-image-1-mini",
        ),
        ({"prompt": "p", "model": "gpt-image-1", "size": "256x256"}, "size", "1024x1536"),
        ({"prompt": "x" * 1001, "model": "dall-e-2"}, "prompt", "at most 1000"),
        ({"prompt": "p", "n": 11}, "n", "1 to 10"),
        (
            {"prompt": "p", "output_compression": 50},
            "output_compression",
            "needs 'output_format' jpeg or webp",
        ),
    ],
)
def test_edit_refusals(params, param, message):
    with pytest.raises(InvalidRequest) as caught:
        edit(params)
    assert caught.value.param == param
    assert message in str(caught.value)


def test_edit_accepts_every_gpt_image_edit_field():
    params = {
        "prompt": "p",
        "model": "gpt-image-1.5",
        "quality": "high",
        "size": "1536x1024",
        "background": "transparent",
        "output_format": "webp",
        "output_compression": 0,
        "input_fidelity": "low",
    }
    request = edit(params)
    assert (request.size, request.quality, request.response_format) == (
        "1536x1024",
        "high",
        "b64_json",
    )


def test_variation_refuses_other_models_sizes():
    with pytest.raises(InvalidRequest) as caught:
        variation({"size": "1024x1536"})
    assert caught.value.param == "size"


def test_gpt_image_edit_defaults_to_auto_size_and_url_for_dall_e_2():
    assert edit({"prompt": "p"}).size == "auto"
    assert variation({}).response_format == "url"


def reply(body: dict) -> ProviderReply:
    raw = json.dumps(body).encode()
    return ProviderReply(200, {"content-type": "application/json"}, raw)


def test_gpt_image_answer_passes_through_or_is_parsed_for_url():
    body = {"created": 1700000000, "data": [{"b64_json": TINY_PNG_B64}], "size": "1024x1024"}
    passed = PROVIDER.edits.parse_reply(reply(body), edit({"prompt": "p"}))
    assert passed.body == json.dumps(body).encode()
    assert passed.size == "1024x1024"
    parsed = PROVIDER.edits.parse_reply(
        reply(body), edit({"prompt": "p", "response_format": "url"})
    )
    assert parsed.images is not None
    assert parsed.images[0].b64_json == TINY_PNG_B64


def test_dall_e_2_variation_url_answer_passes_through():
    body = {"created": 1700000000, "data": [{"url": "https://x/a.png"}]}
    result = PROVIDER.variations.parse_reply(reply(body), variation({}))
    assert result.body == json.dumps(body).encode()


def test_prices():
    assert edit_price(edit({"prompt": "p", "model": "dall-e-2", "size": "512x512"})) == 18_000
    assert variation_price(variation({"size": "256x256"})) == 16_000
    assert variation_price(variation({})) == 20_000
    # Output image as generated: high quality square; auto size: the dearest.
    assert edit_price(edit({"prompt": "p", "quality": "high", "size": "1024x1024"})) == 133_000
    assert edit_price(edit({"prompt": "p", "quality": "low"})) == 13_000
    assert edit_price(edit({"prompt": "p", "model": "gpt-image-2"})) is None
