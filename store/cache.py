"""The per-profile SQLite cache: the offline archive of an account. The only module with SQL.

Plain SQLite through sqlite-utils, documented in README ("The cache"), readable with
`sqlite-utils` or Datasette. Every API object is kept twice: typed columns for what we
query, and `raw`, the JSON exactly as the API sent it. File contents live beside the
database, content-addressed by sha256.

Concurrency: WAL, a busy timeout, one connection per thread, and every write in a
`BEGIN IMMEDIATE` transaction, so two processes can sync the same profile at once and
a process killed at any point leaves the last committed state.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from store.errors import CacheError, NotCachedError
from store.metrics import metrics_from_event
from store.paths import ensure_private_dir
from store.records import (
    checkpoint_from_raw,
    cost_from_raw,
    file_from_raw,
    model_from_raw,
    usage_from_raw,
)
from store.types import (
    METRIC_NAMES,
    TERMINAL_STATUSES,
    Checkpoint,
    CostLine,
    Job,
    JobError,
    JobEvent,
    MetricSeries,
    Model,
    RemoteFile,
    UsageBucket,
)

if TYPE_CHECKING:
    import sqlite_utils

MIGRATION_SET = "finetop"
BUSY_TIMEOUT_SECONDS = 30
_JOB_STARTED_MESSAGES = ("Fine-tuning job started", "Reinforcement fine-tuning job started")


# ---------------------------------------------------------------------------------------
# Schema. Never edit an applied step: add a new one.
# ---------------------------------------------------------------------------------------


def _m001_initial(db: sqlite_utils.Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["files"].create(
        {
            "id": str,
            "filename": str,
            "purpose": str,
            "bytes": int,
            "created_at": int,
            "status": str,
            "expires_at": int,
            "deleted_at": int,  # when we noticed it was gone from the server
            "seen_at": int,
            "raw": str,
        },
        pk="id",
    )
    db["files"].create_index(["created_at"])
    db["jobs"].create(
        {
            "id": str,
            "status": str,
            "model": str,
            "created_at": int,
            "finished_at": int,
            "fine_tuned_model": str,
            "trained_tokens": int,
            "training_file": str,
            "validation_file": str,
            "method": str,
            "suffix": str,
            "seed": int,
            "estimated_finish": int,
            "error_code": str,
            "error_message": str,
            "error_param": str,
            "hyperparameters": str,
            "metadata": str,
            "result_files": str,
            "started_at": int,
            "step": int,
            "total_steps": int,
            "details_synced_at": int,  # final events, checkpoints and result files fetched after it ended
            "event_runs": int,  # runs of event pages started so far (numbers each run uniquely)
            "seen_at": int,
            "raw": str,
        },
        pk="id",
    )
    db["jobs"].create_index(["created_at"])
    db["jobs"].create_index(["status"])
    db["jobs"].create_index(["fine_tuned_model"])
    # Events arrive newest first, in runs of pages. Chronological order is
    # (created_at, run, -pos): runs are numbered as they start, pos counts down a run.
    db["events"].create(
        {
            "id": str,
            "job_id": str,
            "created_at": int,
            "level": str,
            "type": str,
            "message": str,
            "raw": str,
            "run": int,
            "pos": int,
            "step": int,
            "total_steps": int,
            **{name: float for name in METRIC_NAMES},
        },
        pk="id",
    )
    db["events"].create_index(["job_id", "created_at", "run", "pos"])
    db["events"].create_index(["job_id", "step"])
    # A run of event pages that has not reached its end yet (resumed on the next sync).
    db["event_runs"].create(
        {"job_id": str, "run": int, "next_pos": int, "resume_after": str, "stop_at": str},
        pk="job_id",
    )
    db["checkpoints"].create(
        {
            "id": str,
            "job_id": str,
            "created_at": int,
            "step_number": int,
            "model": str,
            "metrics": str,
            "raw": str,
        },
        pk="id",
    )
    db["checkpoints"].create_index(["job_id"])
    db["models"].create(
        {"id": str, "created": int, "owned_by": str, "deleted_at": int, "seen_at": int, "raw": str},
        pk="id",
    )
    db["usage"].create(
        {
            "key": str,
            "start_time": int,
            "end_time": int,
            "model": str,
            "batch": int,
            "project_id": str,
            "input_tokens": int,
            "input_cached_tokens": int,
            "output_tokens": int,
            "num_model_requests": int,
            "raw": str,
        },
        pk="key",
    )
    db["usage"].create_index(["start_time"])
    db["costs"].create(
        {
            "key": str,
            "start_time": int,
            "end_time": int,
            "line_item": str,
            "amount": str,
            "currency": str,
            "project_id": str,
            "raw": str,
        },
        pk="key",
    )
    db["costs"].create_index(["start_time"])
    # File contents archived beside the database (blobs/<sha256[:2]>/<sha256>).
    db["contents"].create(
        {"file_id": str, "sha256": str, "bytes": int, "fetched_at": int},
        pk="file_id",
    )
    db["sync_state"].create(
        {
            "collection": str,
            "last_success_at": int,
            "last_attempt_at": int,
            "last_error": str,
            "cursor": str,
        },
        pk="collection",
    )


def _m002_uploads(db: sqlite_utils.Database) -> None:
    # An Uploads API upload in progress, so an interrupted one resumes without re-sending finished
    # parts. `key` names the local file as it was (path, size, mtime, sha256 of its first MiB): a
    # changed file gets another key and starts over. created_at/expires_at are the server's clock,
    # started_at ours (the server forgets an upload after an hour).
    db["uploads"].create(
        {
            "key": str,
            "upload_id": str,
            "path": str,
            "filename": str,
            "purpose": str,
            "bytes": int,
            "part_size": int,
            "created_at": int,
            "expires_at": int,
            "started_at": int,
        },
        pk="key",
    )
    db["uploads"].create_index(["path"])
    db["upload_parts"].create(
        {"key": str, "part_index": int, "part_id": str, "bytes": int, "sent_at": int},
        pk=("key", "part_index"),
    )
    # What preflight predicted a job would train (billed tokens), to set beside trained_tokens later.
    # Written when finetop creates a job from a local file, or counted from the archived training file.
    db["estimates"].create(
        {
            "job_id": str,
            "estimated_tokens": int,
            "method": str,
            "counted_at": int,
            "encoding": str,
            "epochs": int,
            "source": str,  # "preflight" (at creation) | "archive" (counted later from the archived file)
        },
        pk="job_id",
    )


def _m003_charts(db: sqlite_utils.Database) -> None:
    # A long job's chart series, reduced to `points` by Cache.metric_series: reading it back is one
    # row instead of a scan of 100,000 events. Dropped whenever the job gains events.
    db["charts"].create({"job_id": str, "points": int, "series": str}, pk="job_id")


# The schema, oldest step first. Applied steps are recorded by sqlite-utils in _sqlite_migrations.
SCHEMA_STEPS = (
    ("001_initial", _m001_initial),
    ("002_uploads", _m002_uploads),
    ("003_charts", _m003_charts),
)


def migration_set() -> sqlite_utils.Migrations:
    """The schema as a sqlite-utils migration set. Built, and sqlite-utils imported, only when a
    cache needs a step: opening an up-to-date cache (every start of the app) needs neither."""
    from sqlite_utils import Migrations

    migrations = Migrations(MIGRATION_SET)
    for name, step in SCHEMA_STEPS:
        migrations(name=name)(step)
    return migrations


# ---------------------------------------------------------------------------------------
# Small value types returned by reads
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusChange:
    job: Job
    old_status: str | None  # None: a job we had never seen


@dataclass(frozen=True, slots=True)
class SyncState:
    collection: str
    last_success_at: int | None = None
    last_attempt_at: int | None = None
    last_error: str | None = None
    cursor: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EventRun:
    """Where an unfinished walk down a job's event pages stands."""

    job_id: str
    run: int
    next_pos: int
    resume_after: str | None
    stop_at: str | None


