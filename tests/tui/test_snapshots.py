"""SVG snapshots of each widget and dialog at 80x24 (the smallest terminal we support) and 120x36.

Fixed data, UTC times, no clocks: the pictures change only when the look changes. Review a changed
picture with `pytest --snapshot-update` and look at it before accepting.
"""

from __future__ import annotations

import pytest

from store.metrics import series_from_events
from tests.tui.harness import (
    ChartApp,
    ConfirmApp,
    ErrorApp,
    EventLogApp,
    mixed_events,
    reinforcement_events,
    supervised_events,
)
from tui.widgets.event_log import EventLog

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])


@SIZES
def test_loss_chart_supervised_with_validation(snap_compare, size):
    """A falling cyan braille training-loss line with one spike near step 180, yellow • validation
    points every 30 steps, a magenta ◆ full-validation marker at step 300, x ticks in whole steps up
    to 300, and a legend `step 300/300  ━ train 0.382  • valid 0.462  ◆ full valid 0.441  acc 0.95 (a)`."""
    assert snap_compare(ChartApp(series_from_events(supervised_events(300))), terminal_size=size)


def test_loss_chart_with_accuracy_axis(snap_compare):
    """As the supervised chart, plus a green accuracy line rising to 0.95 on a right-hand axis, ◦ validation
    accuracy points and a green ◆ full-validation accuracy; the legend names all six with their last values."""
    app = ChartApp(series_from_events(supervised_events(300)), show_accuracy=True)
    assert snap_compare(app, terminal_size=(120, 36))


@SIZES
def test_loss_chart_reinforcement_reward(snap_compare, size):
    """A reinforcement job: a cyan rising train-reward line over 20 steps and yellow • validation reward
    points at steps 5, 10, 15, 20; the legend reads `step 20/20  ━ train reward 0.770  • valid reward 0.851`
    and says nothing about loss."""
    assert snap_compare(ChartApp(series_from_events(reinforcement_events(20))), terminal_size=size)


@SIZES
def test_loss_chart_empty(snap_compare, size):
    """No metrics yet: no axes and no legend, only `no metrics yet` centred in muted text."""
    assert snap_compare(ChartApp(), terminal_size=size)


@SIZES
def test_event_log(snap_compare, size):
    """Fourteen events in time order with UTC times: dim `info` levels, metrics lines made readable
    (`step  4/12  loss 0.579  val 0.675  acc 0.68  val acc 0.63`, step numbers right-aligned), a yellow
    WARN line and a red ERROR line ending in its error code; long lines run past the edge with a
    horizontal scrollbar at the bottom."""
    assert snap_compare(EventLogApp(mixed_events()), terminal_size=size)


def test_event_log_new_events_while_scrolled_up(snap_compare):
    """Scrolled to the top of a 300-step log with three new events arrived: the first events stay in
    view and the bottom row is an accent bar reading `3 new events ↓  End to follow` at the right."""
    events = supervised_events(300)

    async def scroll_up_then_receive(pilot):
        log = pilot.app.query_one(EventLog)
        await pilot.pause()  # let the log settle at the bottom first, as it does before anyone can type
        await pilot.press("home")
        await pilot.pause()
        later = [
            type(events[-1])(
                id=f"ftevent-late{i}",
                job_id=events[-1].job_id,
                created_at=events[-1].created_at + i + 1,
                level="info",
                message=f"Late event {i}",
            )
            for i in range(3)
        ]
        log.append(later)
        await pilot.pause()

    assert snap_compare(EventLogApp(events), terminal_size=(80, 24), run_before=scroll_up_then_receive)


def test_event_log_loading_older(snap_compare):
    """At the top of a log that has older events on the server: the first row is a muted italic
    `↑ loading older events…` above the oldest loaded event."""

    async def go_home(pilot):
        await pilot.pause()
        await pilot.press("home")
        await pilot.pause()

    app = EventLogApp(supervised_events(100)[40:], has_older=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=go_home)


@SIZES
def test_confirm_screen(snap_compare, size):
    """A centred dialog with a red border over the dimmed screen: bold `Cancel job ftjob-…?`, the body
    naming the model that will not be created, a yellow `⚠ A cancelled job cannot be resumed.` line with a
    yellow bar at its left, and two buttons, `Keep running (n)` (focused) and a red `Cancel job (y)`."""
    assert snap_compare(ConfirmApp(), terminal_size=size)


@SIZES
def test_error_screen(snap_compare, size):
    """A centred dialog with a red border: red bold `The API key was refused`, the API's message with the
    key cut to `sk-proj-…`, muted `HTTP 401 · invalid_api_key` and `request id req_4f1c…`, the yellow hint
    `Check the API key of this profile (`finetop profiles list`).`, and buttons `Copy request id (c)` and a
    focused `Close (esc)`."""
    assert snap_compare(ErrorApp(), terminal_size=size)
