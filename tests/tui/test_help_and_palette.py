"""The help screen (`?`) and the command palette (ctrl+p): finding jobs, files and models; running actions."""

from __future__ import annotations

import io

from rich.console import Console
from textual.command import CommandList, CommandPalette
from textual.widgets import Static

from store.config import config_path
from tests.fixtures.app import FROZEN_NOW
from tui.app import FinetopApp, frozen_clock
from tui.screens.file_preview import FilePreviewScreen
from tui.screens.files import FilesScreen
from tui.screens.help import HelpScreen
from tui.screens.job import JobScreen
from tui.widgets.confirm import ConfirmScreen

SIZE = (120, 36)


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def help_text(screen: HelpScreen) -> str:
    console = Console(width=160, record=True, file=io.StringIO())
    for static in screen.query(Static):
        console.print(static.content)
    return console.export_text()


async def palette(pilot, query: str, choose: str) -> None:
    """Open the palette, type `query`, wait for a hit whose text starts with `choose`, and run it."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert CommandPalette.is_open(pilot.app)
    await pilot.press(*query)
    commands = pilot.app.screen.query_one(CommandList)
    texts: list[str] = []
    for _ in range(200):  # the palette searches in tasks; each pause lets them run
        await pilot.pause()
        texts = [str(commands.get_option_at_index(i).hit.text) for i in range(commands.option_count)]
        if any(text.startswith(choose) for text in texts):
            break
    index = next((i for i, text in enumerate(texts) if text.startswith(choose)), None)
    assert index is not None, f"no hit starting with {choose!r} among {texts}"
    commands.highlighted = index
    await pilot.press("enter")
    await settle(pilot)


# -- help ------------------------------------------------------------------------------------


async def test_help_lists_every_key_with_its_id_screen_by_screen(make_world):
    world = make_world("small")
    async with world.app().run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await settle(pilot)
        files = pilot.app.screen
        await pilot.press("question_mark")
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, HelpScreen)
        text = help_text(screen)
        headings = [str(s.content) for s in screen.query(".help-heading")]
        assert headings[:3] == ["Everywhere", "Files", "Jobs"]  # the screen the user came from comes second
        assert {"A job", "File preview", "Confirmation dialog", "Error dialog"} <= set(headings)
        for binding in (*FinetopApp.BINDINGS, *FilesScreen.BINDINGS, *FilePreviewScreen.BINDINGS):
            assert binding.id in text
            assert binding.description in text
        assert "^p" in text and "app.command_palette" in text
        assert "Delete the selected files (asks first)" in text  # tooltips too
        await pilot.press("escape")
        await pilot.pause()
        assert pilot.app.screen is files


async def test_help_shows_keys_remapped_in_config(make_world):
    world = make_world("small")
    app = FinetopApp(
        world.backend,
        clock=frozen_clock(FROZEN_NOW),
        wall_clock=frozen_clock(world.synced_at),
        poll=False,
        keymap={"files.delete": "x"},
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        lines = help_text(pilot.app.screen).splitlines()
        delete = next(line for line in lines if line.split()[-1:] == ["files.delete"])
        assert delete.split()[:2] == ["x", "*"]
        await pilot.press("q")  # q closes the help, not the app
        await pilot.pause()
        assert not isinstance(pilot.app.screen, HelpScreen)
        assert pilot.app.is_running


# -- finding things --------------------------------------------------------------------------


async def test_palette_finds_a_job_by_a_fragment_of_its_id_and_opens_it(make_world):
    world = make_world("small")
    job = next(j for j in world.backend.cache.jobs() if j.status == "running")
    async with world.app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        fragment = job.id[9:16]
        await palette(pilot, fragment, f"job: {job.id}")
        screen = pilot.app.screen
        assert isinstance(screen, JobScreen)
        assert screen.job_id == job.id


async def test_palette_opens_a_file_in_the_preview(make_world):
    world = make_world("small")
    valid = next(f for f in world.backend.cache.files() if f.filename == "support-valid.jsonl")
    async with world.app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await palette(pilot, "support-valid", f"file: {valid.id}")
        screen = pilot.app.screen
        assert isinstance(screen, FilePreviewScreen)
        assert screen.file_id == valid.id


# -- actions ---------------------------------------------------------------------------------


async def test_palette_sync_now_syncs(make_world):
    world = make_world("small")
    world.emulator.control.clear_requests()
    async with world.app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert pilot.app.status.state == "starting"
        await palette(pilot, "sync", "sync: now")
        assert pilot.app.status.state == "online"
        paths = [r["path"] for r in world.emulator.control.requests()]
        assert "/v1/fine_tuning/jobs" in paths


async def test_palette_job_cancel_asks_first_then_cancels(make_world):
    world = make_world("small")
    job = next(j for j in world.backend.cache.jobs() if j.status == "running")
    async with world.app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.app.push_screen(JobScreen(job.id))
        await settle(pilot)
        await palette(pilot, "job: cancel", "job: cancel")
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert dialog.title_text == f"Cancel {job.id}?"
        await pilot.press("y")
        await settle(pilot)
        remote = next(j for j in world.emulator.control.snapshot()["jobs"] if j["id"] == job.id)
        assert remote["status"] in ("cancelled", "cancelling")
        assert world.backend.cache.job(job.id).status in ("cancelled", "cancelling")


async def test_palette_offers_no_job_actions_that_do_not_apply(make_world):
    world = make_world("small")
    done = next(j for j in world.backend.cache.jobs() if j.status == "succeeded")
    async with world.app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.app.push_screen(JobScreen(done.id))
        await settle(pilot)
        from tui.commands import ActionsProvider

        provider = ActionsProvider(pilot.app.screen)
        labels = [action.label for action in provider.actions()]
        assert "sync: now" in labels
        assert not {"job: cancel", "job: pause", "job: resume"} & set(labels)
        assert {"job: new", "job: rerun"} <= set(labels)  # these do apply to a finished job


async def test_palette_view_and_files_delete_selected(make_world):
    world = make_world("small")
    async with world.app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await palette(pilot, "view: files", "view: files")
        assert pilot.app.current_mode == "files"
        files = pilot.app.screen
        assert isinstance(files, FilesScreen)
        await pilot.press("space", "space")
        await pilot.pause()
        await palette(pilot, "delete selected", "files: delete selected")
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert dialog.title_text.startswith("Delete 2 files")
        await pilot.press("n")


async def test_palette_switches_profile_and_reloads(make_world, emulator_factory, monkeypatch):
    world = make_world("small")
    other = emulator_factory(scenario="empty")
    monkeypatch.setenv("OTHER_KEY", other.api_key)
    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text(f'[profiles.other]\nbase_url = "{other.base_url}"\napi_key_env = "OTHER_KEY"\n')
    async with world.app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        jobs_screen = pilot.app.screen
        assert len(jobs_screen.jobs) == 9
        await palette(pilot, "profile", "profile: switch to other")
        await settle(pilot)
        assert pilot.app.backend.profile.name == "other"
        assert pilot.app.status.profile == "other"
        assert pilot.app.screen.jobs == []  # the other profile's cache: nothing synced yet
        assert "No jobs yet" in str(pilot.app.screen.query_one("#jobs-empty", Static).content)
        await pilot.press("2")
        await settle(pilot)
        assert pilot.app.screen.visible_files() == []
    pilot.app.backend.close()
