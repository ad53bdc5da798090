"""The finetop Textual app: sections, the background sync loop, notifications and the error funnel.

The app never waits on the network: screens paint from the cache, a thread worker polls
the API and posts SyncFinished, and the next poll is armed only when the previous one has
finished (so polls never pile up on a slow link).
"""

from __future__ import annotations

import gc
import importlib
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar

from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from store.backend import Backend
from store.errors import ApiError, CredentialError, FinetopError
from tui.messages import CacheUpdated, SyncFinished
from tui.widgets.app_header import AppStatus


def _section(module: str, name: str) -> Callable[[], Screen]:
    """A section screen, imported when first shown (keeps start-up lean)."""

    def make() -> Screen:
        return getattr(importlib.import_module(module), name)()

    return make


def _commands(name: str) -> Callable[[], type[Provider]]:
    """A command palette provider from tui/commands.py, imported when the palette first opens."""

    def load() -> type[Provider]:
        return getattr(importlib.import_module("tui.commands"), name)

    return load


NOTIFY_SEVERITY = {"succeeded": "information", "failed": "error", "cancelled": "warning"}
# The first poll builds the API client, which imports openai: a second or more of CPU. It waits until
# the first screen has painted the cache (`cache_shown`), so the two do not share the CPU; at most this long.
FIRST_POLL_WAIT = 2.0
FIRST_POLL_SETTLE = 0.3  # seconds after the cache is on screen


