"""The cache: what survives, what it refuses, and how events keep their order across interrupted walks."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap

import pytest
import sqlite_utils

from store.cache import SCHEMA_STEPS, Cache, migration_set
from store.errors import CacheError, NotCachedError
from store.records import event_from_raw, file_from_raw, job_from_raw, model_from_raw


def make_job(job_id="ftjob-a", status="running", created_at=1_700_000_000, **extra):
    raw = {
        "id": job_id,
        "object": "fine_tuning.job",
        "status": status,
        "model": "gpt-4o-mini-2024-07-18",
        "created_at": created_at,
        "training_file": "file-train",
        "error": {},
        "result_files": [],
        "seed": 7,
        **extra,
    }
    return job_from_raw(raw)


def metrics_event(job_id: str, n: int, created_at: int):
    return event_from_raw(
        job_id,
        {
            "id": f"ftevent-{n:04d}",
            "object": "fine_tuning.job.event",
            "created_at": created_at,
            "level": "info",
            "message": f"Step {n}/100: training loss={1 / n:.2f}",
            "type": "metrics",
            "data": {"step": n, "total_steps": 100, "train_loss": 1 / n},
        },
    )


@pytest.fixture
def cache(tmp_path):
    c = Cache.open(tmp_path / "profile" / "cache.db")
    yield c
    c.close()


def test_cache_files_are_private_to_their_owner(cache, tmp_path):
    cache.upsert_jobs([make_job()])
    folder = tmp_path / "profile"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in ("cache.db", "cache.db-wal", "cache.db-shm"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name


def test_reopening_an_existing_cache_keeps_its_data(tmp_path):
    path = tmp_path / "p" / "cache.db"
    first = Cache.open(path)
    first.upsert_jobs([make_job(status="succeeded", trained_tokens=1234)])
    first.close()
    again = Cache.open(path)
    assert again.job("ftjob-a").trained_tokens == 1234
    assert again.schema_steps()[0] == "001_initial"


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "p" / "cache.db"
    path.parent.mkdir()
    path.write_bytes(b"this is a text file, not SQLite\n" * 100)
    with pytest.raises(CacheError, match="not a finetop cache"):
        Cache.open(path)
    assert path.read_bytes().startswith(b"this is a text file")


def test_someone_elses_database_is_refused(tmp_path):
    path = tmp_path / "p" / "cache.db"
    path.parent.mkdir()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.commit()
    conn.close()
    with pytest.raises(CacheError, match="not a finetop cache"):
        Cache.open(path)


def test_a_cache_from_a_newer_finetop_is_refused_with_upgrade_advice(tmp_path):
    path = tmp_path / "p" / "cache.db"
    Cache.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('finetop', '099_future', 'x')"
    )
    conn.commit()
    conn.close()
    with pytest.raises(CacheError, match="newer finetop") as caught:
        Cache.open(path)
    assert "Upgrade" in caught.value.hint


def test_job_quirks_survive_the_round_trip(cache):
    raw_paused = make_job(status="paused", user_provided_suffix="support").raw
    cache.upsert_jobs([job_from_raw(raw_paused)])
    job = cache.job("ftjob-a")
    assert job.status == "paused"  # not in the SDK's enum; kept as the API said
    assert job.error is None  # "error": {} on a job that did not fail
    assert job.suffix == "support"
    assert job.raw["user_provided_suffix"] == "support"


def test_status_changes_are_reported_once(cache):
    assert [c.old_status for c in cache.upsert_jobs([make_job(status="queued")])] == [None]
    assert cache.upsert_jobs([make_job(status="queued")]) == []
    changes = cache.upsert_jobs([make_job(status="running")])
    assert [(c.old_status, c.job.status) for c in changes] == [("queued", "running")]


def test_jobs_filter_by_status_model_and_date(cache):
    cache.upsert_jobs(
        [
            make_job("ftjob-1", "succeeded", 1_000, fine_tuned_model="ft:gpt-4o-mini-2024-07-18:org::abc"),
            make_job("ftjob-2", "failed", 2_000),
            make_job("ftjob-3", "running", 3_000, model="gpt-4.1-2025-04-14"),
        ]
    )
    assert [j.id for j in cache.jobs()] == ["ftjob-3", "ftjob-2", "ftjob-1"]
    assert [j.id for j in cache.jobs(statuses=["failed", "succeeded"])] == ["ftjob-2", "ftjob-1"]
    assert [j.id for j in cache.jobs(model="gpt-4.1")] == ["ftjob-3"]
    assert [j.id for j in cache.jobs(since=1_500, until=3_000)] == ["ftjob-2"]
    assert cache.find_job("ft:gpt-4o-mini-2024-07-18:org::abc").id == "ftjob-1"
    assert cache.find_job("ftjob-3").id == "ftjob-3"
    with pytest.raises(NotCachedError):
        cache.find_job("ftjob-nope")


def test_an_interrupted_event_walk_resumes_without_gaps_or_duplicates(cache):
    """Pages arrive newest first; a walk cut after its first page continues from its cursor,
    and a later walk picks up only the events newer than what is held."""
    cache.upsert_jobs([make_job()])
    events = [metrics_event("ftjob-a", n, 1_000 + n // 4) for n in range(30, 0, -1)]  # newest first
    run = cache.start_event_run("ftjob-a")
    inserted, run = cache.append_event_page(run, events[:10], finished=False, resume_after=events[9].id)
    assert inserted == 10 and run is not None
    # ... the process dies here; a new process finds the unfinished run and goes on from it:
    pending = cache.event_run("ftjob-a")
    assert pending == run
    inserted, done = cache.append_event_page(pending, events[10:], finished=True, resume_after=None)
    assert inserted == 20 and done is None and cache.event_run("ftjob-a") is None

    newer = [metrics_event("ftjob-a", n, 1_010 + n // 4) for n in range(33, 30, -1)]
    walk = cache.start_event_run("ftjob-a")
    assert walk.stop_at == "ftevent-0030"
    # a page overlapping what we hold inserts only the new ones
    inserted, _ = cache.append_event_page(walk, newer + events[:2], finished=True, resume_after=None)
    assert inserted == 3

    held = [e.data["step"] for e in cache.events("ftjob-a", limit=None)]
    assert held == list(range(1, 34))
    assert cache.job("ftjob-a").step == 33 and cache.job("ftjob-a").total_steps == 100
    series = cache.metric_series("ftjob-a")
    assert series.steps == list(range(1, 34))
    assert series.values["train_loss"][0] == 1.0
    assert [e.id for e in cache.events_after("ftjob-a", "ftevent-0031")] == ["ftevent-0032", "ftevent-0033"]
    assert [e.id for e in cache.events("ftjob-a", limit=2, before_id="ftevent-0003")] == [
        "ftevent-0001",
        "ftevent-0002",
    ]


def test_events_in_the_same_second_keep_the_api_order_across_walks(cache):
    cache.upsert_jobs([make_job()])
    same_second = [
        event_from_raw("ftjob-a", {"id": f"ftevent-x{i}", "created_at": 5, "level": "info", "message": f"m{i}"})
        for i in (2, 1)
    ]
    run = cache.start_event_run("ftjob-a")
    cache.append_event_page(run, same_second, finished=True, resume_after=None)
    later = [event_from_raw("ftjob-a", {"id": "ftevent-x3", "created_at": 5, "level": "info", "message": "m3"})]
    cache.append_event_page(cache.start_event_run("ftjob-a"), later, finished=True, resume_after=None)
    assert [e.message for e in cache.events("ftjob-a")] == ["m1", "m2", "m3"]


def test_files_gone_from_the_server_are_kept_and_marked(cache):
    files = [
        file_from_raw(
            {"id": f"file-{i}", "filename": f"f{i}.jsonl", "purpose": "fine-tune", "bytes": 10 * i, "created_at": i}
        )
        for i in (1, 2, 3)
    ]
    assert cache.upsert_files(files, now=100) == 3
    assert cache.mark_files_missing_deleted({"file-1", "file-3"}, now=200) == 1
    assert [f.id for f in cache.files()] == ["file-3", "file-1"]
    gone = cache.file("file-2")
    assert gone.deleted_at == 200 and gone.filename == "f2.jsonl"
    assert {f.id for f in cache.files(include_deleted=True)} == {"file-1", "file-2", "file-3"}


def test_models_replaced_by_a_listing_mark_the_missing_deleted(cache):
    listing = [model_from_raw({"id": m, "created": 1, "owned_by": "me"}) for m in ("ft:a:o::1", "ft:b:o::2")]
    assert cache.replace_models(listing, now=10) == (2, 0)
    assert cache.replace_models(listing[:1], now=20) == (0, 1)
    assert [m.id for m in cache.models()] == ["ft:a:o::1"]
    assert [m.deleted_at for m in cache.models(include_deleted=True) if m.id == "ft:b:o::2"] == [20]


def test_contents_are_content_addressed_and_verifiable(cache):
    first = cache.store_content("file-1", [b"hello ", b"world\n"])
    twin = cache.store_content("file-2", [b"hello world\n"])
    assert first.sha256 == twin.sha256 and first.path == twin.path
    with cache.open_content("file-1") as handle:
        assert handle.read() == b"hello world\n"
    assert cache.verify_contents() == []
    first.path.write_bytes(b"tampered")
    assert {(p.file_id, p.problem) for p in cache.verify_contents()} == {("file-1", "corrupt"), ("file-2", "corrupt")}
    first.path.unlink()
    assert {p.problem for p in cache.verify_contents()} == {"missing"}
    assert cache.stats().contents == 2


def test_two_processes_writing_at_once_neither_fail_nor_duplicate(tmp_path):
    """Each process upserts the same jobs and events in many small transactions."""
    path = tmp_path / "p" / "cache.db"
    Cache.open(path).close()
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {os.getcwd()!r})
        from store.cache import Cache
        from tests.store.test_cache import make_job, metrics_event
        cache = Cache.open(__import__("pathlib").Path({str(path)!r}))
        for round in range(40):
            cache.upsert_jobs([make_job(f"ftjob-{{i}}") for i in range(20)])
            run = cache.start_event_run("ftjob-1")
            cache.append_event_page(run, [metrics_event("ftjob-1", n, n) for n in range(100, 0, -1)],
                                    finished=True, resume_after=None)
        print("ok")
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()
        assert out.strip() == b"ok"
    cache = Cache.open(path)
    assert cache.count_events("ftjob-1") == 100
    assert len(cache.jobs()) == 20
    assert [e.data["step"] for e in cache.events("ftjob-1", limit=None)] == list(range(1, 101))
    assert json.loads(json.dumps(cache.job("ftjob-1").raw))["id"] == "ftjob-1"


def test_a_long_jobs_chart_is_kept_until_the_job_gains_events(cache):
    cache.upsert_jobs([make_job()])
    events = [metrics_event("ftjob-a", n, 1_000 + n) for n in range(400, 0, -1)]
    cache.append_event_page(cache.start_event_run("ftjob-a"), events, finished=True, resume_after=None)
    first = cache.chart_series("ftjob-a", points=100)
    assert len(first.steps) < 400 and first.steps[-1] == 400  # reduced, the latest steps exact
    assert cache.db.execute("SELECT COUNT(*) FROM charts").fetchone()[0] == 1
    again = cache.chart_series("ftjob-a", points=100)
    assert again.steps == first.steps and again.values["train_loss"] == first.values["train_loss"]
    newer = [metrics_event("ftjob-a", n, 2_000 + n) for n in range(410, 400, -1)]
    cache.append_event_page(cache.start_event_run("ftjob-a"), newer, finished=True, resume_after=None)
    assert cache.db.execute("SELECT COUNT(*) FROM charts").fetchone()[0] == 0  # dropped: stale
    assert cache.chart_series("ftjob-a", points=100).steps[-1] == 410


def test_has_events_before_answers_without_counting(cache):
    cache.upsert_jobs([make_job()])
    events = [metrics_event("ftjob-a", n, 1_000 + n) for n in range(5, 0, -1)]
    cache.append_event_page(cache.start_event_run("ftjob-a"), events, finished=True, resume_after=None)
    assert cache.has_events_before("ftjob-a", "ftevent-0003")
    assert not cache.has_events_before("ftjob-a", "ftevent-0001")


@pytest.mark.parametrize("stopped_before", [name for name, _ in SCHEMA_STEPS][1:])
def test_a_cache_from_every_earlier_schema_migrates_and_keeps_its_data(tmp_path, stopped_before):
    """A cache written by an older finetop (stopped before each later step) opens at the latest schema,
    with what it held intact; a blank one gets every step."""
    path = tmp_path / "old" / "cache.db"
    path.parent.mkdir()
    db = sqlite_utils.Database(path)
    migration_set().apply(db, stop_before=stopped_before)
    db["jobs"].insert({"id": "ftjob-kept", "status": "succeeded", "model": "m", "created_at": 1, "raw": "{}"})
    db.close()
    old = Cache.open(path)
    everything = [name for name, _ in SCHEMA_STEPS]
    assert old.schema_steps() == everything
    assert old.db.execute("SELECT id, status FROM jobs").fetchall() == [("ftjob-kept", "succeeded")]
    old.close()
    assert Cache.open(tmp_path / "blank" / "cache.db").schema_steps() == everything
