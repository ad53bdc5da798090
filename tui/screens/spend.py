"""The Spend section: what each custom model cost to train and to run, per day, with its working and the cross-check.

Everything shown comes from store.spend_report.ledger_for (read from the cache on a worker thread):
the per-model table, the profile total, a per-day bar chart of the selected model, the "why" panel
(price rows, quantities, formulas), and the cross-check of finetop's figures against the costs API's
fine-tuning line items. Without an admin key only training spend is shown, with how to enable usage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static, TabbedContent, TabPane

from store.errors import FinetopError
from store.lifecycle import WARN_WITHIN_DAYS, Lifecycle
from store.money import ZERO
from store.pricing import Cost
from store.spend import CrossCheckLine, DayAmount, Ledger, ModelSpend, Total, training_day
from store.spend_report import (
    UsageState,
    WhyLine,
    check_status,
    explain,
    ledger_for,
    summarize_cross_check,
    usage_state,
)
from tui import format as fmt
from tui.screens.base import TableSection

if TYPE_CHECKING:
    from store.cache import Cache

STALE_USAGE = 3 * 3600  # usage is read hourly: say how old it is only when a sync has been missed
ENABLE_USAGE = (
    "Usage spend needs an organization admin key (the usage and costs APIs accept nothing else). "
    "Set OPENAI_ADMIN_KEY, or the profile's admin_key_command, then sync (ctrl+r). "
    "Training spend below works without it."
)


# -- how spend values look (the Models screen uses these too) ----------------------------------------


def money_text(value: Total | Cost | None) -> Text:
    """A figure as a cell: "$2.40", yellow "≈$2.40" for estimates and "≤$9.00" for upper bounds, dim "unknown"."""
    if value is None:
        return Text(fmt.MISSING, style="dim")
    label = value.label()
    if isinstance(value, Cost) and value.amount is None:
        return Text(label, style="dim italic")
    if value.upper_bound or value.estimate:
        return Text(label, style="yellow")
    if isinstance(value, Total) and not value.complete:
        return Text(label, style="yellow")
    return Text(label)


def lifecycle_text(life: Lifecycle | None, *, deleted: bool = False, long: bool = False) -> Text:
    """Whether a model still serves: "serving", "34d left" (bold red within 30 days), "retired"."""
    if deleted:
        return Text("deleted", style="magenta")
    if life is None:
        return Text(fmt.MISSING, style="dim")
    if life.retires_on is None:
        return Text("serving", style="green")
    if not life.serving:
        return Text(f"retired {life.retires_on.isoformat()}" if long else "retired", style="dim")
    days = life.days_left or 0
    label = life.describe() if long else f"{days}d left"
    return Text(label, style="bold red" if days <= WARN_WITHIN_DAYS else "")


def row_name(row: ModelSpend, width: int | None = None) -> str:
    """A model as short as it can be told apart, or for a job that made no model, its suffix and status."""
    if row.model:
        return fmt.short_model(row.model, width)
    job = row.job
    if job is None:
        return "(unknown)"
    name = f"{job.suffix or job.id} · {fmt.status_look(job.status).label}"
    return fmt.short_model(name, width)


def row_key(row: ModelSpend) -> str:
    return row.model or f"job:{row.job.id if row.job else '?'}"


def why_table(title: str, lines: Sequence[WhyLine]) -> Group:
    """The explanation of a row as a two-column grid (what, then how), so long lines wrap under their text.

    Headings bold, formulas plain, price rows and details dim, notes dim italic, warnings yellow.
    """
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, min_width=12)
    grid.add_column(ratio=1, overflow="fold")
    styles = {"formula": "", "price": "dim", "detail": "dim", "note": "dim italic", "warning": "yellow"}
    for line in lines:
        indent = "  " * line.indent
        if line.kind == "heading":
            grid.add_row(Text(line.label.capitalize(), style="bold"), Text(line.text, style="bold"))
            continue
        label = {"price": "price", "note": "note", "warning": "note"}.get(line.kind) or line.label or "formula"
        grid.add_row(Text(indent + label, style="dim"), Text(line.text, style=styles.get(line.kind, "")))
    return Group(Text(title, style="bold"), grid)


def short_money(amount: Decimal) -> str:
    """A y-axis label: $0.42, $12.34, $123, $1.2k."""
    if amount >= 1000:
        return f"${amount / 1000:.1f}k"
    if amount >= 100:
        return f"${amount:.0f}"
    return fmt.money(amount)


# -- the per-day chart --------------------------------------------------------------------------------

TRAINING_STYLE = "magenta"
USAGE_STYLE = "cyan"
_EIGHTHS = " ▁▂▃▄▅▆▇█"
OFF_SCALE = 4  # a training day more than this many times the busiest usage day is drawn off the scale


@dataclass(frozen=True)
class Bar:
    """Spend per day averaged over the `days` days from `first` (one day when they fit the width)."""

    first: date
    days: int
    usage: Decimal = ZERO
    training: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.usage + self.training


def day_bars(days: Sequence[DayAmount], end: date, columns: int) -> list[Bar]:
    """The days from the first with spend to `end` as at most `columns` bars of average spend per day.

    When there are more days than columns, each bar averages a run of consecutive days (runs differ
    by one day at most), so the bars fill the width and the y axis still reads "per day".
    """
    spent = [day for day in days if day.total]
    if not spent or columns < 1:
        return []
    start = min(day.day for day in spent)
    end = max(end, max(day.day for day in spent))
    count = (end - start).days + 1
    bars_wanted = min(count, columns)
    by_day = {day.day: day for day in spent}
    bars = []
    for index in range(bars_wanted):
        low, high = index * count // bars_wanted, (index + 1) * count // bars_wanted
        usage = training = ZERO
        for offset in range(low, high):
            day = by_day.get(start + timedelta(days=offset))
            if day is not None:
                usage += day.usage
                training += day.training
        width = high - low
        bars.append(Bar(start + timedelta(days=low), width, usage / width, training / width))
    return bars


def bar_chart(title: str, days: Sequence[DayAmount], end: date, width: int, height: int) -> Text:
    """Spend per day as vertical bars: y labels on the left, dates below, a legend line on top.

    Training lands on one day and can dwarf months of usage: when it is more than OFF_SCALE times the
    busiest usage day, the scale follows usage and the training bar is cut with ↑ (the legend says so).
    """
    label_width = 8
    plot_height = max(2, height - 2)
    plot_width = max(1, width - label_width - 1)
    bars = day_bars(days, end, plot_width)
    if not bars:
        return Text(f"{title}\nNo spend recorded for this model yet.", style="dim")
    usage_peak = max((bar.total for bar in bars if not bar.training), default=ZERO)
    peak = max(bar.total for bar in bars)
    clipped = usage_peak > 0 and peak > OFF_SCALE * usage_peak
    scale = usage_peak * Decimal("1.25") if clipped else peak
    bar_width = max(1, min(3, plot_width // len(bars)))
    gap = 1 if bar_width > 1 else 0

    legend = Text.assemble(("█", USAGE_STYLE), " usage  ", ("█", TRAINING_STYLE), " training")
    if clipped:
        legend.append("  ↑ off scale")
    spans = {bar.days for bar in bars}
    if spans != {1}:
        legend.append(f"  ·  1 bar = {'–'.join(str(n) for n in sorted(spans))} days, per day", style="dim")
    head = Text(title, style="bold", no_wrap=True, overflow="ellipsis")
    room = width - legend.cell_len - 2
    head.truncate(max(0, room), overflow="ellipsis")
    lines = [Text.assemble(head, "  ", legend) if room > 8 else legend]

    labels = {0: short_money(scale), plot_height - 1: "$0"}
    if plot_height >= 5:
        middle = plot_height // 2  # labelled with the value at the top edge of its row, like the top label
        labels[middle] = short_money(scale * (plot_height - middle) / plot_height)
    for level in range(plot_height - 1, -1, -1):  # top row first
        row = plot_height - 1 - level
        line = Text(labels.get(row, "").rjust(label_width - 1)[: label_width - 1] + " ", style="dim")
        line.append("┤" if row in labels else "│", style="dim")
        for bar in bars:
            eighths = int(min(bar.total, scale) / scale * plot_height * 8) if scale else 0
            if bar.total and eighths == 0:
                eighths = 1  # a day with any spend shows
            fill = max(0, min(8, eighths - level * 8))
            style = TRAINING_STYLE if bar.training else USAGE_STYLE
            glyph = _EIGHTHS[fill]
            if clipped and bar.total > scale and level == plot_height - 1:
                glyph = "↑"
            line.append(glyph * (bar_width - gap) + " " * gap, style=style)
        lines.append(line)

    first, last = bars[0].first, bars[-1].first + timedelta(days=bars[-1].days - 1)
    axis = Text(" " * (label_width + 1), style="dim")
    span = len(bars) * bar_width
    left, right = first.isoformat(), last.isoformat()
    if span >= len(left) + len(right) + 2:
        axis.append(left + " " * (span - len(left) - len(right)) + right, style="dim")
    else:
        axis.append(right.rjust(span), style="dim")
    lines.append(axis)
    return Text("\n").join(lines)


class DailyBars(Widget):
    """The selected model's spend per day (see bar_chart); redrawn to the widget's size."""

    DEFAULT_CSS = """
    DailyBars {
        height: 1fr;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.title = ""
        self.days: tuple[DayAmount, ...] = ()
        self.end: date | None = None
        self.message = "Select a model to see its spend per day."

    def show(self, title: str, days: Sequence[DayAmount], end: date) -> None:
        self.title, self.days, self.end, self.message = title, tuple(days), end, ""
        self.refresh()

    def show_message(self, message: str) -> None:
        self.message, self.days = message, ()
        self.refresh()

    def render(self) -> RenderResult:
        if self.message or self.end is None:
            return Text(self.message, style="dim")
        return bar_chart(self.title, self.days, self.end, self.content_size.width, self.content_size.height)


# -- the table -------------------------------------------------------------------------------------------


@dataclass
class SpendView:
    """What the screen shows, read from the cache in one go on a worker thread."""

    ledger: Ledger | None
    usage: UsageState
    error: str = ""  # why there is no ledger (a malformed prices.csv)
    deleted: frozenset[str] = frozenset()
    wall_now: float = 0.0  # this machine's clock, for how long ago usage was synced


@dataclass(frozen=True)
class SpendColumn:
    key: str
    label: str
    width: int
    priority: int  # lower shows first when the terminal is narrow
    cell: Callable[[ModelSpend, SpendView], str | Text]
    sort: Callable[[ModelSpend], object]
    usage: bool = False  # only when usage is available
    right: bool = False


def _amount(value: Total | Cost | None) -> Decimal:
    return value.amount if value is not None and value.amount is not None else ZERO


def _days_left(row: ModelSpend) -> int:
    life = row.lifecycle
    if life is None or life.days_left is None:
        return 10**6 if row.model else 10**7
    return life.days_left


def _usage(row: ModelSpend, value: str | Text) -> str | Text:
    """A usage cell; a job that made no model has no usage to show, not $0.00."""
    return value if row.model else Text(fmt.MISSING, style="dim")


def _total(row: ModelSpend) -> Text:
    # A job without a model costs what its training costs ("unknown" while running, not "$0.00 + ?").
    return money_text(row.total if row.model or row.training is None else row.training)


COLUMNS: tuple[SpendColumn, ...] = (
    SpendColumn("model", "model", 24, 0, lambda r, v: row_name(r), lambda r: r.model or ""),
    SpendColumn(
        "training", "training", 10, 0, lambda r, v: money_text(r.training), lambda r: _amount(r.training), right=True
    ),
    SpendColumn(
        "usage", "usage", 10, 1, lambda r, v: _usage(r, money_text(r.usage)), lambda r: _amount(r.usage), True, True
    ),
    SpendColumn("total", "total", 10, 0, lambda r, v: _total(r), lambda r: r.total.amount, right=True),
    SpendColumn(
        "days",
        "days left",
        10,
        1,
        lambda r, v: lifecycle_text(r.lifecycle, deleted=bool(r.model) and r.model in v.deleted),
        _days_left,
    ),
    SpendColumn(
        "last",
        "last used",
        10,
        2,
        lambda r, v: r.last_use.isoformat() if r.last_use else Text(fmt.MISSING, style="dim"),
        lambda r: r.last_use or date.min,
        usage=True,
    ),
    SpendColumn(
        "requests",
        "requests",
        8,
        3,
        lambda r, v: _usage(r, fmt.token_count(r.requests, compact=True)),
        lambda r: r.requests,
        usage=True,
        right=True,
    ),
    SpendColumn(
        "tokens",
        "tokens",
        7,
        3,
        lambda r, v: _usage(r, fmt.token_count(r.input_tokens + r.output_tokens, compact=True)),
        lambda r: r.input_tokens + r.output_tokens,
        usage=True,
        right=True,
    ),
    SpendColumn("base", "base", 13, 4, lambda r, v: fmt.base_family(r.base_model), lambda r: r.base_model),
)
SORTABLE = ("total", "training", "usage", "days", "last", "requests", "model")
DESCENDING = frozenset({"total", "training", "usage", "last", "requests", "tokens"})


def fit_columns(columns, width: int, *, model_min: int, model_wanted: int, essential: int = 1):
    """Which columns fit `width`, and how wide the model column is: (columns, model width).

    Columns of priority <= `essential` always show (they fit 80 columns beside the shortest model
    names); the others only while the model column keeps the width it wants, so a narrow terminal
    loses a minor column before model names get cut. The model column takes what is left.
    """
    wanted = max(model_min, model_wanted)
    chosen, used = [], 0
    for column in sorted((c for c in columns if c.key != "model"), key=lambda c: c.priority):
        needed = model_min if column.priority <= essential else wanted
        if width - used - column.width - 2 >= needed + 2:
            chosen.append(column)
            used += column.width + 2
    model_width = max(model_min, min(wanted, width - used - 2))
    return tuple(c for c in columns if c.key == "model" or c in chosen), model_width


def haystack(row: ModelSpend) -> str:
    job = row.job
    parts = (
        row.model,
        row.base_model,
        job.id if job else None,
        job.suffix if job else None,
        job.status if job else None,
    )
    return " ".join(filter(None, parts)).lower()


class SpendScreen(TableSection):
    """Spend per custom model, with the working behind every figure."""

    SORTABLE = SORTABLE
    DESCENDING = DESCENDING
    DEFAULT_SORT = "total"

    CSS_PATH = "spend.tcss"

    SECTION = "spend"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="spend.filter", tooltip="Filter models as you type"),
        Binding("o", "cycle_sort", "Sort", id="spend.sort", tooltip="Sort by the next column"),
        Binding("O", "reverse_sort", "Reverse", show=False, id="spend.reverse", tooltip="Reverse the sort order"),
        Binding("g", "show_tab('spend-chart')", "Per day", id="spend.chart", tooltip="Chart the model's spend per day"),
        Binding("w", "show_tab('spend-why')", "Why", id="spend.why", tooltip="How each figure of the model was made"),
        Binding(
            "x",
            "show_tab('spend-check')",
            "Cross-check",
            id="spend.check",
            tooltip="finetop's figures against the costs API's line items",
        ),
        Binding(
            "c",
            "toggle_checkpoints",
            "Checkpoints",
            show=False,
            id="spend.checkpoints",
            tooltip="Show checkpoint models on their own rows, or folded into their model",
        ),
        Binding("enter", "open_job", "Job", id="spend.open", tooltip="Open the job that made this model"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="spend.clear"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view: SpendView | None = None
        self.show_checkpoints = False
        self._columns: tuple[SpendColumn, ...] = ()
        self._model_width = 0
        self._shown: list[ModelSpend] = []
        self._selected_key: str | None = None
        self._check_shown: tuple[CrossCheckLine, ...] | None = None

    def body(self) -> ComposeResult:
        with Horizontal(id="spend-bar", classes="bar"):
            yield Input(placeholder="filter models…", id="spend-filter", classes="filter")
            yield Static(id="spend-summary", classes="summary")
        yield Static(id="spend-totals")
        yield Static(id="spend-warnings")
        yield Static(id="spend-note")
        table: DataTable[str | Text] = DataTable(
            id="spend-table", classes="section-table", cursor_type="row", zebra_stripes=True
        )
        yield table
        yield Static("Reading the cache…", id="spend-empty", classes="empty")
        with TabbedContent(id="spend-tabs"):
            with TabPane("Per day", id="spend-chart"):
                yield DailyBars(id="spend-bars")
            with TabPane("Why", id="spend-why"), VerticalScroll(id="spend-why-scroll"):
                yield Static(id="spend-why-text")
            with TabPane("Cross-check", id="spend-check"), Vertical():
                yield Static(id="spend-check-summary")
                yield DataTable(id="spend-check-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#spend-filter", Input).display = False
        self.query_one("#spend-warnings", Static).display = False
        self.query_one("#spend-note", Static).display = False
        self.query_one("#spend-empty", Static).display = True
        self.query_one("#spend-table", DataTable).focus()

    # -- loading -------------------------------------------------------------------------

    def reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="spend-load", exit_on_error=False, description="reading spend")
    def _load(self) -> None:
        view = load_view(self.backend.cache, self.finetop.now(), self.finetop.wall_now())
        self.app.call_from_thread(self._show, view)

    def _show(self, view: SpendView) -> None:
        self.view = view
        self._refresh_all()

    # -- what is shown -------------------------------------------------------------------

    def rows(self) -> list[ModelSpend]:
        """The table's rows, filtered and sorted as the user asked."""
        ledger = self.view.ledger if self.view else None
        if ledger is None:
            return []
        rows = list(ledger.rows if self.show_checkpoints else ledger.rolled_up())
        needle = self.text_filter.lower().split()
        rows = [row for row in rows if all(word in haystack(row) for word in needle)]
        column = next(c for c in COLUMNS if c.key == self.sort_key)
        rows.sort(key=lambda row: (column.sort(row), row_key(row)), reverse=self.sort_reverse)
        return rows

    def selected_row(self) -> ModelSpend | None:
        table = self.query_one("#spend-table", DataTable)
        if not self._shown or table.cursor_row is None or not 0 <= table.cursor_row < len(self._shown):
            return None
        return self._shown[table.cursor_row]

    def _fitting_columns(self, usage: bool) -> tuple[tuple[SpendColumn, ...], int]:
        """The columns that fit the width, and the model column's width."""
        longest = max((len(row_name(row)) for row in self._all_rows()), default=24)
        candidates = [c for c in COLUMNS if usage or not c.usage]
        return fit_columns(candidates, max(40, self.size.width - 4), model_min=24, model_wanted=longest)

    def _all_rows(self) -> Sequence[ModelSpend]:
        ledger = self.view.ledger if self.view else None
        if ledger is None:
            return ()
        return ledger.rows if self.show_checkpoints else ledger.rolled_up()

    def _refresh_all(self) -> None:
        self._refresh_header()
        self._refresh_table()
        self._refresh_check()

    def _refresh_header(self) -> None:
        view = self.view
        if view is None:
            return
        totals = self.query_one("#spend-totals", Static)
        warnings = self.query_one("#spend-warnings", Static)
        note = self.query_one("#spend-note", Static)
        ledger = view.ledger
        if ledger is None:
            totals.update(Text(view.error, style="bold red"))
            warnings.display = note.display = False
            return
        total = money_text(ledger.total)
        total.stylize("bold")
        text = Text.assemble(("Total ", "bold"), total)
        text.append("  ·  training ")
        text.append_text(money_text(ledger.training))
        if ledger.usage is not None:
            text.append("  ·  usage ")
            text.append_text(money_text(ledger.usage))
            synced = view.usage.synced_at
            if synced and view.wall_now - synced >= STALE_USAGE and self.size.width >= 100:
                text.append(f" (as of {fmt.ago(synced, view.wall_now)})", style="yellow")
            summary = summarize_cross_check(ledger.cross_check)
            text.append("\n")
            style = "green" if summary.all_match else "yellow"
            mark = "✓" if summary.all_match else "≠"
            text.append(f"{mark} cross-check: ", style=style)
            text.append(summary.describe(), style=style)
            text.append("  (x)", style="dim")
        else:
            text.append("  ·  usage needs an admin key", style="yellow")
        totals.update(text)

        shown = list(ledger.warnings)
        warnings.display = bool(shown)
        if shown:
            lines = [Text(f"⚠ {w.message}", style="bold red") for w in shown[:2]]
            if len(shown) > 2:
                lines.append(
                    Text(f"  and {len(shown) - 2} more models the account still calls retire soon", style="red")
                )
            warnings.update(Text("\n").join(lines))
        note.display = not ledger.usage_available
        if not ledger.usage_available:
            note.update(Text(ENABLE_USAGE, style="yellow"))

    def _refresh_table(self) -> None:
        view = self.view
        table = self.query_one("#spend-table", DataTable)
        usage = bool(view and view.ledger and view.ledger.usage_available)
        columns, model_width = self._fitting_columns(usage)
        rows = self.rows()
        selected = self._selected_key
        if columns != self._columns or model_width != self._model_width:
            table.clear(columns=True)
            for column in columns:
                label = Text(column.label, justify="right" if column.right else "left")
                width = model_width if column.key == "model" else column.width
                table.add_column(label, key=column.key, width=width)
            self._columns, self._model_width = columns, model_width
        else:
            table.clear()
        for row in rows:
            cells = []
            for column in columns:
                if column.key == "model":
                    value: str | Text = row_name(row, model_width)
                    if not row.model:
                        value = Text(value, style="dim")
                else:
                    value = column.cell(row, view)  # type: ignore[arg-type]
                if column.right:
                    value = value if isinstance(value, Text) else Text(value)
                    value.justify = "right"
                cells.append(value)
            table.add_row(*cells, key=row_key(row))
        self._shown = rows
        keys = [row_key(row) for row in rows]
        if selected in keys:
            table.move_cursor(row=keys.index(selected), animate=False)
        self._update_summary()
        empty = self.query_one("#spend-empty", Static)
        table.display = bool(rows)
        empty.display = not rows
        if not rows:
            if view is None:
                empty.update("Reading the cache…")
            elif view.ledger is None:
                empty.update(view.error)
            elif self.text_filter:
                empty.update("No models match. Press escape to clear the filter.")
            else:
                empty.update(
                    "No fine-tuning jobs or models in the cache yet.\n"
                    "finetop syncs in the background; press ctrl+r to sync now."
                )
        self._refresh_selection()

    def _update_summary(self) -> None:
        ledger = self.view.ledger if self.view else None
        total = len(self._all_rows()) if ledger else 0
        shown = len(self._shown)
        parts = [f"{shown:,}" + (f" of {total:,}" if shown != total else "") + " models and jobs"]
        if self.show_checkpoints:
            parts.append("checkpoints apart")
        parts.append(self.sort_label())
        self.query_one("#spend-summary", Static).update(" · ".join(parts))

    def _refresh_selection(self) -> None:
        row = self.selected_row()
        self._selected_key = row_key(row) if row is not None else self._selected_key
        bars = self.query_one("#spend-bars", DailyBars)
        why = self.query_one("#spend-why-text", Static)
        ledger = self.view.ledger if self.view else None
        if row is None or ledger is None:
            bars.show_message("Select a model to see its spend per day.")
            why.update(Text("Select a model to see how its figures were made.", style="dim"))
            return
        if ledger.usage_available:
            bars.show(row.model or row_name(row), row.per_day, ledger.today)
        else:
            # A chart of one training bar says little: say what is known and what the chart needs.
            training = row.training
            known = (
                f"Training {training.label()} on {training_day(row.job).isoformat()}."
                if training is not None and training.amount is not None and row.job is not None
                else ""
            )
            bars.show_message(
                f"{row.model or row_name(row)}\n{known}\nSpend per day needs usage, which needs an admin key."
            )
        lines = explain(row, usage_available=ledger.usage_available, usage_hint=ENABLE_USAGE)
        why.update(why_table(row.model or row_name(row), lines))

    def _refresh_check(self) -> None:
        view = self.view
        summary_widget = self.query_one("#spend-check-summary", Static)
        table = self.query_one("#spend-check-table", DataTable)
        ledger = view.ledger if view else None
        # Thousands of rows: rebuild them only when the cross-check changed (reloads come with every poll).
        key = ledger.cross_check if ledger is not None and ledger.usage_available else None
        if key is not None and key == self._check_shown:
            return
        self._check_shown = key
        table.clear(columns=True)
        if ledger is None or not ledger.usage_available:
            table.display = False
            summary_widget.update(
                Text(
                    "The cross-check compares finetop's figures with the costs API's fine-tuning line items, "
                    "which need an admin key. " + ENABLE_USAGE,
                    style="yellow",
                )
            )
            return
        summary = summarize_cross_check(ledger.cross_check)
        # The counts are in the line above the table; here what they add up to, for the same days.
        head = Text(summary.describe() if not summary.lines else "")
        if summary.first_day and summary.last_day:
            difference = summary.billed_total - summary.computed_total
            head.append(f"costs API {fmt.money(summary.billed_total)} · finetop {fmt.money(summary.computed_total)}")
            head.append(
                f" · difference {fmt.money(difference)}",
                style="green" if summary.all_match else "yellow",
            )
            head.append(f" · {summary.first_day.isoformat()} … {summary.last_day.isoformat()}", style="dim")
        summary_widget.update(head)
        lines = [(check_status(line), line) for line in ledger.cross_check]
        order = {"differs": 0, "incomplete": 1, "not computed": 2, "not billed": 3, "unrecognised": 4, "match": 5}
        shown = sorted(
            ((status, line) for status, line in lines if status is not None),
            key=lambda item: (order[item[0]], item[1].day),
        )
        table.display = bool(shown)
        for key, label in (
            ("status", ""),
            ("day", "day"),
            ("item", "line item"),
            ("billed", "billed"),
            ("computed", "finetop"),
            ("difference", "diff"),
            ("note", "note"),
        ):
            justify = "right" if key in ("billed", "computed", "difference") else "left"
            table.add_column(Text(label, justify=justify), key=key)
        for status, line in shown:
            table.add_row(*check_cells(status, line))

    # -- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_job":
            row = self.selected_row() if self.is_mounted else None
            return True if row is not None and row.job is not None else None
        return True

    def can_sort_by(self, key: str) -> bool:
        return any(column.key == key for column in COLUMNS)

    def action_show_tab(self, tab: str) -> None:
        self.query_one("#spend-tabs", TabbedContent).active = tab

    def action_toggle_checkpoints(self) -> None:
        self.show_checkpoints = not self.show_checkpoints
        self._columns = ()
        self._refresh_table()

    @on(DataTable.RowHighlighted, "#spend-table")
    def _row_highlighted(self) -> None:
        self._refresh_selection()
        self.refresh_bindings()

    @on(DataTable.RowSelected, "#spend-table")
    def _row_chosen(self) -> None:
        self.action_open_job()

    def action_open_job(self) -> None:
        row = self.selected_row()
        if row is not None and row.job is not None:
            from tui.screens.job import JobScreen

            self.app.push_screen(JobScreen(row.job.id))

    def on_resize(self) -> None:
        if self.view is not None:
            self._refresh_table()


