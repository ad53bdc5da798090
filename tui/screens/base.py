"""What every section screen shares: the header, the footer, and reloading from the cache when it changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Input
from textual.worker import Worker, WorkerState

from tui.messages import CacheUpdated
from tui.widgets.app_header import AppHeader
from tui.widgets.footer import KeysFooter

if TYPE_CHECKING:
    from store.backend import Backend
    from tui.app import FinetopApp


class FinetopScreen(Screen[None]):
    """Every full screen of finetop: its backend, and its failed workers sent to the app's error funnel."""

    @property
    def finetop(self) -> FinetopApp:
        return self.app  # type: ignore[return-value]

    @property
    def offline(self) -> bool:
        """Started with --offline: read the cache only, no action that needs the API."""
        return self.finetop.offline_mode

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
    COMPACT_FOOTER = False  # True for sections with so many keys that they fit only compact

    def compose(self) -> ComposeResult:
        yield AppHeader(self.SECTION)
        yield from self.body()
        yield KeysFooter(always_compact=self.COMPACT_FOOTER)

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


class TableSection(SectionScreen):
    """A section that is mostly one table: `/` filters it as you type, `o`/`O` and header clicks sort it.

    Subclasses compose one `Input` with class "filter" and one table with class "section-table",
    name their sortable columns, and implement `_refresh_table()`."""

    SORTABLE: ClassVar[tuple[str, ...]] = ()
    DESCENDING: ClassVar[frozenset[str]] = frozenset()  # columns that sort largest or newest first
    DEFAULT_SORT: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        self.text_filter = ""
        self.sort_key = self.DEFAULT_SORT
        self.sort_reverse = self.DEFAULT_SORT in self.DESCENDING

    def _refresh_table(self) -> None:
        raise NotImplementedError

    def focus_table(self) -> None:
        self.query_one(".section-table").focus()

    def action_filter(self) -> None:
        box = self.query_one("Input.filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "Input.filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.text_filter = event.value.strip()
        self._refresh_table()

    @on(Input.Submitted, "Input.filter")
    def _filter_done(self) -> None:
        self.focus_table()

    def clear_filter(self) -> bool:
        """Empty and hide the filter box; False when there was nothing to clear."""
        box = self.query_one("Input.filter", Input)
        cleared = bool(box.value or box.display)
        if cleared:
            box.value = ""
            box.display = False
            self.text_filter = ""
            self._refresh_table()
        self.focus_table()
        return cleared

    def action_clear_filter(self) -> None:
        self.clear_filter()

    def action_cycle_sort(self) -> None:
        position = self.SORTABLE.index(self.sort_key) + 1 if self.sort_key in self.SORTABLE else 0
        self.sort_key = self.SORTABLE[position % len(self.SORTABLE)]
        self.sort_reverse = self.sort_key in self.DESCENDING
        self._refresh_table()

    def action_reverse_sort(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self._refresh_table()

    def sort_label(self) -> str:
        return f"sort: {self.sort_key} {'↓' if self.sort_reverse else '↑'}"

    @on(DataTable.HeaderSelected, ".section-table")
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        self.sort_by(str(event.column_key.value))

    def can_sort_by(self, key: str) -> bool:
        """Whether a click on this column's header sorts by it (`o` cycles only through SORTABLE)."""
        return key in self.SORTABLE

    def sort_by(self, key: str) -> None:
        """A header was clicked: sort by its column, or reverse when it already is the sort."""
        if not self.can_sort_by(key):
            return
        if key == self.sort_key:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_key = key
            self.sort_reverse = key in self.DESCENDING
        self._refresh_table()
