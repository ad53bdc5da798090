"""The fine-tuning what-if: a base model with a long prompt against a fine-tune with a short one.

Both sides are priced from the dated table (base side: `base_*` rows, the base model's own
inference prices; fine-tuned side: the fine-tuned inference rows plus the training row). Training
is amortised evenly over N months of 30 days. The break-even volume is the number of requests a day
at which the fine-tune's saving per request pays for its amortised training:

    break_even = (training / (months x 30)) / (base cost per request - fine-tune cost per request)

and "never" when a fine-tuned request costs as much as or more than a base one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from store.errors import FinetopError
from store.lifecycle import TrainingWindow, model_lifecycle, training_window
from store.money import ZERO, decimal_text
from store.pricing import PER_HOUR, Cost, PriceTable, base_model_of, hours_cost, tokens_cost, user_prices_path

DAYS_PER_MONTH = Decimal(30)


class WhatIfError(FinetopError):
    """The what-if cannot be computed as asked: a missing price or an impossible input."""


@dataclass(frozen=True)
class Scenario:
    base_model: str  # the model used as it is, with the long prompt (e.g. "gpt-4o")
    tuned_model: str  # the base model that would be fine-tuned (e.g. "gpt-4o-mini")
    requests_per_day: Decimal
    base_prompt_tokens: int
    tuned_prompt_tokens: int
    output_tokens: int
    on: date  # prices (and lifecycle) as of this day
    tuned_output_tokens: int | None = None  # defaults to output_tokens
    cached_share: Decimal = ZERO  # share of prompt tokens served from the prompt cache, 0..1
    training_tokens: int | None = None  # tokens in the training file (one epoch)
    epochs: int = 3
    trained_tokens: int | None = None  # billed training tokens, instead of training_tokens x epochs
    training_hours: Decimal | None = None  # reinforcement: billed hours
    months: int = 12  # amortisation period


@dataclass(frozen=True)
class Side:
    """One way of serving the requests, priced per request, per day and per month."""

    model: str  # as given
    priced_as: str  # the table's model
    prompt_tokens: int
    output_tokens: int
    lines: tuple[Cost, ...]  # per request: uncached input, cached input, output
    per_request: Decimal
    per_day: Decimal
    per_month: Decimal


@dataclass(frozen=True)
class WhatIf:
    scenario: Scenario
    base: Side
    tuned: Side
    training: Cost
    training_per_month: Decimal
    tuned_total_per_month: Decimal
    saving_per_request: Decimal  # base - fine-tuned, per request (negative: the fine-tune is dearer)
    saving_per_month: Decimal  # base per month - (fine-tuned per month + training per month)
    break_even_per_day: Decimal | None  # requests/day from which the fine-tune is cheaper; None = never
    payback_days: Decimal | None  # days of the scenario's volume to earn the training back; None = never
    training_window: TrainingWindow
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """For `--json`: Decimals as strings."""
        scenario = self.scenario
        return {
            "date": scenario.on.isoformat(),
            "days_per_month": int(DAYS_PER_MONTH),
            "requests_per_day": decimal_text(scenario.requests_per_day),
            "cached_share": decimal_text(scenario.cached_share),
            "base": _side_dict(self.base),
            "fine_tuned": _side_dict(self.tuned),
            "training": {
                "amount": decimal_text(self.training.amount),
                "quantity": decimal_text(self.training.quantity),
                "unit": self.training.row.unit if self.training.row else None,
                "formula": self.training.formula(),
                "price_source": self.training.row.source if self.training.row else None,
                "months": scenario.months,
                "per_month": decimal_text(self.training_per_month),
            },
            "fine_tuned_total_per_month": decimal_text(self.tuned_total_per_month),
            "saving_per_request": decimal_text(self.saving_per_request),
            "saving_per_month": decimal_text(self.saving_per_month),
            "break_even_requests_per_day": decimal_text(self.break_even_per_day),
            "payback_days": decimal_text(self.payback_days),
            "training_window": {
                "last_day": self.training_window.last_day.isoformat() if self.training_window.last_day else None,
                "days_left": self.training_window.days_left,
            },
            "warnings": list(self.warnings),
        }


def what_if(table: PriceTable, scenario: Scenario) -> WhatIf:
    """Price both sides of `scenario`; raises WhatIfError naming any missing price or bad input."""
    _check(scenario)
    on = scenario.on
    base = _side(table, scenario.base_model, "base_", scenario.base_prompt_tokens, scenario.output_tokens, scenario)
    tuned_output = scenario.output_tokens if scenario.tuned_output_tokens is None else scenario.tuned_output_tokens
    tuned = _side(table, scenario.tuned_model, "", scenario.tuned_prompt_tokens, tuned_output, scenario)
    training = _training(table, scenario)
    if training.amount is None:
        raise _missing(scenario.tuned_model, "training", on, training.note)

    months = Decimal(scenario.months)
    training_per_month = training.amount / months
    training_per_day = training_per_month / DAYS_PER_MONTH
    saving_per_request = base.per_request - tuned.per_request
    tuned_total_per_month = tuned.per_month + training_per_month
    break_even = training_per_day / saving_per_request if saving_per_request > 0 else None
    daily_saving = saving_per_request * scenario.requests_per_day
    payback = training.amount / daily_saving if daily_saving > 0 else None

    return WhatIf(
        scenario=scenario,
        base=base,
        tuned=tuned,
        training=training,
        training_per_month=training_per_month,
        tuned_total_per_month=tuned_total_per_month,
        saving_per_request=saving_per_request,
        saving_per_month=base.per_month - tuned_total_per_month,
        break_even_per_day=break_even,
        payback_days=payback,
        training_window=training_window(on, scenario.tuned_model),
        warnings=tuple(_lifecycle_warnings(scenario)),
    )


def _check(scenario: Scenario) -> None:
    problems = []
    if scenario.requests_per_day < 0:
        problems.append("requests per day cannot be negative")
    counts = [scenario.base_prompt_tokens, scenario.tuned_prompt_tokens, scenario.output_tokens]
    if scenario.tuned_output_tokens is not None:
        counts.append(scenario.tuned_output_tokens)
    if any(count < 0 for count in counts):
        problems.append("token counts cannot be negative")
    if not ZERO <= scenario.cached_share <= 1:
        problems.append("the cached share is a fraction between 0 and 1 (e.g. 0.5)")
    if scenario.months < 1:
        problems.append("amortise over at least 1 month")
    if scenario.epochs < 1:
        problems.append("train for at least 1 epoch")
    if problems:
        raise WhatIfError("; ".join(problems).capitalize() + ".")


def _side(table: PriceTable, model: str, prefix: str, prompt: int, output: int, scenario: Scenario) -> Side:
    on = scenario.on
    cached = Decimal(prompt) * scenario.cached_share
    lines = [
        _require(tokens_cost(table, model, f"{prefix}input", Decimal(prompt) - cached, on), model, prefix, on),
    ]
    if cached:
        cached_cost = tokens_cost(table, model, f"{prefix}cached_input", cached, on)
        if cached_cost.row is None:  # before prompt caching had a price: full input price
            cached_cost = tokens_cost(table, model, f"{prefix}input", cached, on)
            cached_cost = Cost(
                cached_cost.amount,
                cached_cost.row,
                cached_cost.quantity,
                note=f"no cached-input price on {on.isoformat()}: cached tokens at the full input price",
            )
        lines.append(cached_cost)
    lines.append(_require(tokens_cost(table, model, f"{prefix}output", output, on), model, prefix, on))
    per_request = sum((cost.amount for cost in lines if cost.amount is not None), ZERO)
    per_day = per_request * scenario.requests_per_day
    return Side(
        model=model,
        priced_as=lines[0].row.model if lines[0].row else base_model_of(model),
        prompt_tokens=prompt,
        output_tokens=output,
        lines=tuple(lines),
        per_request=per_request,
        per_day=per_day,
        per_month=per_day * DAYS_PER_MONTH,
    )


def _training(table: PriceTable, scenario: Scenario) -> Cost:
    model, on = scenario.tuned_model, scenario.on
    row = table.lookup(model, "training", on)
    if row is None:
        raise _missing(model, "training", on)
    if row.unit == PER_HOUR:
        if scenario.training_hours is None:
            raise WhatIfError(
                f"{row.model} trains by the hour ({row.usd} USD per hour): give the expected training hours."
            )
        return hours_cost(table, model, Decimal(scenario.training_hours), on)
    if scenario.trained_tokens is not None:
        tokens = scenario.trained_tokens
    elif scenario.training_tokens is not None:
        tokens = scenario.training_tokens * scenario.epochs
    else:
        raise WhatIfError("Give the training size: the training file's tokens (and epochs), or the trained tokens.")
    if tokens < 0:
        raise WhatIfError("Training tokens cannot be negative.")
    return tokens_cost(table, model, "training", tokens, on)


def _lifecycle_warnings(scenario: Scenario) -> list[str]:
    warnings = []
    base = base_model_of(scenario.tuned_model)
    life = model_lifecycle(scenario.tuned_model, scenario.on)
    window = training_window(scenario.on, scenario.tuned_model)
    if life.retires_on is not None and not life.serving:
        warnings.append(f"Fine-tunes of {base} stopped serving on {life.retires_on.isoformat()}.")
    elif life.retires_on is not None:
        horizon = scenario.on + timedelta(days=int(DAYS_PER_MONTH * scenario.months))
        if horizon > life.retires_on:
            warnings.append(
                f"Fine-tunes of {base} stop serving on {life.retires_on.isoformat()}, before the "
                f"{scenario.months}-month amortisation ends."
            )
    if window.days_left == 0 and window.last_day is not None:
        warnings.append(
            f"New training jobs for {base} are no longer possible (the last day was {window.last_day.isoformat()})."
        )
    return warnings


def _require(cost: Cost, model: str, prefix: str, on: date) -> Cost:
    if cost.amount is None:
        raise _missing(model, (cost.row.kind if cost.row else None) or f"{prefix}price", on, cost.note)
    return cost


def _missing(model: str, kind: str, on: date, note: str = "") -> WhatIfError:
    what = note or f"no {kind.replace('_', ' ')} price for {base_model_of(model) or model} on {on.isoformat()}"
    return WhatIfError(f"{what[0].upper()}{what[1:]}: add it to {user_prices_path()} (see `finetop prices`).")


def _side_dict(side: Side) -> dict[str, Any]:
    return {
        "model": side.model,
        "priced_as": side.priced_as,
        "prompt_tokens": side.prompt_tokens,
        "output_tokens": side.output_tokens,
        "per_request": decimal_text(side.per_request),
        "per_day": decimal_text(side.per_day),
        "per_month": decimal_text(side.per_month),
        "lines": [
            {
                "kind": cost.row.kind if cost.row else None,
                "tokens": decimal_text(cost.quantity),
                "usd_per_1M": decimal_text(cost.row.usd) if cost.row else None,
                "amount": decimal_text(cost.amount),
                "source": cost.row.source if cost.row else None,
                "note": cost.note or None,
            }
            for cost in side.lines
        ],
    }
