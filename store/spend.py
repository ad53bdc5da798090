"""The spend ledger: what each custom model cost to train and has cost to run, with its working shown.

Pure functions over cached records (store.types) and a PriceTable: no I/O, no clock (the caller
passes `today`, and `now` for jobs still running). Every figure keeps the Cost lines that made it
(price row x tokens or hours), so a screen can answer "why this number".

Billing rules finetop applies (training is priced on the job's creation day, UTC):
- Supervised and DPO jobs: trained_tokens x the training price per 1M tokens.
- Jobs still running (trained_tokens is null): an ESTIMATE from `estimated_tokens[job_id]` (the
  training file's tokens x epochs, from preflight); without one the figure is unknown. When the
  job succeeds its real trained_tokens replaces the estimate (the estimate's error is noted).
- Failed jobs: billed for trained_tokens when the API reports them, otherwise $0 (not billed).
- Cancelled jobs: billed for trained_tokens when the API reports them, otherwise UNKNOWN: the
  service bills the tokens trained before cancelling and the API does not say how many.
- Reinforcement jobs (o4-mini): billed hours x the hourly price. Hours come from the costs API
  when the caller has them for the job (`billed_hours[job_id]`, exact). Otherwise an UPPER BOUND:
  (finished_at, or `now` while running) minus the time the job started running (job.started_at,
  or `started_at[job_id]`, e.g. from started_running_at(events); else created_at, a looser bound
  that also counts validation and queueing).
  Failed and cancelled reinforcement jobs get the same upper bound: OpenAI bills only "captured
  forward progress", possibly nothing. Model-grader tokens are billed separately, not included.
- Inference: (input - cached) x input + cached x cached_input + output x output, per 1M tokens, at
  the prices in force on the usage bucket's UTC day. Before a cached-input price exists, cached
  tokens cost the full input price (noted). Batch usage uses the batch_* rows; with no batch row
  that day it is unpriced (never "half price"); buckets not grouped by batch (batch=None) count as
  standard traffic. Usage of models made by jobs shared with OpenAI
  (`shared_with_openai`, o4-mini) uses the *_data_sharing rows when they exist.
- Checkpoint models (`...:ckpt-step-N`) are priced like their model and kept on their own row;
  `Ledger.rolled_up()` folds them into the row of the job's final model.
- Per-day series and the cross-check place a job's training on the day it finished (or was
  created, if it has not finished).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from store.lifecycle import Lifecycle, RetirementWarning, model_lifecycle, retirement_warnings
from store.money import ZERO, decimal_text, format_usd
from store.pricing import (
    Cost,
    PriceTable,
    base_model_of,
    hours_cost,
    tokens_cost,
    training_cost,
    utc_date,
)
from store.types import CostLine, Job, JobEvent, Model, UsageBucket

ADMIN_KEY_HINT = (
    "Usage spend needs an organization admin key (the usage and costs APIs accept nothing else): "
    "create one under Organization settings > Admin keys on platform.openai.com, set it as "
    "OPENAI_ADMIN_KEY, and sync again. Training spend works without it."
)
CHECKPOINT_MARK = ":ckpt-step-"
_SECONDS_PER_HOUR = Decimal(3600)
_LINE_ITEM = re.compile(r"^ft-(?P<base>[^,\s]+)[,\s]+(?P<rest>.*)$")


@dataclass(frozen=True)
class Total:
    """A sum of Costs that remembers whether every part was known and how sure it is."""

    amount: Decimal = ZERO
    complete: bool = True  # False when some part was unpriced or of unknown quantity
    estimate: bool = False
    upper_bound: bool = False

    @classmethod
    def of(cls, cost: Cost) -> Total:
        if cost.amount is None:
            return cls(ZERO, complete=False)
        return cls(cost.amount, True, cost.estimate, cost.upper_bound)

    def __add__(self, other: Total) -> Total:
        return Total(
            self.amount + other.amount,
            self.complete and other.complete,
            self.estimate or other.estimate,
            self.upper_bound or other.upper_bound,
        )

    def label(self) -> str:
        """ "$12.34"; "≈" when an estimate is in it, "≤" for an upper bound, " + ?" when parts are unpriced."""
        prefix = "≤" if self.upper_bound else "≈" if self.estimate else ""
        return prefix + format_usd(self.amount) + ("" if self.complete else " + ?")


def sum_totals(totals: Iterable[Total]) -> Total:
    result = Total()
    for total in totals:
        result = result + total
    return result


@dataclass(frozen=True)
class UsageLine:
    """Tokens of one kind, for one model, on one day, and what they cost."""

    day: date
    model: str
    token_kind: str  # what the tokens were: input (uncached), cached_input, output
    batch: bool
    data_sharing: bool
    cost: Cost  # cost.row says which price applied (it may be the input row for cached tokens)

    @property
    def billed_kind(self) -> str:
        """The kind as the costs API itemises it: batch_cached_input, output_data_sharing, ..."""
        return f"{'batch_' if self.batch else ''}{self.token_kind}{'_data_sharing' if self.data_sharing else ''}"


@dataclass(frozen=True)
class DayAmount:
    day: date
    training: Decimal = ZERO
    usage: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.training + self.usage


@dataclass(frozen=True)
class ModelSpend:
    """One custom model (or checkpoint model, or a job that made no model) and what it cost."""

    model: str | None  # the fine-tuned model id; None for a job that made no model
    base_model: str
    job: Job | None  # the job that made it, when the cache has it
    parent: str | None  # checkpoint rows: the job's final model
    training: Cost | None  # None on checkpoint rows (training sits on the final model's row)
    usage: Total | None  # None when usage data is not available (no admin key)
    usage_by_kind: dict[str, Total]
    usage_lines: tuple[UsageLine, ...]
    total: Total
    requests: int
    input_tokens: int  # includes cached, as the usage API counts them
    cached_tokens: int
    output_tokens: int
    first_use: date | None
    last_use: date | None
    lifecycle: Lifecycle | None
    per_day: tuple[DayAmount, ...]
    note: str = ""
    buckets: tuple[UsageBucket, ...] = field(default=(), repr=False)

    @property
    def is_checkpoint(self) -> bool:
        return self.parent is not None

    @property
    def label(self) -> str:
        if self.model:
            return self.model
        job = self.job
        return f"{job.id} ({job.status}, no model)" if job else "(unknown)"


@dataclass(frozen=True)
class CrossCheckLine:
    """One fine-tuning line item of the costs API for one day against finetop's own figure."""

    day: date
    line_item: str | None  # as the costs API named it; None when only finetop has a figure
    base_model: str | None  # parsed from the line item; None when not recognised
    kind: str | None
    billed: Decimal | None  # the costs API's amount (None: no such line item that day)
    computed: Total | None  # finetop's figure (None: nothing computed for it)
    note: str = ""

    @property
    def difference(self) -> Decimal | None:
        """billed - computed; positive means the service billed more than finetop computed."""
        if self.billed is None or self.computed is None:
            return None
        return self.billed - self.computed.amount


