"""Uploads against the emulator over real HTTP: one request for small files, parallel parts above the limit
(md5 checked by the server), resuming after a crash or a SIGKILL without re-sending finished parts, cancel,
and the ways a local file or the server can spoil an upload. Also the cache migration that holds the records."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from store.api import Api
from store.cache import Cache
from store.config import Profile
from store.credentials import Keys
from store.upload import UploadCancelled, UploadError, UploadProgress, identify, upload
from tui.cli import main

REPO = Path(__file__).resolve().parents[2]
KiB = 1024
PART = 256 * KiB
SMALL_LIMIT = 1024 * KiB  # files above this go in parts, in these tests
FORCED = {"part_size": PART, "single_request_limit": SMALL_LIMIT}


class Crash(BaseException):
    """Stands in for a process dying mid-upload: nothing in upload() may treat it as a cancel."""


def write_jsonl(path: Path, size: int, *, seed: str = "a") -> Path:
    """A valid chat JSONL file of about `size` bytes (the emulator checks fine-tune uploads line by line)."""
    lines, total, n = [], 0, 0
    while True:
        line = json.dumps(
            {
                "messages": [
                    {"role": "user", "content": f"question {seed}{n} " + "x" * 150},
                    {"role": "assistant", "content": f"answer {seed}{n} " + "y" * 150},
                ]
            }
        )
        if total + len(line) + 1 > size:
            break
        lines.append(line)
        total += len(line) + 1
        n += 1
    path.write_text("\n".join(lines) + "\n")
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def server_sha(emulator, file_id: str) -> str:
    return next(f["sha256"] for f in emulator.control.snapshot()["files"] if f["id"] == file_id)


def calls(emulator, suffix: str, method: str = "POST") -> list[dict]:
    return [r for r in emulator.control.requests() if r["method"] == method and r["path"].endswith(suffix)]


def parts_of(path: Path) -> int:
    return -(-path.stat().st_size // PART)


def part_calls(emulator) -> list[dict]:
    return [r for r in emulator.control.requests() if r["method"] == "POST" and r["path"].endswith("/parts")]


@pytest.fixture
def api(emulator):
    client = Api(Profile(name="t", base_url=emulator.base_url), Keys(emulator.api_key, None, "test"))
    yield client
    client.close()


@pytest.fixture
def cache(tmp_path):
    c = Cache.open(tmp_path / "profile" / "cache.db")
    yield c
    c.close()


def crash_after(parts: int):
    """A progress callback that 'kills the process' once `parts` parts are recorded."""

    def progress(p: UploadProgress) -> None:
        if p.parts_done >= parts:
            raise Crash

    return progress


# --- the two routes ------------------------------------------------------------------------------


def test_a_small_file_goes_in_one_request(emulator, api, cache, tmp_path):
    path = write_jsonl(tmp_path / "train.jsonl", 40 * KiB)
    seen: list[UploadProgress] = []
    remote = upload(api, cache, path, progress=seen.append, **FORCED)
    assert remote.bytes == path.stat().st_size and remote.filename == "train.jsonl"
    assert len(calls(emulator, "/v1/files")) == 1 and not calls(emulator, "/v1/uploads")
    assert server_sha(emulator, remote.id) == sha256(path)
    assert cache.file(remote.id).bytes == remote.bytes  # it shows in the Files section at once
    assert seen[-1].stage == "done" and seen[-1].sent == seen[-1].total == remote.bytes and seen[-1].route == "files"


def test_a_large_file_goes_in_parallel_parts_and_the_server_checks_its_md5(emulator, api, cache, tmp_path):
    path = write_jsonl(tmp_path / "big.jsonl", 2 * 1024 * KiB)
    seen: list[UploadProgress] = []
    remote = upload(api, cache, path, progress=seen.append, parallel=3, **FORCED)
    n_parts = parts_of(path)
    assert n_parts == 8
    assert len(calls(emulator, "/v1/uploads")) == 1 and len(part_calls(emulator)) == n_parts
    assert not calls(emulator, "/v1/files")
    assert server_sha(emulator, remote.id) == sha256(path)
    assert cache.upload_records() == []  # a finished upload leaves no record behind
    sent = [p.sent for p in seen]
    assert sent == sorted(sent) and seen[-1].sent == seen[-1].total == path.stat().st_size
    assert seen[-1].parts_done == seen[-1].parts_total == n_parts and seen[-1].skipped_parts == 0
    assert {p.route for p in seen} == {"uploads"}


# --- interrupted, then resumed -------------------------------------------------------------------


def test_a_crash_leaves_a_record_and_the_rerun_skips_the_parts_already_sent(emulator, api, cache, tmp_path):
    path = write_jsonl(tmp_path / "big.jsonl", 2 * 1024 * KiB)
    with pytest.raises(Crash):
        upload(api, cache, path, parallel=1, progress=crash_after(3), **FORCED)
    record = cache.upload_record(identify(path).key)
    assert record is not None and len(record.parts) >= 3
    emulator.control.clear_requests()

    seen: list[UploadProgress] = []
    remote = upload(api, cache, path, parallel=2, progress=seen.append, **FORCED)
    assert len(part_calls(emulator)) == 8 - len(record.parts) and parts_of(path) == 8
    assert not calls(emulator, "/v1/uploads")  # the same upload, completed
    assert seen[-1].skipped_parts == len(record.parts)
    assert f"{len(record.parts)} of 8 parts already on the server, not sent again" in seen[-1].notice
    assert server_sha(emulator, remote.id) == sha256(path)
    assert cache.upload_record(record.key) is None


def test_finetop_upload_killed_with_sigkill_resumes_on_the_next_run(emulator, tmp_path, isolated_env):
    path = write_jsonl(tmp_path / "big.jsonl", 2 * 1024 * KiB)
    # Each part takes a quarter of a second, so the process is still sending when it is killed.
    emulator.control.inject_fault("POST /v1/uploads/*/parts", "delay", delay=0.25, count=1000)
    env = {**os.environ, "OPENAI_BASE_URL": emulator.base_url, "OPENAI_API_KEY": emulator.api_key}
    args = ["upload", str(path), "--part-size", "256KiB", "--single-request-limit", "1MiB", "--parallel", "2"]
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    database = isolated_env / "data" / "profiles" / "default" / "cache.db"
    key = identify(path).key
    deadline = time.monotonic() + 30
    recorded = 0
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if database.exists():
                with sqlite_utils.Database(database) as db:
                    if "upload_parts" in db.table_names():
                        recorded = db.execute("SELECT COUNT(*) FROM upload_parts WHERE key = ?", [key]).fetchone()[0]
                if recorded >= 2:
                    break
            time.sleep(0.05)
        assert recorded >= 2, "the upload never got going"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(10)
    assert process.returncode == -signal.SIGKILL
    cache = Cache.open(database)
    record = cache.upload_record(key)
    cache.close()
    assert record is not None and 2 <= len(record.parts) < parts_of(path)
    emulator.control.clear_faults()
    emulator.control.clear_requests()

    result = CliRunner().invoke(
        main, args, env={"OPENAI_BASE_URL": emulator.base_url, "OPENAI_API_KEY": emulator.api_key}
    )
    assert result.exit_code == 0, result.output
    assert f"{len(record.parts)} of {parts_of(path)} parts already on the server, not sent again" in result.output
    assert f"{len(record.parts)} of them sent before the interruption and skipped" in result.output
    # Parts the killed process still had on the wire are logged when the emulator answers them (after the
    # kill); they carry the delay fault, which the rerun's requests do not.
    rerun_parts = [r for r in part_calls(emulator) if r["fault"] is None]
    assert len(rerun_parts) == parts_of(path) - len(record.parts)  # the finished parts were not sent again
    file_id = result.output.split(" as ")[1].split()[0]
    assert server_sha(emulator, file_id) == sha256(path)


def test_a_changed_file_starts_over_and_the_old_upload_is_cancelled(emulator, api, cache, tmp_path):
    path = write_jsonl(tmp_path / "big.jsonl", 2 * 1024 * KiB)
    with pytest.raises(Crash):
        upload(api, cache, path, parallel=1, progress=crash_after(2), **FORCED)
    old = cache.upload_records()[0]
    write_jsonl(path, 2 * 1024 * KiB + 5 * KiB, seed="b")  # edited before the rerun
    emulator.control.clear_requests()

    seen: list[UploadProgress] = []
    remote = upload(api, cache, path, progress=seen.append, **FORCED)
    assert "big.jsonl changed since its interrupted upload: starting over." in seen[-1].notice
    assert [r["path"] for r in calls(emulator, "/cancel")] == [f"/v1/uploads/{old.upload_id}/cancel"]
    assert len(calls(emulator, "/v1/uploads")) == 1
    assert len(part_calls(emulator)) == parts_of(path)
    assert server_sha(emulator, remote.id) == sha256(path)
    assert cache.upload_records() == []


def test_an_expired_upload_starts_over_and_says_so(emulator, api, cache, tmp_path):
    path = write_jsonl(tmp_path / "big.jsonl", 2 * 1024 * KiB)
    with pytest.raises(Crash):
        upload(api, cache, path, parallel=1, progress=crash_after(2), **FORCED)
    emulator.control.advance(3700)  # the server forgets uploads after an hour
    seen: list[UploadProgress] = []
    later = time.time() + 3700
    remote = upload(api, cache, path, progress=seen.append, clock=lambda: later, **FORCED)
    assert "has expired on the server (uploads last an hour): starting over." in seen[-1].notice
    assert server_sha(emulator, remote.id) == sha256(path)


def test_an_upload_the_server_no_longer_has_is_started_again(emulator, api, cache, tmp_path):
    """This machine's clock says the record is fresh, the server says expired: start over, once."""
    path = write_jsonl(tmp_path / "big.jsonl", 2 * 1024 * KiB)
    with pytest.raises(Crash):
        upload(api, cache, path, parallel=1, progress=crash_after(2), **FORCED)
    emulator.control.advance(3700)
    seen: list[UploadProgress] = []
    remote = upload(api, cache, path, progress=seen.append, **FORCED)
    assert "is no longer open on the server" in seen[-1].notice and "Starting over." in seen[-1].notice
    assert server_sha(emulator, remote.id) == sha256(path)


