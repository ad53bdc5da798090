"""Exact money for finetop: Decimal helpers and the formatters that show dollars to people and machines."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
ONE_MILLION = Decimal(1_000_000)
CENT = Decimal("0.01")
# Prices and per-request figures are shown to this many decimals at most ($0.000375).
_PRECISE = Decimal("0.000001")


def per_million(tokens: int | Decimal, usd_per_million: Decimal) -> Decimal:
    """The exact cost of `tokens` at a price per 1M tokens (no rounding: round only when showing)."""
    return Decimal(tokens) * usd_per_million / ONE_MILLION


def format_usd(amount: Decimal | None, *, precise: bool = False, unpriced: str = "unpriced") -> str:
    """Dollars for people: "$1,234.56"; sub-cent amounts keep two significant digits ("$0.0042").

    `precise` is for prices and per-request figures, where the third to sixth decimals matter:
    "$0.075", "$1.875", "$0.000375", but still at least cents ("$8.00").
    """
    if amount is None:
        return unpriced
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    if precise:
        text = _strip_to_cents(value.quantize(_PRECISE, rounding=ROUND_HALF_UP))
        if Decimal(text.replace(",", "")) == 0 and value != 0:
            text = _significant(value)
        return f"{sign}${text}"
    if value == 0:
        return "$0.00"
    if value < CENT:
        return f"{sign}${_significant(value)}"
    return f"{sign}${value.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


def format_tokens(count: int | Decimal) -> str:
    """A token or request count with thousands separators: 1,234,567."""
    value = Decimal(count)
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():,f}"


def decimal_text(amount: Decimal | None) -> str | None:
    """A Decimal as a plain JSON-safe string with no exponent and no float rounding ("2.4", "0.00042")."""
    if amount is None:
        return None
    text = f"{amount.normalize():f}"
    return "0" if text in ("-0", "") else text


def _significant(value: Decimal, digits: int = 2) -> str:
    """`value` (0 < value < 1) rounded to `digits` significant digits, in plain notation."""
    exponent = value.adjusted() - digits + 1
    rounded = value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)
    return f"{rounded.normalize():f}"


def _strip_to_cents(value: Decimal) -> str:
    """Drop trailing zeros beyond the cents: 8.000000 -> "8.00", 0.075000 -> "0.075"."""
    text = f"{value:,f}"
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction.ljust(2, '0')}"
