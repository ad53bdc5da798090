"""The home screen: every job of the profile, filterable as you type, sortable, live."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Static

from store.errors import FinetopError
from store.types import Job
from tui import format as fmt
from tui.screens.base import TableSection
from tui.widgets.row_table import RowTable, TableColumn

METHOD_LABELS = {"supervised": "SFT", "dpo": "DPO", "reinforcement": "RFT"}
STATUS_FILTERS: dict[str, frozenset[str] | None] = {
    "all": None,
    "active": frozenset({"validating_files", "queued", "running", "paused", "pausing", "cancelling"}),
    "succeeded": frozenset({"succeeded"}),
    "failed": frozenset({"failed"}),
    "cancelled": frozenset({"cancelled"}),
}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int
    priority: int  # lower shows first when the terminal is narrow
    cell: Callable[[Job, float], str | Text]
    sort: Callable[[Job], object]
    ticking: bool = False  # changes with time for active jobs (redrawn every second)
    right: bool = False


def _name(job: Job) -> str:
    """The fine-tuned model without its base (the base has its own column): `support:AbC12345`."""
    parsed = fmt.parse_model_name(job.fine_tuned_model or "")
    if parsed is not None:
        return f"{parsed.suffix}:{parsed.id}" if parsed.suffix else parsed.id
    if job.fine_tuned_model:
        return fmt.short_model(job.fine_tuned_model, 26)
    return f"({job.suffix})" if job.suffix else fmt.MISSING


def _elapsed(job: Job, now: float) -> str:
    start = job.started_at or job.created_at
    end = job.finished_at or now
    return fmt.duration(end - start)


def _progress(job: Job, now: float) -> str | Text:
    if job.status in ("succeeded",):
        return Text("done", style="green")
    if job.step is None:
        return fmt.MISSING
    return fmt.progress(job.step, job.total_steps)


def _finish_time(job: Job) -> float:
    return job.finished_at or job.estimated_finish or 0


def _finish(job: Job, now: float) -> str | Text:
    """When the job ended or, dim, when a running one should end (the API's estimate or its pace)."""
    if job.finished_at:
        return fmt.ago(job.finished_at, now)
    expected = job.expected_finish(now)
    return Text(fmt.ago(expected, now), style="dim") if expected else fmt.MISSING


COLUMNS: tuple[Column, ...] = (
    Column("status", "status", 12, 0, lambda j, now: fmt.status_text(j.status), lambda j: j.status),
    Column("name", "model / suffix", 24, 1, lambda j, now: _name(j), lambda j: j.fine_tuned_model or j.suffix or ""),
    Column("base", "base", 13, 2, lambda j, now: fmt.base_family(j.model), lambda j: j.model),
    Column("progress", "progress", 14, 1, _progress, lambda j: (j.step or 0) / (j.total_steps or 1), ticking=True),
    Column("created", "created", 9, 2, lambda j, now: fmt.ago(j.created_at, now), lambda j: j.created_at, ticking=True),
    Column("elapsed", "elapsed", 8, 3, _elapsed, lambda j: (j.finished_at or 2**40) - j.created_at, ticking=True),
    Column("method", "meth", 4, 4, lambda j, now: METHOD_LABELS.get(j.method, j.method), lambda j: j.method),
    Column(
        "tokens",
        "tokens",
        8,
        4,
        lambda j, now: fmt.token_count(j.trained_tokens, compact=True),
        lambda j: j.trained_tokens or 0,
        right=True,
    ),
    Column("finish", "finish", 8, 4, lambda j, now: _finish(j, now), _finish_time, ticking=True),
    Column("id", "job id", 30, 5, lambda j, now: j.id, lambda j: j.id),
)
FIRST_SCREENFUL = 200  # jobs in the first frame (more than the tallest terminal shows); the rest follow


class JobsFilter(Input):
    """The filter box: enter opens the job under the cursor, and the footer says so."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Open", tooltip="Open the job under the cursor")
    ]


def haystack(job: Job) -> str:
    """What `/` searches: everything a user might type to find a job."""
    return " ".join(
        filter(
            None,
            (
                job.id,
                job.status,
                job.model,
                job.fine_tuned_model,
                job.suffix,
                job.method,
                METHOD_LABELS.get(job.method),
                *job.metadata.values(),
            ),
        )
    ).lower()


class JobsScreen(TableSection):
    """Every job, newest first."""

    SECTION = "jobs"
    SORTABLE = ("created", "status", "name", "base", "progress", "elapsed", "finish", "tokens")
    DESCENDING = frozenset({"created", "progress", "elapsed", "finish", "tokens"})
    DEFAULT_SORT = "created"
    AUTO_FOCUS = "#jobs-table"  # focus lands on the table at once (each focus change rebuilds the footer)
    BINDINGS: ClassVar[list[BindingType]] = [
        # Not a priority binding: it would run before keys typed just ahead of it (j j enter) reach the
        # table. From the filter box, enter opens the job under the cursor too (see _open_from_filter).
        Binding("enter", "open", "Open", id="jobs.open", tooltip="Open the job: events, chart, checkpoints"),
        Binding("slash", "filter", "Filter", id="jobs.filter", tooltip="Filter as you type across all columns"),
        Binding(
            "s", "cycle_status", "Status", id="jobs.status", tooltip="Show all, active, succeeded, failed, cancelled"
        ),
        Binding("o", "cycle_sort", "Sort", id="jobs.sort", tooltip="Sort by the next column"),
        Binding("O", "reverse_sort", "Reverse", show=False, id="jobs.reverse", tooltip="Reverse the sort order"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="jobs.clear"),
        Binding("n", "new_job", "New", id="jobs.new", tooltip="Start a fine-tuning job: file, model, cost, create"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.jobs: list[Job] = []
        self._haystacks: dict[str, str] = {}
        self._by_id: dict[str, Job] = {}
        self.status_filter = "all"
        self._columns: tuple[Column, ...] = ()
        self._loaded = False
        self._complete = False  # False while only the newest jobs have been read

    def body(self) -> ComposeResult:
        with Horizontal(id="jobs-bar", classes="bar"):
            box = JobsFilter(placeholder="filter jobs…", id="jobs-filter", classes="filter")
            box.display = False  # until `/`; hidden from the start, so focus does not pass through it
            yield box
            yield Static(id="jobs-summary", classes="summary")
        yield RowTable(id="jobs-table", classes="section-table")
        yield Static(id="jobs-empty", classes="empty")

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    # -- loading -------------------------------------------------------------------------

    def reload(self) -> None:
        if not self._loaded and self._show_first_screenful():
            return
        self._load()

    def _show_first_screenful(self) -> bool:
        """The newest jobs, read here on the UI thread so that they are in the screen's first frame.

        A screenful takes milliseconds to read. A worker takes a hundred or more at start-up: it
        waits for the GIL after every row while the UI thread builds the screen. The rest of the
        jobs (thousands take a tenth of a second) are read by a worker once these are on screen."""
        try:
            jobs = self.backend.cache.jobs(limit=FIRST_SCREENFUL)
        except FinetopError:
            return False  # the worker tries again, and a failure there reaches the app's error funnel
        self._show_jobs(jobs, {job.id: haystack(job) for job in jobs}, complete=len(jobs) < FIRST_SCREENFUL)
        return True

    @work(thread=True, exclusive=True, group="jobs-load", exit_on_error=False, description="reading jobs")
    def _load(self) -> None:
        jobs = self.backend.cache.jobs()
        haystacks = {job.id: haystack(job) for job in jobs}  # here, off the UI thread
        self.app.call_from_thread(self._show_jobs, jobs, haystacks)

    def _show_jobs(self, jobs: list[Job], haystacks: dict[str, str], complete: bool = True) -> None:
        first = not self._loaded
        self.jobs = jobs
        self._by_id = {job.id: job for job in jobs}
        self._haystacks = haystacks
        self._loaded = True
        self._complete = complete
        self._refresh_table()
        if not complete:
            self.call_after_refresh(self._load)
        if first:
            self.call_after_refresh(self.finetop.cache_shown)

    # -- what is shown -------------------------------------------------------------------

    def visible_jobs(self) -> list[Job]:
        allowed = STATUS_FILTERS[self.status_filter]
        needle = self.text_filter.lower().split()
        rows = [
            job
            for job in self.jobs
            if (allowed is None or job.status in allowed) and all(word in self._haystacks[job.id] for word in needle)
        ]
        column = next(c for c in COLUMNS if c.key == self.sort_key)
        rows.sort(key=column.sort, reverse=self.sort_reverse)  # stable: newest first among equals
        return rows

    def _fitting_columns(self) -> tuple[Column, ...]:
        width = max(40, self.size.width - 2)
        chosen: list[Column] = []
        used = 0
        for column in sorted(COLUMNS, key=lambda c: c.priority):
            if used + column.width + 2 <= width:
                chosen.append(column)
                used += column.width + 2
        return tuple(c for c in COLUMNS if c in chosen)

    def _refresh_table(self) -> None:
        table = self.query_one("#jobs-table", RowTable)
        columns = self._fitting_columns()
        rows = self.visible_jobs()
        if columns != self._columns:
            table.set_columns(TableColumn(c.key, c.label, c.width, c.right) for c in columns)
            self._columns = columns
        table.set_rows((job.id for job in rows), self._cells)
        self._update_summary(len(rows))

    def _cells(self, job_id: str) -> list[str | Text]:
        """A row's cells, made only when the row comes into view (thousands of jobs cost nothing)."""
        job, now = self._by_id[job_id], self.finetop.now()
        return [column.cell(job, now) for column in self._columns]

    def _update_summary(self, shown: int) -> None:
        parts = [f"{shown:,}" + (f" of {len(self.jobs):,}" if shown != len(self.jobs) else "") + " jobs"]
        if not self._complete:
            parts[0] = f"the newest {parts[0]} (reading the rest)"
        if self.status_filter != "all":
            parts.append(f"status: {self.status_filter}")
        parts.append(self.sort_label())
        self.query_one("#jobs-summary", Static).update(" · ".join(parts))
        empty = self.query_one("#jobs-empty", Static)
        table = self.query_one("#jobs-table", RowTable)
        reappearing = shown and not table.display
        table.display = bool(shown)
        if reappearing and self.focused is None:
            table.focus()  # a hidden table loses focus; give it back when jobs arrive
        if shown:
            empty.display = False
        else:
            empty.display = True
            if not self._loaded:
                empty.update("Reading the cache…")
            elif not self.jobs:
                empty.update(
                    "No jobs yet.\nfinetop syncs in the background; press ctrl+r to sync now, or n to start a job."
                )
            else:
                empty.update("No jobs match. Press escape to clear the filter, s to change the status filter.")

    def selected_job_id(self) -> str | None:
        """The job under the cursor."""
        return self.query_one("#jobs-table", RowTable).cursor_key

    @property
    def shown_ids(self) -> list[str]:
        """The jobs in the table, in its order."""
        return list(self.query_one("#jobs-table", RowTable).keys)

    def _tick(self) -> None:
        """Redraw the rows of active jobs: their elapsed times and ages move."""
        if not self._columns or not self.is_current:
            return
        if any(c.ticking for c in self._columns):
            active = [job.id for job in self.jobs if job.is_active]
            self.query_one("#jobs-table", RowTable).refresh_rows(active)

    def on_resize(self) -> None:
        if self._loaded and self._fitting_columns() != self._columns:
            self._refresh_table()

    # -- actions -------------------------------------------------------------------------

    def action_cycle_status(self) -> None:
        names = list(STATUS_FILTERS)
        self.status_filter = names[(names.index(self.status_filter) + 1) % len(names)]
        self._refresh_table()

    @on(RowTable.HeaderSelected, "#jobs-table")
    def _header_clicked(self, event: RowTable.HeaderSelected) -> None:
        self.sort_by(event.column_key)

    @on(Input.Submitted, "Input.filter")
    def _open_from_filter(self) -> None:
        """Enter in the filter box opens the job under the cursor, like a fuzzy finder."""
        self.action_open()

    @on(RowTable.RowSelected, "#jobs-table")
    def _row_chosen(self, event: RowTable.RowSelected) -> None:
        self.open_job(event.key)

    def action_open(self) -> None:
        job_id = self.selected_job_id()
        if job_id:
            self.open_job(job_id)

    def open_job(self, job_id: str) -> None:
        from tui.screens.job import JobScreen

        self.app.push_screen(JobScreen(job_id, self._by_id.get(job_id)))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "new_job" and self.finetop.offline_mode:
            return None  # creating needs the network: greyed out under --offline
        return True

    def action_new_job(self) -> None:
        from tui.screens.new_job import NewJobScreen

        self.app.push_screen(NewJobScreen())
