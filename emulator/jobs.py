"""Fine-tuning jobs: creation (with the service's checks), storage, the API object, listing, actions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from emulator import catalog, datasets, events, filestore, tokens, training
from emulator.errors import ApiError, bad_cursor, no_such_job

if TYPE_CHECKING:
    from emulator.world import World

TERMINAL = ("succeeded", "failed", "cancelled")
HYPERPARAMETER_KEYS = {
    "supervised": ("batch_size", "learning_rate_multiplier", "n_epochs"),
    "dpo": ("beta", "batch_size", "learning_rate_multiplier", "n_epochs"),
    "reinforcement": (
        "batch_size",
        "learning_rate_multiplier",
        "n_epochs",
        "reasoning_effort",
        "compute_multiplier",
        "eval_interval",
        "eval_samples",
    ),
}
_PUBLIC_KEYS = (
    "object",
    "id",
    "model",
    "created_at",
    "finished_at",
    "fine_tuned_model",
    "organization_id",
    "result_files",
    "status",
    "validation_file",
    "training_file",
    "hyperparameters",
    "trained_tokens",
    "error",
    "user_provided_suffix",
    "seed",
    "estimated_finish",
    "integrations",
    "method",
    "metadata",
    "usage_metrics",
    "shared_with_openai",
)


@dataclass
class JobRequest:
    """A create request whose shape has already been checked (see routes/jobs.py)."""

    model: str
    training_file: str
    validation_file: str | None = None
    suffix: str | None = None
    seed: int | None = None
    method: dict[str, Any] | None = None
    hyperparameters: dict[str, Any] | None = None
    integrations: list[dict[str, Any]] | None = None
    metadata: dict[str, str] | None = None
    timing: dict[str, float] = field(default_factory=dict)  # scenario-only: fixed phase durations


# --- storage ----------------------------------------------------------------------------------------


def save(world: World, job: dict[str, Any]) -> None:
    world.db.execute(
        "UPDATE jobs SET status = ?, body = ? WHERE pk = ?",
        (job["status"], json.dumps(job, separators=(",", ":")), job["pk"]),
    )


def load(world: World, job_id: str) -> dict[str, Any]:
    row = world.db.one("SELECT pk, body FROM jobs WHERE id = ?", (job_id,))
    if row is None:
        raise no_such_job(job_id)
    return {**json.loads(row[1]), "pk": row[0]}


def pk_of(world: World, job_id: str) -> int:
    row = world.db.one("SELECT pk FROM jobs WHERE id = ?", (job_id,))
    if row is None:
        raise no_such_job(job_id)
    return int(row[0])


def active(world: World) -> list[dict[str, Any]]:
    """Jobs the clock can move (paused and finished jobs wait for a request)."""
    rows = world.db.all(
        "SELECT pk, body FROM jobs WHERE status IN ('validating_files', 'queued', 'running') ORDER BY pk"
    )
    return [{**json.loads(body), "pk": pk} for pk, body in rows]


def render(world: World, job: dict[str, Any]) -> dict[str, Any]:
    """The fine_tuning.job object exactly as the API returns it."""
    body = {key: job.get(key) for key in _PUBLIC_KEYS}
    body["object"] = "fine_tuning.job"
    body["organization_id"] = world.org_id
    if body["error"] is None and world.has_quirk("empty_error"):
        body["error"] = {}
    if job["sim"].get("shows_estimate") and job["status"] == "running":
        body["estimated_finish"] = int(training.done_at(job))
    return body


def page(
    world: World, *, after: str | None, limit: int, metadata: dict[str, str] | str | None
) -> tuple[list[dict[str, Any]], bool]:
    """Newest first; `metadata` is a {key: value} filter, or "null" for jobs without metadata."""
    where, params = [], []
    if after is not None:
        cursor = world.db.one("SELECT pk FROM jobs WHERE id = ?", (after,))
        if cursor is None:
            raise bad_cursor("after", after)
        where.append("pk < ?")
        params.append(cursor[0])
    if metadata == "null":
        where.append("metadata IS NULL")
    elif isinstance(metadata, dict):
        for key, value in metadata.items():
            where.append("json_extract(metadata, ?) = ?")
            params.extend(['$."' + key.replace('"', '\\"') + '"', value])
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = world.db.all(f"SELECT pk, body FROM jobs {clause} ORDER BY pk DESC LIMIT ?", [*params, limit + 1])
    jobs = [render(world, {**json.loads(body), "pk": pk}) for pk, body in rows[:limit]]
    return jobs, len(rows) > limit


# --- creation ---------------------------------------------------------------------------------------


def _method_of(request: JobRequest) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(type, requested hyperparameters with "auto" filled in, the method's other settings)."""
    if request.method is not None:
        kind = request.method["type"]
        settings = dict(request.method.get(kind) or {})
        requested = dict(settings.pop("hyperparameters", None) or {})
        if request.hyperparameters and kind != "supervised":
            raise ApiError(
                400, "'hyperparameters' can only be used with the supervised method; set them under 'method'.",
                param="hyperparameters",
            )  # fmt: skip
        if request.hyperparameters:
            requested = {**request.hyperparameters, **requested}
    else:
        kind, settings, requested = "supervised", {}, dict(request.hyperparameters or {})
    filled = {key: requested.get(key, "auto") for key in HYPERPARAMETER_KEYS[kind]}
    if kind == "reinforcement":
        filled["reasoning_effort"] = requested.get("reasoning_effort", "medium")
    return kind, filled, settings


