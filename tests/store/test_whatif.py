"""The what-if: both sides priced from the table, break-even volumes checked by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from store.paths import config_dir
from store.pricing import load_price_table
from store.whatif import Scenario, WhatIfError, what_if

D = date.fromisoformat


@pytest.fixture
def table():
    return load_price_table()


def scenario(**overrides) -> Scenario:
    values = {
        "base_model": "gpt-4.1",
        "tuned_model": "gpt-4.1-mini",
        "requests_per_day": Decimal(1000),
        "base_prompt_tokens": 1000,
        "tuned_prompt_tokens": 1250,
        "output_tokens": 0,
        "on": D("2026-11-21"),
        "trained_tokens": 720_000,
        "months": 1,
    }
    return Scenario(**{**values, **overrides})


def test_break_even_worked_by_hand(table):
    # Base gpt-4.1: 1,000 x $2.00/1M = $0.002 a request. Fine-tuned gpt-4.1-mini: 1,250 x $0.80/1M
    # = $0.001. Training 720,000 x $5.00/1M = $3.60 over 1 month = $0.12 a day, so the fine-tune
    # pays off from $0.12 / $0.001 = 120 requests a day; at 1,000 a day it earns $1 a day back
    # (3.6 days). A month: base $60, fine-tune $30 + $3.60 = $33.60, saving $26.40.
    result = what_if(table, scenario())
    assert (result.base.per_request, result.tuned.per_request) == (Decimal("0.002"), Decimal("0.001"))
    assert result.training.amount == Decimal("3.60")
    assert result.break_even_per_day == Decimal(120)
    assert result.payback_days == Decimal("3.6")
    assert (result.base.per_month, result.tuned_total_per_month) == (Decimal(60), Decimal("33.60"))
    assert result.saving_per_month == Decimal("26.40")
    assert result.base.priced_as == "gpt-4.1-2025-04-14"
    assert [cost.row.kind for cost in result.base.lines] == ["base_input", "base_output"]
    assert [cost.row.kind for cost in result.tuned.lines] == ["input", "output"]


def test_training_from_file_tokens_and_epochs_amortised_over_months(table):
    # 80,000 tokens x 3 epochs = 240,000 x $5.00/1M = $1.20 over 12 months = $0.10/month,
    # $0.10 / 30 days / $0.001 a request = 3.33... requests a day.
    result = what_if(table, scenario(trained_tokens=None, training_tokens=80_000, epochs=3, months=12))
    assert result.training.amount == Decimal("1.20")
    assert result.training_per_month == Decimal("0.10")
    assert result.break_even_per_day == Decimal("0.10") / 30 / Decimal("0.001")


def test_never_when_a_fine_tuned_request_is_dearer(table):
    # Base gpt-4o-mini: 100 x $0.15/1M; its fine-tune: 100 x $0.30/1M. No volume pays the training back.
    result = what_if(
        table,
        scenario(base_model="gpt-4o-mini", tuned_model="gpt-4o-mini", base_prompt_tokens=100, tuned_prompt_tokens=100),
    )
    assert result.saving_per_request == Decimal("-0.000015")
    assert result.break_even_per_day is None
    assert result.payback_days is None


@pytest.mark.parametrize(
    ("day", "per_request", "note"),
    [
        # 2,000 prompt tokens, half cached, gpt-4o base: before 2024-10-01 at the full $2.50,
        ("2024-09-01", Decimal("0.005"), "full input price"),
        # then 1,000 x $2.50 + 1,000 x $1.25 = $0.00375.
        ("2024-10-01", Decimal("0.00375"), ""),
    ],
)
def test_cached_share_uses_cached_prices_when_they_existed(table, day, per_request, note):
    result = what_if(
        table,
        scenario(
            base_model="gpt-4o",
            tuned_model="gpt-4o-mini",
            base_prompt_tokens=2000,
            cached_share=Decimal("0.5"),
            on=D(day),
        ),
    )
    assert result.base.per_request == per_request
    assert (note in result.base.lines[1].note) if note else result.base.lines[1].row.kind == "base_cached_input"


def test_a_missing_base_price_asks_the_user_to_add_it(table):
    with pytest.raises(WhatIfError) as error:
        what_if(table, scenario(base_model="gpt-5"))
    message = str(error.value)
    assert "No base input price for gpt-5 on 2026-11-21" in message
    assert str(config_dir() / "prices.csv") in message


def test_a_user_added_base_price_is_used():
    path = config_dir() / "prices.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "model,kind,unit,usd,effective_from,source\n"
        "gpt-5,base_input,per_1M_tokens,1.25,2025-08-07,our notes\n"
        "gpt-5,base_output,per_1M_tokens,10,2025-08-07,our notes\n",
        encoding="utf-8",
    )
    result = what_if(load_price_table(), scenario(base_model="gpt-5", output_tokens=100))
    assert result.base.per_request == Decimal("0.00225")  # 1,000 x 1.25 + 100 x 10, per 1M


def test_reinforcement_needs_hours_and_warns_about_retirement(table):
    with pytest.raises(WhatIfError, match="trains by the hour"):
        what_if(table, scenario(base_model="o4-mini", tuned_model="o4-mini"))
    result = what_if(
        table, scenario(base_model="o4-mini", tuned_model="o4-mini", trained_tokens=None, training_hours=Decimal(2))
    )
    assert result.training.amount == Decimal(200)
    assert "Fine-tunes of o4-mini-2025-04-16 stopped serving on 2026-10-23." in result.warnings
    assert "New training jobs for o4-mini-2025-04-16 are no longer possible (the last day was 2026-10-22)." in (
        result.warnings
    )
    assert result.training.formula() == "2 h x $100.00 per hour = $200.00"


def test_amortising_past_the_retirement_date_is_flagged(table):
    result = what_if(table, scenario(tuned_model="gpt-3.5-turbo", base_model="gpt-4o", on=D("2026-06-01"), months=6))
    assert any("before the 6-month amortisation ends" in warning for warning in result.warnings)


def test_training_window_is_reported(table):
    window = what_if(table, scenario()).training_window
    assert (window.last_day, window.days_left) == (D("2027-01-05"), 46)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"trained_tokens": None}, "Give the training size"),
        ({"cached_share": Decimal("1.5")}, "cached share"),
        ({"requests_per_day": Decimal(-1)}, "negative"),
        ({"months": 0}, "at least 1 month"),
    ],
)
def test_impossible_inputs_are_explained(table, overrides, message):
    with pytest.raises(WhatIfError, match=message):
        what_if(table, scenario(**overrides))