@dataclass(frozen=True, slots=True)
class ArchivedContent:
    file_id: str
    sha256: str
    bytes: int
    fetched_at: int
    path: Path


@dataclass(frozen=True, slots=True)
class VerifyProblem:
    file_id: str
    problem: str  # "missing" | "corrupt"
    path: Path


@dataclass(frozen=True, slots=True)
class ArchiveStats:
    jobs: int
    events: int
    checkpoints: int
    files: int
    models: int
    usage_buckets: int
    cost_lines: int
    contents: int
    content_bytes: int
    database_bytes: int


@dataclass(frozen=True, slots=True)
class SearchHit:
    kind: str  # "job" | "file" | "model"
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class UploadRecord:
    """An Uploads API upload of a local file that has not completed yet, with the parts already sent."""

    key: str
    upload_id: str
    path: str
    filename: str
    purpose: str
    bytes: int
    part_size: int
    created_at: int  # the server's clock
    expires_at: int  # the server's clock
    started_at: int  # this machine's clock, when the upload was created
    parts: dict[int, tuple[str, int]] = field(default_factory=dict)  # part index -> (part id, bytes)


@dataclass(frozen=True, slots=True)
class TrainingEstimate:
    """Preflight's billed-token estimate for a job, to compare with its trained_tokens."""

    job_id: str
    estimated_tokens: int
    method: str
    counted_at: int
    encoding: str | None = None
    epochs: int | None = None
    source: str = "preflight"


# One encoder for every write: json.dumps with options builds a new one per call (about a microsecond
# of an event's 25 when archiving a million events).
_encode = json.JSONEncoder(separators=(",", ":"), sort_keys=True).encode


def _dumps(value: Any) -> str:
    return _encode(value)


def _loads(text: str | None, default: Any = None) -> Any:
    return json.loads(text) if text else default


class _FlatJsonMemo:
    """Parses the JSON columns of one read once per distinct text (thousands of jobs share a few
    hyperparameter, metadata and result-file texts); each row gets its own shallow copy, which is a
    full copy because only flat objects and lists are remembered."""

    def __init__(self) -> None:
        self._seen: dict[str, Any] = {}

    def __call__(self, text: str | None, default: Any) -> Any:
        if not text:
            return default
        value = self._seen.get(text)
        if value is None:
            value = json.loads(text)
            items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
            if items is None or any(isinstance(item, dict | list) for item in items):
                return value  # nested (or a bare scalar): not shared, parsed afresh each time
            self._seen[text] = value
        return value.copy()


# ---------------------------------------------------------------------------------------
# The cache
# ---------------------------------------------------------------------------------------


