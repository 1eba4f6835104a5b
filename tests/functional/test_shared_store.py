"""Two instances on one PostgreSQL store (each its own data directory): what one stores,
the other serves. Cache hits, hosted links, their expiry and budget, and the secrets both
must agree on (pepper, URL-signing key, cache key)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from gateway import create_app
from gateway.store.secrets import SharedSecretError
from gateway.store.tables import blobs, shared_secrets
from tests.e2e.fakes import TINY_PNG, TINY_PNG_B64
from tests.factories import (
    MASTER_KEY_1,
    MASTER_KEY_2,
    OPENAI_URL,
    auth_headers,
    encode,
    image_body,
    settings,
)
from tests.store_servers import fresh_database, postgres_url

URL = "/v1/images/generations"
SIMPLE = json.dumps({"cache": {"mode": "simple"}})
PLACEHOLDER = {"Content-Type": "application/json", "x-portkey-provider": "placeholder"}


@pytest.fixture(scope="session")
def postgres_server() -> str:
    return postgres_url()


@pytest.fixture
def shared_url(postgres_server: str) -> Iterator[str]:
    with fresh_database(postgres_server) as url:
        yield url


@pytest.fixture
def instance(tmp_path: Any, shared_url: str) -> Iterator[Any]:
    """``instance("a")``: an app on the shared database with its own data directory."""
    apps: list[Flask] = []

    def build(name: str, master_key: str = MASTER_KEY_1, **overrides: Any) -> Flask:
        config = settings(
            tmp_path / name, database_url=shared_url, master_keys=(master_key,), **overrides
        )
        app = create_app(config)
        apps.append(app)
        return app

    yield build
    for app in apps:
        state = app.extensions["gateway"]
        state.request_log.flush()
        state.database.dispose()


def post(app: Flask, **body: Any) -> Any:
    headers = auth_headers(**{"x-portkey-config": SIMPLE})
    body = image_body(**{"response_format": "b64_json", **body})
    return app.test_client().post(URL, data=encode(body), headers=headers)


def placeholder(app: Flask, **body: Any) -> Any:
    """An image from the built-in placeholder provider, asked as a link unless said."""
    body = {"prompt": "p", "size": "64x64", **body}
    return app.test_client().post(URL, data=encode(body), headers=PLACEHOLDER)


def b64_answer() -> str:
    return json.dumps({"created": 1_700_000_000, "data": [{"b64_json": TINY_PNG_B64}]})


def count(app: Flask, table: Any, *where: Any) -> int:
    with app.extensions["gateway"].database.read() as conn:
        return int(conn.scalar(select(func.count()).select_from(table).where(*where)))


def test_an_answer_cached_by_one_instance_is_a_hit_on_another(instance, upstream, tmp_path):
    a, b = instance("a"), instance("b")
    upstream.post(OPENAI_URL, body=b64_answer(), content_type="application/json")
    miss, hit = post(a), post(b)
    assert len(upstream.calls) == 1
    assert miss.headers["x-portkey-cache-status"] == "MISS"
    assert hit.headers["x-portkey-cache-status"] == "HIT"
    assert hit.get_json() == miss.get_json()
    assert hit.get_json()["data"][0]["b64_json"] == TINY_PNG_B64
    # The image text is a row every instance reads, not a file of the one that stored it.
    assert count(b, blobs, blobs.c.kind == "cache") == 1
    assert not (tmp_path / "a" / "data" / "cache").exists()
    stats = b.extensions["gateway"].deps.cache.store.stats()
    assert (stats["entries"], stats["hits"], stats["files"]) == (1, 1, 1)


def test_a_url_entry_cached_by_one_instance_links_to_an_image_the_other_serves(instance, upstream):
    a, b = instance("a"), instance("b")
    upstream.post(OPENAI_URL, body=b64_answer(), content_type="application/json")
    miss = post(a, model="gpt-image-1", response_format="url")
    hit = post(b, model="gpt-image-1", response_format="url")
    assert hit.headers["x-portkey-cache-status"] == "HIT"
    link = hit.get_json()["data"][0]["url"]
    assert link.split("?")[0] == miss.get_json()["data"][0]["url"].split("?")[0]
    served = a.test_client().get(link)  # minted by b, served by a
    assert (served.status_code, served.data) == (200, TINY_PNG)
    assert count(a, blobs, blobs.c.kind == "image") == 1


def test_a_hosted_link_minted_by_one_instance_is_served_by_another(instance, tmp_path):
    a, b = instance("a"), instance("b")
    res = placeholder(a)
    url = res.get_json()["data"][0]["url"]
    served = b.test_client().get(url)
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["Cache-Control"].startswith("private, max-age=")
    assert served.data.startswith(b"\x89PNG")
    assert not (tmp_path / "a" / "data" / "images").exists()
    tampered = b.test_client().get(url.replace("signature=", "signature=0"))
    assert tampered.status_code == 404


def test_an_expired_link_is_404_everywhere_and_the_sweep_removes_its_row(instance):
    a, b = instance("a"), instance("b")
    res = placeholder(a)
    url = res.get_json()["data"][0]["url"]
    store_b = b.extensions["gateway"].deps.delivery.store
    assert count(b, blobs) == 1
    store_b.clock = lambda: time.time() + store_b.ttl_s + 1
    assert b.test_client().get(url).status_code == 404
    assert store_b.sweep() == 1  # b sweeps what a stored
    assert count(a, blobs) == 0
    store_a = a.extensions["gateway"].deps.delivery.store
    assert a.test_client().get(url).status_code == 404  # gone for a too, though unexpired
    assert store_a.sweep() == 0


def test_a_full_shared_store_answers_507(instance):
    a = instance("a")
    a.extensions["gateway"].deps.delivery.store.max_bytes = 10
    res = placeholder(a)
    assert res.status_code == 507
    assert res.get_json()["error"]["code"] == "image_store_full"
    b64 = placeholder(a, response_format="b64_json")
    assert b64.status_code == 200  # what the 507 tells the caller to do


def secrets_of(app: Flask) -> tuple[bytes, bytes, bytes]:
    deps = app.extensions["gateway"].deps
    return deps.authenticate.__self__.pepper, deps.delivery.store.key, deps.cache.secret


def test_instances_started_at_once_agree_on_the_secrets_and_keep_them(instance):
    apps: list[Flask] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def start(name: str) -> None:
        try:
            barrier.wait()
            apps.append(instance(name))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(name,)) for name in "abc"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    found = {secrets_of(app) for app in apps}
    assert len(found) == 1
    pepper, signing, cache = found.pop()
    assert len({pepper, signing, cache}) == 3
    assert count(apps[0], shared_secrets) == 3
    assert secrets_of(instance("a")) == (pepper, signing, cache)  # a restart reads them


def test_an_api_key_made_on_one_instance_is_accepted_by_another(instance):
    from gateway.credentials import api_keys

    a, b = instance("a"), instance("b")
    creds_a = a.extensions["gateway"].deps.authenticate.__self__
    key, _ = api_keys.create(creds_a.store, creds_a.pepper, "design", time.time())
    assert b.extensions["gateway"].deps.authenticate(key) is not None


def test_an_instance_with_another_master_key_refuses_to_start(instance):
    instance("a")
    with pytest.raises(SharedSecretError, match="does not decrypt with GATEWAY_MASTER_KEY"):
        instance("b", master_key=MASTER_KEY_2)
