"""Messages that carry results from thread workers up to the app and its screens (past tense: done)."""

from __future__ import annotations

from textual.message import Message

from store.sync import SyncReport


class SyncFinished(Message):
    """A background sync finished; `delay` is when the next poll is worth making."""

    def __init__(self, report: SyncReport, delay: float) -> None:
        super().__init__()
        self.report = report
        self.delay = delay


class CacheUpdated(Message):
    """The cache changed (a sync or an action); screens reload what they show from it."""

    def __init__(self, report: SyncReport | None = None, job_ids: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.report = report
        # Jobs whose rows or events changed; empty with a report means "maybe anything".
        self.job_ids = job_ids
