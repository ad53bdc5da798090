"""The spend ledger of one profile, built from its cache: gathers what store.spend prices, and shows the working.

Reads go through Cache methods only. Everything here runs on the caller's thread (the TUI calls it
from a thread worker): no clock of its own (`today` and `now` are passed in), no network.

What is gathered for store.spend.build_ledger:
- jobs, models, and (when usage has been synced, i.e. an admin key was available) the usage
  buckets and the costs API's line items;
- reinforcement jobs' billed hours from the costs line items (`rft_hours_from_costs`) and whether
  each was shared with OpenAI (from the job's raw JSON);
- for jobs still running, the preflight estimate of their billed tokens, when the training file's
  contents are archived (`store.dataset.estimate_trained_tokens`, memoised by file checksum).
"""

from __future__ import annotations

import contextlib
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from store.errors import FinetopError
from store.money import CENT, ZERO, format_tokens, format_usd
from store.pricing import SHIPPED_ORIGIN, Cost, PriceRow, PriceTable, load_price_table, utc_date
from store.spend import (
    ADMIN_KEY_HINT,
    CrossCheckLine,
    Ledger,
    ModelSpend,
    Total,
    build_ledger,
    job_training_cost,
    merge_days,
    model_spend_row,
    rft_hours_from_costs,
    sum_totals,
    training_day,
)
from store.types import Job

if TYPE_CHECKING:
    from store.backend import Backend
    from store.cache import Cache


@dataclass(frozen=True)
class UsageState:
    """Whether the cache holds usage and costs, as of when, and what to do when it does not."""

    available: bool
    synced_at: int | None  # last successful usage sync
    hint: str  # how to enable usage spend (empty when available)


def usage_state(cache: Cache) -> UsageState:
    """Usage is shown once usage has been read from the API (it needs an admin key); offline the cache remembers.

    The sign is the usage cursor (`synced_until`), which the syncer moves only after reading usage:
    without an admin key it skips the read (and still calls the collection done).
    """
    state = cache.sync_state("usage")
    if state.cursor.get("synced_until"):
        return UsageState(True, state.last_success_at, "")
    return UsageState(False, None, ADMIN_KEY_HINT)


def _cache_of(source: Backend | Cache) -> Cache:
    return getattr(source, "cache", source)  # a Backend holds its Cache; a Cache is itself


def day_start(day: date) -> int:
    """The unix time of a UTC day's midnight."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def ledger_for(
    source: Backend | Cache,
    *,
    today: date,
    now: int | None = None,
    has_admin_key: bool | None = None,
    table: PriceTable | None = None,
    since: date | None = None,
    estimate: bool = True,
) -> Ledger:
    """The profile's spend ledger from its cache.

    `has_admin_key`: whether usage and costs are to be used; None decides from the cache (a usage sync
    has succeeded). `since`: only spend on or after that UTC day (training is placed on the day a job
    finished, as in the per-day series). `estimate`: compute preflight estimates for running jobs.
    Raises PriceFileError when the user's prices.csv is malformed and no `table` is given.
    """
    cache = _cache_of(source)
    table = table if table is not None else load_price_table()
    if has_admin_key is None:
        has_admin_key = usage_state(cache).available
    jobs = [_with_raw(cache, job) for job in cache.jobs()]
    start = day_start(since) if since is not None else None
    usage = cache.usage(since=start) if has_admin_key else []
    # Hours come from all the costs we hold, not only those since `since`: a job is billed once.
    all_costs = cache.costs() if has_admin_key else []
    costs = [line for line in all_costs if line.start_time >= start] if start is not None else all_costs
    ledger = build_ledger(
        jobs=jobs,
        table=table,
        today=today,
        has_admin_key=has_admin_key,
        usage=usage,
        costs=costs,
        models=cache.models(fine_tuned_only=True),
        estimated_tokens=running_estimates(cache, jobs) if estimate else None,
        billed_hours=rft_hours_from_costs(all_costs, jobs) if has_admin_key else None,
        now=now,
    )
    return restrict_to(ledger, since) if since is not None else ledger


def training_cost_for(
    source: Backend | Cache, job: Job, *, now: int | None = None, table: PriceTable | None = None
) -> Cost:
    """One job's training cost as the ledger computes it (estimated while running, final on success)."""
    cache = _cache_of(source)
    table = table if table is not None else load_price_table()
    job = _with_raw(cache, job)
    hours = None
    if job.method == "reinforcement" and usage_state(cache).available:
        hours = rft_hours_from_costs(cache.costs(), cache.jobs(model=job.model)).get(job.id)
    return job_training_cost(
        job,
        table,
        estimated_tokens=running_estimates(cache, [job]).get(job.id),
        billed_hours=hours,
        data_sharing=job.raw.get("shared_with_openai") is True,
        now=now,
    )


