"""What to fetch when: incremental, resumable, rate-limit aware sync of one profile into its cache.

Cheap by design. In steady state a poll costs one request for the newest jobs page, plus
one events page per active job (and a retrieve for an active job that fell off that page):
at most 1 + 2 x active jobs. Ended jobs are fetched in full once (final events,
checkpoints, result files) and then left alone, apart from a slow reconciliation pass.

Crash-safe: every page is written in one transaction together with the cursor that says
where to go on, so a sync killed at any point (SIGKILL included) resumes where it stopped,
with nothing lost and nothing duplicated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from store.cache import Cache, StatusChange
from store.errors import ApiError, NotCachedError
from store.metrics import CHART_POINTS

if TYPE_CHECKING:
    # Not at run time: store.api imports openai (over two seconds), and the app imports this
    # module for SyncReport on its start-up path. The Syncer is handed an Api already built.
    from store.api import Api

DAY = 86_400
# How often each collection is due, in seconds (active jobs use the profile's poll_seconds).
IDLE_JOBS_EVERY = 60
FILES_EVERY = 300
MODELS_EVERY = 300
USAGE_EVERY = 3600
RECONCILE_EVERY = 6 * 3600
# Usage and costs of the last days can still change: re-read them on every usage sync.
USAGE_REREAD_DAYS = 2
FIRST_PAGE_WHEN_WARM = 20  # a small first page keeps steady-state polls light over slow links
OFFLINE_RETRY_MAX = 60
CHECKPOINT_EVENT = "Checkpoint created at step"
AUTO_ARCHIVE_BYTES = 64 * 1024 * 1024  # an active job's data up to this size is archived as it runs

Progress = Callable[[str, int, int], None]  # (stage, done, total)


class Skipped(Exception):
    """A collection that cannot be synced for a reason the user can fix (no admin key): not a failure."""


@dataclass
class SyncReport:
    """What one sync did: shown by the CLI, turned into notifications by the app."""

    changes: list[StatusChange] = field(default_factory=list)  # jobs that are new or changed status
    new_events: dict[str, int] = field(default_factory=dict)  # job id -> events added
    checkpoints: int = 0
    files_added: int = 0
    files_deleted: int = 0
    models_added: int = 0
    models_deleted: int = 0
    usage_buckets: int = 0
    cost_lines: int = 0
    contents_fetched: int = 0
    content_bytes: int = 0
    requests: int = 0
    collections: list[str] = field(default_factory=list)  # what was synced
    errors: dict[str, ApiError] = field(default_factory=dict)  # collection -> what went wrong
    skipped: dict[str, str] = field(default_factory=dict)  # collection -> why, and how to enable it
    offline: bool = False

    @property
    def events_added(self) -> int:
        return sum(self.new_events.values())

    @property
    def transitions(self) -> list[StatusChange]:
        """Known jobs whose status changed (new jobs left out): what users get notified about."""
        return [c for c in self.changes if c.old_status is not None]


class Syncer:
    """Keeps one profile's cache up to date with its account."""

    def __init__(
        self,
        cache: Cache,
        api: Api,
        *,
        poll_seconds: float = 5.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.cache = cache
        self.api = api
        self.poll_seconds = poll_seconds
        # Windows (usage re-reads, what is due) are measured on the server's clock: a machine whose
        # date is off by days would otherwise ask for the wrong days of usage, silently.
        self.clock = clock or api.now
        self.backoff_until = 0.0
        self._offline_failures = 0

    # -- the public entry points ---------------------------------------------------------

    def sync(self, *, full: bool = False, with_contents: bool = False, progress: Progress | None = None) -> SyncReport:
        """Everything, now: what `finetop sync --once` and `finetop archive` run."""
        collections = ["jobs", "events", "details", "files", "training data", "models", "usage", "costs"]
        if with_contents:
            collections.append("contents")
        return self.run_collections(collections, full=full, progress=progress)

    def poll(self) -> SyncReport:
        """One adaptive cycle: only what is due (what the app and `sync --watch` run)."""
        if self.clock() < self.backoff_until:
            return SyncReport()
        return self.run_collections(
            self.due(), full=self._due(self.cache.sync_state("reconcile").last_success_at, RECONCILE_EVERY)
        )

    def due(self) -> list[str]:
        states = self.cache.all_sync_states()

        def last(name: str) -> int | None:
            state = states.get(name)
            return state.last_success_at if state else None

        active = bool(self.cache.job_ids(active_only=True))
        due = []
        if self._due(last("jobs"), self.poll_seconds if active else IDLE_JOBS_EVERY):
            due += ["jobs", "events", "details"]
        for name, every in (("files", FILES_EVERY), ("models", MODELS_EVERY), ("usage", USAGE_EVERY)):
            if self._due(last(name), every):
                due.append(name)
        if "usage" in due:
            due.append("costs")
        if "jobs" in due:
            due.append("training data")
        return due

    def next_delay(self) -> float:
        """Seconds until the next poll is worth making."""
        now = self.clock()
        if now < self.backoff_until:
            return self.backoff_until - now
        if self._offline_failures:
            return min(OFFLINE_RETRY_MAX, 2.0 ** min(self._offline_failures, 6))
        return self.poll_seconds if self.cache.job_ids(active_only=True) else min(IDLE_JOBS_EVERY, FILES_EVERY)

    def _due(self, last_success: int | None, every: float) -> bool:
        return last_success is None or self.clock() - last_success >= every - 0.5

    # -- running collections -------------------------------------------------------------

    def run_collections(
        self, collections: list[str], *, full: bool = False, progress: Progress | None = None
    ) -> SyncReport:
        """Sync the named collections in order; network trouble stops the run, other errors only
        their collection (usage without an admin key must not keep jobs from syncing)."""
        report = SyncReport()
        sent_before = self.api.requests_sent
        steps = {
            "jobs": lambda: self.sync_jobs(report, full=full),
            "events": lambda: self.sync_active_events(report),
            "details": lambda: self.sync_ended_jobs(report, progress),
            "files": lambda: self.sync_files(report),
            "models": lambda: self.sync_models(report),
            "usage": lambda: self.sync_usage(report),
            "costs": lambda: self.sync_costs(report),
            "training data": lambda: self.archive_training_data(report),
            "contents": lambda: self.archive_contents(report, progress),
        }
        try:
            for name in collections:
                try:
                    steps[name]()
                except Skipped as why:
                    report.skipped[name] = str(why)
                    self.cache.record_sync(name, ok=False, error=str(why))
                    continue
                except ApiError as error:
                    self._note_error(name, error, report)
                    if error.is_connection_problem or error.kind in ("auth", "rate_limit", "quota"):
                        raise  # every further request would fail the same way
                else:
                    report.collections.append(name)
                    if name not in ("events", "details", "contents"):
                        self.cache.record_sync(name, ok=True)
            if full and set(collections) >= {"jobs", "events", "details"}:
                self.cache.record_sync("reconcile", ok=True)
        except ApiError as error:
            if error.is_connection_problem:
                report.offline = True
                self._offline_failures += 1
            elif error.kind == "rate_limit":
                self.backoff_until = self.clock() + (error.retry_after or 30.0)
        else:
            self._offline_failures = 0
            self.cache.record_sync("network", ok=True)
        report.requests = self.api.requests_sent - sent_before
        return report

    def _note_error(self, collection: str, error: ApiError, report: SyncReport) -> None:
        report.errors[collection] = error
        self.cache.record_sync(collection, ok=False, error=str(error))
        if error.is_connection_problem:
            self.cache.record_sync("network", ok=False, error=str(error))

    # -- jobs ----------------------------------------------------------------------------

    def sync_jobs(self, report: SyncReport, *, full: bool = False) -> None:
        """Newest jobs first until we meet jobs we know; then retrieve known active jobs not met.

        The first walk down an account goes to the end, saving where it got to after every
        page; if it is interrupted, the next sync reads the new jobs on top, then resumes it.
        `full` (the reconciliation pass) rereads every page."""
        from store.api import MAX_PAGE  # loaded already: the Api we were given imported it

        cursor = self.cache.sync_state("jobs").cursor
        complete = bool(cursor.get("complete"))
        resume_after = None if complete else cursor.get("resume_after")
        first_walk = not complete and resume_after is None
        seen: set[str] = set()

        def walk(after: str | None, limit: int, *, stop_at_known: bool, save_cursor: bool) -> bool:
            """Read pages from `after`; True when the walk reached the oldest job."""
            while True:
                page = self.api.list_jobs_page(after=after, limit=limit)
                known = self.cache.job_statuses(j.id for j in page.items)
                with self.cache.transaction():
                    report.changes += self.cache.upsert_jobs(page.items)
                    if save_cursor:
                        self.cache.set_cursor("jobs", {"complete": not page.has_more, "resume_after": page.next_cursor})
                seen.update(j.id for j in page.items)
                if not page.has_more:
                    return True
                if stop_at_known and known:
                    return False
                after, limit = page.next_cursor, MAX_PAGE

        warm = complete and not full
        reached_end = walk(
            None,
            FIRST_PAGE_WHEN_WARM if warm else MAX_PAGE,
            stop_at_known=not (first_walk or full),
            save_cursor=first_walk,
        )
        if not reached_end and resume_after:
            reached_end = walk(resume_after, MAX_PAGE, stop_at_known=False, save_cursor=True)
        if reached_end or complete:
            self.cache.set_cursor("jobs", {"complete": True})

        for job_id in self.cache.job_ids(active_only=True):
            if job_id not in seen:
                report.changes += self.cache.upsert_jobs([self.api.retrieve_job(job_id)])

    # -- events --------------------------------------------------------------------------

    def sync_events(self, job_id: str, report: SyncReport) -> int:
        """Bring a job's events up to date: finish an interrupted walk, then read the new ones.

        A running job makes a checkpoint at each epoch end; when one is announced, its
        checkpoints are read at once (one request) rather than when the job ends."""
        added, announced = self._read_new_events(job_id, report)
        if announced:
            report.checkpoints += self.cache.upsert_checkpoints(self.api.list_checkpoints(job_id))
        return added

    def _read_new_events(self, job_id: str, report: SyncReport) -> tuple[int, bool]:
        """(events added, whether they announce a checkpoint)."""
        added = 0
        pending = self.cache.event_run(job_id)
        checkpointed: list[bool] = []
        if pending is not None:
            added += self._walk_events(pending, report, checkpointed)
        added += self._walk_events(self.cache.start_event_run(job_id), report, checkpointed)
        if added:
            report.new_events[job_id] = report.new_events.get(job_id, 0) + added
        return added, any(checkpointed)

    def _walk_events(self, run, report: SyncReport, checkpointed: list[bool]) -> int:
        from store.api import MAX_PAGE  # loaded already: the Api we were given imported it

        added = 0
        after = run.resume_after
        while run is not None:
            page = self.api.list_events_page(run.job_id, after=after, limit=MAX_PAGE)
            items = page.items
            reached_stop = False
            if run.stop_at is not None:
                ids = [e.id for e in items]
                if run.stop_at in ids:
                    items = items[: ids.index(run.stop_at)]
                    reached_stop = True
            finished = reached_stop or not page.has_more or not page.items
            inserted, run = self.cache.append_event_page(run, items, finished=finished, resume_after=page.next_cursor)
            added += inserted
            checkpointed.append(any(e.message.startswith(CHECKPOINT_EVENT) for e in items))
            after = page.next_cursor
        return added

    def sync_active_events(self, report: SyncReport) -> None:
        for job_id in self.cache.job_ids(active_only=True):
            self.sync_events(job_id, report)

    def archive_training_data(self, report: SyncReport) -> None:
        """Active jobs' training and validation files, archived once while they still exist: their cost
        estimates are made from them. Larger ones wait for `finetop archive --with-contents`."""
        for job_id in self.cache.job_ids(active_only=True):
            job = self.cache.job(job_id)
            for file_id in (job.training_file, job.validation_file):
                if not file_id or self.cache.content(file_id) is not None:
                    continue
                try:
                    remote = self.cache.file(file_id)
                except NotCachedError:
                    continue  # not listed yet: after the next files sync
                if remote.deleted_at is None and remote.bytes <= AUTO_ARCHIVE_BYTES:
                    self.fetch_content(file_id, report)

    # -- ended jobs: final events, checkpoints, result files -----------------------------

    def sync_ended_jobs(self, report: SyncReport, progress: Progress | None = None) -> None:
        pending = self.cache.jobs_needing_details()
        for index, job_id in enumerate(pending):
            if progress:
                progress("jobs", index, len(pending))
            self.sync_job_details(job_id, report)
        if progress and pending:
            progress("jobs", len(pending), len(pending))

    def sync_job_details(self, job_id: str, report: SyncReport) -> None:
        self._read_new_events(job_id, report)  # announced or not, the checkpoints are read once, here
        report.checkpoints += self.cache.upsert_checkpoints(self.api.list_checkpoints(job_id))
        job = self.cache.job(job_id)  # after its events: they set its step
        for file_id in job.result_files:
            self.fetch_content(file_id, report)
        if (job.step or 0) > CHART_POINTS:
            # A long ended job: reduce its chart once now, so opening it never scans its events.
            self.cache.chart_series(job_id, points=CHART_POINTS)
        self.cache.mark_details_synced(job_id)

    # -- files, models -------------------------------------------------------------------

    def sync_files(self, report: SyncReport) -> None:
        files = self.api.list_files()
        with self.cache.transaction():
            report.files_added += self.cache.upsert_files(files)
            report.files_deleted += self.cache.mark_files_missing_deleted({f.id for f in files})

    def sync_models(self, report: SyncReport) -> None:
        added, deleted = self.cache.replace_models(self.api.list_models())
        report.models_added += added
        report.models_deleted += deleted

    # -- usage and costs (admin key) -----------------------------------------------------

    def _usage_window(self, collection: str) -> tuple[int, int] | None:
        """[start, end) to read: from where we got to, less the days that can still change."""
        now = int(self.clock())
        end = (now // DAY + 1) * DAY
        synced_until = self.cache.sync_state(collection).cursor.get("synced_until")
        if synced_until:
            return max(0, synced_until - USAGE_REREAD_DAYS * DAY), end
        jobs = self.cache.jobs()
        if not jobs:
            return None  # no fine-tuned models yet: nothing to read
        first = min(j.created_at for j in jobs)
        return (first // DAY) * DAY, end

    def _require_admin_key(self) -> None:
        if self.api.profile.provider == "azure":
            raise Skipped(
                "Azure OpenAI reports usage and costs through Azure Cost Management, not this API; "
                "training spend still shows. Add negotiated Azure prices to prices.csv."
            )
        if not self.api.has_admin_key:
            raise Skipped(
                "No admin key: usage and costs need one. "
                "Set OPENAI_ADMIN_KEY or the profile's admin_key_command; training spend works without it."
            )

    def sync_usage(self, report: SyncReport) -> None:
        self._require_admin_key()
        window = self._usage_window("usage")
        if window is None:
            return
        start, end = window
        page_token = None
        page_start = start  # each page replaces only the span it covers
        while True:
            page = self.api.usage_page(start=start, end=end, page=page_token)
            if page.items:
                span_end = max(b.end_time for b in page.items)
                report.usage_buckets += self.cache.replace_usage(page_start, span_end, page.items)
                page_start = span_end
            if not page.has_more or not page.next_cursor:
                break
            page_token = page.next_cursor
        self.cache.set_cursor("usage", {"synced_until": end})

    def sync_costs(self, report: SyncReport) -> None:
        self._require_admin_key()
        window = self._usage_window("costs")
        if window is None:
            return
        start, end = window
        page_token = None
        lines = []
        while True:
            page = self.api.costs_page(start=start, end=end, page=page_token)
            lines += page.items
            if not page.has_more or not page.next_cursor:
                break
            page_token = page.next_cursor
        report.cost_lines += self.cache.replace_costs(start, end, lines)
        self.cache.set_cursor("costs", {"synced_until": end})

    # -- contents ------------------------------------------------------------------------

    def fetch_content(self, file_id: str, report: SyncReport) -> bool:
        """Archive a file's bytes once (again if its blob went missing or was truncated).
        A file already gone from the server is skipped, not fatal."""
        archived = self.cache.content(file_id)
        if archived is not None and archived.path.exists() and archived.path.stat().st_size == archived.bytes:
            return False
        try:
            with self.api.file_content(file_id) as chunks:
                archived = self.cache.store_content(file_id, chunks)
        except ApiError as error:
            if error.kind == "not_found":
                return False
            raise
        report.contents_fetched += 1
        report.content_bytes += archived.bytes
        return True

    def archive_contents(self, report: SyncReport, progress: Progress | None = None) -> None:
        """The training data itself: every fine-tuning file and every file a job used or made."""
        wanted: dict[str, None] = {}
        for job in self.cache.jobs():
            for file_id in (job.training_file, job.validation_file, *job.result_files):
                if file_id:
                    wanted[file_id] = None
        for remote in self.cache.files():
            if remote.purpose in ("fine-tune", "fine-tune-results"):
                wanted[remote.id] = None
        todo = list(wanted)
        for index, file_id in enumerate(todo):
            if progress:
                progress("contents", index, len(todo))
            self.fetch_content(file_id, report)
        if progress:
            progress("contents", len(todo), len(todo))
