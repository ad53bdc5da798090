"""What every section screen shares: the header, the footer, and reloading from the cache when it changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from tui.messages import CacheUpdated
from tui.widgets.app_header import AppHeader

if TYPE_CHECKING:
    from store.backend import Backend
    from tui.app import FinetopApp


class SectionScreen(Screen[None]):
    """A top-level section (jobs, files, models, spend). Subclasses compose `body()` and implement `reload()`.

    `reload()` starts a thread worker that reads the cache and hands the result back to the UI
    thread; it runs when the screen is shown and whenever the cache changes."""

    SECTION = "jobs"

    @property
    def finetop(self) -> FinetopApp:
        return self.app  # type: ignore[return-value]

    @property
    def backend(self) -> Backend:
        return self.finetop.backend

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