def _with_raw(cache: Cache, job: Job) -> Job:
    """The job with its raw JSON (the job listing leaves it out; reinforcement pricing reads it)."""
    if job.raw or job.method != "reinforcement":
        return job
    with contextlib.suppress(FinetopError):
        return cache.job(job.id)
    return job


def running_estimates(cache: Cache, jobs: Iterable[Job]) -> dict[str, int]:
    """Preflight's billed-token estimate for each running token-billed job whose training file is archived."""
    estimates = {}
    for job in jobs:
        if job.is_terminal or job.trained_tokens is not None or job.method == "reinforcement":
            continue
        archived = cache.content(job.training_file) if job.training_file else None
        if archived is None or not archived.path.exists():
            continue
        epochs = job.hyperparameters.get("n_epochs")
        epochs = epochs if isinstance(epochs, int) and not isinstance(epochs, bool) and epochs > 0 else None
        tokens = _estimate(str(archived.path), archived.sha256, job.model, job.method, epochs)
        if tokens:
            estimates[job.id] = tokens
    return estimates


@functools.lru_cache(maxsize=64)
def _estimate(path: str, sha256: str, model: str, method: str, epochs: int | None) -> int | None:
    """Counting a big file takes seconds: remember it per content checksum (the path alone could be reused)."""
    from store.dataset import estimate_trained_tokens  # tiktoken: only when a running job needs it

    try:
        return estimate_trained_tokens(path, model, method, epochs)
    except (FinetopError, OSError, ValueError):
        return None  # no estimate is better than a wrong one; the ledger then says "unknown"


# -- "since": the same ledger, only the spend from a day on ------------------------------------


def restrict_to(ledger: Ledger, since: date) -> Ledger:
    """The ledger with only spend on or after `since` (UTC): usage by bucket day, training by finish day.

    Rows with nothing since then are dropped. The usage itself should already be read from `since`
    (ledger_for does); this drops the training of jobs that finished before and recomputes totals.
    """
    rows = []
    for row in ledger.rows:
        lines = tuple(line for line in row.usage_lines if line.day >= since)
        buckets = tuple(bucket for bucket in row.buckets if bucket.start_time >= day_start(since))
        training = row.training
        note = row.note
        if training is not None and row.job is not None and training_day(row.job) < since:
            training = None
            note = "; ".join(filter(None, (note, f"trained before {since.isoformat()}: not counted")))
        if training is None and not lines and not buckets:
            continue
        rows.append(
            model_spend_row(
                row.model,
                row.base_model,
                row.job,
                row.parent,
                training,
                buckets,
                lines,
                usage_available=ledger.usage_available,
                lifecycle=row.lifecycle,
                note=note,
                training_known=row.parent is not None or row.job is not None,
            )
        )
    restricted = with_rows(ledger, rows)
    return replace(restricted, cross_check=tuple(line for line in ledger.cross_check if line.day >= since))


def with_rows(ledger: Ledger, rows: Iterable[ModelSpend]) -> Ledger:
    """The ledger over `rows` only (a filter, or `rolled_up()`): totals and the per-day series recomputed.

    The cross-check stays as it is: the costs API itemises by base model and day, not by model.
    """
    rows = tuple(rows)
    training_total = sum_totals(Total.of(row.training) for row in rows if row.training is not None)
    if any(row.parent is None and row.training is None and row.job is None for row in rows):
        training_total = replace(training_total, complete=False)  # a model whose job is not in the cache
    usage_total = sum_totals(row.usage for row in rows if row.usage is not None) if ledger.usage_available else None
    return replace(
        ledger,
        rows=rows,
        training=training_total,
        usage=usage_total,
        total=training_total + usage_total if usage_total is not None else training_total,
        per_day=merge_days(day for row in rows for day in row.per_day),
    )


