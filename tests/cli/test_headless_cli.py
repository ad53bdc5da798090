"""The headless command line as scripts and SSH sessions use it: real processes, real HTTP, real caches."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.app import FROZEN_NOW

FINETOP = [sys.executable, "-m", "tui.cli"]


def run(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FINETOP, *args], env=env, capture_output=True, text=True, timeout=timeout)


def env_for(emulator, *, admin: bool = True, **extra: str) -> dict[str, str]:
    env = {**os.environ, **emulator.env(), "COLUMNS": "200", **extra}
    if not admin:
        env.pop("OPENAI_ADMIN_KEY")
    return env


def cache_file(home: Path) -> Path:
    return home / "data" / "profiles" / "default" / "cache.db"


@pytest.fixture
def small(emulator_factory):
    return emulator_factory(scenario="small", now=FROZEN_NOW)


def job_id_with(emulator, status: str) -> str:
    return next(j["id"] for j in emulator.control.snapshot()["jobs"] if j["status"] == status)


# -- reading ---------------------------------------------------------------------------------


def test_jobs_lists_and_filters_and_prints_json(small):
    env = env_for(small)
    table = run("jobs", env=env)
    assert table.returncode == 0, table.stderr
    for job in small.control.snapshot()["jobs"]:
        assert job["id"] in table.stdout
    failed = run("jobs", "--status", "failed", "--json", env=env)
    rows = json.loads(failed.stdout)
    assert [r["status"] for r in rows] == ["failed"]
    assert rows[0]["error"]["code"] == "invalid_training_file"


def test_job_detail_shows_hyperparameters_error_and_checkpoints(small):
    env = env_for(small)
    run("sync", env=env)
    failed = run("job", job_id_with(small, "failed"), env=env)
    assert failed.returncode == 0, failed.stderr
    assert "invalid_training_file" in failed.stdout
    done = next(
        j
        for j in small.control.snapshot()["jobs"]
        if j["status"] == "succeeded" and j.get("method", {}).get("type") == "supervised"
    )
    shown = run("job", done["id"], env=env)
    assert "n_epochs" in shown.stdout and "checkpoints" in shown.stdout
    assert done["fine_tuned_model"] in shown.stdout


def test_follow_prints_new_events_and_exits_0_when_the_job_succeeds(emulator_factory, isolated_env):
    # 8 steps of 20 simulated seconds remain: about 10 s of real time at x15.
    emulator = emulator_factory(scenario="small", now=FROZEN_NOW, speed=15)
    env = env_for(emulator, FINETOP_PROFILE="fast")
    add = run("profiles", "add", "fast", "--base-url", emulator.base_url, "--poll-seconds", "0.3", env=env)
    assert add.returncode == 0, add.stderr
    job_id = job_id_with(emulator, "running")
    started = time.monotonic()
    proc = subprocess.Popen([*FINETOP, "events", job_id, "--follow"], env=env, stdout=subprocess.PIPE, text=True)
    arrivals = []
    assert proc.stdout is not None
    for line in proc.stdout:
        arrivals.append((time.monotonic() - started, line.rstrip()))
    assert proc.wait(timeout=120) == 0
    messages = [text for _, text in arrivals]
    assert any("The job has successfully completed" in m for m in messages)
    server_events = emulator.control.snapshot()["events"][job_id]
    assert len(messages) >= min(50, len(server_events))  # the last 50, then every new one
    # lines kept arriving while the job ran, not all at the end
    assert arrivals[-1][0] - arrivals[0][0] > 3


def _follow_until(emulator, job_id: str, act) -> int:
    env = env_for(emulator, FINETOP_PROFILE="fast")
    run("profiles", "add", "fast", "--base-url", emulator.base_url, "--poll-seconds", "0.3", env=env)
    proc = subprocess.Popen([*FINETOP, "events", job_id, "--follow"], env=env, stdout=subprocess.PIPE, text=True)
    time.sleep(1.5)
    act()
    return proc.wait(timeout=60)


def test_follow_exits_non_zero_when_the_job_is_cancelled(emulator_factory, isolated_env, openai_client):
    emulator = emulator_factory(scenario="small", now=FROZEN_NOW)
    job_id = job_id_with(emulator, "running")
    code = _follow_until(emulator, job_id, lambda: run("cancel", job_id, "--yes", env=env_for(emulator)))
    assert code == 4


def test_follow_exits_non_zero_when_the_job_fails(emulator_factory, isolated_env):
    emulator = emulator_factory(scenario="small", now=FROZEN_NOW)
    env = env_for(emulator)
    bad = Path(isolated_env / "bad.jsonl")
    bad.write_text("\n".join(json.dumps({"messages": [{"role": "user", "content": "hi"}]}) for _ in range(12)) + "\n")
    import openai

    client = openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key)
    uploaded = client.files.create(file=bad.open("rb"), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=uploaded.id)
    assert run("sync", env=env).returncode == 0
    code = _follow_until(emulator, job.id, lambda: emulator.control.advance(3600))
    assert code == 3


# -- offline ---------------------------------------------------------------------------------


def test_every_read_command_works_offline_and_says_since_when(small):
    env = env_for(small)
    assert run("archive", "--with-contents", env=env).returncode == 0
    running = job_id_with(small, "running")
    small.stop()
    for args in (["jobs"], ["job", running], ["events", running], ["files"], ["models"]):
        done = run(*args, env=env)
        assert done.returncode == 0, (args, done.stderr)
        assert "offline" in done.stderr and "data from" in done.stderr, (args, done.stderr)
        assert done.stdout.strip(), args
    explicit = run("--offline", "jobs", env=env)
    assert explicit.returncode == 0 and running in explicit.stdout
    assert "Cannot reach" not in explicit.stderr


# -- bad input -------------------------------------------------------------------------------


def test_an_unknown_job_id_is_a_clear_error(small):
    done = run("job", "ftjob-doesnotexist00000000000", env=env_for(small))
    assert done.returncode == 1
    assert "ftjob-doesnotexist" in done.stderr and "Traceback" not in done.stderr


def test_an_invalid_key_is_reported_without_echoing_it(small):
    wrong = "finetop-wrong-key-0123456789abcdef"
    done = run("sync", env=env_for(small, OPENAI_API_KEY=wrong))
    assert done.returncode == 1
    assert "Incorrect API key" in done.stderr and "Traceback" not in done.stderr
    assert wrong not in done.stderr + done.stdout


def test_without_an_admin_key_jobs_sync_and_usage_says_how_to_enable_it(small, isolated_env):
    done = run("sync", env=env_for(small, admin=False))
    assert done.returncode == 0, done.stderr
    assert "OPENAI_ADMIN_KEY" in done.stderr
    listed = run("--offline", "jobs", "--json", env=env_for(small, admin=False))
    assert len(json.loads(listed.stdout)) == len(small.control.snapshot()["jobs"])


def test_an_unreachable_endpoint_falls_back_to_the_cache(small):
    env = env_for(small)
    assert run("sync", env=env).returncode == 0
    gone = env_for(small, OPENAI_BASE_URL="http://127.0.0.1:9/v1")
    sync = run("sync", env=gone)
    assert sync.returncode == 1 and "Cannot reach" in sync.stderr + sync.stdout
    jobs = run("jobs", env=gone)
    assert jobs.returncode == 0 and "offline" in jobs.stderr


def test_a_corrupt_or_foreign_cache_is_refused_and_left_alone(small, isolated_env):
    path = cache_file(isolated_env)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x00garbage" * 1000)
    done = run("jobs", env=env_for(small))
    assert done.returncode == 1 and "not a finetop cache" in done.stderr
    assert path.read_bytes().startswith(b"\x00garbage")
    path.unlink()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    done = run("jobs", env=env_for(small))
    assert done.returncode == 1 and "not a finetop cache" in done.stderr


def test_a_cache_from_a_newer_finetop_asks_for_an_upgrade(small, isolated_env):
    env = env_for(small)
    assert run("sync", env=env).returncode == 0
    conn = sqlite3.connect(cache_file(isolated_env))
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('finetop', '999_future', 'x')"
    )
    conn.commit()
    conn.close()
    done = run("jobs", env=env)
    assert done.returncode == 1 and "newer finetop" in done.stderr and "Upgrade" in done.stderr


# -- actions ---------------------------------------------------------------------------------


def test_pause_resume_cancel_and_a_wrong_state_refusal(small):
    env = env_for(small)
    running = job_id_with(small, "running")
    assert "paused" in run("pause", running, env=env).stdout
    refused = run("pause", running, env=env)
    assert refused.returncode == 1 and "only running jobs can be paused" in refused.stderr
    assert "request req_" in refused.stderr  # the request id, for a support ticket
    resumed = run("resume", running, env=env)
    assert resumed.returncode == 0 and "is now" in resumed.stdout and "queued" in resumed.stdout
    assert next(j["status"] for j in small.control.snapshot()["jobs"] if j["id"] == running) in ("queued", "running")
    no_tty = run("cancel", running, env=env)
    assert no_tty.returncode == 1 and "--yes" in no_tty.stderr  # never cancels without confirmation
    assert run("cancel", running, "--yes", env=env).returncode == 0
    assert next(j["status"] for j in small.control.snapshot()["jobs"] if j["id"] == running) == "cancelled"


def test_deleting_files_needs_confirmation_and_keeps_the_archive(small):
    env = env_for(small)
    run("archive", "--with-contents", env=env)
    target = next(f for f in small.control.snapshot()["files"] if f["purpose"] == "fine-tune")
    assert run("files", "delete", target["id"], env=env).returncode == 1  # no terminal, no --yes
    done = run("files", "delete", target["id"], "--yes", env=env)
    assert done.returncode == 0, done.stderr
    assert next(f for f in small.control.snapshot()["files"] if f["id"] == target["id"])["deleted"]
    listed = run("--offline", "files", "--deleted", "--json", env=env)
    gone = next(f for f in json.loads(listed.stdout) if f["id"] == target["id"])
    assert gone["deleted_at"] is not None
    saved = run("--offline", "files", "download", target["id"], "-o", str(Path(env["FINETOP_DATA_DIR"])), env=env)
    assert saved.returncode == 0, saved.stderr


def test_archive_then_verify_finds_tampering(small, isolated_env):
    env = env_for(small)
    done = run("archive", "--with-contents", env=env)
    assert done.returncode == 0, done.stderr
    assert "file contents" in done.stdout
    assert run("archive", "verify", env=env).returncode == 0
    blob = next((cache_file(isolated_env).parent / "blobs").rglob("*"))
    while blob.is_dir():
        blob = next(blob.iterdir())
    blob.write_bytes(b"changed")
    bad = run("archive", "verify", env=env)
    assert bad.returncode == 1 and "corrupt" in bad.stdout
