"""When a job should finish: the API's estimate when it gives one, else the pace of its steps so far."""

from __future__ import annotations

from dataclasses import replace

import pytest

from store.types import Job

STARTED = 1_800_000_000
RUNNING = Job(
    id="ftjob-1",
    status="running",
    model="gpt-4o-mini-2024-07-18",
    created_at=STARTED - 60,
    training_file="file-1",
    started_at=STARTED,
    step=100,
    total_steps=400,
)


def test_the_pace_so_far_predicts_the_rest():
    # 100 steps in 1,000 s: the 300 left take 3,000 s more.
    assert RUNNING.expected_finish(STARTED + 1_000) == STARTED + 4_000


def test_the_apis_estimate_wins():
    assert replace(RUNNING, estimated_finish=STARTED + 9_999).expected_finish(STARTED + 1_000) == STARTED + 9_999


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "queued", "step": None, "started_at": None},
        {"status": "paused"},  # a paused job has no finish to expect until it resumes
        {"status": "succeeded", "finished_at": STARTED + 5_000},
        {"step": None},  # no metrics yet: no pace
    ],
)
def test_no_guess_without_a_pace(changes):
    assert replace(RUNNING, **changes).expected_finish(STARTED + 1_000) is None
