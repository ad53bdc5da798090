"""What every handler needs: the world, JSON in and out, and query parameters checked like the service does."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from emulator.errors import (
    ApiError,
    bad_json,
    integer_above_max,
    integer_below_min,
    invalid_type,
    invalid_value,
    missing_parameter,
    unrecognized_argument,
)
from emulator.world import World

WORLD_KEY: web.AppKey[World] = web.AppKey("world", World)


def world_of(request: web.Request) -> World:
    return request.app[WORLD_KEY]


def dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def respond(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=dumps)


async def json_body(request: web.Request, *, allowed: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The request's JSON object; unknown keys are refused like the service refuses them."""
    raw = await request.read()
    if not raw.strip():
        body: Any = {}
    else:
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise bad_json() from exc
    if not isinstance(body, dict):
        raise bad_json()
    if allowed is not None:
        for key in body:
            if key not in allowed:
                raise unrecognized_argument(key)
    return body


def query_int(request: web.Request, name: str, default: int, minimum: int, maximum: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise invalid_type(name, "an integer", raw) from exc
    if value < minimum:
        raise integer_below_min(name, minimum, value)
    if value > maximum:
        raise integer_above_max(name, maximum, value)
    return value


def query_choice(request: web.Request, name: str, default: str, choices: tuple[str, ...]) -> str:
    value = request.query.get(name, default)
    if value not in choices:
        raise invalid_value(name, value, choices)
    return value


def query_list(request: web.Request, name: str) -> list[str]:
    """Array parameters arrive as `name[]=a&name[]=b` (the SDK) or `name=a&name=b`."""
    return [value for key in (name, f"{name}[]") for value in request.query.getall(key, []) if value]


def query_bool(request: web.Request, name: str) -> bool | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise invalid_type(name, "a boolean", raw)


def require_int(body: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    if name not in body or body[name] is None:
        if required:
            raise missing_parameter(name)
        return None
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_type(name, "an integer", value)
    return value


def require_str(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    if name not in body or body[name] is None:
        if required:
            raise missing_parameter(name)
        return None
    value = body[name]
    if not isinstance(value, str):
        raise invalid_type(name, "a string", value)
    return value


def not_allowed(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, message, param=param)
