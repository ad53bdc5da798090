"""Sync against the emulator over real HTTP: exact archives, cheap polls, faults, crashes, concurrency."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from store.cache import Cache
from store.sync import SyncReport
from tests.fixtures.app import FROZEN_NOW
from tests.fixtures.archive import archive_differences


def test_a_full_archive_equals_the_server_object_for_object(make_world):
    world = make_world("demo", sync=False)
    report = world.backend.sync(full=True, with_contents=True)
    assert not report.errors
    server = world.emulator.control.snapshot()
    assert archive_differences(world.backend.cache, server, contents=True) == []
    assert world.backend.cache.verify_contents() == []


def test_a_second_sync_right_after_changes_nothing_and_costs_a_handful_of_requests(make_world):
    world = make_world("demo")
    control = world.emulator.control
    control.clear_requests()
    report = world.backend.sync()
    assert report.changes == [] and report.events_added == 0
    # jobs page + one events page per active job + files + models + usage + costs
    active = len(world.backend.cache.job_ids(active_only=True))
    assert report.requests <= 5 + active, control.requests()
    assert report.requests == len(control.requests())


def test_steady_state_polls_skip_ended_jobs(make_world):
    world = make_world("small")
    syncer = world.backend.syncer
    ended = {j.id for j in world.backend.cache.jobs() if j.is_terminal}
    world.emulator.control.clear_requests()
    report = syncer.run_collections(["jobs", "events", "details"])
    paths = [r["path"] for r in world.emulator.control.requests()]
    assert not [p for p in paths if any(job_id in p for job_id in ended)]
    active = len(world.backend.cache.job_ids(active_only=True))
    assert report.requests <= 1 + 2 * active


def test_new_events_and_status_changes_arrive_incrementally(make_world):
    world = make_world("small")
    cache, control = world.backend.cache, world.emulator.control
    running = [j for j in cache.jobs() if j.status == "running"]
    assert running, "the small scenario has a running job"
    before = cache.count_events(running[0].id)
    control.advance(3 * 3600)
    report = world.backend.sync()
    assert report.events_added > 0
    assert cache.count_events(running[0].id) > before
    assert {c.job.id for c in report.transitions} >= {running[0].id}
    assert archive_differences(cache, control.snapshot()) == []


def test_faults_during_a_long_sync_still_end_in_an_exact_archive(make_world):
    world = make_world("bench", sync=False, jobs=120, events=12_000, files=60)
    control = world.emulator.control
    control.inject_fault("GET /v1/fine_tuning/jobs/*/events", "429", count=6, retry_after_ms=20)
    control.inject_fault("GET /v1/fine_tuning/jobs", "500", count=2)
    control.inject_fault("GET /v1/fine_tuning/jobs/*/events", "drop", count=3)
    control.inject_fault("GET /v1/fine_tuning/jobs/*/checkpoints", "delay", count=3, delay=0.3)
    control.inject_fault("GET /v1/files", "503", count=1)
    report = SyncReport()
    for _ in range(10):  # a 429 burst beyond the SDK's retries backs off; the next sync goes on
        report = world.backend.sync()
        if not report.errors:
            break
        time.sleep(report.errors and 0.05)
    assert not report.errors
    assert archive_differences(world.backend.cache, control.snapshot()) == []
    statuses = [r["status"] for r in control.requests()]
    assert statuses.count(429) >= 6 and statuses.count(500) >= 2


def _sync_process(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "sync", "--once"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _env_for(emulator) -> dict[str, str]:
    return {**os.environ, **emulator.env()}


def test_a_sync_killed_midway_resumes_to_an_exact_archive(emulator_factory, isolated_env):
    emulator = emulator_factory(scenario="bench", now=FROZEN_NOW, jobs=80, events=20_000, files=20)
    control = emulator.control
    control.inject_fault("GET /v1/fine_tuning/jobs/*/events", "delay", count=10_000, delay=0.01)
    proc = _sync_process(_env_for(emulator))
    deadline = time.time() + 60
    while time.time() < deadline and len(control.requests()) < 60:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL  # killed mid-sync, not finished
    path = isolated_env / "data" / "profiles" / "default" / "cache.db"
    server = control.snapshot()
    total = sum(len(events) for events in server["events"].values())
    partial = Cache.open(path)
    kept = partial.count_events()
    partial.close()
    assert 0 < kept < total
    control.clear_faults()
    control.clear_requests()
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", "sync", "--once"], env=_env_for(emulator), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    cache = Cache.open(path)
    assert archive_differences(cache, control.snapshot()) == []
    # It resumed: what the killed run had read is not asked for again.
    pages = [r for r in control.requests() if r["path"].endswith("/events")]
    fresh = sum(max(1, -(-len(events) // 100)) for events in server["events"].values())
    assert len(pages) < fresh


def test_two_concurrent_syncs_of_one_profile_finish_cleanly(emulator_factory, isolated_env):
    emulator = emulator_factory(scenario="bench", now=FROZEN_NOW, jobs=60, events=6_000, files=20)
    procs = [_sync_process(_env_for(emulator)) for _ in range(2)]
    for proc in procs:
        _out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        assert "error" not in err.lower()
    cache = Cache.open(isolated_env / "data" / "profiles" / "default" / "cache.db")
    assert archive_differences(cache, emulator.control.snapshot()) == []


def test_without_an_admin_key_training_data_still_syncs(make_world):
    world = make_world("small", sync=False, admin=False)
    report = world.backend.sync()
    assert not report.errors
    assert world.backend.cache.jobs()
    usage_state = world.backend.cache.sync_state("usage")
    assert "admin key" in (usage_state.last_error or "")
    assert world.backend.cache.usage() == []


def test_a_revoked_key_mid_sync_stops_with_a_clear_error_and_keeps_what_was_saved(make_world):
    world = make_world("small")
    held = len(world.backend.cache.jobs())
    world.emulator.control.inject_fault("GET /v1/fine_tuning/jobs", "status", status=401, count=5)
    report = world.backend.sync()
    assert "jobs" in report.errors and report.errors["jobs"].kind == "auth"
    assert len(world.backend.cache.jobs()) == held
    state = world.backend.cache.sync_state("jobs")
    assert state.last_error and world.emulator.api_key not in state.last_error


def test_an_unreachable_endpoint_marks_the_profile_offline(make_backend, emulator_factory):
    emulator = emulator_factory(scenario="small", now=FROZEN_NOW)
    backend = make_backend(emulator)
    backend.sync()
    emulator.stop()
    report = backend.sync()
    assert report.offline
    freshness = backend.freshness()
    assert freshness.offline and freshness.last_contact is not None
    assert backend.cache.jobs(), "the cache still answers"


def active_jobs_files(world) -> set[str]:
    jobs = [job for job in world.emulator.control.snapshot()["jobs"] if job["status"] not in TERMINAL]
    return {job["training_file"] for job in jobs} | {job["validation_file"] for job in jobs} - {None}


def test_active_jobs_training_data_is_archived_once(make_world):
    world = make_world("small", sync=False)
    cache = world.backend.cache
    files = active_jobs_files(world)
    world.backend.sync()
    assert files and all(cache.content(file_id) is not None for file_id in files)
    assert cache.verify_contents() == []

    world.emulator.control.clear_requests()
    world.backend.syncer.poll()
    assert not [r for r in world.emulator.control.requests() if r["path"].endswith("/content")]


def test_big_training_files_wait_for_the_archive_command(make_world, monkeypatch):
    import store.sync

    world = make_world("small", sync=False)
    monkeypatch.setattr(store.sync, "AUTO_ARCHIVE_BYTES", 10)
    files = active_jobs_files(world)
    world.backend.sync()
    assert files and all(world.backend.cache.content(file_id) is None for file_id in files)
    world.backend.sync(with_contents=True)  # what `finetop archive --with-contents` runs
    assert all(world.backend.cache.content(file_id) is not None for file_id in files)


TERMINAL = {"succeeded", "failed", "cancelled"}
