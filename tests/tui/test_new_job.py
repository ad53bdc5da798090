"""The new-job form against the emulator's "small" account: a local file checked and priced on the form,
created and opened; errors disable Create; refusals in plain words; rerun prefilled; the estimate beside
the real trained tokens after success."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from rich.console import Console
from textual.widgets import Button, Checkbox, Input, RadioButton, Select, Static

from tui.screens.job import JobScreen
from tui.screens.new_job import NewJobScreen
from tui.widgets.confirm import ConfirmScreen
from tui.widgets.error import ErrorScreen

SIZE = (120, 36)
DATASETS = Path(__file__).resolve().parents[1] / "fixtures" / "datasets"


async def settle(pilot, *, rounds: int = 50) -> None:
    """Let debounce timers fire and workers finish (the form checks a file a moment after it is chosen)."""
    for _ in range(rounds):
        await pilot.pause(0.02)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        screen = pilot.app.screen
        if not isinstance(screen, NewJobScreen) or (not screen.checking and screen._check_timer is None):
            return


async def open_form(pilot) -> NewJobScreen:
    await pilot.app.workers.wait_for_complete()
    await pilot.press("n")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, NewJobScreen)
    return screen


async def choose_training(pilot, screen: NewJobScreen, path: Path) -> None:
    box = screen.query_one("#newjob-train-path", Input)
    box.value = str(path)
    await settle(pilot)


def text_of(screen, selector: str) -> str:
    """What a Static shows, as plain text (rich groups and tables included)."""
    out = io.StringIO()
    Console(file=out, width=400, color_system=None).print(screen.query_one(selector, Static).content)
    return out.getvalue()


def local_copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copy(DATASETS / name, target)
    return target


async def test_a_local_file_is_checked_priced_created_and_opened(make_world, tmp_path):
    world = make_world("small")
    train = local_copy(tmp_path, "chat_valid.jsonl")
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_form(pilot)
        # Only models that can still be trained are offered; the others are named with the reason.
        model = screen.query_one("#newjob-model", Select)
        assert model.value == "gpt-4o-mini-2024-07-18"
        note = text_of(screen, "#newjob-model-note")
        assert (
            "gpt-3.5-turbo, gpt-4.1-nano-2025-04-14, o4-mini-2025-04-16 (retired 2026-10-23: no new training)" in note
        )
        assert "can be trained until 2027-01-05 (47 days left)" in note

        await choose_training(pilot, screen, train)
        report = text_of(screen, "#newjob-report")
        assert "✓ no problems found" in report
        assert "12 examples" in report
        assert "estimated cost ≈$0.01" in report
        assert "4,576 tokens x $3.00 per 1M tokens" in report
        assert "price row: gpt-4o-mini-2024-07-18 training $3.00 per 1M tokens from 2024-07-23" in report
        create = screen.query_one("#newjob-create", Button)
        assert not create.disabled

        screen.query_one("#newjob-suffix", Input).value = "form-test"
        await pilot.pause()
        await pilot.click("#newjob-create")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert "≈$0.01" in str(dialog.body) and "(uploaded first)" in str(dialog.body)
        await pilot.press("y")
        await settle(pilot)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

        opened = pilot.app.screen
        assert isinstance(opened, JobScreen)
    jobs = [j for j in world.emulator.control.snapshot()["jobs"] if j.get("user_provided_suffix") == "form-test"]
    assert len(jobs) == 1
    job = jobs[0]
    assert opened.job_id == job["id"]
    assert job["model"] == "gpt-4o-mini-2024-07-18" and job["method"]["type"] == "supervised"
    uploaded = next(f for f in world.emulator.control.snapshot()["files"] if f["id"] == job["training_file"])
    assert uploaded["filename"] == "chat_valid.jsonl"
    estimate = world.backend.cache.estimate(job["id"])
    assert estimate is not None and estimate.estimated_tokens == 4576 and estimate.source == "preflight"


async def test_a_file_with_errors_disables_create_until_create_anyway(make_world, tmp_path):
    world = make_world("small")
    bad = local_copy(tmp_path, "missing_assistant.jsonl")
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_form(pilot)
        await choose_training(pilot, screen, bad)
        report = text_of(screen, "#newjob-report")
        assert "✗" in report and "the service would reject this training file" in report
        assert "no assistant message" in report
        create = screen.query_one("#newjob-create", Button)
        anyway = screen.query_one("#newjob-anyway", Checkbox)
        assert create.disabled and anyway.display
        anyway.value = True
        await pilot.pause()
        assert not create.disabled


async def test_fields_are_checked_as_you_type(make_world, tmp_path):
    world = make_world("small")
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_form(pilot)
        await choose_training(pilot, screen, local_copy(tmp_path, "chat_valid.jsonl"))
        epochs = screen.query_one("#newjob-n_epochs", Input)
        epochs.value = "60"
        await settle(pilot)
        assert "Epochs must be 1-50, not 60." in text_of(screen, "#newjob-problems")
        assert epochs.has_class("-invalid")
        assert screen.query_one("#newjob-create", Button).disabled
        screen.query_one("#newjob-suffix", Input).value = "bad suffix!"
        await pilot.pause()
        assert "The suffix may hold only letters, digits, - and _" in text_of(screen, "#newjob-problems")
        epochs.value = "2"
        screen.query_one("#newjob-suffix", Input).value = "ok_suffix-2"
        await settle(pilot)
        assert text_of(screen, "#newjob-problems").strip() == ""
        assert "epochs 2" in text_of(screen, "#newjob-report")  # preflight ran again with the epochs given
        # Beta is DPO's: hidden for supervised, shown when DPO is chosen.
        assert not screen.query_one("#row-beta").display
        screen.query_one("#method-dpo", RadioButton).value = True
        await settle(pilot)
        assert screen.query_one("#row-beta").display


async def test_the_service_refusing_shows_plain_words_and_the_request_id(make_world, tmp_path):
    world = make_world("small", daily_job_limit=0)
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_form(pilot)
        await choose_training(pilot, screen, local_copy(tmp_path, "chat_valid.jsonl"))
        await pilot.click("#newjob-create")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, ErrorScreen)
        assert dialog.title_text == "The service refused to create the job"
        assert "Today's limit of 0 new fine-tuning jobs for gpt-4o-mini-2024-07-18 is used up" in dialog.message
        assert dialog.request_id and dialog.request_id.startswith("req_")
        assert dialog.code == "daily_rate_limit_exceeded"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, NewJobScreen)
        assert not pilot.app.screen.query_one("#newjob-create", Button).disabled  # the user can try again


async def test_rerun_prefills_the_form_from_the_job(make_world):
    world = make_world("small")
    dpo = next(j for j in world.backend.cache.jobs() if j.method == "dpo" and j.status == "succeeded")
    async with world.app().run_test(size=SIZE) as pilot:
        await pilot.app.workers.wait_for_complete()
        pilot.app.push_screen(JobScreen(dpo.id))
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, NewJobScreen) and screen.rerun is not None
        assert "Rerun" in text_of(screen, "#newjob-title")
        assert screen.query_one("#method-dpo", RadioButton).value
        assert screen.query_one("#newjob-train-cached", Select).value == dpo.training_file
        assert screen.query_one("#newjob-n_epochs", Input).value == str(dpo.hyperparameters["n_epochs"])
        assert screen.query_one("#newjob-seed", Input).value == str(dpo.seed)
        assert screen.query_one("#row-beta").display


async def test_the_job_view_puts_the_estimate_beside_the_trained_tokens(make_world):
    world = make_world("small")
    job = next(j for j in world.backend.cache.jobs() if j.method == "supervised" and j.status == "succeeded")
    # The training file's contents are archived: the view counts the estimate once and keeps it.
    world.backend.open_file_content(job.training_file).close()
    assert world.backend.cache.estimate(job.id) is None
    async with world.app().run_test(size=SIZE) as pilot:
        pilot.app.push_screen(JobScreen(job.id))
        await settle(pilot)
        await pilot.press("v")  # the overview
        await settle(pilot)
        overview = text_of(pilot.app.screen, "#job-overview")
    saved = world.backend.cache.estimate(job.id)
    assert saved is not None and saved.source == "archive"
    error = (saved.estimated_tokens - job.trained_tokens) / job.trained_tokens * 100
    assert f"{job.trained_tokens:,} (estimate {saved.estimated_tokens:,}, {error:+.1f}%)".replace("-", "−") in overview


async def test_cancelling_the_upload_creates_nothing_and_keeps_nothing(make_world, tmp_path):
    world = make_world("small")
    # The upload takes a second on the wire, long enough to press Cancel upload.
    world.emulator.control.inject_fault("POST /v1/files", "delay", delay=1.0)
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_form(pilot)
        await choose_training(pilot, screen, local_copy(tmp_path, "chat_valid.jsonl"))
        jobs_before = len(world.emulator.control.snapshot()["jobs"])
        await pilot.click("#newjob-create")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause(0.3)
        cancel = screen.query_one("#newjob-cancel-upload", Button)
        assert cancel.display and screen.submitting
        assert "Uploading the training file" in text_of(screen, "#newjob-upload-status")
        await pilot.click("#newjob-cancel-upload")
        await pilot.pause()
        assert screen.cancel_requested
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(pilot.app.screen, NewJobScreen) and not screen.submitting
        assert any("server's copy was deleted" in n.message for n in pilot.app._notifications)
    snapshot = world.emulator.control.snapshot()
    assert len(snapshot["jobs"]) == jobs_before
    uploaded = [f for f in snapshot["files"] if f["filename"] == "chat_valid.jsonl"]
    assert uploaded and all(f["deleted"] for f in uploaded)
