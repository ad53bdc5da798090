"""Dated price tables: which price was in force for a model on a day, where it came from, and what it made.

The table is data, not code. finetop ships `store/data/prices.csv` (fine-tuning: training and
inference of fine-tuned models, batch and data-sharing rows) and `store/data/base_prices.csv`
(the base models' own inference prices, kinds `base_*`, used by the what-if). The user's
`<config>/prices.csv`, same columns, is read after them: a user row with the same model, kind and
effective_from replaces the shipped one, any other user row extends the table.

Choosing a price: reduce the model id to its base (`base_model_of`), take the row of that kind with
the greatest effective_from on or before the UTC date. No row means unpriced: finetop never guesses
(no "batch is half price", no "same as the newest snapshot").
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

from store.errors import ConfigError
from store.money import ONE_MILLION, decimal_text, format_tokens, format_usd
from store.paths import config_dir

COLUMNS = ("model", "kind", "unit", "usd", "effective_from", "source")
PER_1M_TOKENS = "per_1M_tokens"
PER_HOUR = "per_hour"
UNITS = (PER_1M_TOKENS, PER_HOUR)

# Kinds, in the order people read them. Fine-tuned models: training and inference; `batch_` for
# the Batch API; `_data_sharing` for o4-mini jobs shared with OpenAI. `base_` prices the base
# model itself (not a fine-tune of it): the what-if compares against those.
_TOKEN_KINDS = ("input", "cached_input", "output")
KINDS: tuple[str, ...] = (
    "training",
    "training_data_sharing",
    *_TOKEN_KINDS,
    *(f"{kind}_data_sharing" for kind in _TOKEN_KINDS),
    *(f"batch_{kind}" for kind in _TOKEN_KINDS),
    *(f"batch_{kind}_data_sharing" for kind in _TOKEN_KINDS),
    *(f"base_{kind}" for kind in _TOKEN_KINDS),
)
_KIND_ORDER = {kind: index for index, kind in enumerate(KINDS)}

SHIPPED_FILES = ("prices.csv", "base_prices.csv")
SHIPPED_ORIGIN = "finetop"

# Short names that OpenAI resolves to the one snapshot you can fine-tune.
ALIASES = {
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
    "o4-mini": "o4-mini-2025-04-16",
}
# Snapshots that share one price list: gpt-3.5-turbo-0613/-1106/-0125 (and Azure's gpt-35-turbo),
# gpt-4-0613. Deliberately anchored so gpt-4o and gpt-4.1 never match.
_FAMILIES = (
    (re.compile(r"^gpt-3\.?5-turbo(-\d{4})?$"), "gpt-3.5-turbo"),
    (re.compile(r"^gpt-4(-\d{4})?$"), "gpt-4"),
)
_AZURE_FINE_TUNE = re.compile(r"^(?P<base>[a-z0-9.\-]+)\.ft-[0-9a-f]+$")
_LEGACY_FINE_TUNE = re.compile(r"^(?P<base>[a-z0-9\-]+):ft-")


class PriceFileError(ConfigError):
    """A price file cannot be read. The message names the file and the line."""


@dataclass(frozen=True, slots=True)
class PriceRow:
    model: str  # base model as in the table, e.g. "gpt-4o-mini-2024-07-18"
    kind: str  # training, input, cached_input, output, batch_input, ..., *_data_sharing, base_*
    unit: str  # "per_1M_tokens" | "per_hour"
    usd: Decimal
    effective_from: date
    source: str
    origin: str  # "finetop" for shipped rows, or the user file's path

    @property
    def unit_label(self) -> str:
        return "per hour" if self.unit == PER_HOUR else "per 1M tokens"

    def as_json(self) -> dict[str, str]:
        return {
            "model": self.model,
            "kind": self.kind,
            "unit": self.unit,
            "usd": decimal_text(self.usd) or "",
            "effective_from": self.effective_from.isoformat(),
            "source": self.source,
            "origin": self.origin,
        }


@dataclass(frozen=True)
class Cost:
    """One priced figure and how it was made: amount = quantity x row.usd (/ 1M for tokens)."""

    amount: Decimal | None  # None means unpriced (no row) or unknown (no quantity): see `missing`
    row: PriceRow | None
    quantity: Decimal  # tokens or hours
    estimate: bool = False
    upper_bound: bool = False
    note: str = ""  # e.g. "no training price for davinci-003 on 2026-11-21"
    missing: str | None = None  # "price" when no row applies, "quantity" when tokens/hours are unknown

    @property
    def known(self) -> bool:
        return self.amount is not None

    def label(self) -> str:
        """The amount as people read it: "$2.40", "≈$2.40" (estimate), "≤$100.00" (upper bound), "unpriced"."""
        if self.amount is None:
            return "unknown" if self.missing == "quantity" else "unpriced"
        prefix = "≤" if self.upper_bound else "≈" if self.estimate else ""
        return prefix + format_usd(self.amount)

    def formula(self) -> str:
        """How the amount was made, for the "why" view: "300,000 tokens x $8.00 per 1M = $2.40"."""
        if self.row is None:
            return self.note or "unpriced"
        if self.row.unit == PER_HOUR:
            quantity = f"{self.quantity.quantize(Decimal('0.0001')).normalize():f} h"
        else:
            quantity = f"{format_tokens(self.quantity)} tokens"
        text = f"{quantity} x {format_usd(self.row.usd, precise=True)} {self.row.unit_label}"
        if self.amount is not None:
            text += f" = {format_usd(self.amount, precise=True)}"
        return text


class PriceTable:
    """Price rows indexed by (model, kind), each list sorted by effective_from."""

    def __init__(self, rows: Iterable[PriceRow] = (), user_file: Path | None = None) -> None:
        self._index: dict[tuple[str, str], list[PriceRow]] = {}
        for row in rows:
            self._index.setdefault((row.model, row.kind), []).append(row)
        for history in self._index.values():
            history.sort(key=lambda row: row.effective_from)
        self.user_file = user_file  # the user's prices.csv that was read, if any

    def lookup(self, model_id: str, kind: str, on: date) -> PriceRow | None:
        """The row of `kind` in force on `on` for `model_id` (an exact user row first, then its base)."""
        for model in _candidates(model_id):
            row = _in_force(self._index.get((model, kind), ()), on)
            if row is not None:
                return row
        return None

    def in_force(self, on: date, model: str | None = None) -> list[PriceRow]:
        """Every (model, kind)'s row in force on `on`, optionally only for one model (any id form)."""
        wanted = set(_candidates(model)) if model is not None else None
        rows = []
        for (row_model, _kind), history in self._index.items():
            if wanted is not None and row_model not in wanted:
                continue
            row = _in_force(history, on)
            if row is not None:
                rows.append(row)
        return sorted(rows, key=_reading_order)

    def history(self, model: str | None = None) -> list[PriceRow]:
        """All rows, oldest first within each (model, kind), optionally for one model."""
        wanted = set(_candidates(model)) if model is not None else None
        rows = [
            row
            for (row_model, _kind), history in self._index.items()
            if wanted is None or row_model in wanted
            for row in history
        ]
        return sorted(rows, key=lambda row: (*_reading_order(row), row.effective_from))

    def models(self) -> list[str]:
        return sorted({model for model, _kind in self._index})

    def __len__(self) -> int:
        return sum(len(history) for history in self._index.values())


