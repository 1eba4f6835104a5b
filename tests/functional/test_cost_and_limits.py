"""Cost of each request (header and log row) and the per-key limits, through the Flask app."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from gateway.cli import main as cli
from tests.e2e.fakes import TINY_PNG_B64
from tests.factories import OPENAI_URL, auth_headers, encode, image_body
from tests.functional.conftest import log_rows

URL = "/v1/images/generations"
COST = "x-gateway-cost-usd"
# 2026-11-26T03:30:15Z: 45 s to the next minute, 73,785 s to the next UTC day.
NOW = datetime(2026, 11, 26, 3, 30, 15, tzinfo=timezone.utc).timestamp()


def urls(n: int) -> bytes:
    data = [{"url": f"https://img.example/{i}.png"} for i in range(n)]
    return json.dumps({"created": 1_700_000_000, "data": data}).encode()


def post(client, headers=None, **body):
    return client.post(
        URL, data=encode(image_body(**body)), headers=auth_headers(**(headers or {}))
    )


@pytest.mark.parametrize(
    ("body", "answer", "header", "cost", "images"),
    [
        ({"quality": "hd"}, urls(1), "0.080000", 80_000, 1),
        ({}, urls(1), "0.040000", 40_000, 1),
        ({"size": "1792x1024", "quality": "hd"}, urls(1), "0.120000", 120_000, 1),
        ({"model": "dall-e-2", "size": "256x256", "n": 3}, urls(3), "0.048000", 48_000, 3),
        # Fewer images than asked: only those returned are paid for.
        ({"model": "dall-e-2", "size": "512x512", "n": 3}, urls(2), "0.036000", 36_000, 2),
    ],
)
def test_cost_header_and_log_row(app, client, upstream, body, answer, header, cost, images):
    upstream.post(OPENAI_URL, body=answer, content_type="application/json")
    res = post(client, **body)
    assert res.status_code == 200
    assert res.headers[COST] == header
    [row] = log_rows(app)
    assert (row["cost_micro_usd"], row["images"], row["cache_status"]) == (
        cost,
        images,
        "DISABLED",
    )


def test_a_parsed_answer_is_counted_and_priced(app, client, upstream):
    answer = {"created": 1, "data": [{"b64_json": TINY_PNG_B64}], "usage": {"total_tokens": 1}}
    upstream.post(OPENAI_URL, json=answer)
    res = post(client, model="gpt-image-1", quality="low", response_format="url")
    assert res.status_code == 200
    assert res.headers[COST] == "0.011000"
    [row] = log_rows(app)
    assert (row["cost_micro_usd"], row["images"]) == (11_000, 1)


def test_an_unknown_price_has_no_header_and_no_cost(app, client, upstream):
    upstream.post(OPENAI_URL, json={"created": 1, "data": [{"b64_json": TINY_PNG_B64}]})
    res = post(client, model="dall-e-4")  # a model without a published price
    assert res.status_code == 200
    assert COST not in res.headers
    [row] = log_rows(app)
    assert (row["cost_micro_usd"], row["images"]) == (None, 1)


def gpt_image(**stated: str) -> bytes:
    """A gpt-image answer: its image first, then what it made, at top level (as OpenAI's)."""
    return json.dumps(
        {"created": 1, "data": [{"b64_json": TINY_PNG_B64}], **stated, "usage": {"total_tokens": 9}}
    ).encode()


@pytest.mark.parametrize(
    ("body", "stated", "header"),
    [
        # quality auto (gpt-image's default): charged at the quality the answer says it made,
        # from a body passed through untouched ...
        ({"response_format": "b64_json"}, {"size": "1024x1024", "quality": "medium"}, "0.042000"),
        # ... and from a parsed one (url asked: the gateway hosts the image).
        ({"response_format": "url"}, {"size": "1024x1024", "quality": "low"}, "0.011000"),
        ({"size": "auto", "quality": "high"}, {"size": "1536x1024", "quality": "high"}, "0.250000"),
        ({"size": "auto", "quality": "low"}, {"size": "1024x1024", "quality": "low"}, "0.011000"),
        # The answer does not say: the estimate stands, the dearest choice (high).
        ({"response_format": "b64_json"}, {}, "0.167000"),
        ({"size": "auto"}, {}, "0.250000"),
    ],
)
def test_auto_is_charged_at_what_the_answer_says_it_made(
    app, client, upstream, body, stated, header
):
    upstream.post(OPENAI_URL, body=gpt_image(**stated), content_type="application/json")
    res = post(client, model="gpt-image-1", **body)
    assert res.status_code == 200
    assert res.headers[COST] == header
    [row] = log_rows(app)
    assert row["cost_micro_usd"] == int(header.replace(".", ""))


def test_the_placeholder_costs_nothing(app, client):
    res = client.post(
        URL,
        data=encode({"prompt": "p", "n": 2, "size": "64x64"}),
        headers={"Content-Type": "application/json", "x-portkey-provider": "placeholder"},
    )
    assert res.status_code == 200
    assert res.headers[COST] == "0.000000"
    [row] = log_rows(app)
    assert (row["cost_micro_usd"], row["images"]) == (0, 2)


def test_a_failed_request_costs_nothing_known(app, client, upstream):
    upstream.post(OPENAI_URL, status=500, json={"error": {"message": "boom"}})
    res = post(client)
    assert res.status_code == 500
    assert COST not in res.headers
    [row] = log_rows(app)
    assert (row["cost_micro_usd"], row["images"]) == (None, None)


def test_a_cache_hit_costs_nothing(app, client, upstream):
    upstream.post(OPENAI_URL, json={"created": 1, "data": [{"b64_json": TINY_PNG_B64}]})
    config = {"x-portkey-config": json.dumps({"cache": {"mode": "simple"}})}
    miss = post(client, config, response_format="b64_json")
    hit = post(client, config, response_format="b64_json")
    assert (miss.headers["x-portkey-cache-status"], miss.headers[COST]) == ("MISS", "0.040000")
    assert (hit.headers["x-portkey-cache-status"], hit.headers[COST]) == ("HIT", "0.000000")
    rows = log_rows(app)
    assert sorted((r["cache_status"], r["cost_micro_usd"]) for r in rows) == [
        ("HIT", 0),
        ("MISS", 40_000),
    ]


# Limits per gateway API key.


@pytest.fixture
def make_limited(make_app, monkeypatch):
    """``make_limited(**settings)``: an app with a fixed wall clock, and
    ``app.key(team, *limits)``: a new team key with limits."""

    def build(**overrides):
        app = make_app(**overrides)
        state = app.extensions["gateway"]
        app.extensions["gateway"] = dataclasses.replace(
            state, deps=dataclasses.replace(state.deps, wall_clock=lambda: NOW)
        )
        monkeypatch.setenv("GATEWAY_DATA_DIR", state.settings.data_dir)
        runner = CliRunner()

        def key(team: str = "design", *limits: str) -> str:
            created = runner.invoke(cli, ["api-keys", "create", "--name", team])
            assert created.exit_code == 0, created.output
            out = runner.invoke(cli, ["api-keys", "limits", team, *limits])
            assert out.exit_code == 0, out.output
            return created.stdout.strip()

        app.key = key
        return app

    return build


@pytest.fixture
def limited(make_limited):
    return make_limited()


def keyed(app, key, **body):
    return post(app.test_client(), {"x-portkey-api-key": key}, **body)


def refusal(res) -> tuple[int, dict, str, str]:
    return (
        res.status_code,
        res.get_json(),
        res.headers.get("Retry-After"),
        res.headers.get("x-should-retry"),
    )


def test_requests_per_minute(limited, upstream):
    key = limited.key("design", "--rpm", "2")
    upstream.post(OPENAI_URL, body=urls(1), content_type="application/json")
    upstream.post(OPENAI_URL, body=urls(1), content_type="application/json")
    assert [keyed(limited, key).status_code for _ in range(2)] == [200, 200]
    assert refusal(keyed(limited, key)) == (
        429,
        {
            "error": {
                "message": "Rate limit reached: this API key allows 2 requests per minute.",
                "type": "rate_limit_exceeded",
                "param": None,
                "code": "rate_limit_rpm",
            }
        },
        "45",
        "true",
    )
    assert len(upstream.calls) == 2
    rows = log_rows(limited)
    assert sorted((r["status"], r["error_code"], r["team"]) for r in rows) == [
        (200, None, "design"),
        (200, None, "design"),
        (429, "rate_limit_rpm", "design"),
    ]


def test_images_per_minute(limited, upstream):
    key = limited.key("design", "--ipm", "4")
    upstream.post(OPENAI_URL, body=urls(3), content_type="application/json")
    assert keyed(limited, key, model="dall-e-2", n=3).status_code == 200
    assert refusal(keyed(limited, key, model="dall-e-2", n=2)) == (
        429,
        {
            "error": {
                "message": "Rate limit reached: this API key allows 4 images per minute.",
                "type": "rate_limit_exceeded",
                "param": None,
                "code": "rate_limit_ipm",
            }
        },
        "45",
        "true",
    )
    upstream.post(OPENAI_URL, body=urls(1), content_type="application/json")
    assert keyed(limited, key, model="dall-e-2", n=1).status_code == 200


def test_more_images_than_the_minute_allows_is_never_retried(limited):
    key = limited.key("design", "--ipm", "4")
    res = keyed(limited, key, model="dall-e-2", n=5)
    assert refusal(res)[1:] == (
        {
            "error": {
                "message": "Rate limit reached: this API key allows 4 images per minute; "
                "this request asks for 5.",
                "type": "rate_limit_exceeded",
                "param": "n",
                "code": "rate_limit_ipm",
            }
        },
        "45",
        "false",
    )


def test_daily_budget_admits_what_it_can_pay_for(limited, upstream):
    key = limited.key("design", "--daily-usd", "0.10")  # two $0.04 images, not three
    for _ in range(2):
        upstream.post(OPENAI_URL, body=urls(1), content_type="application/json")
    assert [keyed(limited, key).status_code for _ in range(2)] == [200, 200]
    assert refusal(keyed(limited, key)) == (
        429,
        {
            "error": {
                "message": "Budget reached: this API key may spend $0.10 per UTC day; "
                "$0.08 spent, this request may cost $0.04.",
                "type": "rate_limit_exceeded",
                "param": None,
                "code": "budget_daily",
            }
        },
        "73785",
        "false",
    )


def test_monthly_budget(limited, upstream):
    key = limited.key("design", "--monthly-usd", "0.05")
    upstream.post(OPENAI_URL, body=urls(1), content_type="application/json")
    assert keyed(limited, key).status_code == 200
    status, body, retry_after, retry = refusal(keyed(limited, key, quality="hd"))
    assert (status, body["error"]["code"], retry_after, retry) == (
        429,
        "budget_monthly",
        str(4 * 86400 + 20 * 3600 + 29 * 60 + 45),  # to 2026-12-01T00:00:00Z
        "false",
    )
    assert body["error"]["message"] == (
        "Budget reached: this API key may spend $0.05 per UTC month; $0.04 spent, "
        "this request may cost $0.08."
    )


def test_a_failed_request_releases_its_reserved_spend(limited, upstream):
    key = limited.key("design", "--daily-usd", "0.04")
    upstream.post(OPENAI_URL, status=500, json={"error": {"message": "boom"}})
    assert keyed(limited, key).status_code == 500
    upstream.post(OPENAI_URL, body=urls(1), content_type="application/json")
    assert keyed(limited, key).status_code == 200
    assert refusal(keyed(limited, key))[1]["error"]["code"] == "budget_daily"


def test_a_cache_hit_spends_nothing_from_the_budget(limited, upstream):
    key = limited.key("design", "--daily-usd", "0.08")  # two paid $0.04 images
    for _ in range(2):
        upstream.post(OPENAI_URL, json={"created": 1, "data": [{"b64_json": TINY_PNG_B64}]})
    headers = {
        "x-portkey-api-key": key,
        "x-portkey-config": json.dumps({"cache": {"mode": "simple"}}),
    }
    client = limited.test_client()
    statuses = [
        post(client, headers, response_format="b64_json").headers["x-portkey-cache-status"]
        for _ in range(4)
    ]
    assert statuses == ["MISS", "HIT", "HIT", "HIT"]
    other = post(client, headers, response_format="b64_json", prompt="another prompt")
    assert (other.status_code, other.headers["x-portkey-cache-status"]) == (200, "MISS")
    # $0.08 paid: even a hit is refused now, as its estimate must fit the budget first.
    refused = post(client, headers, response_format="b64_json")
    assert refused.get_json()["error"]["message"] == (
        "Budget reached: this API key may spend $0.08 per UTC day; $0.08 spent."
    )


def test_quality_auto_reserves_its_dearest_choice_and_settles_at_what_was_made(limited, upstream):
    key = limited.key("design", "--daily-usd", "0.18")
    body = {"model": "gpt-image-1", "response_format": "b64_json"}  # quality auto
    # Reserved: $0.167 (high, the dearest at 1024x1024); made and charged: low, $0.011.
    upstream.post(OPENAI_URL, json=json.loads(gpt_image(size="1024x1024", quality="low")))
    assert keyed(limited, key, **body).headers[COST] == "0.011000"
    upstream.post(OPENAI_URL, json=json.loads(gpt_image(size="1024x1024", quality="low")))
    assert keyed(limited, key, **body).status_code == 200
    # $0.022 spent: another $0.167 would pass $0.18.
    assert refusal(keyed(limited, key, **body))[1]["error"]["message"] == (
        "Budget reached: this API key may spend $0.18 per UTC day; $0.022 spent, "
        "this request may cost $0.167."
    )
    assert len(upstream.calls) == 2


def test_a_budget_refuses_quality_auto_it_could_not_pay_for(limited):
    key = limited.key("design", "--daily-usd", "0.10")
    res = keyed(limited, key, model="gpt-image-1", size="auto")
    assert refusal(res)[1]["error"]["message"] == (
        "Budget reached: this API key may spend $0.10 per UTC day; $0.00 spent, "
        "this request may cost $0.25."
    )


def test_a_key_with_a_budget_is_refused_a_request_no_target_can_price(limited):
    key = limited.key("design", "--monthly-usd", "100", "--rpm", "5")
    res = keyed(limited, key, model="dall-e-4")
    assert res.status_code == 400
    assert res.get_json() == {
        "error": {
            "message": "No price is known for openai model 'dall-e-4' (size 1024x1024, quality "
            "standard). This API key has a spending budget, so it can only use models with a "
            "known price.",
            "type": "invalid_request_error",
            "param": None,
            "code": "unpriced_request_with_budget",
        }
    }
    [row] = log_rows(limited)
    assert (row["status"], row["error_code"]) == (400, "unpriced_request_with_budget")


def test_a_budget_admits_a_fallback_whose_first_target_has_a_price(limited, upstream):
    key = limited.key("design", "--daily-usd", "1")
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [
            {"provider": "openai", "api_key": "sk-a", "override_params": {"model": "dall-e-4"}},
            {"provider": "openai", "api_key": "sk-b", "override_params": {"model": "dall-e-3"}},
        ],
    }
    upstream.post(OPENAI_URL, body=urls(1), content_type="application/json")
    headers = {"x-portkey-api-key": key, "x-portkey-config": json.dumps(config)}
    assert post(limited.test_client(), headers).status_code == 200