@dataclass(frozen=True)
class Ledger:
    today: date
    rows: tuple[ModelSpend, ...]
    training: Total
    usage: Total | None  # None without an admin key
    total: Total
    per_day: tuple[DayAmount, ...]
    cross_check: tuple[CrossCheckLine, ...]
    usage_available: bool
    usage_hint: str  # how to enable usage spend, when it is not available
    other_models: tuple[str, ...]  # usage of models that are not fine-tuned: not counted here
    warnings: tuple[RetirementWarning, ...]

    def row(self, model: str) -> ModelSpend | None:
        return next((row for row in self.rows if row.model == model), None)

    def rolled_up(self) -> tuple[ModelSpend, ...]:
        """Rows with each checkpoint model's usage folded into its job's final model."""
        children: dict[str, list[ModelSpend]] = defaultdict(list)
        finals = {row.model for row in self.rows if row.model and not row.is_checkpoint}
        for row in self.rows:
            if row.parent in finals:
                children[row.parent].append(row)
        merged = []
        for row in self.rows:
            if row.parent in finals:
                continue
            kids = children.get(row.model or "", [])
            if kids:
                buckets = row.buckets + tuple(bucket for kid in kids for bucket in kid.buckets)
                lines = row.usage_lines + tuple(line for kid in kids for line in kid.usage_lines)
                row = model_spend_row(
                    row.model,
                    row.base_model,
                    row.job,
                    None,
                    row.training,
                    buckets,
                    lines,
                    usage_available=self.usage_available,
                    lifecycle=row.lifecycle,
                    note=row.note,
                    training_known=row.training is not None or row.job is not None,
                )
            merged.append(row)
        return tuple(merged)

    def to_dict(self) -> dict[str, Any]:
        """The ledger for `--json`: Decimals as strings, dates as ISO text, each figure with its working."""
        return {
            "today": self.today.isoformat(),
            "usage_available": self.usage_available,
            "usage_hint": self.usage_hint or None,
            "training": _total_dict(self.training),
            "usage": _total_dict(self.usage),
            "total": _total_dict(self.total),
            "models": [_row_dict(row) for row in self.rows],
            "per_day": [_day_dict(day) for day in self.per_day],
            "cross_check": [_check_dict(line) for line in self.cross_check],
            "other_models": list(self.other_models),
            "warnings": [warning.message for warning in self.warnings],
        }


