"""The Models section against the emulator's demo account: models with their checkpoints, lifecycle, spend,
opening the creating job, copying an id, and deleting a model (confirmed, refused, offline)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.widgets import DataTable, Static

from tests.tui.spend_worlds import model_of, shared_world
from tui.app import frozen_clock, make_app
from tui.screens.job import JobScreen
from tui.screens.models import ModelsScreen
from tui.widgets.confirm import ConfirmScreen

SIZE = (120, 36)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with shared_world(tmp_path_factory.mktemp("models-demo")) as world:
        yield world


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_models(pilot) -> ModelsScreen:
    await pilot.press("3")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ModelsScreen)
    return screen


def cells(screen: ModelsScreen, index: int) -> list[str]:
    return [str(cell) for cell in screen.query_one("#models-table", DataTable).get_row_at(index)]


def ids(screen: ModelsScreen) -> list[str]:
    return [entry.id for entry in screen._shown]


async def select(pilot, screen: ModelsScreen, model_id: str) -> None:
    screen.query_one("#models-table", DataTable).move_cursor(row=ids(screen).index(model_id))
    await pilot.pause()


def emulator_model(world, model_id: str) -> dict:
    return next(m for m in world.emulator.control.snapshot()["models"] if m["id"] == model_id)


async def test_models_are_listed_newest_first_each_followed_by_its_checkpoints(demo):
    tone, support = model_of(demo, "tone-polish"), model_of(demo, "support-bot")
    async with demo.app().run_test(size=SIZE) as pilot:
        screen = await open_models(pilot)
        spend = screen.view.spend.ledger
        assert len(screen._shown) == 21  # 7 models, 14 checkpoints
        # The DPO tone model is the newest; its two checkpoints follow it, by step.
        assert ids(screen)[:3] == [tone, f"{tone}:ckpt-step-200", f"{tone}:ckpt-step-400"]
        row = spend.row(tone)
        short = "gpt-4o-mini:tone-polish:" + tone.rsplit(":", 1)[1]
        created = screen._shown[0].created
        assert cells(screen, 0) == [
            short,
            "serving",
            row.training.label(),
            row.usage.label(),
            row.total.label(),
            datetime.fromtimestamp(created, UTC).date().isoformat(),
            "gpt-4o-mini",
        ]
        assert cells(screen, 1)[:3] == ["  └ ckpt-step-200", "serving", "in model"]
        assert cells(screen, ids(screen).index(support))[1] == "retired"
        summary = str(screen.query_one("#models-summary", Static).render())
        assert summary.startswith(
            f"7 models, 14 checkpoints · training {spend.training.label()} · usage {spend.usage.label()}"
        )
        # The selected model in full, with the job that made it and its training formula.
        detail = str(screen.query_one("#models-detail", Static).render())
        assert tone in detail and "(dpo, succeeded) from gpt-4o-mini-2024-07-18" in detail
        assert f"{row.training.formula()}" in detail and "x $3.00 per 1M tokens" in detail


async def test_sorting_and_filtering_keep_checkpoints_with_their_model(demo):
    support, sql = model_of(demo, "support-bot"), model_of(demo, "sql-helper")
    async with demo.app().run_test(size=SIZE) as pilot:
        screen = await open_models(pilot)
        await pilot.press("o")  # by model name
        assert screen.sort_key == "model"
        assert ids(screen)[0] == support and ids(screen)[1] == f"{support}:ckpt-step-180"
        await pilot.press("slash", *"sql", "enter")
        await pilot.pause()
        assert ids(screen) == [sql, f"{sql}:ckpt-step-400", f"{sql}:ckpt-step-800"]
        await pilot.press("c")
        assert ids(screen) == [sql]


async def test_enter_opens_the_creating_job_and_y_copies_the_id(demo):
    sql = model_of(demo, "sql-helper")
    async with demo.app().run_test(size=SIZE) as pilot:
        screen = await open_models(pilot)
        await select(pilot, screen, f"{sql}:ckpt-step-400")
        await pilot.press("y")
        assert pilot.app.clipboard == f"{sql}:ckpt-step-400"
        await pilot.press("enter")
        await settle(pilot)
        job = pilot.app.screen
        assert isinstance(job, JobScreen)
        assert job.job is not None and job.job.fine_tuned_model == sql


async def test_a_model_retiring_within_30_days_that_is_still_called_is_flagged(demo):
    # Seen from 2026-10-10: the gpt-3.5-turbo fine-tune retires on 2026-10-23 and was called that week.
    support = model_of(demo, "support-bot")
    before = datetime(2026, 10, 10, 12, tzinfo=UTC).timestamp()
    app = make_app(demo.backend, clock=frozen_clock(before), wall_clock=frozen_clock(demo.synced_at), poll=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot)
        row = cells(screen, ids(screen).index(support))
        assert row[1] == "13d left"
        cell = screen.query_one("#models-table", DataTable).get_row_at(ids(screen).index(support))[1]
        assert "red" in str(cell.style)
        warning = str(screen.query_one("#models-warnings", Static).render())
        assert f"⚠ {support} stops serving on 2026-10-23 (in 13 days)" in warning
        await pilot.press("4")  # the Spend screen warns the same way
        await settle(pilot)
        spend_warning = str(pilot.app.screen.query_one("#spend-warnings", Static).render())
        assert f"⚠ {support} stops serving on 2026-10-23 (in 13 days)" in spend_warning


async def test_deleting_a_model_asks_first_then_removes_it_here_and_on_the_server(make_world):
    world = make_world("demo")
    tone = model_of(world, "tone-polish")
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_models(pilot)
        await select(pilot, screen, tone)
        await pilot.press("d")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmScreen)
        body = f"{dialog.title_text}\n{dialog.body}\n{dialog.warning}"
        job_id = screen._shown[0].job.id
        assert f"Delete {tone}?" in body and f"Made by {job_id} (tone-polish)" in body
        assert "Deleting a model is permanent" in body
        await pilot.press("y")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert tone not in ids(screen)
        assert emulator_model(world, tone)["deleted"] is True
        assert tone not in {m.id for m in world.backend.cache.models()}
        assert any(n.title == "Model deleted" for n in pilot.app._notifications)


async def test_answering_no_keeps_the_model(demo):
    sql = model_of(demo, "sql-helper")
    async with demo.app().run_test(size=SIZE) as pilot:
        screen = await open_models(pilot)
        await select(pilot, screen, sql)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert sql in ids(screen)
        assert emulator_model(demo, sql)["deleted"] is False


async def test_delete_is_greyed_out_offline(demo):
    sql = model_of(demo, "sql-helper")
    async with demo.app(offline=True).run_test(size=SIZE) as pilot:
        screen = await open_models(pilot)
        await select(pilot, screen, sql)
        assert screen.check_action("delete", ()) is None
        await pilot.press("d")
        await pilot.pause()
        assert pilot.app.screen is screen
        assert emulator_model(demo, sql)["deleted"] is False


async def test_deleting_a_checkpoint_says_which_model_it_belongs_to(demo):
    sql = model_of(demo, "sql-helper")
    async with demo.app().run_test(size=SIZE) as pilot:
        screen = await open_models(pilot)
        await select(pilot, screen, f"{sql}:ckpt-step-400")
        assert screen.check_action("delete", ()) is True  # the models API lists it: it can be deleted
        await pilot.press("d")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert f"A checkpoint (step 400) of {sql}." in str(dialog.body)
        await pilot.press("escape")
        await settle(pilot)
        assert emulator_model(demo, f"{sql}:ckpt-step-400")["deleted"] is False


async def test_without_an_admin_key_the_note_shows_once_and_training_still_shows(make_world):
    world = make_world("demo", admin=False)
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_models(pilot)
        keys = [str(key.value) for key in screen.query_one("#models-table", DataTable).columns]
        assert keys == ["model", "life", "training", "created", "base"]  # the job shows from ~125 columns
        note = str(screen.query_one("#models-note", Static).render())
        assert "OPENAI_ADMIN_KEY" in note
        tone = screen.view.spend.ledger.row(model_of(world, "tone-polish"))
        assert cells(screen, 0)[2] == tone.training.label() and tone.training.label().startswith("$0.")
