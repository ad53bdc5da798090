"""The spend ledger built from a cache: what it gathers, when usage shows, estimates, `since`, the working.

Every figure is worked out by hand in the comments. Prices are finetop's shipped table:
gpt-4o-mini-2024-07-18 training $3.00, input $0.30, cached $0.15 (from 2024-10-01), output $1.20 per 1M;
o4-mini-2025-04-16 training $100 per hour.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from store.cache import Cache
from store.dataset import estimate_trained_tokens
from store.money import ZERO
from store.spend import CrossCheckLine, Total
from store.spend_report import (
    check_status,
    explain,
    ledger_for,
    summarize_cross_check,
    training_cost_for,
    usage_state,
    usage_working,
    with_rows,
)
from store.types import CostLine, Job, Model, UsageBucket

D = date.fromisoformat
TODAY = D("2026-11-20")
MINI = "ft:gpt-4o-mini-2024-07-18:acme:support:AbC12345"
RFT = "ft:o4-mini-2025-04-16:acme:review:Rft12345"
DATASET = Path(__file__).resolve().parents[1] / "fixtures" / "datasets" / "chat_valid.jsonl"


def at(day: str, hour: int = 0) -> int:
    return int((D(day) - date(1970, 1, 1)).total_seconds()) + hour * 3600


def bucket(model: str, day: str, *, input: int, cached: int = 0, output: int, requests: int) -> UsageBucket:
    raw = {"model": model, "input_tokens": input, "input_cached_tokens": cached, "output_tokens": output}
    raw["num_model_requests"] = requests
    return UsageBucket(at(day), at(day) + 86400, model, input, cached, output, requests, raw=raw)


def cost_line(day: str, item: str, amount: float, *, quantity: float, unit: str = "tokens") -> CostLine:
    """A costs API result as it arrives (the cache keeps the raw JSON and reads the line back from it)."""
    raw = {
        "object": "organization.costs.result",
        "amount": {"value": amount, "currency": "usd"},
        "line_item": item,
        "project_id": None,
        "quantity": quantity,
        "quantity_unit": unit,
    }
    return CostLine(at(day), at(day) + 86400, item, repr(amount), raw=raw)


def model(model_id: str, created: int) -> Model:
    return Model(model_id, created, "acme", raw={"id": model_id, "created": created, "owned_by": "acme"})


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    cache = Cache.open(tmp_path / "cache.db")
    cache.upsert_jobs(
        [
            # 300,000 tokens x $3.00 = $0.90, created 2026-10-01.
            Job(
                "ftjob-mini",
                "succeeded",
                "gpt-4o-mini-2024-07-18",
                at("2026-10-01"),
                "file-train",
                fine_tuned_model=MINI,
                finished_at=at("2026-10-01", 6),
                trained_tokens=300_000,
            ),
            # Reinforcement: hours come from the costs line item below (1.5 h x $100 = $150).
            Job(
                "ftjob-rft",
                "succeeded",
                "o4-mini-2025-04-16",
                at("2026-10-02"),
                "file-rft",
                fine_tuned_model=RFT,
                finished_at=at("2026-10-02", 5),
                method="reinforcement",
                raw={"id": "ftjob-rft", "shared_with_openai": False},
            ),
            # Still running, 3 epochs over the archived training file: an estimate.
            Job(
                "ftjob-running",
                "running",
                "gpt-4o-mini-2024-07-18",
                at("2026-11-20"),
                "file-running",
                hyperparameters={"n_epochs": 3},
            ),
        ]
    )
    cache.replace_models([model(MINI, at("2026-10-01", 6)), model(RFT, at("2026-10-02", 5))])
    cache.store_content("file-running", [DATASET.read_bytes()])
    return cache


def with_usage(cache: Cache) -> Cache:
    """Usage and costs as an admin-key sync leaves them (the cursor says usage was read)."""
    buckets = [
        # 1,000,000 input (200,000 cached) + 500,000 output:
        # 800,000 x $0.30 + 200,000 x $0.15 + 500,000 x $1.20 = $0.24 + $0.03 + $0.60 = $0.87
        bucket(MINI, "2026-10-10", input=1_000_000, cached=200_000, output=500_000, requests=1_000),
        # 100,000 input + 100,000 output = $0.03 + $0.12 = $0.15
        bucket(MINI, "2026-11-05", input=100_000, output=100_000, requests=100),
    ]
    cache.replace_usage(at("2026-09-01"), at("2026-11-21"), buckets)
    costs = [
        cost_line("2026-10-02", "ft-o4-mini-2025-04-16, training", 150.0, quantity=1.5, unit="duration_hours"),
        cost_line("2026-10-01", "ft-gpt-4o-mini-2024-07-18, training", 0.9, quantity=300_000),
        cost_line("2026-10-10", "ft-gpt-4o-mini-2024-07-18, input", 0.24, quantity=800_000),
        cost_line("2026-10-10", "ft-gpt-4o-mini-2024-07-18, cached input", 0.03, quantity=200_000),
        cost_line("2026-10-10", "ft-gpt-4o-mini-2024-07-18, output", 0.61, quantity=500_000),  # a cent off
    ]
    cache.replace_costs(at("2026-09-01"), at("2026-11-21"), costs)
    cache.set_cursor("usage", {"synced_until": at("2026-11-21")})
    return cache


def test_without_usage_synced_training_spend_still_works_and_says_how_to_enable_usage(cache):
    state = usage_state(cache)
    assert not state.available
    assert "OPENAI_ADMIN_KEY" in state.hint

    ledger = ledger_for(cache, today=TODAY, now=at("2026-11-20", 12))

    assert not ledger.usage_available and ledger.usage is None
    assert "OPENAI_ADMIN_KEY" in ledger.usage_hint
    mini = ledger.row(MINI)
    assert mini.training.amount == Decimal("0.9") and mini.usage is None
    # Without the costs API the reinforcement hours are only an upper bound: finished - created = 5 h.
    rft = ledger.row(RFT)
    assert rft.training.upper_bound and rft.training.amount == Decimal(500)
    assert rft.training.label() == "≤$500.00"


def test_with_usage_synced_every_model_gets_usage_and_reinforcement_hours_from_costs(cache):
    ledger = ledger_for(with_usage(cache), today=TODAY, now=at("2026-11-20", 12))

    assert usage_state(cache).available
    mini = ledger.row(MINI)
    assert mini.usage.amount == Decimal("0.87") + Decimal("0.15")
    assert mini.total.amount == Decimal("0.9") + Decimal("1.02")
    assert (mini.requests, mini.last_use) == (1_100, D("2026-11-05"))
    rft = ledger.row(RFT)
    assert not rft.training.upper_bound and rft.training.amount == Decimal(150)
    assert "costs API" in rft.training.note


def test_running_jobs_get_a_labelled_estimate_from_their_archived_training_file(cache):
    tokens = estimate_trained_tokens(DATASET, "gpt-4o-mini-2024-07-18", "supervised", 3)
    assert tokens > 0

    ledger = ledger_for(cache, today=TODAY, now=at("2026-11-20", 12))
    running = next(row for row in ledger.rows if row.job and row.job.id == "ftjob-running")

    assert running.training.estimate
    assert running.training.amount == Decimal(tokens) * Decimal(3) / Decimal(1_000_000)
    assert running.training.label().startswith("≈$")
    assert "estimate" in running.training.note
    # The profile total carries the estimate mark.
    assert ledger.training.estimate
    # And the job screen's figure is the same one.
    job = cache.job("ftjob-running")
    assert training_cost_for(cache, job, now=at("2026-11-20", 12)) == running.training


def test_a_running_job_without_its_training_file_is_unknown_not_zero(cache, tmp_path):
    bare = Cache.open(tmp_path / "bare.db")
    bare.upsert_jobs([cache.job("ftjob-running")])
    ledger = ledger_for(bare, today=TODAY, now=at("2026-11-20", 12))
    assert ledger.rows[0].training.amount is None
    assert ledger.rows[0].training.label() == "unknown"
    assert not ledger.training.complete


def test_since_keeps_only_spend_from_that_day(cache):
    ledger = ledger_for(with_usage(cache), today=TODAY, now=at("2026-11-20", 12), since=D("2026-11-01"))

    mini = ledger.row(MINI)
    # Training finished 2026-10-01 and the 2026-10-10 usage are before: only the 2026-11-05 bucket.
    assert mini.training is None and "trained before 2026-11-01" in mini.note
    assert mini.usage.amount == Decimal("0.15") and mini.requests == 100
    # The reinforcement model had no spend since: gone; the running job's estimate stays.
    assert ledger.row(RFT) is None
    assert ledger.usage.amount == Decimal("0.15")
    assert all(line.day >= D("2026-11-01") for line in ledger.cross_check)


def test_with_rows_recomputes_totals_over_the_rows_kept(cache):
    ledger = ledger_for(with_usage(cache), today=TODAY, now=at("2026-11-20", 12))
    only = with_rows(ledger, [ledger.row(MINI)])
    assert only.training.amount == Decimal("0.9")
    assert only.total.amount == Decimal("1.92")
    assert sum(day.total for day in only.per_day) == Decimal("1.92")


def test_the_cross_check_finds_the_cent_the_costs_api_billed_differently(cache):
    ledger = ledger_for(with_usage(cache), today=TODAY, now=at("2026-11-20", 12))
    statuses = {line.line_item: check_status(line) for line in ledger.cross_check if line.line_item}

    assert statuses["ft-gpt-4o-mini-2024-07-18, training"] == "match"
    assert statuses["ft-o4-mini-2025-04-16, training"] == "match"
    assert statuses["ft-gpt-4o-mini-2024-07-18, input"] == "match"
    assert statuses["ft-gpt-4o-mini-2024-07-18, output"] == "differs"
    summary = summarize_cross_check(ledger.cross_check)
    assert summary.counts["differs"] == 1
    assert summary.describe().startswith("4 of 5 line items match to the cent")


@pytest.mark.parametrize(
    ("billed", "computed", "base", "status"),
    [
        ("1.004", Total(Decimal("1.00")), "m", "match"),  # within half a cent
        ("1.006", Total(Decimal("1.00")), "m", "differs"),
        ("0.05", Total(ZERO, complete=False), "m", "incomplete"),  # a cancelled job's unknown tokens
        ("0.05", None, "m", "not computed"),
        (None, Total(Decimal("0.40")), "m", "not billed"),
        (None, Total(ZERO, complete=False), "m", None),  # a running job: nothing on either side
        ("0.05", None, None, "unrecognised"),
    ],
)
def test_check_status(billed, computed, base, status):
    line = CrossCheckLine(
        TODAY, "ft-x, input" if billed else None, base, "input", Decimal(billed) if billed else None, computed
    )
    assert check_status(line) == status


def test_explain_shows_price_rows_quantities_and_formulas(cache):
    ledger = ledger_for(with_usage(cache), today=TODAY, now=at("2026-11-20", 12))
    mini = ledger.row(MINI)
    lines = explain(mini, usage_available=True)
    text = "\n".join(f"{line.kind}|{line.label}|{line.text}" for line in lines)

    assert "heading|training|$0.90" in text
    assert "formula||300,000 tokens x $3.00 per 1M tokens = $0.90" in text
    assert (
        "gpt-4o-mini-2024-07-18 training $3.00 per 1M tokens, in force from 2024-07-23 (job created 2026-10-01)" in text
    )
    # Usage: one line per billed kind and price row, the tokens summed over the days.
    assert "formula|input|900,000 tokens x $0.30 per 1M tokens = $0.27" in text
    assert "formula|cached input|200,000 tokens x $0.15 per 1M tokens = $0.03" in text
    assert "formula|output|600,000 tokens x $1.20 per 1M tokens = $0.72" in text
    assert "heading|total|$1.92" in text
    kinds = [work.kind for work in usage_working(mini)]
    assert kinds == ["input", "cached_input", "output"]
    assert sum(work.amount for work in usage_working(mini)) == mini.usage.amount


def test_explain_without_usage_says_how_to_enable_it(cache):
    ledger = ledger_for(cache, today=TODAY, now=at("2026-11-20", 12))
    lines = explain(ledger.row(MINI), usage_available=False, usage_hint=ledger.usage_hint)
    assert any(line.kind == "heading" and line.label == "usage" and line.text == "not available" for line in lines)
    assert any("OPENAI_ADMIN_KEY" in line.text for line in lines)


def test_a_users_price_row_overrides_the_shipped_one_and_says_so(cache):
    from store.pricing import user_prices_path

    path = user_prices_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "model,kind,unit,usd,effective_from,source\ngpt-4o-mini,training,per_1M_tokens,2.00,2026-01-01,deal\n"
    )

    mini = ledger_for(cache, today=TODAY).row(MINI)

    assert mini.training.amount == Decimal("0.6")  # 300,000 x $2.00
    assert mini.training.row.origin == str(path)
    price = next(line for line in explain(mini, usage_available=False) if line.kind == "price")
    assert f"your {path} (deal)" in price.text


def test_a_malformed_user_price_file_is_reported_in_the_users_terms(cache):
    from store.pricing import PriceFileError, user_prices_path

    path = user_prices_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("model,kind,unit,usd,effective_from\ngpt-4o-mini,training,per_1M_tokens,cheap,2026-01-01\n")
    with pytest.raises(PriceFileError, match="line 2"):
        ledger_for(cache, today=TODAY)
