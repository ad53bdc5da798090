"""How long things last: when each fine-tuned model stops serving and until when new training can start.

The dates are data (`store/data/lifecycle.csv`, one dated fact per line with its source), so they
can be corrected without touching code. Events: `retired` (fine-tunes of that base stop serving
on that day), `training_closed` (no new training jobs from that day), and for model `*` the
self-serve wind-down steps. A model's own `shutdown_date` from the API, when it has one, wins over
the table: it is the service's word about that very model.

Day counting: a model retiring on D serves through D-1, so on D-1 it has 1 day left. Training
closing on D means D-1 is the last day a job can be started.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from typing import NamedTuple

from store.pricing import base_model_of, utc_date

ALL_MODELS = "*"
RETIRED = "retired"
TRAINING_CLOSED = "training_closed"
EVENTS = (RETIRED, TRAINING_CLOSED, "no_jobs_for_new_orgs", "no_jobs_for_inactive_orgs")
WARN_WITHIN_DAYS = 30
RECENT_USE_DAYS = 30


class LifecycleFileError(ValueError):
    """A lifecycle file cannot be read; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class LifecycleFact:
    model: str  # base model as in base_model_of(), or "*" for everyone
    event: str
    on: date
    note: str
    source: str


@dataclass(frozen=True, slots=True)
class Lifecycle:
    serving: bool
    retires_on: date | None  # the first day it no longer serves
    days_left: int | None  # days it still serves, today included; 0 once retired; None if no date known
    source: str

    def describe(self) -> str:
        """One phrase for a table cell: "retired 2026-10-23", "12 days left (retires 2026-12-03)", "serving"."""
        if self.retires_on is None:
            return "serving"
        if not self.serving:
            return f"retired {self.retires_on.isoformat()}"
        days = "1 day" if self.days_left == 1 else f"{self.days_left} days"
        return f"{days} left (retires {self.retires_on.isoformat()})"


class TrainingWindow(NamedTuple):
    last_day: date | None  # the last day a new training job can be started; None if no end is known
    days_left: int | None  # days from today through last_day; 0 once closed
    source: str


@dataclass(frozen=True, slots=True)
class WindDownStep:
    on: date
    note: str
    source: str
    passed: bool


@dataclass(frozen=True, slots=True)
class RetirementWarning:
    model: str
    retires_on: date
    days_left: int
    last_used: date
    source: str

    @property
    def message(self) -> str:
        days = "1 day" if self.days_left == 1 else f"{self.days_left} days"
        return (
            f"{self.model} stops serving on {self.retires_on.isoformat()} (in {days}) "
            f"and was still called on {self.last_used.isoformat()}."
        )


@functools.cache
def lifecycle_facts() -> tuple[LifecycleFact, ...]:
    """The shipped facts (read on first use, not at import)."""
    text = resources.files("store").joinpath("data", "lifecycle.csv").read_text(encoding="utf-8")
    return tuple(parse_lifecycle_csv(text, where="finetop's lifecycle.csv"))


def parse_lifecycle_csv(text: str, *, where: str) -> list[LifecycleFact]:
    facts = []
    reader = csv.DictReader(text.splitlines())
    for record in reader:
        line = f"{where} line {reader.line_num}"
        event = (record.get("event") or "").strip()
        if event not in EVENTS:
            raise LifecycleFileError(f"{line}: unknown event {event!r}; use one of {', '.join(EVENTS)}.")
        try:
            on = date.fromisoformat((record.get("date") or "").strip())
        except ValueError:
            raise LifecycleFileError(f"{line}: {record.get('date')!r} is not a date (YYYY-MM-DD).") from None
        model = (record.get("model") or "").strip()
        model = model if model == ALL_MODELS else base_model_of(model)
        facts.append(LifecycleFact(model, event, on, (record.get("note") or "").strip(), record.get("source") or ""))
    return facts


def model_lifecycle(
    model_id: str,
    today: date,
    shutdown_date: date | str | int | None = None,
    *,
    facts: Iterable[LifecycleFact] | None = None,
) -> Lifecycle:
    """Whether `model_id` (any fine-tuned, checkpoint or base id) still serves on `today`, and for how long."""
    retires_on, source = _parse_shutdown(shutdown_date), "the API's shutdown_date for this model"
    if retires_on is None:
        fact = _first(_facts_for(model_id, RETIRED, facts))
        if fact is None:
            return Lifecycle(True, None, None, "no retirement date known")
        retires_on, source = fact.on, fact.source
    days_left = max(0, (retires_on - today).days)
    return Lifecycle(days_left > 0, retires_on, days_left, source)


def training_window(
    today: date, model_id: str | None = None, *, facts: Iterable[LifecycleFact] | None = None
) -> TrainingWindow:
    """The last day a new training job can start (for everyone, or for one base model) and days left."""
    facts = tuple(lifecycle_facts() if facts is None else facts)
    closing = [fact for fact in facts if fact.model == ALL_MODELS and fact.event == TRAINING_CLOSED]
    if model_id is not None:
        # A base closes for training when training ends for it or when its fine-tunes retire.
        closing += _facts_for(model_id, TRAINING_CLOSED, facts) + _facts_for(model_id, RETIRED, facts)
    fact = _first(closing)
    if fact is None:
        return TrainingWindow(None, None, "no end date known")
    return TrainingWindow(fact.on - timedelta(days=1), max(0, (fact.on - today).days), fact.source)


def wind_down_steps(today: date, *, facts: Iterable[LifecycleFact] | None = None) -> list[WindDownStep]:
    """The self-serve wind-down steps for everyone, oldest first, each marked passed or not."""
    facts = lifecycle_facts() if facts is None else facts
    steps = [fact for fact in facts if fact.model == ALL_MODELS]
    return [WindDownStep(fact.on, fact.note, fact.source, fact.on <= today) for fact in sorted(steps, key=_on)]


def retirement_warnings(
    last_used: Mapping[str, date],
    today: date,
    *,
    shutdown_dates: Mapping[str, date | str | int | None] | None = None,
    within_days: int = WARN_WITHIN_DAYS,
    recent_days: int = RECENT_USE_DAYS,
    facts: Iterable[LifecycleFact] | None = None,
) -> list[RetirementWarning]:
    """Models called in the last `recent_days` that stop serving within `within_days`, soonest first."""
    facts = tuple(lifecycle_facts() if facts is None else facts)
    shutdown_dates = shutdown_dates or {}
    warnings = []
    for model, used in last_used.items():
        if (today - used).days > recent_days:
            continue
        life = model_lifecycle(model, today, shutdown_dates.get(model), facts=facts)
        if (
            life.serving
            and life.retires_on is not None
            and life.days_left is not None
            and life.days_left <= within_days
        ):
            warnings.append(RetirementWarning(model, life.retires_on, life.days_left, used, life.source))
    return sorted(warnings, key=lambda warning: (warning.retires_on, warning.model))


def _facts_for(model_id: str, event: str, facts: Iterable[LifecycleFact] | None) -> list[LifecycleFact]:
    base = base_model_of(model_id)
    return [
        fact for fact in (lifecycle_facts() if facts is None else facts) if fact.event == event and fact.model == base
    ]


def _first(facts: Iterable[LifecycleFact]) -> LifecycleFact | None:
    return min(facts, key=_on, default=None)


def _on(fact: LifecycleFact) -> date:
    return fact.on


def _parse_shutdown(value: date | str | int | None) -> date | None:
    """The API sends shutdown_date as "YYYY-MM-DD" (spec) but be lenient: a date or a unix time works too."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return utc_date(value)
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None
