"""SVG snapshots of the Files section, the file preview and the help screen, at 80x24 and 120x36.

The emulator's "small" account at its frozen clock: the same files, ids and ages every run.
Review a changed picture with `pytest --snapshot-update` and look at it before accepting.
"""

from __future__ import annotations

import pytest

from tui.screens.files import FilesScreen, FilesTable

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def show_files(pilot) -> FilesScreen:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, FilesScreen)
    return screen


async def cursor_to(pilot, screen: FilesScreen, filename: str) -> None:
    index = next(i for i, f in enumerate(screen.visible_files()) if f.filename == filename)
    screen.query_one(FilesTable).move_cursor(row=index, animate=False)
    await pilot.pause()


@SIZES
def test_files_screen(snap_compare, make_world, size):
    """The Files section of the small account: eight files newest first (three step_metrics.csv result
    files, then security-rft, tone-dpo, support-broken, support-valid, support-train), a summary line
    `8 files · 20 kB · sort created ↓`, purposes (ft-results for result files), sizes right-aligned,
    `used by` naming one job by suffix (`✓ support`) or counting several (`● 2 jobs`, `◌ 6 jobs`), ages.
    At 120 columns the expiry (`never`) and the file id columns appear too; nothing is cut at 80."""
    world = make_world("small")
    assert snap_compare(world.app(), terminal_size=size, run_before=show_files)


@SIZES
def test_files_screen_with_selection(snap_compare, make_world, size):
    """Two result files selected: a cyan ✓ in the mark column and bold names on their rows, the cursor on
    the third row, and the summary starting `2 selected (944 B) · 8 files`."""
    world = make_world("small")

    async def select_two(pilot) -> None:
        await show_files(pilot)
        await pilot.press("space", "space")
        await pilot.pause()

    assert snap_compare(world.app(), terminal_size=size, run_before=select_two)


@SIZES
def test_files_screen_offline(snap_compare, make_world, size):
    """Started with --offline: the header says `offline mode · data just now` in yellow; the same eight
    files from the cache; the footer shows Delete, View and Save greyed out (nothing is archived in
    this account, so there is nothing to read without the network)."""
    world = make_world("small")
    assert snap_compare(world.app(offline=True), terminal_size=size, run_before=show_files)


@SIZES
def test_file_preview_chat_jsonl(snap_compare, make_world, size):
    """support-train.jsonl (archived) open in the preview: a title line `support-train.jsonl  4.5 kB ·
    fine-tune` with `example 1 of 12` at the right, then the first example laid out by role — magenta
    `system`, cyan `user`, green `assistant` — each with its text indented below, wrapped, never cut."""
    world = make_world("small")
    train = next(f for f in world.backend.cache.files() if f.filename == "support-train.jsonl")
    world.backend.open_file_content(train.id).close()

    async def open_preview(pilot) -> None:
        screen = await show_files(pilot)
        await cursor_to(pilot, screen, "support-train.jsonl")
        await pilot.press("v")
        await settle(pilot)

    assert snap_compare(world.app(), terminal_size=size, run_before=open_preview)


@SIZES
def test_help_screen(snap_compare, make_world, size):
    """The help opened from the Files section: an intro saying how to remap keys in config.toml
    (`[keys]` / `"files.delete" = "x"`), then `Everywhere` (1-4, ?, ^r, q, ^p with their ids such as
    app.jobs) and `Files` next, each key with its action, tooltip in muted text and id in a column that
    lines up across groups; a scrollbar shows there is more below."""
    world = make_world("small")

    async def open_help(pilot) -> None:
        await show_files(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(world.app(), terminal_size=size, run_before=open_help)
