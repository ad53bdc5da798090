"""Keys like the real service, the real 401/404/400 bodies, and the headers on every response."""

from __future__ import annotations

import re

import httpx2
import openai
import pytest

from tests.fixtures.emulator import make_client

NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth "
    "(i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the "
    "API from your browser and are prompted for a username and password. You can obtain an API key from "
    "https://platform.openai.com/account/api-keys."
)


def test_missing_and_wrong_keys_get_the_real_401_bodies(emulator):
    response = httpx2.get(f"{emulator.base_url}/models")
    assert response.status_code == 401
    assert response.json() == {
        "error": {"message": NO_KEY, "type": "invalid_request_error", "param": None, "code": None}
    }
    with (
        make_client(emulator, api_key="sk-proj-" + "abcdefgh1234567890wxyz") as wrong,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        wrong.models.list()
    assert caught.value.code == "invalid_api_key"
    assert caught.value.body["message"] == (
        f"Incorrect API key provided: sk-proj-{'*' * 18}wxyz. "
        "You can find your API key at https://platform.openai.com/account/api-keys."
    )
    assert "abcdefgh1234567890" not in caught.value.body["message"]
    with (
        make_client(emulator, api_key=emulator.admin_key) as admin_as_project,
        pytest.raises(openai.AuthenticationError),
    ):
        admin_as_project.files.list()


def test_every_response_carries_the_real_headers(openai_client, emulator):
    for response in (
        openai_client.models.with_raw_response.list().http_response,
        httpx2.get(f"{emulator.base_url}/files/file-nope", headers={"Authorization": f"Bearer {emulator.api_key}"}),
        httpx2.get(f"{emulator.base_url}/models"),
    ):
        assert re.fullmatch(r"req_[0-9a-f]{32}", response.headers["x-request-id"])
        assert response.headers["openai-version"] == "2020-10-01"
        assert int(response.headers["openai-processing-ms"]) >= 0
        for name in ("limit", "remaining", "reset"):
            for kind in ("requests", "tokens"):
                assert response.headers[f"x-ratelimit-{name}-{kind}"]
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client.files.retrieve("file-nope")
    assert re.fullmatch(r"req_[0-9a-f]{32}", caught.value.request_id)
    assert openai_client.models.list()._request_id.startswith("req_")


def test_unknown_urls_and_methods_are_invalid_urls(emulator):
    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    response = httpx2.get(f"{emulator.base_url}/fine_tuning/nothing", headers=headers)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Invalid URL (GET /v1/fine_tuning/nothing)"
    response = httpx2.put(f"{emulator.base_url}/files", headers=headers)
    assert response.json()["error"]["message"] == "Invalid URL (PUT /v1/files)"


def test_bad_json_missing_fields_and_unknown_arguments_are_400(emulator, openai_client):
    headers = {"Authorization": f"Bearer {emulator.api_key}", "Content-Type": "application/json"}
    url = f"{emulator.base_url}/fine_tuning/jobs"
    response = httpx2.post(url, content=b'{"model": "gpt-4o-mini",', headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("We could not parse the JSON body of your request.")
    response = httpx2.post(url, json={"model": "gpt-4o-mini"}, headers=headers)
    assert response.json()["error"] == {
        "message": "Missing required parameter: 'training_file'.",
        "type": "invalid_request_error",
        "param": "training_file",
        "code": "missing_required_parameter",
    }
    response = httpx2.post(url, json={"model": "gpt-4o-mini", "training_file": "file-x", "epochs": 3}, headers=headers)
    assert response.json()["error"]["message"] == "Unrecognized request argument supplied: epochs"
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file="file-x", suffix="x" * 65)
    assert caught.value.code == "string_above_max_length"
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file="file-x", seed="seven")  # type: ignore[arg-type]
    assert caught.value.body["message"] == "Invalid type for 'seed': expected an integer, but got a string instead."
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.fine_tuning.jobs.create(
            model="gpt-4o-mini", training_file="file-x",
            method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 51}}},
        )  # fmt: skip
    assert caught.value.param == "method.supervised.hyperparameters.n_epochs"
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.fine_tuning.jobs.create(
            model="gpt-4o-mini", training_file="file-x", metadata={f"k{i}": "v" for i in range(17)}
        )
    assert caught.value.param == "metadata"
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.fine_tuning.jobs.create(model="o4-mini", training_file="file-x", method={"type": "reinforcement"})
    assert caught.value.param == "method.reinforcement.grader"
