"""New jobs: the create request from options (ranges checked before anything is sent), reruns, which bases
can still train, and the service's refusals (from the emulator, over real HTTP) in plain words."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import store.sync
from store.api import Api
from store.cache import Cache
from store.config import Profile
from store.credentials import Keys
from store.dataset import check_file
from store.errors import ApiError, FinetopError
from store.newjob import (
    InvalidJobOption,
    JobOptions,
    base_model_choices,
    build_request,
    estimate_from_report,
    explain_refusal,
    parse_metadata,
    problems,
    rerun_request,
    trainable_models,
    training_estimate,
    wait_until_processed,
)
from store.records import file_from_raw, job_from_raw
from store.types import RemoteFile

TODAY = date(2026, 11, 20)
DATASETS = Path(__file__).resolve().parents[1] / "fixtures" / "datasets"
SMALL = pytest.mark.emulator(scenario="small")


@pytest.fixture
def api(emulator):
    client = Api(Profile(name="t", base_url=emulator.base_url), Keys(emulator.api_key, None, "test"))
    yield client
    client.close()


def training_file_id(emulator, name: str = "support-train.jsonl") -> str:
    return next(f["id"] for f in emulator.control.snapshot()["files"] if f["filename"] == name)


def refusal(call) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value


# --- building the request ------------------------------------------------------------------------


def test_the_request_puts_hyperparameters_under_the_method_and_leaves_auto_out():
    options = JobOptions(
        model="gpt-4o-mini",
        training_file="file-train",
        validation_file="file-valid",
        method="dpo",
        hyperparameters={"n_epochs": "3", "batch_size": "auto", "learning_rate_multiplier": "0.5", "beta": 0.1},
        suffix=" support-v2 ",
        seed="42",
        metadata={"team": "search"},
    )
    assert build_request(options) == {
        "model": "gpt-4o-mini",
        "training_file": "file-train",
        "validation_file": "file-valid",
        "method": {
            "type": "dpo",
            "dpo": {"hyperparameters": {"n_epochs": 3, "learning_rate_multiplier": 0.5, "beta": 0.1}},
        },
        "suffix": "support-v2",
        "seed": 42,
        "metadata": {"team": "search"},
    }
    bare = build_request(JobOptions(model="gpt-4.1-mini", training_file="file-train"))
    assert bare == {
        "model": "gpt-4.1-mini",
        "training_file": "file-train",
        "method": {"type": "supervised", "supervised": {}},
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("n_epochs", "0", "Epochs must be 1-50, not 0."),
        ("n_epochs", "51", "Epochs must be 1-50, not 51."),
        ("n_epochs", "2.5", "Epochs must be a whole number (1-50) or auto, not '2.5'."),
        ("batch_size", "257", "Batch size must be 1-256, not 257."),
        ("learning_rate_multiplier", "0", "Learning rate multiplier must be > 0, up to 10, not 0."),
        ("learning_rate_multiplier", "10.5", "Learning rate multiplier must be > 0, up to 10, not 10.5."),
        ("beta", "2.01", "Beta must be > 0, up to 2, not 2.01."),
    ],
)
def test_hyperparameters_out_of_range_are_refused_before_sending(field, value, message):
    options = JobOptions(model="gpt-4o-mini", training_file="file-x", method="dpo", hyperparameters={field: value})
    with pytest.raises(InvalidJobOption) as caught:
        build_request(options)
    assert caught.value.field == field and caught.value.message == message


def test_edges_of_the_ranges_are_accepted():
    options = JobOptions(
        model="gpt-4o-mini",
        training_file="file-x",
        method="dpo",
        hyperparameters={"n_epochs": 50, "batch_size": 256, "learning_rate_multiplier": 10, "beta": 2},
        suffix="a" * 64,
        seed=2_147_483_647,
        metadata={f"k{i}": "v" for i in range(16)},
    )
    assert problems(options) == []


def test_other_fields_are_checked_too():
    options = JobOptions(
        model="",
        training_file="",
        hyperparameters={"beta": "0.5"},
        suffix="has space",
        seed="-1",
        metadata={f"k{i}": "v" for i in range(17)},
    )
    found = {p.field: p.message for p in problems(options)}
    assert found["model"] == "Choose the base model to fine-tune."
    assert found["training_file"] == "Choose a training file."
    assert found["beta"] == "Beta does not apply to the supervised method."
    assert found["suffix"] == "The suffix may hold only letters, digits, - and _ (not ' ')."
    assert found["seed"] == "The seed must be between 0 and 2,147,483,647, not -1."
    assert found["metadata"] == "17 metadata pairs; at most 16."
    with pytest.raises(InvalidJobOption, match="at most 64"):
        build_request(JobOptions(model="m", training_file="f", suffix="x" * 65))


def test_metadata_pairs_as_people_type_them():
    assert parse_metadata(["team=search", "run = 7"]) == {"team": "search", "run": "7"}
    assert parse_metadata("team=search, run=7") == {"team": "search", "run": "7"}
    assert parse_metadata("note=a=b") == {"note": "a=b"}
    with pytest.raises(InvalidJobOption, match="key=value, not 'oops'"):
        parse_metadata(["oops"])


def test_reinforcement_needs_a_grader():
    options = JobOptions(model="o4-mini", training_file="file-x", method="reinforcement")
    assert [p.field for p in problems(options)] == ["method"]
    graded = JobOptions(
        model="o4-mini",
        training_file="file-x",
        method="reinforcement",
        hyperparameters={"reasoning_effort": "low"},
        method_settings={"grader": {"type": "string_check"}},
    )
    assert build_request(graded)["method"] == {
        "type": "reinforcement",
        "reinforcement": {"grader": {"type": "string_check"}, "hyperparameters": {"reasoning_effort": "low"}},
    }


# --- reruns --------------------------------------------------------------------------------------


def job_raw(**extra):
    return {
        "id": "ftjob-old",
        "object": "fine_tuning.job",
        "status": "succeeded",
        "model": "gpt-4o-mini-2024-07-18",
        "created_at": 1_790_000_000,
        "training_file": "file-train",
        "validation_file": "file-valid",
        "hyperparameters": {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 1.8, "beta": 0.1},
        "method": {
            "type": "dpo",
            "dpo": {"hyperparameters": {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 1.8, "beta": 0.1}},
        },
        "user_provided_suffix": "tone",
        "seed": 99,
        "metadata": {"team": "search"},
        "result_files": [],
        "error": None,
        **extra,
    }


def test_rerun_keeps_the_configuration_and_applies_changes():
    job = job_raw()
    request = rerun_request(job_from_raw(job), suffix="tone-v2", n_epochs="auto", beta="0.2")
    assert request == {
        "model": "gpt-4o-mini-2024-07-18",
        "training_file": "file-train",
        "validation_file": "file-valid",
        "method": {
            "type": "dpo",
            "dpo": {"hyperparameters": {"batch_size": 1, "learning_rate_multiplier": 1.8, "beta": 0.2}},
        },
        "suffix": "tone-v2",
        "seed": 99,
        "metadata": {"team": "search"},
    }
    # Changing the method keeps what the new method has; "" clears the validation file.
    switched = rerun_request(job_from_raw(job), method="supervised", validation_file="", training_file="file-new")
    assert switched["method"] == {
        "type": "supervised",
        "supervised": {"hyperparameters": {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 1.8}},
    }
    assert "validation_file" not in switched and switched["training_file"] == "file-new"
    with pytest.raises(InvalidJobOption):
        rerun_request(job_from_raw(job), n_epochs="99")


def test_rerun_of_a_reinforcement_job_carries_its_grader():
    raw = job_raw(
        model="o4-mini-2025-04-16",
        method={
            "type": "reinforcement",
            "reinforcement": {
                "grader": {"type": "string_check", "name": "exact"},
                "response_format": None,
                "hyperparameters": {"n_epochs": 2, "reasoning_effort": "medium", "eval_samples": 8},
            },
        },
    )
    request = rerun_request(job_from_raw(raw))
    assert request["method"] == {
        "type": "reinforcement",
        "reinforcement": {
            "grader": {"type": "string_check", "name": "exact"},
            "hyperparameters": {"n_epochs": 2, "reasoning_effort": "medium", "eval_samples": 8},
        },
    }


@SMALL
def test_a_rerun_request_is_accepted_by_the_service(emulator, api):
    dpo = next(j for j in emulator.control.snapshot()["jobs"] if j["method"]["type"] == "dpo")
    created = api.create_job(**rerun_request(job_from_raw(dpo), suffix="rerun"))
    assert created.method == "dpo" and created.suffix == "rerun" and created.seed == dpo["seed"]
    assert created.training_file == dpo["training_file"]


# --- which bases still train ---------------------------------------------------------------------


def test_only_bases_inside_their_training_window_are_trainable():
    assert trainable_models(TODAY) == [
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4o-2024-08-06",
        "gpt-4o-mini-2024-07-18",
    ]
    by_model = {c.model: c for c in base_model_choices(TODAY)}
    assert by_model["gpt-4o-mini-2024-07-18"].why == "can be trained until 2027-01-05 (47 days left)"
    assert by_model["gpt-3.5-turbo"].why == "retired 2026-10-23: no new training"
    assert by_model["babbage-002"].why == "new training ended 2024-10-28; fine-tunes retired 2026-10-23"
    assert by_model["o4-mini-2025-04-16"].methods == ("reinforcement",)
    assert trainable_models(date(2027, 1, 6)) == []


# --- the cost estimate ---------------------------------------------------------------------------


def test_the_estimate_is_preflights_tokens_times_todays_training_price():
    report = check_file(DATASETS / "chat_valid.jsonl", model="gpt-4o-mini", on=TODAY)
    estimate = estimate_from_report(report)
    assert estimate.tokens == report.billed_tokens == 4576 and estimate.epochs == 8
    assert estimate.cost.amount == Decimal("4576") * Decimal("3.00") / 1_000_000
    assert estimate.label() == "≈$0.01" and estimate.encoding == "o200k_base"
    rft = estimate_from_report(
        check_file(DATASETS / "rft_valid.jsonl", model="o4-mini", method="reinforcement", on=TODAY)
    )
    assert rft.tokens is None and rft.label() == "cannot be estimated"
    assert "billed per hour" in rft.note and "cannot be estimated from the file" in rft.note


@pytest.mark.emulator(scenario="small")
def test_the_estimate_of_a_finished_job_is_counted_once_from_its_archived_file(emulator, make_backend, monkeypatch):
    monkeypatch.setattr(store.sync, "AUTO_ARCHIVE_BYTES", 0)  # as if every file were too big to keep as it runs
    backend = make_backend(emulator)
    backend.sync()
    job = next(j for j in backend.cache.jobs() if j.method == "supervised" and j.status == "succeeded")
    assert training_estimate(backend.cache, job) is None  # nothing archived yet
    backend.open_file_content(job.training_file).close()
    estimate = training_estimate(backend.cache, job, now=123)
    assert estimate is not None and estimate.source == "archive" and estimate.counted_at == 123
    # The emulator counts trained tokens the way preflight does: the estimate is exact here.
    assert estimate.estimated_tokens == job.trained_tokens
    assert training_estimate(backend.cache, job, now=456).counted_at == 123  # kept, not recounted


# --- refusals, as the emulator words them ----------------------------------------------------------


@SMALL
def test_wrong_state(emulator, api):
    done = next(j for j in emulator.control.snapshot()["jobs"] if j["status"] == "succeeded")
    error = refusal(lambda: api.cancel_job(done["id"]))
    assert explain_refusal(error, today=TODAY).startswith(
        "The job is succeeded now, so that is not possible. Refresh to see its current status"
    )


@pytest.mark.emulator(scenario="empty", daily_job_limit=2)
def test_daily_limit(emulator, api):
    file_id = api.upload_file(DATASETS / "chat_valid.jsonl").id
    for _ in range(2):
        api.create_job(model="gpt-4.1-mini", training_file=file_id)
    error = refusal(lambda: api.create_job(model="gpt-4.1-mini", training_file=file_id))
    assert error.code == "daily_rate_limit_exceeded"
    assert explain_refusal(error, today=TODAY) == (
        "Today's limit of 2 new fine-tuning jobs for gpt-4.1-mini-2025-04-14 is used up. Nothing was created. "
        "Try again after midnight UTC (2026-11-21 00:00 UTC), or use another base model, whose limit is separate."
    )


@SMALL
def test_retired_base(emulator, api):
    error = refusal(lambda: api.create_job(model="gpt-3.5-turbo", training_file=training_file_id(emulator)))
    assert explain_refusal(error, today=TODAY) == (
        "gpt-3.5-turbo-0125 can no longer be fine-tuned (new training ended on 2026-10-23). Choose a base that "
        "still trains: gpt-4.1-2025-04-14, gpt-4.1-mini-2025-04-14, gpt-4o-2024-08-06, gpt-4o-mini-2024-07-18."
    )


@pytest.mark.emulator(scenario="small", now="2027-01-10T12:00:00Z")
def test_after_the_wind_down_nobody_can_train(emulator, api):
    error = refusal(lambda: api.create_job(model="gpt-4o-mini", training_file=training_file_id(emulator)))
    assert error.status == 403 and error.code == "fine_tuning_unavailable"
    text = explain_refusal(error, today=date(2027, 1, 10))
    assert text.startswith("Self-serve fine-tuning has ended: no new training job can start after 2027-01-06.")
    assert "keep serving until their base model retires" in text


@SMALL
def test_unknown_and_wrong_purpose_training_files(emulator, api):
    missing = refusal(lambda: api.create_job(model="gpt-4o-mini", training_file="file-doesnotexist"))
    assert "does not have that training file" in explain_refusal(missing, today=TODAY)
    assert "`finetop upload FILE`" in explain_refusal(missing, today=TODAY)
    results = next(f["id"] for f in emulator.control.snapshot()["files"] if f["purpose"] == "fine-tune-results")
    wrong = refusal(lambda: api.create_job(model="gpt-4o-mini", training_file=results))
    assert "was uploaded for another purpose; fine-tuning needs purpose fine-tune" in explain_refusal(
        wrong, today=TODAY
    )


@SMALL
def test_a_method_the_model_does_not_support(emulator, api):
    error = refusal(
        lambda: api.create_job(
            model="gpt-4o-mini",
            training_file=training_file_id(emulator),
            method={"type": "reinforcement", "reinforcement": {"grader": {"type": "string_check"}}},
        )
    )
    assert "does not support the reinforcement fine-tuning method" in explain_refusal(error, today=TODAY)
    assert "Choose a method the model supports" in explain_refusal(error, today=TODAY)


def test_refusals_the_emulator_does_not_make():
    """The emulator queues jobs over its concurrency limit instead of refusing, files are processed at once, and
    it has no wording for organisations outside the wind-down's eligibility: these use the service's words as
    seen in the field (the checks look for a few telling words, not exact sentences)."""
    concurrency = ApiError(
        "rate_limit", "You have reached the maximum number of concurrent fine-tuning jobs (3).", status=429
    )
    assert "runs as many fine-tuning jobs at once as it may" in explain_refusal(concurrency, today=TODAY)
    processing = ApiError("bad_request", "File file-abc is still being processed.", status=400, param="training_file")
    assert "still being processed by the service" in explain_refusal(processing, today=TODAY)
    eligible = ApiError("permission", "This organization is not eligible to create fine-tuning jobs.", status=403)
    text = explain_refusal(eligible, today=TODAY)
    assert "since 2026-05-07 organizations that never fine-tuned cannot" in text and "2027-01-06" in text
    other = ApiError("server", "The server had an error.", status=500)
    assert explain_refusal(other, today=TODAY).startswith("The server had an error.")


# --- a fresh upload's processing -----------------------------------------------------------------


class SlowFiles:
    """Stands in for the API's file endpoint (not the HTTP layer): the file is processed on the second read."""

    def __init__(self) -> None:
        self.reads = 0

    def retrieve_file(self, file_id: str) -> RemoteFile:
        self.reads += 1
        status = "processed" if self.reads >= 2 else "uploaded"
        return file_from_raw(
            {
                "id": file_id,
                "filename": "a.jsonl",
                "purpose": "fine-tune",
                "bytes": 1,
                "created_at": 1,
                "status": status,
            }
        )


