"""Usage buckets (1m/1h/1d, grouped by model, paged) and costs by line item, consistent with each other."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openai
import pytest

from tests.fixtures.emulator import FIXED_NOW_TS, make_client

DAY = 86400
YESTERDAY = FIXED_NOW_TS // DAY * DAY - DAY
PRICES = Path(__file__).resolve().parents[2] / "emulator" / "data" / "prices.csv"


def _price(model: str, kind: str, day: date) -> Decimal:
    rows = [r for r in csv.DictReader(PRICES.open()) if r["model"] == model and r["kind"] == kind]
    in_force = [r for r in rows if date.fromisoformat(r["effective_from"]) <= day] or rows
    return Decimal(max(in_force, key=lambda r: r["effective_from"])["usd"])


def _totals(page, key=lambda r: r.model) -> Counter:
    totals: Counter = Counter()
    for bucket in page.data:
        for r in bucket.results:
            k = key(r)
            totals[(k, "input")] += r.input_tokens
            totals[(k, "cached")] += r.input_cached_tokens
            totals[(k, "output")] += r.output_tokens
            totals[(k, "requests")] += r.num_model_requests
    return totals


@pytest.mark.emulator(scenario="small")
def test_minute_hour_and_day_buckets_agree_per_model(admin_client):
    usage = admin_client.admin.organization.usage
    by_day = usage.completions(start_time=YESTERDAY, end_time=YESTERDAY + DAY, bucket_width="1d", group_by=["model"])
    by_hour = usage.completions(
        start_time=YESTERDAY, end_time=YESTERDAY + DAY, bucket_width="1h", group_by=["model"], limit=24
    )
    by_minute = usage.completions(
        start_time=YESTERDAY, end_time=YESTERDAY + DAY, bucket_width="1m", group_by=["model"], limit=1440
    )
    assert len(by_day.data) == 1 and len(by_hour.data) == 24 and len(by_minute.data) == 1440
    day_totals = _totals(by_day)
    assert len({model for model, _ in day_totals}) == 2 and day_totals == _totals(by_hour) == _totals(by_minute)
    assert all(r.model.startswith("ft:gpt-4o-mini-2024-07-18:personal:") for b in by_day.data for r in b.results)
    assert [b.start_time for b in by_hour.data] == [YESTERDAY + h * 3600 for h in range(24)]
    ungrouped = usage.completions(start_time=YESTERDAY, end_time=YESTERDAY + DAY)
    result = ungrouped.data[0].results[0]
    assert result.model is None and result.project_id is None and result.batch is None
    assert result.input_tokens == sum(v for (_, kind), v in day_totals.items() if kind == "input")
    batched = usage.completions(start_time=YESTERDAY, end_time=YESTERDAY + DAY, group_by=["batch", "project_id"])
    groups = {(r.batch, r.project_id) for r in batched.data[0].results}
    assert groups == {(False, "proj_default"), (True, "proj_default"), (False, "proj_growth")}


@pytest.mark.emulator(scenario="small")
def test_usage_pages_with_next_page_until_has_more_is_false(admin_client, emulator):
    usage = admin_client.admin.organization.usage
    start = YESTERDAY
    pages, page_token = [], None
    while True:
        page = usage.completions(
            start_time=start,
            end_time=start + DAY,
            bucket_width="1h",
            limit=10,
            **({"page": page_token} if page_token else {}),
        )
        pages.append(page)
        if not page.has_more:
            assert page.next_page is None
            break
        page_token = page.next_page
    assert [len(p.data) for p in pages] == [10, 10, 4]
    starts = [b.start_time for p in pages for b in p.data]
    assert starts == [start + h * 3600 for h in range(24)]
    whole = usage.completions(start_time=start, end_time=start + DAY, bucket_width="1h", limit=24)
    assert _totals(whole, key=lambda r: None) == sum((_totals(p, key=lambda r: None) for p in pages), Counter())


@pytest.mark.emulator(scenario="small")
def test_costs_by_line_item_are_the_served_usage_times_the_dated_prices(admin_client):
    day = datetime.fromtimestamp(YESTERDAY, UTC).date()
    usage = admin_client.admin.organization.usage
    grouped = usage.completions(start_time=YESTERDAY, end_time=YESTERDAY + DAY, group_by=["batch"]).data[0].results
    expected: dict[str, Decimal] = {}
    base = "gpt-4o-mini-2024-07-18"
    for r in grouped:
        uncached = r.input_tokens - r.input_cached_tokens
        if r.batch:
            kinds = [
                ("batch input", "batch_input", uncached),
                ("batch input", "batch_cached_input", r.input_cached_tokens),
                ("batch output", "batch_output", r.output_tokens),
            ]
        else:
            kinds = [
                ("input", "input", uncached),
                ("cached input", "cached_input", r.input_cached_tokens),
                ("output", "output", r.output_tokens),
            ]
        for label, kind, tokens in kinds:
            name = f"ft-{base}, {label}"
            expected[name] = expected.get(name, Decimal(0)) + Decimal(tokens) * _price(base, kind, day) / 1_000_000
    costs = admin_client.admin.organization.usage.costs(
        start_time=YESTERDAY, end_time=YESTERDAY + DAY, group_by=["line_item"]
    )
    results = [r for r in costs.data[0].results if not r.line_item.endswith(", training")]
    training = sum(r.amount.value for r in costs.data[0].results if r.line_item.endswith(", training"))
    assert training > 0  # the job cancelled that day is billed for what it trained
    assert {r.line_item for r in results} == set(expected)
    for r in results:
        assert r.amount.currency == "usd" and r.quantity_unit == "tokens"
        assert r.amount.value == pytest.approx(float(expected[r.line_item]), rel=1e-12)
    total = usage.costs(start_time=YESTERDAY, end_time=YESTERDAY + DAY).data[0].results
    assert len(total) == 1 and total[0].line_item is None and total[0].quantity is None
    assert total[0].amount.value == pytest.approx(float(sum(expected.values())) + training, rel=1e-12)
    only_output = usage.costs(
        start_time=YESTERDAY, end_time=YESTERDAY + DAY, group_by=["line_item"], line_items=[f"ft-{base}, output"]
    )
    assert [r.line_item for r in only_output.data[0].results] == [f"ft-{base}, output"]


@pytest.mark.emulator(scenario="small")
def test_training_is_billed_on_the_day_the_job_finished(admin_client, openai_client):
    jobs = openai_client.fine_tuning.jobs.with_raw_response.list(limit=100).http_response.json()["data"]
    supervised = next(j for j in jobs if j["status"] == "succeeded" and j["method"]["type"] == "supervised")
    day_start = supervised["finished_at"] // DAY * DAY
    costs = admin_client.admin.organization.usage.costs(
        start_time=day_start, end_time=day_start + DAY, group_by=["line_item"]
    )
    training = [r for r in costs.data[0].results if r.line_item.endswith(", training")]
    tokens = [r for r in training if r.line_item == "ft-gpt-4o-mini-2024-07-18, training"]
    assert tokens[0].quantity >= supervised["trained_tokens"]
    reinforcement = next(j for j in jobs if j["method"]["type"] == "reinforcement")
    day_start = reinforcement["finished_at"] // DAY * DAY
    costs = admin_client.admin.organization.usage.costs(
        start_time=day_start, end_time=day_start + DAY, group_by=["line_item"]
    )
    hours = next(r for r in costs.data[0].results if r.line_item == "ft-o4-mini-2025-04-16, training")
    assert hours.quantity_unit == "duration_hours" and hours.amount.value == pytest.approx(hours.quantity * 100)


@pytest.mark.emulator(scenario="small")
def test_costs_page_by_day(admin_client):
    start = YESTERDAY - 6 * DAY
    first = admin_client.admin.organization.usage.costs(start_time=start, end_time=start + 7 * DAY, limit=3)
    assert len(first.data) == 3 and first.has_more
    second = admin_client.admin.organization.usage.costs(
        start_time=start, end_time=start + 7 * DAY, limit=3, page=first.next_page
    )
    third = admin_client.admin.organization.usage.costs(
        start_time=start, end_time=start + 7 * DAY, limit=3, page=second.next_page
    )
    assert [b.start_time for b in first.data + second.data + third.data] == [start + d * DAY for d in range(7)]
    assert third.has_more is False and third.next_page is None


@pytest.mark.emulator(scenario="small")
def test_live_usage_added_now_shows_in_the_current_minute(admin_client, emulator):
    model = next(m.id for m in admin_client.models.list() if m.id.startswith("ft:") and "ckpt" not in m.id)
    now = int(emulator.control.now())
    emulator.control.add_usage(
        model, input_tokens=1000, cached_tokens=400, output_tokens=50, requests=2, project_id="proj_live"
    )
    minute = now // 60 * 60
    page = admin_client.admin.organization.usage.completions(
        start_time=minute,
        end_time=minute + 60,
        bucket_width="1m",
        group_by=["model", "project_id"],
        project_ids=["proj_live"],
    )
    (result,) = page.data[0].results
    assert (result.model, result.input_tokens, result.input_cached_tokens, result.num_model_requests) == (
        model,
        1000,
        400,
        2,
    )


def test_usage_and_costs_need_the_admin_key(emulator, admin_client):
    with (
        make_client(emulator, admin_api_key=emulator.api_key) as project_key,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        project_key.admin.organization.usage.completions(start_time=YESTERDAY)
    assert "Missing scopes: api.usage.read" in caught.value.body["message"]
    with (
        make_client(emulator, admin_api_key="sk-admin-" + "wrongwrongwrongwrong1234") as wrong,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        wrong.admin.organization.usage.costs(start_time=YESTERDAY)
    assert caught.value.code == "invalid_api_key"
    with pytest.raises(openai.BadRequestError) as caught:
        admin_client.admin.organization.usage.completions(start_time=YESTERDAY, bucket_width="1d", limit=32)
    assert caught.value.code == "integer_above_max_value"
    with pytest.raises(openai.BadRequestError) as caught:
        admin_client.admin.organization.usage.costs(start_time=YESTERDAY, group_by=["model"])  # type: ignore[list-item]
    assert caught.value.param == "group_by"