def _check_lifecycle(base: catalog.BaseModel, now: float) -> None:
    today = datetime.fromtimestamp(now, UTC).date()
    if today >= catalog.WIND_DOWN:
        raise ApiError(
            403,
            "Fine-tuning is no longer available: no new training jobs can be created after "
            f"{catalog.WIND_DOWN.isoformat()}.",
            param="model",
            code="fine_tuning_unavailable",
        )
    for ended in (base.training_ended, base.fine_tunes_retired):
        if ended is not None and today >= ended:
            raise ApiError(
                400,
                f"Model {base.snapshot} is no longer available for fine-tuning (new training ended on "
                f"{ended.isoformat()}).",
                param="model",
                code="model_not_available",
            )


def _check_file(world: World, file_id: str, param: str) -> tuple[Any, ...]:
    row = filestore.get_file(world, file_id)
    if row is None:
        raise ApiError(400, f"invalid {param}: {file_id}", param=param)
    if row[4] != "fine-tune":
        raise ApiError(
            400,
            f"File {file_id} has purpose '{row[4]}', but {param} must be a file uploaded with purpose 'fine-tune'.",
            param=param,
        )
    return row


def _check_daily_limit(world: World, snapshot: str, now: float) -> None:
    day_start = int(now) // 86400 * 86400
    (count,) = world.db.one("SELECT COUNT(*) FROM jobs WHERE model = ? AND created_at >= ?", (snapshot, day_start))
    limit = world.settings.daily_job_limit
    if count >= limit:
        raise ApiError(
            429,
            "This fine-tune request has been rate-limited. Your organization has reached the maximum of "
            f"{limit} fine-tuning requests per day for the model '{snapshot}'.",
            code="daily_rate_limit_exceeded",
            headers={"x-should-retry": "false"},
        )