def build_ledger(
    *,
    jobs: Iterable[Job],
    table: PriceTable,
    today: date,
    has_admin_key: bool,
    usage: Iterable[UsageBucket] = (),
    costs: Iterable[CostLine] = (),
    models: Iterable[Model] = (),
    estimated_tokens: Mapping[str, int] | None = None,
    billed_hours: Mapping[str, Decimal] | None = None,
    started_at: Mapping[str, int] | None = None,
    data_sharing_jobs: Iterable[str] = (),
    now: int | None = None,
) -> Ledger:
    """Spend per custom model, profile totals, per-day series and the costs cross-check.

    `usage` and `costs` are ignored without an admin key (the caller cannot have fetched them).
    `estimated_tokens`: preflight's billable-token estimate (file tokens x epochs) per running job.
    `billed_hours`: reinforcement hours per job from the costs API. `started_at`: when each job
    began running, where Job.started_at is not filled in. `data_sharing_jobs`: job ids shared with
    OpenAI, in addition to those whose raw job says shared_with_openai. `now`: unix time, for the
    running time of reinforcement jobs still in progress.
    """
    jobs = sorted(jobs, key=lambda job: (-job.created_at, job.id))
    models_by_id = {model.id: model for model in models}
    job_by_model = {job.fine_tuned_model: job for job in jobs if job.fine_tuned_model}
    sharing = set(data_sharing_jobs) | {job.id for job in jobs if job.raw.get("shared_with_openai") is True}

    buckets_by_model: dict[str, list[UsageBucket]] = defaultdict(list)
    lines_by_model: dict[str, list[UsageLine]] = defaultdict(list)
    other_models: set[str] = set()
    if has_admin_key:
        for bucket in usage:
            if not bucket.model.startswith("ft:"):
                other_models.add(bucket.model or "(no model)")
                continue
            job = job_by_model.get(final_model_of(bucket.model))
            buckets_by_model[bucket.model].append(bucket)
            lines_by_model[bucket.model] += usage_lines(
                bucket, table, data_sharing=job is not None and job.id in sharing
            )

    def lifecycle_of(model: str) -> Lifecycle:
        record = models_by_id.get(model)
        shutdown = record.raw.get("shutdown_date") if record is not None else None
        return model_lifecycle(model, today, shutdown)

    rows: list[ModelSpend] = []
    seen: set[str] = set()
    for job in jobs:
        training = job_training_cost(
            job,
            table,
            estimated_tokens=(estimated_tokens or {}).get(job.id),
            billed_hours=(billed_hours or {}).get(job.id),
            started_at=(started_at or {}).get(job.id),
            data_sharing=job.id in sharing,
            now=now,
        )
        model = job.fine_tuned_model
        rows.append(
            model_spend_row(
                model,
                base_model_of(job.model),
                job,
                None,
                training,
                tuple(buckets_by_model.get(model or "", ())),
                tuple(lines_by_model.get(model or "", ())),
                usage_available=has_admin_key,
                lifecycle=lifecycle_of(model) if model else None,
            )
        )
        if model:
            seen.add(model)
    # Checkpoint models and models whose job the cache does not hold.
    extra = [model for model in buckets_by_model if model not in seen]
    extra += [
        model.id
        for model in models_by_id.values()
        if model.is_fine_tuned and not model.is_checkpoint and model.id not in seen and model.id not in extra
    ]
    for model in sorted(extra):
        parent = final_model_of(model) if CHECKPOINT_MARK in model else None
        job = job_by_model.get(parent or model)
        note = ""
        if parent is None:
            note = "no job for this model in the cache: its training cost is unknown"
        rows.append(
            model_spend_row(
                model,
                base_model_of(model),
                job,
                parent,
                None,
                tuple(buckets_by_model.get(model, ())),
                tuple(lines_by_model.get(model, ())),
                usage_available=has_admin_key,
                lifecycle=lifecycle_of(model),
                note=note,
                training_known=parent is not None,
            )
        )

    training_total = sum_totals(Total.of(row.training) for row in rows if row.training is not None)
    if any(row.parent is None and row.training is None for row in rows):
        training_total = replace(training_total, complete=False)
    usage_total = sum_totals(row.usage for row in rows if row.usage is not None) if has_admin_key else None
    total = training_total + usage_total if usage_total is not None else training_total

    last_used = {row.model: row.last_use for row in rows if row.model and row.last_use}
    shutdowns = {model: record.raw.get("shutdown_date") for model, record in models_by_id.items()}
    return Ledger(
        today=today,
        rows=tuple(rows),
        training=training_total,
        usage=usage_total,
        total=total,
        per_day=merge_days(day for row in rows for day in row.per_day),
        cross_check=cross_check(costs, rows) if has_admin_key else (),
        usage_available=has_admin_key,
        usage_hint="" if has_admin_key else ADMIN_KEY_HINT,
        other_models=tuple(sorted(other_models)),
        warnings=tuple(retirement_warnings(last_used, today, shutdown_dates=shutdowns)),
    )


