"""The jobs list and a job's detail, driven like a user would, against the emulator over HTTP."""

from __future__ import annotations

import io

from rich.console import Console
from textual import events
from textual.widgets import Static

from tui.screens.job import JobScreen
from tui.screens.jobs import JobsScreen
from tui.widgets.confirm import ConfirmScreen
from tui.widgets.error import ErrorScreen
from tui.widgets.event_log import EventLog
from tui.widgets.loss_chart import LossChart
from tui.widgets.row_table import RowTable


def shown_job_ids(app) -> list[str]:
    return app.screen.shown_ids


def summary(app) -> str:
    return str(app.screen.query_one("#jobs-summary", Static).render())


async def ready(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_the_home_screen_lists_every_job_newest_first(make_world):
    world = make_world("small")
    async with world.app().run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        assert isinstance(pilot.app.screen, JobsScreen)
        assert shown_job_ids(pilot.app) == [j.id for j in world.backend.cache.jobs()]
        assert summary(pilot.app).startswith("9 jobs")
        table = pilot.app.screen.query_one("#jobs-table", RowTable)
        assert pilot.app.focused is table


async def test_jobs_arriving_in_an_empty_cache_can_be_browsed_with_the_keyboard(make_world):
    """The first start: nothing cached, the first sync brings the jobs, arrow keys move at once."""
    world = make_world("small", sync=False)
    async with world.app().run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        assert "No jobs yet" in str(pilot.app.screen.query_one("#jobs-empty", Static).render())
        pilot.app.action_sync_now()
        await ready(pilot)
        await ready(pilot)
        assert len(shown_job_ids(pilot.app)) == 9
        await pilot.press("down", "down")
        assert pilot.app.screen.query_one("#jobs-table", RowTable).cursor_row == 2


async def test_filter_as_you_type_and_the_status_filter(make_world):
    world = make_world("small")
    async with world.app().run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await pilot.press("slash", *"tone")
        await pilot.pause()
        cache_ids = {j.id for j in world.backend.cache.jobs() if j.suffix == "tone"}
        assert set(shown_job_ids(pilot.app)) == cache_ids
        assert summary(pilot.app).startswith(f"{len(cache_ids)} of 9 jobs")  # the box shows the filter text
        await pilot.press("escape")  # leaves the box, then clears it
        await pilot.press("escape")
        await pilot.pause()
        assert len(shown_job_ids(pilot.app)) == 9
        await pilot.press("s")  # all -> active
        await pilot.pause()
        statuses = {j.id: j.status for j in world.backend.cache.jobs()}
        assert {statuses[i] for i in shown_job_ids(pilot.app)} == {"validating_files", "queued", "running", "paused"}
        assert "status: active" in summary(pilot.app)


async def test_navigation_between_every_section_and_back(make_world):
    world = make_world("small")
    async with world.app().run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        for key, section in (("2", "files"), ("3", "models"), ("4", "spend"), ("1", "jobs")):
            await pilot.press(key)
            await ready(pilot)
            assert pilot.app.current_mode == section
            assert section == pilot.app.screen.SECTION
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(pilot.app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, JobsScreen)


async def test_enter_opens_the_job_under_the_cursor_and_escape_comes_back_to_it(make_world):
    world = make_world("small")
    running = next(j for j in world.backend.cache.jobs() if j.status == "running")
    async with world.app().run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        target = shown_job_ids(pilot.app).index(running.id)
        await pilot.press(*["down"] * target, "enter")
        await ready(pilot)
        assert isinstance(pilot.app.screen, JobScreen) and pilot.app.screen.job_id == running.id
        title = str(pilot.app.screen.query_one("#job-title", Static).render())
        assert "running" in title and "step" in title
        await pilot.press("escape")
        await ready(pilot)
        table = pilot.app.screen.query_one("#jobs-table", RowTable)
        assert pilot.app.focused is table
        assert shown_job_ids(pilot.app)[table.cursor_row] == running.id
        await pilot.press("down")
        assert table.cursor_row == target + 1


async def test_following_a_running_job_until_it_succeeds(make_world):
    """New events stream into the log, the chart grows, and the success is notified."""
    world = make_world("small")
    running = next(j for j in world.backend.cache.jobs() if j.status == "running")
    async with world.app().run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        pilot.app.push_screen(JobScreen(running.id))
        await ready(pilot)
        log = pilot.app.screen.query_one("#job-events", EventLog)
        chart = pilot.app.screen.query_one("#job-chart", LossChart)
        events_before, steps_before = len(log.events), len(chart.series.steps)
        world.emulator.control.advance(4 * 3600)
        pilot.app.action_sync_now()
        await ready(pilot)
        await ready(pilot)
        assert len(log.events) > events_before
        assert len(chart.series.steps) > steps_before
        assert log.events[-1].message == "The job has successfully completed"
        title = str(pilot.app.screen.query_one("#job-title", Static).render())
        assert "succeeded" in title
        notes = [n.title for n in pilot.app._notifications]
        assert "Job succeeded" in notes


async def test_pause_resume_and_cancel_with_confirmation(make_world):
    world = make_world("small")
    running = next(j for j in world.backend.cache.jobs() if j.status == "running")
    control = world.emulator.control

    def server_status() -> str:
        return next(j["status"] for j in control.snapshot()["jobs"] if j["id"] == running.id)

    async with world.app().run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        pilot.app.push_screen(JobScreen(running.id))
        await ready(pilot)
        await pilot.press("p")
        await ready(pilot)
        assert server_status() == "paused"
        assert pilot.app.screen.job.status == "paused"
        await pilot.press("r")
        await ready(pilot)
        assert server_status() in ("queued", "running")  # resumed jobs wait for a training slot
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("n")  # keep it going
        await ready(pilot)
        assert server_status() in ("queued", "running")
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("y")
        await ready(pilot)
        assert server_status() == "cancelled"
        assert world.backend.cache.job(running.id).status == "cancelled"
        assert "cancelled" in str(pilot.app.screen.query_one("#job-title", Static).render())
        titles = [n.title for n in pilot.app._notifications]
        assert {"Job paused", "Job resumed", "Job cancelled"} <= set(titles)


async def test_an_action_refused_by_the_api_shows_its_message_and_request_id(make_world):
    world = make_world("small")
    running = next(j for j in world.backend.cache.jobs() if j.status == "running")
    world.emulator.control.inject_fault("POST /v1/fine_tuning/jobs/*/pause", "status", status=400)
    async with world.app().run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        pilot.app.push_screen(JobScreen(running.id))
        await ready(pilot)
        await pilot.press("p")
        await ready(pilot)
        assert isinstance(pilot.app.screen, ErrorScreen)
        request_id = world.emulator.control.requests()[-1]["request_id"]
        assert pilot.app.screen.request_id == request_id
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, JobScreen)  # still running, nothing lost


