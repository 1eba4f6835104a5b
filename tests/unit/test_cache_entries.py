"""Answers to cache entries and back, and the per-request statuses, with an in-memory store."""

from __future__ import annotations

import base64
import json
import sqlite3

import pytest

from gateway.cache import ImageCache
from gateway.cache.entries import from_entry, images_of, to_entry
from gateway.cache.store import CachedImage, Entry
from gateway.errors import GatewayError
from gateway.models import GeneratedImage, ImageRequest, ImageResult, Target
from gateway.outbound.delivery import Origin, StoredImage
from gateway.outbound.upstream import Answered
from gateway.routing.nodes import CacheSettings, Leaf
from tests.e2e.fakes import TINY_PNG, TINY_PNG_B64

ORIGIN = Origin("openai", (), "https://api.openai.com:443", None)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 20


def fetched(image: GeneratedImage, origin: Origin) -> bytes:
    """Stands in for Delivery.image_bytes: URLs give a JPEG, anything else its bytes."""
    if image.url:
        return JPEG
    return image.data if image.data is not None else TINY_PNG


def test_a_passed_through_body_is_parsed_into_its_images():
    body = {"created": 1_700_000_001, "data": [{"b64_json": TINY_PNG_B64, "revised_prompt": "r"}]}
    images, created = images_of(ImageResult(200, json.dumps(body).encode()), "openai")
    assert images == (GeneratedImage(b64_json=TINY_PNG_B64, revised_prompt="r"),)
    assert created == 1_700_000_001


@pytest.mark.parametrize("body", [b"not json", b'{"data": []}', b'{"data": [{"x": 1}]}', b"[]"])
def test_a_body_without_images_cannot_be_cached(body):
    with pytest.raises(GatewayError, match="openai answered HTTP 200 but"):
        images_of(ImageResult(200, body), "openai")


def test_to_entry_keeps_bytes_and_fills_them_into_the_answer():
    result = ImageResult(
        200,
        images=(
            GeneratedImage(url="https://x/a.jpg", revised_prompt="r"),
            GeneratedImage(data=TINY_PNG),
        ),
    )
    entry, answer = to_entry(result, ORIGIN, fetched, clock=lambda: 1_800_000_000.9)
    assert entry == Entry(
        1_800_000_000,
        (
            CachedImage(base64.b64encode(JPEG), "image/jpeg", "r"),
            CachedImage(TINY_PNG_B64.encode(), "image/png", None),
        ),
    )
    assert [i.data for i in answer.images] == [JPEG, TINY_PNG]
    assert answer.images[0].url == "https://x/a.jpg"  # still passed on as a link when asked


def test_a_passed_through_answer_is_sent_on_untouched():
    raw = json.dumps({"created": 5, "data": [{"b64_json": TINY_PNG_B64}]}).encode()
    entry, answer = to_entry(ImageResult(200, raw), ORIGIN, lambda i, o: TINY_PNG, clock=lambda: 9)
    assert answer == ImageResult(200, raw)
    assert entry.created == 5


def test_from_entry_is_a_200_the_gateway_renders():
    text = base64.b64encode(JPEG)
    entry = Entry(7, (CachedImage(text, "image/jpeg", "r"),))
    hit = from_entry(entry, read=unread)
    assert hit == ImageResult(
        200,
        images=(StoredImage(content_type="image/jpeg", revised_prompt="r", read=unread),),
        created=7,
    )
    assert hit.images[0].read() == text  # read by the lookup already


def test_an_image_the_lookup_did_not_read_is_read_when_asked_for():
    entry = Entry(7, (CachedImage(None, "image/png", hosted="a" * 32 + ".png", file="f.b64"),))
    [image] = from_entry(entry, read=lambda name: f"text of {name}".encode()).images
    assert image.hosted == "a" * 32 + ".png"
    assert image.read() == b"text of f.b64"


def unread(name: str) -> bytes:
    raise AssertionError(f"{name} read again")


class MemoryStore:
    """The two methods the request path uses, kept in a dict; ``broken`` fails them."""

    def __init__(self, broken: bool = False) -> None:
        self.entries: dict[str, tuple[Entry, int]] = {}
        self.broken = broken

    def get(self, key: str, max_age: int, read: bool = True) -> Entry | None:
        if self.broken:
            raise sqlite3.OperationalError("database is locked")
        found = self.entries.get(key)
        return found[0] if found else None

    def put(self, key: str, meta: object, entry: Entry, max_age: int) -> bool:
        if self.broken:
            raise OSError(28, "No space left on device")
        self.entries[key] = (entry, max_age)
        return True

    def text(self, name: str) -> bytes:
        raise AssertionError("every entry here is read by get")


