"""Uploading a local file: one Files API request when it fits, else resumable, parallel Uploads API parts.

    file = upload(api, cache, "train.jsonl", progress=print)

Up to `single_request_limit` (the Files API's 512 MB) a file goes in one request. Larger
files (up to 8 GB) go through the Uploads API in parts of `part_size` (64 MiB), `parallel`
at a time. The file is read once, in order, by the calling thread: each part is hashed into
the whole file's md5 (sent on completion, so the server checks what it assembled) and handed
to a sending thread; at most `parallel` parts are in memory at once.

Each part the server accepts is recorded in the cache at once, keyed by the local file as it
is (path, size, mtime, sha256 of its first MiB). A rerun after an interruption (a crash, a
killed process, a lost connection) finds the record, skips the parts already sent and
completes the upload; a changed file, or an upload the server has forgotten (they expire
after an hour), starts over, and the progress says so. Cancelling (KeyboardInterrupt, or
`cancelled()` turning true) stops sending, cancels the upload on the server and forgets it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from store.cache import UploadRecord
from store.errors import ApiError, FinetopError
from store.records import file_from_raw
from store.types import RemoteFile

if TYPE_CHECKING:
    from store.api import Api
    from store.cache import Cache

MiB = 1024 * 1024
PART_SIZE = 64 * MiB  # the Uploads API's largest part
MAX_PART_SIZE = 64 * MiB
SINGLE_REQUEST_LIMIT = 512 * MiB  # the Files API's 512 MB (as preflight and the emulator count it)
MAX_UPLOAD_BYTES = 8 * 1024 * MiB  # the Uploads API's 8 GB
PARALLEL = 4
HEAD_BYTES = MiB  # hashed into the record's key: a rewritten file with the same size and mtime still differs
# An interrupted upload this close to the server's expiry is started over: its remaining parts may not make it.
EXPIRY_MARGIN_SECONDS = 120
TICK_SECONDS = 0.1  # how often progress is reported and a cancel request noticed
_MIME_TYPES = {".jsonl": "text/jsonl", ".json": "application/json", ".csv": "text/csv", ".txt": "text/plain"}


class UploadError(FinetopError):
    """An upload failed; the message says whether rerunning resumes it or starts over."""


class UploadCancelled(UploadError):
    """The user cancelled the upload (and it was cancelled on the server)."""


@dataclass(frozen=True, slots=True)
class UploadProgress:
    """Where an upload stands; the UI draws bytes, rate and ETA from it."""

    path: str
    route: str  # "files" (one request) | "uploads" (in parts)
    total: int  # bytes
    sent: int  # bytes on the server or on their way (parts count once their bytes have left)
    parts_total: int = 1
    parts_done: int = 0
    skipped_parts: int = 0  # parts an earlier, interrupted run had already sent
    skipped_bytes: int = 0
    elapsed: float = 0.0  # seconds since this run started sending
    stage: str = "sending"  # "sending" | "completing" | "done"
    notice: str = ""  # resumed, or started over and why: shown once by the UI

    @property
    def fraction(self) -> float:
        return self.sent / self.total if self.total else 1.0

    @property
    def rate(self) -> float | None:
        """Bytes per second sent by this run (parts skipped on a resume do not count)."""
        moved = self.sent - self.skipped_bytes
        return moved / self.elapsed if self.elapsed >= 0.5 and moved > 0 else None

    @property
    def eta(self) -> float | None:
        rate = self.rate
        return (self.total - self.sent) / rate if rate else None


ProgressCallback = Callable[[UploadProgress], None]


@dataclass(frozen=True, slots=True)
class LocalFile:
    """A local file as it is now; `key` changes when any of it does."""

    path: Path
    size: int
    mtime_ns: int
    head_sha256: str

    @property
    def key(self) -> str:
        text = f"{self.path}\0{self.size}\0{self.mtime_ns}\0{self.head_sha256}"
        return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def identify(path: str | Path) -> LocalFile:
    """Stat and fingerprint `path`; UploadError when it is missing, a folder or unreadable."""
    path = Path(path).expanduser().absolute()
    try:
        if path.is_dir():
            raise UploadError(f"{path} is a folder; give the path of a file.")
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            head = hashlib.sha256(handle.read(HEAD_BYTES)).hexdigest()
    except FileNotFoundError:
        raise UploadError(f"No such file: {path}.") from None
    except OSError as error:
        raise UploadError(f"Cannot read {path}: {error.strerror or error}.") from None
    return LocalFile(path, info.st_size, info.st_mtime_ns, head)


def upload(
    api: Api,
    cache: Cache,
    path: str | Path,
    *,
    purpose: str = "fine-tune",
    progress: ProgressCallback | None = None,
    part_size: int = PART_SIZE,
    parallel: int = PARALLEL,
    single_request_limit: int = SINGLE_REQUEST_LIMIT,
    cancelled: Callable[[], bool] | None = None,
    clock: Callable[[], float] = time.time,
) -> RemoteFile:
    """Upload `path` and return the file the server made of it (also stored in the cache).

    Raises UploadError (the message says what happened and whether a rerun resumes),
    UploadCancelled when cancelled, ApiError when the service refuses the file itself.
    """
    if not 1 <= part_size <= MAX_PART_SIZE:
        raise ValueError(f"part_size must be between 1 byte and 64 MiB, not {part_size}")
    if parallel < 1:
        raise ValueError("parallel must be at least 1")
    local = identify(path)
    if local.size > MAX_UPLOAD_BYTES:
        raise UploadError(
            f"{local.path.name} is {local.size / 1024**3:,.1f} GiB: over the 8 GB upload limit.",
            "Split it into smaller files.",
        )
    if local.size <= single_request_limit:
        remote = _upload_in_one_request(api, local, purpose, progress, cancelled or (lambda: False))
    else:
        remote = _PartedUpload(api, cache, local, purpose, progress, part_size, parallel, cancelled, clock).run()
    cache.upsert_files([remote])
    return remote


# --- one request ----------------------------------------------------------------------------


def _upload_in_one_request(
    api: Api, local: LocalFile, purpose: str, progress: ProgressCallback | None, cancelled: Callable[[], bool]
) -> RemoteFile:
    started = time.monotonic()

    def report(sent: int, stage: str) -> None:
        if progress is not None:
            progress(
                UploadProgress(
                    str(local.path),
                    "files",
                    local.size,
                    sent,
                    parts_done=int(stage == "done"),
                    elapsed=time.monotonic() - started,
                    stage=stage,
                )
            )

    report(0, "sending")
    remote = api.upload_file(local.path, purpose=purpose)
    if cancelled():
        # One request cannot be stopped halfway; cancelling it means not keeping what arrived.
        with contextlib.suppress(ApiError):
            api.delete_file(remote.id)
        raise UploadCancelled(f"Cancelled the upload of {local.path.name}; the server's copy was deleted.")
    if _changed(local):
        # What the server got may be half old, half new: do not leave it behind as if it were the file.
        with contextlib.suppress(ApiError):
            api.delete_file(remote.id)
        raise UploadError(
            f"{local.path.name} changed while it was being uploaded; the server's copy ({remote.id}) was deleted.",
            "Upload it again once nothing is writing to it.",
        )
    if remote.bytes != local.size:
        raise UploadError(
            f"The server stored {remote.bytes:,} bytes of {local.path.name} ({remote.id}), not {local.size:,}.",
            "Delete that file and upload again.",
        )
    report(local.size, "done")
    return remote


# --- in parts -------------------------------------------------------------------------------


class _PartReader(io.BytesIO):
    """One part's bytes for the HTTP client, which reads it in chunks: how far it got is progress.

    The client seeks back to 0 when it retries, so the position (not a running sum) is what counts."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.size = len(data)
        self.position = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.position = self.tell()
        return chunk


