"""`finetop prices` and `finetop whatif` as a user runs them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from store.paths import config_dir
from tui.cli import main


def run(*args: str):
    # Rich sizes tables from COLUMNS when output is not a terminal; wide enough that nothing folds.
    return CliRunner().invoke(main, list(args), env={"COLUMNS": "250"})


def write_user_prices(text: str):
    path = config_dir() / "prices.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("day", "shown", "not_shown"),
    [
        ("2023-09-01", ["$8.00", "$12.00", "$16.00", "2023-08-22"], ["$3.00", "$6.00"]),
        ("2023-12-01", ["$8.00", "$3.00", "$6.00", "2023-11-06"], ["$12.00", "$16.00"]),
    ],
)
def test_prices_for_a_fine_tuned_model_on_a_day(day, shown, not_shown):
    result = run("prices", "--date", day, "--model", "ft:gpt-3.5-turbo-0613:personal::8wJ6CtY5")
    assert result.exit_code == 0, result.output
    assert "is priced as gpt-3.5-turbo" in result.output
    assert f"Prices in force on {day}" in result.output
    assert "fine-tunes retire on 2026-10-23" in result.output
    assert "openai.com/index/gpt-3-5-turbo-fine-tuning-and-api-updates" in result.output
    for text in shown:
        assert text in result.output
    for text in not_shown:
        assert text not in result.output


def test_prices_json_parses_with_prices_as_strings():
    result = run("prices", "--date", "2026-11-21", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["date"] == "2026-11-21" and data["user_file"] is None
    rows = {(row["model"], row["kind"]): row for row in data["rows"]}
    assert rows[("gpt-4o-mini-2024-07-18", "training")]["usd"] == "3"
    assert rows[("gpt-4o-2024-08-06", "batch_input")]["usd"] == "2.225"
    assert rows[("o4-mini-2025-04-16", "training")]["unit"] == "per_hour"
    assert rows[("gpt-4.1-2025-04-14", "base_input")]["origin"] == "finetop"
    assert all(row["source"] for row in data["rows"])


def test_prices_history_lists_every_dated_row():
    data = json.loads(run("prices", "--history", "--model", "gpt-3.5-turbo", "--json").output)
    assert [(row["kind"], row["usd"], row["effective_from"]) for row in data["rows"] if row["kind"] == "input"] == [
        ("input", "12", "2023-08-22"),
        ("input", "3", "2023-11-06"),
    ]


def test_an_unpriced_model_is_an_error_that_says_where_to_add_it():
    result = run("prices", "--model", "davinci-003")
    assert result.exit_code == 1
    assert "No prices for 'davinci-003'" in result.output
    assert str(config_dir() / "prices.csv") in result.output
    assert "Traceback" not in result.output


def test_user_rows_are_marked_as_theirs():
    path = write_user_prices(
        "model,kind,unit,usd,effective_from,source\n"
        "gpt-4o-mini-2024-07-18,training,per_1M_tokens,2.50,2026-01-01,negotiated 2026\n"
    )
    result = run("prices", "--date", "2026-11-21", "--model", "gpt-4o-mini")
    assert result.exit_code == 0, result.output
    assert "$2.50" in result.output and "yours" in result.output and "negotiated 2026" in result.output
    data = json.loads(run("prices", "--date", "2026-11-21", "--model", "gpt-4o-mini", "--json").output)
    training = next(row for row in data["rows"] if row["kind"] == "training")
    assert (training["usd"], training["origin"]) == ("2.5", str(path))
    assert data["user_file"] == str(path)


def test_a_malformed_user_file_is_a_clear_error():
    path = write_user_prices("model,kind,unit,usd,effective_from\ngpt-x,training,per_1M_tokens,ten,2025-01-01\n")
    result = run("prices")
    assert result.exit_code == 1
    assert f"{path} line 2: usd 'ten' is not a number" in result.output
    assert "Traceback" not in result.output


WHATIF = (
    "whatif",
    "--base",
    "gpt-4.1",
    "--tuned",
    "gpt-4.1-mini",
    "--requests",
    "1000",
    "--base-prompt",
    "1000",
    "--tuned-prompt",
    "1250",
    "--output",
    "0",
    "--trained-tokens",
    "720000",
    "--months",
    "1",
    "--date",
    "2026-11-21",
)


def test_whatif_prints_the_break_even():
    result = run(*WHATIF)
    assert result.exit_code == 0, result.output
    assert "Break-even: 120 requests a day." in result.output
    assert "$60.00" in result.output and "$33.60" in result.output and "$3.60" in result.output
    assert "paid back in 3.6 days" in result.output
    assert "you save $26.40 a month" in result.output
    assert "New training jobs can start until 2027-01-05 (46 days left)." in result.output
    assert "gpt-4.1-2025-04-14 base_input $2.00 per 1M tokens from 2025-04-14" in result.output


def test_whatif_json_parses():
    data = json.loads(run(*WHATIF, "--json").output)
    assert data["break_even_requests_per_day"] == "120"
    assert data["base"]["per_request"] == "0.002"
    assert data["fine_tuned"]["per_month"] == "30"
    assert data["training"]["amount"] == "3.6"
    assert data["training_window"] == {"last_day": "2027-01-05", "days_left": 46}


def test_whatif_never_breaks_even():
    result = run(
        "whatif",
        "--base",
        "gpt-4o-mini",
        "--tuned",
        "gpt-4o-mini",
        "--requests",
        "1000",
        "--base-prompt",
        "100",
        "--tuned-prompt",
        "100",
        "--output",
        "50",
        "--training-tokens",
        "100000",
        "--date",
        "2026-11-21",
    )
    assert result.exit_code == 0, result.output
    assert "Break-even: never." in result.output
    assert "costs $0.000045 more than a base one" in result.output


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--base", "gpt-5"), "No base input price for gpt-5 on 2026-11-21: add it to"),
        (("--requests", "lots"), "'lots' is not a number"),
        (("--cached-share", "2"), "cached share is a fraction between 0 and 1"),
    ],
)
def test_whatif_errors_are_clear(change, message):
    args = list(WHATIF)
    if change[0] in args:
        args[args.index(change[0]) + 1] = change[1]
    else:
        args += list(change)
    result = run(*args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
