"""Which models still serve, for how many days, and until when new training can start."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from store.lifecycle import (
    LifecycleFileError,
    lifecycle_facts,
    model_lifecycle,
    parse_lifecycle_csv,
    retirement_warnings,
    training_window,
    wind_down_steps,
)

D = date.fromisoformat


@pytest.mark.parametrize(
    ("model", "today", "serving", "retires_on", "days_left", "text"),
    [
        ("ft:gpt-3.5-turbo-0125:acme::AbC12345", "2026-09-23", True, "2026-10-23", 30, "30 days left"),
        ("ft:gpt-3.5-turbo-0613:personal::8wJ6CtY5", "2026-10-22", True, "2026-10-23", 1, "1 day left"),
        ("ft:gpt-3.5-turbo-0613:personal::8wJ6CtY5", "2026-10-23", False, "2026-10-23", 0, "retired 2026-10-23"),
        ("ft:gpt-4.1-nano-2025-04-14:acme::AbC12345:ckpt-step-40", "2026-11-21", False, "2026-10-23", 0, "retired"),
        ("ft:o4-mini-2025-04-16:acme:rft:AbC12345", "2026-11-21", False, "2026-10-23", 0, "retired"),
        ("ft:davinci-002:acme::AbC12345", "2026-11-21", False, "2026-10-23", 0, "retired"),
        ("ft:gpt-4-0613:acme::AbC12345", "2026-11-21", False, "2026-10-23", 0, "retired"),
        ("ft:gpt-4o-mini-2024-07-18:acme::AbC12345", "2026-11-21", True, None, None, "serving"),
        ("ft:gpt-4.1-2025-04-14:acme::AbC12345", "2026-11-21", True, None, None, "serving"),
    ],
)
def test_model_lifecycle_around_the_retirement_date(model, today, serving, retires_on, days_left, text):
    life = model_lifecycle(model, D(today))
    assert life.serving is serving
    assert life.retires_on == (D(retires_on) if retires_on else None)
    assert life.days_left == days_left
    assert text in life.describe()
    assert life.source  # every answer says where it comes from


@pytest.mark.parametrize("shutdown", ["2027-03-01", date(2027, 3, 1), datetime(2027, 3, 1, 12), 1803902400])
def test_the_apis_own_shutdown_date_wins(shutdown):
    life = model_lifecycle("ft:gpt-4o-mini-2024-07-18:acme::AbC12345", D("2026-11-21"), shutdown)
    assert (life.serving, life.retires_on, life.days_left) == (True, D("2027-03-01"), 100)
    assert "shutdown_date" in life.source


def test_an_unreadable_shutdown_date_falls_back_to_the_table():
    life = model_lifecycle("ft:gpt-3.5-turbo-0125:acme::AbC12345", D("2026-11-21"), "soon")
    assert life.retires_on == D("2026-10-23")


@pytest.mark.parametrize(
    ("today", "last_day", "days_left"),
    [
        ("2026-11-21", "2027-01-05", 46),
        ("2027-01-05", "2027-01-05", 1),
        ("2027-01-06", "2027-01-05", 0),
        ("2027-06-01", "2027-01-05", 0),
    ],
)
def test_training_window_for_everyone(today, last_day, days_left):
    window = training_window(D(today))
    assert (window.last_day, window.days_left) == (D(last_day), days_left)
    assert "wind-down" in window.source


@pytest.mark.parametrize(
    ("model", "today", "last_day", "days_left"),
    [
        ("babbage-002", "2024-10-01", "2024-10-27", 27),  # its own training ended 2024-10-28
        ("gpt-3.5-turbo-0125", "2026-10-01", "2026-10-22", 22),  # retiring closes training too
        ("gpt-4o-mini", "2026-11-21", "2027-01-05", 46),
    ],
)
def test_training_window_for_one_base_model(model, today, last_day, days_left):
    assert training_window(D(today), model)[:2] == (D(last_day), days_left)


def test_wind_down_steps():
    steps = wind_down_steps(D("2026-06-01"))
    assert [(step.on, step.passed) for step in steps] == [
        (D("2026-05-07"), True),
        (D("2026-07-02"), False),
        (D("2027-01-06"), False),
    ]
    assert "never fine-tuned" in steps[0].note
    assert all(step.source for step in steps)


def test_every_shipped_fact_has_a_source():
    assert lifecycle_facts()
    assert all(fact.source for fact in lifecycle_facts())


@pytest.mark.parametrize(
    ("last_used", "today", "warned"),
    [
        ("2026-10-05", "2026-10-10", True),  # retires in 13 days and still called
        ("2026-08-01", "2026-10-10", False),  # not called in the last 30 days
        ("2026-09-01", "2026-09-10", False),  # retires in 43 days: not yet
        ("2026-10-30", "2026-11-21", False),  # already retired: nothing left to warn about
    ],
)
def test_retirement_warnings(last_used, today, warned):
    model = "ft:gpt-3.5-turbo-0125:acme::AbC12345"
    warnings = retirement_warnings({model: D(last_used), "ft:gpt-4o-mini-2024-07-18:acme::X": D(last_used)}, D(today))
    assert [warning.model for warning in warnings] == ([model] if warned else [])
    if warned:
        assert warnings[0].message == (
            f"{model} stops serving on 2026-10-23 (in 13 days) and was still called on {last_used}."
        )


def test_a_malformed_lifecycle_file_names_the_line():
    with pytest.raises(LifecycleFileError, match=r"x\.csv line 3: unknown event 'retird'"):
        parse_lifecycle_csv(
            "model,event,date,note,source\ngpt-4,retired,2026-10-23,,s\ngpt-4,retird,2026-10-23,,s\n", where="x.csv"
        )
