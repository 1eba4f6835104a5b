"""The simple cache through the Flask app, with the provider mocked by ``responses``."""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from pathlib import Path

import pytest
import responses

from tests.e2e.fakes import TINY_PNG, TINY_PNG_B64
from tests.factories import OPENAI_URL, PROVIDER_KEY, auth_headers, encode, image_body
from tests.functional.conftest import log_rows

URL = "/v1/images/generations"
SIMPLE = json.dumps({"cache": {"mode": "simple"}})
# A second, different PNG (2x1 pixels), for answers that must be told apart.
OTHER_PNG = TINY_PNG[:16] + b"\x00\x00\x00\x02" + TINY_PNG[20:]
OTHER_PNG_B64 = base64.b64encode(OTHER_PNG).decode()


def b64_answer(b64: str = TINY_PNG_B64, created: int = 1_700_000_000) -> str:
    return json.dumps({"created": created, "data": [{"b64_json": b64, "revised_prompt": "rp"}]})


def post(client, config=SIMPLE, key=PROVIDER_KEY, **body):
    headers = auth_headers(key)
    if config is not None:
        headers["x-portkey-config"] = config
    body = image_body(**{"response_format": "b64_json", **body})
    return client.post(URL, data=encode(body), headers=headers)


def refresh(client, **body):
    headers = auth_headers(**{"x-portkey-config": SIMPLE, "x-portkey-cache-force-refresh": "1"})
    return client.post(
        URL, data=encode(image_body(response_format="b64_json", **body)), headers=headers
    )


