"""SVG snapshots of the Spend and Models sections on the emulator's demo account, at 80x24 and 120x36,
with and without an admin key. The server clock is frozen at 2026-11-20 12:00 UTC.

Review a changed picture with `pytest --snapshot-update`, then look at it before accepting.
"""

from __future__ import annotations

import pytest

from tests.tui.spend_worlds import shared_world

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
REVIEW = "ft:o4-mini-2025-04-16:northwind:sec-review:XQDsSLsI"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with shared_world(tmp_path_factory.mktemp("snap-demo")) as world:
        yield world


@pytest.fixture(scope="module")
def demo_without_admin_key(tmp_path_factory):
    with shared_world(tmp_path_factory.mktemp("snap-demo-no-admin"), admin=False) as world:
        yield world


def show(section: str, *keys: str):
    async def run_before(pilot) -> None:
        await pilot.press(section)
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    return run_before


def select_review():
    """Filter down to the reinforcement model, then open the why panel."""
    return show("4", "slash", *"sec-review", "enter", "w")


@SIZES
def test_spend_screen(snap_compare, demo, size):
    """Header on `4 Spend`; under the filter bar `15 models and jobs · sort: total ↓`; a bold line
    `Total ≈$4,513.04 + ?  ·  training ≈$596.32 + ?  ·  usage $3,916.72` and a yellow `≠ cross-check: 1,748 of
    1,749 line items match to the cent; 1 incomplete`; the table with the gpt-3.5-turbo support bot first
    ($0.31, $2,081.93, $2,082.24, dim `retired`), serving models in green, then dim rows of jobs that made no
    model: active ones with an orange estimate (`receipts · running` ≈$3.01, from its archived training
    file), `faq-bot · failed` $0.00, the cancelled one `unknown` in italics; at 120 columns also last used,
    requests, tokens.
    Below, the `Per day` tab: a cyan bar chart of the support bot's usage per day since 2026-04-04 with a
    magenta bar on its training day, y labels in dollars, dates under the axis. Nothing cut off at 80x24."""
    assert snap_compare(demo.app(), terminal_size=size, run_before=show("4"))


@SIZES
def test_spend_screen_without_admin_key(snap_compare, demo_without_admin_key, size):
    """The same account without an admin key: the totals line reads `Total $338.33 + ?  ·  training … ·
    usage needs an admin key` in yellow, a yellow note says to set OPENAI_ADMIN_KEY or the profile's
    admin_key_command and that training spend below works without it; the table has only model, training,
    total, days left (and base at 120 columns): no columns of blanks. The reinforcement model's training is a
    yellow `≤$…` upper bound."""
    assert snap_compare(demo_without_admin_key.app(), terminal_size=size, run_before=show("4"))


def test_spend_why_panel(snap_compare, demo):
    """Filtered to `sec-review` (`1 of 15 models and jobs` beside the filter box), its row selected, `Why` tab:
    a grid of what (left, muted) and how (right): the id in bold, `job  made by ftjob-… (reinforcement,
    succeeded) on 2026-09-11`, bold `Training  $334.75`, `formula  3.3475 h x $100.00 per hour = $334.751306`,
    the price row with its source wrapped under itself, the italic note `hours billed, from the costs API`,
    then bold `Usage  $348.18 (7,785 requests …)` and one formula per kind (input, cached input, output)."""
    assert snap_compare(demo.app(), terminal_size=(120, 36), run_before=select_review())


def test_spend_cross_check(snap_compare, demo):
    """The `Cross-check` tab at 80x24 (the counts are in the yellow `≠ cross-check: …` line above the
    table): `costs API $… · finetop $… · difference $0.05` and the muted period, then a table whose first
    row is the yellow `? 2026-11-11 gpt-4o-mini training $0.05 $0.00 + ? $0.05 incomplete…` (the cancelled
    job), followed by rows with a green ✓ and a green $0.00."""
    assert snap_compare(demo.app(), terminal_size=(80, 24), run_before=show("4", "x"))


@SIZES
def test_models_screen(snap_compare, demo, size):
    """Header on `3 Models`; the summary `7 models, 14 checkpoints` (with training and usage totals at 120
    columns) and `sort: created ↓`; the tone-polish model first, each model followed by its two checkpoints as
    dim `└ ckpt-step-N` rows whose training reads `in model`; serves `serving` in green or `retired` dim;
    training, usage and total right-aligned. At the bottom a panel with the selected model's full id, the job
    that made it, `created 2026-10-19 …Z`, `serving`, and `training $0.09 = 28,443 tokens x $3.00 per 1M`."""
    assert snap_compare(demo.app(), terminal_size=size, run_before=show("3"))


@SIZES
def test_models_screen_without_admin_key(snap_compare, demo_without_admin_key, size):
    """Without an admin key: one yellow note under the bar saying usage spend needs OPENAI_ADMIN_KEY (or
    admin_key_command) and that training spend works without it; the table has no usage or total columns
    (created and base at 120 columns, and the job at wider sizes), training still filled in."""
    assert snap_compare(demo_without_admin_key.app(), terminal_size=size, run_before=show("3"))
