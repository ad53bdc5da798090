"""Pause, resume and cancel; wrong-state errors; concurrency and daily limits; retired models; bad data."""

from __future__ import annotations

import openai
import pytest

from tests.emulator.helpers import (
    STRING_CHECK_GRADER,
    all_events,
    chat_example,
    chat_file,
    dpo_example,
    jsonl,
    rft_example,
    upload,
)
from tests.fixtures.emulator import make_client


def _run_until(client, emulator, job_id, status, limit=900):
    for _ in range(limit):
        job = client.fine_tuning.jobs.with_raw_response.retrieve(job_id).http_response.json()
        if job["status"] == status:
            return job
        emulator.control.advance(1)
    raise AssertionError(f"{job_id} never reached {status}")


def test_pause_resume_and_cancel_move_a_job_and_log_each_step(openai_client, emulator):
    job = openai_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=chat_file(openai_client, 40))
    _run_until(openai_client, emulator, job.id, "running")
    emulator.control.advance(20)

    paused = openai_client.fine_tuning.jobs.with_raw_response.pause(job.id).http_response.json()
    assert paused["status"] == "paused"
    steps_at_pause = len([e for e in all_events(openai_client, job.id) if e.type == "metrics"])
    emulator.control.advance(3600)
    still = openai_client.fine_tuning.jobs.with_raw_response.retrieve(job.id).http_response.json()
    assert still["status"] == "paused"
    assert len([e for e in all_events(openai_client, job.id) if e.type == "metrics"]) == steps_at_pause

    resumed = openai_client.fine_tuning.jobs.resume(job.id)
    assert resumed.status == "queued"
    emulator.control.advance(30)
    assert openai_client.fine_tuning.jobs.retrieve(job.id).status == "running"
    emulator.control.advance(5)
    cancelled = openai_client.fine_tuning.jobs.cancel(job.id)
    assert cancelled.status == "cancelled" and cancelled.finished_at is not None
    messages = [e.message for e in all_events(openai_client, job.id)]
    assert messages.index("Fine-tuning job paused") < messages.index("Fine-tuning job resumed")
    assert messages[-1] == "Fine-tuning job cancelled"
    steps = [int(m.split("/")[0].removeprefix("Step ")) for m in messages if m.startswith("Step ")]
    assert steps == list(range(1, len(steps) + 1)) and len(steps) > steps_at_pause
    emulator.control.advance(3600)
    assert openai_client.fine_tuning.jobs.retrieve(job.id).status == "cancelled"


def test_the_strict_sdk_rejects_the_paused_status_the_service_really_sends(openai_client, emulator):
    """The deviation the product must live with: `paused` is outside the SDK's Literal."""
    job = openai_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=chat_file(openai_client, 40))
    _run_until(openai_client, emulator, job.id, "running")
    with pytest.raises(openai.APIResponseValidationError):
        openai_client.fine_tuning.jobs.pause(job.id)
    with make_client(emulator, _strict_response_validation=False) as lenient:
        assert lenient.fine_tuning.jobs.retrieve(job.id).status == "paused"


@pytest.mark.emulator(scenario="small")
def test_wrong_state_actions_are_400_with_a_clear_message(openai_client, emulator):
    by_status = {}
    raw = openai_client.fine_tuning.jobs.with_raw_response.list(limit=100).http_response.json()
    for job in raw["data"]:
        by_status.setdefault(job["status"], job["id"])
    cases = [
        (openai_client.fine_tuning.jobs.cancel, "succeeded", "cannot be cancelled because it is succeeded"),
        (openai_client.fine_tuning.jobs.cancel, "failed", "cannot be cancelled because it is failed"),
        (openai_client.fine_tuning.jobs.cancel, "cancelled", "cannot be cancelled because it is cancelled"),
        (openai_client.fine_tuning.jobs.pause, "queued", "only running jobs can be paused"),
        (openai_client.fine_tuning.jobs.pause, "paused", "only running jobs can be paused"),
        (openai_client.fine_tuning.jobs.resume, "running", "only paused jobs can be resumed"),
        (openai_client.fine_tuning.jobs.resume, "succeeded", "only paused jobs can be resumed"),
    ]
    for action, status, text in cases:
        with pytest.raises(openai.BadRequestError) as caught:
            action(by_status[status])
        assert text in caught.value.message
        assert caught.value.body["type"] == "invalid_request_error"
    for action in (openai_client.fine_tuning.jobs.cancel, openai_client.fine_tuning.jobs.retrieve):
        with pytest.raises(openai.NotFoundError) as caught:
            action("ftjob-doesnotexist0000000000")
        assert caught.value.body["param"] == "fine_tuning_job_id"


