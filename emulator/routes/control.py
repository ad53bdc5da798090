"""/_emulator/*: test controls outside the API (no key): clock, reset, faults, request log, snapshot, usage."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from emulator import clock, snapshot, usage
from emulator.errors import ApiError
from emulator.routes.common import json_body, respond, world_of


def _bad(message: str) -> ApiError:
    return ApiError(400, message, type="emulator_control_error")


async def health(request: web.Request) -> web.Response:
    return respond({"ok": True})


async def info(request: web.Request) -> web.Response:
    world = world_of(request)
    settings = world.settings
    return respond(
        {
            "scenario": world.scenario,
            "seed": world.seed_value,
            "options": world.options,
            "now": world.now(),
            "start": world.start,
            "speed": world.clock.speed,
            "api_key": settings.api_key,
            "admin_key": settings.admin_key,
            "organization_id": world.org_id,
            "organization": world.org_slug,
            "max_running_jobs": settings.max_running_jobs,
            "daily_job_limit": settings.daily_job_limit,
            "quirks": sorted(settings.quirks),
            "persistent": world.db.path is not None,
        }
    )


async def get_clock(request: web.Request) -> web.Response:
    world = world_of(request)
    return respond({"now": world.now(), "speed": world.clock.speed})


async def advance(request: web.Request) -> web.Response:
    world = world_of(request)
    body = await json_body(request)
    seconds = body.get("seconds")
    if not isinstance(seconds, int | float) or seconds < 0:
        raise _bad("advance needs {'seconds': <a number >= 0>}")
    world.clock.advance(float(seconds))
    return respond({"now": world.sync(), "speed": world.clock.speed})


async def set_speed(request: web.Request) -> web.Response:
    world = world_of(request)
    body = await json_body(request)
    factor = body.get("factor")
    if not isinstance(factor, int | float) or factor < 0:
        raise _bad("speed needs {'factor': <a number >= 0>}")
    world.clock.set_speed(float(factor))
    return respond({"now": world.now(), "speed": world.clock.speed})


async def reset(request: web.Request) -> web.Response:
    world = world_of(request)
    body = await json_body(request)
    scenario = body.get("scenario", world.scenario)
    seed = body.get("seed", world.seed_value)
    start = clock.parse_instant(body["now"]) if body.get("now") is not None else world.start
    options = body.get("options") or {}
    try:
        world.seed(str(scenario), int(seed), start, options)
    except KeyError as exc:
        raise _bad(str(exc.args[0])) from exc
    return await info(request)


async def add_fault(request: web.Request) -> web.Response:
    world = world_of(request)
    body = await json_body(request)
    try:
        fault = world.faults.add(
            str(body.get("route", "*")),
            str(body.get("kind", "")),
            count=int(body.get("count", 1)),
            status=body.get("status"),
            retry_after=body.get("retry_after"),
            retry_after_ms=body.get("retry_after_ms"),
            delay=body.get("delay"),
        )
    except ValueError as exc:
        raise _bad(str(exc)) from exc
    return respond(fault.describe())


async def list_faults(request: web.Request) -> web.Response:
    return respond({"faults": world_of(request).faults.armed()})


async def clear_faults(request: web.Request) -> web.Response:
    world_of(request).faults.clear()
    return respond({"faults": []})


async def requests_log(request: web.Request) -> web.Response:
    return respond({"requests": world_of(request).requests})


async def clear_requests(request: web.Request) -> web.Response:
    world_of(request).requests.clear()
    return respond({"requests": []})


async def get_snapshot(request: web.Request) -> web.Response:
    world = world_of(request)
    world.sync()
    return respond(snapshot.snapshot(world))


async def add_usage(request: web.Request) -> web.Response:
    world = world_of(request)
    body: dict[str, Any] = await json_body(request)
    if not isinstance(body.get("model"), str):
        raise _bad("usage needs at least {'model': <model id>, 'input_tokens': n, 'output_tokens': n}")
    try:
        usage.record(
            world,
            model=body["model"],
            at=float(body.get("at") if body.get("at") is not None else world.now()),
            input_tokens=int(body.get("input_tokens", 0)),
            output_tokens=int(body.get("output_tokens", 0)),
            cached_tokens=int(body.get("cached_tokens", 0)),
            requests=int(body.get("requests", 1)),
            batch=bool(body.get("batch", False)),
            project_id=str(body.get("project_id") or "proj_default"),
            user_id=str(body.get("user_id") or "user-emulator"),
            api_key_id=str(body.get("api_key_id") or "key_emulator"),
        )
    except ValueError as exc:
        raise _bad(str(exc)) from exc
    return respond({"ok": True})


async def violations(request: web.Request) -> web.Response:
    return respond({"violations": world_of(request).violations})


async def clear_violations(request: web.Request) -> web.Response:
    world_of(request).violations.clear()
    return respond({"violations": []})


def register(router: web.UrlDispatcher) -> None:
    router.add_get("/_emulator/health", health)
    router.add_get("/_emulator/info", info)
    router.add_get("/_emulator/clock", get_clock)
    router.add_post("/_emulator/clock/advance", advance)
    router.add_post("/_emulator/clock/speed", set_speed)
    router.add_post("/_emulator/reset", reset)
    router.add_get("/_emulator/faults", list_faults)
    router.add_post("/_emulator/faults", add_fault)
    router.add_delete("/_emulator/faults", clear_faults)
    router.add_get("/_emulator/requests", requests_log)
    router.add_delete("/_emulator/requests", clear_requests)
    router.add_get("/_emulator/snapshot", get_snapshot)
    router.add_post("/_emulator/usage", add_usage)
    router.add_get("/_emulator/violations", violations)
    router.add_delete("/_emulator/violations", clear_violations)
