"""The emulator's state store: one SQLite database (in memory by default, a file to persist a demo)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    pk INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, filename TEXT NOT NULL,
    purpose TEXT NOT NULL, bytes INTEGER NOT NULL, status TEXT NOT NULL, expires_at INTEGER,
    deleted INTEGER NOT NULL DEFAULT 0, sha256 TEXT NOT NULL, content BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS files_by_time ON files(created_at, pk);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, filename TEXT NOT NULL, purpose TEXT NOT NULL,
    bytes INTEGER NOT NULL, mime_type TEXT NOT NULL, status TEXT NOT NULL, expires_at INTEGER NOT NULL,
    file_id TEXT, file_expires_after INTEGER);
CREATE TABLE IF NOT EXISTS upload_parts (
    id TEXT PRIMARY KEY, upload_id TEXT NOT NULL, created_at INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    pk INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, status TEXT NOT NULL,
    model TEXT NOT NULL, metadata TEXT, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs(status);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, job_pk INTEGER NOT NULL, id TEXT NOT NULL, created_at INTEGER NOT NULL,
    level TEXT NOT NULL, type TEXT NOT NULL, message TEXT NOT NULL, data TEXT);
CREATE TABLE IF NOT EXISTS checkpoints (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, job_pk INTEGER NOT NULL, created_at INTEGER NOT NULL,
    step_number INTEGER NOT NULL, model TEXT NOT NULL, metrics TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS checkpoints_by_job ON checkpoints(job_pk, seq);
CREATE TABLE IF NOT EXISTS models (
    pk INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, created INTEGER NOT NULL, owned_by TEXT NOT NULL,
    kind TEXT NOT NULL, job_id TEXT, shutdown_date TEXT, deleted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS usage (
    minute INTEGER NOT NULL, model TEXT NOT NULL, project_id TEXT NOT NULL, user_id TEXT NOT NULL,
    api_key_id TEXT NOT NULL, batch INTEGER NOT NULL, service_tier TEXT NOT NULL,
    input_tokens INTEGER NOT NULL, input_cached_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
    requests INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS usage_by_minute ON usage(minute);
"""

# Created after bulk loads: building it once is far faster than updating it per row. Event ids
# are only ever looked up within their job (an `after` cursor), so this one index serves both.
EVENT_INDEXES = """
CREATE INDEX IF NOT EXISTS events_by_job ON events(job_pk, seq);
"""

TABLES = ("meta", "files", "uploads", "upload_parts", "jobs", "events", "checkpoints", "models", "usage")


class Database:
    """A SQLite connection with re-entrant transactions and a small JSON key/value table."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self.conn = sqlite3.connect(path or ":memory:", isolation_level=None, check_same_thread=False)
        if path:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
        self._depth = 0
        self.create_schema()

    def create_schema(self) -> None:
        # One statement at a time: executescript would commit a transaction in progress (a reset).
        self.run_script(SCHEMA + EVENT_INDEXES)

    def run_script(self, script: str) -> None:
        for statement in script.split(";"):
            if statement.strip():
                self.conn.execute(statement)

    def wipe(self) -> None:
        """Forget everything (a reset)."""
        for table in TABLES:
            self.conn.execute(f"DROP TABLE IF EXISTS {table}")
        self.create_schema()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        if self._depth == 0:
            self.conn.execute("BEGIN")
        self._depth += 1
        try:
            yield self.conn
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self.conn.execute("ROLLBACK")
            raise
        self._depth -= 1
        if self._depth == 0:
            self.conn.execute("COMMIT")

    def execute(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        return self.conn.execute(sql, params).fetchone()

    def all(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, params).fetchall()

    def meta(self, key: str, default: Any = None) -> Any:
        row = self.one("SELECT value FROM meta WHERE key = ?", (key,))
        return json.loads(row[0]) if row else default

    def set_meta(self, key: str, value: Any) -> None:
        self.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    def close(self) -> None:
        self.conn.close()