async def test_starting_offline_shows_the_cache_and_says_so(make_world):
    world = make_world("small")
    world.emulator.stop()
    app = world.app(poll=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        assert len(shown_job_ids(pilot.app)) == 9
        assert pilot.app.status.state == "offline"
        header = str(pilot.app.screen.query_one("AppHeader #state", Static).render())
        assert "offline" in header


async def test_a_job_opens_on_its_live_view_and_builds_the_others_when_asked(make_world):
    """Only the live view is built on opening (fast); `v` builds and shows the next views."""
    world = make_world("small")
    failed = next(j for j in world.backend.cache.jobs() if j.status == "failed")
    async with world.app().run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        pilot.app.push_screen(JobScreen(failed.id))
        await ready(pilot)
        screen = pilot.app.screen
        assert screen.view == "live" and not screen.query("#job-overview")
        await pilot.press("v")
        await ready(pilot)
        assert screen.view == "overview"
        console = Console(width=120, file=io.StringIO(), record=True)
        console.print(screen.query_one("#job-overview", Static).content)
        assert console.export_text().startswith("invalid_training_file")  # why it failed, first
        await pilot.press("v", "v")
        await ready(pilot)
        assert screen.view == "results"
        await pilot.press("V")
        assert screen.view == "checkpoints"


async def test_keys_typed_in_a_burst_open_the_job_they_moved_to(make_world):
    # A fast typist (or a slow link delivering several keys in one read): j j enter must open the third
    # job, not the one the cursor was on when the keys arrived.
    world = make_world("small")
    async with world.app().run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        third = shown_job_ids(pilot.app)[2]
        for key, character in (("j", "j"), ("j", "j"), ("enter", "\r")):
            pilot.app.post_message(events.Key(key, character))  # as the driver delivers them: no waiting
        await ready(pilot)
        assert isinstance(pilot.app.screen, JobScreen) and pilot.app.screen.job_id == third