@pytest.mark.emulator(max_running_jobs=2)
def test_jobs_beyond_the_concurrency_limit_wait_in_queued(openai_client, emulator):
    training = chat_file(openai_client, 300)
    ids = [openai_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training).id for _ in range(3)]
    emulator.control.advance(300)
    statuses = [openai_client.fine_tuning.jobs.retrieve(i).status for i in ids]
    assert sorted(statuses) == ["queued", "running", "running"]
    waiting = ids[statuses.index("queued")]
    emulator.control.advance(6 * 3600)
    jobs = [openai_client.fine_tuning.jobs.retrieve(i) for i in ids]
    assert [job.status for job in jobs] == ["succeeded"] * 3
    first_done = min(job.finished_at for job in jobs if job.id != waiting)
    started = next(e.created_at for e in all_events(openai_client, waiting) if e.message == "Fine-tuning job started")
    assert started >= first_done


@pytest.mark.emulator(daily_job_limit=2)
def test_the_daily_limit_answers_429_daily_rate_limit_exceeded_without_retries(openai_client, emulator):
    training = chat_file(openai_client, 12)
    for _ in range(2):
        openai_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training)
    emulator.control.clear_requests()
    with pytest.raises(openai.RateLimitError) as caught:
        openai_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training)
    assert caught.value.code == "daily_rate_limit_exceeded"
    assert "maximum of 2 fine-tuning requests per day for the model 'gpt-4o-mini-2024-07-18'" in caught.value.message
    assert len(emulator.control.requests()) == 1  # x-should-retry: false stops the SDK's retries
    openai_client.fine_tuning.jobs.create(model="gpt-4.1-mini", training_file=training)  # another model is fine
    emulator.control.advance(86400)
    openai_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training)  # a new day


def test_retired_bases_and_unknown_models_cannot_be_trained(openai_client):
    training = chat_file(openai_client, 12)
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.fine_tuning.jobs.create(model="gpt-3.5-turbo", training_file=training)
    assert caught.value.code == "model_not_available" and "2026-10-23" in caught.value.message
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.fine_tuning.jobs.create(model="gpt-9", training_file=training)
    assert caught.value.body["message"] == "Model gpt-9 is not available for fine-tuning or does not exist."
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.fine_tuning.jobs.create(
            model="gpt-4o-mini",
            training_file=training,
            method={"type": "reinforcement", "reinforcement": {"grader": STRING_CHECK_GRADER}},
        )
    assert caught.value.param == "method.type"


@pytest.mark.emulator(now="2027-01-06T00:00:00Z")
def test_after_the_wind_down_nobody_can_start_a_job(openai_client):
    training = chat_file(openai_client, 12)
    with pytest.raises(openai.PermissionDeniedError) as caught:
        openai_client.fine_tuning.jobs.create(model="gpt-4.1-mini", training_file=training)
    assert caught.value.code == "fine_tuning_unavailable"


