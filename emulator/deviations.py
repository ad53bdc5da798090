"""THE list of deliberate deviations from the OpenAPI spec, each with its reason.

Response validation undoes exactly these (and nothing else) before checking a body
against ../shared/openapi; emulator/README.md lists the same entries for people.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Deviation:
    name: str
    what: str
    reason: str
    undo: Callable[[dict[str, Any]], None] | None = None  # rewrites one JSON object in place
    unvalidated_paths: tuple[str, ...] = ()  # responses not checked against the spec at all


def _paused_as_running(obj: dict[str, Any]) -> None:
    if obj.get("object") == "fine_tuning.job" and obj.get("status") == "paused":
        obj["status"] = "running"


def _empty_error_as_null(obj: dict[str, Any]) -> None:
    if obj.get("object") == "fine_tuning.job" and obj.get("error") == {}:
        obj["error"] = None


def _null_event_data_as_empty(obj: dict[str, Any]) -> None:
    if obj.get("object") == "fine_tuning.job.event" and "data" in obj and obj["data"] is None:
        obj["data"] = {}


def _empty_list_cursors(obj: dict[str, Any]) -> None:
    if obj.get("object") == "list" and obj.get("data") == [] and "first_id" in obj:
        for key in ("first_id", "last_id"):
            if obj[key] is None:
                obj[key] = ""


DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        "paused_status",
        "A job's `status` can be `paused` (after POST /fine_tuning/jobs/{id}/pause, until resumed).",
        "OpenAI's own pause example returns it, though the status enum and the SDK's Literal leave it out "
        "(so the SDK with strict response validation rejects such a job).",
        _paused_as_running,
    ),
    Deviation(
        "user_provided_suffix",
        "Jobs carry `user_provided_suffix` (and `usage_metrics`, `shared_with_openai`) beside the documented keys.",
        "Real responses carry them; the spec does not list them. Extra keys are allowed by the spec, so "
        "validation never objects; they are listed so nobody mistakes them for documented fields.",
    ),
    Deviation(
        "raw_file_content",
        "GET /files/{id}/content answers with the file's raw bytes (application/octet-stream), and a "
        "result file's bytes are its CSV encoded in base64.",
        "The spec declares a JSON string; the service sends the bytes, and result files come base64 "
        "encoded (the cookbook decodes them first).",
        unvalidated_paths=("/v1/files/*/content",),
    ),
    Deviation(
        "null_event_data",
        'The "Fine-tuning job started" event has `data: null` (other message events have `{}`).',
        "Real event logs show exactly that; the spec types `data` as an object.",
        _null_event_data_as_empty,
    ),
    Deviation(
        "empty_file_list_cursors",
        "An empty file list has `first_id` and `last_id` null.",
        "There is no id to give; the spec requires strings there (the checkpoint list allows null).",
        _empty_list_cursors,
    ),
    Deviation(
        "empty_error_object",
        'Only with the opt-in quirk `empty_error`: jobs that did not fail carry `"error": {}`.',
        "Real responses often do, and the product must survive it; the spec (and the strict SDK) want null "
        "or a full error object, so the quirk is off unless asked for.",
        _empty_error_as_null,
    ),
)


def undo_all(value: Any) -> Any:
    """A copy of a JSON body with every listed deviation undone, recursively."""
    if isinstance(value, list):
        return [undo_all(item) for item in value]
    if not isinstance(value, dict):
        return value
    copy = {key: undo_all(item) for key, item in value.items()}
    for deviation in DEVIATIONS:
        if deviation.undo is not None:
            deviation.undo(copy)
    return copy


def unvalidated(path: str) -> bool:
    return any(fnmatch.fnmatchcase(path, glob) for d in DEVIATIONS for glob in d.unvalidated_paths)