def test_waiting_for_a_fresh_file_to_be_processed():
    fresh = file_from_raw(
        {
            "id": "file-a",
            "filename": "a.jsonl",
            "purpose": "fine-tune",
            "bytes": 1,
            "created_at": 1,
            "status": "uploaded",
        }
    )
    slow = SlowFiles()
    naps: list[float] = []
    assert wait_until_processed(slow, fresh, sleep=naps.append).status == "processed"  # type: ignore[arg-type]
    assert len(naps) == 2
    broken = file_from_raw({**fresh.raw, "status": "error", "status_details": "bad line 3"})
    with pytest.raises(FinetopError, match=r"could not process a\.jsonl"):
        wait_until_processed(slow, broken, sleep=naps.append)  # type: ignore[arg-type]


def test_estimates_survive_reopening_the_cache(tmp_path):
    from store.cache import TrainingEstimate

    cache = Cache.open(tmp_path / "c" / "cache.db")
    cache.save_estimate(TrainingEstimate("ftjob-1", 85_900, "supervised", 1, "o200k_base", 3, "preflight"))
    cache.close()
    again = Cache.open(tmp_path / "c" / "cache.db")
    assert again.estimate("ftjob-1") == TrainingEstimate(
        "ftjob-1", 85_900, "supervised", 1, "o200k_base", 3, "preflight"
    )
    assert again.estimate("ftjob-2") is None
    again.close()