CHECK_MARKS = {"match": ("✓", "green"), "differs": ("≠", "bold red"), "incomplete": ("?", "yellow")}


def check_cells(status: str, line: CrossCheckLine) -> tuple[Text, ...]:
    """One cross-check row: a mark, the day, the line item (base without its date, and the kind), the billed
    amount, finetop's figure, the difference, and for anything but a match what happened."""
    mark, style = CHECK_MARKS.get(status, ("!", "yellow"))
    if line.base_model is not None:
        item = f"{fmt.base_family(line.base_model)} {(line.kind or '').replace('_', ' ')}"
    else:
        item = line.line_item or fmt.MISSING
    note = line.note if status == "match" else f"{status}" + (f": {line.note}" if line.note else "")
    return (
        Text(mark, style=style),
        Text(line.day.isoformat()),
        Text(item),
        Text(fmt.money(line.billed) if line.billed is not None else fmt.MISSING, justify="right"),
        Text(line.computed.label() if line.computed is not None else fmt.MISSING, justify="right"),
        Text(_difference(status, line.difference), justify="right", style=style),
        Text(note, style="dim" if status == "match" else style),
    )


def _difference(status: str, difference: Decimal | None) -> str:
    if difference is None:
        return fmt.MISSING
    return "$0.00" if status == "match" else fmt.money(difference)


def load_view(cache: Cache, now: float, wall_now: float | None = None) -> SpendView:
    """Read and price everything the Spend screen shows (on a worker thread)."""
    today = datetime.fromtimestamp(now, UTC).date()
    state = usage_state(cache)
    deleted = frozenset(m.id for m in cache.models(include_deleted=True, fine_tuned_only=True) if m.deleted_at)
    try:
        ledger = ledger_for(cache, today=today, now=int(now), has_admin_key=state.available)
    except FinetopError as error:  # the user's prices.csv: say what is wrong, keep the app usable
        return SpendView(None, state, error=str(error), deleted=deleted, wall_now=wall_now or now)
    return SpendView(ledger, state, deleted=deleted, wall_now=wall_now or now)


__all__ = ["DailyBars", "SpendScreen", "bar_chart", "lifecycle_text", "load_view", "money_text", "row_name"]
