"""Dated price lookups, OpenAI's published examples, user overrides and the money formatter."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from store.money import decimal_text, format_usd
from store.paths import config_dir
from store.pricing import (
    PriceFileError,
    base_model_of,
    hours_cost,
    load_price_table,
    tokens_cost,
    training_cost,
)
from store.spend import usage_lines
from store.types import UsageBucket


@pytest.fixture
def shipped():
    return load_price_table()


def midnight(day: str) -> int:
    """Unix time of 00:00 UTC on `day`."""
    return int((date.fromisoformat(day) - date(1970, 1, 1)).total_seconds())


def bucket(model: str, day: str, *, input: int = 0, cached: int = 0, output: int = 0, batch: bool | None = None):
    return UsageBucket(
        start_time=midnight(day),
        end_time=midnight(day) + 86400,
        model=model,
        input_tokens=input,
        input_cached_tokens=cached,
        output_tokens=output,
        num_model_requests=1,
        batch=batch,
    )


# OpenAI's worked examples: a 100,000-token file trained for 3 epochs.
@pytest.mark.parametrize(
    ("model", "created", "expected"),
    [
        ("gpt-3.5-turbo", "2023-09-01", "2.40"),
        ("gpt-3.5-turbo-0125", "2024-03-01", "2.40"),  # the job's model comes back as a snapshot
        ("gpt-4o-mini-2024-07-18", "2024-08-01", "0.90"),
        ("gpt-4o-mini", "2025-06-01", "0.90"),  # the alias resolves to the fine-tunable snapshot
        ("ft:gpt-4o-mini-2024-07-18:acme::AbC12345", "2025-06-01", "0.90"),  # continued fine-tuning
    ],
)
def test_published_training_examples(shipped, model, created, expected):
    cost = training_cost(shipped, model, 100_000 * 3, date.fromisoformat(created))
    assert cost.amount == Decimal(expected)
    assert format_usd(cost.amount) == f"${expected}"
    assert cost.formula() == f"300,000 tokens x {format_usd(cost.row.usd, precise=True)} per 1M tokens = ${expected}"


@pytest.mark.parametrize(
    ("day", "input_usd", "output_usd", "total"),
    [
        ("2023-09-01", "12.00", "16.00", "28.00"),  # launch prices ($0.012/1K in, $0.016/1K out)
        ("2023-11-05", "12.00", "16.00", "28.00"),  # the day before DevDay
        ("2023-12-01", "3.00", "6.00", "9.00"),  # DevDay cut, also applied to 0613 fine-tunes
    ],
)
def test_gpt35_launch_and_devday_prices(shipped, day, input_usd, output_usd, total):
    lines = usage_lines(
        bucket("ft:gpt-3.5-turbo-0613:personal::8wJ6CtY5", day, input=1_000_000, output=1_000_000), shipped
    )
    assert [line.cost.row.usd for line in lines] == [Decimal(input_usd), Decimal(output_usd)]
    assert sum(line.cost.amount for line in lines) == Decimal(total)
    # Training did not change at DevDay.
    assert training_cost(shipped, "gpt-3.5-turbo-0613", 1_000_000, date.fromisoformat(day)).amount == Decimal(8)


@pytest.mark.parametrize(
    ("day", "amounts", "note"),
    [
        # Before 2024-10-01 there was no cached price: cached tokens cost the full input price.
        ("2024-09-30", {"input": "0.18", "cached_input": "0.12", "output": "0.6"}, "full input price"),
        ("2024-10-01", {"input": "0.18", "cached_input": "0.06", "output": "0.6"}, ""),
    ],
)
def test_cached_tokens_before_and_after_prompt_caching(shipped, day, amounts, note):
    lines = usage_lines(
        bucket("ft:gpt-4o-mini-2024-07-18:acme::AbC12345", day, input=1_000_000, cached=400_000, output=500_000),
        shipped,
    )
    assert {line.token_kind: decimal_text(line.cost.amount) for line in lines} == amounts
    cached = next(line for line in lines if line.token_kind == "cached_input")
    assert (note in cached.cost.note) if note else cached.cost.note == ""
    assert cached.cost.row.kind == ("input" if note else "cached_input")


def test_batch_usage_uses_batch_rows_and_is_unpriced_before_them(shipped):
    model = "ft:gpt-4o-mini-2024-07-18:acme::AbC12345"
    lines = usage_lines(
        bucket(model, "2025-12-01", input=2_000_000, cached=1_000_000, output=1_000_000, batch=True), shipped
    )
    assert {line.cost.row.kind: line.cost.amount for line in lines} == {
        "batch_input": Decimal("0.15"),
        "batch_cached_input": Decimal("0.075"),
        "batch_output": Decimal("0.60"),
    }
    # Before the first batch row there is no price: never a guessed "half price".
    early = usage_lines(bucket(model, "2025-01-15", input=1_000_000, batch=True), shipped)
    assert [line.cost.amount for line in early] == [None]
    assert early[0].cost.missing == "price"
    assert "no batch input price for gpt-4o-mini-2024-07-18 on 2025-01-15" in early[0].cost.note


def test_batch_rows_that_break_the_half_price_rule_are_used_as_published(shipped):
    row = shipped.lookup("ft:babbage-002:acme::AbC12345", "batch_output", date(2025, 12, 1))
    assert row.usd == Decimal("0.90")
    assert "ANOMALY" in row.source


@pytest.mark.parametrize(
    ("sharing", "expected"),
    [(False, {"input": "4", "output": "16"}), (True, {"input": "2", "output": "8"})],
)
def test_data_sharing_rows_for_o4_mini(shipped, sharing, expected):
    lines = usage_lines(
        bucket("ft:o4-mini-2025-04-16:acme:rft:AbC12345", "2025-06-01", input=1_000_000, output=1_000_000),
        shipped,
        data_sharing=sharing,
    )
    assert {line.token_kind: decimal_text(line.cost.amount) for line in lines} == expected
    assert all(line.cost.row.kind.endswith("_data_sharing") == sharing for line in lines)


@pytest.mark.parametrize(("hours", "expected"), [("2.5", "250"), ("0.01", "1"), ("0", "0")])
def test_reinforcement_hours(shipped, hours, expected):
    cost = hours_cost(shipped, "o4-mini", Decimal(hours), date(2025, 6, 1))
    assert cost.amount == Decimal(expected)
    assert cost.row.unit == "per_hour"


def test_reinforcement_model_is_not_priced_per_token(shipped):
    cost = training_cost(shipped, "o4-mini-2025-04-16", 1_000_000, date(2025, 6, 1))
    assert cost.amount is None
    assert "by the hour" in cost.note


@pytest.mark.parametrize(
    ("model", "kind", "day", "note"),
    [
        ("davinci-003", "training", "2026-11-21", "no training price for davinci-003 on 2026-11-21"),
        ("ft:gpt-4-0613:acme::AbC12345", "input", "2024-01-01", "no input price for gpt-4 on 2024-01-01"),
        ("gpt-4o-mini-2024-07-18", "training", "2024-07-22", "no training price for gpt-4o-mini-2024-07-18"),
        ("", "training", "2026-11-21", "no training price"),
    ],
)
def test_unpriced_is_reported_not_guessed(shipped, model, kind, day, note):
    cost = tokens_cost(shipped, model, kind, 1000, date.fromisoformat(day))
    assert cost.amount is None
    assert cost.row is None
    assert cost.missing == "price"
    assert note in cost.note
    assert cost.label() == "unpriced"


@pytest.mark.parametrize(
    ("model_id", "base"),
    [
        ("ft:gpt-4o-mini-2024-07-18:org:suffix:abc12345:ckpt-step-10", "gpt-4o-mini-2024-07-18"),
        ("ft:gpt-4o-mini-2024-07-18:org:suffix:abc12345", "gpt-4o-mini-2024-07-18"),
        ("ft:gpt-3.5-turbo-0613:personal::8wJ6CtY5", "gpt-3.5-turbo"),
        ("ft:gpt-3.5-turbo-1106:acme:my-bot:AbC12345", "gpt-3.5-turbo"),
        ("ft:gpt-3.5-turbo-0125:acme::AbC12345:ckpt-step-88", "gpt-3.5-turbo"),
        ("gpt-3.5-turbo-0125", "gpt-3.5-turbo"),
        ("gpt-3.5-turbo", "gpt-3.5-turbo"),
        ("gpt-35-turbo-0613.ft-b044a9d3cf9c4228b5d393567f693b83", "gpt-3.5-turbo"),  # Azure
        ("ft:gpt-4-0613:acme::AbC12345", "gpt-4"),
        ("gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
        ("gpt-4o", "gpt-4o-2024-08-06"),
        ("gpt-4.1-nano", "gpt-4.1-nano-2025-04-14"),
        ("o4-mini", "o4-mini-2025-04-16"),
        ("  GPT-4o-Mini-2024-07-18 ", "gpt-4o-mini-2024-07-18"),
        ("ft:davinci-002:personal::AbC12345", "davinci-002"),
        ("curie:ft-personal-2023-01-01-00-00-00", "curie"),  # legacy fine-tune ids
        ("gpt-4.1-2025-04-14", "gpt-4.1-2025-04-14"),
        ("ft:", ""),
        ("", ""),
        ("hello world", "hello world"),
    ],
)
def test_base_model_of(model_id, base):
    assert base_model_of(model_id) == base


def test_in_force_picks_the_latest_row_on_or_before_the_day(shipped):
    def kinds(day: str) -> dict[str, Decimal]:
        return {row.kind: row.usd for row in shipped.in_force(date.fromisoformat(day), "gpt-3.5-turbo-0613")}

    assert kinds("2023-08-21") == {}  # before fine-tuning launched
    assert kinds("2023-08-22") == {"training": 8, "input": 12, "output": 16}
    assert kinds("2025-11-13") == {
        "training": 8,
        "input": 3,
        "output": 6,
        "batch_input": Decimal("1.50"),
        "batch_output": 3,
    }
    assert {row.model for row in shipped.in_force(date(2026, 11, 21))} >= {
        "gpt-3.5-turbo",
        "davinci-002",
        "babbage-002",
        "gpt-4o-mini-2024-07-18",
        "gpt-4o-2024-08-06",
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano-2025-04-14",
        "o4-mini-2025-04-16",
    }


def test_every_shipped_row_has_a_source(shipped):
    rows = shipped.history()
    assert len(rows) > 60
    assert all(row.source and row.origin == "finetop" for row in rows)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_user_rows_replace_and_extend_the_shipped_table():
    user = write(
        config_dir() / "prices.csv",
        "model,kind,unit,usd,effective_from,source\n"
        "# negotiated with our account manager\n"
        "gpt-4o-mini-2024-07-18,training,per_1M_tokens,2.00,2024-07-23,contract 2024\n"
        "gpt-4o-mini,input,per_1M_tokens,0.25,2026-01-01,\n"  # alias: stored under the snapshot
        "my-azure-model,training,per_1M_tokens,$1.25,2025-01-01,Azure price sheet\n",
    )
    table = load_price_table()
    assert table.user_file == user
    replaced = table.lookup("ft:gpt-4o-mini-2024-07-18:acme::AbC12345", "training", date(2025, 1, 1))
    assert (replaced.usd, replaced.source, replaced.origin) == (Decimal("2.00"), "contract 2024", str(user))
    later = table.lookup("gpt-4o-mini-2024-07-18", "input", date(2026, 2, 1))
    assert (later.usd, later.source) == (Decimal("0.25"), "your price file")
    earlier = table.lookup("gpt-4o-mini-2024-07-18", "input", date(2025, 12, 31))
    assert (earlier.usd, earlier.origin) == (Decimal("0.30"), "finetop")
    assert training_cost(table, "my-azure-model", 1_000_000, date(2025, 6, 1)).amount == Decimal("1.25")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "model,kind,unit,usd,effective_from,source\ngpt-x,training,per_1M_tokens,abc,2025-01-01,s\n",
            "line 2: usd 'abc'",
        ),
        (
            "model,kind,unit,usd,effective_from\n\ngpt-x,traning,per_1M_tokens,1,2025-01-01\n",
            "line 3: unknown kind 'traning'",
        ),
        ("model,kind,unit,usd,effective_from\ngpt-x,training,per_1K_tokens,1,2025-01-01\n", "line 2: unknown unit"),
        (
            "model,kind,unit,usd,effective_from\ngpt-x,input,per_hour,1,2025-01-01\n",
            "line 2: only training is priced per_hour",
        ),
        ("model,kind,unit,usd,effective_from\ngpt-x,training,per_1M_tokens,1,01/02/2025\n", "line 2: effective_from"),
        ("model,kind,unit,usd,effective_from\ngpt-x,training,per_1M_tokens,-1,2025-01-01\n", "line 2: usd '-1'"),
        ("model,kind,price\ngpt-x,training,1\n", "line 1: the header must name"),
        (
            "model,kind,unit,usd,effective_from\ngpt-x,training,per_1M_tokens,1,2025-01-01\n"
            "gpt-x,training,per_1M_tokens,2,2025-01-01\n",
            "line 3: gpt-x training from 2025-01-01 is already given on line 2",
        ),
    ],
)
def test_a_malformed_user_file_names_the_file_and_line(text, message):
    user = write(config_dir() / "prices.csv", text)
    with pytest.raises(PriceFileError) as error:
        load_price_table()
    assert str(user) in str(error.value)
    assert message in str(error.value)


def test_an_explicit_user_file_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(PriceFileError, match="no such price file"):
        load_price_table(tmp_path / "missing.csv")


@pytest.mark.parametrize(
    ("amount", "precise", "text"),
    [
        (Decimal("2.4"), False, "$2.40"),
        (Decimal("1234.565"), False, "$1,234.57"),
        (Decimal("0.0042"), False, "$0.0042"),
        (Decimal("0.004236"), False, "$0.0042"),
        (Decimal("0.00015"), False, "$0.00015"),
        (Decimal("0.0040"), False, "$0.004"),
        (Decimal("0.01"), False, "$0.01"),
        (Decimal("0"), False, "$0.00"),
        (Decimal("-0.5"), False, "-$0.50"),
        (None, False, "unpriced"),
        (Decimal("0.075"), True, "$0.075"),
        (Decimal("1.875"), True, "$1.875"),
        (Decimal("8"), True, "$8.00"),
        (Decimal("0.000375"), True, "$0.000375"),
        (Decimal("0.0000001"), True, "$0.0000001"),
    ],
)
def test_format_usd(amount, precise, text):
    assert format_usd(amount, precise=precise) == text


def test_store_modules_do_not_pull_in_textual():
    code = (
        "import sys, store.pricing, store.spend, store.lifecycle, store.whatif, store.money;"
        "sys.exit(1 if any(name.split('.')[0] in ('textual', 'tui') for name in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
