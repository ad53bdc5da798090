"""NewJobScreen: a form to start a fine-tuning job (or rerun one) with the preflight report and the cost beside it.

The training file is a cached file or a local path (typed, or picked in FilePickerScreen). A local
path is checked in a worker as soon as it is chosen (and again when the model, method or epochs
change); the report, the estimated cost and its price row show on the same screen. Create is
greyed out while a field is invalid or the file has errors (unless "create anyway" is ticked),
asks for confirmation with the cost, uploads local files with a progress bar (cancellable, on
the server too), creates the job and opens it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Checkbox,
    DirectoryTree,
    Input,
    Label,
    ProgressBar,
    RadioButton,
    RadioSet,
    Select,
    Static,
)
from textual.worker import get_current_worker

from store.dataset import PreflightReport, check_file
from store.dataset.models import DEFAULT_MODEL
from store.dataset.report import plural
from store.errors import ApiError, FinetopError
from store.newjob import (
    RANGES,
    BaseModelChoice,
    CostEstimate,
    InvalidJobOption,
    JobOptions,
    base_model_choices,
    build_request,
    check_seed,
    check_suffix,
    estimate_from_report,
    explain_refusal,
    options_from_job,
    parse_metadata,
    problems,
    wait_until_processed,
)
from store.pricing import base_model_of
from store.types import METHODS, Job, RemoteFile
from store.upload import UploadCancelled, UploadError, UploadProgress
from tui import format as fmt
from tui.messages import CacheUpdated
from tui.screens.base import FinetopScreen
from tui.widgets.app_header import AppHeader
from tui.widgets.confirm import ConfirmScreen
from tui.widgets.error import ErrorScreen
from tui.widgets.footer import KeysFooter

NARROW_BELOW = 110  # columns: below this the report goes under the form instead of beside it
PREFLIGHT_DELAY = 0.6  # seconds of quiet typing before a path is checked again
HYPER_FIELDS = ("n_epochs", "batch_size", "learning_rate_multiplier", "beta")
METHOD_LABELS = {"supervised": "supervised", "dpo": "DPO", "reinforcement": "reinforcement"}
FIELD_LABELS = {
    "n_epochs": "Epochs",
    "batch_size": "Batch size",
    "learning_rate_multiplier": "LR mult.",
    "beta": "Beta",
}
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow"}


@dataclass(frozen=True)
class FileSource:
    """A training or validation file as chosen in the form: a local path, or a cached file id."""

    label: str  # what the user chose, as they would recognise it
    path: Path | None = None  # a local file (checked, then uploaded on create)
    file_id: str | None = None  # a file already on the server
    check_path: Path | None = None  # what preflight reads: the local file, or the archived copy of file_id


@dataclass(frozen=True)
class Preflight:
    """The result of checking the chosen files (None for a file that cannot be read here, with why)."""

    training: PreflightReport | None
    validation: PreflightReport | None
    training_note: str = ""
    validation_note: str = ""

    @property
    def errors(self) -> int:
        return sum(r.error_count for r in (self.training, self.validation) if r is not None)


class _Stale(Exception):
    """A newer check replaced this one: stop reading the file."""


# ---------------------------------------------------------------------------------------------


class FilePickerScreen(ModalScreen[Path | None]):
    """Pick a local .jsonl file from a folder tree (or type its path); Escape cancels."""

    CSS_PATH = "new_job.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel", tooltip="Close without choosing"),
    ]

    def __init__(self, start: Path) -> None:
        super().__init__()
        self.start = start

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-dialog"):
            yield Static("Choose a .jsonl file", id="picker-title")
            yield JsonlTree(self.start, id="picker-tree")
            yield Input(placeholder="or type a path and press enter", id="picker-path")
            with Horizontal(id="picker-buttons"):
                yield Button("Cancel (esc)", id="picker-cancel")

    def on_mount(self) -> None:
        self.query_one("#picker-tree", DirectoryTree).focus()

    @on(DirectoryTree.FileSelected, "#picker-tree")
    def _file_chosen(self, event: DirectoryTree.FileSelected) -> None:
        self.dismiss(Path(event.path))

    @on(Input.Submitted, "#picker-path")
    def _typed(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(Path(event.value.strip()).expanduser())

    @on(Button.Pressed, "#picker-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class JsonlTree(DirectoryTree):
    """Folders and JSON Lines files only, hidden ones left out."""

    def filter_paths(self, paths):
        return [p for p in paths if not p.name.startswith(".") and (p.is_dir() or p.suffix.lower() == ".jsonl")]


# ---------------------------------------------------------------------------------------------


class NewJobScreen(FinetopScreen):
    """The new-job form; `rerun` prefills it from an existing job."""

    CSS_PATH = "new_job.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="newjob.back", tooltip="Leave the form (nothing is created)"),
        Binding("ctrl+s", "create", "Create", id="newjob.create", tooltip="Create the job (asks first, with the cost)"),
        Binding("ctrl+o", "browse", "Browse", id="newjob.browse", tooltip="Pick the training file from a folder tree"),
    ]

    def __init__(self, rerun: Job | None = None) -> None:
        super().__init__()
        self.rerun = rerun
        self.base: JobOptions | None = options_from_job(rerun) if rerun is not None else None
        self.preflight: Preflight | None = None
        self.checking = False
        self.submitting = False
        self.cancel_requested = False
        self.field_problems: dict[str, str] = {}
        self.choices: list[BaseModelChoice] = []
        self.cached_files: list[RemoteFile] = []
        self.archived: dict[str, Path] = {}  # cached file id -> its archived contents
        self._check_timer = None
        self._check_serial = 0

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield AppHeader("jobs")
        with Horizontal(id="newjob-titlebar"):
            yield Static(self._title(), id="newjob-title")
            yield Static(id="newjob-verdict")
        with VerticalScroll(id="newjob-body"), Horizontal(id="newjob-columns"):
            with Vertical(id="newjob-form"):
                with Horizontal(classes="newjob-row"):
                    yield Label("Training file", classes="newjob-key")
                    yield Select[str]([], prompt="a cached file…", id="newjob-train-cached", compact=True)
                with Horizontal(classes="newjob-row"):
                    yield Label("  or local file", classes="newjob-key newjob-or")
                    yield Input(placeholder="path to a .jsonl file", id="newjob-train-path", compact=True)
                    yield Button("Browse", id="newjob-train-browse", compact=True)
                with Horizontal(classes="newjob-row newjob-group"):
                    yield Label("Validation file", classes="newjob-key")
                    yield Select[str]([], prompt="none (optional)", id="newjob-valid-cached", compact=True)
                with Horizontal(classes="newjob-row"):
                    yield Label("  or local file", classes="newjob-key newjob-or")
                    yield Input(placeholder="path to a .jsonl file", id="newjob-valid-path", compact=True)
                    yield Button("Browse", id="newjob-valid-browse", compact=True)
                with Horizontal(classes="newjob-row newjob-group"):
                    yield Label("Base model", classes="newjob-key")
                    yield Select[str]([], prompt="choose a base model", id="newjob-model", compact=True)
                yield Static(id="newjob-model-note", classes="newjob-note")
                with Horizontal(classes="newjob-row newjob-group"):
                    yield Label("Method", classes="newjob-key")
                    with RadioSet(id="newjob-method", compact=True):
                        for method in METHODS:
                            yield RadioButton(
                                METHOD_LABELS[method], value=method == "supervised", id=f"method-{method}"
                            )
                for index, name in enumerate(HYPER_FIELDS):
                    group = " newjob-group" if index == 0 else ""
                    with Horizontal(classes=f"newjob-row{group}", id=f"row-{name}"):
                        yield Label(f"{FIELD_LABELS[name]} ({RANGES[name].short()})", classes="newjob-key")
                        yield Input(placeholder="auto", id=f"newjob-{name}", compact=True)
                with Horizontal(classes="newjob-row newjob-group"):
                    yield Label("Suffix (≤64 chars)", classes="newjob-key")
                    yield Input(placeholder="none (A-Z a-z 0-9 - _)", id="newjob-suffix", max_length=64, compact=True)
                with Horizontal(classes="newjob-row"):
                    yield Label("Seed (0-2147483647)", classes="newjob-key")
                    yield Input(placeholder="random", id="newjob-seed", compact=True)
                with Horizontal(classes="newjob-row"):
                    yield Label("Metadata (k=v, …)", classes="newjob-key")
                    yield Input(placeholder="none (team=search, run=7)", id="newjob-metadata", compact=True)
                yield Static(id="newjob-problems", classes="newjob-note")
            with Vertical(id="newjob-side"):
                yield Static(id="newjob-report")
                yield ProgressBar(id="newjob-check-bar", show_eta=False)
                yield Checkbox("Create anyway", id="newjob-anyway")
                yield Static(id="newjob-upload-status")
                yield ProgressBar(id="newjob-upload-bar", show_eta=False)
                with Horizontal(id="newjob-buttons"):
                    yield Button("Cancel upload", id="newjob-cancel-upload", variant="warning")
                    yield Button("Back (esc)", id="newjob-back")
                    yield Button("Create… (ctrl+s)", id="newjob-create", variant="primary")
        yield KeysFooter()

    def _title(self) -> Text:
        if self.rerun is None:
            return Text.assemble(" ", ("New fine-tuning job", "bold"))
        name = f"  {self.rerun.suffix}" if self.rerun.suffix else ""
        return Text.assemble(" ", ("Rerun ", "bold"), (self.rerun.id, "bold"), (name, "dim"))

    def on_mount(self) -> None:
        for widget_id in ("#newjob-check-bar", "#newjob-anyway", "#newjob-upload-bar", "#newjob-cancel-upload"):
            self.query_one(widget_id).display = False
        self.query_one("#newjob-upload-status").display = False
        self._apply_width()
        self._prefill()
        self._show_method_fields(self._method())
        self.query_one("#newjob-train-cached", Select).focus()
        self._load()
        self._refresh_report()

    def on_resize(self) -> None:
        self._apply_width()

    def _apply_width(self) -> None:
        self.query_one("#newjob-columns").set_class(self.size.width < NARROW_BELOW, "narrow")

    def _today(self) -> date:
        return datetime.fromtimestamp(self.finetop.now(), UTC).date()

    # -- filling the form --------------------------------------------------------------------

    def _prefill(self) -> None:
        base = self.base
        if base is None:
            return
        method = base.method if base.method in METHODS else "supervised"
        self.query_one(f"#method-{method}", RadioButton).value = True
        for name in HYPER_FIELDS:
            value = base.hyperparameters.get(name)
            if value is not None and value != "auto":
                self.query_one(f"#newjob-{name}", Input).value = str(value)
        self.query_one("#newjob-suffix", Input).value = base.suffix or ""
        self.query_one("#newjob-seed", Input).value = "" if base.seed is None else str(base.seed)
        self.query_one("#newjob-metadata", Input).value = ", ".join(f"{k}={v}" for k, v in base.metadata.items())
        self._show_method_fields(method)

    @work(thread=True, exclusive=True, group="newjob-load", exit_on_error=False, description="reading the cache")
    def _load(self) -> None:
        cache = self.backend.cache
        files = cache.files(purpose="fine-tune")
        archived = {item.file_id: item.path for item in cache.contents() if item.path.exists()}
        choices = base_model_choices(self._today())
        self.app.call_from_thread(self._show_choices, files, archived, choices)

    def _show_choices(self, files: list[RemoteFile], archived: dict[str, Path], choices: list[BaseModelChoice]) -> None:
        self.cached_files = files
        self.archived = archived
        self.choices = choices
        options = [(f"{f.filename} · {fmt.human_size(f.bytes)} · {f.id}", f.id) for f in files]
        base = self.base
        for widget_id, wanted in (
            ("#newjob-train-cached", base.training_file if base else None),
            ("#newjob-valid-cached", base.validation_file if base else None),
        ):
            select = self.query_one(widget_id, Select)
            known = {f.id for f in files}
            extra = [(wanted, wanted)] if wanted and wanted not in known else []
            select.set_options(options + extra)
            if wanted:
                select.value = wanted
        trainable = [c for c in choices if c.trainable]
        model_select = self.query_one("#newjob-model", Select)
        model_select.set_options([(c.model, c.model) for c in trainable])
        wanted_model = base_model_of(base.model) if base else DEFAULT_MODEL
        values = [c.model for c in trainable]
        if wanted_model in values:
            model_select.value = wanted_model
        elif base is None and values:
            model_select.value = values[0]
        self._show_model_note()
        self._schedule_check(0)

    def _show_model_note(self) -> None:
        note = Text()
        model = self._value("#newjob-model")
        chosen = next((c for c in self.choices if c.model == model), None)
        if chosen is not None:
            note.append(f"{chosen.why}.", style="dim")
        elif not any(c.trainable for c in self.choices) and self.choices:
            note.append("No base model can be trained any more.", style="bold yellow")
        if self.base is not None and base_model_of(self.base.model) not in {
            c.model for c in self.choices if c.trainable
        }:
            note.append(f"\nThe job's base {self.base.model} can no longer be trained: pick another.", style="yellow")
        missing: dict[str, list[str]] = {}
        for choice in self.choices:
            if not choice.trainable:
                missing.setdefault(choice.why, []).append(choice.model)
        if missing:
            note.append("\nNot offered: ", style="dim")
            note.append("; ".join(f"{', '.join(models)} ({why})" for why, models in missing.items()), style="dim")
        self.query_one("#newjob-model-note", Static).update(note)

    # -- what the form says ------------------------------------------------------------------

    def _value(self, selector: str) -> str:
        widget = self.query_one(selector)
        if isinstance(widget, Select):
            value = widget.value
            return "" if value is Select.NULL or value is None else str(value)
        return widget.value.strip()  # type: ignore[attr-defined]

    def _method(self) -> str:
        pressed = self.query_one("#newjob-method", RadioSet).pressed_button
        return (pressed.id or "method-supervised").removeprefix("method-") if pressed else "supervised"

    def _source(self, role: str) -> FileSource | None:
        prefix = "train" if role == "training" else "valid"
        typed = self._value(f"#newjob-{prefix}-path")
        if typed:
            path = Path(typed).expanduser()
            return FileSource(label=typed, path=path, check_path=path)
        file_id = self._value(f"#newjob-{prefix}-cached")
        if not file_id:
            return None
        cached = next((f for f in self.cached_files if f.id == file_id), None)
        label = f"{cached.filename} ({file_id})" if cached else file_id
        return FileSource(label=label, file_id=file_id, check_path=self.archived.get(file_id))

    def _options(self) -> JobOptions:
        train = self._source("training")
        valid = self._source("validation")
        method = self._method()
        hyper = {name: self._value(f"#newjob-{name}") for name in HYPER_FIELDS if self._value(f"#newjob-{name}")}
        if method != "dpo":
            hyper.pop("beta", None)
        base = self.base
        carried = dict(base.hyperparameters) if base and base.method == method else {}
        for name in HYPER_FIELDS:
            carried.pop(name, None)  # the form's own fields say what these are
        settings = dict(base.method_settings) if base and base.method == method else {}
        return JobOptions(
            model=self._value("#newjob-model"),
            training_file=(train.file_id or str(train.path)) if train else "",
            validation_file=(valid.file_id or str(valid.path)) if valid else None,
            method=method,
            hyperparameters={**carried, **hyper},
            suffix=self._value("#newjob-suffix") or None,
            seed=self._value("#newjob-seed") or None,
            metadata=self._metadata_or_empty(),
            method_settings=settings,
        )

    def _metadata_or_empty(self) -> dict[str, str]:
        try:
            return parse_metadata(self._value("#newjob-metadata"))
        except InvalidJobOption:
            return {}

    def _validate_fields(self) -> None:
        """Check each field as it is typed; mark the invalid ones and say why under the form."""
        found: dict[str, str] = {}
        method = self._method()
        for name in HYPER_FIELDS:
            if name == "beta" and method != "dpo":
                continue
            try:
                RANGES[name].parse(self._value(f"#newjob-{name}"))
            except InvalidJobOption as problem:
                found[name] = problem.message
        for name, check in (("suffix", check_suffix), ("seed", check_seed), ("metadata", parse_metadata)):
            try:
                check(self._value(f"#newjob-{name}"))
            except InvalidJobOption as problem:
                found[name] = problem.message
        for problem in problems(self._options()):
            if problem.field in ("model", "method") and problem.field not in found:
                found[problem.field] = str(problem)
        for name in (*HYPER_FIELDS, "suffix", "seed", "metadata"):
            self.query_one(f"#newjob-{name}", Input).set_class(name in found, "-invalid")
        self.field_problems = found
        text = Text()
        for message in found.values():
            text.append(("\n" if text else "") + "✗ " + message, style="red")
        self.query_one("#newjob-problems", Static).update(text)
        self._update_create()

    def _show_method_fields(self, method: str) -> None:
        self.query_one("#row-beta").display = method == "dpo"

    def _update_create(self) -> None:
        preflight = self.preflight
        errors = preflight.errors if preflight is not None else 0
        anyway = self.query_one("#newjob-anyway", Checkbox)
        anyway.display = bool(errors)
        ready = (
            not self.field_problems
            and not self.checking
            and not self.submitting
            and self._source("training") is not None
            and bool(self._value("#newjob-model"))
            and (errors == 0 or anyway.value)
            and not self.offline
        )
        self.query_one("#newjob-create", Button).disabled = not ready
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "create":
            return True if not self.query_one("#newjob-create", Button).disabled else None
        return True

    # -- events from the form ------------------------------------------------------------------

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        field = (event.input.id or "").removeprefix("newjob-")
        if field in ("train-path", "valid-path"):
            if event.value.strip():
                # A typed path replaces a cached choice.
                self.query_one(f"#newjob-{field.split('-')[0]}-cached", Select).clear()
            self._schedule_check()
        elif field == "n_epochs":
            self._schedule_check()
        self._validate_fields()

    @on(Input.Submitted, "#newjob-train-path, #newjob-valid-path")
    def _path_submitted(self) -> None:
        self._schedule_check(0)

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        if event.select.id in ("newjob-train-cached", "newjob-valid-cached") and event.value is not Select.NULL:
            role = "train" if event.select.id == "newjob-train-cached" else "valid"
            self.query_one(f"#newjob-{role}-path", Input).value = ""
        if event.select.id == "newjob-model":
            self._show_model_note()
        self._schedule_check()
        self._validate_fields()

    @on(RadioSet.Changed, "#newjob-method")
    def _method_changed(self) -> None:
        self._show_method_fields(self._method())
        self._schedule_check()
        self._validate_fields()

    @on(Checkbox.Changed, "#newjob-anyway")
    def _anyway_changed(self) -> None:
        self._update_create()

    @on(Button.Pressed, "#newjob-train-browse")
    def action_browse(self) -> None:
        self._browse("train")

    @on(Button.Pressed, "#newjob-valid-browse")
    def _browse_validation(self) -> None:
        self._browse("valid")

    def _browse(self, role: str) -> None:
        typed = self._value(f"#newjob-{role}-path")
        start = Path(typed).expanduser().parent if typed else Path.cwd()

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.query_one(f"#newjob-{role}-path", Input).value = str(path)
                self._schedule_check(0)

        self.app.push_screen(FilePickerScreen(start if start.is_dir() else Path.cwd()), chosen)

    @on(Button.Pressed, "#newjob-back")
    def action_back(self) -> None:
        if self.submitting:
            self.notify("Cancel the upload first, or wait for the job to be created.", severity="warning")
            return
        self.dismiss()

    # -- preflight -----------------------------------------------------------------------------

    def _schedule_check(self, delay: float = PREFLIGHT_DELAY) -> None:
        if self._check_timer is not None:
            self._check_timer.stop()
        self._check_timer = self.set_timer(max(0.01, delay), self._start_check)

    def _start_check(self) -> None:
        self._check_timer = None
        train = self._source("training")
        valid = self._source("validation")
        model = self._value("#newjob-model")
        if train is None or not model:
            self.preflight = None
            self._refresh_report()
            return
        try:
            epochs = RANGES["n_epochs"].parse(self._value("#newjob-n_epochs"))
        except InvalidJobOption:
            return  # the field says what is wrong; check again when it is fixed
        self._check_serial += 1
        self.checking = True
        bar = self.query_one("#newjob-check-bar", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = train.check_path is not None
        self._update_create()
        self._check(
            self._check_serial, train, valid, model, self._method(), epochs if isinstance(epochs, int) else None
        )

    @work(thread=True, exclusive=True, group="newjob-check", exit_on_error=False, description="checking the file")
    def _check(
        self, serial: int, train: FileSource, valid: FileSource | None, model: str, method: str, epochs: int | None
    ) -> None:
        worker = get_current_worker()
        today = self._today()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            if worker.is_cancelled or serial != self._check_serial:
                raise _Stale
            now = time.monotonic()
            if now - last[0] >= 0.1 or done >= total:
                last[0] = now
                self.app.call_from_thread(self._check_progress, serial, done, total)

        def run(source: FileSource | None, role: str, n_epochs: int | None) -> tuple[PreflightReport | None, str]:
            if source is None:
                return None, ""
            if source.check_path is None:
                return None, (
                    f"The contents of {source.label} are not archived here, so finetop cannot check it or estimate "
                    "the cost. Archive it (`finetop archive --with-contents`) or choose the local file."
                )
            try:
                report = check_file(
                    source.check_path,
                    model=model,
                    method=method,
                    n_epochs=n_epochs,
                    role=role,  # type: ignore[arg-type]
                    on=today,
                    progress=progress,
                )
            except FinetopError as error:
                return None, str(error)
            return replace(report, path=source.label), ""

        try:
            training, training_note = run(train, "training", epochs)
            validation, validation_note = run(valid, "validation", None)
        except _Stale:
            return
        result = Preflight(training, validation, training_note, validation_note)
        self.app.call_from_thread(self._checked, serial, result)

    def _check_progress(self, serial: int, done: int, total: int) -> None:
        if serial == self._check_serial:
            self.query_one("#newjob-check-bar", ProgressBar).update(total=total, progress=done)

    def _checked(self, serial: int, result: Preflight) -> None:
        if serial != self._check_serial:
            return
        self.checking = False
        self.preflight = result
        self.query_one("#newjob-check-bar", ProgressBar).display = False
        self._refresh_report()
        self._validate_fields()

    def _refresh_report(self) -> None:
        self.query_one("#newjob-report", Static).update(self._report_renderable())
        self.query_one("#newjob-verdict", Static).update(self._verdict())
        self._update_create()

    def _verdict(self) -> Text:
        """One line in the title bar, so the verdict and the cost show even when the report is scrolled away."""
        if self.checking:
            return Text("checking the file… ", style="dim")
        result = self.preflight
        report = result.training if result is not None else None
        if report is None:
            return Text("not checked " if result is not None and result.training_note else "", style="yellow")
        text = Text()
        errors = result.errors if result is not None else 0
        if errors:
            text.append(f"✗ {plural(errors, 'error')}", style="bold red")
        elif report.warning_count:
            text.append(f"! {plural(report.warning_count, 'warning')}", style="bold yellow")
        else:
            text.append("✓ no problems", style="bold green")
        estimate = estimate_from_report(report)
        text.append(f" · {estimate.label()}", style="bold")
        if estimate.tokens is not None:
            text.append(f" · {fmt.token_count(estimate.tokens)} tokens", style="dim")
        return text + Text(" ")

    def _report_renderable(self) -> RenderableType:
        if self.checking:
            return Text("Checking the file…", style="dim")
        result = self.preflight
        if result is None:
            return Text(
                "Choose a training file: preflight checks it as the service would, counts its tokens and "
                "estimates the cost here.",
                style="dim",
            )
        parts: list[RenderableType] = []
        if result.training is not None:
            parts.append(report_summary(result.training))
            parts.append(Text())
            parts.append(cost_summary(estimate_from_report(result.training)))
        elif result.training_note:
            parts.append(Text(result.training_note, style="yellow"))
        if result.validation is not None:
            parts += [Text(), report_summary(result.validation)]
        elif result.validation_note:
            parts += [Text(), Text(result.validation_note, style="yellow")]
        return Group(*parts)

    # -- creating ------------------------------------------------------------------------------

    def action_create(self) -> None:
        if self.query_one("#newjob-create", Button).disabled:
            return
        self._confirm()

    @on(Button.Pressed, "#newjob-create")
    def _create_pressed(self) -> None:
        self._confirm()

    def _confirm(self) -> None:
        options = self._options()
        train = self._source("training")
        valid = self._source("validation")
        if train is None:
            return
        report = self.preflight.training if self.preflight else None
        estimate = estimate_from_report(report) if report is not None else None
        body = Text()
        body.append(f"{options.model} · {METHOD_LABELS.get(options.method, options.method)}\n")
        body.append(f"training: {train.label}{'  (uploaded first)' if train.path else ''}\n")
        if valid is not None:
            body.append(f"validation: {valid.label}{'  (uploaded first)' if valid.path else ''}\n")
        body.append("estimated cost: ")
        body.append(estimate.label() if estimate else "cannot be estimated", style="bold")
        if estimate is not None and estimate.tokens is not None:
            body.append(f"  (≈{estimate.tokens:,} tokens, {estimate.epochs} epochs)")
        errors = self.preflight.errors if self.preflight else 0
        warning = (
            f"Preflight found {plural(errors, 'error')}: the service will most likely fail this job."
            if errors
            else None
        )

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._begin_submit(options, train, valid, estimate)

        self.app.push_screen(
            ConfirmScreen(
                "Create this fine-tuning job?",
                body,
                confirm_label="Create job",
                cancel_label="Not yet",
                warning=warning,
            ),
            answered,
        )

    def _begin_submit(
        self, options: JobOptions, train: FileSource, valid: FileSource | None, estimate: CostEstimate | None
    ) -> None:
        self.submitting = True
        self.cancel_requested = False
        self._update_create()
        uploading = any(source is not None and source.path is not None for source in (train, valid))
        self.query_one("#newjob-cancel-upload").display = uploading
        status = self.query_one("#newjob-upload-status", Static)
        status.display = True
        status.update("Uploading…" if uploading else "Creating the job…")
        self._submit(options, train, valid, estimate)

    @work(thread=True, exclusive=True, group="newjob-action", exit_on_error=False, description="creating the job")
    def _submit(
        self, options: JobOptions, train: FileSource, valid: FileSource | None, estimate: CostEstimate | None
    ) -> None:
        backend = self.backend
        try:
            ids: dict[str, str | None] = {"training": train.file_id, "validation": valid.file_id if valid else None}
            for role, source in (("training", train), ("validation", valid)):
                if source is not None and source.path is not None:
                    remote = backend.upload_file(
                        source.path,
                        progress=lambda p, role=role: self.app.call_from_thread(self._upload_progress, role, p),
                        cancelled=lambda: self.cancel_requested,
                    )
                    self.app.call_from_thread(self._upload_progress_done, role, remote)
                    ids[role] = wait_until_processed(backend.api, remote).id
            if self.cancel_requested:  # pressed after the last byte went out: create nothing
                raise UploadCancelled("Cancelled: the job was not created (the uploaded files are kept).")
            request = build_request(
                replace(options, training_file=ids["training"] or "", validation_file=ids["validation"])
            )
            saved = estimate.to_save(options.method) if estimate is not None else None
            job = backend.create_job(request, estimate=saved)
        except UploadCancelled as cancelled:
            self.app.call_from_thread(self._submit_ended, cancelled.message)
            return
        except ApiError as error:
            self.app.call_from_thread(self._refused, error)
            return
        except FinetopError as error:
            self.app.call_from_thread(self._failed, error)
            return
        self.app.call_from_thread(self._created, job)

    def _upload_progress(self, role: str, progress: UploadProgress) -> None:
        bar = self.query_one("#newjob-upload-bar", ProgressBar)
        bar.display = True
        bar.update(total=progress.total, progress=progress.sent)
        self.query_one("#newjob-upload-status", Static).update(upload_status_text(role, progress))

    def _upload_progress_done(self, role: str, remote: RemoteFile) -> None:
        self.query_one("#newjob-upload-status", Static).update(
            Text(f"Uploaded the {role} file as {remote.id}. Creating the job…")
        )

    @on(Button.Pressed, "#newjob-cancel-upload")
    def _cancel_upload(self) -> None:
        self.cancel_requested = True
        self.query_one("#newjob-upload-status", Static).update("Cancelling the upload…")

    def _submit_ended(self, message: str = "") -> None:
        self.submitting = False
        self.query_one("#newjob-cancel-upload").display = False
        self.query_one("#newjob-upload-bar").display = False
        self.query_one("#newjob-upload-status").display = False
        if message:
            self.notify(message, title="Upload cancelled", severity="warning")
        self._update_create()

    def _refused(self, error: ApiError) -> None:
        self._submit_ended()
        self.app.push_screen(
            ErrorScreen(
                error,
                title="The service refused to create the job",
                message=explain_refusal(error, today=self._today()),
                hint=f"The service said: {error.message}",
            )
        )

    def _failed(self, error: FinetopError) -> None:
        self._submit_ended()
        title = "The upload failed" if isinstance(error, UploadError) else "Could not create the job"
        self.app.push_screen(ErrorScreen(error, title=title))

    def _created(self, job: Job) -> None:
        from tui.screens.job import JobScreen

        self.submitting = False
        self.finetop.broadcast(CacheUpdated(None, frozenset({job.id})))
        self.notify(f"{job.id} on {job.model}", title="Job created")
        self.dismiss()
        self.app.push_screen(JobScreen(job.id))


# --- how a report and an upload read ------------------------------------------------------------


def report_summary(report: PreflightReport) -> RenderableType:
    """The verdict, problems grouped by kind, and the token statistics, compactly."""
    head = Text.assemble(
        (f"{report.role.capitalize()} file ", "bold"),
        (report.path, "bold cyan"),
        f"\n{fmt.human_size(report.size_bytes)} · {plural(report.examples, 'example')} · {report.resolved_model}",
    )
    if report.error_count:
        verdict = Text("✗ " + report.verdict(), style="bold red")
    elif report.warning_count:
        verdict = Text("! " + report.verdict(), style="bold yellow")
    else:
        verdict = Text("✓ " + report.verdict(), style="bold green")
    parts: list[RenderableType] = [head, verdict]
    if report.groups:
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True)
        table.add_column(justify="right", no_wrap=True)
        table.add_column(overflow="fold", ratio=1)
        for group in report.groups:
            lines = ", ".join(str(n) for n in group.first_lines[:3])
            where = f"  lines {lines}{', …' if group.count > 3 and lines else ''}" if lines else ""
            table.add_row(
                Text(group.severity, style=SEVERITY_STYLE[group.severity]),
                f"{group.count:,}",
                Text(group.title) + Text(where, style="dim"),
            )
        parts.append(table)
    stats = report.tokens
    if stats is not None and report.role == "training":
        parts.append(
            Text(
                f"tokens per example: mean {stats.mean:,.0f}, max {stats.maximum:,} "
                f"({stats.encoding}); {stats.total:,} in all",
                style="dim",
            )
        )
        if stats.over_limit:
            parts.append(Text(f"{plural(stats.over_limit, 'example')} over the model's limit (truncated)", "yellow"))
    return Group(*parts)


def cost_summary(estimate: CostEstimate) -> RenderableType:
    text = Text()
    if estimate.epochs is not None:
        text.append("epochs ", style="bold")
        text.append(f"{estimate.epochs}")
        if estimate.tokens is not None:
            text.append(f" · ≈{estimate.tokens:,} billed tokens")
        text.append("\n")
    text.append("estimated cost ", style="bold")
    cost = estimate.cost
    if cost is not None and cost.amount is not None:
        text.append(cost.label(), style="bold")
        text.append(f"\n{cost.formula()}", style="dim")
        if cost.row is not None:
            row = cost.row
            text.append(
                f"\nprice row: {row.model} {row.kind} {fmt.money(row.usd)} {row.unit_label} from "
                f"{row.effective_from.isoformat()} ({row.origin})",
                style="dim",
            )
    else:
        text.append("cannot be estimated", style="yellow")
        text.append(f"\n{escape(estimate.note)}", style="dim")
    return text


def upload_status_text(role: str, progress: UploadProgress) -> Text:
    """ "Uploading the training file: 1.2 MB of 4.5 MB · 3.4 MB/s · 2s left · part 3 of 8 (2 skipped)"."""
    text = Text(f"Uploading the {role} file: ", style="bold")
    text.append(f"{fmt.human_size(progress.sent)} of {fmt.human_size(progress.total)}")
    if progress.rate:
        text.append(f" · {fmt.human_size(int(progress.rate))}/s")
    if progress.eta is not None:
        text.append(f" · {fmt.duration(progress.eta)} left")
    if progress.route == "uploads":
        text.append(f" · part {min(progress.parts_done + 1, progress.parts_total)} of {progress.parts_total}")
        if progress.skipped_parts:
            text.append(f" ({progress.skipped_parts} sent before, skipped)")
    if progress.stage == "completing":
        text.append(" · completing…")
    if progress.notice:
        text.append(f"\n{progress.notice}", style="yellow")
    return text
