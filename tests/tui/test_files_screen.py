"""The Files section against the emulator's "small" account: listing, filters, delete (one, bulk, refused), save."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from tui.screens.files import FilesScreen, FilesTable, SavePathScreen
from tui.widgets.confirm import ConfirmScreen
from tui.widgets.error import ErrorScreen

SIZE = (120, 36)


async def open_files(pilot) -> FilesScreen:
    await pilot.press("2")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, FilesScreen)
    return screen


async def settle(pilot) -> None:
    """Wait until the app is quiet: a finished worker may post a message that starts another (a delete
    ends by asking for a reload), so wait for two pauses in a row with no worker running."""
    quiet = 0
    for _ in range(100):
        await pilot.pause()
        busy = any(not worker.is_finished for worker in pilot.app.workers)
        await pilot.app.workers.wait_for_complete()
        quiet = 0 if busy else quiet + 1
        if quiet == 2:
            return


async def move_to(pilot, screen: FilesScreen, filename: str) -> str:
    """Put the cursor on the (first) row showing `filename`; returns its file id."""
    rows = screen.visible_files()
    index = next(i for i, f in enumerate(rows) if f.filename == filename)
    screen.query_one(FilesTable).move_cursor(row=index)
    await pilot.pause()
    return rows[index].id


def shown_names(screen: FilesScreen) -> list[str]:
    table = screen.query_one(FilesTable)
    return [str(table.get_row_at(i)[1]).removeprefix("⊘ ") for i in range(table.row_count)]


def summary(screen: FilesScreen) -> str:
    return str(screen.query_one("#files-summary", Static).content)


def notifications(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


def emulator_file(world, file_id: str) -> dict:
    return next(f for f in world.emulator.control.snapshot()["files"] if f["id"] == file_id)


async def test_lists_every_file_with_the_jobs_using_it(make_world):
    world = make_world("small")
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_files(pilot)
        names = shown_names(screen)
        assert sorted(names) == sorted(f.filename for f in world.backend.cache.files())
        assert summary(screen).startswith("8 files")
        table = screen.query_one(FilesTable)
        train_id = await move_to(pilot, screen, "support-train.jsonl")
        used_by = str(table.get_cell(train_id, "used"))
        users = world.backend.cache.jobs_using_files()[train_id]
        assert f"{len(users)} jobs" in used_by
        assert str(table.get_cell(train_id, "id")) == train_id


async def test_filter_and_purpose_narrow_the_list(make_world):
    world = make_world("small")
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_files(pilot)
        await pilot.press("slash", *"valid")
        await pilot.pause()
        assert shown_names(screen) == ["support-valid.jsonl"]
        await pilot.press("escape")
        await pilot.pause()
        assert len(shown_names(screen)) == 8
        await pilot.press("p")  # purposes in order: fine-tune, fine-tune-results
        await pilot.pause()
        assert set(shown_names(screen)) == {
            "support-train.jsonl",
            "support-valid.jsonl",
            "support-broken.jsonl",
            "tone-dpo.jsonl",
            "security-rft.jsonl",
        }
        assert "purpose fine-tune" in summary(screen)
        await pilot.press("p")
        await pilot.pause()
        assert shown_names(screen) == ["step_metrics.csv"] * 3


async def test_delete_one_file_after_confirming(make_world):
    world = make_world("small")
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_files(pilot)
        file_id = await move_to(pilot, screen, "support-broken.jsonl")
        await pilot.press("d")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert dialog.title_text == "Delete support-broken.jsonl?"
        await pilot.press("y")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert "support-broken.jsonl" not in shown_names(screen)
        assert summary(screen).startswith("7 files")
        assert world.backend.cache.file(file_id).deleted_at is not None
        assert emulator_file(world, file_id)["deleted"] is True
        assert any("Deleted support-broken.jsonl" in n and "Freed 4.4 kB" in n for n in notifications(pilot.app))
        # Deleted files stay in the archive: `h` shows them again, marked.
        await pilot.press("h")
        await pilot.pause()
        table = screen.query_one(FilesTable)
        assert str(table.get_cell(file_id, "filename")) == "⊘ support-broken.jsonl"


async def test_cancelling_the_confirmation_deletes_nothing(make_world):
    world = make_world("small")
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_files(pilot)
        file_id = await move_to(pilot, screen, "tone-dpo.jsonl")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert "tone-dpo.jsonl" in shown_names(screen)
        assert world.backend.cache.file(file_id).deleted_at is None
        assert emulator_file(world, file_id)["deleted"] is False
        requests = world.emulator.control.requests()
        assert not [r for r in requests if r["method"] == "DELETE"]


async def test_bulk_cleanup_reports_the_size_freed(make_world):
    world = make_world("small")
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_files(pilot)
        await pilot.press("p", "p")  # fine-tune-results only: the three result files
        await pilot.pause()
        results = screen.visible_files()
        assert len(results) == 3
        await pilot.press("a")
        await pilot.pause()
        total = sum(f.bytes for f in results)  # 192 + 752 + 1200 bytes
        assert summary(screen).startswith("3 selected (2.1 kB)")
        table = screen.query_one(FilesTable)
        assert all(str(table.get_cell(f.id, "mark")) == "✓" for f in results)
        await pilot.press("d")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert dialog.title_text == "Delete 3 files (2.1 kB)?"
        assert "Frees 2.1 kB on the server" in str(dialog.body)
        await pilot.press("y")
        await settle(pilot)
        assert total == 2144
        assert any("Deleted 3 files" in n and "Freed 2.1 kB" in n for n in notifications(pilot.app))
        assert screen.visible_files() == []
        assert not screen.selected
        for remote in results:
            assert emulator_file(world, remote.id)["deleted"] is True
            assert world.backend.cache.file(remote.id).deleted_at is not None


async def test_selection_by_space_and_by_clicking_the_mark(make_world):
    world = make_world("small")
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_files(pilot)
        first, second = screen.visible_files()[:2]
        await pilot.press("space")  # marks the first row and moves down
        await pilot.pause()
        assert screen.selected == {first.id}
        await pilot.click(FilesTable, offset=(1, 2))  # the mark cell of the second row (under the header)
        await pilot.pause()
        assert screen.selected == {first.id, second.id}
        await pilot.press("escape")  # no filter open: clears the selection
        await pilot.pause()
        assert screen.selected == set()


async def test_delete_warns_and_names_the_jobs_using_the_file(make_world):
    world = make_world("small")
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_files(pilot)
        file_id = await move_to(pilot, screen, "support-valid.jsonl")
        users = world.backend.cache.jobs_using_files()[file_id]
        assert len(users) == 2  # the succeeded job and the running one
        await pilot.press("d")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmScreen)
        warning = str(dialog.warning)
        assert warning.startswith("Used by 2 jobs, 1 still active: it may fail:")
        for job_id in users:
            assert job_id in warning
        assert "support · succeeded" in warning
        await pilot.press("n")


async def test_delete_refused_by_the_api_shows_the_message_and_request_id(make_world):
    world = make_world("small")
    world.emulator.control.inject_fault("DELETE /v1/files/*", "status", status=403, count=5)
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_files(pilot)
        file_id = await move_to(pilot, screen, "tone-dpo.jsonl")
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ErrorScreen)
        refused = [r for r in world.emulator.control.requests() if r["method"] == "DELETE"]
        assert refused and refused[-1]["status"] == 403
        assert dialog.title_text == "Could not delete tone-dpo.jsonl"
        assert dialog.message == "Injected failure."
        assert dialog.request_id == refused[-1]["request_id"]
        details = str(dialog.query_one("#details", Static).content)
        assert "HTTP 403" in details and refused[-1]["request_id"] in details
        # The app keeps running and nothing changed.
        await pilot.press("escape")
        await pilot.pause()
        assert pilot.app.screen is screen
        assert "tone-dpo.jsonl" in shown_names(screen)
        assert world.backend.cache.file(file_id).deleted_at is None
        assert emulator_file(world, file_id)["deleted"] is False


async def test_offline_greys_out_delete_and_keeps_reading(make_world):
    world = make_world("small")
    async with world.app(offline=True).run_test(size=SIZE) as pilot:
        screen = await open_files(pilot)
        await move_to(pilot, screen, "tone-dpo.jsonl")
        assert screen.check_action("delete", ()) is None
        # Nothing is archived in this account: preview and save have nothing to read offline.
        assert screen.check_action("preview", ()) is None
        assert screen.check_action("save", ()) is None
        assert screen.check_action("filter", ()) is True
        await pilot.press("d")
        await pilot.pause()
        assert pilot.app.screen is screen
        assert len(shown_names(screen)) == 8


async def test_offline_preview_and_save_work_from_the_archive(make_world, tmp_path: Path):
    world = make_world("small")
    train = next(f for f in world.backend.cache.files() if f.filename == "support-train.jsonl")
    world.backend.open_file_content(train.id).close()  # archive its bytes while online
    async with world.app(offline=True).run_test(size=SIZE) as pilot:
        screen = await open_files(pilot)
        await move_to(pilot, screen, "support-train.jsonl")
        assert screen.check_action("preview", ()) is True
        assert screen.check_action("save", ()) is True
        await pilot.press("s")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, SavePathScreen)
        dialog.query_one(Input).value = str(tmp_path)
        await pilot.press("enter")
        await settle(pilot)
        saved = tmp_path / "support-train.jsonl"
        assert saved.read_bytes() == world.backend.cache.content(train.id).path.read_bytes()
        assert any(str(saved) in n for n in notifications(pilot.app))


async def test_save_never_overwrites(make_world, tmp_path: Path):
    world = make_world("small")
    existing = tmp_path / "tone-dpo.jsonl"
    existing.write_text("mine")
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_files(pilot)
        await move_to(pilot, screen, "tone-dpo.jsonl")
        await pilot.press("s")
        await pilot.pause()
        pilot.app.screen.query_one(Input).value = str(existing)
        await pilot.press("enter")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ErrorScreen)
        assert "already exists" in dialog.message
        assert existing.read_text() == "mine"
