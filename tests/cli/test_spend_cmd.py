"""`finetop spend` and the lifecycle and spend columns of `finetop models`, as a user runs them against the
emulator's demo account (synced once per test by the first command, then read with --offline)."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal

import pytest
from click.testing import CliRunner

from tui.cli import main
from tui.cli.spend_cmd import CSV_COLUMNS

DEMO = pytest.mark.emulator(scenario="demo")


def run(emulator, *args: str, admin: bool = True):
    env = {"OPENAI_BASE_URL": emulator.base_url, "OPENAI_API_KEY": emulator.api_key, "COLUMNS": "250"}
    if admin:
        env["OPENAI_ADMIN_KEY"] = emulator.admin_key
    return CliRunner().invoke(main, list(args), env=env)


def model_named(rows: list[dict], suffix: str) -> dict:
    return next(row for row in rows if row["model"] and f":{suffix}:" in row["model"])


@DEMO
def test_spend_table_json_csv_and_why(emulator):
    shown = run(emulator, "spend")
    assert shown.exit_code == 0, shown.output
    assert "Spend per custom model as of" in shown.output
    assert "Cross-check with the costs API (whole profile)" in shown.output
    assert "line items match to the cent; 1 incomplete" in shown.output
    assert "incomplete" in shown.output and "ft-gpt-4o-mini-2024-07-18, training" in shown.output

    data = json.loads(run(emulator, "--offline", "spend", "--json").stdout)
    models = [row for row in data["models"] if row["model"]]
    assert len(models) == 7 and len(data["models"]) == 15
    assert data["usage_available"] is True and data["usage_hint"] is None
    # Amounts are exact decimal strings, and the profile total is the sum of its rows.
    total = sum(Decimal(row["total"]["amount"]) for row in data["models"])
    assert Decimal(data["total"]["amount"]) == total
    review = model_named(models, "sec-review")
    assert re.fullmatch(r"[\d.]+ h x \$100\.00 per hour = \$[\d,.]+", review["training"]["formula"])
    assert review["training"]["price"]["unit"] == "per_hour" and review["training"]["upper_bound"] is False
    # The text table shows the same figures.
    assert review["model"] in shown.output and review["total"]["label"] in shown.output

    rows = list(csv.DictReader(io.StringIO(run(emulator, "--offline", "spend", "--csv").stdout)))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 15
    review_row = model_named(rows, "sec-review")
    assert review_row["training_state"] == "final" and review_row["serving"] == "no"
    assert Decimal(review_row["total_usd"]) == Decimal(review["total"]["amount"])
    running = [row for row in rows if row["job_status"] == "running"]
    assert running and all(row["training_state"] == "unknown" and row["training_usd"] == "" for row in running)

    why = run(emulator, "--offline", "spend", "-m", "sec-review", "--why")
    assert why.exit_code == 0, why.output
    assert "hours billed, from the costs API" in why.output
    assert "o4-mini-2025-04-16 training $100.00 per hour, in force from 2025-05-07" in why.output
    assert "tokens x $16.00 per 1M tokens" in why.output  # the output tokens of its usage
    assert "(the rows shown)" in why.output


@DEMO
def test_spend_since_a_day_keeps_only_what_was_spent_from_then(emulator):
    assert run(emulator, "sync").exit_code == 0
    everything = json.loads(run(emulator, "--offline", "spend", "--json").stdout)
    since = json.loads(run(emulator, "--offline", "spend", "--since", "2026-11-01", "--json").stdout)

    support = model_named(everything["models"], "support-bot")["model"]
    assert support not in {row["model"] for row in since["models"]}  # retired in October: nothing since
    assert since["since"] == "2026-11-01"
    assert all(day["day"] >= "2026-11-01" for day in since["per_day"])
    assert Decimal(since["usage"]["amount"]) < Decimal(everything["usage"]["amount"])


@DEMO
def test_spend_refuses_what_it_cannot_do_in_the_users_terms(emulator):
    assert run(emulator, "sync").exit_code == 0
    nothing = run(emulator, "--offline", "spend", "-m", "no-such-model")
    assert nothing.exit_code == 1 and "No model or job matches 'no-such-model'" in nothing.output
    both = run(emulator, "--offline", "spend", "--json", "--csv")
    assert both.exit_code == 2 and "Choose one of --json and --csv" in both.output
    bad = run(emulator, "--offline", "spend", "--since", "last week")
    assert bad.exit_code == 2 and "'last week' is not a date like 2026-11-01" in bad.output


@DEMO
def test_spend_without_an_admin_key_shows_training_and_how_to_enable_usage(emulator):
    shown = run(emulator, "spend", admin=False)
    assert shown.exit_code == 0, shown.output
    assert "OPENAI_ADMIN_KEY" in shown.output and "Training spend above works without it" in shown.output
    header = next(line for line in shown.output.splitlines() if line.startswith("model / job"))
    assert header.split() == ["model", "/", "job", "training", "serves"]  # no columns of blanks
    data = json.loads(run(emulator, "--offline", "spend", "--json", admin=False).stdout)
    assert data["usage_available"] is False and data["usage"] is None and data["cross_check"] == []
    assert "OPENAI_ADMIN_KEY" in data["usage_hint"]
    assert Decimal(model_named(data["models"], "tone-polish")["training"]["amount"]) > 0


@DEMO
def test_models_lists_lifecycle_and_spend_columns(emulator):
    shown = run(emulator, "models")
    assert shown.exit_code == 0, shown.output
    header = shown.output.splitlines()[0].split()
    assert header == ["model", "base", "job", "created", "serves", "training", "usage", "total"]
    support = next(line for line in shown.output.splitlines() if ":support-bot:" in line and "ckpt" not in line)
    assert "retired 2026-10-23" in support and "gpt-3.5-turbo" in support
    checkpoint = next(line for line in shown.output.splitlines() if ":support-bot:" in line and "ckpt" in line)
    assert "in model" in checkpoint and "ftjob-" in checkpoint  # its job, through the model it belongs to

    data = json.loads(run(emulator, "--offline", "models", "--json").stdout)
    tone = next(row for row in data if ":tone-polish:" in row["id"] and "ckpt" not in row["id"])
    assert tone["serving"] is True and tone["retires_on"] is None and tone["job"].startswith("ftjob-")
    assert Decimal(tone["total_usd"]) == Decimal(tone["training_usd"]) + Decimal(tone["usage_usd"])
    retired = next(row for row in data if ":support-bot:" in row["id"] and "ckpt" not in row["id"])
    assert retired["serving"] is False and retired["retires_on"] == "2026-10-23" and retired["days_left"] == 0


@DEMO
def test_models_without_an_admin_key_says_so_once(emulator):
    shown = run(emulator, "models", admin=False)
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines()[0].split() == ["model", "base", "job", "created", "serves", "training"]
    assert shown.output.count("OPENAI_ADMIN_KEY") == 1
