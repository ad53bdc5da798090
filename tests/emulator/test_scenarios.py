"""The demo account (believable, alive), the small test account and the bench volume scenario."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from tests.fixtures.emulator import FIXED_NOW_TS, make_client

RETIREMENT = int(datetime(2026, 10, 23, tzinfo=UTC).timestamp())


def _jobs(client) -> list[dict]:
    return client.fine_tuning.jobs.with_raw_response.list(limit=100).http_response.json()["data"]


def _metrics(client, job_id) -> list:
    """Every metrics event of a job so far, newest first."""
    return [e for e in client.fine_tuning.jobs.list_events(job_id, limit=100) if e.type == "metrics"]


@pytest.mark.emulator(scenario="demo")
def test_the_demo_account_covers_every_status_method_and_model(openai_client, admin_client):
    jobs = _jobs(openai_client)
    assert 12 <= len(jobs) <= 16
    statuses = [job["status"] for job in jobs]
    assert {"validating_files", "queued", "running", "paused", "succeeded", "failed", "cancelled"} == set(statuses)
    assert statuses.count("running") >= 2 and statuses.count("paused") == 1
    assert statuses.count("failed") == 1 and statuses.count("cancelled") == 1
    assert {job["method"]["type"] for job in jobs} == {"supervised", "dpo", "reinforcement"}
    models = {job["model"] for job in jobs}
    assert {"gpt-4o-mini-2024-07-18", "gpt-4.1-mini-2025-04-14", "gpt-4.1-2025-04-14", "gpt-4o-2024-08-06",
            "o4-mini-2025-04-16", "gpt-3.5-turbo-0125"} <= models  # fmt: skip
    failed = next(job for job in jobs if job["status"] == "failed")
    assert failed["error"]["code"] == "invalid_training_file"
    assert "Example 137, message 2 Discriminator 'role' is missing in value" in failed["error"]["message"]
    names = {f.filename for f in openai_client.files.list()}
    assert "ticket-triage-train.jsonl" in names and "step_metrics.csv" in names

    old = next(job["fine_tuned_model"] for job in jobs if job["model"] == "gpt-3.5-turbo-0125")
    usage = admin_client.admin.organization.usage
    months_ago = FIXED_NOW_TS // 86400 * 86400 - 150 * 86400

    def model_days(start, days):
        page = usage.completions(start_time=start, end_time=start + days * 86400, limit=31, group_by=["model"],
                                 models=[old])  # fmt: skip
        return [bucket.start_time for bucket in page.data if bucket.results]

    assert len(model_days(months_ago, 31)) == 31  # months of daily traffic
    assert len(model_days(RETIREMENT - 5 * 86400, 5)) == 5 and model_days(RETIREMENT, 25) == []
    week = usage.completions(start_time=FIXED_NOW_TS - 15 * 86400, end_time=FIXED_NOW_TS - 86400, limit=31)
    requests = {datetime.fromtimestamp(b.start_time, UTC).weekday(): b.results[0].num_model_requests for b in week.data}
    assert requests[2] > 2 * requests[6]  # Wednesdays are busier than Sundays
    costs = usage.costs(start_time=FIXED_NOW_TS - 7 * 86400, group_by=["line_item"])
    assert any(r.line_item == "ft-gpt-4.1-mini-2025-04-14, cached input" for b in costs.data for r in b.results)


@pytest.mark.emulator(scenario="demo")
def test_demo_jobs_keep_training_as_the_clock_moves(openai_client, emulator):
    running = [job["id"] for job in _jobs(openai_client) if job["status"] == "running"]
    assert len(running) >= 2  # the demo shows jobs training
    before = {job_id: _metrics(openai_client, job_id) for job_id in running}
    emulator.control.advance(120)
    for job_id in running:
        after = _metrics(openai_client, job_id)
        assert after[0].data["step"] > before[job_id][0].data["step"]
        losses = [e.data["train_loss"] for e in reversed(after)]
        assert sum(losses[-30:]) / 30 < sum(losses[:30]) / 30  # falling (noisy step to step, like real runs)


def test_at_speed_60_a_newcomer_sees_events_stream_within_seconds(emulator_factory):
    emulator = emulator_factory(scenario="demo", speed=60)
    with make_client(emulator) as client:
        running = [job["id"] for job in _jobs(client) if job["status"] == "running"]
        first = {job_id: client.fine_tuning.jobs.list_events(job_id, limit=1).data[0].id for job_id in running}
        time.sleep(1.5)
        moved = [
            job_id
            for job_id in running
            if client.fine_tuning.jobs.list_events(job_id, limit=1).data[0].id != first[job_id]
        ]
    assert len(moved) >= 2


@pytest.mark.emulator(scenario="small")
def test_the_small_account_is_one_job_per_status(openai_client):
    statuses = sorted(job["status"] for job in _jobs(openai_client))
    assert statuses == ["cancelled", "failed", "paused", "queued", "running", "succeeded", "succeeded",
                        "succeeded", "validating_files"]  # fmt: skip


def test_the_bench_scenario_seeds_volume_that_pages_quickly(emulator_factory):
    started = time.monotonic()
    emulator = emulator_factory(scenario="bench", jobs=200, events=40_000, files=120, validate_responses=False)
    assert time.monotonic() - started < 5
    with make_client(emulator) as client:
        assert len(list(client.fine_tuning.jobs.list(limit=100))) == 200
        assert len(list(client.files.list(limit=50))) == 120
        job = client.fine_tuning.jobs.list(limit=1).data[0]
        events = list(client.fine_tuning.jobs.list_events(job.id, limit=100))
        assert len(events) == 200 and events[0].message == "The job has successfully completed"
        assert events[-1].message == f"Created fine-tuning job: {job.id}"
        assert len(list(client.fine_tuning.jobs.checkpoints.list(job.id))) == 3
