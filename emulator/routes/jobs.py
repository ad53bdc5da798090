"""/v1/fine_tuning/jobs: create, list (after, limit, metadata), retrieve, cancel, pause, resume, events, checkpoints."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from emulator import checkpoints, events, jobs, tokens
from emulator.errors import (
    ApiError,
    integer_above_max,
    integer_below_min,
    invalid_type,
    invalid_value,
    missing_parameter,
    string_too_long,
)
from emulator.routes.common import json_body, query_int, require_int, require_str, respond, world_of

LIST_LIMIT_MAX = 100  # the real maximum is undocumented; see README
METHODS = ("supervised", "dpo", "reinforcement")
GRADER_TYPES = ("string_check", "text_similarity", "python", "score_model", "multi", "label_model")
REASONING_EFFORTS = ("default", "low", "medium", "high")
_CREATE_KEYS = (
    "model",
    "training_file",
    "validation_file",
    "suffix",
    "seed",
    "method",
    "hyperparameters",
    "integrations",
    "metadata",
)
# name -> (kind, minimum, maximum, exclusive minimum)
_HYPERPARAMETERS: dict[str, tuple[str, float, float, bool]] = {
    "batch_size": ("int", 1, 256, False),
    "n_epochs": ("int", 1, 50, False),
    "learning_rate_multiplier": ("number", 0, float("inf"), True),
    "beta": ("number", 0, 2, True),
    "compute_multiplier": ("number", 0.00001, 10, True),
    "eval_interval": ("int", 1, float("inf"), False),
    "eval_samples": ("int", 1, float("inf"), False),
}


def _check_hyperparameters(value: Any, allowed: tuple[str, ...], where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid_type(where, "an object", value)
    for name, item in value.items():
        param = f"{where}.{name}"
        if name not in allowed:
            raise ApiError(400, f"Unrecognized request argument supplied: {param}", param=param)
        if name == "reasoning_effort":
            if item not in REASONING_EFFORTS:
                raise invalid_value(param, item, REASONING_EFFORTS)
            continue
        if item == "auto":
            continue
        kind, low, high, exclusive = _HYPERPARAMETERS[name]
        numeric = isinstance(item, int | float) and not isinstance(item, bool)
        if kind == "int" and (not isinstance(item, int) or isinstance(item, bool)):
            raise invalid_type(param, "'auto' or an integer", item)
        if kind == "number" and not numeric:
            raise invalid_type(param, "'auto' or a number", item)
        if item < low or (exclusive and item == low):
            raise (
                integer_below_min(param, int(low), item)
                if kind == "int"
                else ApiError(400, f"Invalid '{param}': must be greater than {low}.", param=param, code="invalid_value")
            )
        if item > high:
            raise (
                integer_above_max(param, int(high), item)
                if kind == "int"
                else ApiError(400, f"Invalid '{param}': must be at most {high}.", param=param, code="invalid_value")
            )
    return value


def _check_method(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid_type("method", "an object", value)
    kind = value.get("type")
    if kind is None:
        raise missing_parameter("method.type")
    if kind not in METHODS:
        raise invalid_value("method.type", kind, METHODS)
    for key in value:
        if key not in ("type", *METHODS):
            raise ApiError(400, f"Unrecognized request argument supplied: method.{key}", param=f"method.{key}")
        if key in METHODS and key != kind:
            raise ApiError(400, f"'method.{key}' does not match method.type '{kind}'.", param=f"method.{key}")
    settings = value.get(kind) or {}
    if not isinstance(settings, dict):
        raise invalid_type(f"method.{kind}", "an object", settings)
    allowed = jobs.HYPERPARAMETER_KEYS[kind]
    _check_hyperparameters(settings.get("hyperparameters"), allowed, f"method.{kind}.hyperparameters")
    if kind == "reinforcement":
        grader = settings.get("grader")
        if grader is None:
            raise missing_parameter("method.reinforcement.grader")
        if not isinstance(grader, dict) or grader.get("type") not in GRADER_TYPES:
            raise invalid_value("method.reinforcement.grader.type", (grader or {}).get("type"), GRADER_TYPES)
    return value


def _check_metadata(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid_type("metadata", "an object", value)
    if len(value) > 16:
        raise ApiError(
            400, f"Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got "
            f"an object with {len(value)} properties instead.", param="metadata", code="object_above_max_properties",
        )  # fmt: skip
    for key, item in value.items():
        if len(key) > 64:
            raise string_too_long(f"metadata.{key}", 64, len(key))
        if not isinstance(item, str):
            raise invalid_type(f"metadata.{key}", "a string", item)
        if len(item) > 512:
            raise string_too_long(f"metadata.{key}", 512, len(item))
    return value


def _check_integrations(value: Any) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise invalid_type("integrations", "an array", value)
    for item in value:
        if not isinstance(item, dict) or item.get("type") != "wandb":
            raise invalid_value("integrations.type", (item or {}).get("type"), ("wandb",))
        wandb = item.get("wandb")
        if not isinstance(wandb, dict) or not isinstance(wandb.get("project"), str):
            raise missing_parameter("integrations.wandb.project")
    return value


def parse_create(body: dict[str, Any]) -> jobs.JobRequest:
    model = require_str(body, "model")
    training_file = require_str(body, "training_file")
    suffix = require_str(body, "suffix", required=False)
    if suffix is not None and len(suffix) > 64:
        raise string_too_long("suffix", 64, len(suffix))
    if suffix == "":
        raise ApiError(400, "Invalid 'suffix': empty string. Expected a string with minimum length 1.", param="suffix")
    seed = require_int(body, "seed", required=False)
    if seed is not None and not 0 <= seed <= 2_147_483_647:
        raise (integer_below_min if seed < 0 else integer_above_max)("seed", 0 if seed < 0 else 2_147_483_647, seed)
    return jobs.JobRequest(
        model=str(model),
        training_file=str(training_file),
        validation_file=require_str(body, "validation_file", required=False),
        suffix=suffix,
        seed=seed,
        method=_check_method(body.get("method")),
        hyperparameters=_check_hyperparameters(
            body.get("hyperparameters"), jobs.HYPERPARAMETER_KEYS["supervised"], "hyperparameters"
        )
        or None,
        integrations=_check_integrations(body.get("integrations")),
        metadata=_check_metadata(body.get("metadata")),
    )


async def create_job(request: web.Request) -> web.Response:
    world = world_of(request)
    body = await json_body(request, allowed=_CREATE_KEYS)
    try:
        job = jobs.create(world, parse_create(body), world.now())
    except tokens.TokenizerUnavailable as exc:
        raise ApiError(500, str(exc), type="server_error") from exc
    return respond(jobs.render(world, job))


_METADATA_KEY = re.compile(r"^metadata\[(.+)\]$")


def _metadata_filter(request: web.Request) -> dict[str, str] | str | None:
    if request.query.get("metadata") == "null":
        return "null"
    found = {}
    for key, value in request.query.items():
        match = _METADATA_KEY.match(key)
        if match:
            found[match.group(1)] = value
    return found or None


async def list_jobs(request: web.Request) -> web.Response:
    world = world_of(request)
    limit = query_int(request, "limit", 20, 1, LIST_LIMIT_MAX)
    data, has_more = jobs.page(world, after=request.query.get("after"), limit=limit, metadata=_metadata_filter(request))
    return respond({"object": "list", "data": data, "has_more": has_more})


async def retrieve_job(request: web.Request) -> web.Response:
    world = world_of(request)
    return respond(jobs.render(world, jobs.load(world, request.match_info["job_id"])))


async def cancel_job(request: web.Request) -> web.Response:
    world = world_of(request)
    return respond(jobs.render(world, jobs.cancel(world, request.match_info["job_id"], world.now())))


async def pause_job(request: web.Request) -> web.Response:
    world = world_of(request)
    return respond(jobs.render(world, jobs.pause(world, request.match_info["job_id"], world.now())))


async def resume_job(request: web.Request) -> web.Response:
    world = world_of(request)
    return respond(jobs.render(world, jobs.resume(world, request.match_info["job_id"], world.now())))


async def list_events(request: web.Request) -> web.Response:
    world = world_of(request)
    job_pk = jobs.pk_of(world, request.match_info["job_id"])
    limit = query_int(request, "limit", 20, 1, LIST_LIMIT_MAX)
    body = events.page_json(world, job_pk, after=request.query.get("after"), limit=limit)
    return web.Response(text=body, content_type="application/json")


async def list_checkpoints(request: web.Request) -> web.Response:
    world = world_of(request)
    job_pk = jobs.pk_of(world, request.match_info["job_id"])
    limit = query_int(request, "limit", 10, 1, LIST_LIMIT_MAX)
    data, has_more = checkpoints.page(world, job_pk, after=request.query.get("after"), limit=limit)
    return respond(
        {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": has_more,
        }
    )


def register(router: web.UrlDispatcher) -> None:
    router.add_post("/v1/fine_tuning/jobs", create_job)
    router.add_get("/v1/fine_tuning/jobs", list_jobs)
    router.add_get("/v1/fine_tuning/jobs/{job_id}", retrieve_job)
    router.add_post("/v1/fine_tuning/jobs/{job_id}/cancel", cancel_job)
    router.add_post("/v1/fine_tuning/jobs/{job_id}/pause", pause_job)
    router.add_post("/v1/fine_tuning/jobs/{job_id}/resume", resume_job)
    router.add_get("/v1/fine_tuning/jobs/{job_id}/events", list_events)
    router.add_get("/v1/fine_tuning/jobs/{job_id}/checkpoints", list_checkpoints)