def request() -> ImageRequest:
    return ImageRequest({"prompt": "p"}, b"{}", "dall-e-3", "p", 1, "1024x1024", None, None, "url")


def answered() -> Answered:
    return Answered(request(), ImageResult(200, images=(GeneratedImage(data=TINY_PNG),)), ORIGIN)


def scope(store: MemoryStore, refresh: bool = False):
    return ImageCache(store, b"k" * 32, fetched).scope("design", refresh)  # type: ignore[arg-type]


LEAF = Leaf(path="config", provider="openai", cache=CacheSettings("simple"))


def test_miss_then_hit_and_the_default_max_age():
    store = MemoryStore()
    cache = scope(store)
    key = cache.key("openai", request(), Target("openai", None, "sk-1"), "https://h/v1/x")
    assert cache.lookup(LEAF, key) is None
    assert cache.status_of("config") == "MISS"
    cache.save(LEAF, key, answered())
    assert store.entries[key][1] == 86_400
    hit = cache.lookup(LEAF, key)
    assert hit is not None
    assert hit.images[0].read() == TINY_PNG_B64.encode()
    assert cache.status_of("config") == "HIT"
    assert cache.status_of("config.targets[1]") == "DISABLED"


def test_force_refresh_skips_the_lookup_but_stores():
    store = MemoryStore()
    store.entries["k"] = (Entry(1, ()), 60)
    cache = scope(store, refresh=True)
    assert cache.lookup(LEAF, "k") is None
    assert cache.status_of("config") == "REFRESH"
    cache.save(LEAF, "k", answered())
    assert store.entries["k"][0].images[0].text == TINY_PNG_B64.encode()


def test_semantic_mode_misses_and_never_stores():
    store = MemoryStore()
    leaf = Leaf(path="config", provider="openai", cache=CacheSettings("semantic", 60))
    cache = scope(store)
    assert cache.lookup(leaf, "k") is None
    assert cache.status_of("config") == "MISS"
    assert cache.save(leaf, "k", answered()) == answered()
    assert store.entries == {}


def test_a_broken_store_never_fails_the_request(caplog):
    cache = scope(MemoryStore(broken=True))
    assert cache.lookup(LEAF, "k") is None
    assert cache.status_of("config") == "MISS"
    assert cache.save(LEAF, "k", answered()) == answered()
    assert [r.getMessage() for r in caplog.records] == [
        "cache lookup failed, calling the provider: OperationalError",
        "answer not cached: OSError",
    ]


def test_a_request_json_cannot_hold_is_not_keyed():
    odd = ImageRequest({"x": float("nan")}, b"", "m", "p", 1, "auto", None, None, "url")
    cache = scope(MemoryStore())
    assert cache.key("openai", odd, Target("openai", None, ""), None) is None
    assert cache.lookup(LEAF, None) is None


def test_a_passed_through_bodys_other_fields_are_kept_for_the_hit():
    body = {
        "created": 5,
        "data": [{"b64_json": TINY_PNG_B64}],
        "usage": {"input_tokens": 9, "output_tokens": 4160, "total_tokens": 4169},
        "size": "1024x1024",
        "quality": "high",
        "output_format": "png",
        "background": "opaque",
    }
    raw = json.dumps(body).encode()
    entry, answer = to_entry(ImageResult(200, raw), ORIGIN, lambda i, o: TINY_PNG, clock=lambda: 9)
    assert answer == ImageResult(200, raw)
    extra = {k: v for k, v in body.items() if k not in ("created", "data")}
    assert entry.extra == extra
    hit = from_entry(entry, read=unread)
    assert hit.extra == extra
    assert hit.created == 5


def test_answers_the_gateway_renders_keep_no_extra_fields():
    result = ImageResult(200, images=(GeneratedImage(data=TINY_PNG),), created=3)
    entry, _ = to_entry(result, ORIGIN, fetched, clock=lambda: 9)
    assert entry.extra == {}


def test_a_providers_base64_is_stored_as_it_came_once_it_decodes_strictly():
    result = ImageResult(200, images=(GeneratedImage(b64_json="QR=="),))  # not canonical: "QQ=="
    entry, answer = to_entry(result, ORIGIN, fetched, clock=lambda: 9)
    assert entry.images[0].text == b"QR=="
    assert answer.images[0].data == b"A"


@pytest.mark.parametrize("text", ['AAAA"', "AAAA\nAAAA", "AA=A", "AAAAé"])
def test_base64_with_any_other_character_is_never_stored(text, caplog):
    store = MemoryStore()
    cache = scope(store)
    images = (GeneratedImage(b64_json=text),)
    sent = Answered(request(), ImageResult(200, images=images), ORIGIN)
    assert cache.save(LEAF, "k", sent) == sent
    assert store.entries == {}
    assert "answer not cached" in caplog.text
