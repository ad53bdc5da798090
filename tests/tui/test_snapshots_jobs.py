"""What the jobs list and a job's detail look like, pinned at 80x24 and 120x36 (frozen clocks, fixed scenario)."""

from __future__ import annotations

import pytest

from tui.screens.job import JobScreen

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def job_with(world, status: str, method: str | None = None) -> str:
    return next(
        j.id for j in world.backend.cache.jobs() if j.status == status and (method is None or j.method == method)
    )


@pytest.mark.parametrize("size", SIZES)
def test_jobs_list(make_world, snap_compare, size):
    """Every job of the small scenario: one per status with its glyph and colour, progress for the
    running and paused ones, fine-tuned names for the succeeded; header with profile, sync age,
    active count and the days left to train. At 120 columns the `finish` column: when ended jobs
    ended, and a dim `in 2m` for the running one (from its pace; the API gave no estimate)."""
    world = make_world("small")
    assert snap_compare(world.app(), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_jobs_list_filtered(make_world, snap_compare, size):
    """The filter box open with "mini" typed: only gpt-4o-mini / gpt-4.1-mini jobs, the summary
    saying how many of how many are shown."""
    world = make_world("small")

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("slash", *"4.1-mini")
        await pilot.pause()

    assert snap_compare(world.app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_jobs_list_empty(make_world, snap_compare, size):
    """A profile with nothing cached yet: the empty state explains what happens and what to press."""
    world = make_world("empty", sync=False)
    assert snap_compare(world.app(), terminal_size=size, run_before=settle)


def open_job(job_id: str, tab: str | None = None):
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.push_screen(JobScreen(job_id))
        await settle(pilot)
        if tab:
            pilot.app.screen.show_view(tab)
            await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_running_job_live(make_world, snap_compare, size):
    """A running job's Live tab: the loss chart with train and validation lines, the event log
    below ending with the newest metrics line, the title with status, step and elapsed time,
    and only the actions that apply (cancel, pause) in the footer."""
    world = make_world("small")
    assert snap_compare(world.app(), terminal_size=size, run_before=open_job(job_with(world, "running")))


@pytest.mark.parametrize("size", SIZES)
def test_failed_job_overview(make_world, snap_compare, size):
    """A failed job's Overview: ids, files, hyperparameters, timestamps, and the error code,
    param and the service's message naming the bad line."""
    world = make_world("small")
    run_before = open_job(job_with(world, "failed"), "overview")
    assert snap_compare(world.app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_succeeded_job_checkpoints(make_world, snap_compare, size):
    """A succeeded supervised job's checkpoints: step, checkpoint model and their metrics."""
    world = make_world("small")
    run_before = open_job(job_with(world, "succeeded", "supervised"), "checkpoints")
    assert snap_compare(world.app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_succeeded_job_results(make_world, snap_compare, size):
    """The result file's metrics by step, with the final values summarised above the table."""
    world = make_world("small")
    run_before = open_job(job_with(world, "succeeded", "supervised"), "results")
    assert snap_compare(world.app(), terminal_size=size, run_before=run_before)
