"""/v1/organization/usage/completions and /v1/organization/costs: buckets paged with `page`/`next_page`."""

from __future__ import annotations

import base64
import binascii
import struct

from aiohttp import web

from emulator import costs, usage
from emulator.errors import ApiError, invalid_value, missing_parameter
from emulator.routes.common import query_bool, query_choice, query_int, query_list, respond, world_of

WIDTHS = {"1m": 60, "1h": 3600, "1d": 86400}
# bucket_width -> (default limit, maximum limit), as documented.
USAGE_LIMITS = {"1m": (60, 1440), "1h": (24, 168), "1d": (7, 31)}
COSTS_LIMITS = (7, 180)
USAGE_GROUPS = ("project_id", "user_id", "api_key_id", "model", "batch", "service_tier", "api_source")
COSTS_GROUPS = ("project_id", "line_item", "api_key_id", "user_id", "api_source")


def _time_range(request: web.Request, now: float) -> tuple[int, int]:
    raw = request.query.get("start_time")
    if raw is None:
        raise missing_parameter("start_time")
    start = query_int(request, "start_time", 0, 0, 2**40)
    end = query_int(request, "end_time", int(now), 0, 2**40)
    if end <= start:
        raise ApiError(400, "Invalid 'end_time': it must be after 'start_time'.", param="end_time")
    return start, end


def _groups(request: web.Request, allowed: tuple[str, ...]) -> list[str]:
    groups = query_list(request, "group_by")
    for group in groups:
        if group not in allowed:
            raise invalid_value("group_by", group, allowed)
    return groups


def encode_page(next_start: int, end: int) -> str:
    return "page_" + base64.b64encode(struct.pack(">qq", next_start, end)).decode()


def decode_page(token: str) -> int:
    try:
        next_start, _ = struct.unpack(">qq", base64.b64decode(token.removeprefix("page_"), validate=True))
    except (binascii.Error, struct.error, ValueError) as exc:
        raise ApiError(400, f"Invalid 'page': {token}", param="page") from exc
    return int(next_start)


def _paged(request: web.Request, start: int, end: int, width: int, limit: int) -> tuple[int, int, bool, str | None]:
    """(first bucket, one-past-last bucket of this page, has_more, next_page)."""
    first, last = usage.bucket_range(start, end, width)
    token = request.query.get("page")
    if token:
        first = max(first, decode_page(token) // width)
    stop = min(last, first + limit)
    has_more = stop < last
    return first, stop, has_more, encode_page(stop * width, end) if has_more else None


async def completions(request: web.Request) -> web.Response:
    world = world_of(request)
    start, end = _time_range(request, world.now())
    width_name = query_choice(request, "bucket_width", "1d", tuple(WIDTHS))
    default, maximum = USAGE_LIMITS[width_name]
    limit = query_int(request, "limit", default, 1, maximum)
    width = WIDTHS[width_name]
    first, stop, has_more, next_page = _paged(request, start, end, width, limit)
    buckets = usage.completions(
        world,
        start=start,
        end=end,
        width=width,
        first_bucket=first,
        last_bucket=stop,
        group_by=_groups(request, USAGE_GROUPS),
        filters={
            "models": query_list(request, "models"),
            "project_ids": query_list(request, "project_ids"),
            "user_ids": query_list(request, "user_ids"),
            "api_key_ids": query_list(request, "api_key_ids"),
            "batch": query_bool(request, "batch"),
        },
    )
    return respond({"object": "page", "data": buckets, "has_more": has_more, "next_page": next_page})


async def cost_report(request: web.Request) -> web.Response:
    world = world_of(request)
    start, end = _time_range(request, world.now())
    query_choice(request, "bucket_width", "1d", ("1d",))
    limit = query_int(request, "limit", COSTS_LIMITS[0], 1, COSTS_LIMITS[1])
    first, stop, has_more, next_page = _paged(request, start, end, costs.DAY, limit)
    buckets = costs.costs(
        world,
        start=start,
        end=end,
        first_bucket=first,
        last_bucket=stop,
        group_by=_groups(request, COSTS_GROUPS),
        filters={
            "project_ids": query_list(request, "project_ids"),
            "api_key_ids": query_list(request, "api_key_ids"),
            "line_items": query_list(request, "line_items"),
        },
    )
    return respond({"object": "page", "data": buckets, "has_more": has_more, "next_page": next_page})


def register(router: web.UrlDispatcher) -> None:
    router.add_get("/v1/organization/usage/completions", completions)
    router.add_get("/v1/organization/costs", cost_report)