def create(world: World, request: JobRequest, now: float, *, enforce: bool = True) -> dict[str, Any]:
    """Create a job in `validating_files`, with its whole simulated future planned."""
    base = catalog.resolve(request.model)
    if base is None:
        raise ApiError(
            400,
            f"Model {request.model} is not available for fine-tuning or does not exist.",
            param="model",
            code="model_not_available",
        )
    if enforce:
        _check_lifecycle(base, now)
    kind, requested, settings = _method_of(request)
    if kind not in base.methods:
        raise ApiError(
            400, f"Model {base.snapshot} does not support the {kind} fine-tuning method.", param="method.type"
        )
    training_row = _check_file(world, request.training_file, "training_file")
    validation_row = _check_file(world, request.validation_file, "validation_file") if request.validation_file else None
    if enforce:
        _check_daily_limit(world, base.snapshot, now)

    job_id = world.ids.make("ftjob-")
    seed = request.seed if request.seed is not None else world.ids.integer(2**31 - 1)
    problem, counts, n_valid = _inspect_files(world, base, kind, training_row, validation_row)
    method: dict[str, Any] = {"type": kind, kind: {"hyperparameters": requested, **settings}}
    if kind == "reinforcement":
        method[kind].setdefault("response_format", None)
    job: dict[str, Any] = {
        "id": job_id,
        "created_at": int(now),
        "model": base.snapshot,
        "training_file": request.training_file,
        "validation_file": request.validation_file,
        "status": "validating_files",
        "fine_tuned_model": None,
        "finished_at": None,
        "trained_tokens": None,
        "error": None,
        "result_files": [],
        "estimated_finish": None,
        "hyperparameters": {key: requested[key] for key in HYPERPARAMETER_KEYS["supervised"]},
        "user_provided_suffix": request.suffix,
        "seed": seed,
        "integrations": request.integrations or [],
        "method": method,
        "metadata": request.metadata,
        "usage_metrics": None,
        "shared_with_openai": False,
    }
    job["sim"] = training.plan(
        world,
        job,
        base=base,
        example_tokens=counts,
        validation_examples=n_valid,
        training_bytes=training_row[5],
        problem=problem,
        timing=request.timing,
    )
    cursor = world.db.execute(
        "INSERT INTO jobs(id, created_at, status, model, metadata, body) VALUES(?, ?, ?, ?, ?, '{}')",
        (job_id, int(now), job["status"], base.snapshot, json.dumps(request.metadata) if request.metadata else None),
    )
    job["pk"] = cursor.lastrowid
    save(world, job)
    events.add(world, job, now, f"Created fine-tuning job: {job_id}")
    validating = f"Validating training file: {request.training_file}"
    if request.validation_file:
        validating += f" and validation file: {request.validation_file}"
    events.add(world, job, now, validating)
    save(world, job)
    world.engine.touch()
    return job


def _inspect_files(
    world: World,
    base: catalog.BaseModel,
    kind: str,
    training_row: tuple[Any, ...],
    validation_row: tuple[Any, ...] | None,
) -> tuple[dict[str, Any] | None, list[int], int]:
    """(the failure the job will meet, tokens per training example, number of validation examples)."""
    content = filestore.file_bytes(world, training_row[1])
    examples, message = datasets.check_file(content, kind, file_id=training_row[1], kind="training")
    if message:
        return {"code": "invalid_training_file", "message": message, "param": "training_file"}, [], 0
    n_valid = 0
    if validation_row is not None:
        valid_content = filestore.file_bytes(world, validation_row[1])
        valid_examples, message = datasets.check_file(valid_content, kind, file_id=validation_row[1], kind="validation")
        if message:
            return {"code": "invalid_validation_file", "message": message, "param": "validation_file"}, [], 0
        n_valid = len(valid_examples)
    counter = tokens.TokenCounter(base.encoding)  # TokenizerUnavailable: the caller says how to fix it
    return None, [counter.example(example.data, kind) for example in examples], n_valid


# --- actions ----------------------------------------------------------------------------------------


def _wrong_state(job: dict[str, Any], action: str, allowed: str) -> ApiError:
    return ApiError(
        400,
        f"Fine-tuning job {job['id']} cannot be {action} because it is {job['status']}; {allowed}.",
        param="fine_tuning_job_id",
    )


def cancel(world: World, job_id: str, now: float) -> dict[str, Any]:
    job = load(world, job_id)
    if job["status"] in TERMINAL:
        raise _wrong_state(job, "cancelled", "only jobs that have not finished can be cancelled")
    world.engine.cancel(job, now)
    return job


def pause(world: World, job_id: str, now: float) -> dict[str, Any]:
    job = load(world, job_id)
    if job["status"] != "running":
        raise _wrong_state(job, "paused", "only running jobs can be paused")
    world.engine.pause(job, now)
    return job


def resume(world: World, job_id: str, now: float) -> dict[str, Any]:
    job = load(world, job_id)
    if job["status"] != "paused":
        raise _wrong_state(job, "resumed", "only paused jobs can be resumed")
    world.engine.resume(job, now)
    return job