def base_model_of(model_id: str) -> str:
    """The base model a price table knows a model by.

    "ft:gpt-4o-mini-2024-07-18:org:suffix:abc12345:ckpt-step-10" -> "gpt-4o-mini-2024-07-18";
    gpt-3.5-turbo snapshots (0613, 1106, 0125) -> "gpt-3.5-turbo"; "gpt-4o-mini" -> its fine-tunable
    snapshot; Azure "gpt-35-turbo-0613.ft-<hex>" -> "gpt-3.5-turbo". Anything else comes back
    trimmed and lower-cased, so an unknown model simply finds no price.
    """
    model = model_id.strip().lower()
    if model.startswith("ft:"):
        model = model.split(":")[1]
    elif match := _AZURE_FINE_TUNE.match(model) or _LEGACY_FINE_TUNE.match(model):
        model = match["base"]
    for pattern, family in _FAMILIES:
        if pattern.match(model):
            return family
    return ALIASES.get(model, model)


def utc_date(timestamp: int | float) -> date:
    """The UTC calendar day of a unix timestamp: prices change at UTC midnight."""
    return datetime.fromtimestamp(timestamp, UTC).date()


def today_utc() -> date:
    return datetime.now(UTC).date()


def user_prices_path() -> Path:
    """Where users put their own rows: <config>/prices.csv."""
    return config_dir() / "prices.csv"