# -- the working, summarised for people ----------------------------------------------------------


@dataclass(frozen=True)
class UsageWorking:
    """Tokens of one billed kind priced by one price row, summed over the days it applied."""

    kind: str  # input, cached_input, output, batch_input, ..., *_data_sharing
    row: PriceRow | None
    tokens: Decimal
    amount: Decimal | None  # None: unpriced
    first_day: date
    last_day: date
    days: int
    note: str

    def formula(self) -> str:
        if self.row is None:
            return f"{format_tokens(self.tokens)} tokens: unpriced"
        text = f"{format_tokens(self.tokens)} tokens x {format_usd(self.row.usd, precise=True)} {self.row.unit_label}"
        return text + (f" = {format_usd(self.amount, precise=True)}" if self.amount is not None else "")


def usage_working(row: ModelSpend) -> list[UsageWorking]:
    """A row's usage lines grouped by (billed kind, price row): a handful of exact formulas, not one per day.

    Tokens x price is linear, so the sum of the day lines equals the grouped formula exactly.
    """
    groups: dict[tuple[str, PriceRow | None, str], list] = defaultdict(list)
    for line in row.usage_lines:
        groups[(line.billed_kind, line.cost.row, line.cost.note)].append(line)
    result = []
    for (kind, price, note), lines in groups.items():
        amounts = [line.cost.amount for line in lines]
        result.append(
            UsageWorking(
                kind=kind,
                row=price,
                tokens=sum((line.cost.quantity for line in lines), ZERO),
                amount=None if any(a is None for a in amounts) else sum(amounts, ZERO),
                first_day=min(line.day for line in lines),
                last_day=max(line.day for line in lines),
                days=len({line.day for line in lines}),
                note=note,
            )
        )
    order = ("input", "cached_input", "output")

    def reading_order(work: UsageWorking) -> tuple[bool, int, str, date]:
        plain = work.kind.removeprefix("batch_").removesuffix("_data_sharing")
        rank = order.index(plain) if plain in order else len(order)
        return (work.kind.startswith("batch_"), rank, work.kind, work.first_day)

    return sorted(result, key=reading_order)


CHECK_STATUSES = ("differs", "incomplete", "not computed", "not billed", "unrecognised", "match")


def check_status(line: CrossCheckLine) -> str | None:
    """How one cross-check line came out; None when neither side has anything (a $0 job, a job still running).

    match: finetop's complete figure is within half a cent of the line item. differs: both have a
    figure and they are further apart. incomplete: part of finetop's figure is unpriced or unknown
    (a cancelled job's tokens). not computed: a line item finetop has no figure for. not billed:
    finetop has a figure and the costs API no line item. unrecognised: a line item finetop cannot parse.
    """
    computed = line.computed
    if line.billed is None:
        if computed is None or computed.amount == 0:
            return None
        return "not billed"
    if line.base_model is None:
        return "unrecognised"
    if computed is None:
        return "not computed"
    if not computed.complete:
        return "incomplete"
    difference = line.difference
    return "match" if difference is not None and abs(difference) < CENT / 2 else "differs"


def matches(line: CrossCheckLine) -> bool:
    return check_status(line) == "match"


@dataclass(frozen=True)
class CrossCheckSummary:
    counts: dict[str, int]  # check_status -> number of lines
    billed_total: Decimal  # the fine-tuning line items' amounts
    computed_total: Decimal  # finetop's figures for the same days
    first_day: date | None
    last_day: date | None

    @property
    def lines(self) -> int:
        return sum(self.counts.values())

    @property
    def all_match(self) -> bool:
        return self.lines > 0 and self.counts.get("match", 0) == self.lines

    def describe(self) -> str:
        """ "179 of 181 line items match to the cent; 1 differs; 1 incomplete" """
        if not self.lines:
            return "no fine-tuning line items in the costs data"
        text = f"{self.counts.get('match', 0):,} of {self.lines:,} line items match to the cent"
        others = [f"{self.counts[status]:,} {status}" for status in CHECK_STATUSES[:-1] if self.counts.get(status)]
        return "; ".join([text, *others])


