"""Files with real bytes (upload, list with purpose/order/after/limit, retrieve, delete, content) and Uploads."""

from __future__ import annotations

import hashlib
import io
import re

import httpx2
import openai
import pytest

from tests.emulator.helpers import chat_example, jsonl, upload


def _names(page) -> list[str]:
    return [f.filename for f in page]


def test_files_round_trip_their_bytes_and_page_in_both_orders(openai_client, emulator):
    contents = {f"data-{i}.jsonl": jsonl([chat_example(i)] * (i + 1)) for i in range(5)}
    ids = {}
    for name, content in contents.items():
        ids[name] = upload(openai_client, name, content)
        emulator.control.advance(60)
    batch_id = upload(openai_client, "requests.jsonl", b'{"custom_id": "a"}\n', purpose="batch")

    created = openai_client.files.retrieve(ids["data-2.jsonl"])
    assert re.fullmatch(r"file-[0-9A-Za-z]{24}", created.id)
    assert created.bytes == len(contents["data-2.jsonl"]) and created.status == "processed"
    assert created.purpose == "fine-tune" and created.expires_at is None
    assert openai_client.files.content(created.id).read() == contents["data-2.jsonl"]
    assert (
        openai_client.files.retrieve(batch_id).expires_at
        == openai_client.files.retrieve(batch_id).created_at + 30 * 86400
    )

    emulator.control.clear_requests()
    newest_first = list(openai_client.files.list(purpose="fine-tune", limit=2))
    assert [f.filename for f in newest_first] == [f"data-{i}.jsonl" for i in (4, 3, 2, 1, 0)]
    assert len(emulator.control.requests()) == 3  # three pages of two
    oldest_first = list(openai_client.files.list(purpose="fine-tune", order="asc", limit=3))
    assert [f.filename for f in oldest_first] == [f"data-{i}.jsonl" for i in range(5)]
    first = openai_client.files.with_raw_response.list(limit=2).http_response.json()
    assert first["first_id"] == batch_id and first["has_more"] is True and first["last_id"] == first["data"][-1]["id"]
    assert _names(openai_client.files.list(purpose="batch")) == ["requests.jsonl"]

    deleted = openai_client.files.delete(ids["data-0.jsonl"])
    assert deleted.deleted is True and deleted.id == ids["data-0.jsonl"]
    assert "data-0.jsonl" not in _names(openai_client.files.list())
    for call in (openai_client.files.retrieve, openai_client.files.delete):
        with pytest.raises(openai.NotFoundError) as caught:
            call(ids["data-0.jsonl"])
        assert caught.value.body == {
            "message": f"No such File object: {ids['data-0.jsonl']}", "type": "invalid_request_error",
            "param": "id", "code": None,
        }  # fmt: skip
    with pytest.raises(openai.NotFoundError):
        openai_client.files.content(ids["data-0.jsonl"])
    snapshot = emulator.control.snapshot()
    by_id = {f["id"]: f for f in snapshot["files"]}
    assert by_id[ids["data-0.jsonl"]]["deleted"] is True
    assert by_id[ids["data-1.jsonl"]]["sha256"] == hashlib.sha256(contents["data-1.jsonl"]).hexdigest()


def test_an_empty_file_list_is_still_a_list(openai_client):
    page = openai_client.files.with_raw_response.list().http_response.json()
    assert page == {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}


def test_uploads_refuse_wrong_purposes_names_and_formats(openai_client):
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.files.create(file=("a.jsonl", io.BytesIO(b"{}\n")), purpose="fine-tuning")  # type: ignore[arg-type]
    assert caught.value.param == "purpose" and caught.value.code == "invalid_value"
    with pytest.raises(openai.BadRequestError) as caught:
        upload(openai_client, "train.csv", b"a,b\n")
    assert caught.value.body["message"] == "Invalid file format for Fine-Tuning API. Must be .jsonl"
    with pytest.raises(openai.BadRequestError) as caught:
        upload(openai_client, "train.jsonl", b'{"messages": []}\n[1, 2]\n')
    assert "Line 2 is not a dictionary" in caught.value.body["message"]