def entries(app) -> list[dict]:
    app.extensions["gateway"].deps.cache.store.flush_hits()
    conn = sqlite3.connect(app.extensions["gateway"].settings.db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM cache_entries ORDER BY created_at")]
    finally:
        conn.close()


def hosted_files(app) -> list[str]:
    """Files of the image store (links the gateway hosts), not of the cache."""
    directory = app.extensions["gateway"].deps.delivery.store.directory
    if not directory.exists():
        return []
    return sorted(p.name for p in directory.iterdir() if not p.name.startswith("."))


def attempt_rows(app) -> list[tuple]:
    log_rows(app)  # flushes the log
    conn = sqlite3.connect(app.extensions["gateway"].settings.db_path)
    try:
        return conn.execute(
            "SELECT request_id, status, failure, skip_reason FROM request_attempts ORDER BY id"
        ).fetchall()
    finally:
        conn.close()


def cache_files(app) -> list[str]:
    directory = app.extensions["gateway"].deps.cache.store.directory
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_a_hit_returns_the_same_images_without_an_upstream_call(app, client, upstream):
    upstream.post(OPENAI_URL, body=b64_answer(), content_type="application/json")
    first = post(client)
    second = post(client)
    assert len(upstream.calls) == 1
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.headers["x-portkey-cache-status"] == "MISS"
    assert second.headers["x-portkey-cache-status"] == "HIT"
    assert second.get_json() == first.get_json()
    assert second.get_json() == json.loads(b64_answer())
    rows = sorted(log_rows(app), key=lambda r: r["id"])
    assert [r["cache_status"] for r in rows] == ["MISS", "HIT"]
    [entry] = entries(app)
    assert (entry["provider"], entry["model"], entry["team"], entry["hits"]) == (
        "openai",
        "dall-e-3",
        None,
        1,
    )
    assert entry["size_bytes"] == len(TINY_PNG_B64)  # the stored form: base64 text
    assert entry["expires_at"] - entry["created_at"] == 86_400  # no max_age: a day
    stored = json.loads(entry["entry"])
    name = stored["images"][0]["file"]
    assert stored == {
        "created": 1_700_000_000,
        "images": [{"file": name, "content_type": "image/png", "revised_prompt": "rp"}],
    }
    assert cache_files(app) == [name]


def test_force_refresh_makes_exactly_one_upstream_call_and_stores_the_answer(client, upstream):
    upstream.post(OPENAI_URL, body=b64_answer(), content_type="application/json")
    assert post(client).headers["x-portkey-cache-status"] == "MISS"
    upstream.replace(
        responses.POST, OPENAI_URL, body=b64_answer(OTHER_PNG_B64), content_type="application/json"
    )
    res = refresh(client)
    assert len(upstream.calls) == 2
    assert res.headers["x-portkey-cache-status"] == "REFRESH"
    assert res.get_json()["data"][0]["b64_json"] == OTHER_PNG_B64
    hit = post(client)
    assert len(upstream.calls) == 2
    assert hit.headers["x-portkey-cache-status"] == "HIT"
    assert hit.get_json()["data"][0]["b64_json"] == OTHER_PNG_B64


@pytest.mark.parametrize("status", [400, 429, 500])
def test_error_answers_are_never_cached(app, client, upstream, status):
    error = {"error": {"message": "no", "type": "server_error", "code": None, "param": None}}
    upstream.post(OPENAI_URL, status=status, json=error)
    first, second = post(client), post(client)
    assert (first.status_code, second.status_code) == (status, status)
    assert len(upstream.calls) == 2
    assert second.headers["x-portkey-cache-status"] == "MISS"
    assert entries(app) == []
    assert cache_files(app) == []


def test_an_answer_that_is_not_an_image_is_not_cached(app, client, upstream):
    upstream.post(OPENAI_URL, json={"created": 1, "data": []})
    assert post(client).status_code == 502
    assert entries(app) == []


def test_without_a_cache_config_nothing_is_stored_and_the_status_is_disabled(app, client, upstream):
    upstream.post(OPENAI_URL, body=b64_answer(), content_type="application/json")
    headers = auth_headers(**{"x-portkey-cache-force-refresh": "true"})
    for _ in range(2):
        res = client.post(URL, data=encode(image_body(response_format="b64_json")), headers=headers)
        assert res.headers["x-portkey-cache-status"] == "DISABLED"
    assert len(upstream.calls) == 2
    assert entries(app) == []


def test_semantic_mode_is_accepted_and_always_misses(app, client, upstream):
    upstream.post(OPENAI_URL, body=b64_answer(), content_type="application/json")
    semantic = json.dumps({"cache": {"mode": "semantic", "max_age": 60}})
    statuses = [post(client, config=semantic).headers["x-portkey-cache-status"] for _ in range(2)]
    assert statuses == ["MISS", "MISS"]
    assert len(upstream.calls) == 2
    assert entries(app) == []


def test_two_provider_keys_never_share_an_entry(app, client, upstream):
    upstream.post(OPENAI_URL, body=b64_answer(), content_type="application/json")
    other = "sk-test-OTHERKEY0123456789abcdefABCDEF"
    statuses = [
        post(client, key=key).headers["x-portkey-cache-status"]
        for key in (PROVIDER_KEY, other, PROVIDER_KEY, other)
    ]
    assert statuses == ["MISS", "MISS", "HIT", "HIT"]
    assert len(upstream.calls) == 2
    assert len(entries(app)) == 2
    assert len(cache_files(app)) == 1  # same image bytes: one content-addressed file


def test_every_parameter_after_override_params_is_part_of_the_key(client, upstream):
    upstream.post(OPENAI_URL, body=b64_answer(), content_type="application/json")
    hd = json.dumps({"cache": {"mode": "simple"}, "override_params": {"quality": "hd"}})
    assert post(client).headers["x-portkey-cache-status"] == "MISS"
    assert post(client, config=hd).headers["x-portkey-cache-status"] == "MISS"
    assert post(client, config=hd, quality="standard").headers["x-portkey-cache-status"] == "HIT"
    assert post(client, user="u1").headers["x-portkey-cache-status"] == "MISS"
    assert post(client, prompt="another").headers["x-portkey-cache-status"] == "MISS"
    assert len(upstream.calls) == 4


def test_the_provider_key_is_stored_nowhere(app, client, upstream):
    upstream.post(OPENAI_URL, body=b64_answer(), content_type="application/json")
    post(client)
    assert post(client).headers["x-portkey-cache-status"] == "HIT"
    log_rows(app)
    data_dir = app.extensions["gateway"].settings.data_dir
    files = [p for p in Path(data_dir).rglob("*") if p.is_file()]
    assert any(p.parent.name == "cache" for p in files)
    for path in files:
        content = path.read_bytes()
        assert PROVIDER_KEY.encode() not in content, path
        assert PROVIDER_KEY[-12:].encode() not in content, path


def test_lru_eviction_keeps_the_budget(make_app, upstream):
    app = make_app(cache_max_mb=1)
    client = app.test_client()
    # Stored as base64 text: 400,012 bytes each, so two fit in the budget and three do not.
    big = {p: b"\x89PNG\r\n\x1a\n" + bytes([i]) * 300_000 for i, p in enumerate("abc")}

    def answer(request):
        prompt = json.loads(request.body)["prompt"]
        return 200, {}, b64_answer(base64.b64encode(big[prompt]).decode())

    upstream.add_callback(
        responses.POST, OPENAI_URL, callback=answer, content_type="application/json"
    )
    assert post(client, prompt="a").headers["x-portkey-cache-status"] == "MISS"
    assert post(client, prompt="b").headers["x-portkey-cache-status"] == "MISS"
    assert post(client, prompt="a").headers["x-portkey-cache-status"] == "HIT"  # b is now LRU
    assert post(client, prompt="c").headers["x-portkey-cache-status"] == "MISS"  # evicts b
    assert sum(e["size_bytes"] for e in entries(app)) == 800_024
    assert len(cache_files(app)) == 2
    assert post(client, prompt="a").headers["x-portkey-cache-status"] == "HIT"
    assert post(client, prompt="b").headers["x-portkey-cache-status"] == "MISS"
    assert len(upstream.calls) == 4


def test_entries_expire_after_max_age_seconds(app, client, upstream):
    now = [1_800_000_000.0]
    app.extensions["gateway"].deps.cache.store.clock = lambda: now[0]
    upstream.post(OPENAI_URL, body=b64_answer(), content_type="application/json")
    minute = json.dumps({"cache": {"mode": "simple", "max_age": 60}})
    assert post(client, config=minute).headers["x-portkey-cache-status"] == "MISS"
    now[0] += 59
    assert post(client, config=minute).headers["x-portkey-cache-status"] == "HIT"
    now[0] += 1
    assert post(client, config=minute).headers["x-portkey-cache-status"] == "MISS"
    assert len(upstream.calls) == 2
    [entry] = entries(app)
    assert (entry["created_at"], entry["expires_at"]) == (now[0], now[0] + 60)


def test_a_shorter_max_age_in_the_request_refuses_an_older_entry(app, client, upstream):
    now = [1_800_000_000.0]
    app.extensions["gateway"].deps.cache.store.clock = lambda: now[0]
    upstream.post(OPENAI_URL, body=b64_answer(), content_type="application/json")
    assert post(client).headers["x-portkey-cache-status"] == "MISS"
    now[0] += 120
    minute = json.dumps({"cache": {"mode": "simple", "max_age": 60}})
    assert post(client, config=minute).headers["x-portkey-cache-status"] == "MISS"
    assert len(upstream.calls) == 2


def test_a_url_answer_is_cached_as_bytes_and_a_hit_is_hosted_by_the_gateway(app, client, upstream):
    provider_url = "https://api.openai.com/v1/generated/a.png?sig=short-lived"
    body = {"created": 1_700_000_000, "data": [{"url": provider_url}]}
    upstream.post(OPENAI_URL, json=body)
    upstream.get(provider_url, body=TINY_PNG, content_type="image/png")
    first = post(client, response_format="url")
    assert first.get_json() == body  # the provider's link, passed through
    second = post(client, response_format="url")
    assert len(upstream.calls) == 2  # the answer and one fetch of its image
    assert second.headers["x-portkey-cache-status"] == "HIT"
    [item] = second.get_json()["data"]
    assert item["url"].startswith("http://localhost/v1/images/files/")
    image = client.get(item["url"])
    assert (image.status_code, image.data) == (200, TINY_PNG)


def test_a_b64_answer_asked_as_url_is_hosted_on_a_miss_and_on_a_hit(app, client, upstream):
    upstream.post(OPENAI_URL, body=b64_answer(), content_type="application/json")
    links = []
    for status in ("MISS", "HIT"):
        res = post(client, model="gpt-image-1", response_format="url")
        assert res.headers["x-portkey-cache-status"] == status
        [item] = res.get_json()["data"]
        assert item["revised_prompt"] == "rp"
        links.append(item["url"])
        assert client.get(item["url"]).data == TINY_PNG
    assert len(upstream.calls) == 1
    assert hosted_files(app) == [links[0].split("/")[-1].split("?")[0]]  # one file serves both


def test_an_image_that_cannot_be_fetched_is_answered_but_not_cached(app, client, upstream):
    provider_url = "https://api.openai.com/v1/generated/gone.png"
    upstream.post(OPENAI_URL, json={"created": 1, "data": [{"url": provider_url}]})
    upstream.get(provider_url, status=404)
    res = post(client, response_format="url")
    assert res.status_code == 200
    assert res.get_json()["data"] == [{"url": provider_url}]
    assert entries(app) == []


def test_the_placeholder_is_cached_too(app, client):
    headers = {
        "Content-Type": "application/json",
        "x-portkey-config": json.dumps({"provider": "placeholder", "cache": {"mode": "simple"}}),
    }
    body = encode({"prompt": "a fox", "size": "64x64", "n": 2, "response_format": "b64_json"})
    first = client.post(URL, data=body, headers=headers)
    second = client.post(URL, data=body, headers=headers)
    assert second.headers["x-portkey-cache-status"] == "HIT"
    assert second.get_json()["data"] == first.get_json()["data"]
    assert len(cache_files(app)) == 2


def test_the_status_is_the_one_of_the_target_that_answered(client, upstream):
    error = {"error": {"message": "bad key", "type": "invalid_request_error", "code": None}}
    upstream.post(OPENAI_URL, status=401, json=error, match=[_bearer("sk-bad")])
    upstream.post(
        OPENAI_URL,
        body=b64_answer(),
        content_type="application/json",
        match=[_bearer(PROVIDER_KEY)],
    )
    config = json.dumps(
        {
            "strategy": {"mode": "fallback"},
            "cache": {"mode": "simple"},
            "targets": [
                {"provider": "openai", "api_key": "sk-bad"},
                {"provider": "openai", "api_key": PROVIDER_KEY},
            ],
        }
    )
    first, second = post(client, config=config), post(client, config=config)
    assert first.headers["x-portkey-cache-status"] == "MISS"
    assert second.headers["x-portkey-cache-status"] == "HIT"
    assert second.headers["x-portkey-last-used-option-index"] == "config.targets[1]"
    # The failing target is tried again (its error was not cached); the second is not.
    assert len(upstream.calls) == 3


def _bearer(key):
    return responses.matchers.header_matcher({"Authorization": f"Bearer {key}"})


def test_url_hits_write_no_new_hosted_file(app, client, upstream):
    upstream.post(OPENAI_URL, body=b64_answer(), content_type="application/json")
    links = []
    for status in ("MISS", "HIT", "HIT", "HIT"):
        res = post(client, model="gpt-image-1", response_format="url")
        assert res.headers["x-portkey-cache-status"] == status
        links.append(res.get_json()["data"][0]["url"])
    assert len(hosted_files(app)) == 1
    for link in links:
        assert client.get(link).data == TINY_PNG


def test_requests_that_mean_the_same_thing_share_an_entry(client, upstream):
    provider_url = "https://api.openai.com/v1/generated/a.png"
    upstream.post(OPENAI_URL, json={"created": 1_700_000_000, "data": [{"url": provider_url}]})
    upstream.get(provider_url, body=TINY_PNG, content_type="image/png")
    headers = auth_headers(**{"x-portkey-config": SIMPLE})
    short = {"prompt": "a"}
    explicit = {"prompt": "a", "n": 1, "model": "dall-e-2", "response_format": "url"}
    first = client.post(URL, data=encode(short), headers=headers)
    second = client.post(URL, data=encode(explicit), headers=headers)
    assert first.headers["x-portkey-cache-status"] == "MISS"
    assert second.headers["x-portkey-cache-status"] == "HIT"
    assert len(upstream.calls) == 2  # the answer and one fetch of its image


def test_a_hit_of_a_passed_through_body_keeps_its_other_top_level_fields(client, upstream):
    body = {
        "created": 1_700_000_000,
        "background": "opaque",
        "data": [{"b64_json": TINY_PNG_B64}],
        "output_format": "png",
        "quality": "high",
        "size": "1024x1024",
        "usage": {
            "input_tokens": 9,
            "input_tokens_details": {"image_tokens": 0, "text_tokens": 9},
            "output_tokens": 4160,
            "total_tokens": 4169,
        },
    }
    upstream.post(OPENAI_URL, json=body)
    miss = post(client, model="gpt-image-1", quality="high")
    hit = post(client, model="gpt-image-1", quality="high")
    assert (miss.headers["x-portkey-cache-status"], hit.headers["x-portkey-cache-status"]) == (
        "MISS",
        "HIT",
    )
    assert miss.get_json() == body
    assert hit.get_json() == body
    assert list(hit.get_json())[:2] == ["created", "data"]


def test_a_hit_is_marked_in_the_attempt_log_and_has_no_upstream_latency(app, client, upstream):
    upstream.post(OPENAI_URL, body=b64_answer(), content_type="application/json")
    miss, hit = post(client), post(client)
    assert hit.headers["x-portkey-cache-status"] == "HIT"
    rows = {r["request_id"]: r for r in log_rows(app)}
    assert rows[miss.headers["x-request-id"]]["upstream_latency_ms"] is not None
    assert rows[hit.headers["x-request-id"]]["upstream_latency_ms"] is None
    assert attempt_rows(app) == [
        (miss.headers["x-request-id"], 200, None, None),
        (hit.headers["x-request-id"], 200, None, "cache hit"),
    ]


def test_a_hit_after_a_failed_target_counts_only_the_failed_call(app, client, upstream):
    error = {"error": {"message": "bad key", "type": "invalid_request_error", "code": None}}
    upstream.post(OPENAI_URL, status=401, json=error, match=[_bearer("sk-bad")])
    upstream.post(
        OPENAI_URL,
        body=b64_answer(),
        content_type="application/json",
        match=[_bearer(PROVIDER_KEY)],
    )
    config = json.dumps(
        {
            "strategy": {"mode": "fallback"},
            "cache": {"mode": "simple"},
            "targets": [
                {"provider": "openai", "api_key": "sk-bad"},
                {"provider": "openai", "api_key": PROVIDER_KEY},
            ],
        }
    )
    post(client, config=config)
    hit = post(client, config=config)
    assert hit.headers["x-portkey-cache-status"] == "HIT"
    rid = hit.headers["x-request-id"]
    assert [a[1:] for a in attempt_rows(app) if a[0] == rid] == [
        (401, None, None),
        (200, None, "cache hit"),
    ]
    row = {r["request_id"]: r for r in log_rows(app)}[rid]
    assert row["upstream_latency_ms"] is not None


def test_a_misses_upstream_latency_leaves_out_storing_the_answer(
    app, client, upstream, monkeypatch
):
    store = app.extensions["gateway"].deps.cache.store
    put = store.put

    def slow_put(*args, **kwargs):
        time.sleep(0.5)  # a slow disk
        return put(*args, **kwargs)

    monkeypatch.setattr(store, "put", slow_put)
    upstream.post(OPENAI_URL, body=b64_answer(), content_type="application/json")
    res = post(client)
    assert res.headers["x-portkey-cache-status"] == "MISS"
    [row] = log_rows(app)
    assert row["latency_ms"] >= 500
    assert row["upstream_latency_ms"] < 500
    assert post(client).headers["x-portkey-cache-status"] == "HIT"  # it was stored
