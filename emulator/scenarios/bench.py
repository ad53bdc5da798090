"""A large account for benchmarks: `jobs` finished jobs sharing `events` events, and `files` files.

Rows are generated in bulk straight into SQLite (not through the simulation) so that
5,000 jobs, 1,000,000 events and 2,000 files seed in seconds. Each job has the usual
life-cycle messages around its metrics events, three checkpoints and its models.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import random
from itertools import islice, repeat
from typing import TYPE_CHECKING, Any

from emulator import models
from emulator.db import EVENT_INDEXES
from emulator.ids import bulk_ids

if TYPE_CHECKING:
    from emulator.world import World

BASES = ("gpt-4o-mini-2024-07-18", "gpt-4.1-mini-2025-04-14", "gpt-4.1-2025-04-14", "gpt-4o-2024-08-06")
STEP_SECONDS = 3


@functools.cache
def _curve(shape: int, steps: int, count: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Messages and data of a job's metrics events; jobs of the same shape share them (fast seeding)."""
    loss0 = 1.2 + shape / 10
    messages, datas = [], []
    for step in range(1, count + 1):
        loss = 0.08 + loss0 * math.exp(-4.0 * step / steps)
        messages.append(f"Step {step}/{steps}: training loss={loss:.2f}")
        datas.append(
            f'{{"step":{step},"total_steps":{steps},"train_loss":{loss:.6f},'
            f'"train_mean_token_accuracy":{1 - loss * 0.3:.6f}}}'
        )
    return tuple(messages), tuple(datas)


