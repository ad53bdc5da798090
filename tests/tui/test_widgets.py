"""The reusable widgets driven as a user would: keys, scrolling, live updates, in tiny harness apps."""

from __future__ import annotations

import time
from dataclasses import replace

from textual.widgets import Button, Static

from store.metrics import series_from_events
from store.types import JobEvent
from tests.tui.harness import (
    JOB,
    REQUEST_ID,
    T0,
    ChartApp,
    ConfirmApp,
    ErrorApp,
    EventLogApp,
    reinforcement_events,
    supervised_events,
)
from tui.widgets.confirm import ConfirmScreen
from tui.widgets.event_log import EventLog
from tui.widgets.loss_chart import LossChart, MetricsPlot


def _later_events(count: int, after: JobEvent, start: int = 900_000) -> list[JobEvent]:
    return [
        JobEvent(
            id=f"ftevent-new{start + i:021d}",
            job_id=JOB,
            created_at=after.created_at + 10 * (i + 1),
            level="info",
            message=f"New event number {i + 1}",
        )
        for i in range(count)
    ]


def _older_events(count: int, before: JobEvent) -> list[JobEvent]:
    return [
        JobEvent(
            id=f"ftevent-old{i:021d}",
            job_id=JOB,
            created_at=before.created_at - 10 * (count - i),
            level="info",
            message=f"Older event number {i + 1}",
        )
        for i in range(count)
    ]


def _rows(log: EventLog) -> list[str]:
    """What the log shows, one string per visible row."""
    return [log.render_line(y).text for y in range(log.scrollable_content_region.height)]


# ---- EventLog -----------------------------------------------------------------------------


async def test_event_log_opens_at_the_newest_event():
    events = supervised_events(300)
    app = EventLogApp(events)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        log = app.query_one(EventLog)
        assert log.is_following
        assert "The job has successfully completed" in _rows(log)[-1]


