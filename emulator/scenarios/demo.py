"""A believable account for `finetop demo`: months of history and jobs that keep moving while you watch.

Northwind Labs has fine-tuned for most of a year: an old gpt-3.5-turbo support bot
(its base retired on 2026-10-23, so its traffic stops there), triage, vision, SQL,
contract and tone models on gpt-4o-mini, gpt-4o, gpt-4.1-mini and gpt-4.1, a DPO
model, an o4-mini reinforcement model; one failed job (invalid training file), one
cancelled, one paused; three running (a step every 25-40 simulated seconds, so at
speed 60 the logs stream and the losses fall), one queued behind them and one still
validating its files. Everything is relative to the start time and fixed by the seed.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from emulator import catalog, models, usage
from emulator.scenarios import samples
from emulator.scenarios.history import History

if TYPE_CHECKING:
    from emulator.world import World

DAY, HOUR, MINUTE = 86400, 3600, 60


def _method(kind: str, **hyperparameters: Any) -> dict[str, Any]:
    return {"type": kind, kind: {"hyperparameters": hyperparameters}}


def build(world: World, start: float, options: dict[str, Any]) -> None:
    models.add_base_models(world)
    world.org_slug = str(options.get("org", "northwind"))
    rng = random.Random(world.seed_value)
    s = start
    h = History(world)

    def upload(name: str, days_ago: float, filename: str, content: bytes) -> None:
        h.file(name, s - days_ago * DAY, filename, content)

    upload("support", 232, "support-transcripts-2026-03.jsonl", samples.support_chat(rng, 180))
    upload("triage", 151, "ticket-triage-train.jsonl", samples.support_chat(rng, 300))
    upload("triage_valid", 151, "ticket-triage-valid.jsonl", samples.support_chat(rng, 60))
    upload("receipts", 111, "receipts-vision-v2.jsonl", samples.receipt_vision(rng, 60))
    upload("sql", 81, "sql-helper-train.jsonl", samples.sql_chat(rng, 400))
    upload("sql_valid", 81, "sql-helper-valid.jsonl", samples.sql_chat(rng, 80))
    upload("security", 71, "security-questionnaire-rft-train.jsonl", samples.security_prompts(rng, 80))
    upload("security_valid", 71, "security-questionnaire-rft-valid.jsonl", samples.security_prompts(rng, 20))
    upload("contract", 46, "contract-redlines-tools.jsonl", samples.redline_tools(rng, 120))
    upload("tone", 33, "tone-preferences-dpo.jsonl", samples.tone_preferences(rng, 200))
    upload("faq_broken", 19, "faq-bot-v3.jsonl", samples.support_chat(rng, 240, broken_line=137))
    upload("triage2", 10, "ticket-triage-train-v2.jsonl", samples.support_chat(rng, 350))
    upload("contract2", 0.3, "contract-redlines-tools-v2.jsonl", samples.redline_tools(rng, 200))
    upload("receipts3", 0.1, "receipts-vision-v3.jsonl", samples.receipt_vision(rng, 300))
    upload("sql2", 0.05, "sql-helper-train-v2.jsonl", samples.sql_chat(rng, 600))
    upload("sql2_valid", 0.05, "sql-helper-valid-v2.jsonl", samples.sql_chat(rng, 100))
    upload("triage3", 0.02, "ticket-triage-train-v3.jsonl", samples.support_chat(rng, 400))
    upload("faq", 0.01, "faq-bot-v4.jsonl", samples.support_chat(rng, 240))

    h.job(
        "support",
        s - 230 * DAY,
        model="gpt-3.5-turbo",
        training_file="@support",
        suffix="support-bot",
        metadata={"team": "support"},
    )
    h.job(
        "triage",
        s - 150 * DAY,
        model="gpt-4o-mini",
        training_file="@triage",
        validation_file="@triage_valid",
        suffix="ticket-triage",
        metadata={"team": "support", "ticket": "ML-142"},
        integrations=[{"type": "wandb", "wandb": {"project": "northwind-triage"}}],
    )
    h.job(
        "receipts",
        s - 110 * DAY,
        model="gpt-4o-2024-08-06",
        training_file="@receipts",
        suffix="receipts",
        metadata={"team": "finance"},
    )
    h.job(
        "sql",
        s - 80 * DAY,
        model="gpt-4.1-mini",
        training_file="@sql",
        validation_file="@sql_valid",
        suffix="sql-helper",
        metadata={"team": "analytics"},
    )
    h.job(
        "security",
        s - 70 * DAY,
        model="o4-mini-2025-04-16",
        training_file="@security",
        validation_file="@security_valid",
        suffix="sec-review",
        metadata={"team": "security"},
        method={
            "type": "reinforcement",
            "reinforcement": {"grader": samples.STRING_CHECK_GRADER, "hyperparameters": {"reasoning_effort": "medium"}},
        },
    )
    h.job(
        "contract",
        s - 45 * DAY,
        model="gpt-4.1-2025-04-14",
        training_file="@contract",
        suffix="redliner",
        metadata={"team": "legal"},
    )
    h.job(
        "tone",
        s - 32 * DAY,
        model="gpt-4o-mini-2024-07-18",
        training_file="@tone",
        suffix="tone-polish",
        method=_method("dpo", beta=0.15),
        metadata={"team": "support"},
    )
    h.job(
        "faq_failed",
        s - 18 * DAY,
        model="gpt-4.1-mini",
        training_file="@faq_broken",
        suffix="faq-bot",
        metadata={"team": "support"},
    )
    h.job(
        "triage_cancelled",
        s - 9 * DAY,
        model="gpt-4o-mini",
        training_file="@triage2",
        suffix="ticket-triage",
        metadata={"team": "support", "ticket": "ML-188"},
        timing={"step": 6.0},
    )
    h.cancel("triage_cancelled", s - 9 * DAY + 25 * MINUTE)
    h.job(
        "contract_paused",
        s - 5 * HOUR,
        model="gpt-4.1",
        training_file="@contract2",
        suffix="redliner",
        metadata={"team": "legal"},
        timing={"step": 30.0},
    )
    h.pause("contract_paused", s - 4 * HOUR - 20 * MINUTE)
    h.job(
        "receipts_running",
        s - 2 * HOUR,
        model="gpt-4o",
        training_file="@receipts3",
        suffix="receipts",
        metadata={"team": "finance"},
        timing={"step": 40.0},
    )
    h.job(
        "sql_running",
        s - 50 * MINUTE,
        model="gpt-4.1-mini",
        training_file="@sql2",
        validation_file="@sql2_valid",
        suffix="sql-helper",
        metadata={"team": "analytics"},
        timing={"step": 25.0},
    )
    h.job(
        "triage_running",
        s - 20 * MINUTE,
        model="gpt-4o-mini",
        training_file="@triage3",
        suffix="ticket-triage",
        metadata={"team": "support", "ticket": "ML-201"},
        timing={"step": 30.0},
    )
    h.job(
        "faq_queued",
        s - 3 * MINUTE,
        model="gpt-4.1-mini",
        training_file="@faq",
        suffix="faq-bot",
        metadata={"team": "support"},
        timing={"step": 20.0},
    )
    h.job(
        "contract_validating",
        s - 40,
        model="gpt-4.1",
        training_file="@contract",
        suffix="redliner-v3",
        metadata={"team": "legal"},
        timing={"validate": 75.0, "step": 20.0},
    )
    h.play()  # fmt: skip

    # Steady customers of every model that finished training (weekly rhythm, slow growth).
    profiles = (
        ("support", 2600, 900, 180, 0.0, "proj_support", 0),
        ("triage", 6000, 650, 40, 0.45, "proj_support", 7),
        ("receipts", 800, 1400, 120, 0.2, "proj_finance", 0),
        ("sql", 3500, 1100, 160, 0.55, "proj_analytics", 0),
        ("security", 220, 1200, 2500, 0.05, "proj_security", 0),
        ("contract", 400, 6000, 900, 0.3, "proj_legal", 0),
        ("tone", 1500, 300, 220, 0.1, "proj_support", 14),
    )
    for name, daily, prompt, completion, cached, project, batch_every in profiles:
        record = h.record(name)
        base = catalog.resolve(record["model"])
        retired = base.fine_tunes_retired if base else None
        stop = datetime(retired.year, retired.month, retired.day, tzinfo=UTC).timestamp() if retired else None
        usage.add_traffic(
            world,
            {
                "model": h.model_of(name),
                "start": record["finished_at"] + 2 * HOUR,
                "stop": stop,
                "daily_requests": daily,
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "cached_share": cached,
                "batch_every_days": batch_every,
                "batch_requests": daily * 3,
                "project_id": project,
                "user_id": f"user-{name}",
                "api_key_id": f"key_{project.removeprefix('proj_')}",
                "seed": rng.randrange(2**31),
                "growth": 0.25,
            },
        )
    world.engine.touch()