def test_a_lost_connection_keeps_the_record_for_a_rerun(emulator, api, cache, tmp_path):
    path = write_jsonl(tmp_path / "big.jsonl", 2 * 1024 * KiB)
    emulator.control.inject_fault("POST /v1/uploads/*/parts", "503", count=1000)
    with pytest.raises(UploadError) as caught:
        upload(api, cache, path, parallel=1, **FORCED)
    assert "run the same upload again within the hour" in caught.value.hint
    (record,) = cache.upload_records()  # kept
    emulator.control.clear_faults()
    emulator.control.clear_requests()
    remote = upload(api, cache, path, **FORCED)
    assert server_sha(emulator, remote.id) == sha256(path)
    assert not calls(emulator, "/v1/uploads")  # the same upload went on: no new one was started
    assert calls(emulator, f"/v1/uploads/{record.upload_id}/complete")


# --- cancel and refusals -------------------------------------------------------------------------


def test_cancel_stops_sending_and_cancels_on_the_server(emulator, api, cache, tmp_path):
    path = write_jsonl(tmp_path / "big.jsonl", 2 * 1024 * KiB)
    wanted = {"cancel": False}

    def progress(p: UploadProgress) -> None:
        wanted["cancel"] = p.parts_done >= 2

    with pytest.raises(UploadCancelled, match=r"Cancelled the upload of big\.jsonl"):
        upload(api, cache, path, parallel=1, progress=progress, cancelled=lambda: wanted["cancel"], **FORCED)
    cancels = calls(emulator, "/cancel")
    assert len(cancels) == 1 and cancels[0]["status"] == 200
    assert len(part_calls(emulator)) < 8
    assert not calls(emulator, "/complete")
    assert cache.upload_records() == []
    assert not [f for f in emulator.control.snapshot()["files"] if f.get("filename") == "big.jsonl"]


