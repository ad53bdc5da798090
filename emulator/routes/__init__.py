"""HTTP handlers, one module per resource; `register` mounts them under /v1, Azure's /openai and /_emulator."""

from __future__ import annotations

from aiohttp import web

from emulator.routes import control, files, jobs, models, uploads, usage

AZURE_PREFIX = "/openai/"


def register(app: web.Application) -> None:
    for module in (files, uploads, jobs, models, usage, control):
        module.register(app.router)
    _mount_azure(app.router)


def _mount_azure(router: web.UrlDispatcher) -> None:
    """Azure OpenAI serves the same fine-tuning, files and models API under /openai/ (with an
    api-version); usage and costs come from Azure itself, so those stay OpenAI-only."""
    for resource in list(router.resources()):
        info = resource.get_info()
        path = info.get("path") or info.get("formatter") or ""
        if not path.startswith("/v1/") or path.startswith("/v1/organization/"):
            continue
        for route in resource:
            if route.method != "HEAD":
                router.add_route(route.method, AZURE_PREFIX + path[len("/v1/") :], route.handler)
