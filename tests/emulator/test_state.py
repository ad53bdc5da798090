"""Persistence to a SQLite file and reload, determinism for a seed, snapshots, reset."""

from __future__ import annotations

from tests.emulator.helpers import chat_file
from tests.fixtures.emulator import make_client


def _without_clock(snapshot: dict) -> dict:
    return {key: value for key, value in snapshot.items() if key != "now"}


def test_a_world_persisted_to_a_file_carries_on_after_a_restart(emulator_factory, tmp_path):
    db = str(tmp_path / "emulator.sqlite")
    first = emulator_factory(scenario="small", db_path=db)
    with make_client(first) as client:
        training = chat_file(client, 12, name="persisted.jsonl")
        job = client.fine_tuning.jobs.create(model="gpt-4.1-mini", training_file=training)
    first.control.advance(60)
    before = first.control.snapshot()
    first.stop()

    second = emulator_factory(scenario="empty", db_path=db)  # the file wins over the scenario
    after = second.control.snapshot()
    assert _without_clock(after) == _without_clock(before)
    assert after["now"] == before["now"]
    with make_client(second) as client:
        assert client.files.content(training).read().startswith(b'{"messages"')
        second.control.advance(3 * 3600)
        assert client.fine_tuning.jobs.retrieve(job.id).status == "succeeded"
        fresh = chat_file(client, 12, name="after-restart.jsonl")
    assert fresh not in {f["id"] for f in before["files"]}


def test_the_same_seed_gives_the_same_world_and_another_seed_another(emulator_factory):
    worlds = []
    for seed in (7, 7, 8):
        emulator = emulator_factory(scenario="small", seed=seed)
        with make_client(emulator) as client:
            job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=chat_file(client, 15))
            emulator.control.advance(90)
            emulator.control.advance(2000)
            assert client.fine_tuning.jobs.retrieve(job.id).status == "succeeded"
        worlds.append(_without_clock(emulator.control.snapshot()))
    assert worlds[0] == worlds[1]
    assert worlds[0]["jobs"][0]["id"] != worlds[2]["jobs"][0]["id"]
    assert len(worlds[0]["usage"]) > 100


def test_event_ids_do_not_depend_on_how_the_clock_was_moved(emulator_factory):
    logs = []
    for steps in ([3600], [600] * 6):
        emulator = emulator_factory(scenario="empty", seed=1)
        with make_client(emulator) as client:
            job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=chat_file(client, 12))
            for seconds in steps:
                emulator.control.advance(seconds)
        logs.append(emulator.control.snapshot()["events"][job.id])
    assert logs[0] == logs[1] and len(logs[0]) > 50


def test_the_snapshot_holds_everything_an_archive_is_checked_against(emulator):
    emulator.control.reset("small")
    snapshot = emulator.control.snapshot()
    assert {job["status"] for job in snapshot["jobs"]} == {
        "succeeded", "failed", "cancelled", "paused", "running", "queued", "validating_files",
    }  # fmt: skip
    for job in snapshot["jobs"]:
        assert snapshot["events"][job["id"]][0].startswith("ftevent-")
    succeeded = [job for job in snapshot["jobs"] if job["status"] == "succeeded"]
    assert all(snapshot["checkpoints"][job["id"]] for job in succeeded)
    assert all(len(f["sha256"]) == 64 for f in snapshot["files"])
    assert any(model["kind"] == "checkpoint" for model in snapshot["models"])
    assert snapshot["usage"][0]["model"].startswith("ft:")


def test_reset_forgets_everything_and_seeds_again(emulator, openai_client):
    chat_file(openai_client)
    emulator.control.inject_fault("/v1/models", "500")
    info = emulator.control.reset("small", seed=3)
    assert info["scenario"] == "small" and info["seed"] == 3
    assert emulator.control.faults() == [] and emulator.control.requests() == []
    assert [f.filename for f in openai_client.files.list()][-1] == "support-train.jsonl"
    emulator.control.reset("empty")
    assert openai_client.files.list().data == []
