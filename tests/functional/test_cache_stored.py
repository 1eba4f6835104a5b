"""Cache hits served from the stored base64 text, through the Flask app (``responses`` upstream)."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3

from gateway.cache.files import text_name
from tests.e2e.fakes import TINY_PNG, TINY_PNG_B64
from tests.factories import OPENAI_URL
from tests.functional.test_cache import b64_answer, cache_files, entries, hosted_files, post

COMPACT = {"separators": (",", ":"), "ensure_ascii": False}


def store_of(app):
    return app.extensions["gateway"].deps.cache.store


def count_reads(app, monkeypatch) -> list[str]:
    """The files whose text the cache reads from now on."""
    store, read = store_of(app), store_of(app).text
    names: list[str] = []

    def counted(name: str) -> bytes:
        names.append(name)
        return read(name)

    monkeypatch.setattr(store, "text", counted)
    return names


def count_hostings(app, monkeypatch) -> list[int]:
    """The images the image store is given to host (and so to name by their bytes)."""
    images = app.extensions["gateway"].deps.delivery.store
    put = images.put
    sizes: list[int] = []

    def counted(data: bytes):
        sizes.append(len(data))
        return put(data)

    monkeypatch.setattr(images, "put", counted)
    return sizes


def test_a_b64_hit_is_byte_identical_to_the_first_answer(app, client, upstream):
    body = {
        "created": 1_700_000_000,
        "data": [{"b64_json": TINY_PNG_B64, "revised_prompt": 'a "café" ☕'}],
        "usage": {"total_tokens": 4169},
        "size": "1024x1024",
        "quality": "high",
    }
    upstream.post(OPENAI_URL, body=json.dumps(body, **COMPACT), content_type="application/json")
    miss = post(client, model="gpt-image-1", quality="high")
    hit = post(client, model="gpt-image-1", quality="high")
    assert (miss.headers["x-portkey-cache-status"], hit.headers["x-portkey-cache-status"]) == (
        "MISS",
        "HIT",
    )
    assert hit.data == miss.data == json.dumps(body, **COMPACT).encode()
    assert (hit.headers["x-gateway-cost-usd"], len(upstream.calls)) == ("0.000000", 1)


def test_a_b64_hit_reads_its_text_once_and_decodes_nothing(app, client, upstream, monkeypatch):
    upstream.post(OPENAI_URL, body=b64_answer(), content_type="application/json")
    post(client)
    reads = count_reads(app, monkeypatch)
    monkeypatch.setattr(base64, "b64decode", None)  # any decoding would fail the hit
    monkeypatch.setattr(base64, "b64encode", None)
    hit = post(client)
    assert hit.headers["x-portkey-cache-status"] == "HIT"
    assert hit.get_json()["data"][0]["b64_json"] == TINY_PNG_B64
    assert reads == [text_name(TINY_PNG_B64.encode())]


def test_a_url_hit_links_to_the_hosted_file_without_reading_the_image(
    app, client, upstream, monkeypatch
):
    upstream.post(OPENAI_URL, body=b64_answer(), content_type="application/json")
    miss = post(client, model="gpt-image-1", response_format="url")  # hosted by the miss
    reads, hostings = count_reads(app, monkeypatch), count_hostings(app, monkeypatch)
    hit = post(client, model="gpt-image-1", response_format="url")
    assert hit.headers["x-portkey-cache-status"] == "HIT"
    assert (reads, hostings) == ([], [])
    link = hit.get_json()["data"][0]["url"]
    assert link.split("?")[0] == miss.get_json()["data"][0]["url"].split("?")[0]
    assert client.get(link).data == TINY_PNG


def test_a_url_hit_whose_hosted_file_expired_hosts_it_again_once(
    app, client, upstream, monkeypatch
):
    upstream.post(OPENAI_URL, body=b64_answer(), content_type="application/json")
    post(client, model="gpt-image-1", response_format="url")
    [name] = hosted_files(app)
    (app.extensions["gateway"].deps.delivery.store.directory / name).unlink()  # swept
    reads, hostings = count_reads(app, monkeypatch), count_hostings(app, monkeypatch)
    links = [post(client, model="gpt-image-1", response_format="url") for _ in range(2)]
    assert [r.headers["x-portkey-cache-status"] for r in links] == ["HIT", "HIT"]
    assert (len(reads), hostings) == (1, [len(TINY_PNG)])  # the second hit reuses the file
    assert hosted_files(app) == [name]
    assert client.get(links[1].get_json()["data"][0]["url"]).data == TINY_PNG


def test_a_tampered_file_is_a_miss_and_the_answer_is_stored_again(app, client, upstream, caplog):
    upstream.post(OPENAI_URL, body=b64_answer(), content_type="application/json")
    post(client)
    [name] = cache_files(app)
    (store_of(app).directory / name).write_bytes(b'AAAA"}],"injected":1,"x":["')
    again = post(client)
    assert again.headers["x-portkey-cache-status"] == "MISS"
    assert f"cache file {name[:12]}... is corrupt" in caplog.text
    hit = post(client)
    assert hit.headers["x-portkey-cache-status"] == "HIT"
    assert hit.get_json() == json.loads(b64_answer())
    assert len(upstream.calls) == 2


def test_an_entry_written_before_base64_files_is_still_a_hit(app, client, upstream):
    upstream.post(OPENAI_URL, body=b64_answer(), content_type="application/json")
    first = post(client)
    [entry] = entries(app)
    # Rewrite the entry as the gateway stored it before: a raw image file, named by its bytes.
    raw_name = hashlib.sha256(TINY_PNG).hexdigest() + ".png"
    directory = store_of(app).directory
    (directory / raw_name).write_bytes(TINY_PNG)
    (directory / text_name(TINY_PNG_B64.encode())).unlink()
    old = json.loads(entry["entry"])
    old["images"][0]["file"] = raw_name
    conn = sqlite3.connect(app.extensions["gateway"].settings.db_path)
    with conn:
        conn.execute(
            "UPDATE cache_entries SET entry = ?, size_bytes = ?",
            (json.dumps(old), len(TINY_PNG)),
        )
    conn.close()
    hit = post(client)
    assert hit.headers["x-portkey-cache-status"] == "HIT"
    assert hit.get_json() == first.get_json()
    assert len(upstream.calls) == 1


def test_the_budget_counts_the_stored_base64_text(make_app, upstream):
    app = make_app(cache_max_mb=1)
    client = app.test_client()
    fits = b"\x89PNG\r\n\x1a\n" + b"\x01" * 700_000  # 933,344 bytes of text
    too_big = b"\x89PNG\r\n\x1a\n" + b"\x02" * 800_000  # 800 KB of bytes, but 1.07 MB of text

    def answer(request):
        image = fits if json.loads(request.body)["prompt"] == "fits" else too_big
        return 200, {}, b64_answer(base64.b64encode(image).decode())

    upstream.add_callback("POST", OPENAI_URL, callback=answer, content_type="application/json")
    post(client, prompt="fits")
    post(client, prompt="too big")
    [entry] = entries(app)
    assert entry["size_bytes"] == len(base64.b64encode(fits)) == 933_344
    assert store_of(app).stats()["file_bytes"] == 933_344