class Cache:
    """One profile's cache: `Cache.open(path)`; then reads and writes of finetop records."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.blob_dir = self.path.parent / "blobs"
        self._local = threading.local()
        # What "now" means for the stamps the cache writes (seen, deleted, synced): the Backend hands
        # in the server's clock, so they compare with the server's own timestamps.
        self.clock = clock

    def _now(self) -> int:
        return int(self.clock())

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> Cache:
        """Open (creating if needed) and migrate the cache at `path`; refuse foreign or newer files."""
        cache = cls(path)
        ensure_private_dir(cache.path.parent)
        if not cache.path.exists():
            # Create it owner-only before SQLite does; the WAL and SHM files inherit the mode.
            os.close(os.open(cache.path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(cache.path, 0o600)
        cache._migrate()
        return cache

    def _connect(self) -> sqlite3.Connection:
        try:
            # Autocommit: nothing opens a transaction behind our back; every write is in _write().
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
            mode = self._enable_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.OperationalError as exc:
            raise self._write_error(exc) from exc
        except sqlite3.DatabaseError as exc:
            raise self._not_a_cache(exc) from exc
        if mode.lower() != "wal":
            raise CacheError(f"The cache {self.path} cannot use write-ahead logging ({mode}).")
        return conn

    @staticmethod
    def _enable_wal(conn: sqlite3.Connection) -> str:
        """Switch to WAL. The switch does not wait on the busy timeout when another process is
        creating the same cache at this moment, so wait here (briefly) instead."""
        deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
        while True:
            try:
                return conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection to the cache (one per thread; SQLite connections are not shared)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def _not_a_cache(self, exc: Exception) -> CacheError:
        return CacheError(
            f"{self.path} is not a finetop cache ({exc}).",
            "Move the file away (finetop will start a new cache) or point FINETOP_DATA_DIR elsewhere.",
        )

    def _migrate(self) -> None:
        db = self.db
        try:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            applied = set()
            if "_sqlite_migrations" in tables:
                rows = db.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = ?", (MIGRATION_SET,))
                applied = {row[0] for row in rows}
        except sqlite3.OperationalError as exc:
            raise self._write_error(exc) from exc
        except sqlite3.DatabaseError as exc:
            raise self._not_a_cache(exc) from exc
        if tables and not applied:
            raise self._not_a_cache(Exception("it holds tables finetop did not create"))
        ours = {name for name, _ in SCHEMA_STEPS}
        newer = sorted(applied - ours)
        if newer:
            raise CacheError(
                f"The cache {self.path} was written by a newer finetop (schema step {newer[-1]}).",
                "Upgrade finetop (`pip install -U finetop`), or use another FINETOP_DATA_DIR.",
            )
        if applied == ours:
            return
        import sqlite_utils

        migrations = migration_set()
        schema = sqlite_utils.Database(db, execute_plugins=False)
        try:
            with self._write():
                migrations.ensure_migrations_table(schema)
                pending = migrations.pending(schema)  # again, inside the lock: another process may have migrated
                for migration in pending:
                    migration.fn(schema)
                    migrations._record_applied(schema, migration.name)
                if "001_initial" in {m.name for m in pending}:
                    self._set_meta(db, "created_at", str(self._now()))
        except sqlite3.OperationalError as exc:
            raise CacheError(f"Could not prepare the cache {self.path}: {exc}.") from exc

    # -- transactions --------------------------------------------------------------------

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the write lock up front, so two processes queue
        instead of failing on a lock upgrade. Nested use becomes a savepoint."""
        db = self.db
        if db.in_transaction:
            db.execute("SAVEPOINT nested")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK TO nested")
                db.execute("RELEASE nested")
                raise
            db.execute("RELEASE nested")
            return
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise self._write_error(exc) from exc
        try:
            yield db
        except sqlite3.OperationalError as exc:
            self._rollback(db)
            raise self._write_error(exc) from exc
        except BaseException:
            self._rollback(db)
            raise
        else:
            try:
                db.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self._rollback(db)
                raise self._write_error(exc) from exc

    @staticmethod
    def _rollback(db: sqlite3.Connection) -> None:
        if db.in_transaction:  # an error may already have ended it
            db.execute("ROLLBACK")

    def transaction(self) -> contextlib.AbstractContextManager[Any]:
        """Group several writes (a page of data and the cursor that follows it) atomically."""
        return self._write()

    def _write_error(self, exc: sqlite3.OperationalError) -> CacheError:
        text = str(exc)
        if "disk is full" in text or "disk I/O" in text:
            return CacheError(
                f"The disk holding the cache ({self.path.parent}) is full.",
                "Nothing was lost: the last write was rolled back. Free some space and sync again.",
            )
        if "locked" in text or "busy" in text:
            return CacheError(
                f"The cache {self.path} stayed locked by another finetop for {BUSY_TIMEOUT_SECONDS} s.",
                "Try again when the other sync has finished.",
            )
        if "readonly" in text:
            return CacheError(f"The cache {self.path} is read-only.", "Check the file's permissions.")
        return CacheError(f"Could not write to the cache {self.path}: {text}.")

    # -- meta ----------------------------------------------------------------------------

    @staticmethod
    def _set_meta(db: sqlite3.Connection, key: str, value: str) -> None:
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as db:
            self._set_meta(db, key, value)

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def schema_steps(self) -> list[str]:
        rows = self.db.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY id", (MIGRATION_SET,)
        )
        return [row[0] for row in rows]

    # -- jobs ----------------------------------------------------------------------------

    def upsert_jobs(self, jobs: Iterable[Job], *, now: int | None = None) -> list[StatusChange]:
        """Store jobs as the API returned them; report those whose status changed (or are new)."""
        jobs = list(jobs)
        if not jobs:
            return []
        seen_at = now or self._now()
        with self._write() as db:
            placeholders = ",".join("?" * len(jobs))
            old = dict(
                db.execute(f"SELECT id, status FROM jobs WHERE id IN ({placeholders})", [j.id for j in jobs]).fetchall()
            )
            db.executemany(
                """
                INSERT INTO jobs (id, status, model, created_at, finished_at, fine_tuned_model,
                    trained_tokens, training_file, validation_file, method, suffix, seed,
                    estimated_finish, error_code, error_message, error_param, hyperparameters,
                    metadata, result_files, seen_at, raw)
                VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                ON CONFLICT(id) DO UPDATE SET
                    status=excluded.status, model=excluded.model, created_at=excluded.created_at,
                    finished_at=excluded.finished_at, fine_tuned_model=excluded.fine_tuned_model,
                    trained_tokens=excluded.trained_tokens, training_file=excluded.training_file,
                    validation_file=excluded.validation_file, method=excluded.method,
                    suffix=excluded.suffix, seed=excluded.seed,
                    estimated_finish=excluded.estimated_finish, error_code=excluded.error_code,
                    error_message=excluded.error_message, error_param=excluded.error_param,
                    hyperparameters=excluded.hyperparameters, metadata=excluded.metadata,
                    result_files=excluded.result_files, seen_at=excluded.seen_at, raw=excluded.raw
                """,
                [
                    (
                        j.id,
                        j.status,
                        j.model,
                        j.created_at,
                        j.finished_at,
                        j.fine_tuned_model,
                        j.trained_tokens,
                        j.training_file,
                        j.validation_file,
                        j.method,
                        j.suffix,
                        j.seed,
                        j.estimated_finish,
                        j.error.code if j.error else None,
                        j.error.message if j.error else None,
                        j.error.param if j.error else None,
                        _dumps(j.hyperparameters),
                        _dumps(j.metadata),
                        _dumps(list(j.result_files)),
                        seen_at,
                        _dumps(j.raw),
                    )
                    for j in jobs
                ],
            )
        return [StatusChange(j, old.get(j.id)) for j in jobs if old.get(j.id) != j.status]

    _JOB_COLUMNS = (
        "id, status, model, created_at, finished_at, fine_tuned_model, trained_tokens, training_file, "
        "validation_file, method, suffix, seed, estimated_finish, error_code, error_message, error_param, "
        "hyperparameters, metadata, result_files, started_at, step, total_steps"
    )

    @staticmethod
    def _job_from_row(row: tuple, raw: str | None = None, loads: Any = _loads) -> Job:
        (
            id_,
            status,
            model,
            created_at,
            finished_at,
            ft_model,
            trained_tokens,
            training_file,
            validation_file,
            method,
            suffix,
            seed,
            estimated_finish,
            error_code,
            error_message,
            error_param,
            hyper,
            metadata,
            result_files,
            started_at,
            step,
            total_steps,
        ) = row
        return Job(
            id=id_,
            status=status,
            model=model,
            created_at=created_at,
            training_file=training_file,
            fine_tuned_model=ft_model,
            finished_at=finished_at,
            trained_tokens=trained_tokens,
            validation_file=validation_file,
            method=method,
            hyperparameters=loads(hyper, {}),
            suffix=suffix,
            seed=seed,
            estimated_finish=estimated_finish,
            error=JobError(error_code, error_message or "", error_param) if error_code else None,
            metadata=loads(metadata, {}),
            result_files=tuple(loads(result_files, [])),
            started_at=started_at,
            step=step,
            total_steps=total_steps,
            raw=_loads(raw, {}),
        )

    def jobs(
        self,
        *,
        statuses: Iterable[str] | None = None,
        model: str | None = None,
        since: int | None = None,
        until: int | None = None,
        limit: int | None = None,
    ) -> list[Job]:
        """Cached jobs, newest first. `model` matches the base or the fine-tuned model (substring)."""
        where, params = [], []
        if statuses:
            statuses = list(statuses)
            where.append(f"status IN ({','.join('?' * len(statuses))})")
            params += statuses
        if model:
            where.append("(model LIKE ? OR fine_tuned_model LIKE ?)")
            params += [f"%{model}%", f"%{model}%"]
        if since is not None:
            where.append("created_at >= ?")
            params.append(since)
        if until is not None:
            where.append("created_at < ?")
            params.append(until)
        sql = f"SELECT {self._JOB_COLUMNS} FROM jobs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        loads = _FlatJsonMemo()
        return [self._job_from_row(row, loads=loads) for row in self.db.execute(sql, params)]

    def job(self, job_id: str) -> Job:
        row = self.db.execute(f"SELECT {self._JOB_COLUMNS}, raw FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise NotCachedError(f"No job {job_id} in the cache.", "Check the id, or sync first.")
        return self._job_from_row(row[:-1], row[-1])

    def find_job(self, prefix_or_model: str) -> Job:
        """A job by id, id prefix or fine-tuned model name, as people type them."""
        row = self.db.execute(
            "SELECT id FROM jobs WHERE id = ? OR fine_tuned_model = ? "
            "OR id LIKE ? ORDER BY id = ? DESC, created_at DESC LIMIT 2",
            (prefix_or_model, prefix_or_model, f"{prefix_or_model}%", prefix_or_model),
        ).fetchall()
        if not row:
            raise NotCachedError(f"No job {prefix_or_model} in the cache.", "Check the id, or sync first.")
        return self.job(row[0][0])

    def job_ids(self, *, active_only: bool = False) -> list[str]:
        sql = "SELECT id FROM jobs"
        if active_only:
            sql += f" WHERE status NOT IN ({','.join('?' * len(TERMINAL_STATUSES))})"
        sql += " ORDER BY created_at DESC"
        params = sorted(TERMINAL_STATUSES) if active_only else []
        return [r[0] for r in self.db.execute(sql, params)]

    def job_statuses(self, ids: Iterable[str]) -> dict[str, str]:
        ids = list(ids)
        if not ids:
            return {}
        rows = self.db.execute(f"SELECT id, status FROM jobs WHERE id IN ({','.join('?' * len(ids))})", ids)
        return dict(rows.fetchall())

    def jobs_needing_details(self) -> list[str]:
        """Ended jobs whose checkpoints and result files we have not fetched yet."""
        placeholders = ",".join("?" * len(TERMINAL_STATUSES))
        rows = self.db.execute(
            f"SELECT id FROM jobs WHERE status IN ({placeholders}) AND details_synced_at IS NULL "
            "ORDER BY created_at DESC",
            sorted(TERMINAL_STATUSES),
        )
        return [r[0] for r in rows]

    def mark_details_synced(self, job_id: str, *, now: int | None = None) -> None:
        with self._write() as db:
            db.execute("UPDATE jobs SET details_synced_at = ? WHERE id = ?", (now or self._now(), job_id))

    def count_jobs(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall())

    # -- events --------------------------------------------------------------------------

    def event_run(self, job_id: str) -> EventRun | None:
        row = self.db.execute(
            "SELECT job_id, run, next_pos, resume_after, stop_at FROM event_runs WHERE job_id = ?", (job_id,)
        ).fetchone()
        return EventRun(*row) if row else None

    def start_event_run(self, job_id: str) -> EventRun:
        """Begin a walk from the newest event page down to the newest event we already hold.

        Runs are numbered from a counter on the job, so two processes walking at once never
        share a number (the number orders events that share a second)."""
        with self._write() as db:
            newest = db.execute(
                f"SELECT id FROM events WHERE job_id = ? ORDER BY {self._EVENT_ORDER_DESC} LIMIT 1", (job_id,)
            ).fetchone()
            row = db.execute(
                "UPDATE jobs SET event_runs = COALESCE(event_runs, 0) + 1 WHERE id = ? RETURNING event_runs",
                (job_id,),
            ).fetchone()
            if row is None:
                raise NotCachedError(f"No job {job_id} in the cache.")
        return EventRun(job_id, row[0], 0, None, newest[0] if newest else None)

    def append_event_page(
        self, run: EventRun, events: list[JobEvent], *, finished: bool, resume_after: str | None
    ) -> tuple[int, EventRun | None]:
        """Store one page of a run (newest first) and where the run goes on; returns (inserted, run)."""
        rows = []
        max_step = total = started = None
        for offset, event in enumerate(events):
            data = event.data or {}
            metrics = metrics_from_event(data) if event.type == "metrics" else {}
            step = data.get("step") if isinstance(data.get("step"), int) else None
            if step is not None and (max_step is None or step > max_step):
                max_step = step
                total = data.get("total_steps") if isinstance(data.get("total_steps"), int) else total
            if event.message.startswith(_JOB_STARTED_MESSAGES):
                started = event.created_at if started is None else min(started, event.created_at)
            rows.append(
                (
                    event.id,
                    event.job_id,
                    event.created_at,
                    event.level,
                    event.type,
                    event.message,
                    _dumps(event.raw) if event.raw else None,
                    run.run,
                    run.next_pos + offset,
                    step,
                    data.get("total_steps") if isinstance(data.get("total_steps"), int) else None,
                    *(metrics.get(name) for name in METRIC_NAMES),
                )
            )
        columns = "id, job_id, created_at, level, type, message, raw, run, pos, step, total_steps, " + ", ".join(
            METRIC_NAMES
        )
        next_run = (
            None if finished else EventRun(run.job_id, run.run, run.next_pos + len(events), resume_after, run.stop_at)
        )
        with self._write() as db:
            before = db.total_changes
            db.executemany(
                f"INSERT OR IGNORE INTO events ({columns}) VALUES ({','.join('?' * (11 + len(METRIC_NAMES)))})",
                rows,
            )
            inserted = db.total_changes - before
            if inserted and max_step is not None:
                db.execute("DELETE FROM charts WHERE job_id = ?", (run.job_id,))
            if max_step is not None:
                db.execute(
                    "UPDATE jobs SET step = MAX(COALESCE(step, 0), ?), "
                    "total_steps = COALESCE(?, total_steps) WHERE id = ?",
                    (max_step, total, run.job_id),
                )
            if started is not None:
                db.execute(
                    "UPDATE jobs SET started_at = MIN(COALESCE(started_at, ?), ?) WHERE id = ?",
                    (started, started, run.job_id),
                )
            if next_run is None:
                db.execute("DELETE FROM event_runs WHERE job_id = ?", (run.job_id,))
            else:
                db.execute(
                    "INSERT OR REPLACE INTO event_runs (job_id, run, next_pos, resume_after, stop_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (
                        next_run.job_id,
                        next_run.run,
                        next_run.next_pos,
                        next_run.resume_after,
                        next_run.stop_at,
                    ),
                )
        return inserted, next_run

    _EVENT_ORDER_ASC = "created_at ASC, run ASC, pos DESC"
    _EVENT_ORDER_DESC = "created_at DESC, run DESC, pos ASC"

    def _events_from_rows(self, job_id: str, rows: Iterable[tuple]) -> list[JobEvent]:
        events = []
        for id_, created_at, level, type_, message, raw_text in rows:
            raw = _loads(raw_text, {})
            events.append(
                JobEvent(
                    id=id_,
                    job_id=job_id,
                    created_at=created_at,
                    level=level,
                    message=message,
                    type=type_,
                    data=raw.get("data") if isinstance(raw.get("data"), dict) else None,
                    raw=raw,
                )
            )
        return events

    def events(self, job_id: str, *, limit: int | None = 1000, before_id: str | None = None) -> list[JobEvent]:
        """A job's events in chronological order: the newest `limit`, or those just before `before_id`."""
        where, params = "job_id = ?", [job_id]
        if before_id:
            key = self._event_key(before_id)
            where += " AND (created_at, run, -pos) < (?, ?, ?)"
            params += list(key)
        sql = (
            "SELECT id, created_at, level, type, message, raw FROM events "
            f"WHERE {where} ORDER BY {self._EVENT_ORDER_DESC}"
        )
        if limit:
            sql += f" LIMIT {int(limit)}"
        rows = self.db.execute(sql, params).fetchall()
        rows.reverse()
        return self._events_from_rows(job_id, rows)

    def events_after(self, job_id: str, after_id: str | None) -> list[JobEvent]:
        """Events newer than `after_id` (all of them when None), chronological."""
        if after_id is None:
            return self.events(job_id, limit=None)
        key = self._event_key(after_id)
        rows = self.db.execute(
            "SELECT id, created_at, level, type, message, raw FROM events "
            f"WHERE job_id = ? AND (created_at, run, -pos) > (?, ?, ?) ORDER BY {self._EVENT_ORDER_ASC}",
            (job_id, *key),
        ).fetchall()
        return self._events_from_rows(job_id, rows)

    def _event_key(self, event_id: str) -> tuple[int, int, int]:
        row = self.db.execute("SELECT created_at, run, -pos FROM events WHERE id = ?", (event_id,)).fetchone()
        if row is None:
            raise NotCachedError(f"No event {event_id} in the cache.")
        return tuple(row)

    def event_ids(self, job_id: str) -> list[str]:
        """Every cached event id of a job, newest first (the API's order)."""
        rows = self.db.execute(f"SELECT id FROM events WHERE job_id = ? ORDER BY {self._EVENT_ORDER_DESC}", (job_id,))
        return [r[0] for r in rows]

    def count_events(self, job_id: str | None = None) -> int:
        if job_id is None:
            return self.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        return self.db.execute("SELECT COUNT(*) FROM events WHERE job_id = ?", (job_id,)).fetchone()[0]

    def has_events_before(self, job_id: str, event_id: str) -> bool:
        """Whether the job has events older than `event_id` (cheaper than counting them)."""
        key = self._event_key(event_id)
        row = self.db.execute(
            "SELECT 1 FROM events WHERE job_id = ? AND (created_at, run, -pos) < (?, ?, ?) LIMIT 1", (job_id, *key)
        ).fetchone()
        return row is not None

    def ready_chart(self, job_id: str, *, points: int, short: int = 2_000) -> MetricSeries | None:
        """The job's chart when reading it takes milliseconds: kept already, or a series of at most
        `short` steps; None when it has to be computed (`chart_series`, off the UI thread)."""
        row = self.db.execute("SELECT points, series FROM charts WHERE job_id = ?", (job_id,)).fetchone()
        if row is not None and row[0] == points:
            stored = json.loads(row[1])
            return MetricSeries(steps=stored["steps"], values=stored["values"], total_steps=stored["total_steps"])
        steps = self.db.execute("SELECT step FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if steps is not None and (steps[0] or 0) <= short:
            return self.metric_series(job_id, points=points)
        return None

    def chart_series(self, job_id: str, *, points: int) -> MetricSeries:
        """`metric_series(job_id, points=points)`, kept in the cache once computed for a long job
        (until the job gains events): opening a finished 100,000-step job reads one row."""
        ready = self.ready_chart(job_id, points=points, short=0)
        if ready is not None:
            return ready
        series = self.metric_series(job_id, points=points)
        if len(series) >= points // 2:  # a short series is read directly faster than it is stored
            body = _dumps(
                {
                    "steps": series.steps,
                    "values": {name: series.values[name] for name in series.present()},
                    "total_steps": series.total_steps,
                }
            )
            with self._write() as db:
                db.execute(
                    "INSERT OR REPLACE INTO charts (job_id, points, series) VALUES (?, ?, ?)", (job_id, points, body)
                )
        return series

    def metric_series(self, job_id: str, *, points: int | None = None) -> MetricSeries:
        """Every metrics step of a job, by step, ready for a chart.

        With `points`, a longer series comes back reduced to about that many points by SQLite, for
        drawing: the steps are cut into points / 2 equal buckets and each gives two points, at its
        first and last steps, with each metric's minimum and maximum in the bucket (the maximum first
        where the metric falls). A chart keeps each of its columns' minimum and maximum too, so it
        draws the same picture but for a dot here and there where the line is steep. The last bucket
        comes whole, so the latest values are exact. Reading 100,000 rows into Python takes a third
        of a second, and several times that while the UI thread is busy: every row fetched takes
        the GIL back."""
        where, params = "job_id = ? AND step IS NOT NULL", (job_id,)
        if points:
            low, high, count = self.db.execute(
                f"SELECT MIN(step), MAX(step), COUNT(*) FROM events WHERE {where}", params
            ).fetchone()
            if count > points:
                return self._reduced_series(job_id, low, high, max(1, points // 2))
        columns = ", ".join(METRIC_NAMES)
        rows = self.db.execute(
            f"SELECT step, total_steps, {columns} FROM events WHERE {where} ORDER BY step, created_at", params
        ).fetchall()
        series = MetricSeries(steps=[r[0] for r in rows], values={})
        for index, name in enumerate(METRIC_NAMES, start=2):
            series.values[name] = [r[index] for r in rows]
        totals = [r[1] for r in rows if r[1]]
        series.total_steps = totals[-1] if totals else None
        return series

    def _reduced_series(self, job_id: str, low: int, high: int, buckets: int) -> MetricSeries:
        span = high - low + 1
        last_bucket_start = low + -(-(buckets - 1) * span // buckets)  # the first step of the last bucket
        lows = ", ".join(f"MIN({name})" for name in METRIC_NAMES)
        highs = ", ".join(f"MAX({name})" for name in METRIC_NAMES)
        groups = self.db.execute(
            f"SELECT MIN(step), MAX(step), {lows}, {highs} FROM events "
            "WHERE job_id = ? AND step >= ? AND step < ? GROUP BY (step - ?) * ? / ? ORDER BY 1",
            (job_id, low, last_bucket_start, low, buckets, span),
        ).fetchall()
        tail = self.db.execute(
            f"SELECT step, {', '.join(METRIC_NAMES)} FROM events "
            "WHERE job_id = ? AND step >= ? ORDER BY step, created_at",
            (job_id, last_bucket_start),
        ).fetchall()
        steps: list[int] = []
        for first, last, *_ in groups:
            steps += [first, last]
        values = {}
        for index, name in enumerate(METRIC_NAMES):
            low_at, high_at = 2 + index, 2 + len(METRIC_NAMES) + index  # MIN(name), MAX(name) in a group
            column: list[float | None] = []
            middles = [None if g[low_at] is None else (g[low_at] + g[high_at]) / 2 for g in groups]
            for at, group in enumerate(groups):
                least, most = group[low_at], group[high_at]
                # Where the metric is falling its maximum comes first in the bucket, else its minimum.
                before = middles[at - 1] if at else middles[at]
                after = middles[at + 1] if at + 1 < len(groups) else middles[at]
                falling = before is not None and after is not None and after < before
                column += [most, least] if falling else [least, most]
            values[name] = column + [row[1 + index] for row in tail]
        series = MetricSeries(steps=steps + [row[0] for row in tail], values=values)
        total = self.db.execute(
            "SELECT total_steps FROM events WHERE job_id = ? AND total_steps IS NOT NULL AND total_steps != 0 "
            "ORDER BY step DESC, created_at DESC LIMIT 1",
            (job_id,),
        ).fetchone()
        series.total_steps = total[0] if total else None
        return series

    # -- checkpoints ---------------------------------------------------------------------

    def upsert_checkpoints(self, checkpoints: Iterable[Checkpoint]) -> int:
        rows = [
            (c.id, c.job_id, c.created_at, c.step_number, c.model, _dumps(c.metrics), _dumps(c.raw))
            for c in checkpoints
        ]
        with self._write() as db:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO checkpoints (id, job_id, created_at, step_number, model, metrics, raw) "
                "VALUES (?,?,?,?,?,?,?)",
                rows,
            )
            return db.total_changes - before

    def checkpoints(self, job_id: str | None = None) -> list[Checkpoint]:
        sql, params = "SELECT raw FROM checkpoints", []
        if job_id:
            sql, params = sql + " WHERE job_id = ?", [job_id]
        rows = self.db.execute(sql + " ORDER BY job_id, step_number DESC", params)
        return [checkpoint_from_raw(json.loads(r[0])) for r in rows]

    # -- files ---------------------------------------------------------------------------

    def upsert_files(self, files: Iterable[RemoteFile], *, now: int | None = None) -> int:
        """Store files the server listed; returns how many we had not seen before."""
        files = list(files)
        if not files:
            return 0
        seen_at = now or self._now()
        with self._write() as db:
            known = {
                r[0]
                for r in db.execute(
                    f"SELECT id FROM files WHERE id IN ({','.join('?' * len(files))})", [f.id for f in files]
                )
            }
            db.executemany(
                """
                INSERT INTO files (id, filename, purpose, bytes, created_at, status, expires_at,
                    deleted_at, seen_at, raw)
                VALUES (?,?,?,?,?,?,?,NULL,?,?)
                ON CONFLICT(id) DO UPDATE SET filename=excluded.filename, purpose=excluded.purpose,
                    bytes=excluded.bytes, created_at=excluded.created_at, status=excluded.status,
                    expires_at=excluded.expires_at, deleted_at=NULL, seen_at=excluded.seen_at,
                    raw=excluded.raw
                """,
                [
                    (
                        f.id,
                        f.filename,
                        f.purpose,
                        f.bytes,
                        f.created_at,
                        f.status,
                        f.expires_at,
                        seen_at,
                        _dumps(f.raw),
                    )
                    for f in files
                ],
            )
        return len({f.id for f in files} - known)

    def mark_files_deleted(self, ids: Iterable[str], *, now: int | None = None) -> int:
        ids = list(ids)
        if not ids:
            return 0
        with self._write() as db:
            cursor = db.execute(
                f"UPDATE files SET deleted_at = ? WHERE deleted_at IS NULL AND id IN ({','.join('?' * len(ids))})",
                [now or self._now(), *ids],
            )
            return cursor.rowcount

    def mark_files_missing_deleted(self, present_ids: set[str], *, now: int | None = None) -> int:
        """After a complete listing: every cached file the server no longer has is marked deleted."""
        live = {r[0] for r in self.db.execute("SELECT id FROM files WHERE deleted_at IS NULL")}
        return self.mark_files_deleted(sorted(live - present_ids), now=now)

    def _file_from_row(self, row: tuple) -> RemoteFile:
        raw, deleted_at = row
        return dataclasses.replace(file_from_raw(json.loads(raw)), deleted_at=deleted_at)

    def files(self, *, include_deleted: bool = False, purpose: str | None = None) -> list[RemoteFile]:
        where, params = [], []
        if not include_deleted:
            where.append("deleted_at IS NULL")
        if purpose:
            where.append("purpose = ?")
            params.append(purpose)
        sql = "SELECT raw, deleted_at FROM files"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [self._file_from_row(r) for r in self.db.execute(sql + " ORDER BY created_at DESC, id DESC", params)]

    def file(self, file_id: str) -> RemoteFile:
        row = self.db.execute("SELECT raw, deleted_at FROM files WHERE id = ?", (file_id,)).fetchone()
        if row is None:
            raise NotCachedError(f"No file {file_id} in the cache.", "Check the id, or sync first.")
        return self._file_from_row(row)

    def jobs_using_files(self) -> dict[str, list[str]]:
        """file id -> ids of the jobs that train or validate on it (or produced it)."""
        usage: dict[str, list[str]] = {}
        for job_id, training, validation, raw in self.db.execute(
            "SELECT id, training_file, validation_file, raw FROM jobs ORDER BY created_at DESC"
        ):
            result_files = (_loads(raw, {}) or {}).get("result_files") or []
            for file_id in {training, validation, *result_files} - {None, ""}:
                usage.setdefault(file_id, []).append(job_id)
        return usage

    # -- models --------------------------------------------------------------------------

    def replace_models(self, models: Iterable[Model], *, now: int | None = None) -> tuple[int, int]:
        """Store a complete model listing; models that vanished are marked deleted. (added, deleted)"""
        models = list(models)
        stamp = now or self._now()
        with self._write() as db:
            known = {r[0] for r in db.execute("SELECT id FROM models WHERE deleted_at IS NULL")}
            db.executemany(
                """
                INSERT INTO models (id, created, owned_by, deleted_at, seen_at, raw) VALUES (?,?,?,NULL,?,?)
                ON CONFLICT(id) DO UPDATE SET created=excluded.created, owned_by=excluded.owned_by,
                    deleted_at=NULL, seen_at=excluded.seen_at, raw=excluded.raw
                """,
                [(m.id, m.created, m.owned_by, stamp, _dumps(m.raw)) for m in models],
            )
            present = {m.id for m in models}
            gone = sorted(known - present)
            if gone:
                db.execute(
                    f"UPDATE models SET deleted_at = ? WHERE id IN ({','.join('?' * len(gone))})",
                    [stamp, *gone],
                )
        return len(present - known), len(gone)

    def mark_model_deleted(self, model_id: str, *, now: int | None = None) -> None:
        with self._write() as db:
            db.execute("UPDATE models SET deleted_at = ? WHERE id = ?", (now or self._now(), model_id))

    def models(self, *, include_deleted: bool = False, fine_tuned_only: bool = False) -> list[Model]:
        where = []
        if not include_deleted:
            where.append("deleted_at IS NULL")
        if fine_tuned_only:
            where.append("id LIKE 'ft:%'")
        sql = "SELECT raw, deleted_at FROM models"
        if where:
            sql += " WHERE " + " AND ".join(where)
        result = []
        for raw, deleted_at in self.db.execute(sql + " ORDER BY created DESC, id"):
            result.append(dataclasses.replace(model_from_raw(json.loads(raw)), deleted_at=deleted_at))
        return result

    # -- usage and costs -----------------------------------------------------------------

    def replace_usage(self, start: int, end: int, buckets: Iterable[UsageBucket]) -> int:
        """The buckets of [start, end) as the API now reports them (recent buckets can still change)."""
        rows = [
            (
                f"{b.start_time}|{b.model}|{b.batch}|{b.project_id}",
                b.start_time,
                b.end_time,
                b.model,
                None if b.batch is None else int(b.batch),
                b.project_id,
                b.input_tokens,
                b.input_cached_tokens,
                b.output_tokens,
                b.num_model_requests,
                _dumps(b.raw),
            )
            for b in buckets
        ]
        with self._write() as db:
            db.execute("DELETE FROM usage WHERE start_time >= ? AND start_time < ?", (start, end))
            db.executemany("INSERT OR REPLACE INTO usage VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
        return len(rows)

    def usage(
        self, *, since: int | None = None, until: int | None = None, model: str | None = None
    ) -> list[UsageBucket]:
        where, params = ["1=1"], []
        if since is not None:
            where.append("start_time >= ?")
            params.append(since)
        if until is not None:
            where.append("start_time < ?")
            params.append(until)
        if model:
            where.append("model = ?")
            params.append(model)
        rows = self.db.execute(
            f"SELECT start_time, end_time, raw FROM usage WHERE {' AND '.join(where)} ORDER BY start_time, model",
            params,
        )
        return [usage_from_raw(s, e, json.loads(raw)) for s, e, raw in rows]

    def replace_costs(self, start: int, end: int, lines: Iterable[CostLine]) -> int:
        rows = [
            (
                f"{c.start_time}|{c.line_item}|{c.project_id}",
                c.start_time,
                c.end_time,
                c.line_item,
                c.amount,
                c.currency,
                c.project_id,
                _dumps(c.raw),
            )
            for c in lines
        ]
        with self._write() as db:
            db.execute("DELETE FROM costs WHERE start_time >= ? AND start_time < ?", (start, end))
            db.executemany("INSERT OR REPLACE INTO costs VALUES (?,?,?,?,?,?,?,?)", rows)
        return len(rows)

    def costs(self, *, since: int | None = None, until: int | None = None) -> list[CostLine]:
        where, params = ["1=1"], []
        if since is not None:
            where.append("start_time >= ?")
            params.append(since)
        if until is not None:
            where.append("start_time < ?")
            params.append(until)
        rows = self.db.execute(
            f"SELECT start_time, end_time, raw FROM costs WHERE {' AND '.join(where)} ORDER BY start_time, line_item",
            params,
        )
        return [cost_from_raw(s, e, json.loads(raw)) for s, e, raw in rows]

    # -- sync state ----------------------------------------------------------------------

    def sync_state(self, collection: str) -> SyncState:
        row = self.db.execute(
            "SELECT last_success_at, last_attempt_at, last_error, cursor FROM sync_state WHERE collection = ?",
            (collection,),
        ).fetchone()
        if row is None:
            return SyncState(collection)
        return SyncState(collection, row[0], row[1], row[2], _loads(row[3], {}))

    def all_sync_states(self) -> dict[str, SyncState]:
        rows = self.db.execute(
            "SELECT collection, last_success_at, last_attempt_at, last_error, cursor FROM sync_state"
        ).fetchall()
        return {r[0]: SyncState(r[0], r[1], r[2], r[3], _loads(r[4], {})) for r in rows}

    def record_sync(
        self,
        collection: str,
        *,
        ok: bool,
        error: str | None = None,
        cursor: dict[str, Any] | None = None,
        now: int | None = None,
    ) -> None:
        """Note an attempt at a collection: success clears the error; the cursor is kept unless given."""
        stamp = now or self._now()
        with self._write() as db:
            previous = self.sync_state(collection)
            db.execute(
                "INSERT OR REPLACE INTO sync_state (collection, last_success_at, last_attempt_at, last_error, cursor) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    collection,
                    stamp if ok else previous.last_success_at,
                    stamp,
                    None if ok else error,
                    _dumps(previous.cursor if cursor is None else cursor),
                ),
            )

    def set_cursor(self, collection: str, cursor: dict[str, Any]) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO sync_state (collection, cursor) VALUES (?, ?) "
                "ON CONFLICT(collection) DO UPDATE SET cursor = excluded.cursor",
                (collection, _dumps(cursor)),
            )

    # -- archived contents ---------------------------------------------------------------

    def blob_path(self, sha256: str) -> Path:
        return self.blob_dir / sha256[:2] / sha256

    def content(self, file_id: str) -> ArchivedContent | None:
        row = self.db.execute(
            "SELECT file_id, sha256, bytes, fetched_at FROM contents WHERE file_id = ?", (file_id,)
        ).fetchone()
        if row is None:
            return None
        return ArchivedContent(*row, path=self.blob_path(row[1]))

    def contents(self) -> list[ArchivedContent]:
        rows = self.db.execute("SELECT file_id, sha256, bytes, fetched_at FROM contents ORDER BY file_id")
        return [ArchivedContent(*r, path=self.blob_path(r[1])) for r in rows]

    def store_content(self, file_id: str, chunks: Iterable[bytes], *, now: int | None = None) -> ArchivedContent:
        """Write a file's bytes into the blob store (atomically) and record them. Same bytes, one blob."""
        ensure_private_dir(self.blob_dir)
        digest, size = hashlib.sha256(), 0
        try:
            fd, tmp_name = tempfile.mkstemp(dir=self.blob_dir, prefix=".incoming-")
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            target = self.blob_path(sha)
            ensure_private_dir(target.parent)
            os.replace(tmp_name, target)
        except OSError as exc:
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp_name)
            if exc.errno == 28:  # ENOSPC
                raise CacheError(
                    f"The disk holding the archive ({self.blob_dir}) is full.",
                    "Nothing was recorded for this file; free some space and archive again.",
                ) from exc
            raise CacheError(f"Could not write to the archive {self.blob_dir}: {exc.strerror}.") from exc
        stamp = now or self._now()
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO contents (file_id, sha256, bytes, fetched_at) VALUES (?, ?, ?, ?)",
                (file_id, sha, size, stamp),
            )
        return ArchivedContent(file_id, sha, size, stamp, self.blob_path(sha))

    def open_content(self, file_id: str) -> BinaryIO:
        archived = self.content(file_id)
        if archived is None:
            raise NotCachedError(
                f"The contents of {file_id} are not archived.",
                "Run `finetop archive --with-contents` while online.",
            )
        try:
            return archived.path.open("rb")
        except FileNotFoundError as exc:
            raise CacheError(
                f"The archived contents of {file_id} are missing from {archived.path}.",
                "Run `finetop archive verify`, then `finetop archive --with-contents` to fetch them again.",
            ) from exc

    def verify_contents(self, progress: Any = None) -> list[VerifyProblem]:
        """Re-hash every archived blob; report the missing and the corrupt."""
        problems = []
        items = self.contents()
        for index, item in enumerate(items):
            if progress:
                progress(index, len(items))
            try:
                digest = hashlib.sha256()
                with item.path.open("rb") as handle:
                    for chunk in iter(lambda handle=handle: handle.read(1 << 20), b""):
                        digest.update(chunk)
            except FileNotFoundError:
                problems.append(VerifyProblem(item.file_id, "missing", item.path))
                continue
            if digest.hexdigest() != item.sha256:
                problems.append(VerifyProblem(item.file_id, "corrupt", item.path))
        if progress:
            progress(len(items), len(items))
        return problems

    # -- uploads in progress and estimates -----------------------------------------------

    def save_upload_record(self, record: UploadRecord) -> None:
        """Remember a new upload (its parts, if any, are saved one by one with save_upload_part)."""
        with self._write() as db:
            db.execute("DELETE FROM upload_parts WHERE key = ?", (record.key,))
            db.execute(
                "INSERT OR REPLACE INTO uploads (key, upload_id, path, filename, purpose, bytes, part_size, "
                "created_at, expires_at, started_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    record.key,
                    record.upload_id,
                    record.path,
                    record.filename,
                    record.purpose,
                    record.bytes,
                    record.part_size,
                    record.created_at,
                    record.expires_at,
                    record.started_at,
                ),
            )

    def save_upload_part(self, key: str, index: int, part_id: str, size: int, *, now: int | None = None) -> None:
        """One part the server accepted: a rerun after an interruption does not send it again."""
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO upload_parts (key, part_index, part_id, bytes, sent_at) VALUES (?,?,?,?,?)",
                (key, index, part_id, size, now or self._now()),
            )

    def upload_record(self, key: str) -> UploadRecord | None:
        row = self.db.execute(f"SELECT {self._UPLOAD_COLUMNS} FROM uploads WHERE key = ?", (key,)).fetchone()
        return self._upload_from_row(row) if row else None

    def upload_records(self, *, path: str | None = None) -> list[UploadRecord]:
        """Unfinished uploads (of one local path when given), oldest first."""
        sql, params = f"SELECT {self._UPLOAD_COLUMNS} FROM uploads", []
        if path is not None:
            sql, params = sql + " WHERE path = ?", [path]
        return [self._upload_from_row(row) for row in self.db.execute(sql + " ORDER BY started_at, key", params)]

    def drop_upload_record(self, key: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM upload_parts WHERE key = ?", (key,))
            db.execute("DELETE FROM uploads WHERE key = ?", (key,))

    _UPLOAD_COLUMNS = "key, upload_id, path, filename, purpose, bytes, part_size, created_at, expires_at, started_at"

    def _upload_from_row(self, row: tuple) -> UploadRecord:
        parts = {
            index: (part_id, size)
            for index, part_id, size in self.db.execute(
                "SELECT part_index, part_id, bytes FROM upload_parts WHERE key = ? ORDER BY part_index", (row[0],)
            )
        }
        return UploadRecord(*row, parts=parts)

    def save_estimate(self, estimate: TrainingEstimate) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO estimates (job_id, estimated_tokens, method, counted_at, encoding, epochs, "
                "source) VALUES (?,?,?,?,?,?,?)",
                (
                    estimate.job_id,
                    estimate.estimated_tokens,
                    estimate.method,
                    estimate.counted_at,
                    estimate.encoding,
                    estimate.epochs,
                    estimate.source,
                ),
            )

    def estimate(self, job_id: str) -> TrainingEstimate | None:
        row = self.db.execute(
            "SELECT job_id, estimated_tokens, method, counted_at, encoding, epochs, source FROM estimates "
            "WHERE job_id = ?",
            (job_id,),
        ).fetchone()
        return TrainingEstimate(*row) if row else None

    # -- overview ------------------------------------------------------------------------

    def stats(self) -> ArchiveStats:
        def count(table: str, where: str = "") -> int:
            return self.db.execute(f"SELECT COUNT(*) FROM {table} {where}").fetchone()[0]

        content_bytes = self.db.execute(
            "SELECT COALESCE(SUM(bytes), 0) FROM (SELECT DISTINCT sha256, bytes FROM contents)"
        ).fetchone()[0]
        db_bytes = sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())
        return ArchiveStats(
            jobs=count("jobs"),
            events=count("events"),
            checkpoints=count("checkpoints"),
            files=count("files"),
            models=count("models"),
            usage_buckets=count("usage"),
            cost_lines=count("costs"),
            contents=count("contents"),
            content_bytes=content_bytes,
            database_bytes=db_bytes,
        )

    def search(self, text: str, *, limit: int = 30) -> list[SearchHit]:
        """Jobs, files and models whose id or name contains `text` (command palette)."""
        like = f"%{text}%"
        hits = [
            SearchHit("job", r[0], f"{r[0]}  {r[1] or r[2]}  {r[3]}")
            for r in self.db.execute(
                "SELECT id, fine_tuned_model, model, status FROM jobs WHERE id LIKE ? OR fine_tuned_model LIKE ? "
                "OR suffix LIKE ? OR model LIKE ? ORDER BY created_at DESC LIMIT ?",
                (like, like, like, like, limit),
            )
        ]
        hits += [
            SearchHit("file", r[0], f"{r[0]}  {r[1]}  {r[2]}")
            for r in self.db.execute(
                "SELECT id, filename, purpose FROM files WHERE deleted_at IS NULL AND (id LIKE ? OR filename LIKE ?) "
                "ORDER BY created_at DESC LIMIT ?",
                (like, like, limit),
            )
        ]
        hits += [
            SearchHit("model", r[0], r[0])
            for r in self.db.execute(
                "SELECT id FROM models WHERE deleted_at IS NULL AND id LIKE 'ft:%' AND id LIKE ? LIMIT ?",
                (like, limit),
            )
        ]
        return hits
