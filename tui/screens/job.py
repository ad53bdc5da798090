"""One job: a live event log and loss chart, the overview, checkpoints, result metrics, and its actions."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import ContentSwitcher, DataTable, Static

from store.cache import TrainingEstimate
from store.errors import FinetopError, NotCachedError
from store.metrics import CHART_POINTS, parse_result_file, series_from_events
from store.newjob import estimate_error, training_estimate
from store.pricing import Cost
from store.spend_report import training_cost_for
from store.types import Checkpoint, Job, JobEvent, MetricSeries
from tui import format as fmt
from tui.job_actions import run_job_action
from tui.messages import CacheUpdated
from tui.screens.base import FinetopScreen
from tui.widgets.app_header import AppHeader
from tui.widgets.event_log import EventLog
from tui.widgets.footer import KeysFooter
from tui.widgets.loss_chart import LossChart
from tui.widgets.row_table import RowTable, TableColumn

EVENTS_SHOWN = 1000  # the newest events loaded on open; older ones load as the user scrolls up
FIRST_FRAME_EVENTS = 100  # more than the tallest log shows: read on the UI thread for the first frame
VIEWS = {"live": "Live", "overview": "Overview", "checkpoints": "Checkpoints", "results": "Results"}


@dataclass
class LiveView:
    """What the Live tab shows (the tab a job opens on): a first screenful read on the UI thread, then the rest
    on a worker thread."""

    job: Job
    events: list[JobEvent] = field(default_factory=list)
    has_older: bool = False
    series: MetricSeries | None = None  # None: the chart on screen stays as it is


@dataclass
class DetailsView:
    """What the other tabs show, read when one of them is first opened (never on the way to the Live tab)."""

    job: Job
    checkpoints: list[Checkpoint] = field(default_factory=list)
    results: MetricSeries | None = None
    file_names: dict[str, str] = field(default_factory=dict)
    training_cost: Cost | None = None
    training_cost_problem: str = ""  # why there is no figure (a malformed prices.csv)
    estimate: TrainingEstimate | None = None  # preflight's token estimate, once the job has succeeded


class JobScreen(FinetopScreen):
    """A job in detail; follows it live while it runs."""

    CSS_PATH = "job.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "back", "Back", id="job.back", tooltip="Back to the jobs list"),
        Binding("c", "cancel_job", "Cancel", id="job.cancel", tooltip="Cancel this job (asks first)"),
        Binding("p", "pause_job", "Pause", id="job.pause", tooltip="Pause this running job"),
        Binding("r", "resume_job", "Resume", id="job.resume", tooltip="Resume this paused job"),
        Binding("y", "copy_model", "Copy name", id="job.copy", tooltip="Copy the fine-tuned model's name"),
        Binding("t", "open_training_file", "Data", id="job.training_file", tooltip="Preview the training file"),
        Binding("R", "rerun", "Rerun", id="job.rerun", tooltip="Start a new job from this one's configuration"),
        Binding("v", "next_view", "Views", id="job.views", tooltip="Live, overview, checkpoints, results in turn"),
        Binding("V", "previous_view", "Previous view", show=False, id="job.views_back", tooltip="The views backwards"),
        Binding(
            "a",
            "toggle_accuracy",
            "Accuracy",
            show=False,
            id="job.accuracy",
            tooltip="Chart token accuracy instead of loss",
        ),
    ]

    def __init__(self, job_id: str, job: Job | None = None) -> None:
        """`job`, when the caller has it, makes the title and footer right from the first frame."""
        super().__init__()
        self.job_id = job_id
        self.job: Job | None = job
        self._details: DetailsView | None = None  # read when a detail tab is first shown, again when the job changes
        self._live_shown = False

    def compose(self) -> ComposeResult:
        # Only the Live view is built now; the others when first shown: opening a job stays quick.
        yield AppHeader("jobs")
        yield Static(id="job-title")
        yield Static(id="job-views-bar")
        with ContentSwitcher(id="job-views", initial="live"), Vertical(id="live"):
            yield LossChart(id="job-chart")
            yield EventLog(id="job-events", utc=self.finetop.utc)
        yield KeysFooter()

    @property
    def view(self) -> str:
        """The view on screen: live, overview, checkpoints or results."""
        return self.query_one("#job-views", ContentSwitcher).current or "live"

    def show_view(self, name: str) -> None:
        switcher = self.query_one("#job-views", ContentSwitcher)
        if not self._built(name):
            switcher.mount(self._build_view(name))
        switcher.current = name
        self._render_views_bar()
        # After the next refresh a newly built view's widgets exist: then fill it, and let focus follow
        # the view (keys, and the footer, belong to what is on screen).
        self.call_after_refresh(self._fill_tab, name)
        self.call_after_refresh(self._focus_view, name)

    def _focus_view(self, name: str) -> None:
        view = self.query_one(f"#job-views > #{name}")
        target = view if view.can_focus else next((w for w in view.query("*") if w.can_focus and w.display), None)
        if target is not None:
            target.focus()

    @staticmethod
    def _build_view(name: str):
        if name == "overview":
            return VerticalScroll(Static(id="job-overview"), id="overview")
        if name == "checkpoints":
            return Vertical(
                DataTable(id="job-checkpoints", cursor_type="row", zebra_stripes=True),
                Static(
                    "No checkpoints (they appear at the end of each epoch).",
                    id="job-checkpoints-empty",
                    classes="empty",
                ),
                id="checkpoints",
            )
        return Vertical(Static(id="job-results-summary"), RowTable(id="job-results"), id="results")

    def _built(self, name: str) -> bool:
        return any(child.id == name for child in self.query_one("#job-views", ContentSwitcher).children)

    def action_show_view(self, name: str) -> None:
        self.show_view(name)

    def action_next_view(self) -> None:
        names = list(VIEWS)
        self.show_view(names[(names.index(self.view) + 1) % len(names)])

    def action_previous_view(self) -> None:
        names = list(VIEWS)
        self.show_view(names[(names.index(self.view) - 1) % len(names)])

    def _render_views_bar(self) -> None:
        labels = [
            f"[b reverse] {label} [/]" if name == self.view else f"[@click=screen.show_view('{name}')] {label} [/]"
            for name, label in VIEWS.items()
        ]
        self.query_one("#job-views-bar", Static).update(" " + " ".join(labels) + "   [dim]v: next view[/]")

    def on_mount(self) -> None:
        self._render_views_bar()
        self._render_title()
        self.set_interval(1.0, self._render_title)
        has_chart = self._show_first_frame()
        self._load(chart=not has_chart)

    def _show_first_frame(self) -> bool:
        """The job's newest events and, when the cache keeps it ready, its chart, read here on the UI
        thread (milliseconds) so that they are in the screen's first frame, as the jobs list does; the
        worker reads the rest. Returns whether the chart was shown."""
        cache = self.backend.cache
        try:
            job = cache.job(self.job_id)
            events = cache.events(job.id, limit=FIRST_FRAME_EVENTS)
            series = cache.ready_chart(job.id, points=CHART_POINTS)
        except FinetopError:
            return False  # the worker tries again, and a failure there reaches the app's error funnel
        self._show(LiveView(job=job, events=events, has_older=len(events) == FIRST_FRAME_EVENTS, series=series))
        return series is not None

    # -- loading -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="job-load", exit_on_error=False, description="reading the job")
    def _load(self, chart: bool = True) -> None:
        cache = self.backend.cache
        try:
            job = cache.job(self.job_id)
        except NotCachedError as error:
            self.app.call_from_thread(self.app.notify, error.message, severity="error")
            self.app.call_from_thread(self.dismiss)
            return
        events = cache.events(job.id, limit=EVENTS_SHOWN)
        view = LiveView(
            job=job,
            events=events,
            has_older=bool(events) and cache.has_events_before(job.id, events[0].id),
            series=cache.chart_series(job.id, points=CHART_POINTS) if chart else None,
        )
        self.app.call_from_thread(self._show, view)

    @work(thread=True, exclusive=True, group="job-details", exit_on_error=False, description="reading the job")
    def _load_details(self) -> None:
        cache = self.backend.cache
        job = cache.job(self.job_id)
        view = DetailsView(
            job=job,
            checkpoints=cache.checkpoints(job.id),
            results=self._results(job),
            file_names=self._file_names(job),
        )
        try:
            view.training_cost = training_cost_for(cache, job, now=int(self.finetop.now()))
        except FinetopError as error:  # the user's prices.csv: say so on the line, keep the job readable
            view.training_cost_problem = str(error)
        if job.status == "succeeded" and job.trained_tokens is not None:
            # Saved when finetop created the job, else counted once from the archived training file.
            view.estimate = training_estimate(cache, job)
        self.app.call_from_thread(self._show_details, view)

    def _results(self, job: Job) -> MetricSeries | None:
        for file_id in job.result_files:
            archived = self.backend.cache.content(file_id)
            if archived is not None and archived.path.exists():
                return parse_result_file(archived.path.read_bytes())
        return None

    def _file_names(self, job: Job) -> dict[str, str]:
        names = {}
        for file_id in filter(None, (job.training_file, job.validation_file)):
            with contextlib.suppress(NotCachedError):
                names[file_id] = self.backend.cache.file(file_id).filename
        return names

    def _show(self, view: LiveView) -> None:
        status_changed = self.job is None or view.job.status != self.job.status
        first = not self._live_shown
        self._live_shown = True
        self.job = view.job
        self.query_one("#job-events", EventLog).set_events(view.events, has_older=view.has_older)
        if view.series is not None:
            self.query_one("#job-chart", LossChart).update(view.series)
        self._render_title()
        if status_changed:
            self.refresh_bindings()  # rebuilds the footer: only when the job's actions may have changed
        if status_changed or first:
            self._details = None  # a new status changes the overview, checkpoints and results
            self._fill_tab(self.view)

    def _fill_tab(self, tab: str) -> None:
        if tab == "live" or self.job is None:
            return
        if self._details is None:
            self._load_details()
        else:
            self._show_details(self._details)

    def _show_details(self, view: DetailsView) -> None:
        self._details = view
        if self._built("overview"):
            self._show_overview(view)
        if self._built("checkpoints"):
            self._show_checkpoints(view.checkpoints)
        if self._built("results"):
            self._show_results(view.results)

    @on(CacheUpdated)
    def _cache_updated(self, message: CacheUpdated) -> None:
        if self.job is not None and (not message.job_ids or self.job_id in message.job_ids):
            self._load_new()

    @work(thread=True, exclusive=True, group="job-load", exit_on_error=False, description="reading new events")
    def _load_new(self) -> None:
        cache = self.backend.cache
        log = self.query_one("#job-events", EventLog)
        newest = log.events[-1].id if log.events else None
        job = cache.job(self.job_id)
        try:
            fresh = cache.events_after(self.job_id, newest)
        except NotCachedError:  # our newest event vanished: reload everything
            fresh = None
        if fresh is None or job.status != (self.job.status if self.job else None):
            self.app.call_from_thread(self._load)
            return
        self.app.call_from_thread(self._show_new, job, fresh)

    def _show_new(self, job: Job, fresh: list[JobEvent]) -> None:
        self.job = job
        if fresh:
            self.query_one("#job-events", EventLog).append(fresh)
            self.query_one("#job-chart", LossChart).append(series_from_events(fresh))
            tab = self.view
            if tab != "live":  # a detail tab on screen: its checkpoints or figures may have moved
                self._details = None
                self._fill_tab(tab)
        self._render_title()

    @on(EventLog.OlderRequested, "#job-events")
    def _older_requested(self, message: EventLog.OlderRequested) -> None:
        self._load_older(message.oldest.id if message.oldest else None)

    @work(thread=True, group="job-older", exit_on_error=False, description="reading older events")
    def _load_older(self, before_id: str | None) -> None:
        older = self.backend.cache.events(self.job_id, limit=EVENTS_SHOWN, before_id=before_id)
        has_older = len(older) == EVENTS_SHOWN
        self.app.call_from_thread(self.query_one("#job-events", EventLog).prepend, older, has_older=has_older)

    # -- rendering -----------------------------------------------------------------------

    def _render_title(self) -> None:
        job = self.job
        if job is None:
            self.query_one("#job-title", Static).update(Text(f" {self.job_id}", style="dim"))
            return
        now = self.finetop.now()
        name = job.fine_tuned_model or (f"suffix {job.suffix}" if job.suffix else job.id)
        parts = [fmt.status_text(job.status), Text(name, style="bold")]
        if job.step is not None and job.is_active:
            parts.append(Text(f"step {fmt.progress(job.step, job.total_steps)}"))
        start = job.started_at or job.created_at
        if job.finished_at:
            parts.append(Text("took " + fmt.duration(job.finished_at - start), style="dim"))
        elif job.is_active:
            parts.append(Text("elapsed " + fmt.duration(now - start), style="dim"))
        if job.trained_tokens is not None:
            parts.append(Text(f"{fmt.token_count(job.trained_tokens)} tokens", style="dim"))
        # The full model name is in the overview: here it gives way so that the rest of the line fits.
        room = self.size.width - 2 - sum(len(part) + 5 for part in parts if part is not parts[1])
        if len(name) > room:
            parts[1] = Text(fmt.short_model(name, max(room, 16)), style="bold")
        self.query_one("#job-title", Static).update(Text.assemble(" ", Text("  ·  ").join(parts)))

    def _show_overview(self, view: DetailsView) -> None:
        job = view.job
        now = self.finetop.now()
        utc = self.finetop.utc
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")

        def when(ts: int | None) -> str:
            return fmt.MISSING if ts is None else f"{fmt.timestamp(ts, utc=utc)}  ({fmt.ago(ts, now)})"

        def file_cell(file_id: str | None) -> str:
            if not file_id:
                return fmt.MISSING
            name = view.file_names.get(file_id)
            return f"{name}  ({file_id})" if name else file_id

        rows: list[tuple[str, str | Text]] = [
            ("job", job.id),
            ("status", fmt.status_text(job.status)),
            ("fine-tuned model", job.fine_tuned_model or fmt.MISSING),
            ("base model", job.model),
            ("method", job.method),
            ("training file", file_cell(job.training_file)),
            ("validation file", file_cell(job.validation_file)),
            ("suffix", job.suffix or fmt.MISSING),
            ("seed", fmt.MISSING if job.seed is None else str(job.seed)),
        ]
        for key, value in sorted(job.hyperparameters.items()):
            rows.append((key.replace("_", " "), str(value)))
        rows += [
            ("created", when(job.created_at)),
            ("started", when(job.started_at)),
            ("finished", when(job.finished_at)),
            ("estimated finish", expected_finish_text(job, now, when)),
            ("trained tokens", trained_tokens_text(job, view.estimate)),
            ("training cost", training_cost_text(job, view.training_cost, view.training_cost_problem)),
        ]
        for key, value in sorted(job.metadata.items()):
            rows.append((f"metadata {key}", value))
        if job.organization_id:
            rows.append(("organization", job.organization_id))
        for key, value in rows:
            grid.add_row(key, value)
        if job.error:
            # Why it failed comes first: it is what the user opened a failed job to read.
            error = Text.assemble(
                (job.error.code, "bold red"),
                (f"  (param {job.error.param})" if job.error.param else "", "red"),
                ("\n" + job.error.message + "\n", ""),
            )
            self.query_one("#job-overview", Static).update(Group(error, grid))
        else:
            self.query_one("#job-overview", Static).update(grid)

    def _show_checkpoints(self, checkpoints: list[Checkpoint]) -> None:
        table = self.query_one("#job-checkpoints", DataTable)
        table.clear(columns=True)
        self.query_one("#job-checkpoints-empty", Static).display = not checkpoints
        table.display = bool(checkpoints)
        if not checkpoints:
            return
        names = sorted({k for c in checkpoints for k in c.metrics if k != "step"})
        table.add_column("step", key="step")
        table.add_column("model", key="model")
        for name in names:
            table.add_column(name.replace("_", " "), key=name)
        for ckpt in checkpoints:
            table.add_row(
                str(ckpt.step_number),
                fmt.short_model(ckpt.model),
                *(fmt.number(ckpt.metrics.get(name)) for name in names),
                key=ckpt.id,
            )

    def _show_results(self, results: MetricSeries | None) -> None:
        summary = self.query_one("#job-results-summary", Static)
        table = self.query_one("#job-results", RowTable)
        if results is None or not results.steps:
            job = self.job
            summary.update(
                "The result file appears when the job succeeds."
                if job is None or job.status != "succeeded"
                else "The result file is not archived yet; it is fetched on the next sync."
            )
            table.display = False
            return
        table.display = True
        names = results.present()
        last = {name: next((v for v in reversed(results.values[name]) if v is not None), None) for name in names}
        summary.update(
            f"{len(results.steps):,} steps from the result file · final "
            + ", ".join(f"{name.replace('_', ' ')} {fmt.number(value)}" for name, value in last.items())
        )
        table.set_columns(
            [TableColumn("step", "step", 7, right=True)]
            + [TableColumn(name, name.replace("_", " "), max(9, len(name)), right=True) for name in names]
        )

        def cells(key: str) -> list[str]:
            index = int(key)
            return [str(results.steps[index]), *(fmt.number(results.values[name][index]) for name in names)]

        # Rows are formatted as they scroll into view: a 100,000-step result file opens at once.
        table.set_rows((str(index) for index in range(len(results.steps))), cells)

    # -- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        job = self.job
        offline = self.offline
        rules = {
            "cancel_job": job is not None and job.is_active and not offline,
            "pause_job": job is not None and job.status == "running" and not offline,
            "resume_job": job is not None and job.status == "paused" and not offline,
            "copy_model": job is not None and bool(job.fine_tuned_model),
            "open_training_file": job is not None and bool(job.training_file),
            "rerun": job is not None and job.is_terminal and not offline,  # ended jobs (a short footer while running)
        }
        if action in rules:
            return rules[action]  # actions that do not apply leave the footer (the help lists them all)
        return True

    def action_back(self) -> None:
        self.dismiss()

    def action_toggle_accuracy(self) -> None:
        self.query_one("#job-chart", LossChart).action_toggle_accuracy()

    def action_copy_model(self) -> None:
        if self.job and self.job.fine_tuned_model:
            self.app.copy_to_clipboard(self.job.fine_tuned_model)
            self.notify(self.job.fine_tuned_model, title="Copied the model name")

    def action_open_training_file(self) -> None:
        if self.job:
            from tui.screens.file_preview import FilePreviewScreen

            self.app.push_screen(FilePreviewScreen(self.job.training_file))

    def action_rerun(self) -> None:
        if self.job is not None:
            from tui.screens.new_job import NewJobScreen

            self.app.push_screen(NewJobScreen(rerun=self.job))

    def action_cancel_job(self) -> None:
        self._act("cancel")

    def action_pause_job(self) -> None:
        self._act("pause")

    def action_resume_job(self) -> None:
        self._act("resume")

    def _act(self, verb: str) -> None:
        if self.job is not None:
            run_job_action(self.app, self.job, verb)  # type: ignore[arg-type]


def trained_tokens_text(job: Job, estimate: TrainingEstimate | None) -> Text:
    """ "86,120 (estimate 85,900, −0.3%)": the billed tokens beside preflight's estimate and its error."""
    text = Text(fmt.token_count(job.trained_tokens))
    if estimate is None or not job.trained_tokens:
        return text
    error = estimate_error(estimate.estimated_tokens, job.trained_tokens) or 0.0
    text.append(f" (estimate {estimate.estimated_tokens:,}, {error * 100:+.1f}%)".replace("-", "−"), style="dim")
    return text