def job_training_cost(
    job: Job,
    table: PriceTable,
    *,
    estimated_tokens: int | None = None,
    billed_hours: Decimal | None = None,
    started_at: int | None = None,
    data_sharing: bool = False,
    now: int | None = None,
) -> Cost:
    """What a job's training cost (or will cost), by the rules in this module's docstring."""
    on = utc_date(job.created_at)
    if job.method == "reinforcement":
        return _reinforcement_cost(job, table, on, billed_hours, started_at, data_sharing, now)
    if job.trained_tokens is not None:
        cost = training_cost(table, job.model, job.trained_tokens, on)
        if estimated_tokens and job.trained_tokens:
            error = (Decimal(estimated_tokens) - job.trained_tokens) / job.trained_tokens * 100
            note = f"preflight estimated {estimated_tokens:,} tokens ({error:+.1f}% against the real count)"
            cost = replace(cost, note="; ".join(filter(None, (cost.note, note))))
        return cost
    reference = training_cost(table, job.model, 0, on)  # the price row, so the UI can still show it
    if job.status == "failed":
        # Nothing to bill, whether or not the table has a price for this model.
        return Cost(ZERO, reference.row, ZERO, note="failed and the API reports no trained tokens: not billed")
    if job.status == "cancelled":
        return Cost(
            None,
            reference.row,
            ZERO,
            note=_join(
                reference.note,
                "cancelled and the API reports no trained tokens, so what was billed is unknown",
            ),
            missing="quantity",
        )
    if job.is_active and estimated_tokens:
        cost = training_cost(table, job.model, estimated_tokens, on, estimate=True)
        return replace(
            cost,
            note=_join(
                cost.note,
                f"estimate while {job.status}: {estimated_tokens:,} tokens "
                "(training file x epochs); the real figure replaces it on success",
            ),
        )
    state = f"still {job.status}" if job.is_active else f"{job.status} without a trained-token count"
    return Cost(
        None,
        reference.row,
        ZERO,
        note=_join(reference.note, f"{state}: the cost is known once the API reports trained tokens"),
        missing="quantity",
    )


