"""One profile's store, as the app and the command line hold it: the cache always, the API when online.

Reads come from the cache and never touch the network. Actions (cancel, pause, resume,
delete) go to the API and write what it answered into the cache. The API client, and
with it the openai package, is built only when first needed, so the first paint of the
app never waits for it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from store.cache import Cache, SyncState, TrainingEstimate
from store.config import Config, Profile, load_config
from store.credentials import Keys, resolve_keys
from store.errors import ApiError, NotCachedError
from store.paths import data_dir
from store.types import Job, RemoteFile

if TYPE_CHECKING:
    from store.api import Api
    from store.sync import Syncer, SyncReport


def cache_path_for(profile_name: str) -> Path:
    return data_dir() / "profiles" / profile_name / "cache.db"


@dataclass(frozen=True)
class Freshness:
    """How current the cached data is: shown in the header and by every `--offline` read."""

    last_contact: int | None  # last time the API answered
    offline_since: int | None  # first failed attempt since then, if the last attempt failed
    last_error: str | None
    collections: dict[str, SyncState]

    @property
    def offline(self) -> bool:
        return self.offline_since is not None

    def synced_at(self, collection: str) -> int | None:
        state = self.collections.get(collection)
        return state.last_success_at if state else None


class Backend:
    """A profile's cache and (lazily) its API, with the actions the UI offers."""

    def __init__(self, profile: Profile, cache: Cache, *, keys: Keys | None = None, config: Config | None = None):
        self.profile = profile
        self.cache = cache
        self.config = config
        self._keys = keys
        self._api: Api | None = None
        self._syncer: Syncer | None = None
        self._offset_from_cache: float | None = None
        self._lock = threading.Lock()
        cache.clock = self.now  # the stamps the cache writes are on the server's clock too

    @classmethod
    def open(cls, profile_name: str | None = None, *, config: Config | None = None) -> Backend:
        config = config or load_config()
        profile = config.profile(profile_name)
        return cls(profile, Cache.open(cache_path_for(profile.name)), config=config)

    def close(self) -> None:
        if self._api is not None:
            self._api.close()
        self.cache.close()

    # -- the network side, built on first use --------------------------------------------

    @property
    def api(self) -> Api:
        with self._lock:
            if self._api is None:
                from store.api import Api  # imports openai: off the start-up path

                self._api = Api(self.profile, self._keys or resolve_keys(self.profile))
            return self._api

    @property
    def syncer(self) -> Syncer:
        api = self.api  # outside the lock: building it takes the lock too
        with self._lock:
            if self._syncer is None:
                from store.sync import Syncer

                self._syncer = Syncer(self.cache, api, poll_seconds=self.profile.poll_seconds, clock=self.now)
            return self._syncer

    def sync(self, **options) -> SyncReport:
        report = self.syncer.sync(**options)
        self.remember_clock_offset()
        return report

    def poll(self) -> SyncReport:
        report = self.syncer.poll()
        self.remember_clock_offset()
        return report

    # -- freshness -----------------------------------------------------------------------

    def freshness(self) -> Freshness:
        states = self.cache.all_sync_states()
        network = states.get("network", SyncState("network"))
        failing = network.last_attempt_at is not None and network.last_attempt_at != network.last_success_at
        return Freshness(
            last_contact=network.last_success_at,
            offline_since=network.last_attempt_at if failing and network.last_error else None,
            last_error=network.last_error if failing else None,
            collections=states,
        )

    def now(self) -> float:
        """The server's idea of now: ages and elapsed times are measured against its timestamps."""
        offset = self._api.server_time_offset if self._api is not None else None
        if offset is None:
            offset = self._cached_offset()
        return time.time() + offset

    def _cached_offset(self) -> float:
        if self._offset_from_cache is None:
            self._offset_from_cache = float(self.cache.meta("server_clock_offset") or 0.0)
        return self._offset_from_cache

    def remember_clock_offset(self) -> None:
        """Keep the server clock offset for offline sessions (written only when it moved)."""
        offset = self._api.server_time_offset if self._api is not None else None
        if offset is not None and abs(offset - self._cached_offset()) >= 1:
            self.cache.set_meta("server_clock_offset", f"{offset:.0f}")
            self._offset_from_cache = offset

    # -- job actions ---------------------------------------------------------------------

    def cancel_job(self, job_id: str) -> Job:
        return self._apply(self.api.cancel_job(job_id))

    def pause_job(self, job_id: str) -> Job:
        return self._apply(self.api.pause_job(job_id))

    def resume_job(self, job_id: str) -> Job:
        return self._apply(self.api.resume_job(job_id))

    def refresh_job(self, job_id: str) -> Job:
        """Re-read one job and its new events now (what following a job does between polls)."""
        from store.sync import SyncReport

        job = self._apply(self.api.retrieve_job(job_id))
        self.syncer.sync_events(job_id, SyncReport())
        return self.cache.job(job.id)

    def _apply(self, job: Job) -> Job:
        self.cache.upsert_jobs([job])
        return self.cache.job(job.id)

    # -- files and models ----------------------------------------------------------------

    def delete_file(self, file_id: str) -> None:
        try:
            self.api.delete_file(file_id)
        except ApiError as error:
            if error.kind != "not_found":
                raise
        self.cache.mark_files_deleted([file_id])

    def delete_model(self, model_id: str) -> None:
        try:
            self.api.delete_model(model_id)
        except ApiError as error:
            if error.kind != "not_found":
                raise
        self.cache.mark_model_deleted(model_id)

    def upload_file(self, path: Path, *, purpose: str = "fine-tune", **options: Any) -> RemoteFile:
        """Upload a local file (resumable parts above 512 MB; see store.upload.upload for `options`)."""
        from store.upload import upload

        return upload(self.api, self.cache, path, purpose=purpose, **options)

    def create_job(self, request: dict[str, Any], *, estimate: TrainingEstimate | None = None) -> Job:
        """Start a job from a create request (store.newjob.build_request); keep preflight's estimate beside it."""
        job = self._apply(self.api.create_job(**request))
        if estimate is not None:
            self.cache.save_estimate(dataclasses.replace(estimate, job_id=job.id))
        return job

    def open_file_content(self, file_id: str, *, offline: bool = False) -> BinaryIO:
        """A file's bytes: from the archive, fetching them into it first when online."""
        if self.cache.content(file_id) is None:
            if offline:
                raise NotCachedError(
                    f"The contents of {file_id} are not archived, and finetop is offline.",
                    "Run `finetop archive --with-contents` while online.",
                )
            from store.sync import SyncReport

            self.syncer.fetch_content(file_id, SyncReport())
        return self.cache.open_content(file_id)

    def download_file(self, file_id: str, destination: Path, *, offline: bool = False) -> Path:
        """Save a file's contents to `destination` (a folder gets the file's own name)."""
        if destination.is_dir():
            with contextlib.suppress(NotCachedError):
                destination = destination / (self.cache.file(file_id).filename or file_id)
            if destination.is_dir():
                destination = destination / file_id
        with self.open_file_content(file_id, offline=offline) as source, destination.open("wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
        return destination