class _Restart(Exception):
    """The server no longer has the upload we were resuming: start a new one."""


class _FileChanged(Exception):
    """The local file is not what it was when the upload started."""


class _PartedUpload:
    def __init__(
        self,
        api: Api,
        cache: Cache,
        local: LocalFile,
        purpose: str,
        progress: ProgressCallback | None,
        part_size: int,
        parallel: int,
        cancelled: Callable[[], bool] | None,
        clock: Callable[[], float],
    ) -> None:
        self.api = api
        self.cache = cache
        self.local = local
        self.purpose = purpose
        self.progress_callback = progress
        self.part_size = part_size
        self.parallel = parallel
        self.cancelled = cancelled or (lambda: False)
        self.clock = clock
        self.n_parts = max(1, math.ceil(local.size / part_size))
        self.name = local.path.name
        self.notice = ""
        self.started = time.monotonic()
        self.skipped_parts = 0
        self.skipped_bytes = 0
        self.done_bytes = 0
        self._last_report = 0.0

    # -- the whole upload ---------------------------------------------------------------------

    def run(self) -> RemoteFile:
        record = self._record_to_resume()
        for _attempt in range(2):
            if record is None:
                record = self._create()
            try:
                return self._send_and_complete(record)
            except _Restart as restart:
                self.cache.drop_upload_record(record.key)
                self.notice = f"{restart} Starting over."
                record = None
        raise UploadError(f"The server kept refusing the upload of {self.name}.", "Try again later.")

    def _record_to_resume(self) -> UploadRecord | None:
        """The record of an interrupted upload of this very file, if the server can still complete it."""
        path = str(self.local.path)
        record = self.cache.upload_record(self.local.key)
        for stale in self.cache.upload_records(path=path):
            if stale.key != self.local.key:
                # The same path, but the file is not what it was: those parts are of no use any more.
                self._forget(stale, cancel_on_server=True)
                self.notice = f"{self.name} changed since its interrupted upload: starting over."
        if record is None:
            return None
        if record.part_size != self.part_size:
            self._forget(record, cancel_on_server=True)
            self.notice = (
                f"The interrupted upload of {self.name} used {record.part_size:,}-byte parts, not "
                f"{self.part_size:,}: starting over."
            )
            return None
        local_expiry = record.started_at + (record.expires_at - record.created_at)
        if self.clock() >= local_expiry - EXPIRY_MARGIN_SECONDS:
            self._forget(record, cancel_on_server=False)
            self.notice = (
                f"The interrupted upload of {self.name} has expired on the server (uploads last an hour): "
                "starting over."
            )
            return None
        done = len(record.parts)
        self.notice = (
            f"Resuming the interrupted upload of {self.name} ({record.upload_id}): {done} of {self.n_parts} "
            f"parts already on the server, not sent again."
        )
        return record

    def _create(self) -> UploadRecord:
        raw = self.api.create_upload(
            filename=self.name,
            size=self.local.size,
            purpose=self.purpose,
            mime_type=_MIME_TYPES.get(self.local.path.suffix.lower(), "application/octet-stream"),
        )
        record = UploadRecord(
            key=self.local.key,
            upload_id=raw["id"],
            path=str(self.local.path),
            filename=self.name,
            purpose=self.purpose,
            bytes=self.local.size,
            part_size=self.part_size,
            created_at=int(raw["created_at"]),
            expires_at=int(raw.get("expires_at") or raw["created_at"] + 3600),
            started_at=int(self.clock()),
        )
        self.cache.save_upload_record(record)
        return record

    def _send_and_complete(self, record: UploadRecord) -> RemoteFile:
        resuming = bool(record.parts)
        try:
            md5, done = self._send_parts(record)
        except (KeyboardInterrupt, UploadCancelled):
            self._forget(record, cancel_on_server=True)
            raise UploadCancelled(
                f"Cancelled the upload of {self.name}; the server discarded the parts it had.",
            ) from None
        except ApiError as error:
            raise self._part_failed(record, error, resuming) from error
        except _FileChanged as changed:
            self._forget(record, cancel_on_server=True)
            raise UploadError(
                f"{changed} The upload was cancelled on the server.", "Upload it again once nothing is writing to it."
            ) from None
        return self._complete(record, md5, done)

    # -- sending parts ------------------------------------------------------------------------

    def _send_parts(self, record: UploadRecord) -> tuple[str, dict[int, tuple[str, int]]]:
        """Read the file in order (hashing all of it), sending the parts not sent yet, `parallel` at once."""
        done = dict(record.parts)
        skipped = {index for index in done if index < self.n_parts}
        self.skipped_parts = len(skipped)
        self.skipped_bytes = sum(done[index][1] for index in skipped)
        self.done_bytes = self.skipped_bytes
        md5 = hashlib.md5(usedforsecurity=False)
        in_flight: dict[Future[str], tuple[int, _PartReader]] = {}
        failure: ApiError | None = None
        # Parallel part uploads are the one place store/ needs threads: one HTTP request per part in
        # flight. The threads only send; reading, hashing and recording stay on the calling thread.
        executor = ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="finetop-upload")
        self._report(len(done), in_flight, force=True)
        try:
            with self._open() as handle:
                for index in range(self.n_parts):
                    while len(in_flight) >= self.parallel and failure is None:
                        failure = self._collect(record, in_flight, done)
                    if failure is not None:
                        break
                    if self.cancelled():
                        raise UploadCancelled("cancelled")
                    data = self._read_part(handle, index)
                    md5.update(data)
                    if index in done:
                        if done[index][1] != len(data):
                            raise _Restart(f"The record of part {index + 1} does not match the file.")
                        continue
                    reader = _PartReader(data)
                    del data
                    in_flight[executor.submit(self.api.add_upload_part, record.upload_id, reader)] = (index, reader)
            while in_flight:
                failure = self._collect(record, in_flight, done) or failure
        finally:
            # On cancel or error, parts still queued are dropped; those already sending finish on their own.
            executor.shutdown(wait=False, cancel_futures=True)
        if failure is not None:
            raise failure
        return md5.hexdigest(), done

    def _collect(
        self,
        record: UploadRecord,
        in_flight: dict[Future[str], tuple[int, _PartReader]],
        done: dict[int, tuple[str, int]],
    ) -> ApiError | None:
        """Wait a tick for parts to finish; record the ones that did. Returns the first part's failure."""
        finished, _ = wait(in_flight, timeout=TICK_SECONDS, return_when=FIRST_COMPLETED)
        failure = None
        for future in finished:
            index, reader = in_flight.pop(future)
            try:
                part_id = future.result()
            except ApiError as error:
                failure = failure or replace(error, message=f"Part {index + 1} of {self.n_parts}: {error.message}")
                continue
            self.cache.save_upload_part(record.key, index, part_id, reader.size)
            done[index] = (part_id, reader.size)
            self.done_bytes += reader.size
        if self.cancelled():
            raise UploadCancelled("cancelled")
        self._report(len(done), in_flight, force=bool(finished))  # every finished part, and a tick otherwise
        return failure

    def _open(self) -> BinaryIO:
        try:
            return self.local.path.open("rb")
        except FileNotFoundError:
            raise self._vanished() from None
        except OSError as error:
            raise UploadError(f"Cannot read {self.local.path}: {error.strerror or error}.") from None

    def _read_part(self, handle: BinaryIO, index: int) -> bytes:
        offset = index * self.part_size
        want = min(self.part_size, self.local.size - offset)
        handle.seek(offset)
        data = handle.read(want)
        if len(data) != want:
            raise _FileChanged(f"{self.name} changed while it was being uploaded (it is shorter now).")
        return data

    def _report(self, parts_done: int, in_flight: dict, stage: str = "sending", force: bool = False) -> None:
        if self.progress_callback is None:
            return
        now = time.monotonic()
        if not force and now - self._last_report < TICK_SECONDS:
            return
        self._last_report = now
        moving = sum(reader.position for _, reader in in_flight.values())
        self.progress_callback(
            UploadProgress(
                path=str(self.local.path),
                route="uploads",
                total=self.local.size,
                sent=min(self.local.size, self.done_bytes + moving),
                parts_total=self.n_parts,
                parts_done=parts_done,
                skipped_parts=self.skipped_parts,
                skipped_bytes=self.skipped_bytes,
                elapsed=now - self.started,
                stage=stage,
                notice=self.notice,
            )
        )

    # -- finishing ----------------------------------------------------------------------------

    def _complete(self, record: UploadRecord, md5: str, done: dict[int, tuple[str, int]]) -> RemoteFile:
        if _changed(self.local):
            self._forget(record, cancel_on_server=True)
            if not self.local.path.exists():
                raise self._vanished()
            raise UploadError(
                f"{self.name} changed while it was being uploaded; the upload was cancelled on the server.",
                "Upload it again once nothing is writing to it.",
            )
        self._report(self.n_parts, {}, stage="completing", force=True)
        part_ids = [done[index][0] for index in range(self.n_parts)]
        try:
            raw = self.api.complete_upload(record.upload_id, part_ids, md5=md5)
        except ApiError as error:
            return self._complete_failed(record, error)
        remote_raw = raw.get("file") if raw.get("status") == "completed" else None
        if not isinstance(remote_raw, dict):
            self._forget(record, cancel_on_server=True)
            raise UploadError(f"The server did not complete the upload of {self.name} (status {raw.get('status')}).")
        remote = file_from_raw(remote_raw)
        self.cache.drop_upload_record(record.key)
        if remote.bytes != self.local.size:
            raise UploadError(
                f"The server stored {remote.bytes:,} bytes of {self.name} ({remote.id}), not {self.local.size:,}.",
                "Delete that file and upload again.",
            )
        self._report(self.n_parts, {}, stage="done", force=True)
        return remote

    def _complete_failed(self, record: UploadRecord, error: ApiError) -> RemoteFile:
        text = error.message.lower()
        if "already completed" in text:
            # A run killed between completing and forgetting the record: the file exists; find it.
            found = self._completed_file(record)
            if found is not None:
                self.cache.drop_upload_record(record.key)
                return found
        if error.is_connection_problem or error.kind in ("server", "rate_limit", "timeout"):
            raise UploadError(
                f"Could not complete the upload of {self.name}: {error.message}",
                "Every part is on the server: run the same upload again (within the hour) to complete it.",
            ) from error
        self._forget(record, cancel_on_server=True)
        if error.param == "md5" or "md5" in text:
            problem = "the md5 of the bytes the server assembled does not match the file's"
        elif "number of bytes" in text or error.param == "bytes":
            problem = "the server's byte count of the parts does not match the file's size"
        else:
            problem = error.message.rstrip(".")
        raise UploadError(
            f"The server refused to complete the upload of {self.name}: {problem}. The upload was cancelled.",
            "Nothing was kept; upload the file again.",
        ) from error

    def _completed_file(self, record: UploadRecord) -> RemoteFile | None:
        with contextlib.suppress(ApiError):
            candidates = [
                f
                for f in self.api.list_files()
                if f.filename == record.filename
                and f.bytes == record.bytes
                and f.purpose == record.purpose
                and f.created_at >= record.created_at
            ]
            return max(candidates, key=lambda f: f.created_at, default=None)
        return None

    # -- failures -----------------------------------------------------------------------------

    def _part_failed(self, record: UploadRecord, error: ApiError, resuming: bool) -> FinetopError:
        text = error.message.lower()
        gone = any(word in text for word in ("expired", "cancelled", "canceled", "no such upload")) or (
            error.kind == "not_found"
        )
        if gone and resuming:
            return _Restart(f"The interrupted upload of {self.name} is no longer open on the server ({error.message}).")
        if gone:
            self.cache.drop_upload_record(record.key)
            return UploadError(
                f"The server closed the upload of {self.name} while it was being sent: {error.message}",
                "Upload the file again.",
            )
        still = self.cache.upload_record(record.key)
        parts = len(still.parts) if still else 0
        if error.is_connection_problem or error.kind in ("server", "rate_limit"):
            return UploadError(
                f"Sending {self.name} stopped: {error.message}",
                f"{parts} of {self.n_parts} parts are on the server: run the same upload again within the hour "
                "to resume without sending them again.",
            )
        self._forget(record, cancel_on_server=True)
        return UploadError(
            f"The server refused a part of {self.name}: {error.message}",
            "The upload was cancelled on the server; nothing was kept.",
        )

    def _vanished(self) -> UploadError:
        return UploadError(
            f"{self.local.path} vanished while it was being uploaded.",
            "Nothing was kept; upload it again from where it is now.",
        )

    def _forget(self, record: UploadRecord, *, cancel_on_server: bool) -> None:
        """Drop the record, and (best effort) the upload on the server: it would expire within the hour anyway."""
        if cancel_on_server:
            with contextlib.suppress(ApiError):
                self.api.cancel_upload(record.upload_id)
        self.cache.drop_upload_record(record.key)


def _changed(local: LocalFile) -> bool:
    try:
        info = local.path.stat()
    except OSError:
        return True
    return info.st_size != local.size or info.st_mtime_ns != local.mtime_ns
