"""SVG snapshots of the new-job form at 80x24 and 120x36: empty, with a checked file and its cost, with
a file that has errors, and a rerun. The emulator's "small" account at its frozen clock (2026-11-20).

Review a changed picture with `pytest --snapshot-update` and look at it before accepting.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tui.screens.new_job import NewJobScreen

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
DATASETS = "tests/fixtures/datasets"  # relative to the repository: the same path in every picture


async def settle(pilot) -> None:
    for _ in range(50):
        await pilot.pause(0.02)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        screen = pilot.app.screen
        if not isinstance(screen, NewJobScreen) or (not screen.checking and screen._check_timer is None):
            break


def form_with(path: str | None = None, *, scroll_to_end: bool = False):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        if path is not None:
            pilot.app.screen.query_one("#newjob-train-path", Input).value = path
            await settle(pilot)
        if scroll_to_end:
            pilot.app.screen.query_one("#newjob-body").scroll_end(animate=False)
        await settle(pilot)

    return run_before


@SIZES
def test_new_job_form_empty(snap_compare, make_world, size):
    """`New fine-tuning job` under the header; the form: a cached-file select (`a cached file…`), a path box
    with Browse, the same for the optional validation file, the base model select on gpt-4o-mini-2024-07-18
    with `can be trained until 2027-01-05 (47 days left).` and a dim `Not offered:` list naming the retired
    bases and why, the method radio buttons (supervised on), then the hyperparameters with their ranges.
    Beside it (under it at 80 columns, out of view) the dim hint to choose a training file; the footer offers
    Back and Browse, and Create greyed out. The training-file select has the focus. Nothing is cut off at
    80x24."""
    world = make_world("small")
    assert snap_compare(world.app(), terminal_size=size, run_before=form_with())


@SIZES
def test_new_job_form_with_a_checked_file(snap_compare, make_world, size):
    """tests/fixtures/datasets/chat_valid.jsonl typed as the training file; the title bar ends in a green
    `✓ no problems · ≈$0.01 · 4,576 tokens`. At 120 columns the report beside the form: `Training file` and
    the path, `3.0 kB · 12 examples · gpt-4o-mini-2024-07-18`, `✓ no problems found`, the token line (mean
    48, max 52, o200k_base), `epochs 8 · ≈4,576 billed tokens`, `estimated cost ≈$0.01`, the formula and the
    price row from 2024-07-23, then Back and an enabled Create. At 80x24 the report is below the form (the
    title bar carries the verdict and cost)."""
    world = make_world("small")
    assert snap_compare(world.app(), terminal_size=size, run_before=form_with(f"{DATASETS}/chat_valid.jsonl"))


@SIZES
def test_new_job_form_with_errors(snap_compare, make_world, size):
    """tests/fixtures/datasets/missing_assistant.jsonl, scrolled to the end: the title bar says `✗ 1 error ·
    ≈$0.01 · 4,572 tokens`; the report a red `✗ 1 error: the service would reject this training file` with
    `error 1 no assistant message  lines 9`, the cost still estimated (epochs 9), the `Create anyway`
    checkbox unticked and the Create button greyed out (^s Create dim in the footer). At 80x24 the report,
    the checkbox and the buttons fill the view below the title bar."""
    world = make_world("small")
    run_before = form_with(f"{DATASETS}/missing_assistant.jsonl", scroll_to_end=True)
    assert snap_compare(world.app(), terminal_size=size, run_before=run_before)


@SIZES
def test_new_job_form_rerun(snap_compare, make_world, size):
    """`R` on the small account's succeeded DPO job: the title bar reads `Rerun ftjob-…  tone` and, on the
    right, a yellow `not checked`; the training select shows tone-dpo.jsonl with its size, DPO is the chosen method,
    epochs, batch size, LR multiplier and beta hold the job's concrete values and the seed its seed. The
    training file's contents are not archived, so the report says it cannot be checked or priced here;
    suffix `tone` and metadata `team=growth` are carried over; Create stays enabled."""
    world = make_world("small")
    dpo = next(j for j in world.backend.cache.jobs() if j.method == "dpo" and j.status == "succeeded")

    async def run_before(pilot) -> None:
        from tui.screens.job import JobScreen

        await settle(pilot)
        pilot.app.push_screen(JobScreen(dpo.id))
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)

    assert snap_compare(world.app(), terminal_size=size, run_before=run_before)
