"""The one door to the network: builds openai SDK clients and returns finetop's own records.

Works with OpenAI, Azure OpenAI and any OpenAI-compatible base URL. The SDK does the
retrying (it honours retry-after); we give it a short timeout suited to an interactive
tool, and turn its exceptions into ApiError with the API's message and request id,
scrubbed of the keys.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, BinaryIO, Generic, TypeVar

import httpx2
import openai

from store.config import Profile
from store.credentials import Keys, redact
from store.errors import ApiError
from store.records import (
    checkpoint_from_raw,
    cost_from_raw,
    event_from_raw,
    file_from_raw,
    job_from_raw,
    model_from_raw,
    usage_from_raw,
)
from store.types import Checkpoint, CostLine, Job, JobEvent, Model, RemoteFile, UsageBucket

# Seconds. The SDK's default (600 s) would freeze a terminal tool for ten minutes.
TIMEOUT = httpx2.Timeout(20.0, connect=5.0)
TRANSFER_TIMEOUT = httpx2.Timeout(300.0, connect=10.0)  # file contents and upload parts
MAX_RETRIES = 2
DEFAULT_AZURE_API_VERSION = "2025-04-01-preview"
MAX_PAGE = 100  # jobs, events and checkpoints per page

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    has_more: bool
    next_cursor: str | None = None  # `after` for cursor lists, `page` for usage and costs


class Api:
    """One account's API. Thread-safe; counts the HTTP requests it sends (retries included)."""

    def __init__(
        self,
        profile: Profile,
        keys: Keys,
        *,
        timeout: httpx2.Timeout | float = TIMEOUT,
        max_retries: int = MAX_RETRIES,
    ) -> None:
        self.profile = profile
        self._keys = keys
        self._lock = threading.Lock()
        self.requests_sent = 0
        self.server_time_offset: float | None = None  # server Date minus our clock, when known
        self._http = httpx2.Client(
            timeout=timeout,
            follow_redirects=True,
            event_hooks={"request": [self._count_request], "response": [self._note_server_time]},
        )
        common: dict[str, Any] = {
            "api_key": keys.api_key,
            "admin_api_key": keys.admin_key,
            "timeout": timeout,
            "max_retries": max_retries,
            "http_client": self._http,
        }
        if profile.provider == "azure":
            self.client: openai.OpenAI = openai.AzureOpenAI(
                azure_endpoint=profile.base_url or "",
                api_version=profile.azure_api_version or DEFAULT_AZURE_API_VERSION,
                **common,
            )
        else:
            self.client = openai.OpenAI(
                base_url=profile.effective_base_url(),
                organization=profile.effective_organization(),
                project=profile.effective_project(),
                **common,
            )

    def close(self) -> None:
        self._http.close()

    def _count_request(self, request: httpx2.Request) -> None:
        with self._lock:
            self.requests_sent += 1

    def _note_server_time(self, response: httpx2.Response) -> None:
        """Learn the server's clock from its Date header, so ages and elapsed times match the
        server's timestamps even when this machine's clock is off (or the server is simulated)."""
        date = response.headers.get("date")
        if not date:
            return
        with contextlib.suppress(TypeError, ValueError, IndexError):
            offset = parsedate_to_datetime(date).timestamp() - time.time()
            # The header has one-second resolution: ignore what is within that.
            self.server_time_offset = offset if abs(offset) >= 2 else 0.0

    def now(self) -> float:
        """The server's clock (this machine's until a reply has told us otherwise)."""
        return time.time() + (self.server_time_offset or 0.0)

    @property
    def has_admin_key(self) -> bool:
        return bool(self._keys.admin_key)

    # -- errors --------------------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """Turn SDK exceptions into ApiError, in the user's terms and without the keys."""
        try:
            yield
        except openai.APITimeoutError as exc:
            raise ApiError(
                "timeout", f"{self.profile.describe_endpoint()} did not answer in time while {what}."
            ) from exc
        except openai.APIConnectionError as exc:
            cause = exc.__cause__ or exc
            raise ApiError(
                "offline", f"Cannot reach {self.profile.describe_endpoint()} while {what} ({_short(cause)})."
            ) from exc
        except openai.APIStatusError as exc:
            raise self._status_error(exc, what) from exc

    def _status_error(self, exc: openai.APIStatusError, what: str) -> ApiError:
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error") if isinstance(body.get("error"), dict) else body
        message = str(error.get("message") or exc.message or f"HTTP {exc.status_code}")
        message = redact(message, self._keys.api_key, self._keys.admin_key)
        error_type, code = error.get("type"), error.get("code")
        status = exc.status_code
        kind = {401: "auth", 403: "permission", 404: "not_found", 409: "conflict", 429: "rate_limit"}.get(
            status, "server" if status >= 500 else "bad_request"
        )
        if status == 429 and (error_type == "insufficient_quota" or code == "insufficient_quota"):
            kind = "quota"
        return ApiError(
            kind=kind,
            message=message,
            status=status,
            request_id=exc.request_id,
            code=code,
            param=error.get("param"),
            error_type=error_type,
            retry_after=_retry_after(exc.response.headers) if status == 429 else None,
            hint=_hint_for(kind, code, what),
        )

    # -- jobs ----------------------------------------------------------------------------

    def list_jobs_page(self, *, after: str | None = None, limit: int = MAX_PAGE) -> Page[Job]:
        with self._errors("listing fine-tuning jobs"):
            page = self.client.fine_tuning.jobs.list(**_omit_none(after=after, limit=limit))
        items = [job_from_raw(item.to_dict()) for item in page.data]
        return Page(items, bool(page.has_more), items[-1].id if items else None)

    def retrieve_job(self, job_id: str) -> Job:
        with self._errors(f"reading job {job_id}"):
            return job_from_raw(self.client.fine_tuning.jobs.retrieve(job_id).to_dict())

    def cancel_job(self, job_id: str) -> Job:
        with self._errors(f"cancelling job {job_id}"):
            return job_from_raw(self.client.fine_tuning.jobs.cancel(job_id).to_dict())

    def pause_job(self, job_id: str) -> Job:
        with self._errors(f"pausing job {job_id}"):
            return job_from_raw(self.client.fine_tuning.jobs.pause(job_id).to_dict())

    def resume_job(self, job_id: str) -> Job:
        with self._errors(f"resuming job {job_id}"):
            return job_from_raw(self.client.fine_tuning.jobs.resume(job_id).to_dict())

    def create_job(self, **params: Any) -> Job:
        """POST /fine_tuning/jobs with the given body fields (None values are left out)."""
        with self._errors("creating the fine-tuning job"):
            return job_from_raw(self.client.fine_tuning.jobs.create(**_omit_none(**params)).to_dict())

    def list_events_page(self, job_id: str, *, after: str | None = None, limit: int = MAX_PAGE) -> Page[JobEvent]:
        with self._errors(f"reading the events of job {job_id}"):
            page = self.client.fine_tuning.jobs.list_events(job_id, **_omit_none(after=after, limit=limit))
        items = [event_from_raw(job_id, item.to_dict()) for item in page.data]
        return Page(items, bool(page.has_more), items[-1].id if items else None)

    def list_checkpoints(self, job_id: str) -> list[Checkpoint]:
        with self._errors(f"reading the checkpoints of job {job_id}"):
            pages = self.client.fine_tuning.jobs.checkpoints.list(job_id, limit=MAX_PAGE)
            return [checkpoint_from_raw(item.to_dict()) for item in pages]

    # -- files ---------------------------------------------------------------------------

    def list_files(self) -> list[RemoteFile]:
        """Every file of the account (the API allows 10,000 per page; the SDK follows `after`)."""
        with self._errors("listing files"):
            return [file_from_raw(item.to_dict()) for item in self.client.files.list(limit=10_000)]

    def retrieve_file(self, file_id: str) -> RemoteFile:
        with self._errors(f"reading file {file_id}"):
            return file_from_raw(self.client.files.retrieve(file_id).to_dict())

    def delete_file(self, file_id: str) -> None:
        with self._errors(f"deleting file {file_id}"):
            self.client.files.delete(file_id)

    @contextlib.contextmanager
    def file_content(self, file_id: str, chunk_size: int = 1 << 20) -> Iterator[Iterator[bytes]]:
        """The file's bytes as the server sends them, streamed (files can be gigabytes)."""
        with (
            self._errors(f"downloading file {file_id}"),
            self.client.with_options(timeout=TRANSFER_TIMEOUT).files.with_streaming_response.content(
                file_id
            ) as response,
        ):
            yield response.iter_bytes(chunk_size)

    def upload_file(self, path: Path, purpose: str = "fine-tune") -> RemoteFile:
        with self._errors(f"uploading {path.name}"), path.open("rb") as handle:
            created = self.client.with_options(timeout=TRANSFER_TIMEOUT).files.create(
                file=(path.name, handle), purpose=purpose
            )
        return file_from_raw(created.to_dict())

    # -- uploads (large files, in parts) -------------------------------------------------

    def create_upload(self, *, filename: str, size: int, purpose: str, mime_type: str = "text/jsonl") -> dict:
        with self._errors(f"starting the upload of {filename}"):
            return self.client.uploads.create(
                bytes=size, filename=filename, purpose=purpose, mime_type=mime_type
            ).to_dict()

    def add_upload_part(self, upload_id: str, data: bytes | BinaryIO) -> str:
        with self._errors(f"sending a part of upload {upload_id}"):
            return self.client.with_options(timeout=TRANSFER_TIMEOUT).uploads.parts.create(upload_id, data=data).id

    def complete_upload(self, upload_id: str, part_ids: list[str], md5: str | None = None) -> dict:
        with self._errors(f"completing upload {upload_id}"):
            return self.client.uploads.complete(upload_id, part_ids=part_ids, **_omit_none(md5=md5)).to_dict()

    def cancel_upload(self, upload_id: str) -> dict:
        with self._errors(f"cancelling upload {upload_id}"):
            return self.client.uploads.cancel(upload_id).to_dict()

    # -- models --------------------------------------------------------------------------

    def list_models(self) -> list[Model]:
        with self._errors("listing models"):
            return [model_from_raw(item.to_dict()) for item in self.client.models.list()]

    def delete_model(self, model_id: str) -> None:
        with self._errors(f"deleting model {model_id}"):
            self.client.models.delete(model_id)

    # -- usage and costs (admin key) -----------------------------------------------------

    def usage_page(
        self, *, start: int, end: int, page: str | None = None, bucket_width: str = "1d", limit: int = 31
    ) -> Page[UsageBucket]:
        """Completions usage grouped by model and batch, one page of buckets."""
        with self._errors("reading usage"):
            response = self.client.admin.organization.usage.completions(
                start_time=start,
                end_time=end,
                bucket_width=bucket_width,
                group_by=["model", "batch"],
                limit=limit,
                **_omit_none(page=page),
            )
        items = [
            usage_from_raw(bucket.start_time, bucket.end_time, result.to_dict())
            for bucket in response.data
            for result in bucket.results
        ]
        return Page(items, bool(response.has_more), response.next_page)

    def costs_page(self, *, start: int, end: int, page: str | None = None, limit: int = 180) -> Page[CostLine]:
        with self._errors("reading costs"):
            response = self.client.admin.organization.usage.costs(
                start_time=start,
                end_time=end,
                bucket_width="1d",
                group_by=["line_item"],
                limit=limit,
                **_omit_none(page=page),
            )
        items = [
            cost_from_raw(bucket.start_time, bucket.end_time, result.to_dict())
            for bucket in response.data
            for result in bucket.results
        ]
        return Page(items, bool(response.has_more), response.next_page)


def _omit_none(**kwargs: Any) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if v is not None}


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:160]


def _retry_after(headers: httpx2.Headers) -> float | None:
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            with contextlib.suppress(ValueError):
                return float(value) * scale
    return None


# Service refusals people meet when starting or steering jobs, with what to do about them.
_CODE_HINTS: dict[str, str] = {
    "daily_rate_limit_exceeded": "The daily limit of fine-tuning jobs for this model is reached; try tomorrow.",
    "invalid_api_key": "The key is wrong or was revoked; update the profile's key.",
    "model_not_found": "The model does not exist or this key cannot see it.",
    "insufficient_quota": "The account is out of credit or over quota; check billing.",
}


def _hint_for(kind: str, code: str | None, what: str) -> str:
    if code and code in _CODE_HINTS:
        return _CODE_HINTS[code]
    if kind == "bad_request" and any(verb in what for verb in ("cancelling", "pausing", "resuming")):
        return "The job is not in a state that allows this; refresh to see its current status."
    if kind in ("auth", "permission") and ("usage" in what or "costs" in what):
        return "Usage and costs need an admin key: set OPENAI_ADMIN_KEY (or the profile's admin_key_command)."
    return ""