def summarize_cross_check(lines: Iterable[CrossCheckLine]) -> CrossCheckSummary:
    counts: dict[str, int] = defaultdict(int)
    billed = computed = ZERO
    days = []
    for line in lines:
        status = check_status(line)
        if status is None:
            continue
        counts[status] += 1
        days.append(line.day)
        billed += line.billed or ZERO
        computed += line.computed.amount if line.computed is not None else ZERO
    return CrossCheckSummary(dict(counts), billed, computed, min(days, default=None), max(days, default=None))


# -- explaining one row, for the "why" panel and `finetop spend --why` ---------------------------


@dataclass(frozen=True)
class WhyLine:
    """One line of an explanation: `kind` says how to show it (heading, formula, price, note, warning)."""

    kind: str
    label: str
    text: str
    indent: int = 0


def price_origin(row: PriceRow) -> str:
    """Where a price row came from, in a few words: the shipped table with its source, or the user's file."""
    if row.origin == SHIPPED_ORIGIN:
        return f"source: {row.source}" if row.source else "finetop's price table"
    return f"your {row.origin}" + (f" ({row.source})" if row.source else "")


def _price_line(row: PriceRow | None, indent: int, extra: str = "") -> WhyLine | None:
    if row is None:
        return None
    text = (
        f"{row.model} {row.kind.replace('_', ' ')} {format_usd(row.usd, precise=True)} {row.unit_label}, "
        f"in force from {row.effective_from.isoformat()}{extra} · {price_origin(row)}"
    )
    return WhyLine("price", "price", text, indent)


def explain(row: ModelSpend, *, usage_available: bool, usage_hint: str = "") -> list[WhyLine]:
    """How each figure of a row was made: the price rows, the quantities and the formulas."""
    lines: list[WhyLine] = []
    job = row.job
    if job is not None:
        made = f"made by {job.id} ({job.method}, {job.status}) on {utc_date(job.created_at).isoformat()}"
        lines.append(WhyLine("detail", "job", made))
    if row.parent:
        lines.append(WhyLine("detail", "checkpoint", f"of {row.parent}: its training is counted on that model"))
    if row.training is not None:
        training = row.training
        lines.append(WhyLine("heading", "training", training.label()))
        lines.append(WhyLine("formula", "", training.formula(), 1))
        created = f" (job created {utc_date(job.created_at).isoformat()})" if job is not None else ""
        price = _price_line(training.row, 1, created)
        if price:
            lines.append(price)
        if training.note:
            kind = "warning" if training.estimate or training.upper_bound or not training.known else "note"
            lines.append(WhyLine(kind, "note", training.note, 1))
    elif row.parent is None and job is None:
        lines.append(WhyLine("heading", "training", "unknown"))
        lines.append(WhyLine("note", "note", row.note or "no job for this model in the cache", 1))
    if not usage_available:
        lines.append(WhyLine("heading", "usage", "not available"))
        lines.append(WhyLine("note", "note", usage_hint or ADMIN_KEY_HINT, 1))
    elif row.usage is not None:
        span = (
            f" over {row.first_use.isoformat()} … {row.last_use.isoformat()}" if row.first_use and row.last_use else ""
        )
        lines.append(
            WhyLine("heading", "usage", f"{row.usage.label()}  ({format_tokens(row.requests)} requests{span})")
        )
        if not row.usage_lines:
            lines.append(WhyLine("note", "", "no usage recorded for this model", 1))
        for work in usage_working(row):
            days = f"{work.first_day.isoformat()} … {work.last_day.isoformat()}, {work.days} days"
            lines.append(WhyLine("formula", work.kind.replace("_", " "), f"{work.formula()}  ({days})", 1))
            price = _price_line(work.row, 2)
            if price:
                lines.append(price)
            if work.note:
                lines.append(WhyLine("warning" if work.amount is None else "note", "note", work.note, 2))
        lines.append(
            WhyLine(
                "detail",
                "tokens",
                f"input {format_tokens(row.input_tokens)} (of which cached {format_tokens(row.cached_tokens)}), "
                f"output {format_tokens(row.output_tokens)}; input is billed uncached + cached",
                1,
            )
        )
    lines.append(WhyLine("heading", "total", row.total.label()))
    if row.note and not (row.parent is None and job is None):
        lines.append(WhyLine("note", "note", row.note, 1))
    return lines