def build(world: World, start: float, options: dict[str, Any]) -> None:
    n_jobs = int(options.get("jobs", 100))
    n_events = int(options.get("events", 10_000))
    n_files = max(1, int(options.get("files", 50)))
    models.add_base_models(world)
    rng = random.Random(world.seed_value)
    db = world.db
    conn = db.conn
    span = max(n_jobs, 1) * 3600  # one job an hour, ending a day before the start
    first_time = int(start) - 86400 - span

    file_ids = bulk_ids(rng, "file-", n_files)
    line = json.dumps(
        {
            "messages": [
                {"role": "user", "content": "Where is my order?"},
                {"role": "assistant", "content": "On its way."},
            ]
        }
    )
    file_rows = []
    for index, file_id in enumerate(file_ids):
        content = (f"{line}\n" * (10 + index % 40)).encode()
        created = first_time - (n_files - index) * 60
        file_rows.append(
            (file_id, created, f"dataset-{index:05d}.jsonl", "fine-tune", len(content), "processed", None, 0,
             hashlib.sha256(content).hexdigest(), content)
        )  # fmt: skip
    conn.executemany(
        "INSERT INTO files(id, created_at, filename, purpose, bytes, status, expires_at, deleted, sha256, content) "
        "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        file_rows,
    )

    per_job = [n_events // n_jobs + (1 if i < n_events % n_jobs else 0) for i in range(n_jobs)] if n_jobs else []
    job_ids = bulk_ids(rng, "ftjob-", n_jobs)
    event_ids = iter(bulk_ids(rng, "ftevent-", n_events)) if n_events else iter(())
    codes = bulk_ids(rng, "", n_jobs, length=8)
    db.run_script("DROP INDEX IF EXISTS events_by_job")
    job_rows, event_rows, checkpoint_rows, model_rows = [], [], [], []
    for index, job_id in enumerate(job_ids):
        pk = index + 1
        base = BASES[index % len(BASES)]
        created = first_time + index * 3600
        events_here = per_job[index]
        steps = max(events_here - 6, 1)
        name = f"ft:{base}:{world.org_slug}::{codes[index]}"
        started = created + 30
        finished = started + steps * STEP_SECONDS + 30
        training_file = file_ids[index % n_files]
        lifecycle = [
            (created, "message", f"Created fine-tuning job: {job_id}", "{}"),
            (created, "message", f"Validating training file: {training_file}", "{}"),
            (created + 25, "message", "Files validated, moving job to queued state", "{}"),
            (started, "message", "Fine-tuning job started", None),
        ]
        for moment, kind, message, data in lifecycle[:events_here]:
            event_rows.append((pk, next(event_ids), moment, "info", kind, message, data))
        metrics_count = max(0, events_here - 6)
        messages, datas = _curve(index % 17, steps, metrics_count)
        event_rows.extend(
            zip(
                repeat(pk, metrics_count),
                islice(event_ids, metrics_count),
                range(started + STEP_SECONDS, started + STEP_SECONDS * (metrics_count + 1), STEP_SECONDS),
                repeat("info"),
                repeat("metrics"),
                messages,
                datas,
                strict=False,
            )
        )
        loss0 = 1.2 + (index % 17) / 10
        closing = (
            (finished - 2, f"New fine-tuned model created: {name}"),
            (finished, "The job has successfully completed"),
        )
        for moment, message in closing[: max(0, events_here - 4)]:
            event_rows.append((pk, next(event_ids), moment, "info", "message", message, "{}"))
        for epoch in (1, 2, 3):
            step = max(1, steps * epoch // 3)
            snapshot = name if epoch == 3 else f"{name}:ckpt-step-{step}"
            metrics = {"step": step, "train_loss": 0.08 + loss0 * math.exp(-4.0 * epoch / 3)}
            checkpoint_rows.append(
                (world.ids.derived("ftckpt_", job_id, "checkpoint", step), pk, finished - 10 + epoch, step, snapshot,
                 json.dumps(metrics))
            )  # fmt: skip
            model_rows.append(
                (snapshot, finished, world.org_id, "fine_tuned" if epoch == 3 else "checkpoint", job_id, None, 0)
            )
        trained = (200 + index % 300) * steps
        body = {
            "id": job_id,
            "created_at": created,
            "model": base,
            "training_file": training_file,
            "validation_file": None,
            "status": "succeeded",
            "fine_tuned_model": name,
            "finished_at": finished,
            "trained_tokens": trained,
            "error": None,
            "result_files": [],
            "estimated_finish": None,
            "hyperparameters": {"batch_size": 1, "learning_rate_multiplier": 1.8, "n_epochs": 3},
            "user_provided_suffix": None,
            "seed": index,
            "integrations": [],
            "method": {"type": "supervised", "supervised": {"hyperparameters": {"batch_size": 1,
                       "learning_rate_multiplier": 1.8, "n_epochs": 3}}},
            "metadata": {"batch": str(index // 100)},
            "usage_metrics": None,
            "shared_with_openai": False,
            "sim": {"events": events_here, "started": True, "step": steps, "total_steps": steps,
                    "trained_tokens": trained, "run_seconds": float(finished - started), "shows_estimate": False},
        }  # fmt: skip
        job_rows.append((pk, job_id, created, "succeeded", base, json.dumps(body["metadata"]), json.dumps(body)))
    conn.executemany(
        "INSERT INTO jobs(pk, id, created_at, status, model, metadata, body) VALUES(?, ?, ?, ?, ?, ?, ?)", job_rows
    )
    conn.executemany(
        "INSERT INTO events(job_pk, id, created_at, level, type, message, data) VALUES(?, ?, ?, ?, ?, ?, ?)",
        event_rows,
    )
    conn.executemany(
        "INSERT INTO checkpoints(id, job_pk, created_at, step_number, model, metrics) VALUES(?, ?, ?, ?, ?, ?)",
        checkpoint_rows,
    )
    conn.executemany(
        "INSERT OR IGNORE INTO models(id, created, owned_by, kind, job_id, shutdown_date, deleted) "
        "VALUES(?, ?, ?, ?, ?, ?, ?)",
        model_rows,
    )
    db.run_script(EVENT_INDEXES)