def test_keys_without_a_budget_may_use_unpriced_models(limited, upstream):
    key = limited.key("design", "--rpm", "2")
    for _ in range(2):
        upstream.post(OPENAI_URL, body=urls(1), content_type="application/json")
    res = [keyed(limited, key, model="dall-e-4") for _ in range(3)]
    assert [r.status_code for r in res] == [200, 200, 429]
    assert COST not in res[0].headers
    assert res[2].get_json()["error"]["code"] == "rate_limit_rpm"


def test_unpriced_image_usd_prices_unpriced_images_for_keys_with_a_budget(make_limited, upstream):
    app = make_limited(unpriced_image_micro_usd=50_000)  # GATEWAY_UNPRICED_IMAGE_USD=0.05
    key = app.key("design", "--daily-usd", "0.10")
    free = app.key("open")
    for _ in range(3):
        upstream.post(OPENAI_URL, body=urls(1), content_type="application/json")
    assert [keyed(app, key, model="dall-e-4").headers[COST] for _ in range(2)] == [
        "0.050000",
        "0.050000",
    ]
    assert refusal(keyed(app, key, model="dall-e-4"))[1]["error"]["message"] == (
        "Budget reached: this API key may spend $0.10 per UTC day; $0.10 spent."
    )
    # A key without a budget is unaffected: the cost stays unknown.
    res = keyed(app, free, model="dall-e-4")
    assert (res.status_code, res.headers.get(COST)) == (200, None)


def test_limits_belong_to_one_key_and_keyless_requests_have_none(make_app, upstream, monkeypatch):
    app = make_app(require_api_key="false")
    monkeypatch.setenv("GATEWAY_DATA_DIR", app.extensions["gateway"].settings.data_dir)
    runner = CliRunner()
    limited = runner.invoke(cli, ["api-keys", "create", "--name", "a"]).stdout.strip()
    free = runner.invoke(cli, ["api-keys", "create", "--name", "b"]).stdout.strip()
    assert runner.invoke(cli, ["api-keys", "limits", "a", "--rpm", "1"]).exit_code == 0
    for _ in range(5):
        upstream.post(OPENAI_URL, body=urls(1), content_type="application/json")
    client = app.test_client()
    assert post(client, {"x-portkey-api-key": limited}).status_code == 200
    assert post(client, {"x-portkey-api-key": limited}).status_code == 429
    assert post(client, {"x-portkey-api-key": free}).status_code == 200
    assert [post(client).status_code for _ in range(3)] == [200, 200, 200]
