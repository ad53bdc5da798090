"""The training simulation: each job's planned future and the engine that plays it out on the simulated clock.

A job's whole history is planned when it is created (durations, steps, curve) and is
a pure function of its seed; the engine only decides *when* things happen: it walks
the clock forward through every job's transitions in time order (so a finished job
frees its slot before a queued one starts), materialising events, checkpoints,
models and result files as their moments pass.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from emulator import checkpoints, events, filestore, metrics, models, tokens, usage

if TYPE_CHECKING:
    from emulator.catalog import BaseModel
    from emulator.world import World

MOVING = ("validating_files", "queued", "running")
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MAX_DEFAULT_EPOCHS = 25
SUCCESS_GAP = 2.0  # seconds between "New fine-tuned model created" and "The job has successfully completed"
RESUME_QUEUE_SECONDS = 5.0


def default_epochs(n_examples: int) -> int:
    """The cookbook's heuristic for n_epochs="auto"."""
    epochs = 3
    if n_examples * epochs < MIN_TARGET_EXAMPLES:
        epochs = min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // max(n_examples, 1))
    elif n_examples * epochs > MAX_TARGET_EXAMPLES:
        epochs = max(1, MAX_TARGET_EXAMPLES // n_examples)
    return epochs


def default_batch_size(n_examples: int) -> int:
    return max(1, min(256, round(n_examples * 0.002)))


def default_learning_rate(batch_size: int) -> float:
    if batch_size == 1:
        return 2.0
    return 1.8 if batch_size <= 8 else 1.0


def _concrete(value: Any, default: Any) -> Any:
    return default if value == "auto" or value is None else value


def plan(
    world: World,
    job: dict[str, Any],
    *,
    base: BaseModel,
    example_tokens: list[int],
    validation_examples: int,
    training_bytes: int,
    problem: dict[str, Any] | None,
    timing: dict[str, float],
) -> dict[str, Any]:
    """Everything about a job's future that does not depend on when its turn comes."""
    seed = job["seed"]

    def draw(salt: int) -> float:
        return metrics.unit(seed, 0, 100 + salt)

    sim: dict[str, Any] = {
        "events": 0,
        "validate_until": job["created_at"]
        + timing.get("validate", 12 + min(120, training_bytes / 25_000) + 20 * draw(1)),
        "queue_seconds": timing.get("queue", 2 + 18 * draw(2)),
        "problem": problem,
        "model_code": world.ids.code(8),
        "shows_estimate": draw(5) < 0.3,
        "started": False,
        "step": 0,
        "base_step": 0,
        "base_time": None,
        "milestone": 0,
        "run_seconds": 0.0,
    }
    if problem is not None:
        return sim
    kind = job["method"]["type"]
    requested = job["method"][kind]["hyperparameters"]
    n_examples = len(example_tokens)
    n_epochs = _concrete(requested.get("n_epochs"), default_epochs(n_examples))
    batch_size = _concrete(requested.get("batch_size"), default_batch_size(n_examples))
    resolved: dict[str, Any] = {
        "batch_size": batch_size,
        "learning_rate_multiplier": _concrete(
            requested.get("learning_rate_multiplier"), default_learning_rate(batch_size)
        ),
        "n_epochs": n_epochs,
    }
    steps_per_epoch = math.ceil(n_examples / batch_size)
    total_steps = steps_per_epoch * n_epochs
    if kind == "dpo":
        resolved = {"beta": _concrete(requested.get("beta"), 0.1), **resolved}
    eval_every = max(1, total_steps // 20)
    if kind == "reinforcement":
        eval_every = _concrete(requested.get("eval_interval"), max(1, total_steps // 10))
        resolved.update(
            reasoning_effort=requested.get("reasoning_effort", "medium"),
            compute_multiplier=_concrete(requested.get("compute_multiplier"), 1.0),
            eval_interval=eval_every,
            eval_samples=_concrete(requested.get("eval_samples"), 8),
        )
    tokens_per_epoch = tokens.capped_total(example_tokens, base.example_token_limit)
    if kind == "reinforcement":
        step_seconds = 40 + 50 * draw(3)  # sampling and grading dominate a reinforcement step
    else:
        per_step = tokens_per_epoch / steps_per_epoch / base.tokens_per_second
        step_seconds = min(120.0, max(0.5, (1.2 + per_step) * (1.6 if kind == "dpo" else 1.0)))
    grader = job["method"].get("reinforcement", {}).get("grader", {}) if kind == "reinforcement" else {}
    sim.update(
        resolved=resolved,
        n_examples=n_examples,
        steps_per_epoch=steps_per_epoch,
        total_steps=total_steps,
        eval_every=eval_every,
        has_validation=validation_examples > 0,
        grader=grader.get("name") or grader.get("type") or "grader",
        step_seconds=timing.get("step", step_seconds),
        finalize_seconds=timing.get("finalize", 15 + 45 * draw(4)),
        trained_tokens=tokens_per_epoch * n_epochs,
    )
    return sim


def curve(job: dict[str, Any]) -> metrics.Curve:
    sim = job["sim"]
    return metrics.Curve(
        seed=job["seed"],
        method=job["method"]["type"],
        total_steps=sim["total_steps"],
        has_validation=sim["has_validation"],
        eval_every=sim["eval_every"],
        grader=sim["grader"],
    )


def model_name(world: World, job: dict[str, Any]) -> str:
    suffix = job.get("user_provided_suffix") or ""
    return f"ft:{job['model']}:{world.org_slug}:{suffix}:{job['sim']['model_code']}"


def step_time(job: dict[str, Any], step: int) -> float:
    sim = job["sim"]
    return sim["base_time"] + (step - sim["base_step"]) * sim["step_seconds"]


def model_created_at(job: dict[str, Any]) -> float:
    return step_time(job, job["sim"]["total_steps"]) + job["sim"]["finalize_seconds"]


def done_at(job: dict[str, Any]) -> float:
    return model_created_at(job) + SUCCESS_GAP


class Engine:
    """Moves every job forward to a given simulated time."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.time = 0.0  # simulated time the world has been brought up to
        self.horizon = -math.inf  # nothing can change before this time

    def reset(self, start: float) -> None:
        self.time = 0.0
        self.horizon = -math.inf

    def dump(self) -> dict[str, Any]:
        return {"time": self.time}

    def load(self, state: dict[str, Any]) -> None:
        self.time = float(state.get("time", 0.0))
        self.horizon = -math.inf

    def touch(self) -> None:
        """Something changed outside the clock (a new job, a pause...): recompute on the next advance."""
        self.horizon = -math.inf

    # --- the walk ---------------------------------------------------------------------------------

    def advance_to(self, until: float) -> None:
        if until < self.horizon:
            return
        from emulator import jobs  # jobs imports this module

        world = self.world
        with world.db.transaction():
            moving = jobs.active(world)
            now = self.time
            while True:
                free = world.settings.max_running_jobs - sum(1 for j in moving if j["status"] == "running")
                best: tuple[float, dict[str, Any]] | None = None
                for job in moving:
                    moment = self._next_transition(job, now, free)
                    if moment is not None and moment <= until and (best is None or moment < best[0]):
                        best = (moment, job)
                if best is None:
                    break
                moment, job = best
                now = max(now, moment)
                self._transition(job, now)
                jobs.save(world, job)
                if job["status"] not in MOVING:
                    moving.remove(job)
            for job in moving:
                if job["status"] == "running" and self._materialize(job, until):
                    jobs.save(world, job)
            usage.materialize(world, until)
            self.time = max(self.time, until)
            self.horizon = self._horizon(moving, until)

    def _next_transition(self, job: dict[str, Any], now: float, free_slots: int) -> float | None:
        sim, status = job["sim"], job["status"]
        if status == "validating_files":
            return sim["validate_until"]
        if status == "queued":
            return max(sim["queue_ready_at"], now) if free_slots > 0 else None
        if status == "running":
            return model_created_at(job) if sim["milestone"] == 0 else done_at(job)
        return None

    def _horizon(self, moving: list[dict[str, Any]], now: float) -> float:
        free = self.world.settings.max_running_jobs - sum(1 for j in moving if j["status"] == "running")
        moments = [usage.next_due(self.world, now)]
        for job in moving:
            moment = self._next_transition(job, now, free)
            if moment is not None:
                moments.append(moment)
            if job["status"] == "running" and job["sim"]["step"] < job["sim"]["total_steps"]:
                moments.append(step_time(job, job["sim"]["step"] + 1))
        return min(moments)

    def _transition(self, job: dict[str, Any], now: float) -> None:
        status, sim = job["status"], job["sim"]
        if status == "validating_files":
            if sim["problem"] is not None:
                self._fail(job, now)
            else:
                job["status"] = "queued"
                sim["queue_ready_at"] = now + sim["queue_seconds"]
                events.add(self.world, job, now, "Files validated, moving job to queued state")
        elif status == "queued":
            self._start(job, now)
        elif sim["milestone"] == 0:
            self._create_model(job, now)
        else:
            self._succeed(job, now)

    # --- phases -----------------------------------------------------------------------------------

    def _start(self, job: dict[str, Any], now: float) -> None:
        sim = job["sim"]
        if not sim["started"]:
            sim["started"] = True
            sim["started_at"] = now
            resolved = sim["resolved"]
            kind = job["method"]["type"]
            job["method"][kind]["hyperparameters"] = dict(resolved)
            job["hyperparameters"] = {
                key: resolved[key] for key in ("batch_size", "learning_rate_multiplier", "n_epochs")
            }
            events.add(self.world, job, now, "Fine-tuning job started", data=None)
        job["status"] = "running"
        sim["base_time"] = now
        sim["base_step"] = sim["step"]

    def _materialize(self, job: dict[str, Any], until: float) -> bool:
        """Write the steps (and epoch-end checkpoints) whose time has come; True if any was written."""
        sim = job["sim"]
        shape = None
        wrote = False
        while sim["step"] < sim["total_steps"] and step_time(job, sim["step"] + 1) <= until:
            shape = shape or curve(job)
            step = sim["step"] + 1
            moment = step_time(job, step)
            data = shape.step_data(step)
            events.add(self.world, job, moment, metrics.message(data), type="metrics", data=data)
            sim["step"] = step
            wrote = True
            if step % sim["steps_per_epoch"] == 0 and step < sim["total_steps"]:
                snapshot = f"{model_name(self.world, job)}:ckpt-step-{step}"
                measured = metrics.checkpoint_metrics(data, metrics.full_validation(shape, step))
                checkpoints.add(self.world, job, moment, step, snapshot, measured)
                models.add(
                    self.world, snapshot, moment, owned_by=self.world.org_id, kind="checkpoint", job_id=job["id"]
                )
                events.add(self.world, job, moment, f"Checkpoint created at step {step} with Snapshot ID: {snapshot}")
        return wrote

    def _create_model(self, job: dict[str, Any], now: float) -> None:
        sim = job["sim"]
        self._materialize(job, step_time(job, sim["total_steps"]))
        name = model_name(self.world, job)
        final = curve(job).step_data(sim["total_steps"])
        checkpoints.add(self.world, job, now, sim["total_steps"], name, metrics.checkpoint_metrics(final))
        models.add(self.world, name, now, owned_by=self.world.org_id, kind="fine_tuned", job_id=job["id"])
        events.add(self.world, job, now, f"New fine-tuned model created: {name}")
        sim["milestone"] = 1

    def _succeed(self, job: dict[str, Any], now: float) -> None:
        sim = job["sim"]
        shape = curve(job)
        rows = [metrics.csv_header(shape.method)]
        rows += [metrics.csv_row(shape.step_data(step)) for step in range(1, sim["total_steps"] + 1)]
        result_file = filestore.create_result_file(self.world, job["id"], "\n".join(rows) + "\n", now)
        events.add(self.world, job, now, "The job has successfully completed")
        sim["run_seconds"] += now - sim["base_time"]
        job.update(
            status="succeeded",
            finished_at=int(now),
            fine_tuned_model=model_name(self.world, job),
            trained_tokens=sim["trained_tokens"],
            result_files=[result_file],
        )

    def _fail(self, job: dict[str, Any], now: float) -> None:
        problem = job["sim"]["problem"]
        events.add(
            self.world,
            job,
            now,
            problem["message"],
            level="error",
            data={"error_code": problem["code"], "error_param": problem["param"]},
        )
        job["status"] = "failed"
        job["error"] = dict(problem)

    # --- requested actions ------------------------------------------------------------------------

    def _stop_running(self, job: dict[str, Any], now: float) -> None:
        sim = job["sim"]
        self._materialize(job, now)
        sim["run_seconds"] += now - sim["base_time"]

    def pause(self, job: dict[str, Any], now: float) -> None:
        from emulator import jobs

        self._stop_running(job, now)
        job["status"] = "paused"
        events.add(self.world, job, now, "Fine-tuning job paused")
        jobs.save(self.world, job)
        self.touch()

    def resume(self, job: dict[str, Any], now: float) -> None:
        from emulator import jobs

        job["status"] = "queued"
        job["sim"]["queue_ready_at"] = now + RESUME_QUEUE_SECONDS
        events.add(self.world, job, now, "Fine-tuning job resumed")
        jobs.save(self.world, job)
        self.touch()

    def cancel(self, job: dict[str, Any], now: float) -> None:
        from emulator import jobs

        if job["status"] == "running":
            self._stop_running(job, now)
        job["status"] = "cancelled"
        job["finished_at"] = int(now)
        events.add(self.world, job, now, "Fine-tuning job cancelled")
        jobs.save(self.world, job)
        self.touch()
