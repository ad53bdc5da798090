"""HTTP handlers, one module per resource; `register` mounts them all under /v1 and /_emulator."""

from __future__ import annotations

from aiohttp import web

from emulator.routes import control, files, jobs, models, uploads, usage


def register(app: web.Application) -> None:
    for module in (files, uploads, jobs, models, usage, control):
        module.register(app.router)