def _reinforcement_cost(
    job: Job,
    table: PriceTable,
    on: date,
    billed_hours: Decimal | None,
    started_at: int | None,
    data_sharing: bool,
    now: int | None,
) -> Cost:
    kind = "training"
    if data_sharing and table.lookup(job.model, "training_data_sharing", on) is not None:
        kind = "training_data_sharing"
    if billed_hours is not None:
        return hours_cost(
            table, job.model, Decimal(billed_hours), on, kind=kind, note="hours billed, from the costs API"
        )
    started = started_at or job.started_at
    start, from_what = (started, "started running") if started else (job.created_at, "was created (incl. queueing)")
    end, until_what = job.finished_at, "finished"
    if end is None and job.is_active and now is not None:
        end, until_what = now, "now"
    if end is None:
        reference = hours_cost(table, job.model, ZERO, on, kind=kind)
        why = "still running" if job.is_active else f"{job.status} without a finish time"
        return Cost(
            None,
            reference.row,
            ZERO,
            note=_join(reference.note, f"{why}: billed hours unknown until the costs API shows them"),
            missing="quantity",
        )
    hours = Decimal(max(0, end - start)) / _SECONDS_PER_HOUR
    note = f"upper bound: time from when the job {from_what} until {until_what}; billed hours are at most this"
    if job.status in ("failed", "cancelled"):
        note += f" ({job.status}: OpenAI bills only training progress it kept, possibly nothing)"
    return hours_cost(table, job.model, hours, on, kind=kind, upper_bound=True, note=note)


def usage_lines(bucket: UsageBucket, table: PriceTable, *, data_sharing: bool = False) -> list[UsageLine]:
    """A usage bucket priced line by line: uncached input, cached input, output."""
    day = utc_date(bucket.start_time)
    batch = bool(bucket.batch)
    cached = max(0, bucket.input_cached_tokens)
    parts = (
        ("input", max(0, bucket.input_tokens - cached)),
        ("cached_input", cached),
        ("output", max(0, bucket.output_tokens)),
    )
    return [
        UsageLine(
            day,
            bucket.model,
            token_kind,
            batch,
            data_sharing,
            _price_tokens(table, bucket.model, token_kind, tokens, day, batch=batch, data_sharing=data_sharing),
        )
        for token_kind, tokens in parts
        if tokens
    ]