def load_price_table(user_prices: Path | None = None) -> PriceTable:
    """The shipped tables, then the user's rows (default <config>/prices.csv when it exists).

    Raises PriceFileError naming the file and line for a malformed user file, or when a
    `user_prices` path given explicitly does not exist.
    """
    rows: dict[tuple[str, str, date], PriceRow] = {}
    for name in SHIPPED_FILES:
        text = resources.files("store").joinpath("data", name).read_text(encoding="utf-8")
        for row in parse_price_csv(text, origin=SHIPPED_ORIGIN, where=f"finetop's {name}"):
            rows[(row.model, row.kind, row.effective_from)] = row
    user_file = None
    if user_prices is None and user_prices_path().is_file():
        user_prices = user_prices_path()
    if user_prices is not None:
        try:
            text = user_prices.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise PriceFileError(f"{user_prices}: no such price file.") from None
        except (OSError, UnicodeDecodeError) as error:
            raise PriceFileError(f"{user_prices}: cannot read it ({error}).") from None
        for row in parse_price_csv(text, origin=str(user_prices), where=str(user_prices)):
            rows[(row.model, row.kind, row.effective_from)] = row  # same key: the user's row wins
        user_file = user_prices
    return PriceTable(rows.values(), user_file=user_file)


def parse_price_csv(text: str, *, origin: str, where: str) -> list[PriceRow]:
    """Rows of a price CSV (columns model,kind,unit,usd,effective_from,source; blank and # lines skipped)."""
    header: list[str] | None = None
    seen: dict[tuple[str, str, date], int] = {}
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            fields = next(csv.reader([line]))
        except csv.Error as error:
            raise PriceFileError(f"{where} line {number}: not valid CSV ({error}).") from None
        if header is None:
            header = [name.strip().lower() for name in fields]
            missing = [name for name in COLUMNS if name not in header and name != "source"]
            if missing:
                raise PriceFileError(
                    f"{where} line {number}: the header must name the columns {','.join(COLUMNS)} "
                    f"(missing: {', '.join(missing)})."
                )
            continue
        record = dict(zip(header, (field.strip() for field in fields), strict=False))
        row = _parse_row(record, origin=origin, where=f"{where} line {number}")
        key = (row.model, row.kind, row.effective_from)
        if key in seen:
            raise PriceFileError(
                f"{where} line {number}: {row.model} {row.kind} from {row.effective_from} "
                f"is already given on line {seen[key]}."
            )
        seen[key] = number
        rows.append(row)
    return rows


def tokens_cost(
    table: PriceTable, model_id: str, kind: str, tokens: int | Decimal, on: date, *, estimate: bool = False
) -> Cost:
    """`tokens` of `kind` for `model_id` at the price in force on `on`; unpriced when no row applies."""
    quantity = Decimal(tokens)
    row = table.lookup(model_id, kind, on)
    if row is None:
        return _unpriced(model_id, kind, quantity, on)
    if row.unit != PER_1M_TOKENS:
        return Cost(
            None,
            row,
            quantity,
            note=f"{row.model} {kind} is priced {row.unit_label}, not per token",
            missing="price",
        )
    return Cost(quantity * row.usd / ONE_MILLION, row, quantity, estimate=estimate)