def test_a_part_the_server_refuses_cancels_the_upload(emulator, api, cache, tmp_path):
    path = write_jsonl(tmp_path / "big.jsonl", 2 * 1024 * KiB)
    emulator.control.inject_fault("POST /v1/uploads/*/parts", "status", status=400, count=1)
    with pytest.raises(UploadError, match=r"The server refused a part of big\.jsonl"):
        upload(api, cache, path, parallel=1, **FORCED)
    assert len(calls(emulator, "/cancel")) == 1
    assert cache.upload_records() == []


def test_bytes_changed_behind_finetops_back_fail_the_md5_check(emulator, api, cache, tmp_path):
    """Same size, same mtime, same first MiB, different bytes later: only the md5 on completion can tell."""
    path = write_jsonl(tmp_path / "big.jsonl", 2 * 1024 * KiB)
    n_parts = parts_of(path)
    with pytest.raises(Crash):
        upload(api, cache, path, parallel=1, progress=crash_after(n_parts), **FORCED)
    info = path.stat()
    data = bytearray(path.read_bytes())
    data[1_500_000] = ord("Z") if data[1_500_000] != ord("Z") else ord("Q")
    path.write_bytes(bytes(data))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    with pytest.raises(UploadError, match="md5 of the bytes the server assembled does not match") as caught:
        upload(api, cache, path, **FORCED)
    assert "upload the file again" in caught.value.hint
    assert len(calls(emulator, "/cancel")) == 1 and cache.upload_records() == []


def test_a_file_that_vanishes_mid_upload_is_reported_and_the_upload_cancelled(emulator, api, cache, tmp_path):
    path = write_jsonl(tmp_path / "big.jsonl", 2 * 1024 * KiB)

    def progress(p: UploadProgress) -> None:
        if p.parts_done >= 1 and path.exists():
            path.unlink()

    with pytest.raises(UploadError, match="vanished while it was being uploaded"):
        upload(api, cache, path, parallel=1, progress=progress, **FORCED)
    assert len(calls(emulator, "/cancel")) == 1 and cache.upload_records() == []


def test_a_missing_file_or_a_folder_is_a_clear_error(api, cache, tmp_path):
    with pytest.raises(UploadError, match="No such file"):
        upload(api, cache, tmp_path / "nope.jsonl")
    with pytest.raises(UploadError, match="is a folder"):
        upload(api, cache, tmp_path)
