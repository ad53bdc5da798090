"""Builds the aiohttp application for a world: middlewares in order, every route mounted."""

from __future__ import annotations

import asyncio

from aiohttp import web

from emulator import middleware, routes
from emulator.routes.common import WORLD_KEY
from emulator.validation import ResponseValidator
from emulator.world import World

MAX_REQUEST_BYTES = 520 * 1024 * 1024  # a 512 MB file plus the multipart envelope


def build_app(world: World, validator: ResponseValidator | None = None) -> web.Application:
    app = web.Application(
        middlewares=[middleware.envelope, middleware.faults, middleware.authenticate, middleware.synchronise],
        client_max_size=MAX_REQUEST_BYTES,
    )
    app[WORLD_KEY] = world
    app[middleware.RATE_KEY] = middleware.RateWindow()
    app[middleware.LOCK_KEY] = asyncio.Lock()
    if validator is not None:
        app[middleware.VALIDATOR_KEY] = validator
    routes.register(app)
    return app