def _price_tokens(
    table: PriceTable, model: str, token_kind: str, tokens: int, day: date, *, batch: bool, data_sharing: bool
) -> Cost:
    prefix = "batch_" if batch else ""
    # Cached tokens fall back to the full input price before caching had a price; batch never
    # falls back to standard prices, and data sharing falls back to the standard price.
    for kind in (token_kind, "input") if token_kind == "cached_input" else (token_kind,):
        for shared in (True, False) if data_sharing else (False,):
            name = f"{prefix}{kind}{'_data_sharing' if shared else ''}"
            if table.lookup(model, name, day) is None:
                continue
            cost = tokens_cost(table, model, name, tokens, day)
            notes = []
            if kind != token_kind:
                notes.append(
                    f"no {prefix}cached-input price on {day.isoformat()}: cached tokens at the full input price"
                )
            if data_sharing and not shared:
                notes.append("no data-sharing price: standard price")
            return replace(cost, note=_join(cost.note, *notes))
    name = f"{prefix}{token_kind}{'_data_sharing' if data_sharing else ''}"
    return tokens_cost(table, model, name, tokens, day)  # unpriced, with a note saying which price is missing


def final_model_of(model_id: str) -> str:
    """A checkpoint model's job model: "ft:...:abc12345:ckpt-step-10" -> "ft:...:abc12345"."""
    return model_id.split(CHECKPOINT_MARK, 1)[0]


def started_running_at(events: Iterable[JobEvent]) -> int | None:
    """When a job began training, from its events ("Fine-tuning job started", else the first metrics step)."""
    started = [event.created_at for event in events if event.message.startswith("Fine-tuning job started")]
    if started:
        return min(started)
    steps = [event.created_at for event in events if event.type == "metrics"]
    return min(steps) if steps else None


def rft_hours_from_costs(costs: Iterable[CostLine], jobs: Iterable[Job]) -> dict[str, Decimal]:
    """Billed hours per reinforcement job, taken from "ft-<base>, training" line items.

    The costs API cannot group by job, so a day's hours are attributed only when exactly one
    reinforcement job of that base model finished that day; otherwise nothing is attributed.
    """
    finished: dict[tuple[date, str], list[Job]] = defaultdict(list)
    for job in jobs:
        if job.method == "reinforcement" and job.finished_at is not None:
            finished[(utc_date(job.finished_at), base_model_of(job.model))].append(job)
    hours: dict[str, Decimal] = {}
    for line in costs:
        parsed = parse_line_item(line.line_item or "")
        if parsed is None or not parsed[1].startswith("training"):
            continue
        quantity = _hours(line.raw.get("quantity"), line.raw.get("quantity_unit"))
        candidates = finished.get((utc_date(line.start_time), parsed[0]), [])
        if quantity is not None and len(candidates) == 1:
            job_id = candidates[0].id
            hours[job_id] = hours.get(job_id, ZERO) + quantity
    return hours


def parse_line_item(line_item: str) -> tuple[str, str] | None:
    """("gpt-4o-mini-2024-07-18", "cached_input") from "ft-gpt-4o-mini-2024-07-18, cached input"; None if unknown."""
    match = _LINE_ITEM.match(line_item.strip().lower())
    if match is None:
        return None
    rest = re.sub(r"[\s_\-(),]+", " ", match["rest"]).strip()
    sharing = "data sharing" in rest or "shared" in rest.split()
    words = set(rest.replace("data sharing", " ").split())
    batch = "batch" in words
    if "training" in words:
        kind = "training"
        batch = False
    elif "input" in words:
        kind = "cached_input" if words & {"cached", "cache"} else "input"
    elif "output" in words:
        kind = "output"
    else:
        return None
    return base_model_of(match["base"]), f"{'batch_' if batch else ''}{kind}{'_data_sharing' if sharing else ''}"


def is_fine_tuning_line_item(line_item: str | None) -> bool:
    text = (line_item or "").strip().lower()
    return text.startswith("ft-") or "fine-tun" in text or "fine tun" in text


