"""Job, event and checkpoint lists (newest first, `after` paging, limits, metadata filters) and /models."""

from __future__ import annotations

import openai
import pytest

from tests.emulator.helpers import all_events, chat_file


@pytest.mark.emulator(scenario="small")
def test_jobs_page_newest_first_and_filter_by_metadata(openai_client, emulator):
    raw = openai_client.fine_tuning.jobs.with_raw_response.list(limit=100).http_response.json()
    everything = [job["id"] for job in raw["data"]]
    assert len(everything) == 9 and raw["has_more"] is False
    created = [job["created_at"] for job in raw["data"]]
    assert created == sorted(created, reverse=True)

    emulator.control.clear_requests()
    paged, after = [], None
    while True:
        page = openai_client.fine_tuning.jobs.with_raw_response.list(limit=4, **({"after": after} if after else {}))
        body = page.http_response.json()
        paged += [job["id"] for job in body["data"]]
        if not body["has_more"]:
            break
        after = body["data"][-1]["id"]
    assert paged == everything
    assert [r["query"].get("after") for r in emulator.control.requests()] == [None, everything[3], everything[7]]

    support = openai_client.fine_tuning.jobs.with_raw_response.list(metadata={"team": "support"}).http_response.json()
    assert {job["metadata"]["team"] for job in support["data"]} == {"support"} and len(support["data"]) == 2
    nightly = openai_client.fine_tuning.jobs.with_raw_response.list(metadata={"team": "support", "run": "nightly"})
    assert [job["status"] for job in nightly.http_response.json()["data"]] == ["running"]
    no_metadata = openai_client.fine_tuning.jobs.with_raw_response.list(extra_query={"metadata": "null"})
    assert all(job["metadata"] is None for job in no_metadata.http_response.json()["data"])
    assert len(no_metadata.http_response.json()["data"]) == 6


def test_job_list_limits_follow_the_documented_rules(openai_client):
    for limit, code in ((0, "integer_below_min_value"), (101, "integer_above_max_value")):
        with pytest.raises(openai.BadRequestError) as caught:
            openai_client.fine_tuning.jobs.list(limit=limit)
        assert caught.value.code == code and caught.value.param == "limit"
    with pytest.raises(openai.BadRequestError):
        openai_client.files.list(limit=10_001)


def test_events_page_newest_first_and_after_gives_older_ones(openai_client, emulator):
    job = openai_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=chat_file(openai_client, 20))
    emulator.control.advance(3 * 3600)
    oldest_first = all_events(openai_client, job.id)
    assert len(oldest_first) > 100

    first = openai_client.fine_tuning.jobs.list_events(job.id)
    assert len(first.data) == 20 and first.has_more is True
    assert first.data[0].message == "The job has successfully completed"
    older = openai_client.fine_tuning.jobs.list_events(job.id, after=first.data[-1].id, limit=5)
    assert [e.id for e in older.data] == [e.id for e in reversed(oldest_first)][20:25]
    assert all(e.created_at <= first.data[-1].created_at for e in older.data)
    last = openai_client.fine_tuning.jobs.list_events(job.id, after=oldest_first[1].id)
    assert [e.message for e in last.data] == [f"Created fine-tuning job: {job.id}"] and last.has_more is False
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.fine_tuning.jobs.list_events(job.id, after="ftevent-nope")
    assert caught.value.param == "after"


def test_only_the_last_three_checkpoints_are_kept_and_they_page(openai_client, emulator):
    job = openai_client.fine_tuning.jobs.create(
        model="gpt-4.1-mini",
        training_file=chat_file(openai_client, 10),
        suffix="ckpt",
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 5}}},
    )
    emulator.control.advance(3 * 3600)
    done = openai_client.fine_tuning.jobs.retrieve(job.id)
    checkpoints = list(openai_client.fine_tuning.jobs.checkpoints.list(job.id, limit=2))
    assert [c.step_number for c in checkpoints] == [50, 40, 30]
    assert checkpoints[0].fine_tuned_model_checkpoint == done.fine_tuned_model
    assert all(c.fine_tuning_job_id == job.id and c.id.startswith("ftckpt_") for c in checkpoints)
    assert checkpoints[1].metrics.step == 40 and checkpoints[1].metrics.train_loss is not None
    models = {m.id for m in openai_client.models.list()}
    assert {f"{done.fine_tuned_model}:ckpt-step-{n}" for n in (30, 40)} <= models
    assert not {f"{done.fine_tuned_model}:ckpt-step-{n}" for n in (10, 20)} & models
    messages = [e.message for e in all_events(openai_client, job.id)]
    assert sum(m.startswith("Checkpoint created at step") for m in messages) == 4


@pytest.mark.emulator(scenario="small")
def test_fine_tuned_models_are_retrieved_and_deleted_by_their_colon_ids(openai_client):
    models = [m.id for m in openai_client.models.list()]
    assert "gpt-4o-mini-2024-07-18" in models
    fine_tuned = next(m for m in models if m.startswith("ft:") and ":support:" in m and "ckpt" not in m)
    model = openai_client.models.retrieve(fine_tuned)
    assert model.id == fine_tuned and model.object == "model" and model.owned_by.startswith("org-")
    retired = next(m for m in models if m.startswith("ft:o4-mini"))
    assert openai_client.models.retrieve(retired).shutdown_date == "2026-10-23"

    no_suffix = next(m for m in models if m.startswith("ft:") and "::" in m)
    assert openai_client.models.retrieve(no_suffix).id == no_suffix  # `::` travels literally in the path

    deleted = openai_client.models.delete(fine_tuned)
    assert deleted.id == fine_tuned and deleted.deleted is True
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client.models.retrieve(fine_tuned)
    assert caught.value.code == "model_not_found"
    assert caught.value.body["message"] == f"The model `{fine_tuned}` does not exist or you do not have access to it."
    assert fine_tuned not in [m.id for m in openai_client.models.list()]
    with pytest.raises(openai.PermissionDeniedError):
        openai_client.models.delete("gpt-4o-mini-2024-07-18")
