"""`finetop create` against the emulator: a local file checked, priced, uploaded, the job created and followed
to its end; files with errors refused; reruns; refusals in plain words; options checked before anything goes out."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from store.backend import Backend
from tui.cli import main

DATASETS = Path(__file__).resolve().parents[1] / "fixtures" / "datasets"


@pytest.fixture(autouse=True)
def quick_polls(isolated_env):
    """Follow a job every 0.2 s rather than the default 5 s."""
    config = isolated_env / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text("[profiles.default]\npoll_seconds = 0.2\n")


def run(emulator, *args: str):
    env = {"OPENAI_BASE_URL": emulator.base_url, "OPENAI_API_KEY": emulator.api_key, "COLUMNS": "200"}
    return CliRunner().invoke(main, list(args), env=env)


def local(tmp_path: Path, name: str) -> Path:
    shutil.copy(DATASETS / name, tmp_path / name)
    return tmp_path / name


def posts(emulator, path: str) -> list[dict]:
    return [r for r in emulator.control.requests() if r["method"] == "POST" and r["path"] == path]


@pytest.mark.emulator(scenario="empty", speed=2000)
def test_create_follow_runs_a_job_end_to_end(emulator, tmp_path):
    train = local(tmp_path, "chat_valid.jsonl")
    result = run(emulator, "create", "-m", "gpt-4o-mini", "-t", str(train), "--suffix", "e2e", "--yes", "--follow")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "✓ no problems found" in out
    assert "estimated cost              ≈$0.01  ≈4,576 billed tokens (8 epochs)" in out
    assert "Uploaded chat_valid.jsonl as file-" in out
    assert "Created ftjob-" in out
    assert "Fine-tuning job started" in out and "step 96/96" in out
    assert "The job has successfully completed" in out
    assert out.rstrip().endswith("succeeded")
    job = next(j for j in emulator.control.snapshot()["jobs"] if j.get("user_provided_suffix") == "e2e")
    assert job["status"] == "succeeded"
    backend = Backend.open()
    try:
        estimate = backend.cache.estimate(job["id"])
        assert estimate is not None and estimate.estimated_tokens == job["trained_tokens"] == 4576
    finally:
        backend.close()


@pytest.mark.emulator(scenario="empty")
def test_a_file_with_errors_is_refused_without_force(emulator, tmp_path):
    bad = local(tmp_path, "missing_assistant.jsonl")
    result = run(emulator, "create", "-m", "gpt-4o-mini", "-t", str(bad), "--yes")
    assert result.exit_code == 2, result.output
    assert "✗ 1 error: the service would reject this training file" in result.output
    assert "no assistant message" in result.output
    assert "pass --force to upload and create anyway" in result.output
    assert not posts(emulator, "/v1/files") and not posts(emulator, "/v1/fine_tuning/jobs")

    forced = run(emulator, "create", "-m", "gpt-4o-mini", "-t", str(bad), "--yes", "--force")
    assert forced.exit_code == 0, forced.output
    assert "--force: upload and create despite 1 error" in forced.output
    assert len(posts(emulator, "/v1/fine_tuning/jobs")) == 1


@pytest.mark.emulator(scenario="small")
def test_rerun_starts_from_the_jobs_configuration(emulator):
    dpo = next(j for j in emulator.control.snapshot()["jobs"] if j["method"]["type"] == "dpo")
    result = run(emulator, "create", "--rerun", dpo["id"], "--suffix", "tone-v2", "--epochs", "2", "--yes")
    assert result.exit_code == 0, result.output
    assert f"rerun of                    {dpo['id']}" in result.output
    assert "cannot be estimated: its contents are not archived here" in result.output
    new = next(j for j in emulator.control.snapshot()["jobs"] if j.get("user_provided_suffix") == "tone-v2")
    assert new["method"]["type"] == "dpo"
    assert new["training_file"] == dpo["training_file"] and new["seed"] == dpo["seed"]
    assert new["method"]["dpo"]["hyperparameters"]["n_epochs"] == 2
    old_beta = dpo["method"]["dpo"]["hyperparameters"]["beta"]
    assert new["method"]["dpo"]["hyperparameters"]["beta"] == old_beta  # unchanged fields carried over


@pytest.mark.emulator(scenario="empty", daily_job_limit=0)
def test_the_services_refusal_is_explained(emulator, tmp_path):
    result = run(emulator, "create", "-m", "gpt-4o-mini", "-t", str(local(tmp_path, "chat_valid.jsonl")), "--yes")
    assert result.exit_code == 1
    assert "The service refused to create the job: Today's limit of 0 new fine-tuning jobs" in result.output
    assert "The service said: This fine-tune request has been rate-limited." in result.output
    assert "code daily_rate_limit_exceeded, request req_" in result.output


@pytest.mark.emulator(scenario="empty")
def test_options_are_checked_before_anything_is_sent(emulator, tmp_path):
    train = str(local(tmp_path, "chat_valid.jsonl"))
    result = run(emulator, "create", "-m", "gpt-4o-mini", "-t", train, "--epochs", "99", "--suffix", "a b", "--yes")
    assert result.exit_code == 2
    assert "Epochs must be 1-50, not 99." in result.output
    assert "The suffix may hold only letters, digits, - and _" in result.output
    missing = run(emulator, "create", "-m", "gpt-4o-mini", "-t", str(tmp_path / "nope.jsonl"), "--yes")
    assert missing.exit_code == 2 and "no such file" in missing.output
    assert not emulator.control.requests()


@pytest.mark.emulator(scenario="empty")
def test_without_a_terminal_it_asks_for_yes(emulator, tmp_path):
    result = run(emulator, "create", "-m", "gpt-4o-mini", "-t", str(local(tmp_path, "chat_valid.jsonl")))
    assert result.exit_code == 1
    assert "Refusing without confirmation" in result.output and "Pass --yes" in result.output
    assert not posts(emulator, "/v1/files")  # nothing uploaded before the answer


@pytest.mark.emulator(scenario="empty")
def test_upload_refuses_a_file_with_errors_unless_forced(emulator, tmp_path):
    bad = local(tmp_path, "missing_assistant.jsonl")
    refused = run(emulator, "upload", str(bad))
    assert refused.exit_code == 2 and "Not uploaded" in refused.output
    assert not posts(emulator, "/v1/files")
    forced = run(emulator, "upload", str(bad), "--force")
    assert forced.exit_code == 0, forced.output
    assert "Uploaded missing_assistant.jsonl as file-" in forced.output
