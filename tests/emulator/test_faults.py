"""Injected faults (429 with retry headers, 500, 503, slow, dropped connections) and the SDK's retries."""

from __future__ import annotations

import time

import openai
import pytest

from tests.fixtures.emulator import make_client


def _statuses(emulator, path="/v1/models"):
    return [(r["status"], r["fault"]) for r in emulator.control.requests() if r["path"] == path]


def test_the_sdk_retries_a_429_then_succeeds_and_the_log_shows_both(openai_client, emulator):
    emulator.control.inject_fault("GET /v1/models", "429", retry_after_ms=20)
    started = time.monotonic()
    assert openai_client.models.list().data
    assert time.monotonic() - started < 2
    assert _statuses(emulator) == [(429, "rate_limit"), (200, None)]


def test_a_429_carries_the_real_body_and_headers(emulator):
    emulator.control.inject_fault("/v1/models", "rate_limit", retry_after=1, retry_after_ms=120)
    with make_client(emulator, max_retries=0) as client, pytest.raises(openai.RateLimitError) as caught:
        client.models.list()
    error = caught.value
    assert error.code == "rate_limit_exceeded" and error.body["type"] == "requests"
    assert "Please try again in 120ms." in error.body["message"]
    headers = error.response.headers
    assert headers["retry-after"] == "1" and headers["retry-after-ms"] == "120"
    assert headers["x-ratelimit-remaining-requests"] == "0" and headers["x-ratelimit-reset-requests"] == "120ms"


def test_server_errors_and_overload_are_retried(openai_client, emulator):
    emulator.control.inject_fault("GET /v1/files", "500", retry_after_ms=10)
    emulator.control.inject_fault("GET /v1/files", "503", retry_after_ms=10)
    assert openai_client.files.list().data == []
    assert _statuses(emulator, "/v1/files") == [(500, "server_error"), (503, "overloaded"), (200, None)]
    emulator.control.inject_fault("GET /v1/files", "503", count=3, retry_after_ms=10)
    with pytest.raises(openai.InternalServerError) as caught:
        openai_client.files.list()
    assert caught.value.status_code == 503 and caught.value.body["type"] == "server_error"
    assert emulator.control.faults() == []


def test_any_status_can_be_injected(openai_client, emulator):
    emulator.control.inject_fault("GET /v1/fine_tuning/jobs*", "status", status=409, retry_after_ms=10)
    assert openai_client.fine_tuning.jobs.list().data == []
    assert _statuses(emulator, "/v1/fine_tuning/jobs") == [(409, "status"), (200, None)]


def test_a_slow_response_times_out_then_the_retry_succeeds(emulator):
    emulator.control.inject_fault("GET /v1/models", "delay", delay=1.0)
    with make_client(emulator, timeout=0.3, max_retries=1) as client:
        assert client.models.list().data
    for _ in range(50):  # the slow call is logged when it finally answers (to nobody)
        if len(_statuses(emulator)) == 2:
            break
        time.sleep(0.05)
    assert _statuses(emulator) == [(200, None), (200, "delay")]


def test_a_dropped_connection_is_retried_by_the_sdk(openai_client, emulator):
    emulator.control.inject_fault("GET /v1/models", "drop")
    assert openai_client.models.list().data
    assert _statuses(emulator) == [(None, "drop"), (200, None)]
    emulator.control.inject_fault("GET /v1/models", "drop")
    with make_client(emulator, max_retries=0) as client, pytest.raises(openai.APIConnectionError):
        client.models.list()


def test_faults_only_hit_matching_routes_and_can_be_cleared(openai_client, emulator):
    emulator.control.inject_fault("POST /v1/fine_tuning/jobs", "500", count=5)
    assert openai_client.models.list().data and openai_client.fine_tuning.jobs.list().data == []
    assert len(emulator.control.faults()) == 1
    emulator.control.clear_faults()
    assert emulator.control.faults() == []
    with pytest.raises(Exception, match="unknown fault kind"):
        emulator.control.inject_fault("/v1/models", "explode")