def training_cost(table: PriceTable, model_id: str, trained_tokens: int, on: date, *, estimate: bool = False) -> Cost:
    """Supervised or DPO training: trained_tokens x the training price in force on `on` (the job's creation)."""
    cost = tokens_cost(table, model_id, "training", trained_tokens, on, estimate=estimate)
    if cost.row is not None and cost.row.unit == PER_HOUR:
        return Cost(
            None,
            cost.row,
            Decimal(trained_tokens),
            estimate=estimate,
            note=f"{cost.row.model} trains by the hour (reinforcement), not per token",
            missing="quantity",
        )
    return cost


def hours_cost(
    table: PriceTable,
    model_id: str,
    hours: Decimal,
    on: date,
    *,
    kind: str = "training",
    upper_bound: bool = False,
    estimate: bool = False,
    note: str = "",
) -> Cost:
    """Reinforcement training: billed hours x the hourly price in force on `on`."""
    row = table.lookup(model_id, kind, on)
    if row is None:
        return _unpriced(model_id, kind, hours, on)
    if row.unit != PER_HOUR:
        return Cost(
            None,
            row,
            hours,
            note=f"{row.model} {kind} is priced {row.unit_label}, not per hour",
            missing="price",
        )
    return Cost(hours * row.usd, row, hours, estimate=estimate, upper_bound=upper_bound, note=note)


def _unpriced(model_id: str, kind: str, quantity: Decimal, on: date) -> Cost:
    base = base_model_of(model_id) or model_id or "(no model)"
    return Cost(
        None,
        None,
        quantity,
        note=f"no {kind.replace('_', ' ')} price for {base} on {on.isoformat()}",
        missing="price",
    )


def _candidates(model_id: str) -> list[str]:
    exact = model_id.strip().lower()
    base = base_model_of(model_id)
    return [exact] if exact == base else [exact, base]


def _in_force(history: Iterable[PriceRow], on: date) -> PriceRow | None:
    chosen = None
    for row in history:  # sorted oldest first
        if row.effective_from > on:
            break
        chosen = row
    return chosen


def _reading_order(row: PriceRow) -> tuple[str, int, str]:
    return (row.model, _KIND_ORDER.get(row.kind, len(KINDS)), row.kind)


def _parse_row(record: dict[str, str], *, origin: str, where: str) -> PriceRow:
    model = record.get("model", "")
    if not model:
        raise PriceFileError(f"{where}: the model is empty.")
    # Plain names are stored by their base (aliases and snapshots resolved) so lookups find them;
    # a full ft: id stays as written, to price that one model differently.
    model = model.lower() if model.lower().startswith("ft:") else base_model_of(model)
    kind = record.get("kind", "").lower()
    if kind not in _KIND_ORDER:
        raise PriceFileError(f"{where}: unknown kind {kind!r}; use one of: {', '.join(KINDS)}.")
    unit = record.get("unit", "")
    if unit not in UNITS:
        raise PriceFileError(f"{where}: unknown unit {unit!r}; use {PER_1M_TOKENS} or {PER_HOUR}.")
    if unit == PER_HOUR and not kind.startswith("training"):
        raise PriceFileError(f"{where}: only training is priced {PER_HOUR}; {kind} is {PER_1M_TOKENS}.")
    try:
        usd = Decimal(record.get("usd", "").replace("$", "").replace(",", ""))
    except InvalidOperation:
        raise PriceFileError(f"{where}: usd {record.get('usd', '')!r} is not a number.") from None
    if not usd.is_finite() or usd < 0:
        raise PriceFileError(f"{where}: usd {record.get('usd', '')!r} must be a price of zero or more.")
    try:
        effective_from = date.fromisoformat(record.get("effective_from", ""))
    except ValueError:
        raise PriceFileError(
            f"{where}: effective_from {record.get('effective_from', '')!r} is not a date (YYYY-MM-DD)."
        ) from None
    source = record.get("source", "") or ("your price file" if origin != SHIPPED_ORIGIN else "")
    return PriceRow(model, kind, unit, usd, effective_from, source, origin)
