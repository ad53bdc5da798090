"""A tiny deterministic account for fast tests: one job in each status, every method, two days of usage.

At the start time: succeeded (supervised, with validation), a succeeded DPO job and
a succeeded reinforcement job, failed (invalid training file, example 7), cancelled,
paused, running (step 28 of 36), queued and validating_files. Short runs with fixed
phase durations, so a test can predict exactly when each transition happens.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from emulator import models, usage
from emulator.scenarios import samples
from emulator.scenarios.history import History

if TYPE_CHECKING:
    from emulator.world import World

DAY, HOUR, MINUTE = 86400, 3600, 60
FAST = {"validate": 20.0, "queue": 10.0, "step": 5.0, "finalize": 30.0}


def _supervised(epochs: int) -> dict[str, Any]:
    return {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": epochs}}}


def build(world: World, start: float, options: dict[str, Any]) -> None:
    models.add_base_models(world)
    rng = random.Random(world.seed_value)
    s = start
    h = History(world)
    h.file("train", s - 4 * DAY, "support-train.jsonl", samples.support_chat(rng, 12))
    h.file("valid", s - 4 * DAY + 5, "support-valid.jsonl", samples.support_chat(rng, 4))
    h.file("broken", s - 4 * DAY + 10, "support-broken.jsonl", samples.support_chat(rng, 12, broken_line=7))
    h.file("dpo", s - 4 * DAY + 15, "tone-dpo.jsonl", samples.tone_preferences(rng, 12))
    h.file("rft", s - 4 * DAY + 20, "security-rft.jsonl", samples.security_prompts(rng, 10))

    h.job(
        "succeeded",
        s - 3 * DAY,
        model="gpt-4o-mini",
        training_file="@train",
        validation_file="@valid",
        suffix="support",
        method=_supervised(2),
        metadata={"team": "support"},
        timing=FAST,
    )
    h.job(
        "dpo",
        s - 2 * DAY - 12 * HOUR,
        model="gpt-4o-mini",
        training_file="@dpo",
        suffix="tone",
        method={"type": "dpo", "dpo": {"hyperparameters": {"n_epochs": 2, "beta": 0.2}}},
        metadata={"team": "growth"},
        timing=FAST,
    )
    h.job(
        "rft",
        s - 2 * DAY - 6 * HOUR,
        model="o4-mini",
        training_file="@rft",
        suffix="security",
        method={
            "type": "reinforcement",
            "reinforcement": {"grader": samples.STRING_CHECK_GRADER, "hyperparameters": {"n_epochs": 1}},
        },
        timing={**FAST, "step": 60.0},
    )
    h.job("failed", s - 2 * DAY, model="gpt-4.1-mini", training_file="@broken", timing=FAST)
    h.job(
        "cancelled",
        s - DAY,
        model="gpt-4o-mini",
        training_file="@train",
        method=_supervised(3),
        timing={**FAST, "step": 10.0},
    )
    h.cancel("cancelled", s - DAY + 3 * MINUTE)
    h.job(
        "paused",
        s - 2 * HOUR,
        model="gpt-4.1-mini",
        training_file="@train",
        method=_supervised(3),
        timing={**FAST, "step": 10.0},
    )
    h.pause("paused", s - 2 * HOUR + 2 * MINUTE)
    h.job(
        "running",
        s - 10 * MINUTE,
        model="gpt-4o-mini",
        training_file="@train",
        validation_file="@valid",
        method=_supervised(3),
        metadata={"team": "support", "run": "nightly"},
        timing={**FAST, "step": 20.0},
    )
    h.job("queued", s - MINUTE, model="gpt-4.1-mini", training_file="@train", timing={**FAST, "queue": HOUR})
    h.job("validating", s - 5, model="gpt-4o-mini", training_file="@train", timing={**FAST, "validate": MINUTE})
    h.play()  # fmt: skip

    for name, daily, project, batch_every in (("succeeded", 240, "proj_default", 1), ("dpo", 120, "proj_growth", 0)):
        finished = h.record(name)["finished_at"]
        usage.add_traffic(
            world,
            {
                "model": h.model_of(name),
                "start": finished + HOUR,
                "stop": None,
                "daily_requests": daily,
                "prompt_tokens": 500,
                "completion_tokens": 80,
                "cached_share": 0.4,
                "batch_every_days": batch_every,
                "batch_requests": 50,
                "project_id": project,
                "user_id": "user-abc123",
                "api_key_id": "key_small",
                "seed": rng.randrange(2**31),
                "growth": 0.0,
            },
        )
    world.engine.touch()
