"""Timing of the widgets against the issue's targets: a 100,000-event job opens and charts in under 100 ms.

Run: .venv/bin/python tests/bench/bench_widgets.py   (not collected by pytest)

Each figure is the median (and the best) of several runs, in milliseconds, with the median's ratio
to the 100 ms target; on a busy machine the best run is the fairer figure of the code's own cost.
"app" rows drive a real Textual app headless (run_test): they build and paint what a user sees.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from textual.app import App, ComposeResult

from store.metrics import downsample, series_from_events
from store.types import JobEvent, MetricSeries
from tests.tui.harness import T0, supervised_events
from tui.widgets.event_log import EventLog
from tui.widgets.loss_chart import LossChart, MetricsPlot, build_chart

TARGET_MS = 100.0
N = 100_000
RUNS = 7


def make_events(n: int = N) -> list[JobEvent]:
    """A 100,000-step supervised job: one metrics event per step, validation every 100 steps."""
    events = supervised_events(n, eval_every=100)
    return [replace(event, created_at=T0 + i) for i, event in enumerate(events)]


def timed_ms(action: Callable[[], object], runs: int = RUNS) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


class JobApp(App[None]):
    """What the job screen will hold: the chart above the log."""

    def compose(self) -> ComposeResult:
        yield LossChart(id="chart")
        yield EventLog(utc=True, id="log")


async def through_the_app(events: list[JobEvent], size: tuple[int, int]) -> dict[str, list[float]]:
    app = JobApp()
    results: dict[str, list[float]] = {"open": [], "chart": [], "log": [], "append": [], "page": []}
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        chart, log = app.query_one(LossChart), app.query_one(EventLog)
        plot = chart.query_one(MetricsPlot)
        height = log.scrollable_content_region.height
        for _ in range(RUNS):
            chart.clear()
            log.clear()
            await pilot.pause()
            started = time.perf_counter()
            # Opening a job: its events become the chart's series and the log's lines, then one frame.
            chart.update(series_from_events(events))
            log.set_events(events)
            plot.render()
            for y in range(height):
                log.render_line(y)
            results["open"].append((time.perf_counter() - started) * 1000)
            await pilot.pause()

            started = time.perf_counter()
            chart.update(chart.series)  # a redraw of 100,000 points (new version, same data)
            plot.render()
            results["chart"].append((time.perf_counter() - started) * 1000)

            log.clear()
            started = time.perf_counter()
            log.set_events(events)
            for y in range(height):
                log.render_line(y)
            results["log"].append((time.perf_counter() - started) * 1000)
            await pilot.pause()

            last = log.events[-1]
            new = JobEvent(
                id=f"ftevent-new-{len(results['append'])}",
                job_id=last.job_id,
                created_at=last.created_at + 1,
                level="info",
                message="Fine-tuning job resumed",
            )
            started = time.perf_counter()
            log.append([new])
            for y in range(height):
                log.render_line(y)
            results["append"].append((time.perf_counter() - started) * 1000)

            started = time.perf_counter()
            log.scroll_to(y=log.scroll_offset.y // 2, animate=False, immediate=True)
            for y in range(height):
                log.render_line(y)
            results["page"].append((time.perf_counter() - started) * 1000)
            await pilot.pause()
    return results


def main() -> None:
    events = make_events()
    series = series_from_events(events)
    assert len(series) == N, len(series)
    rows: list[tuple[str, list[float]]] = []

    rows.append(("series_from_events, 100,000 metrics events", timed_ms(lambda: series_from_events(events))))
    rows.append(("downsample 100,000 steps to 236 columns", timed_ms(lambda: downsample(series, 236))))
    for width, height in ((80, 22), (120, 34)):
        rows.append(
            (
                f"build_chart 100,000 steps at {width}x{height} (downsample+plot)",
                timed_ms(lambda w=width, h=height: build_chart(series, w, h)),
            )
        )
    rows.append(("build_chart with accuracy axis at 120x34", timed_ms(lambda: build_chart(series, 120, 34, True))))
    small: MetricSeries = downsample(series, 236)
    rows.append(("plot alone (already downsampled) at 120x34", timed_ms(lambda: build_chart(small, 120, 34))))

    for size in ((80, 24), (120, 36)):
        figures = asyncio.run(through_the_app(events, size))
        label = f"{size[0]}x{size[1]}"
        rows.append((f"app {label}: open job (series + chart + log, first frame)", figures["open"]))
        rows.append((f"app {label}: redraw chart of 100,000 steps", figures["chart"]))
        rows.append((f"app {label}: EventLog.set_events(100,000) + visible lines", figures["log"]))
        rows.append((f"app {label}: append 1 event to 100,000 and repaint", figures["append"]))
        rows.append((f"app {label}: jump half-way and paint a screenful", figures["page"]))

    width = max(len(name) for name, _ in rows)
    print(f"{'measure':<{width}}  {'median ms':>9}  {'best ms':>7}  {'x target':>8}")
    print("-" * (width + 32))
    for name, times in rows:
        median = statistics.median(times)
        print(f"{name:<{width}}  {median:9.1f}  {min(times):7.1f}  {median / TARGET_MS:8.2f}")


if __name__ == "__main__":
    main()