def test_files_must_exist_and_have_the_fine_tune_purpose(openai_client):
    batch = upload(openai_client, "requests.jsonl", jsonl([{"custom_id": "1"}]), purpose="batch")
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file="file-missing000000000000000")
    assert (
        caught.value.param == "training_file"
        and caught.value.body["message"] == "invalid training_file: file-missing000000000000000"
    )
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=batch)
    assert caught.value.param == "training_file" and "purpose 'batch'" in caught.value.message
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.fine_tuning.jobs.create(
            model="gpt-4o-mini", training_file=chat_file(openai_client), validation_file=batch
        )
    assert caught.value.param == "validation_file"


def _failure(client, emulator, **create):
    job = client.fine_tuning.jobs.create(**create)
    emulator.control.advance(600)
    failed = client.fine_tuning.jobs.retrieve(job.id)
    assert failed.status == "failed"
    events = all_events(client, job.id)
    assert events[-1].level == "error" and events[-1].message == failed.error.message
    assert events[-1].data == {"error_code": failed.error.code, "error_param": failed.error.param}
    return failed.error


def test_bad_supervised_data_fails_the_job_naming_the_example(openai_client, emulator):
    examples = [chat_example(i) for i in range(12)]
    del examples[6]["messages"][1]["role"]
    error = _failure(openai_client, emulator, model="gpt-4o-mini",
                     training_file=upload(openai_client, "bad.jsonl", jsonl(examples)))  # fmt: skip
    assert error.code == "invalid_training_file" and error.param == "training_file"
    assert error.message == (
        "The job failed due to an invalid training file. Invalid file format. "
        "Example 7, message 2 Discriminator 'role' is missing in value"
    )


def test_too_few_examples_and_wrong_formats_fail_too(openai_client, emulator):
    few = _failure(openai_client, emulator, model="gpt-4o-mini", training_file=chat_file(openai_client, 5))
    assert few.message.endswith("Training file has 5 example(s), but must have at least 10 examples")
    chat = chat_file(openai_client, 12)
    wrong = _failure(openai_client, emulator, model="gpt-4o-mini", training_file=chat, method={"type": "dpo"})
    assert (
        f"Input file {chat} is in the fine-tune-chat format" in wrong.message
        and "(provided method=dpo)" in wrong.message
    )


def test_bad_dpo_data_fails_naming_the_example(openai_client, emulator):
    examples = [dpo_example(i) for i in range(12)]
    examples[9]["preferred_output"] = []
    error = _failure(openai_client, emulator, model="gpt-4.1-mini", method={"type": "dpo"},
                     training_file=upload(openai_client, "prefs.jsonl", jsonl(examples)))  # fmt: skip
    assert error.message == (
        "The job failed due to an invalid training file. Invalid file format. "
        "Example 10, 'preferred_output' must be a list with exactly one assistant message"
    )


@pytest.mark.emulator(now="2026-09-01T12:00:00Z")  # o4-mini fine-tunes were retired on 2026-10-23
def test_bad_reinforcement_data_fails_naming_the_example(openai_client, emulator):
    examples = [rft_example(i) for i in range(12)]
    examples[2]["messages"].append({"role": "assistant", "content": "yes"})
    error = _failure(
        openai_client, emulator, model="o4-mini",
        method={"type": "reinforcement", "reinforcement": {"grader": STRING_CHECK_GRADER}},
        training_file=upload(openai_client, "prompts.jsonl", jsonl(examples)),
    )  # fmt: skip
    assert error.message.startswith(
        "The job failed due to an invalid training file. Invalid file format. Example 3, the last message"
    )


def test_a_bad_validation_file_fails_with_its_own_code(openai_client, emulator):
    examples = [chat_example(i) for i in range(4)]
    examples[1]["messages"][2]["role"] = "robot"
    error = _failure(openai_client, emulator, model="gpt-4o-mini", training_file=chat_file(openai_client),
                     validation_file=upload(openai_client, "valid.jsonl", jsonl(examples)))  # fmt: skip
    assert error.code == "invalid_validation_file" and error.param == "validation_file"
    assert "Example 2, message 3 Input tag 'robot' found using 'role'" in error.message
