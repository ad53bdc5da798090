"""/v1/models: list (not paginated), retrieve and delete, with `ft:...::...` ids taken literally from the path."""

from __future__ import annotations

from aiohttp import web

from emulator import models
from emulator.routes.common import respond, world_of


async def list_models(request: web.Request) -> web.Response:
    return respond({"object": "list", "data": models.listing(world_of(request))})


async def retrieve_model(request: web.Request) -> web.Response:
    return respond(models.get(world_of(request), request.match_info["model"]))


async def delete_model(request: web.Request) -> web.Response:
    return respond(models.delete(world_of(request), request.match_info["model"]))


def register(router: web.UrlDispatcher) -> None:
    router.add_get("/v1/models", list_models)
    router.add_get("/v1/models/{model}", retrieve_model)
    router.add_delete("/v1/models/{model}", delete_model)