def cross_check(costs: Iterable[CostLine], rows: Iterable[ModelSpend]) -> tuple[CrossCheckLine, ...]:
    """The costs API's fine-tuning line items per day against finetop's figures for the same day and kind."""
    costs = list(costs)
    computed: dict[tuple[date, str, str], Total] = defaultdict(Total)
    for row in rows:
        for line in row.usage_lines:
            key = (line.day, base_model_of(line.model), line.billed_kind)
            computed[key] = computed[key] + Total.of(line.cost)
        # A job still running is billed when it ends: its estimate has no line item to meet yet.
        if row.training is not None and row.job is not None and not row.job.is_active:
            key = (training_day(row.job), base_model_of(row.job.model), "training")
            computed[key] = computed[key] + Total.of(row.training)

    covered_days = {utc_date(line.start_time) for line in costs}
    billed: dict[tuple[date, str], Decimal | None] = {}  # summed over projects
    notes: dict[tuple[date, str], str] = {}
    for line in costs:
        if not is_fine_tuning_line_item(line.line_item):
            continue
        key = (utc_date(line.start_time), (line.line_item or "").strip())
        amount = _decimal(line.amount)
        if line.currency.lower() != "usd" or amount is None:
            notes[key] = f"amount {line.amount!r} {line.currency} cannot be compared"
            billed[key] = None
        elif key not in notes:
            billed[key] = billed.get(key, ZERO) + amount

    result = []
    for (day, item), amount in billed.items():
        parsed = parse_line_item(item)
        if parsed is None:
            result.append(CrossCheckLine(day, item, None, None, amount, None, "line item not recognised"))
            continue
        base, kind = parsed
        ours = computed.pop((day, base, kind), None)
        note = notes.get((day, item), "")
        if ours is None:
            note = _join(note, "finetop computed nothing for this (model or usage not in the cache?)")
        elif not ours.complete:
            note = _join(note, "part of finetop's figure is unpriced or unknown")
        result.append(CrossCheckLine(day, item, base, kind, amount, ours, note))
    for (day, base, kind), ours in computed.items():
        if day in covered_days:
            result.append(CrossCheckLine(day, None, base, kind, None, ours, "no line item for this in the costs data"))
    return tuple(
        sorted(result, key=lambda line: (line.day, line.base_model or "", line.kind or "", line.line_item or ""))
    )


def training_day(job: Job) -> date:
    """The day a job's training charge is placed in series: when it finished, else when it was created."""
    return utc_date(job.finished_at if job.finished_at is not None else job.created_at)


def model_spend_row(
    model: str | None,
    base_model: str,
    job: Job | None,
    parent: str | None,
    training: Cost | None,
    buckets: tuple[UsageBucket, ...],
    lines: tuple[UsageLine, ...],
    *,
    usage_available: bool,
    lifecycle: Lifecycle | None,
    note: str = "",
    training_known: bool = True,
) -> ModelSpend:
    """A row from its parts: usage by kind and day, totals, counts, first and last use."""
    by_kind: dict[str, Total] = defaultdict(Total)
    days: dict[date, DayAmount] = {}
    for line in lines:
        by_kind[line.billed_kind] = by_kind[line.billed_kind] + Total.of(line.cost)
        if line.cost.amount is not None:
            day = days.get(line.day, DayAmount(line.day))
            days[line.day] = replace(day, usage=day.usage + line.cost.amount)
    if training is not None and training.amount is not None and job is not None:
        on = training_day(job)
        day = days.get(on, DayAmount(on))
        days[on] = replace(day, training=day.training + training.amount)

    usage = sum_totals(Total.of(line.cost) for line in lines) if usage_available else None
    total = Total.of(training) if training is not None else Total(complete=training_known)
    if usage is not None:
        total = total + usage
    used_days = [utc_date(bucket.start_time) for bucket in buckets if bucket.num_model_requests or bucket.input_tokens]
    return ModelSpend(
        model=model,
        base_model=base_model,
        job=job,
        parent=parent,
        training=training,
        usage=usage,
        usage_by_kind=dict(by_kind),
        usage_lines=lines,
        total=total,
        requests=sum(bucket.num_model_requests for bucket in buckets),
        input_tokens=sum(bucket.input_tokens for bucket in buckets),
        cached_tokens=sum(bucket.input_cached_tokens for bucket in buckets),
        output_tokens=sum(bucket.output_tokens for bucket in buckets),
        first_use=min(used_days, default=None),
        last_use=max(used_days, default=None),
        lifecycle=lifecycle,
        per_day=tuple(days[day] for day in sorted(days)),
        note=note,
        buckets=buckets,
    )


