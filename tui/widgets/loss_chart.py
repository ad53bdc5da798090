"""LossChart: a job's loss (or reward) curves against step, with a legend of the latest values.

Drawn with textual-plotext's Plot from a min/max-downsampled copy of the series, so 100,000 steps
chart in a few tens of milliseconds. Series differ by shape as well as colour (braille line,
• validation points, ◆ final full validation), so the chart reads on 16 colours and without colour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static
from textual_plotext.plot import Plot

from store.metrics import downsample_points, merge
from store.types import MetricSeries
from tui.format import number


@dataclass(frozen=True, slots=True)
class Line:
    """How one metric is drawn: plotext marker, ANSI colour number (0-15), legend label and glyph."""

    metric: str
    label: str
    marker: str
    color: int
    glyph: str
    right_axis: bool = False
    fraction: bool = False  # shown as 0.88 in the legend rather than 0.412
    short: str = ""  # legend label when the full legend does not fit


CYAN, YELLOW, MAGENTA, GREEN = 6, 3, 5, 2
# Drawn in this order: later lines cover earlier ones, so the sparse validation points and the
# final marker go on top of the dense training line.
LOSS_LINES = (
    Line("train_loss", "train", "braille", CYAN, "━"),
    Line("valid_loss", "valid", "•", YELLOW, "•", short="val"),
    Line("full_valid_loss", "full valid", "◆", MAGENTA, "◆", short="full"),
)
ACCURACY_LINES = (
    Line("train_mean_token_accuracy", "acc", "braille", GREEN, "━", right_axis=True, fraction=True),
    Line("valid_mean_token_accuracy", "val acc", "◦", GREEN, "◦", right_axis=True, fraction=True, short="v.acc"),
    Line("full_valid_mean_token_accuracy", "full acc", "◆", GREEN, "◆", right_axis=True, fraction=True, short="f.acc"),
)
REWARD_LINES = (
    Line("train_mean_reward", "train reward", "braille", CYAN, "━", short="train"),
    Line("full_valid_mean_reward", "valid reward", "•", YELLOW, "•", short="valid"),
)
_ANSI_NAMES = {CYAN: "cyan", YELLOW: "yellow", MAGENTA: "magenta", GREEN: "green"}


def chart_mode(series: MetricSeries) -> str:
    """The chart mode of a series: "reward" for reinforcement jobs, "loss" for everything else."""
    # A loss wins: a method that reports both (DPO variants might) is still read by its loss.
    if _has_values(series, "train_loss") or _has_values(series, "valid_loss"):
        return "loss"
    has_reward = _has_values(series, "train_mean_reward") or _has_values(series, "full_valid_mean_reward")
    return "reward" if has_reward else "loss"


def lines_for(series: MetricSeries, show_accuracy: bool) -> list[Line]:
    """The lines that have data and are switched on, in drawing order."""
    lines = list(REWARD_LINES if chart_mode(series) == "reward" else LOSS_LINES)
    if show_accuracy and chart_mode(series) == "loss":
        lines += ACCURACY_LINES
    return [line for line in lines if _has_values(series, line.metric)]


def _has_values(series: MetricSeries, metric: str) -> bool:
    column = series.values.get(metric)
    return column is not None and column.count(None) != len(column)


def _last_value(series: MetricSeries, metric: str) -> float | None:
    column = series.values.get(metric)
    if not column:
        return None
    for value in reversed(column):
        if value is not None:
            return value
    return None


def nice_step(span: float, max_ticks: int) -> float:
    """The round step (1, 2, 2.5 or 5 times a power of ten) that cuts `span` into at most `max_ticks` ticks."""
    raw = span / (max(2, max_ticks) - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))


def nice_ticks(low: float, high: float, max_ticks: int) -> list[int]:
    """Round integer steps for the x axis: 0, 50, 100, ... at most `max_ticks` of them."""
    low_i, high_i = math.floor(low), math.ceil(high)
    if high_i <= low_i:
        return [low_i]
    step = max(1, int(nice_step(high_i - low_i, max_ticks)))
    first = math.ceil(low_i / step) * step
    return list(range(first, high_i + 1, step))


def value_ticks(low: float, high: float, max_ticks: int) -> tuple[list[float], list[str]]:
    """Round values for a y axis between `low` and `high` (0.5, 1.0, 1.5 ...) and their labels, so the
    labels read as a scale rather than as whatever value fell on each row."""
    if not high > low:
        return [low], [f"{low:.2f}"]
    step = nice_step(high - low, max_ticks + 1)  # two ticks at least, even on a short chart
    magnitude = 10 ** math.floor(math.log10(step) + 1e-9)
    decimals = max(0, -round(math.log10(magnitude))) + (1 if math.isclose(step / magnitude, 2.5) else 0)
    first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
    ticks = [n * step for n in range(first, last + 1)]
    return ticks, [f"{tick:.{decimals}f}" for tick in ticks]


def tick_label(value: int) -> str:
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k" if value % 1000 == 0 else f"{value / 1000:.1f}k"
    return str(value)


def legend_text(series: MetricSeries, show_accuracy: bool, width: int | None = None) -> Text:
    """`step 150/300  ━ train 0.412  • valid 0.455  ◆ full valid 0.402  ━ acc 0.88`, shortened to fit `width`.

    When the full legend is too wide, labels get shorter; entries that still do not fit are left
    out whole (last first) rather than cut in the middle of a number.
    """
    entries = _legend_entries(series, show_accuracy, compact=False)
    text = _join(entries)
    if width is None or text.cell_len <= width:
        return text
    entries = _legend_entries(series, show_accuracy, compact=True)
    while len(entries) > 1 and _join(entries).cell_len > width:
        entries.pop()
    return _join(entries)


def _join(entries: list[Text]) -> Text:
    return Text("  ", no_wrap=True, overflow="ellipsis").join(entries)


def _legend_entries(series: MetricSeries, show_accuracy: bool, compact: bool) -> list[Text]:
    entries: list[Text] = []
    if series.steps:
        entry = Text()
        if not compact:
            entry.append("step ", style="dim")
        total = f"/{series.total_steps:,}" if series.total_steps else ""
        entry.append(f"{series.steps[-1]:,}{total}", style="bold")
        entries.append(entry)
    shown = {line.metric for line in lines_for(series, show_accuracy)}
    candidates = REWARD_LINES if chart_mode(series) == "reward" else (*LOSS_LINES, *ACCURACY_LINES)
    hidden_accuracy = False
    for line in candidates:
        value = _last_value(series, line.metric)
        if value is None:
            continue
        if line.metric not in shown:
            hidden_accuracy = hidden_accuracy or line.right_axis
            continue
        entry = Text()
        entry.append(f"{line.glyph} ", style=_ANSI_NAMES[line.color])
        entry.append(f"{(line.short or line.label) if compact else line.label} ")
        entry.append(f"{value:.2f}" if line.fraction else number(value), style="bold")
        entries.append(entry)
    if hidden_accuracy:
        # Accuracy exists but is switched off: say so, and how to see it, without taking much room.
        value = _last_value(series, "train_mean_token_accuracy")
        entries.append(Text(f"acc {value:.2f} (a)" if value is not None else "acc (a)", style="dim"))
    return entries


def build_chart(series: MetricSeries, width: int, height: int, show_accuracy: bool = False) -> Text:
    """The chart as rich Text for a `width` x `height` cell area (the axes included)."""
    width, height = max(width, 10), max(height, 4)
    plot = Plot()
    plot.theme("clear")  # no colours of its own: the widget's CSS background and foreground show through
    plot.plotsize(width, height)
    plot._set_size(width, height)  # textual-plotext's belt-and-braces, see PlotextPlot.render
    steps = series.steps
    ranges: dict[str, list[float]] = {}
    for line in lines_for(series, show_accuracy):
        # Braille packs two points per cell across: that is all the resolution there is to keep.
        xs, ys = downsample_points(steps, series.values[line.metric], width * 2)
        side = "right" if line.right_axis else "left"
        if line.marker == "braille" and len(xs) > 1:
            plot.plot(xs, ys, marker="braille", color=line.color, yside=side)
        else:
            plot.scatter(xs, ys, marker=line.marker, color=line.color, yside=side)
        if ys:
            ranges.setdefault(side, []).extend((min(ys), max(ys)))
    for side, values in ranges.items():
        ticks, labels = value_ticks(min(values), max(values), max_ticks=max(2, (height - 2) // 2))
        plot.yticks(ticks, labels, yside=side)
    low = min(steps[0], 0) if steps else 0
    # Fit the steps reported so far: a running job's curve must be readable at step 38 of 1,200
    # (the legend says how far along it is).
    high = max(steps[-1] if steps else (series.total_steps or 1), low + 10)
    plot.xlim(low, high)
    ticks = nice_ticks(low, high, max_ticks=max(2, width // 12))
    plot.xticks(ticks, [tick_label(t) for t in ticks])
    return Text.from_ansi(plot.build(), no_wrap=True, end="")


class MetricsPlot(Widget):
    """The plot area of a LossChart: redraws only when the data, its size or the toggles change."""

    DEFAULT_CSS = """
    MetricsPlot {
        height: 1fr;
        color: $text-muted;
    }
    """

    def __init__(self, chart: LossChart, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._chart = chart
        self._cache_key: tuple[object, ...] | None = None
        self._cached: Text | None = None

    def render(self) -> RenderResult:
        chart = self._chart
        key = (chart.version, self.size.width, self.size.height, chart.show_accuracy)
        if key != self._cache_key or self._cached is None:
            self._cached = build_chart(chart.series, self.size.width, self.size.height, chart.show_accuracy)
            self._cache_key = key
        return self._cached


class LossChart(Widget, can_focus=True):
    """Training curves of one job: loss (and token accuracy on a right axis) or reward, by step."""

    DEFAULT_CSS = """
    LossChart {
        height: 1fr;
        min-height: 6;
        layout: vertical;
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
        }
        & > .loss-chart--legend {
            height: 1;
            padding: 0 1;
        }
        & > .loss-chart--empty {
            height: 1fr;
            content-align: center middle;
            color: $text-muted;
        }
    }
    """
    BINDINGS = [
        Binding(
            "a",
            "toggle_accuracy",
            "Accuracy",
            id="loss_chart.accuracy",
            tooltip="Show or hide token accuracy on a right-hand axis",
        ),
    ]

    show_accuracy: reactive[bool] = reactive(False)
    """Draw token accuracy (train, validation, full validation) on a right-hand axis."""
    version: reactive[int] = reactive(0, init=False)
    """Bumped on every data change; the plot redraws when it moves."""

    def __init__(
        self,
        series: MetricSeries | None = None,
        *,
        show_accuracy: bool = False,
        empty_text: str = "no metrics yet",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._series = series or MetricSeries()
        self._empty_text = empty_text
        self.set_reactive(LossChart.show_accuracy, show_accuracy)

    @property
    def series(self) -> MetricSeries:
        """Everything charted so far (read only; use update/append to change it)."""
        return self._series

    @property
    def mode(self) -> str:
        """The chart's mode: "reward" for reinforcement jobs, "loss" otherwise."""
        return chart_mode(self._series)

    def compose(self) -> ComposeResult:
        yield Static(classes="loss-chart--legend", markup=False)
        yield MetricsPlot(self)
        yield Static(self._empty_text, classes="loss-chart--empty", markup=False)

    def on_mount(self) -> None:
        self._show()

    def update(self, series: MetricSeries) -> None:
        """Chart `series` instead of what was there."""
        self._series = series
        self._changed()

    def append(self, delta: MetricSeries) -> None:
        """Add newly reported steps (as series_from_events gives for new events)."""
        if not delta.steps and delta.total_steps in (None, self._series.total_steps):
            return
        self._series = merge(self._series, delta)
        self._changed()

    def clear(self) -> None:
        self.update(MetricSeries())

    def action_toggle_accuracy(self) -> None:
        self.show_accuracy = not self.show_accuracy

    def watch_show_accuracy(self) -> None:
        if self.is_mounted:
            self._show()

    def on_resize(self) -> None:
        self._show()

    def _changed(self) -> None:
        self.version += 1
        if self.is_mounted:
            self._show()

    def _show(self) -> None:
        has_data = bool(lines_for(self._series, self.show_accuracy))
        legend = self.query_one(".loss-chart--legend", Static)
        legend.update(legend_text(self._series, self.show_accuracy, width=max(1, self.size.width - 2)))
        legend.display = has_data
        plot = self.query_one(MetricsPlot)
        plot.display = has_data
        plot.refresh()
        self.query_one(".loss-chart--empty", Static).display = not has_data
