"""Cache hits in ``Delivery``: stored base64 copied into the body, hosted files linked unread."""

from __future__ import annotations

import base64
import json

import pytest

from gateway.errors import GatewayError
from gateway.models import GeneratedImage, ImageRequest, ImageResult
from gateway.outbound.delivery import Delivery, Origin, StoredImage
from gateway.outbound.image_store import ImageStore, namer
from tests.e2e.fakes import TINY_PNG, TINY_PNG_B64
from tests.factories import settings

NOW = 1_800_000_000.0
KEY = b"k" * 32
ORIGIN = Origin("openai", (), "", None)
# Quotes, a backslash, a control character and non-ASCII: everything JSON escapes or not.
PROMPT = 'a "café" \\ sign\n☕'
EXTRA = {"usage": {"total_tokens": 3}, "size": "1024x1024", "note": "ünïcode"}


class Reads:
    """Stands in for the cache's reader of an image's text, counting its calls."""

    def __init__(self, text: bytes = TINY_PNG_B64.encode()) -> None:
        self.text, self.calls = text, 0

    def __call__(self) -> bytes:
        self.calls += 1
        return self.text


def delivery(tmp_path) -> Delivery:
    store = ImageStore(tmp_path / "images", KEY, 3600, lambda: NOW)
    return Delivery(settings(tmp_path), object(), store, clock=lambda: NOW)  # type: ignore[arg-type]


def render(d: Delivery, images, fmt: str, created=7, extra=None) -> bytes:
    request = ImageRequest({}, b"", "m", "p", 1, "1024x1024", None, None, fmt)
    result = ImageResult(200, images=tuple(images), created=created, extra=extra or {})
    return d.render(result, request, ORIGIN, "https://gw.example").body


@pytest.mark.parametrize("prompt", [None, PROMPT])
@pytest.mark.parametrize("extra", [None, EXTRA])
def test_a_stored_b64_hit_is_byte_identical_to_rendering_the_image(tmp_path, prompt, extra):
    d = delivery(tmp_path)
    plain = [GeneratedImage(data=TINY_PNG, revised_prompt=prompt), GeneratedImage(data=b"\xff")]
    stored = [
        StoredImage(revised_prompt=prompt, read=Reads()),
        StoredImage(read=Reads(base64.b64encode(b"\xff"))),
    ]
    body = render(d, stored, "b64_json", extra=extra)
    assert body == render(d, plain, "b64_json", extra=extra)
    assert (
        body
        == json.dumps(
            {"created": 7, "data": json.loads(body)["data"], **(extra or {})},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
    )
    assert json.loads(body)["data"][0]["b64_json"] == TINY_PNG_B64


def test_a_url_hit_links_to_its_hosted_file_without_reading_the_image(tmp_path):
    d = delivery(tmp_path)
    name, _ = d.store.put(TINY_PNG)  # hosted by the miss
    reads = Reads()
    body = json.loads(render(d, [StoredImage(hosted=name, read=reads)], "url"))
    [item] = body["data"]
    assert reads.calls == 0
    assert item["url"] == d.store.link("https://gw.example", name, int(NOW) + 3600)
    assert d.store.find(name, str(int(NOW) + 3600), item["url"].rsplit("=", 1)[1]) is not None


def test_a_url_hit_whose_hosted_file_has_gone_hosts_the_image_again(tmp_path):
    d = delivery(tmp_path)
    name = namer(KEY)(TINY_PNG)  # recorded with the entry, never hosted (or swept since)
    reads = Reads()
    body = json.loads(render(d, [StoredImage(hosted=name, revised_prompt="rp", read=reads)], "url"))
    assert reads.calls == 1
    assert body["data"][0]["revised_prompt"] == "rp"
    assert body["data"][0]["url"].split("/")[-1].split("?")[0] == name
    assert (d.store.directory / name).read_bytes() == TINY_PNG


def test_a_url_hit_without_a_hosted_name_hosts_the_image(tmp_path):
    d = delivery(tmp_path)
    reads = Reads()
    render(d, [StoredImage(read=reads)], "url")
    assert reads.calls == 1
    assert [p.name for p in d.store.directory.iterdir()] == [namer(KEY)(TINY_PNG)]


def test_an_image_evicted_between_lookup_and_answer_is_a_clear_error(tmp_path):
    def gone() -> bytes:
        raise FileNotFoundError("evicted")

    with pytest.raises(GatewayError, match="could not read a cached image"):
        render(delivery(tmp_path), [StoredImage(hosted=None, read=gone)], "url")


def test_the_namer_names_files_as_the_store_does(tmp_path):
    store = ImageStore(tmp_path, KEY, 60)
    assert namer(KEY)(TINY_PNG) == store.name_of(TINY_PNG) == store.put(TINY_PNG)[0]
    assert store.reuse("../gateway.db") is None  # a name the store would not make
    assert ImageStore(tmp_path / "none", KEY, 60).reuse(store.name_of(TINY_PNG)) is None
