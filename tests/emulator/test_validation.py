"""The response validator is real (it catches a broken body), and the one list of deviations is the README's."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest

from emulator.deviations import DEVIATIONS, undo_all
from emulator.validation import load_validator
from tests.emulator.helpers import chat_file

README = Path(__file__).resolve().parents[2] / "emulator" / "README.md"


@pytest.fixture(scope="module")
def validator():
    loaded = load_validator()
    if loaded is None:
        pytest.skip("../shared/openapi is not here")
    return loaded


def _job(**changes):
    body = {
        "object": "fine_tuning.job", "id": "ftjob-1", "model": "gpt-4o-mini-2024-07-18", "created_at": 1,
        "finished_at": None, "fine_tuned_model": None, "organization_id": "org-1", "result_files": [],
        "status": "running", "validation_file": None, "training_file": "file-1", "hyperparameters": {},
        "trained_tokens": None, "error": None, "seed": 1,
    }  # fmt: skip
    body.update(changes)
    return json.dumps(body).encode()


def test_a_conforming_body_passes_and_a_broken_one_is_reported(validator):
    path = "/v1/fine_tuning/jobs/ftjob-1"
    assert validator.problems("GET", path, 200, "application/json", _job()) == []
    problems = validator.problems("GET", path, 200, "application/json", _job(status="exploded", seed="x"))
    assert any("status" in p for p in problems) and any("seed" in p for p in problems)
    missing = json.loads(_job())
    del missing["training_file"]
    assert validator.problems("GET", path, 200, "application/json", json.dumps(missing).encode())
    bad_error = json.dumps({"error": {"message": "x", "type": "invalid_request_error"}}).encode()
    assert validator.problems("GET", path, 404, "application/json", bad_error)
    good_error = json.dumps({"error": {"message": "x", "type": "t", "param": None, "code": None}}).encode()
    assert validator.problems("GET", path, 404, "application/json", good_error) == []


def test_only_the_listed_deviations_are_tolerated(validator):
    path = "/v1/fine_tuning/jobs/ftjob-1"
    assert validator.problems("GET", path, 200, "application/json", _job(status="paused")) == []
    assert validator.problems("GET", path, 200, "application/json", _job(error={})) == []
    assert validator.problems("GET", path, 200, "application/json", _job(error={"code": "x"}))
    assert validator.problems("GET", "/v1/files/file-1/content", 200, "application/octet-stream", b"raw") == []
    assert undo_all({"object": "fine_tuning.job.event", "data": None}) == {
        "object": "fine_tuning.job.event",
        "data": {},
    }


def test_the_readme_lists_exactly_the_deviations_in_the_code():
    text = README.read_text(encoding="utf-8")
    section = text.split("## Deliberate deviations from the spec", 1)[1].split("\n## ", 1)[0]
    listed = {line.split("`")[1] for line in section.splitlines() if line.startswith("- `")}
    assert listed == {d.name for d in DEVIATIONS}


@pytest.mark.emulator(quirks=("empty_error",))
def test_the_empty_error_quirk_sends_what_real_jobs_often_carry(openai_client, emulator):
    job = openai_client.fine_tuning.jobs.with_raw_response.create(
        model="gpt-4o-mini", training_file=chat_file(openai_client)
    ).http_response.json()
    assert job["error"] == {}
    with pytest.raises(openai.APIResponseValidationError):  # why the quirk is opt-in
        openai_client.fine_tuning.jobs.retrieve(job["id"])
