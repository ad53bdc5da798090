"""Dated fine-tuning prices read from the emulator's copy of the price table (emulator/data/prices.csv)."""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib import resources


@dataclass(frozen=True, slots=True)
class PriceRow:
    model: str
    kind: str
    unit: str  # per_1M_tokens | per_hour
    usd: Decimal
    effective_from: date


@functools.cache
def price_rows() -> tuple[PriceRow, ...]:
    text = resources.files("emulator").joinpath("data/prices.csv").read_text(encoding="utf-8")
    rows = []
    for record in csv.DictReader(io.StringIO(text)):
        rows.append(
            PriceRow(
                model=record["model"],
                kind=record["kind"],
                unit=record["unit"],
                usd=Decimal(record["usd"]),
                effective_from=date.fromisoformat(record["effective_from"]),
            )
        )
    return tuple(rows)


def price_row(model: str, kind: str, day: date) -> PriceRow | None:
    """The row in force on `day`: the greatest effective_from on or before it.

    Batch rows were first observed on the pricing page in November 2025 although batch
    pricing is older, so before that date the earliest batch row applies.
    """
    candidates = [r for r in price_rows() if r.model == model and r.kind == kind]
    if not candidates:
        return None
    in_force = [r for r in candidates if r.effective_from <= day]
    if in_force:
        return max(in_force, key=lambda r: r.effective_from)
    if kind.startswith("batch_"):
        return min(candidates, key=lambda r: r.effective_from)
    return None


def token_price(model: str, kind: str, day: date) -> Decimal | None:
    """USD per 1M tokens for an inference or training kind; cached falls back to the uncached price."""
    row = price_row(model, kind, day)
    if row is None and kind == "cached_input":
        row = price_row(model, "input", day)
    if row is None and kind == "batch_cached_input":
        row = price_row(model, "batch_input", day)
    return row.usd if row is not None else None