async def test_event_log_shows_events_given_newest_first_oldest_first():
    events = supervised_events(5)
    app = EventLogApp(list(reversed(events)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        rows = _rows(app.query_one(EventLog))
        assert "Created fine-tuning job" in rows[0]
        assert "successfully completed" in rows[len(events) - 1]


async def test_append_follows_new_events_when_at_the_bottom():
    events = supervised_events(100)
    app = EventLogApp(events)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        log = app.query_one(EventLog)
        added = log.append(_later_events(3, events[-1]))
        await pilot.pause()
        assert added == 3
        assert log.is_following
        assert "New event number 3" in _rows(log)[-1]
        assert log.unseen == 0


async def test_append_while_scrolled_up_keeps_the_view_and_counts_what_is_new():
    events = supervised_events(100)
    app = EventLogApp(events)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        log = app.query_one(EventLog)
        await pilot.press("pageup", "pageup")
        await pilot.pause()
        before_rows = _rows(log)
        before_y = log.scroll_offset.y
        log.append(_later_events(5, events[-1]))
        await pilot.pause()
        assert log.scroll_offset.y == before_y
        assert log.unseen == 5
        rows = _rows(log)
        assert rows[:-1] == before_rows[:-1]  # what the user was reading did not move
        assert "5 new events ↓" in rows[-1]
        await pilot.press("end")
        await pilot.pause()
        assert log.is_following
        assert log.unseen == 0
        assert "New event number 5" in _rows(log)[-1]


async def test_clicking_the_new_events_bar_jumps_to_the_newest():
    events = supervised_events(100)
    app = EventLogApp(events)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        log = app.query_one(EventLog)
        await pilot.press("home")
        log.append(_later_events(2, events[-1]))
        await pilot.pause()
        bar_y = log.scrollable_content_region.height - 1
        await pilot.click(EventLog, offset=(40, bar_y))
        await pilot.pause()
        assert log.is_following
        assert "New event number 2" in _rows(log)[-1]


async def test_following_survives_a_terminal_resize():
    events = supervised_events(100)
    app = EventLogApp(events)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        log = app.query_one(EventLog)
        await pilot.resize_terminal(100, 12)
        await pilot.pause()
        assert log.is_following
        assert "successfully completed" in _rows(log)[-1]
        log.append(_later_events(1, events[-1]))
        await pilot.pause()
        assert "New event number 1" in _rows(log)[-1]


async def test_append_ignores_events_already_shown():
    events = supervised_events(10)
    app = EventLogApp(events)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        log = app.query_one(EventLog)
        assert log.append(events[-5:]) == 0
        assert len(log.events) == len(events)


async def test_reaching_the_top_asks_once_for_older_events_and_prepend_keeps_the_view():
    events = supervised_events(100)[50:]
    app = EventLogApp(events, has_older=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        log = app.query_one(EventLog)
        assert app.older_requests == []  # at the bottom, nothing asked yet
        await pilot.press("home")
        await pilot.pause()
        assert len(app.older_requests) == 1
        assert app.older_requests[0].oldest == events[0]
        assert "loading older events" in _rows(log)[0]
        await pilot.press("down", "up", "home")
        await pilot.pause()
        assert len(app.older_requests) == 1  # still loading: no second request
        first_event_row = _rows(log)[1]
        log.prepend(_older_events(30, events[0]), has_older=False)
        await pilot.pause()
        # Nothing the user was reading moved: the banner row now holds the newest of the older events.
        assert _rows(log)[1] == first_event_row
        assert "Older event number 30" in _rows(log)[0]
        await pilot.press("home")
        await pilot.pause()
        assert "Older event number 1" in _rows(log)[0]
        assert len(app.older_requests) == 1


async def test_a_short_log_with_older_events_asks_for_them_at_once():
    events = supervised_events(3)[-3:]
    app = EventLogApp(events, has_older=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert len(app.older_requests) == 1


async def test_set_events_replaces_the_log_and_follows():
    app = EventLogApp(supervised_events(20))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        log = app.query_one(EventLog)
        log.set_events(reinforcement_events(40))
        await pilot.pause()
        assert len(log.events) == 42
        assert log.is_following
        assert "step 40/40" in _rows(log)[-1]


async def test_selected_text_can_be_copied():
    events = supervised_events(5)
    app = EventLogApp(events)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        log = app.query_one(EventLog)
        from textual.geometry import Offset
        from textual.selection import Selection

        text, _ = log.get_selection(Selection(Offset(0, 0), Offset(8, 1)))
        assert text.splitlines() == ["10:00:00 info  Created fine-tuning job: " + JOB, "10:00:01"]


async def test_empty_log_says_so():
    app = EventLogApp([])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "no events yet" in _rows(app.query_one(EventLog))[0]


async def test_a_100k_event_log_opens_and_jumps_end_to_end_quickly():
    base = supervised_events(1000)
    events = [
        replace(event, id=f"ftevent-{i:024d}", created_at=T0 + i)
        for i, event in enumerate(base[i % len(base)] for i in range(100_000))
    ]
    app = EventLogApp(events)
    async with app.run_test(size=(80, 24)) as pilot:
        started = time.perf_counter()
        await pilot.pause()
        log = app.query_one(EventLog)
        await pilot.press("home")
        await pilot.press("end")
        await pilot.pause()
        elapsed = time.perf_counter() - started
        assert len(log.events) == 100_000
        assert log.is_following
        # Generous bound for slow CI machines; the bench measures the real figure.
        assert elapsed < 2.0


# ---- LossChart ----------------------------------------------------------------------------


def _legend(chart: LossChart) -> str:
    return str(chart.query_one(".loss-chart--legend", Static).content)


async def test_chart_shows_an_empty_state_until_metrics_arrive():
    app = ChartApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        chart = app.query_one(LossChart)
        empty = chart.query_one(".loss-chart--empty", Static)
        assert empty.display and str(empty.content) == "no metrics yet"
        assert not chart.query_one(MetricsPlot).display
        chart.update(series_from_events(supervised_events(300)))
        await pilot.pause()
        assert not empty.display
        assert chart.query_one(MetricsPlot).display
        assert "step 300/300" in _legend(chart)
        assert "train 0.382" in _legend(chart)
        assert "full valid 0.441" in _legend(chart)


async def test_chart_appends_new_steps_as_they_arrive():
    events = supervised_events(300)
    metrics = [event for event in events if event.type == "metrics"]
    app = ChartApp(series_from_events(metrics[:100]))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        chart = app.query_one(LossChart)
        plot = chart.query_one(MetricsPlot)
        first_picture = plot.render()
        assert "step 100/300" in _legend(chart)
        chart.append(series_from_events(metrics[100:150]))
        await pilot.pause()
        assert len(chart.series) == 150
        assert chart.series.steps[-1] == 150
        assert "step 150/300" in _legend(chart)
        assert plot.render() is not first_picture  # redrawn with the new points


async def test_accuracy_is_toggled_with_a():
    app = ChartApp(series_from_events(supervised_events(300)))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        chart = app.query_one(LossChart)
        chart.focus()
        assert "acc 0.95 (a)" in _legend(chart)
        without = chart.query_one(MetricsPlot).render().plain
        await pilot.press("a")
        await pilot.pause()
        assert chart.show_accuracy
        assert "━ acc 0.95" in _legend(chart)
        with_accuracy = chart.query_one(MetricsPlot).render().plain
        assert with_accuracy != without
        assert "├0.95" in with_accuracy  # the right-hand axis appeared, in round steps


async def test_reinforcement_jobs_chart_reward():
    app = ChartApp(series_from_events(reinforcement_events(20)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        chart = app.query_one(LossChart)
        assert chart.mode == "reward"
        legend = _legend(chart)
        assert "train reward 0.770" in legend
        assert "valid reward 0.851" in legend
        assert "loss" not in legend


# ---- ConfirmScreen ------------------------------------------------------------------------


async def _confirm_answer(*keys: str) -> bool | None:
    app = ConfirmApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press(*keys)
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        return app.answer


async def test_confirm_y_confirms():
    assert await _confirm_answer("y") is True


async def test_confirm_n_and_escape_cancel():
    assert await _confirm_answer("n") is False
    assert await _confirm_answer("escape") is False


async def test_confirm_enter_by_habit_takes_the_safe_choice():
    assert await _confirm_answer("enter") is False


async def test_confirm_focuses_the_safe_button_and_names_the_verb():
    app = ConfirmApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        focused = app.screen.focused
        assert isinstance(focused, Button) and focused.id == "cancel"
        assert str(app.screen.query_one("#confirm", Button).label) == "Cancel job (y)"
        await pilot.click("#confirm")
        await pilot.pause()
        assert app.answer is True


# ---- ErrorScreen --------------------------------------------------------------------------


async def test_error_screen_shows_the_api_error_and_copies_the_request_id():
    app = ErrorApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        shown = " ".join(str(widget.content) for widget in screen.query(Static) if not isinstance(widget, Button))
        assert "The API key was refused" in shown
        assert "Incorrect API key provided" in shown
        assert "HTTP 401" in shown and "invalid_api_key" in shown
        assert REQUEST_ID in shown
        assert "finetop profiles list" in shown  # the hint, in the user's terms
        assert "abcdefghijklmnop1234" not in shown  # a key echoed back is never shown
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == REQUEST_ID
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen


async def test_error_screen_handles_a_plain_exception():
    app = ErrorApp(ConnectionError("Connection refused"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = " ".join(str(widget.content) for widget in app.screen.query(Static) if not isinstance(widget, Button))
        assert "Connection refused" in shown
        assert not app.screen.query("#copy")  # no request id, no copy button
        await pilot.press("c")  # still safe: says there is nothing to copy
        await pilot.pause()
        assert app.clipboard == ""