def merge_days(days: Iterable[DayAmount]) -> tuple[DayAmount, ...]:
    merged: dict[date, DayAmount] = {}
    for day in days:
        current = merged.get(day.day, DayAmount(day.day))
        merged[day.day] = DayAmount(day.day, current.training + day.training, current.usage + day.usage)
    return tuple(merged[day] for day in sorted(merged))


def _hours(quantity: Any, unit: Any) -> Decimal | None:
    value = _decimal(quantity)
    if value is None:
        return None
    per_hour = {"duration_hours": 1, "duration_minutes": 60, "duration_seconds": 3600}.get(str(unit))
    return value / per_hour if per_hour else None


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


def _cost_dict(cost: Cost | None) -> dict[str, Any] | None:
    if cost is None:
        return None
    row = cost.row
    return {
        "amount": decimal_text(cost.amount),
        "label": cost.label(),
        "quantity": decimal_text(cost.quantity),
        "estimate": cost.estimate,
        "upper_bound": cost.upper_bound,
        "missing": cost.missing,
        "note": cost.note or None,
        "formula": cost.formula(),
        "price": None if row is None else row.as_json(),
    }


def _total_dict(total: Total | None) -> dict[str, Any] | None:
    if total is None:
        return None
    return {
        "amount": decimal_text(total.amount),
        "label": total.label(),
        "complete": total.complete,
        "estimate": total.estimate,
        "upper_bound": total.upper_bound,
    }


def _day_dict(day: DayAmount) -> dict[str, Any]:
    return {
        "day": day.day.isoformat(),
        "training": decimal_text(day.training),
        "usage": decimal_text(day.usage),
        "total": decimal_text(day.total),
    }


def _row_dict(row: ModelSpend) -> dict[str, Any]:
    life = row.lifecycle
    return {
        "model": row.model,
        "base_model": row.base_model,
        "job_id": row.job.id if row.job else None,
        "job_status": row.job.status if row.job else None,
        "parent": row.parent,
        "training": _cost_dict(row.training),
        "usage": _total_dict(row.usage),
        "usage_by_kind": {kind: _total_dict(total) for kind, total in sorted(row.usage_by_kind.items())},
        "usage_lines": [
            {
                "day": line.day.isoformat(),
                "kind": line.billed_kind,
                "tokens": int(line.cost.quantity),
                "cost": _cost_dict(line.cost),
            }
            for line in row.usage_lines
        ],
        "total": _total_dict(row.total),
        "requests": row.requests,
        "input_tokens": row.input_tokens,
        "cached_tokens": row.cached_tokens,
        "output_tokens": row.output_tokens,
        "first_use": row.first_use.isoformat() if row.first_use else None,
        "last_use": row.last_use.isoformat() if row.last_use else None,
        "lifecycle": None
        if life is None
        else {
            "serving": life.serving,
            "retires_on": life.retires_on.isoformat() if life.retires_on else None,
            "days_left": life.days_left,
            "source": life.source,
        },
        "per_day": [_day_dict(day) for day in row.per_day],
        "note": row.note or None,
    }


def _check_dict(line: CrossCheckLine) -> dict[str, Any]:
    return {
        "day": line.day.isoformat(),
        "line_item": line.line_item,
        "base_model": line.base_model,
        "kind": line.kind,
        "billed": decimal_text(line.billed),
        "computed": _total_dict(line.computed),
        "difference": decimal_text(line.difference),
        "note": line.note or None,
    }