def training_cost_text(job: Job, cost: Cost | None, problem: str = "") -> Text:
    """The training cost line of the overview: the figure (≈ estimate while running, final on success),
    then on a second line the formula and the price row that made it, or why there is no figure."""
    if cost is None:
        return Text(problem or fmt.MISSING, style="red" if problem else "dim")
    text = Text()
    if cost.amount is None:
        text.append("unknown" if cost.missing == "quantity" else "no price", style="yellow")
    elif cost.estimate:
        text.append(f"{cost.label()} estimate", style="bold yellow")  # the note says the real figure replaces it
    elif cost.upper_bound:
        text.append(f"{cost.label()} upper bound", style="bold yellow")
    else:
        text.append(cost.label(), style="bold")
        if job.is_active:
            text.append("  (so far)", style="dim")
    working = cost.formula() if cost.row is not None else ""
    if cost.row is not None:
        working += f" · {cost.row.model} {cost.row.kind.replace('_', ' ')} price from {cost.row.effective_from}"
    for part in (working, cost.note):
        if part:
            text.append("\n" + part, style="dim")
    if cost.amount is None and job.is_active and job.method != "reinforcement":
        text.append(
            "\nArchive the training file (`finetop archive --with-contents`) for an estimate from its tokens.",
            style="dim",
        )
    if cost.missing == "price":
        text.append("\nAdd a row for this model to prices.csv in finetop's config folder (see `finetop prices`).")
    return text


def expected_finish_text(job: Job, now: float, when: Callable[[int | None], str]) -> str:
    """The API's estimate as it is; one made from the job's pace says so."""
    expected = job.expected_finish(now)
    if expected is None or expected == job.estimated_finish:
        return when(expected)
    return f"{when(expected)}  from its pace so far"
