"""Turning the API's JSON objects into finetop's records, tolerating the real service's quirks.

Quirks handled here and nowhere else: statuses outside the documented enum ("paused",
"pausing"), `"error": {}` on jobs that did not fail, hyperparameters at the top level or
under `method`, `user_provided_suffix`, extra keys, and missing optional fields.
"""

from __future__ import annotations

from typing import Any

from store.types import Checkpoint, CostLine, Job, JobError, JobEvent, Model, RemoteFile, UsageBucket


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def job_from_raw(raw: dict[str, Any]) -> Job:
    method = raw.get("method") or {}
    method_type = method.get("type") or "supervised"
    hyper = dict(raw.get("hyperparameters") or {})
    method_hyper = (method.get(method_type) or {}).get("hyperparameters") or {}
    # The method's block is the current source; the top level is the deprecated mirror.
    hyper.update({k: v for k, v in method_hyper.items() if v is not None})
    error = raw.get("error") or {}
    job_error = (
        JobError(
            code=str(error.get("code") or "error"),
            message=str(error.get("message") or ""),
            param=error.get("param"),
        )
        if error.get("code") or error.get("message")
        else None
    )
    return Job(
        id=raw["id"],
        status=str(raw.get("status") or "unknown"),
        model=str(raw.get("model") or ""),
        created_at=int(raw.get("created_at") or 0),
        training_file=str(raw.get("training_file") or ""),
        fine_tuned_model=raw.get("fine_tuned_model") or None,
        finished_at=_int_or_none(raw.get("finished_at")),
        trained_tokens=_int_or_none(raw.get("trained_tokens")),
        validation_file=raw.get("validation_file") or None,
        method=str(method_type),
        hyperparameters=hyper,
        suffix=raw.get("user_provided_suffix") or raw.get("suffix") or None,
        seed=_int_or_none(raw.get("seed")),
        estimated_finish=_int_or_none(raw.get("estimated_finish")),
        error=job_error,
        metadata=dict(raw.get("metadata") or {}),
        organization_id=raw.get("organization_id"),
        result_files=tuple(raw.get("result_files") or ()),
        raw=raw,
    )


def event_from_raw(job_id: str, raw: dict[str, Any]) -> JobEvent:
    data = raw.get("data")
    return JobEvent(
        id=raw["id"],
        job_id=job_id,
        created_at=int(raw.get("created_at") or 0),
        level=str(raw.get("level") or "info"),
        message=str(raw.get("message") or ""),
        type=str(raw.get("type") or "message"),
        data=data if isinstance(data, dict) else None,
        raw=raw,
    )


def checkpoint_from_raw(raw: dict[str, Any]) -> Checkpoint:
    metrics = {k: v for k, v in (raw.get("metrics") or {}).items() if isinstance(v, int | float)}
    return Checkpoint(
        id=raw["id"],
        job_id=str(raw.get("fine_tuning_job_id") or ""),
        created_at=int(raw.get("created_at") or 0),
        step_number=int(raw.get("step_number") or 0),
        model=str(raw.get("fine_tuned_model_checkpoint") or ""),
        metrics=metrics,
        raw=raw,
    )


def file_from_raw(raw: dict[str, Any]) -> RemoteFile:
    return RemoteFile(
        id=raw["id"],
        filename=str(raw.get("filename") or ""),
        purpose=str(raw.get("purpose") or ""),
        bytes=int(raw.get("bytes") or 0),
        created_at=int(raw.get("created_at") or 0),
        status=raw.get("status"),
        expires_at=_int_or_none(raw.get("expires_at")),
        raw=raw,
    )


def model_from_raw(raw: dict[str, Any]) -> Model:
    return Model(
        id=raw["id"],
        created=int(raw.get("created") or 0),
        owned_by=str(raw.get("owned_by") or ""),
        raw=raw,
    )


def usage_from_raw(start_time: int, end_time: int, raw: dict[str, Any]) -> UsageBucket:
    return UsageBucket(
        start_time=start_time,
        end_time=end_time,
        model=str(raw.get("model") or ""),
        input_tokens=int(raw.get("input_tokens") or 0),
        input_cached_tokens=int(raw.get("input_cached_tokens") or 0),
        output_tokens=int(raw.get("output_tokens") or 0),
        num_model_requests=int(raw.get("num_model_requests") or 0),
        batch=raw.get("batch"),
        project_id=raw.get("project_id"),
        raw=raw,
    )


def cost_from_raw(start_time: int, end_time: int, raw: dict[str, Any]) -> CostLine:
    amount = raw.get("amount") or {}
    value = amount.get("value", 0)
    return CostLine(
        start_time=start_time,
        end_time=end_time,
        line_item=raw.get("line_item"),
        # repr of a float round-trips exactly; Decimal(str) later keeps what the API said.
        amount=repr(value) if isinstance(value, float) else str(value),
        currency=str(amount.get("currency") or "usd"),
        project_id=raw.get("project_id"),
        raw=raw,
    )
