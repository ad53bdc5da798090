"""The spend ledger on hand-built records: every figure below is worked out by hand in the comments."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from store.pricing import load_price_table
from store.spend import (
    ADMIN_KEY_HINT,
    build_ledger,
    cross_check,
    job_training_cost,
    parse_line_item,
    rft_hours_from_costs,
    started_running_at,
)
from store.types import CostLine, Job, JobEvent, Model, UsageBucket

D = date.fromisoformat
TODAY = D("2026-11-21")
MINI = "ft:gpt-4o-mini-2024-07-18:acme:support:AbC12345"
MINI_CKPT = MINI + ":ckpt-step-100"
NANO = "ft:gpt-4.1-nano-2025-04-14:acme::NaNo1234"
OLD35 = "ft:gpt-3.5-turbo-0125:acme::Old35aaa"


def at(day: str, hour: int = 0) -> int:
    return int((D(day) - date(1970, 1, 1)).total_seconds()) + hour * 3600


def job(job_id: str, model: str, status: str, created: str, **fields) -> Job:
    return Job(id=job_id, status=status, model=model, created_at=at(created), training_file="file-x", **fields)


def usage(model: str, day: str, *, input: int, cached: int = 0, output: int, requests: int, batch=None):
    return UsageBucket(at(day), at(day) + 86400, model, input, cached, output, requests, batch=batch)


def cost_line(day: str, item: str | None, amount: str, **raw) -> CostLine:
    return CostLine(at(day), at(day) + 86400, item, amount, raw=raw)


@pytest.fixture(scope="module")
def table():
    return load_price_table()


@pytest.fixture(scope="module")
def records():
    jobs = [
        # $0.90: 300,000 tokens x $3.00 per 1M (gpt-4o-mini), finished 2025-01-10.
        job(
            "ftjob-mini",
            "gpt-4o-mini-2024-07-18",
            "succeeded",
            "2025-01-10",
            fine_tuned_model=MINI,
            trained_tokens=300_000,
            finished_at=at("2025-01-10", 5),
        ),
        # Still running: estimate 1,000,000 tokens x $5.00 (gpt-4.1-mini) = ≈$5.00.
        job("ftjob-running", "gpt-4.1-mini-2025-04-14", "running", "2026-11-20"),
        # Failed before training: $0.
        job("ftjob-failed", "gpt-4.1-2025-04-14", "failed", "2026-11-01", finished_at=at("2026-11-01", 1)),
        # Cancelled without a token count: unknown.
        job("ftjob-cancelled", "gpt-4.1-2025-04-14", "cancelled", "2026-11-02"),
        # Cancelled with tokens: 50,000 x $1.50 (gpt-4.1-nano) = $0.075.
        job(
            "ftjob-nano",
            "gpt-4.1-nano-2025-04-14",
            "cancelled",
            "2025-06-01",
            trained_tokens=50_000,
            fine_tuned_model=NANO,
            finished_at=at("2025-06-01", 2),
        ),
        # An old gpt-3.5 model, retired 2026-10-23: 100,000 x $8.00 = $0.80.
        job(
            "ftjob-35",
            "gpt-3.5-turbo-0125",
            "succeeded",
            "2024-03-01",
            fine_tuned_model=OLD35,
            trained_tokens=100_000,
            finished_at=at("2024-03-01", 3),
        ),
    ]
    buckets = [
        # 2025-02-01: 800,000 x $0.30 + 200,000 cached x $0.15 + 500,000 x $1.20 = 0.24 + 0.03 + 0.60 = $0.87
        usage(MINI, "2025-02-01", input=1_000_000, cached=200_000, output=500_000, requests=1000),
        # 2025-02-02: 100,000 x $0.30 + 50,000 x $1.20 = 0.03 + 0.06 = $0.09
        usage(MINI, "2025-02-02", input=100_000, output=50_000, requests=100),
        # checkpoint, 2025-02-01: 10,000 x $0.30 + 10,000 x $1.20 = 0.003 + 0.012 = $0.015
        usage(MINI_CKPT, "2025-02-01", input=10_000, output=10_000, requests=10),
        # not a fine-tuned model: left out of the ledger
        usage("gpt-4o-2024-08-06", "2025-02-01", input=5_000_000, output=1_000_000, requests=5000),
    ]
    return jobs, buckets


@pytest.fixture(scope="module")
def ledger(table, records):
    jobs, buckets = records
    costs = [
        cost_line("2025-01-10", "ft-gpt-4o-mini-2024-07-18, training", "0.90"),
        cost_line("2025-02-01", "ft-gpt-4o-mini-2024-07-18, input", "0.243"),  # 0.24 + checkpoint 0.003
        cost_line("2025-02-01", "ft-gpt-4o-mini-2024-07-18, cached input", "0.03"),
        cost_line("2025-02-01", "ft-gpt-4o-mini-2024-07-18, output", "0.70"),  # ours: 0.60 + 0.012
        cost_line("2025-02-01", "ft-gpt-4o-mini-2024-07-18, mystery units", "0.01"),
        cost_line("2025-02-01", "gpt-4o-2024-08-06, input", "12.50"),  # not fine-tuning: ignored
        cost_line("2025-02-02", "ft-gpt-4o-mini-2024-07-18, output", "0.06"),  # input line missing that day
    ]
    return build_ledger(
        jobs=jobs,
        usage=buckets,
        costs=costs,
        table=table,
        today=TODAY,
        has_admin_key=True,
        estimated_tokens={"ftjob-running": 1_000_000, "ftjob-mini": 290_000},
    )


def test_training_plus_usage_is_the_total(ledger):
    row = ledger.row(MINI)
    assert row.training.amount == Decimal("0.90")
    assert row.usage.amount == Decimal("0.96")  # 0.87 + 0.09
    assert row.total.amount == Decimal("1.86")
    assert row.total.label() == "$1.86"
    assert (row.requests, row.input_tokens, row.cached_tokens, row.output_tokens) == (1100, 1_100_000, 200_000, 550_000)
    assert (row.first_use, row.last_use) == (D("2025-02-01"), D("2025-02-02"))
    assert {kind: total.amount for kind, total in row.usage_by_kind.items()} == {
        "input": Decimal("0.27"),
        "cached_input": Decimal("0.03"),
        "output": Decimal("0.66"),
    }
    assert row.job.id == "ftjob-mini"
    assert row.lifecycle.serving and row.lifecycle.retires_on is None


def test_every_usage_figure_is_traceable(ledger):
    lines = ledger.row(MINI).usage_lines
    cached = next(line for line in lines if line.token_kind == "cached_input")
    assert cached.cost.row.kind == "cached_input"
    assert cached.cost.row.source.startswith("Prompt Caching blog")
    assert cached.cost.formula() == "200,000 tokens x $0.15 per 1M tokens = $0.03"
    assert ledger.row(MINI).training.formula() == "300,000 tokens x $3.00 per 1M tokens = $0.90"


def test_per_day_series_sums_to_the_total(ledger):
    row = ledger.row(MINI)
    assert [(day.day, day.training, day.usage) for day in row.per_day] == [
        (D("2025-01-10"), Decimal("0.90"), 0),
        (D("2025-02-01"), 0, Decimal("0.87")),
        (D("2025-02-02"), 0, Decimal("0.09")),
    ]
    assert sum(day.total for day in row.per_day) == row.total.amount
    assert sum(day.total for day in ledger.per_day) == ledger.total.amount


def test_checkpoint_usage_has_its_own_row_and_rolls_up(ledger):
    checkpoint = ledger.row(MINI_CKPT)
    assert checkpoint.parent == MINI
    assert checkpoint.training is None
    assert checkpoint.usage.amount == Decimal("0.015")
    assert checkpoint.total.amount == Decimal("0.015")
    assert checkpoint.total.complete  # training sits on the final model's row

    rolled = {row.model: row for row in ledger.rolled_up()}
    assert MINI_CKPT not in rolled
    assert rolled[MINI].usage.amount == Decimal("0.975")
    assert rolled[MINI].total.amount == Decimal("1.875")
    assert rolled[MINI].requests == 1110
    # Rolling up moves figures between rows; it never changes the profile total.
    assert sum(row.total.amount for row in ledger.rolled_up()) == ledger.total.amount


@pytest.mark.parametrize(
    ("job_id", "label", "amount", "note"),
    [
        ("ftjob-running", "≈$5.00", Decimal("5.00"), "estimate while running: 1,000,000 tokens"),
        ("ftjob-failed", "$0.00", Decimal(0), "not billed"),
        ("ftjob-cancelled", "unknown", None, "what was billed is unknown"),
        ("ftjob-nano", "$0.08", Decimal("0.075"), ""),  # cents; the formula keeps $0.075
        ("ftjob-mini", "$0.90", Decimal("0.90"), "preflight estimated 290,000 tokens (-3.3% against the real count)"),
    ],
)
def test_training_spend_per_job_status(ledger, job_id, label, amount, note):
    row = next(row for row in ledger.rows if row.job and row.job.id == job_id)
    assert row.training.amount == amount
    assert row.training.label() == label
    assert note in row.training.note
    assert row.training.estimate == (job_id == "ftjob-running")


def test_profile_totals(ledger):
    # training: 0.90 + 5.00 (estimate) + 0 + unknown + 0.075 + 0.80; usage: 0.96 + 0.015
    assert ledger.training.amount == Decimal("6.775")
    assert ledger.training.estimate and not ledger.training.complete
    assert ledger.usage.amount == Decimal("0.975")
    assert ledger.total.amount == Decimal("7.75")
    assert ledger.total.label() == "≈$7.75 + ?"
    assert ledger.other_models == ("gpt-4o-2024-08-06",)


def test_jobs_without_a_model_and_retired_models(ledger):
    failed = next(row for row in ledger.rows if row.job and row.job.id == "ftjob-failed")
    assert failed.model is None and failed.lifecycle is None
    assert failed.label == "ftjob-failed (failed, no model)"
    old = ledger.row(OLD35)
    assert (old.lifecycle.serving, old.lifecycle.retires_on, old.lifecycle.days_left) == (False, D("2026-10-23"), 0)
    assert ledger.row(NANO).lifecycle.describe() == "retired 2026-10-23"


def test_cross_check_shows_differences_instead_of_hiding_them(ledger):
    lines = {(line.day, line.kind, line.line_item): line for line in ledger.cross_check}
    training = lines[(D("2025-01-10"), "training", "ft-gpt-4o-mini-2024-07-18, training")]
    assert (training.billed, training.computed.amount, training.difference) == (Decimal("0.90"), Decimal("0.90"), 0)
    inputs = lines[(D("2025-02-01"), "input", "ft-gpt-4o-mini-2024-07-18, input")]
    assert inputs.difference == 0
    output = lines[(D("2025-02-01"), "output", "ft-gpt-4o-mini-2024-07-18, output")]
    assert (output.billed, output.computed.amount, output.difference) == (
        Decimal("0.70"),
        Decimal("0.612"),
        Decimal("0.088"),
    )
    unknown = lines[(D("2025-02-01"), None, "ft-gpt-4o-mini-2024-07-18, mystery units")]
    assert (unknown.billed, unknown.computed, unknown.note) == (Decimal("0.01"), None, "line item not recognised")
    # finetop computed input for 2025-02-02, a day the costs data covers, but no line item billed it.
    missing = lines[(D("2025-02-02"), "input", None)]
    assert (missing.billed, missing.computed.amount) == (None, Decimal("0.03"))
    assert "no line item" in missing.note
    assert not any(line.line_item and line.line_item.startswith("gpt-4o") for line in ledger.cross_check)


def test_without_an_admin_key_training_still_works(table, records):
    jobs, buckets = records
    ledger = build_ledger(jobs=jobs, usage=buckets, table=table, today=TODAY, has_admin_key=False)
    assert not ledger.usage_available
    assert ledger.usage is None
    assert ledger.usage_hint == ADMIN_KEY_HINT and "OPENAI_ADMIN_KEY" in ADMIN_KEY_HINT
    assert ledger.cross_check == ()
    row = ledger.row(MINI)
    assert row.usage is None and row.total.amount == Decimal("0.90")
    assert ledger.training.amount == Decimal("1.775")  # no running estimate passed this time
    assert ledger.total == ledger.training
    assert ledger.row(MINI_CKPT) is None


def test_usage_before_batch_prices_is_unpriced_and_marked(table):
    model = "ft:gpt-4o-mini-2024-07-18:acme::Batch123"
    jobs = [job("j", "gpt-4o-mini-2024-07-18", "succeeded", "2025-01-01", fine_tuned_model=model, trained_tokens=0)]
    buckets = [usage(model, "2025-03-01", input=1_000_000, output=0, requests=1, batch=True)]
    row = build_ledger(jobs=jobs, usage=buckets, table=table, today=TODAY, has_admin_key=True).row(model)
    assert row.usage.amount == 0 and not row.usage.complete
    assert row.total.label() == "$0.00 + ?"
    assert row.usage_lines[0].cost.note == "no batch input price for gpt-4o-mini-2024-07-18 on 2025-03-01"


def test_data_sharing_jobs_use_data_sharing_rows(table):
    model = "ft:o4-mini-2025-04-16:acme:rft:Rft12345"
    shared = job(
        "ftjob-rft",
        "o4-mini-2025-04-16",
        "succeeded",
        "2025-06-01",
        method="reinforcement",
        fine_tuned_model=model,
        finished_at=at("2025-06-01", 3),
        raw={"shared_with_openai": True},
    )
    buckets = [usage(model, "2025-07-01", input=1_000_000, output=1_000_000, requests=10)]
    ledger = build_ledger(
        jobs=[shared],
        usage=buckets,
        table=table,
        today=TODAY,
        has_admin_key=True,
        billed_hours={"ftjob-rft": Decimal("1.5")},
    )
    row = ledger.row(model)
    assert row.training.amount == Decimal("150")  # 1.5 h x $100
    assert not row.training.upper_bound
    assert row.usage.amount == Decimal("10")  # 1M x $2 + 1M x $8 with data sharing
    assert set(row.usage_by_kind) == {"input_data_sharing", "output_data_sharing"}


@pytest.mark.parametrize(
    ("status", "started", "finished", "now", "amount", "upper_bound"),
    [
        ("succeeded", 10, 12.5, None, "250", True),  # 2.5 h running: at most $250
        ("cancelled", 10, 11, None, "100", True),
        ("failed", 10, 10.5, None, "50", True),
        ("running", 10, None, 13, "300", True),  # so far
        ("running", 10, None, None, None, False),
        ("succeeded", None, 12, None, "400", True),  # no start known: from creation (08:00), looser
    ],
)
def test_reinforcement_upper_bound_from_running_time(table, status, started, finished, now, amount, upper_bound):
    rft = job(
        "ftjob-rft",
        "o4-mini-2025-04-16",
        status,
        "2025-06-01",
        method="reinforcement",
        finished_at=int(at("2025-06-01") + finished * 3600) if finished else None,
    )
    rft = replace(rft, created_at=at("2025-06-01", 8))
    cost = job_training_cost(
        rft,
        table,
        started_at=int(at("2025-06-01") + started * 3600) if started else None,
        now=int(at("2025-06-01") + now * 3600) if now else None,
    )
    assert cost.amount == (Decimal(amount) if amount else None)
    assert cost.upper_bound is upper_bound
    if upper_bound:
        assert cost.label().startswith("≤$")
        assert "upper bound" in cost.note


def test_orphan_models_are_shown_with_unknown_training(table):
    orphan = "ft:gpt-4.1-2025-04-14:acme::Orphan12"
    ledger = build_ledger(
        jobs=[],
        models=[Model(orphan, at("2025-05-01"), "acme", raw={"shutdown_date": "2026-12-01"})],
        usage=[usage(orphan, "2026-11-20", input=1_000_000, output=0, requests=3)],
        table=table,
        today=TODAY,
        has_admin_key=True,
    )
    row = ledger.row(orphan)
    assert row.training is None and "training cost is unknown" in row.note
    assert row.usage.amount == Decimal("3")
    assert not row.total.complete and not ledger.total.complete
    assert (row.lifecycle.retires_on, row.lifecycle.days_left) == (D("2026-12-01"), 10)
    assert [warning.model for warning in ledger.warnings] == [orphan]  # used yesterday, retires in 10 days


def test_ledger_serialises_to_json(ledger):
    data = json.loads(json.dumps(ledger.to_dict()))
    mini = next(row for row in data["models"] if row["model"] == MINI)
    assert mini["total"]["amount"] == "1.86"
    assert mini["training"]["price"]["source"].startswith("changelog 2024-07-23")
    assert data["total"]["label"] == "≈$7.75 + ?"


@pytest.mark.parametrize(
    ("item", "parsed"),
    [
        ("ft-gpt-4o-mini-2024-07-18, input", ("gpt-4o-mini-2024-07-18", "input")),
        ("ft-gpt-4o-mini-2024-07-18, cached input", ("gpt-4o-mini-2024-07-18", "cached_input")),
        ("FT-gpt-4o-mini-2024-07-18,  Output", ("gpt-4o-mini-2024-07-18", "output")),
        ("ft-gpt-4.1-2025-04-14, batch input", ("gpt-4.1-2025-04-14", "batch_input")),
        ("ft-gpt-4.1-2025-04-14, batch cached input", ("gpt-4.1-2025-04-14", "batch_cached_input")),
        ("ft-gpt-4.1-2025-04-14, batch output", ("gpt-4.1-2025-04-14", "batch_output")),
        ("ft-gpt-3.5-turbo-0125, training", ("gpt-3.5-turbo", "training")),
        ("ft-o4-mini-2025-04-16, input (data sharing)", ("o4-mini-2025-04-16", "input_data_sharing")),
        ("ft-gpt-4o-mini-2024-07-18 input_tokens", ("gpt-4o-mini-2024-07-18", "input")),
        ("ft-gpt-4o-mini-2024-07-18, something else", None),
        ("gpt-4o, input", None),
        ("", None),
    ],
)
def test_parse_line_item(item, parsed):
    assert parse_line_item(item) == parsed


def test_rft_hours_from_costs_only_when_unambiguous():
    one = job(
        "ftjob-1",
        "o4-mini-2025-04-16",
        "succeeded",
        "2025-06-01",
        method="reinforcement",
        finished_at=at("2025-06-02", 4),
    )
    line = cost_line(
        "2025-06-02", "ft-o4-mini-2025-04-16, training", "250", quantity=150, quantity_unit="duration_minutes"
    )
    assert rft_hours_from_costs([line], [one]) == {"ftjob-1": Decimal("2.5")}
    two = replace(one, id="ftjob-2")
    assert rft_hours_from_costs([line], [one, two]) == {}


def test_started_running_at_from_events():
    def event(seconds: int, message: str, kind: str = "message") -> JobEvent:
        return JobEvent(f"ftevent-{seconds}", "ftjob-1", seconds, "info", message, kind)

    events = [event(300, "Step 1/10: training loss=1.00", "metrics"), event(200, "Fine-tuning job started")]
    assert started_running_at(events) == 200
    assert started_running_at(events[:1]) == 300
    assert started_running_at([event(100, "Validating training file: file-x")]) is None


def test_a_running_jobs_estimate_waits_for_its_bill(ledger):
    # The costs data covers the running job's day, but it is billed when it ends: no "not billed" line.
    costs = [cost_line("2026-11-20", "ft-gpt-4o-mini-2024-07-18, input", "0.00")]
    lines = cross_check(costs, ledger.rows)
    assert not [line for line in lines if line.kind == "training" and line.day == D("2026-11-20")]
