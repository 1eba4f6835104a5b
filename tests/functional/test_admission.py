"""Admission control through the Flask client: beyond GATEWAY_MAX_IN_FLIGHT a call is
refused at once (503 gateway_overloaded), counted in the metrics and the request log."""

from __future__ import annotations

import threading

import pytest
import responses
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import OK_BODY, OPENAI_URL, auth_headers, encode, image_body
from tests.functional.conftest import log_rows

URL = "/v1/images/generations"
WAIT = 10.0  # bounded waits only; nothing here is timed
OVERLOADED_BODY = {
    "error": {
        "message": "The gateway is serving its maximum of 1 image calls; retry shortly.",
        "type": "server_error",
        "param": None,
        "code": "gateway_overloaded",
    }
}


def samples(client):
    text = client.get("/metrics").get_data(as_text=True)
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
def app(make_app):
    return make_app(max_in_flight=1)


@pytest.fixture
def held(upstream):
    """The upstream blocks each call until ``release`` is set (bounded wait)."""
    entered, release = threading.Event(), threading.Event()

    def blocked(request):
        entered.set()
        release.wait(WAIT)
        return 200, {"Content-Type": "application/json"}, OK_BODY

    upstream.add_callback(responses.POST, OPENAI_URL, callback=blocked)
    return entered, release


def test_one_call_over_the_capacity_gets_503_at_once_and_the_next_one_succeeds(app, held, upstream):
    entered, release = held
    first: list = []
    holder = threading.Thread(
        target=lambda: first.append(
            app.test_client().post(URL, data=encode(image_body()), headers=auth_headers())
        )
    )
    holder.start()
    try:
        assert entered.wait(WAIT), "the first call never reached the upstream"
        client = app.test_client()
        # Not even JSON: an overloaded instance refuses before it reads the body.
        headers = auth_headers(**{"x-portkey-trace-id": "overload-trace-1"})
        refused = client.post(URL, data=b"{not json", headers=headers)

        assert refused.status_code == 503
        assert refused.get_json() == OVERLOADED_BODY
        assert refused.headers["Content-Type"] == "application/json"
        assert refused.headers["Retry-After"] == "1"
        assert refused.headers["x-should-retry"] == "true"
        assert refused.headers["x-portkey-trace-id"] == "overload-trace-1"

        not_ready = client.get("/readyz")
        assert not_ready.status_code == 503
        assert not_ready.get_json() == OVERLOADED_BODY
        assert not_ready.headers["Retry-After"] == "1"
        assert client.get("/healthz").status_code == 200  # health and metrics are not counted
        got = samples(client)
        assert got["gateway_in_flight", ()] == 1
        assert got["gateway_max_in_flight", ()] == 1
    finally:
        release.set()
        holder.join(WAIT)
    assert not holder.is_alive()
    assert first[0].status_code == 200

    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ready", "in_flight": 0, "capacity": 1}
    third = client.post(URL, data=encode(image_body()), headers=auth_headers())
    assert third.status_code == 200
    assert len(upstream.calls) == 2  # the refused call never went upstream

    got = samples(client)
    assert got["gateway_overloaded_total", (("route", "generations"),)] == 1
    status_503 = (
        ("model", "other"),
        ("provider", "unknown"),
        ("route", "generations"),
        ("status", "503"),
    )
    assert got["gateway_image_requests_total", status_503] == 1
    assert got["gateway_in_flight", ()] == 0
    rows = [r for r in log_rows(app) if r["status"] == 503]
    assert [(r["trace_id"], r["error_code"], r["provider"], r["prompt"]) for r in rows] == [
        ("overload-trace-1", "gateway_overloaded", None, None)
    ]


def test_a_failed_call_frees_its_place(app, upstream):
    upstream.post(OPENAI_URL, status=400, json={"error": {"message": "bad", "code": "x"}})
    client = app.test_client()
    for _ in range(2):  # capacity 1: the second call is admitted only if the first left
        res = client.post(URL, data=encode(image_body()), headers=auth_headers())
        assert res.status_code == 400
    bad_json = client.post(URL, data=b"{", headers=auth_headers())
    assert bad_json.status_code == 400
    assert app.extensions["gateway"].admission.in_flight() == 0


def test_a_dropped_log_row_is_counted(app, monkeypatch):
    state = app.extensions["gateway"]
    assert state.admission.enter()  # the one place is taken
    monkeypatch.setattr(state.request_log, "offer", lambda row: False)  # the queue is full
    client = app.test_client()
    res = client.post(URL, data=encode(image_body()), headers=auth_headers())
    assert res.status_code == 503
    got = samples(client)
    assert got["gateway_request_log_dropped_total", (("reason", "queue_full"),)] == 1
    assert got["gateway_overloaded_total", (("route", "generations"),)] == 1
    state.admission.leave()
