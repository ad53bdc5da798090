"""The request pipeline: headers and the error envelope, the request log, faults, keys, the clock, validation.

Order (outermost first): `envelope` stamps every answer with the real headers and
turns any failure into the four-key error body, records /v1 calls in the request log
and validates JSON bodies; `faults` fires injected faults; `authenticate` checks the
bearer key; `synchronise` brings the simulation up to now before the handler runs,
inside one database transaction with it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from email.utils import formatdate

from aiohttp import web

from emulator import errors
from emulator.errors import ApiError
from emulator.ids import request_id
from emulator.routes.common import WORLD_KEY, dumps

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
log = logging.getLogger("emulator")

API_PREFIX = "/v1/"
AZURE_PREFIX = "/openai/"
ADMIN_PREFIX = "/v1/organization/"
REQUESTS_PER_MINUTE = 10_000
TOKENS_PER_MINUTE = 50_000_000


class Dropped(Exception):
    """The connection was closed on purpose (a `drop` fault): nothing may be written back."""


class RateWindow:
    """Requests in the last real minute, for plausible x-ratelimit-* headers."""

    def __init__(self) -> None:
        self._times: deque[float] = deque()

    def hit(self) -> int:
        now = time.monotonic()
        self._times.append(now)
        while self._times and self._times[0] < now - 60:
            self._times.popleft()
        return len(self._times)


def _is_api(request: web.Request) -> bool:
    return request.path.startswith((API_PREFIX, AZURE_PREFIX))


def _is_azure(request: web.Request) -> bool:
    return request.path.startswith(AZURE_PREFIX)


def _spec_path(request: web.Request) -> str:
    """The OpenAI path an Azure request corresponds to (the spec only knows /v1)."""
    return API_PREFIX + request.path[len(AZURE_PREFIX) :] if _is_azure(request) else request.path


def _error_response(error: ApiError) -> web.Response:
    return web.json_response(error.body(), status=error.status, headers=error.headers, dumps=dumps)


def _query_of(request: web.Request) -> dict[str, str | list[str]]:
    found: dict[str, str | list[str]] = {}
    for key in request.query:
        values = request.query.getall(key)
        found[key] = values[0] if len(values) == 1 else list(values)
    return found


def _log(request: web.Request, status: int | None, rid: str) -> None:
    world = request.app[WORLD_KEY]
    world.requests.append(
        {
            "method": request.method,
            "path": request.path,
            "query": _query_of(request),
            "status": status,
            "request_id": rid,
            "fault": request.get(FAULT_KEY),
            "at": world.now(),
        }
    )


@web.middleware
async def envelope(request: web.Request, handler: Handler) -> web.StreamResponse:
    world = request.app[WORLD_KEY]
    started = time.perf_counter()
    rid = request_id()
    try:
        response = await handler(request)
    except (Dropped, asyncio.CancelledError):
        # A dropped connection, or a client that gave up waiting (e.g. on a slow fault):
        # nothing is sent back, but the call still counts.
        if _is_api(request):
            _log(request, None, rid)
        raise
    except ApiError as exc:
        response = _error_response(exc)
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
        response = _error_response(errors.invalid_url(request.method, request.path))
    except web.HTTPException as exc:
        response = _error_response(ApiError(exc.status, exc.reason or "Request failed"))
    except Exception:  # a bug in the emulator: answer like the service does, and keep the details in the log
        log.exception("unhandled error on %s %s", request.method, request.path)
        response = _error_response(errors.server_error())
    response.headers["x-request-id"] = rid
    response.headers["openai-version"] = "2020-10-01"
    # The simulated clock, as a real server's Date: clients learn "now" from it, as finetop does.
    response.headers["Date"] = formatdate(world.now(), usegmt=True)
    response.headers["openai-organization"] = world.org_slug
    response.headers["openai-processing-ms"] = str(max(1, round((time.perf_counter() - started) * 1000)))
    if _is_api(request):
        _rate_headers(request, response)
        _log(request, response.status, rid)
        validator = request.app.get(VALIDATOR_KEY)
        if validator is not None and isinstance(response, web.Response) and response.body is not None:
            body = response.body if isinstance(response.body, bytes) else bytes(response.body)  # type: ignore[arg-type]
            problems = validator.problems(
                request.method, _spec_path(request), response.status, response.content_type, body
            )
            if problems:
                world.violations.append(
                    {"method": request.method, "path": request.path, "status": response.status, "problems": problems}
                )
    return response


def _rate_headers(request: web.Request, response: web.StreamResponse) -> None:
    if "x-ratelimit-limit-requests" in response.headers:
        return  # a 429 fault already set them
    used = request.app[RATE_KEY].hit()
    response.headers["x-ratelimit-limit-requests"] = str(REQUESTS_PER_MINUTE)
    response.headers["x-ratelimit-remaining-requests"] = str(max(0, REQUESTS_PER_MINUTE - used))
    response.headers["x-ratelimit-reset-requests"] = "6ms"
    response.headers["x-ratelimit-limit-tokens"] = str(TOKENS_PER_MINUTE)
    response.headers["x-ratelimit-remaining-tokens"] = str(TOKENS_PER_MINUTE - used)
    response.headers["x-ratelimit-reset-tokens"] = "0s"


@web.middleware
async def faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not _is_api(request):
        return await handler(request)
    world = request.app[WORLD_KEY]
    fault = world.faults.take(request.method, request.path)
    if fault is None:
        return await handler(request)
    request[FAULT_KEY] = fault.kind
    if fault.delay:
        await asyncio.sleep(fault.delay)
    if fault.kind == "delay":
        return await handler(request)
    if fault.kind == "drop":
        if request.transport is not None:
            request.transport.abort()
        raise Dropped()
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        headers["retry-after"] = str(
            int(fault.retry_after) if float(fault.retry_after).is_integer() else fault.retry_after
        )
    if fault.retry_after_ms is not None:
        headers["retry-after-ms"] = str(fault.retry_after_ms)
    if fault.kind == "rate_limit":
        wait_ms = fault.retry_after_ms if fault.retry_after_ms is not None else int((fault.retry_after or 0.12) * 1000)
        error = errors.rate_limited(world.org_id, wait_ms)
        headers.update(
            {
                "x-ratelimit-limit-requests": "500",
                "x-ratelimit-remaining-requests": "0",
                "x-ratelimit-reset-requests": f"{wait_ms}ms",
                "x-ratelimit-limit-tokens": str(TOKENS_PER_MINUTE),
                "x-ratelimit-remaining-tokens": str(TOKENS_PER_MINUTE),
                "x-ratelimit-reset-tokens": "0s",
            }
        )
    elif fault.kind == "server_error":
        error = errors.server_error()
    elif fault.kind == "overloaded":
        error = errors.overloaded()
    else:
        error = ApiError(int(fault.status or 500), "Injected failure.", type="server_error")
    error.headers.update(headers)
    raise error


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not _is_api(request):
        return await handler(request)
    settings = request.app[WORLD_KEY].settings
    if _is_azure(request):
        if "api-version" not in request.query:
            raise errors.azure_missing_api_version()
        if request.headers.get("api-key", "").strip() != settings.api_key:
            raise errors.azure_access_denied()
        return await handler(request)
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise errors.missing_api_key()
    admin_route = request.path.startswith(ADMIN_PREFIX)
    if admin_route:
        if key == settings.admin_key:
            return await handler(request)
        if key == settings.api_key:
            raise errors.insufficient_permissions("api.usage.read")
        raise errors.incorrect_api_key(key)
    if key != settings.api_key:
        raise errors.incorrect_api_key(key)
    return await handler(request)


@web.middleware
async def synchronise(request: web.Request, handler: Handler) -> web.StreamResponse:
    """One request at a time touches the state, in one transaction (a failed request changes nothing)."""
    world = request.app[WORLD_KEY]
    async with request.app[LOCK_KEY]:
        with world.db.transaction():
            if _is_api(request):
                world.sync()
            response = await handler(request)
            world.save()
    return response


VALIDATOR_KEY: web.AppKey[object] = web.AppKey("validator", object)
RATE_KEY: web.AppKey[RateWindow] = web.AppKey("rate", RateWindow)
LOCK_KEY: web.AppKey[asyncio.Lock] = web.AppKey("lock", asyncio.Lock)
FAULT_KEY: web.RequestKey[str] = web.RequestKey("emulator_fault", str)  # the fault that fired on a request
