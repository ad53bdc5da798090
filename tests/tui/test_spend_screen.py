"""The Spend section against the emulator's demo account: the table, sorting, the why panel, the chart,
the cross-check, opening a job, and the state without an admin key."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from rich.console import Console
from textual.widgets import DataTable, Static, TabbedContent

import store.sync
from store.spend import DayAmount
from store.spend_report import summarize_cross_check
from tests.tui.spend_worlds import model_of, shared_world
from tui import format as fmt
from tui.screens.job import JobScreen
from tui.screens.spend import DailyBars, SpendScreen, bar_chart, day_bars

SIZE = (120, 36)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with shared_world(tmp_path_factory.mktemp("spend-demo")) as world:
        yield world


@pytest.fixture(scope="module")
def demo_without_admin_key(tmp_path_factory):
    with shared_world(tmp_path_factory.mktemp("spend-demo-no-admin"), admin=False) as world:
        yield world


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_spend(pilot) -> SpendScreen:
    await pilot.press("4")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SpendScreen)
    return screen


def text_of(screen, selector: str) -> str:
    """What a Static shows, as plain text (tables included), as wide as the screen."""
    console = Console(width=SIZE[0], file=io.StringIO(), record=True)
    console.print(screen.query_one(selector, Static).content)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


def column_keys(screen) -> list[str]:
    return [str(key.value) for key in screen.query_one("#spend-table", DataTable).columns]


def shown_models(screen) -> list[str | None]:
    return [row.model for row in screen._shown]


async def select(pilot, screen: SpendScreen, model: str) -> None:
    index = shown_models(screen).index(model)
    screen.query_one("#spend-table", DataTable).move_cursor(row=index)
    await pilot.pause()


async def test_lists_every_model_and_job_by_total_with_the_profile_total(demo):
    support = model_of(demo, "support-bot")
    async with demo.app().run_test(size=SIZE) as pilot:
        screen = await open_spend(pilot)
        ledger = screen.view.ledger
        models = [row for row in screen._shown if row.model]
        jobs = [row for row in screen._shown if not row.model]

        assert len(models) == 7 and len(jobs) == 8  # checkpoints fold into their model
        assert models[0].model == support  # the most expensive first: it served the longest
        totals = [row.total.amount for row in models]
        assert totals == sorted(totals, reverse=True)
        head = text_of(screen, "#spend-totals")
        assert f"Total {ledger.total.label()}" in head and f"usage {ledger.usage.label()}" in head
        assert summarize_cross_check(ledger.cross_check).describe() in head
        assert column_keys(screen) == ["model", "training", "usage", "total", "days", "last", "requests", "tokens"]
        # What the user reads in the first row.
        cells = [str(cell) for cell in screen.query_one("#spend-table", DataTable).get_row_at(0)]
        first = models[0]
        assert cells[1:5] == [first.training.label(), first.usage.label(), first.total.label(), "retired"]
        assert cells[1].startswith("$") and "," in cells[3]  # dollars and cents, thousands separated


async def test_sorting_by_training_then_reversed(demo):
    async with demo.app().run_test(size=SIZE) as pilot:
        screen = await open_spend(pilot)
        await pilot.press("o")
        # Reinforcement training ($100 an hour) costs more than any token-billed job of the demo.
        assert screen.sort_key == "training" and shown_models(screen)[0] == model_of(demo, "sec-review")
        assert "sort: training ↓" in text_of(screen, "#spend-summary")
        await pilot.press("O")
        amounts = [row.training.amount or 0 for row in screen._shown if row.training is not None]
        assert amounts == sorted(amounts)


async def test_the_why_panel_shows_the_price_rows_and_formulas_of_the_selected_model(demo):
    review = model_of(demo, "sec-review")
    async with demo.app().run_test(size=SIZE) as pilot:
        screen = await open_spend(pilot)
        row = screen.view.ledger.row(review)
        await select(pilot, screen, review)
        await pilot.press("w")
        await pilot.pause()
        assert screen.query_one("#spend-tabs", TabbedContent).active == "spend-why"
        why = text_of(screen, "#spend-why-text")
        assert why.startswith(review)
        hours = row.training.quantity.quantize(Decimal("0.0001")).normalize()
        assert re.search(rf"^Training +{re.escape(row.training.label())}$", why, re.M)
        assert re.search(rf"^  formula +{hours} h x \$100\.00 per hour = \$\d+\.\d+$", why, re.M)
        price = r"^  price +o4-mini-2025-04-16 training \$100\.00 per hour, in force from 2025-05-07"
        assert re.search(price, why, re.M)
        assert re.search(r"^  note +hours billed, from the costs API$", why, re.M)
        assert re.search(r"^  output +[\d,]+ tokens x \$16\.00 per 1M tokens = \$[\d,.]+ ", why, re.M)
        assert re.search(rf"^Total +{re.escape(row.total.label())}$", why, re.M)


async def test_the_chart_follows_the_selected_model(demo):
    review = model_of(demo, "sec-review")
    async with demo.app().run_test(size=SIZE) as pilot:
        screen = await open_spend(pilot)
        bars = screen.query_one("#spend-bars", DailyBars)
        assert bars.title == model_of(demo, "support-bot")
        await select(pilot, screen, review)
        assert bars.title == review
        # The training day is far above any usage day: drawn off the scale; the axis runs to today.
        drawn = str(bars.render())
        trained = screen.view.ledger.row(review).per_day[0].day.isoformat()
        assert "↑ off scale" in drawn and trained in drawn and "2026-11-20" in drawn


async def test_the_cross_check_lists_the_difference_first(demo):
    async with demo.app().run_test(size=SIZE) as pilot:
        screen = await open_spend(pilot)
        await pilot.press("x")
        await pilot.pause()
        assert screen.query_one("#spend-tabs", TabbedContent).active == "spend-check"
        table = screen.query_one("#spend-check-table", DataTable)
        first = [str(cell) for cell in table.get_row_at(0)]
        # The cancelled ticket-triage job: billed for its progress, which the API does not report.
        assert first[:3] == ["?", "2026-11-11", "gpt-4o-mini training"]
        assert first[3].startswith("$0.0") and first[4] == "$0.00 + ?"
        assert first[6].startswith("incomplete: part of finetop's figure is unpriced or unknown")
        second = [str(cell) for cell in table.get_row_at(1)]
        assert second[0] == "✓" and second[5] == "$0.00"
        summary = summarize_cross_check(screen.view.ledger.cross_check)
        assert table.row_count == summary.lines
        head = text_of(screen, "#spend-check-summary")
        assert f"costs API {fmt.money(summary.billed_total)} · finetop {fmt.money(summary.computed_total)}" in head


async def test_filter_and_enter_opens_the_job_that_made_the_model(demo):
    async with demo.app().run_test(size=SIZE) as pilot:
        screen = await open_spend(pilot)
        await pilot.press("slash", *"sec-review", "enter")
        await pilot.pause()
        assert shown_models(screen) == [model_of(demo, "sec-review")]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, JobScreen)
        assert pilot.app.screen.job_id == screen._shown[0].job.id


async def test_without_an_admin_key_training_shows_and_usage_says_how_to_enable_it(demo_without_admin_key):
    async with demo_without_admin_key.app().run_test(size=SIZE) as pilot:
        screen = await open_spend(pilot)
        assert column_keys(screen) == ["model", "training", "total", "days", "base"]
        note = text_of(screen, "#spend-note")
        assert "OPENAI_ADMIN_KEY" in note and "admin_key_command" in note and "Training spend below" in note
        assert "usage needs an admin key" in text_of(screen, "#spend-totals")
        # Without the costs API the reinforcement hours are an upper bound (at least what was billed).
        training = screen.view.ledger.row(model_of(demo_without_admin_key, "sec-review")).training
        assert training.upper_bound and training.label().startswith("≤$") and training.amount > 0
        await pilot.press("x")
        await pilot.pause()
        assert "need an admin key" in text_of(screen, "#spend-check-summary")


def test_day_bars_average_runs_of_days_to_fill_the_width():
    days = [DayAmount(date(2026, 1, 1), usage=Decimal(10)), DayAmount(date(2026, 1, 10), usage=Decimal(20))]
    bars = day_bars(days, date(2026, 1, 10), 4)
    assert [bar.days for bar in bars] == [2, 3, 2, 3]
    assert bars[0].usage == Decimal(5) and bars[-1].usage == Decimal(20) / 3
    assert sum(bar.total * bar.days for bar in bars) == Decimal(30)


def test_bar_chart_marks_a_training_day_off_the_scale():
    days = [DayAmount(date(2026, 1, 1), training=Decimal(300))]
    days += [DayAmount(date(2026, 1, d), usage=Decimal(2)) for d in range(2, 11)]
    chart = bar_chart("model", days, date(2026, 1, 10), 40, 8).plain
    lines = chart.splitlines()
    assert "↑ off scale" in lines[0]
    # The scale follows usage (x 1.25), not the $300 training day, whose bar is cut with ↑.
    assert lines[1].startswith("  $2.50 ┤↑↑ ")
    assert lines[3].startswith("        │██ ██ ██ ██ ██ ██ ██ ██ ██ ██")
    assert lines[-1].strip().startswith("2026-01-01") and lines[-1].strip().endswith("2026-01-10")
    assert bar_chart("model", [], date(2026, 1, 10), 40, 8).plain.endswith("No spend recorded for this model yet.")


def overview_text(screen) -> str:
    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(screen.query_one("#job-overview", Static).content)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


async def open_job(pilot, job_id: str) -> JobScreen:
    """A job opened on its overview (`v` from the Live view)."""
    pilot.app.push_screen(JobScreen(job_id))
    await settle(pilot)
    await pilot.press("v")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, JobScreen) and screen.view == "overview"
    return screen


async def test_a_finished_jobs_overview_shows_its_training_cost_and_formula(demo):
    review = model_of(demo, "sec-review")
    async with demo.app().run_test(size=SIZE) as pilot:
        ledger = (await open_spend(pilot)).view.ledger
        training = ledger.row(review).training
        screen = await open_job(pilot, ledger.row(review).job.id)
        text = overview_text(screen)
        assert re.search(rf"^training cost +{re.escape(training.label())}$", text, re.M)
        assert f"{training.formula()} · o4-mini-2025-04-16 training price from 2025-05-07" in text
        assert "hours billed, from the costs API" in text


ESTIMATE_LINE = r"training cost +≈\$[\d.]+ estimate"


async def test_a_running_jobs_overview_shows_an_estimate_once_its_training_file_is_archived(make_world, monkeypatch):
    monkeypatch.setattr(store.sync, "AUTO_ARCHIVE_BYTES", 0)  # as if the training file were too big to keep as it runs
    world = make_world("demo")
    running = next(job for job in world.backend.cache.jobs(statuses=["running"]) if job.suffix == "sql-helper")
    async with world.app().run_test(size=SIZE) as pilot:
        text = overview_text(await open_job(pilot, running.id))
        assert re.search(r"^training cost +unknown$", text, re.M)
        assert "Archive the training file (`finetop archive --with-contents`) for an estimate" in text

    report = world.backend.sync(with_contents=True)
    assert not report.errors
    async with world.app().run_test(size=SIZE) as pilot:
        text = overview_text(await open_job(pilot, running.id))
        line = next(line for line in text.splitlines() if line.startswith("training cost"))
        assert re.fullmatch(ESTIMATE_LINE, line)
        assert re.search(r"[\d,]+ tokens x \$5\.00 per 1M tokens = \$[\d.]+ · gpt-4\.1-mini-2025-04-14 training", text)
        assert "estimate while running" in text and "(training file x epochs); the real figure replaces it" in text


async def test_a_malformed_price_file_is_named_on_screen_and_the_app_stays_usable(demo):
    from store.pricing import user_prices_path

    path = user_prices_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("model,kind,unit,usd,effective_from\ngpt-4o-mini,training,per_1M_tokens,cheap,2026-01-01\n")
    async with demo.app().run_test(size=SIZE) as pilot:
        screen = await open_spend(pilot)
        problem = text_of(screen, "#spend-totals")
        assert f"{path} line 2" in problem and "'cheap' is not a number" in problem
        assert not screen.query_one("#spend-table", DataTable).display
        await pilot.press("3")  # the Models screen still lists the models, and says why spend is missing
        await settle(pilot)
        assert len(pilot.app.screen._shown) == 21
        assert "Spend is not shown" in str(pilot.app.screen.query_one("#models-note", Static).render())
