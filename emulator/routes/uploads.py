"""/v1/uploads: create, add parts (multipart `data`), complete (byte total and md5 checked), cancel."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from emulator import filestore
from emulator.errors import ApiError, invalid_type, invalid_value, missing_parameter, wrong_content_type
from emulator.routes.common import json_body, require_int, require_str, respond, world_of


async def create_upload(request: web.Request) -> web.Response:
    world = world_of(request)
    body = await json_body(request, allowed=("bytes", "filename", "mime_type", "purpose", "expires_after"))
    filename = require_str(body, "filename")
    purpose = require_str(body, "purpose")
    size = require_int(body, "bytes")
    mime_type = require_str(body, "mime_type")
    if purpose not in filestore.UPLOAD_PURPOSES:
        raise invalid_value("purpose", purpose, filestore.UPLOAD_PURPOSES)
    if size is not None and size < 0:
        raise ApiError(400, "Invalid 'bytes': must be zero or more.", param="bytes")
    expires_after = _expires_after(body.get("expires_after"))
    upload = filestore.create_upload(
        world,
        filename=str(filename),
        purpose=str(purpose),
        size=int(size or 0),
        mime_type=str(mime_type),
        now=world.now(),
        expires_after=expires_after,
    )
    return respond(upload)


def _expires_after(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid_type("expires_after", "an object", value)
    if value.get("anchor") != "created_at":
        raise invalid_value("expires_after.anchor", value.get("anchor"), ("created_at",))
    seconds = value.get("seconds")
    if not isinstance(seconds, int) or not 3600 <= seconds <= 2_592_000:
        raise ApiError(
            400, "Invalid 'expires_after.seconds': it must be between 3600 and 2592000.", param="expires_after.seconds"
        )
    return seconds


async def add_part(request: web.Request) -> web.Response:
    world = world_of(request)
    if not request.content_type.startswith("multipart/form-data"):
        raise wrong_content_type(request.content_type, "multipart/form-data")
    form = await request.post()
    data = form.get("data")
    if data is None:
        raise missing_parameter("data")
    chunk = data.file.read() if isinstance(data, web.FileField) else str(data).encode()
    return respond(filestore.add_part(world, request.match_info["upload_id"], chunk, world.now()))


async def complete_upload(request: web.Request) -> web.Response:
    world = world_of(request)
    body = await json_body(request, allowed=("part_ids", "md5"))
    part_ids = body.get("part_ids")
    if part_ids is None:
        raise missing_parameter("part_ids")
    if not isinstance(part_ids, list) or not all(isinstance(p, str) for p in part_ids):
        raise invalid_type("part_ids", "an array of strings", part_ids)
    md5 = require_str(body, "md5", required=False)
    return respond(filestore.complete_upload(world, request.match_info["upload_id"], part_ids, md5, world.now()))


async def cancel_upload(request: web.Request) -> web.Response:
    world = world_of(request)
    return respond(filestore.cancel_upload(world, request.match_info["upload_id"], world.now()))


def register(router: web.UrlDispatcher) -> None:
    router.add_post("/v1/uploads", create_upload)
    router.add_post("/v1/uploads/{upload_id}/parts", add_part)
    router.add_post("/v1/uploads/{upload_id}/complete", complete_upload)
    router.add_post("/v1/uploads/{upload_id}/cancel", cancel_upload)
