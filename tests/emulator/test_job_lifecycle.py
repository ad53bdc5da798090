"""A supervised job through every status on the simulated clock, with the service's exact event sequence."""

from __future__ import annotations

import base64
import re

import pytest
import tiktoken

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


def _cookbook_tokens(examples: list[dict], encoding: str) -> int:
    """The cookbook's count (3 per message + every value + 3 per example), done independently here."""
    enc = tiktoken.get_encoding(encoding)
    total = 0
    for example in examples:
        total += 3
        for message in example["messages"]:
            total += 3 + sum(len(enc.encode(value)) for value in message.values())
    return total


def test_a_job_goes_through_every_status_with_the_real_event_sequence(openai_client, emulator):
    training = chat_file(openai_client, 12)
    validation = upload(openai_client, "valid.jsonl", jsonl([chat_example(100 + i) for i in range(4)]))
    job = openai_client.fine_tuning.jobs.create(
        model="gpt-4o-mini",
        training_file=training,
        validation_file=validation,
        suffix="support",
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2}}},
    )
    assert job.status == "validating_files"
    assert job.model == "gpt-4o-mini-2024-07-18"
    assert job.hyperparameters.n_epochs == 2 and job.hyperparameters.batch_size == "auto"
    assert job.trained_tokens is None and job.fine_tuned_model is None and job.result_files == []
    assert re.fullmatch(r"ftjob-[0-9A-Za-z]{24}", job.id)

    seen = [job.status]
    for _ in range(600):
        emulator.control.advance(1)
        status = openai_client.fine_tuning.jobs.retrieve(job.id).status
        if status != seen[-1]:
            seen.append(status)
        if status == "running":
            break
    running = openai_client.fine_tuning.jobs.retrieve(job.id)
    assert running.hyperparameters.batch_size == 1 and running.hyperparameters.learning_rate_multiplier == 2.0
    emulator.control.advance(3600)
    done = openai_client.fine_tuning.jobs.retrieve(job.id)
    seen.append(done.status)
    assert seen == ["validating_files", "queued", "running", "succeeded"]

    assert re.fullmatch(r"ft:gpt-4o-mini-2024-07-18:personal:support:[0-9A-Za-z]{8}", done.fine_tuned_model)
    assert done.trained_tokens == 2 * _cookbook_tokens([chat_example(i) for i in range(12)], "o200k_base")
    assert done.finished_at is not None and len(done.result_files) == 1

    events = all_events(openai_client, job.id)
    messages = [e.message for e in events]
    assert messages[:4] == [
        f"Created fine-tuning job: {job.id}",
        f"Validating training file: {training} and validation file: {validation}",
        "Files validated, moving job to queued state",
        "Fine-tuning job started",
    ]
    assert events[3].data is None and events[0].data == {}
    metrics = [e for e in events if e.type == "metrics"]
    assert [e.data["step"] for e in metrics] == list(range(1, 25))
    assert messages[-2:] == [
        f"New fine-tuned model created: {done.fine_tuned_model}",
        "The job has successfully completed",
    ]
    checkpoint_event = f"Checkpoint created at step 12 with Snapshot ID: {done.fine_tuned_model}:ckpt-step-12"
    assert messages.index(checkpoint_event) == messages.index(metrics[11].message) + 1
    assert metrics[0].message.startswith("Step 1/24: training loss=")
    assert "full validation loss=" in metrics[-1].message and "full_valid_loss" in metrics[-1].data
    assert metrics[-1].data["train_loss"] < metrics[0].data["train_loss"]
    assert [e.created_at for e in events] == sorted(e.created_at for e in events)

    checkpoints = list(openai_client.fine_tuning.jobs.checkpoints.list(job.id))
    assert [c.step_number for c in checkpoints] == [24, 12]
    assert checkpoints[0].fine_tuned_model_checkpoint == done.fine_tuned_model
    assert openai_client.models.retrieve(f"{done.fine_tuned_model}:ckpt-step-12").owned_by.startswith("org-")

    content = openai_client.files.content(done.result_files[0]).read()
    csv_text = base64.b64decode(content).decode()
    lines = csv_text.strip().split("\n")
    assert lines[0] == "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"
    assert len(lines) == 25
    assert openai_client.files.retrieve(done.result_files[0]).purpose == "fine-tune-results"


def test_a_dpo_job_resolves_beta_and_trains_on_preferences(openai_client, emulator):
    training = upload(openai_client, "prefs.jsonl", jsonl([dpo_example(i) for i in range(20)]))
    job = openai_client.fine_tuning.jobs.create(model="gpt-4.1-mini", training_file=training, method={"type": "dpo"})
    assert job.method.type == "dpo" and job.method.dpo.hyperparameters.beta == "auto"
    emulator.control.advance(4 * 3600)
    done = openai_client.fine_tuning.jobs.retrieve(job.id)
    assert done.status == "succeeded"
    assert done.method.dpo.hyperparameters.beta == 0.1 and done.method.dpo.hyperparameters.n_epochs == 5
    metrics = [e for e in all_events(openai_client, job.id) if e.type == "metrics"]
    assert len(metrics) == 100 and metrics[0].data["train_loss"] > metrics[-1].data["train_loss"]


@pytest.mark.emulator(now="2026-09-01T12:00:00Z")  # before o4-mini fine-tunes were retired
def test_a_reinforcement_job_reports_rewards_and_grader_usage(openai_client, emulator):
    training = upload(openai_client, "prompts.jsonl", jsonl([rft_example(i) for i in range(10)]))
    validation = upload(openai_client, "prompts-valid.jsonl", jsonl([rft_example(i) for i in range(4)]))
    job = openai_client.fine_tuning.jobs.create(
        model="o4-mini",
        training_file=training,
        validation_file=validation,
        method={
            "type": "reinforcement",
            "reinforcement": {"grader": STRING_CHECK_GRADER, "hyperparameters": {"n_epochs": 2}},
        },
    )
    assert job.model == "o4-mini-2025-04-16"
    assert job.method.reinforcement.hyperparameters.reasoning_effort == "medium"
    emulator.control.advance(6 * 3600)
    done = openai_client.fine_tuning.jobs.retrieve(job.id)
    assert done.status == "succeeded"
    resolved = done.method.reinforcement.hyperparameters
    assert resolved.eval_interval == 2 and resolved.compute_multiplier == 1.0
    metrics = [e for e in all_events(openai_client, job.id) if e.type == "metrics"]
    assert len(metrics) == 20
    last = metrics[-1].data
    assert {"train_mean_reward", "full_valid_mean_reward", "scores", "usage", "errors", "timing"} <= set(last)
    assert set(last["usage"]) == {"graders", "samples"} and "label check" in last["scores"]
    assert metrics[-1].message.startswith("Step 20/20: training reward=")
    assert last["train_mean_reward"] > metrics[0].data["train_mean_reward"]
