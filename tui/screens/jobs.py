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
from textual.widgets import DataTable, Input, Static

from store.types import Job
from tui import format as fmt
from tui.screens.base import SectionScreen

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


COLUMNS: tuple[Column, ...] = (
    Column("status", "status", 12, 0, lambda j, now: fmt.status_text(j.status), lambda j: j.status),
    Column("name", "model / suffix", 27, 1, lambda j, now: _name(j), lambda j: j.fine_tuned_model or j.suffix or ""),
    Column("base", "base", 15, 2, lambda j, now: fmt.base_family(j.model), lambda j: j.model),
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
    Column("id", "job id", 30, 5, lambda j, now: j.id, lambda j: j.id),
    Column(
        "eta",
        "est. finish",
        11,
        6,
        lambda j, now: fmt.ago(j.estimated_finish, now) if j.is_active and j.estimated_finish else fmt.MISSING,
        lambda j: j.estimated_finish or 0,
        ticking=True,
    ),
)
SORTABLE = ("created", "status", "name", "base", "progress", "elapsed", "tokens")


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


class JobsScreen(SectionScreen):
    """Every job, newest first."""

    SECTION = "jobs"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="jobs.filter", tooltip="Filter as you type across all columns"),
        Binding(
            "s", "cycle_status", "Status", id="jobs.status", tooltip="Show all, active, succeeded, failed, cancelled"
        ),
        Binding("o", "cycle_sort", "Sort", id="jobs.sort", tooltip="Sort by the next column"),
        Binding("O", "reverse_sort", "Reverse", show=False, id="jobs.reverse", tooltip="Reverse the sort order"),
        # priority: the table's own (hidden) enter would hide "Open" from the footer; from the
        # filter box, enter opens the job under the cursor, like a fuzzy finder.
        Binding(
            "enter", "open", "Open", priority=True, id="jobs.open", tooltip="Open the job: events, chart, checkpoints"
        ),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="jobs.clear"),
        Binding("n", "new_job", "New job", id="jobs.new", tooltip="Start a fine-tuning job: file, model, cost, create"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.jobs: list[Job] = []
        self._haystacks: dict[str, str] = {}
        self.text_filter = ""
        self.status_filter = "all"
        self.sort_key = "created"
        self.sort_reverse = True
        self._columns: tuple[Column, ...] = ()
        self._shown_ids: list[str] = []
        self._loaded = False

    def body(self) -> ComposeResult:
        with Horizontal(id="jobs-bar", classes="bar"):
            yield Input(placeholder="filter jobs…", id="jobs-filter", classes="filter")
            yield Static(id="jobs-summary", classes="summary")
        table: DataTable[str | Text] = DataTable(id="jobs-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static(id="jobs-empty", classes="empty")

    def on_mount(self) -> None:
        self.query_one("#jobs-filter", Input).display = False
        self.query_one("#jobs-table", DataTable).focus()
        self.set_interval(1.0, self._tick)

    # -- loading -------------------------------------------------------------------------

    def reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="jobs-load", exit_on_error=False, description="reading jobs")
    def _load(self) -> None:
        jobs = self.backend.cache.jobs()
        self.app.call_from_thread(self._show_jobs, jobs)

    def _show_jobs(self, jobs: list[Job]) -> None:
        self.jobs = jobs
        self._haystacks = {job.id: haystack(job) for job in jobs}
        self._loaded = True
        self._refresh_table()

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
        rows.sort(key=column.sort, reverse=self.sort_reverse)
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
        table = self.query_one("#jobs-table", DataTable)
        columns = self._fitting_columns()
        rows = self.visible_jobs()
        cursor_id = self._cursor_job_id()
        now = self.finetop.now()
        if columns != self._columns:
            table.clear(columns=True)
            for column in columns:
                label = Text(column.label, justify="right" if column.right else "left")
                table.add_column(label, key=column.key, width=column.width)
            self._columns = columns
        else:
            table.clear()
        for job in rows:
            table.add_row(*(self._cell(column, job, now) for column in columns), key=job.id)
        self._shown_ids = [job.id for job in rows]
        if cursor_id in self._shown_ids:
            table.move_cursor(row=self._shown_ids.index(cursor_id), animate=False)
        self._update_summary(len(rows))

    @staticmethod
    def _cell(column: Column, job: Job, now: float) -> str | Text:
        value = column.cell(job, now)
        return Text(value, justify="right") if column.right and isinstance(value, str) else value

    def _update_summary(self, shown: int) -> None:
        parts = [f"{shown:,}" + (f" of {len(self.jobs):,}" if shown != len(self.jobs) else "") + " jobs"]
        if self.status_filter != "all":
            parts.append(f"status: {self.status_filter}")
        if self.text_filter:
            parts.append(f"filter: {self.text_filter}")
        arrow = "↓" if self.sort_reverse else "↑"
        parts.append(f"sort: {self.sort_key} {arrow}")
        self.query_one("#jobs-summary", Static).update(" · ".join(parts))
        empty = self.query_one("#jobs-empty", Static)
        table = self.query_one("#jobs-table", DataTable)
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
                    "No jobs yet.\nfinetop syncs in the background; press ctrl+r to sync now, "
                    "or run `finetop create` to start one."
                )
            else:
                empty.update("No jobs match. Press escape to clear the filter, s to change the status filter.")

    def _cursor_job_id(self) -> str | None:
        table = self.query_one("#jobs-table", DataTable)
        if not self._shown_ids or table.cursor_row is None or table.cursor_row >= len(self._shown_ids):
            return None
        return self._shown_ids[table.cursor_row]

    def _tick(self) -> None:
        """Redraw the cells that move with time (elapsed, ages) for active jobs only."""
        if not self._columns or not self.is_current:
            return
        table = self.query_one("#jobs-table", DataTable)
        now = self.finetop.now()
        ticking = [c for c in self._columns if c.ticking]
        by_id = {job.id: job for job in self.jobs}
        for job_id in self._shown_ids:
            job = by_id.get(job_id)
            if job is None or not job.is_active:
                continue
            for column in ticking:
                table.update_cell(job_id, column.key, self._cell(column, job, now))

    def on_resize(self) -> None:
        if self._loaded and self._fitting_columns() != self._columns:
            self._refresh_table()

    # -- actions -------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#jobs-filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#jobs-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.text_filter = event.value.strip()
        self._refresh_table()

    @on(Input.Submitted, "#jobs-filter")
    def _filter_done(self) -> None:
        self.query_one("#jobs-table", DataTable).focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#jobs-filter", Input)
        if box.value or box.display:
            box.value = ""
            box.display = False
            self.text_filter = ""
            self._refresh_table()
        self.query_one("#jobs-table", DataTable).focus()

    def action_cycle_status(self) -> None:
        names = list(STATUS_FILTERS)
        self.status_filter = names[(names.index(self.status_filter) + 1) % len(names)]
        self._refresh_table()

    def action_cycle_sort(self) -> None:
        position = SORTABLE.index(self.sort_key) + 1 if self.sort_key in SORTABLE else 0
        self.sort_key = SORTABLE[position % len(SORTABLE)]
        self.sort_reverse = self.sort_key in ("created", "progress", "elapsed", "tokens")
        self._refresh_table()

    def action_reverse_sort(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self._refresh_table()

    @on(DataTable.HeaderSelected, "#jobs-table")
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key == self.sort_key:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_key = key
            self.sort_reverse = key in ("created", "progress", "elapsed", "tokens")
        self._refresh_table()

    @on(DataTable.RowSelected, "#jobs-table")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        self.open_job(str(event.row_key.value))

    def action_open(self) -> None:
        job_id = self._cursor_job_id()
        if job_id:
            self.open_job(job_id)

    def open_job(self, job_id: str) -> None:
        from tui.screens.job import JobScreen

        self.app.push_screen(JobScreen(job_id))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "new_job" and self.finetop.offline_mode:
            return None  # creating needs the network: greyed out under --offline
        return True

    def action_new_job(self) -> None:
        from tui.screens.new_job import NewJobScreen

        self.app.push_screen(NewJobScreen())