class FinetopApp(App[None]):
    """finetop: jobs, files, models and spend of one profile."""

    CSS_PATH = "finetop.tcss"
    TITLE = "finetop"
    MODES: ClassVar = {
        "jobs": _section("tui.screens.jobs", "JobsScreen"),
        "files": _section("tui.screens.files", "FilesScreen"),
        "models": _section("tui.screens.models", "ModelsScreen"),
        "spend": _section("tui.screens.spend", "SpendScreen"),
    }
    DEFAULT_MODE = "jobs"
    # ctrl+p: Textual's own commands, plus finding jobs/files/models and finetop's actions (tui/commands.py).
    COMMANDS: ClassVar = App.COMMANDS | {_commands("FindProvider"), _commands("ActionsProvider")}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "switch_mode('jobs')", "Jobs", show=False, id="app.jobs", tooltip="Every fine-tuning job"),
        Binding("2", "switch_mode('files')", "Files", show=False, id="app.files", tooltip="Uploaded files"),
        Binding("3", "switch_mode('models')", "Models", show=False, id="app.models", tooltip="Fine-tuned models"),
        Binding("4", "switch_mode('spend')", "Spend", show=False, id="app.spend", tooltip="Spend per custom model"),
        Binding("question_mark", "help", "Help", id="app.help", tooltip="Every key, screen by screen"),
        Binding("ctrl+r", "sync_now", "Sync", show=False, id="app.sync", tooltip="Sync with the API now"),
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Leave finetop"),
    ]

    status: reactive[AppStatus] = reactive(AppStatus, always_update=True)

    def __init__(
        self,
        backend: Backend,
        *,
        offline: bool = False,
        clock: Callable[[], float] | None = None,
        wall_clock: Callable[[], float] | None = None,
        poll: bool = True,
        bell: bool = False,
        utc: bool = False,
        keymap: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.offline_mode = offline
        self._clock = clock or backend.now
        self._clock_from_backend = clock is None  # a switched profile brings its own server clock
        self._wall_clock = wall_clock or time.time
        self.polling = poll and not offline
        self._poll_wanted = self.polling
        self.bell_on_change = bell
        self.utc = utc
        self._keymap = keymap or {}
        self._poll_timer: Timer | None = None
        self._cache_on_screen = threading.Event()
        self.set_reactive(
            FinetopApp.status,
            AppStatus(
                profile=backend.profile.name,
                endpoint=backend.profile.describe_endpoint(),
                state="cache-only" if offline else "starting",
            ),
        )

    # -- time ----------------------------------------------------------------------------

    def now(self) -> float:
        """The server's now (frozen in tests): ages and elapsed times of the API's objects use it."""
        return self._clock()

    def wall_now(self) -> float:
        """This machine's now: how long ago we synced, and when the next poll is due."""
        return self._wall_clock()

    # -- start-up ------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self._keymap:
            self.set_keymap(self._keymap)
        self.load_status()
        if self.polling:
            # After the first paint: the cache is on screen before any request goes out.
            self.call_after_refresh(self.sync_in_background)

    def cache_shown(self) -> None:
        """A section has painted what the cache holds: the first poll may start (see FIRST_POLL_WAIT)."""
        if not self._cache_on_screen.is_set():
            # What start-up made (modules, classes, styles: most of the heap) lives as long as the app.
            # Frozen, it is left out of Python's full collections, which otherwise walk all of it and
            # stall the UI for 50-100 ms now and then (mid-keystroke, say).
            gc.freeze()
            # The frame with the cache is still being drawn: let it reach the terminal before the
            # first poll's worker takes the CPU to import openai.
            self.set_timer(FIRST_POLL_SETTLE, self._cache_on_screen.set)

    @work(thread=True, exclusive=True, group="status", exit_on_error=False, description="reading sync status")
    def load_status(self) -> None:
        status = self._status_from_cache(self.status.state)
        self.call_from_thread(setattr, self, "status", status)

    def _status_from_cache(self, state: str, detail: str = "") -> AppStatus:
        """Read on a worker thread: freshness and active jobs come from the cache."""
        from store.lifecycle import training_window  # imported here, off the start-up path (with the pricing modules)

        freshness = self.backend.freshness()
        today = datetime.fromtimestamp(self.now(), tz=UTC).date()
        return AppStatus(
            profile=self.backend.profile.name,
            endpoint=self.backend.profile.describe_endpoint(),
            state=state,
            last_contact=freshness.last_contact,
            offline_since=freshness.offline_since,
            active_jobs=len(self.backend.cache.job_ids(active_only=True)),
            training_days_left=training_window(today).days_left,
            detail=detail,
        )

    # -- the sync loop -------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False, description="syncing")
    def sync_in_background(self) -> None:
        self._cache_on_screen.wait(FIRST_POLL_WAIT)
        backend = self.backend
        report = backend.poll()
        delay = backend.syncer.next_delay()
        if backend is not self.backend:
            return  # the profile was switched meanwhile: this report is about the old one
        state = "offline" if report.offline else "online"
        detail = next((str(e) for e in report.errors.values()), "")
        status = self._status_from_cache(state, detail)
        self.call_from_thread(setattr, self, "status", status)
        self.post_message(SyncFinished(report, delay))

    @on(SyncFinished)
    def _sync_finished(self, message: SyncFinished) -> None:
        report = message.report
        for change in report.transitions:
            if change.job.is_terminal:
                self.notify(
                    f"{change.job.fine_tuned_model or change.job.id}",
                    title=f"Job {change.job.status}",
                    severity=NOTIFY_SEVERITY.get(change.job.status, "information"),
                    timeout=8,
                )
                if self.bell_on_change:
                    self.bell()
        if report.changes or report.new_events or report.files_added or report.files_deleted or report.models_added:
            changed = frozenset(c.job.id for c in report.changes) | frozenset(report.new_events)
            self.broadcast(CacheUpdated(report, changed))
        self._arm_poll(message.delay)

    def _arm_poll(self, delay: float) -> None:
        if self._poll_timer is not None:
            self._poll_timer.stop()
        if self.polling:
            self._poll_timer = self.set_timer(max(0.5, delay), self.sync_in_background)

    def broadcast(self, message: CacheUpdated) -> None:
        """Tell every screen on the current stack that the cache changed (others reload on resume)."""
        for screen in self.screen_stack:
            screen.post_message(CacheUpdated(message.report, message.job_ids))

    def action_sync_now(self) -> None:
        if self.offline_mode:
            self.notify("finetop was started with --offline: showing the cache only.", severity="warning")
            return
        self.polling = True
        self.status = AppStatus(**{**self.status.__dict__, "state": "syncing"})
        self.sync_in_background()

    # -- errors: one funnel --------------------------------------------------------------

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if event.worker.group == "sync":
            self._sync_failed(error)
        elif isinstance(error, FinetopError):
            self.show_error(error, title=event.worker.description or "")
        else:
            self.log.error(repr(error))
            self.notify(f"{type(error).__name__}: {error}", title="Unexpected error", severity="error")

    def _sync_failed(self, error: BaseException | None) -> None:
        if isinstance(error, CredentialError):
            # Without a key there is nothing to poll: stay on the cache until the user syncs.
            self.polling = False
            self.status = AppStatus(**{**self.status.__dict__, "state": "no-key", "detail": str(error)})
            self.notify(f"{error.message} {error.hint}", title="Working from the cache", severity="warning", timeout=10)
            return
        message = str(error) if isinstance(error, FinetopError) else f"{type(error).__name__}: {error}"
        self.notify(message, title="Sync failed", severity="error")
        self._arm_poll(30.0)

    def show_error(self, error: FinetopError, *, title: str = "") -> None:
        """An action the user asked for failed: a dialog with the API's message and request id."""
        from tui.widgets.error import ErrorScreen

        if isinstance(error, ApiError) and error.is_connection_problem:
            self.notify(str(error), title=title or "Offline", severity="warning")
            return
        self.push_screen(ErrorScreen(error, title=title or None))

    # -- profiles ------------------------------------------------------------------------

    def switch_profile(self, name: str) -> None:
        """Leave this profile for `name`: open its Backend (on a worker), then rebuild every section on it."""
        self._open_profile(name)

    @work(thread=True, exclusive=True, group="profile", exit_on_error=False, description="Could not switch profile")
    def _open_profile(self, name: str) -> None:
        backend = Backend.open(name)  # reads config.toml and opens (maybe creates) the profile's cache
        old = self.call_from_thread(self._use_backend, backend)
        old.close()  # after the switch, so nothing on screen still reads from it

    def _use_backend(self, backend: Backend) -> Backend:
        old = self.backend
        if self._poll_timer is not None:
            self._poll_timer.stop()
        self.workers.cancel_group(self, "sync")
        self.backend = backend
        if self._clock_from_backend:
            self._clock = backend.now
        self.status = AppStatus(
            profile=backend.profile.name,
            endpoint=backend.profile.describe_endpoint(),
            state="cache-only" if self.offline_mode else "starting",
        )
        # Sections not on screen are rebuilt when next shown; the one on screen drops what it had
        # opened (a job, a preview: they belong to the old profile) and reloads.
        for mode, make in self.MODES.items():
            if mode != self.current_mode:
                self.remove_mode(mode)
                self.add_mode(mode, make)
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.broadcast(CacheUpdated())
        self.load_status()
        self.polling = self._poll_wanted
        if self.polling:
            self.call_after_refresh(self.sync_in_background)
        self.notify(backend.profile.describe_endpoint(), title=f"Profile {backend.profile.name}")
        return old

    # -- help ----------------------------------------------------------------------------

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def make_app(
    backend: Backend,
    *,
    offline: bool = False,
    clock: Callable[[], float] | None = None,
    wall_clock: Callable[[], float] | None = None,
    poll: bool = True,
) -> FinetopApp:
    """The one way to build the app: the CLI, the demo, the tests and the screenshot script use it."""
    config = backend.config
    ui = config.ui if config else {}
    app = FinetopApp(
        backend,
        offline=offline,
        clock=clock,
        wall_clock=wall_clock,
        poll=poll,
        bell=bool(ui.get("bell", False)),
        utc=bool(ui.get("utc", False)),
        keymap=config.keys if config else None,
    )
    theme = ui.get("theme")
    if isinstance(theme, str) and theme in app.available_themes:
        app.theme = theme
    elif few_colours():
        app.theme = "ansi-dark"  # the terminal's own palette: running stays yellow, not the red nearest orange
    return app


def few_colours() -> bool:
    """Whether finetop runs on a terminal of 8 or 16 colours (TERM=xterm, screen, linux).

    Textual would map its theme's colours to the nearest of those, and several land on the same
    red; the terminal's own palette keeps statuses apart. Not in a browser (textual-serve)."""
    if os.environ.get("TEXTUAL_DRIVER"):
        return False
    from rich.console import Console

    return Console().color_system == "standard"


def frozen_clock(at: float) -> Callable[[], float]:
    """A clock that never moves, for deterministic screens in tests and screenshots."""
    return lambda: at