def test_files_need_multipart_and_their_required_fields(openai_client, emulator):
    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    response = httpx2.post(f"{emulator.base_url}/files", json={"purpose": "fine-tune"}, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("Invalid Content-Type header (application/json)")
    response = httpx2.post(f"{emulator.base_url}/files", data={"purpose": "fine-tune"}, files={"other": ("x", b"1")},
                           headers=headers)  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": "Missing required parameter: 'file'.", "type": "invalid_request_error", "param": "file",
        "code": "missing_required_parameter",
    }  # fmt: skip


def test_a_multipart_upload_completes_into_a_file_with_the_joined_bytes(openai_client):
    content = jsonl([chat_example(i) for i in range(30)])
    parts = [content[:1000], content[1000:2500], content[2500:]]
    created = openai_client.uploads.create(
        bytes=len(content), filename="big.jsonl", mime_type="text/jsonl", purpose="fine-tune"
    )
    assert created.status == "pending" and created.expires_at == created.created_at + 3600 and created.file is None
    part_ids = [openai_client.uploads.parts.create(created.id, data=chunk).id for chunk in parts]
    assert all(re.fullmatch(r"part_[0-9A-Za-z]{24}", p) for p in part_ids)
    done = openai_client.uploads.complete(created.id, part_ids=part_ids, md5=hashlib.md5(content).hexdigest())
    assert done.status == "completed" and done.file.bytes == len(content) and done.file.filename == "big.jsonl"
    assert openai_client.files.content(done.file.id).read() == content
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.uploads.parts.create(created.id, data=b"more")
    assert "already completed" in caught.value.body["message"]


def test_the_sdks_chunked_upload_helper_works(openai_client, tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_bytes(jsonl([chat_example(i) for i in range(50)]))
    done = openai_client.uploads.upload_file_chunked(
        file=path, mime_type="text/jsonl", purpose="fine-tune", part_size=700
    )
    assert done.status == "completed"
    assert openai_client.files.content(done.file.id).read() == path.read_bytes()


def test_an_upload_whose_parts_do_not_add_up_or_match_the_md5_is_refused(openai_client):
    content = jsonl([chat_example(i) for i in range(3)])
    created = openai_client.uploads.create(
        bytes=len(content) + 5, filename="x.jsonl", mime_type="text/jsonl", purpose="fine-tune"
    )
    part = openai_client.uploads.parts.create(created.id, data=content)
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.uploads.complete(created.id, part_ids=[part.id])
    assert caught.value.param == "part_ids"
    expected = f"({len(content)}) does not match the number of bytes specified when the Upload was created"
    assert f"{expected} ({len(content) + 5})" in caught.value.body["message"]

    exact = openai_client.uploads.create(
        bytes=len(content), filename="x.jsonl", mime_type="text/jsonl", purpose="fine-tune"
    )
    part = openai_client.uploads.parts.create(exact.id, data=content)
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.uploads.complete(exact.id, part_ids=[part.id], md5="0" * 32)
    assert caught.value.param == "md5"
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.uploads.complete(exact.id, part_ids=["part_unknown"])
    assert "does not belong" in caught.value.body["message"]
    assert openai_client.uploads.complete(exact.id, part_ids=[part.id]).status == "completed"


def test_cancelled_and_expired_uploads_take_no_more_parts(openai_client, emulator):
    created = openai_client.uploads.create(bytes=10, filename="x.jsonl", mime_type="text/jsonl", purpose="fine-tune")
    assert openai_client.uploads.cancel(created.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        openai_client.uploads.parts.create(created.id, data=b"0123456789")
    with pytest.raises(openai.BadRequestError):
        openai_client.uploads.cancel(created.id)
    later = openai_client.uploads.create(bytes=10, filename="y.jsonl", mime_type="text/jsonl", purpose="fine-tune")
    emulator.control.advance(3601)
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.uploads.parts.create(later.id, data=b"0123456789")
    assert "already expired" in caught.value.body["message"]
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client.uploads.cancel("upload_doesnotexist")
    assert caught.value.body["message"] == "No such Upload object: upload_doesnotexist"
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.uploads.create(bytes=10, filename="x.jsonl", mime_type="text/jsonl", purpose="nope")  # type: ignore[arg-type]
    assert caught.value.param == "purpose"
