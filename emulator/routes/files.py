"""/v1/files: multipart upload with real bytes, list (purpose, order, after, limit), retrieve, delete, content."""

from __future__ import annotations

from aiohttp import web

from emulator import filestore
from emulator.errors import ApiError, invalid_value, missing_parameter, wrong_content_type
from emulator.routes.common import query_choice, query_int, respond, world_of

FILES_LIMIT_MAX = 10_000


async def create_file(request: web.Request) -> web.Response:
    world = world_of(request)
    if not request.content_type.startswith("multipart/form-data"):
        raise wrong_content_type(request.content_type, "multipart/form-data")
    form = await request.post()
    upload = form.get("file")
    if upload is None:
        raise missing_parameter("file")
    if not isinstance(upload, web.FileField):
        raise ApiError(400, "'file' must be a file upload, not a text field.", param="file")
    purpose = form.get("purpose")
    if purpose is None:
        raise missing_parameter("purpose")
    if purpose not in filestore.FILE_PURPOSES:
        raise invalid_value("purpose", purpose, filestore.FILE_PURPOSES)
    expires_after = _expires_after(form)
    content = upload.file.read()
    row = filestore.create_file(
        world,
        filename=upload.filename or "upload",
        purpose=str(purpose),
        content=content,
        now=world.now(),
        expires_after=expires_after,
    )
    return respond(filestore.render_file(row))


def _expires_after(form: object) -> int | None:
    anchor = form.get("expires_after[anchor]")  # type: ignore[attr-defined]
    seconds = form.get("expires_after[seconds]")  # type: ignore[attr-defined]
    if anchor is None and seconds is None:
        return None
    if anchor != "created_at":
        raise invalid_value("expires_after.anchor", anchor, ("created_at",))
    try:
        value = int(str(seconds))
    except ValueError as exc:
        raise ApiError(
            400, "Invalid 'expires_after.seconds': expected an integer.", param="expires_after.seconds"
        ) from exc
    if not 3600 <= value <= 2_592_000:
        raise ApiError(
            400,
            f"Invalid 'expires_after.seconds': {value}. It must be between 3600 (1 hour) and 2592000 (30 days).",
            param="expires_after.seconds",
        )
    return value


async def list_files(request: web.Request) -> web.Response:
    world = world_of(request)
    limit = query_int(request, "limit", FILES_LIMIT_MAX, 1, FILES_LIMIT_MAX)
    order = query_choice(request, "order", "desc", ("asc", "desc"))
    rows, has_more = filestore.list_files(
        world, purpose=request.query.get("purpose"), order=order, after=request.query.get("after"), limit=limit
    )
    data = [filestore.render_file(row) for row in rows]
    return respond(
        {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": has_more,
        }
    )


async def retrieve_file(request: web.Request) -> web.Response:
    world = world_of(request)
    return respond(filestore.render_file(filestore.require_file(world, request.match_info["file_id"])))


async def delete_file(request: web.Request) -> web.Response:
    world = world_of(request)
    return respond(filestore.delete_file(world, request.match_info["file_id"]))


async def file_content(request: web.Request) -> web.Response:
    world = world_of(request)
    content = filestore.file_bytes(world, request.match_info["file_id"])
    return web.Response(body=content, content_type="application/octet-stream")


def register(router: web.UrlDispatcher) -> None:
    router.add_post("/v1/files", create_file)
    router.add_get("/v1/files", list_files)
    router.add_get("/v1/files/{file_id}", retrieve_file)
    router.add_delete("/v1/files/{file_id}", delete_file)
    router.add_get("/v1/files/{file_id}/content", file_content)
