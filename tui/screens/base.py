"""What every section screen shares: the header, the footer, and reloading from the cache when it changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from tui.messages import CacheUpdated
from tui.widgets.app_header import AppHeader

if TYPE_CHECKING:
    from store.backend import Backend
    from tui.app import FinetopApp


class FinetopScreen(Screen[None]):
    """Every full screen of finetop: its backend, and its failed workers sent to the app's error funnel."""

    @property
    def finetop(self) -> FinetopApp:
        return self.app  # type: ignore[return-value]

    @property
    def backend(self) -> Backend:
        return self.finetop.backend

    @on(Worker.StateChanged)
    def _forward_worker_failure(self, event: Worker.StateChanged) -> None:
        # Worker messages do not bubble: without this a failed action would vanish silently.
        if event.state == WorkerState.ERROR and event.worker.node is self:
            self.app.post_message(Worker.StateChanged(event.worker, event.state))


class SectionScreen(FinetopScreen):
    """A top-level section (jobs, files, models, spend). Subclasses compose `body()` and implement `reload()`.

    `reload()` starts a thread worker that reads the cache and hands the result back to the UI
    thread; it runs when the screen is shown and whenever the cache changes."""

    SECTION = "jobs"

    def compose(self) -> ComposeResult:
        yield AppHeader(self.SECTION)
        yield from self.body()
        yield Footer()

    def body(self) -> ComposeResult:
        yield from ()

    def reload(self) -> None:
        """Read what the screen shows from the cache (in a worker) and show it."""

    def on_screen_resume(self) -> None:
        self.reload()

    @on(CacheUpdated)
    def _cache_updated(self, message: CacheUpdated) -> None:
        if self.is_current:
            self.reload()
