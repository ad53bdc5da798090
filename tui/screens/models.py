"""The Models section: fine-tuned models and their checkpoints, how long each still serves, and what each cost.

Each model is followed by its checkpoints (marked └). Columns: lifecycle (days left, in the warning
colour within 30 days), training, usage and total spend from the ledger (store.spend_report), base
model, created, and the job that made it. Enter opens that job, y copies the id, d deletes the
model after a confirmation (never offline).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Static

from store.lifecycle import Lifecycle, model_lifecycle
from store.spend import ModelSpend, Total, final_model_of
from store.types import Job, Model
from tui import format as fmt
from tui.messages import CacheUpdated
from tui.screens.base import TableSection
from tui.screens.spend import ENABLE_USAGE, SpendView, fit_columns, lifecycle_text, load_view, money_text
from tui.widgets.confirm import ConfirmScreen

if TYPE_CHECKING:
    from store.cache import Cache


@dataclass(frozen=True)
class ModelEntry:
    """One row: a fine-tuned model, or a checkpoint of one (`parent` set)."""

    id: str
    parent: str | None  # checkpoints: the model of the job that made them
    step: int | None
    job: Job | None
    base: str
    created: int
    lifecycle: Lifecycle
    spend: ModelSpend | None
    listed: bool  # the models API lists it (so it can be deleted)

    @property
    def is_checkpoint(self) -> bool:
        return self.parent is not None or self.step is not None


@dataclass
class ModelsView:
    entries: list[ModelEntry] = field(default_factory=list)
    spend: SpendView | None = None

    @property
    def usage_available(self) -> bool:
        ledger = self.spend.ledger if self.spend else None
        return bool(ledger and ledger.usage_available)


def load_models(cache: Cache, now: float, wall_now: float) -> ModelsView:
    """Models, checkpoints, their jobs and their spend, read from the cache (on a worker thread)."""
    today = datetime.fromtimestamp(now, UTC).date()
    spend = load_view(cache, now, wall_now)
    ledger = spend.ledger
    rows = {row.model: row for row in ledger.rows if row.model} if ledger else {}
    jobs = cache.jobs()
    job_by_model = {job.fine_tuned_model: job for job in jobs if job.fine_tuned_model}
    job_by_id = {job.id: job for job in jobs}
    listed: list[Model] = cache.models(fine_tuned_only=True)

    def entry(model_id: str, created: int, *, parent: str | None, step: int | None, job: Job | None, raw=None):
        row = rows.get(model_id)
        life = row.lifecycle if row is not None and row.lifecycle is not None else None
        if life is None:
            life = model_lifecycle(model_id, today, (raw or {}).get("shutdown_date"))
        parsed = fmt.parse_model_name(model_id)
        return ModelEntry(
            id=model_id,
            parent=parent,
            step=step,
            job=job,
            base=job.model if job else (parsed.base if parsed else ""),
            created=created,
            lifecycle=life,
            spend=row,
            listed=raw is not None,
        )

    finals = [m for m in listed if not m.is_checkpoint]
    final_ids = {m.id for m in finals}
    listed_checkpoints = {m.id: m for m in listed if m.is_checkpoint}
    children: dict[str, dict[str, ModelEntry]] = defaultdict(dict)
    for checkpoint in cache.checkpoints():
        job = job_by_id.get(checkpoint.job_id)
        parent = job.fine_tuned_model if job else final_model_of(checkpoint.model)
        if parent not in final_ids or checkpoint.model == parent:
            continue  # the model was deleted (its checkpoints go with it), or this is the final step itself
        model = listed_checkpoints.get(checkpoint.model)
        children[parent][checkpoint.model] = entry(
            checkpoint.model,
            checkpoint.created_at,
            parent=parent,
            step=checkpoint.step_number,
            job=job,
            raw=model.raw if model else None,
        )
    orphans = []
    for model in listed_checkpoints.values():
        parent = final_model_of(model.id)
        parsed = fmt.parse_model_name(model.id)
        step = parsed.checkpoint_step if parsed else None
        if parent in final_ids:
            if model.id not in children[parent]:
                children[parent][model.id] = entry(
                    model.id, model.created, parent=parent, step=step, job=job_by_model.get(parent), raw=model.raw
                )
        else:
            orphans.append(entry(model.id, model.created, parent=None, step=step, job=None, raw=model.raw))
    entries = []
    for model in finals:
        entries.append(
            entry(model.id, model.created, parent=None, step=None, job=job_by_model.get(model.id), raw=model.raw)
        )
        entries += sorted(children.get(model.id, {}).values(), key=lambda e: e.step or 0)
    return ModelsView(entries + orphans, spend)


# -- columns ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelColumn:
    key: str
    label: str
    width: int
    priority: int
    cell: Callable[[ModelEntry], str | Text]
    sort: Callable[[ModelEntry], object]
    usage: bool = False
    right: bool = False


def _spend_amount(entry: ModelEntry, part: str):
    spend = entry.spend
    value = getattr(spend, part, None) if spend is not None else None
    return value.amount if value is not None and value.amount is not None else 0


def _training(entry: ModelEntry) -> Text:
    if entry.is_checkpoint:
        return Text("in model", style="dim")  # a checkpoint's training is counted on its model
    return money_text(entry.spend.training if entry.spend else None)


def _usage(entry: ModelEntry) -> Text:
    return money_text(entry.spend.usage if entry.spend else None)


def _total(entry: ModelEntry) -> Text:
    if entry.spend is None:
        return Text(fmt.MISSING, style="dim")
    total: Total = entry.spend.total
    return money_text(total)


def _days(entry: ModelEntry) -> int:
    life = entry.lifecycle
    return life.days_left if life.days_left is not None else 10**6


def _job_cell(entry: ModelEntry) -> str | Text:
    return entry.job.id if entry.job else Text("not in the cache", style="dim")


COLUMNS: tuple[ModelColumn, ...] = (
    ModelColumn("model", "model", 26, 0, lambda e: e.id, lambda e: e.id),
    ModelColumn("life", "serves", 10, 0, lambda e: lifecycle_text(e.lifecycle), _days),
    ModelColumn("training", "training", 10, 1, _training, lambda e: _spend_amount(e, "training"), right=True),
    ModelColumn("usage", "usage", 10, 1, _usage, lambda e: _spend_amount(e, "usage"), usage=True, right=True),
    ModelColumn("total", "total", 10, 1, _total, lambda e: _spend_amount(e, "total"), usage=True, right=True),
    ModelColumn("created", "created", 10, 3, lambda e: fmt.timestamp(e.created, utc=True)[:10], lambda e: e.created),
    ModelColumn("base", "base", 13, 3, lambda e: fmt.base_family(e.base) or fmt.MISSING, lambda e: e.base),
    ModelColumn("job", "job", 30, 5, _job_cell, lambda e: e.job.id if e.job else ""),
)
SORTABLE = ("created", "model", "life", "training", "usage", "total")
DESCENDING = frozenset({"created", "training", "usage", "total"})


def model_label(entry: ModelEntry, width: int) -> Text:
    """A model as short as it can be told apart; a checkpoint under its model by its step alone."""
    if entry.parent is not None:
        step = f"ckpt-step-{entry.step}" if entry.step is not None else fmt.short_model(entry.id, width - 4)
        return Text.assemble(("  └ ", "dim"), (step, "dim"))
    return Text(fmt.short_model(entry.id, width))


def haystack(entry: ModelEntry) -> str:
    job = entry.job
    parts = (entry.id, entry.base, *((job.id, job.suffix or "", job.status) if job else ()))
    return " ".join(parts).lower()


class ModelsScreen(TableSection):
    """Fine-tuned models with their checkpoints, lifecycle and spend."""

    SORTABLE = SORTABLE
    DESCENDING = DESCENDING
    DEFAULT_SORT = "created"

    CSS_PATH = "models.tcss"

    SECTION = "models"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="models.filter", tooltip="Filter models as you type"),
        Binding("o", "cycle_sort", "Sort", id="models.sort", tooltip="Sort by the next column"),
        Binding("O", "reverse_sort", "Reverse", show=False, id="models.reverse", tooltip="Reverse the sort order"),
        Binding("enter", "open_job", "Job", id="models.open", tooltip="Open the job that made this model"),
        Binding("y", "copy_id", "Copy id", id="models.copy", tooltip="Copy the model's id to the clipboard"),
        Binding("d,delete", "delete", "Delete", id="models.delete", tooltip="Delete this model (asks first)"),
        Binding(
            "c",
            "toggle_checkpoints",
            "Checkpoints",
            show=False,
            id="models.checkpoints",
            tooltip="Show or hide the checkpoints under each model",
        ),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="models.clear"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view: ModelsView | None = None
        self.show_checkpoints = True
        self._columns: tuple[ModelColumn, ...] = ()
        self._model_width = 0
        self._shown: list[ModelEntry] = []
        self._selected_id: str | None = None

    def body(self) -> ComposeResult:
        with Horizontal(id="models-bar", classes="bar"):
            yield Input(placeholder="filter models…", id="models-filter", classes="filter")
            yield Static(id="models-summary", classes="summary")
        yield Static(id="models-warnings")
        yield Static(id="models-note")
        table: DataTable[str | Text] = DataTable(
            id="models-table", classes="section-table", cursor_type="row", zebra_stripes=True
        )
        yield table
        yield Static("Reading the cache…", id="models-empty", classes="empty")
        yield Static(id="models-detail")

    def on_mount(self) -> None:
        self.query_one("#models-filter", Input).display = False
        self.query_one("#models-warnings", Static).display = False
        self.query_one("#models-note", Static).display = False
        self.query_one("#models-empty", Static).display = True
        self.query_one("#models-table", DataTable).focus()

    # -- loading -------------------------------------------------------------------------

    def reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="models-load", exit_on_error=False, description="reading models")
    def _load(self) -> None:
        view = load_models(self.backend.cache, self.finetop.now(), self.finetop.wall_now())
        self.app.call_from_thread(self._show, view)

    def _show(self, view: ModelsView) -> None:
        self.view = view
        self._refresh_notes()
        self._refresh_table()

    # -- what is shown -------------------------------------------------------------------

    def visible(self) -> list[ModelEntry]:
        """Models (each followed by its checkpoints) that match the filter, groups sorted as asked."""
        if self.view is None:
            return []
        groups: dict[str, list[ModelEntry]] = {}
        for entry in self.view.entries:
            key = entry.parent or entry.id
            groups.setdefault(key, []).append(entry)
        needle = self.text_filter.lower().split()
        column = next(c for c in COLUMNS if c.key == self.sort_key)
        kept = []
        for members in groups.values():
            if needle and not any(all(word in haystack(m) for word in needle) for m in members):
                continue
            kept.append(members)
        kept.sort(key=lambda members: (column.sort(members[0]), members[0].id), reverse=self.sort_reverse)
        rows = []
        for members in kept:
            rows.append(members[0])
            if self.show_checkpoints:
                rows += [m for m in members[1:]]
        return rows

    def selected(self) -> ModelEntry | None:
        table = self.query_one("#models-table", DataTable)
        if not self._shown or table.cursor_row is None or not 0 <= table.cursor_row < len(self._shown):
            return None
        return self._shown[table.cursor_row]

    def _fitting_columns(self, usage: bool) -> tuple[tuple[ModelColumn, ...], int]:
        entries = self.view.entries if self.view else []
        longest = max((len(fmt.short_model(e.id)) for e in entries if not e.parent), default=26)
        candidates = [c for c in COLUMNS if usage or not c.usage]
        return fit_columns(candidates, max(40, self.size.width - 4), model_min=26, model_wanted=longest)

    def _refresh_notes(self) -> None:
        view = self.view
        warnings = self.query_one("#models-warnings", Static)
        note = self.query_one("#models-note", Static)
        spend = view.spend if view else None
        ledger = spend.ledger if spend else None
        shown = list(ledger.warnings) if ledger else []
        warnings.display = bool(shown)
        if shown:
            lines = [Text(f"⚠ {w.message}", style="bold red") for w in shown[:2]]
            if len(shown) > 2:
                lines.append(Text(f"  and {len(shown) - 2} more in use retire within 30 days", style="red"))
            warnings.update(Text("\n").join(lines))
        if spend is not None and ledger is None:
            note.display = True
            note.update(Text(f"Spend is not shown: {spend.error}", style="bold red"))
        elif view is not None and not view.usage_available:
            note.display = True
            note.update(Text(ENABLE_USAGE, style="yellow"))
        else:
            note.display = False

    def _refresh_table(self) -> None:
        view = self.view
        table = self.query_one("#models-table", DataTable)
        columns, model_width = self._fitting_columns(bool(view and view.usage_available))
        rows = self.visible()
        if columns != self._columns or model_width != self._model_width:
            table.clear(columns=True)
            for column in columns:
                label = Text(column.label, justify="right" if column.right else "left")
                table.add_column(label, key=column.key, width=model_width if column.key == "model" else column.width)
            self._columns, self._model_width = columns, model_width
        else:
            table.clear()
        for entry in rows:
            cells: list[str | Text] = []
            for column in columns:
                value = model_label(entry, model_width) if column.key == "model" else column.cell(entry)
                if column.right:
                    value = value if isinstance(value, Text) else Text(value)
                    value.justify = "right"
                cells.append(value)
            table.add_row(*cells, key=entry.id)
        self._shown = rows
        ids = [entry.id for entry in rows]
        if self._selected_id in ids:
            table.move_cursor(row=ids.index(self._selected_id), animate=False)
        self._update_summary()
        empty = self.query_one("#models-empty", Static)
        table.display = bool(rows)
        empty.display = not rows
        if not rows:
            if view is None:
                empty.update("Reading the cache…")
            elif self.text_filter:
                empty.update("No models match. Press escape to clear the filter.")
            else:
                empty.update(
                    "No fine-tuned models yet. A job that succeeds makes one.\n"
                    "finetop syncs in the background; press ctrl+r to sync now."
                )
        self._refresh_detail()

    def _update_summary(self) -> None:
        entries = self.view.entries if self.view else []
        models = sum(1 for e in entries if e.parent is None)
        checkpoints = len(entries) - models
        parts = [f"{models:,} models, {checkpoints:,} checkpoints"]
        spend = self.view.spend if self.view else None
        if spend and spend.ledger and self.size.width >= 100:
            parts.append(f"training {spend.ledger.training.label()}")
            if spend.ledger.usage is not None:
                parts.append(f"usage {spend.ledger.usage.label()}")
        if not self.show_checkpoints:
            parts.append("checkpoints hidden")
        parts.append(self.sort_label())
        self.query_one("#models-summary", Static).update(" · ".join(parts))

    def _refresh_detail(self) -> None:
        detail = self.query_one("#models-detail", Static)
        entry = self.selected()
        detail.display = entry is not None
        if entry is None:
            return
        self._selected_id = entry.id
        text = Text(entry.id, style="bold")
        job = entry.job
        made = (
            f"made by {job.id} ({job.method}, {fmt.status_look(job.status).label}) from {job.model}"
            if job
            else "the job that made it is not in the cache"
        )
        text.append(f"\n{made} · created {fmt.timestamp(entry.created, utc=True)} · ", style="dim")
        text.append_text(lifecycle_text(entry.lifecycle, long=True))
        spend = entry.spend
        if spend is not None and spend.training is not None and not entry.is_checkpoint:
            text.append("\ntraining ", style="dim")
            text.append_text(money_text(spend.training))
            text.append(f" = {spend.training.formula()}", style="dim")
        self.query_one("#models-detail", Static).update(text)

    # -- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in ("open_job", "copy_id", "delete") or not self.is_mounted:
            return True
        entry = self.selected()
        rules = {
            "open_job": entry is not None and entry.job is not None,
            "copy_id": entry is not None,
            # Only what the models API lists can be deleted (a checkpoint known only from its job cannot);
            # deleting needs the network.
            "delete": entry is not None and entry.listed and not self.finetop.offline_mode,
        }
        return True if rules[action] else None

    @on(DataTable.RowHighlighted, "#models-table")
    def _row_highlighted(self) -> None:
        self._refresh_detail()
        self.refresh_bindings()

    @on(DataTable.RowSelected, "#models-table")
    def _row_chosen(self) -> None:
        self.action_open_job()

    def action_open_job(self) -> None:
        entry = self.selected()
        if entry is not None and entry.job is not None:
            from tui.screens.job import JobScreen

            self.app.push_screen(JobScreen(entry.job.id))

    def action_copy_id(self) -> None:
        entry = self.selected()
        if entry is not None:
            self.app.copy_to_clipboard(entry.id)
            self.notify(entry.id, title="Copied the model id")

    def action_delete(self) -> None:
        entry = self.selected()
        if entry is None or not entry.listed or self.finetop.offline_mode:
            return
        job = entry.job
        made = (
            f"Made by {job.id}" + (f" ({job.suffix})" if job.suffix else "") + f" from {job.model}."
            if job
            else "The job that made it is not in the cache."
        )
        if entry.parent is not None:
            made = f"A checkpoint (step {entry.step}) of {entry.parent}. {made}"

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._delete(entry.id)

        self.app.push_screen(
            ConfirmScreen(
                f"Delete {entry.id}?",
                f"{made}\nRequests to this model fail from the moment it is deleted.",
                confirm_label="Delete model",
                cancel_label="Keep model",
                warning="Deleting a model is permanent: it cannot be restored, and its job cannot make it again. "
                "The job, its events and the spend figures stay in finetop's archive.",
            ),
            answered,
        )

    @work(thread=True, exclusive=True, group="models-action", exit_on_error=False, description="deleting the model")
    def _delete(self, model_id: str) -> None:
        self.backend.delete_model(model_id)
        self.app.call_from_thread(self.notify, model_id, title="Model deleted")
        self.app.call_from_thread(self.finetop.broadcast, CacheUpdated())

    def action_toggle_checkpoints(self) -> None:
        self.show_checkpoints = not self.show_checkpoints
        self._refresh_table()

    def on_resize(self) -> None:
        if self.view is not None:
            self._refresh_table()
