"""How finetop shows values: statuses, sizes, token counts, durations, ages, times, money, model names, events.

Every function is pure and total: missing values become MISSING, unknown statuses show as they
come, nothing raises on odd API data (except money given a float, which is a bug to catch early).

Colours are the 16 ANSI names on purpose: over SSH on a 16-colour terminal they are exactly the
user's palette, and Textual maps them through its ANSI theme elsewhere. Meaning never rests on
colour alone: every status has a glyph and its word, levels have their word.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rich.text import Text

from store.types import JobEvent

ACTION_DONE = {"cancel": "cancelled", "pause": "paused", "resume": "resumed"}  # notification titles
MISSING = "—"
MISSING_ASCII = "-"


@dataclass(frozen=True, slots=True)
class StatusLook:
    glyph: str
    ascii_glyph: str
    style: str
    label: str


# Glyphs are all one cell wide in common terminal fonts (⏸ is not: many terminals draw it as a
# two-cell emoji, so paused uses ‖). The ASCII glyphs are for terminals without Unicode.
STATUS_LOOKS: dict[str, StatusLook] = {
    "validating_files": StatusLook("◌", "~", "cyan", "validating"),
    "queued": StatusLook("○", ".", "cyan", "queued"),
    "running": StatusLook("●", "*", "bold yellow", "running"),
    "pausing": StatusLook("◐", "=", "yellow", "pausing"),
    "paused": StatusLook("‖", "=", "yellow", "paused"),
    "succeeded": StatusLook("✓", "+", "green", "succeeded"),
    "failed": StatusLook("✗", "x", "bold red", "failed"),
    "cancelling": StatusLook("◐", "-", "magenta", "cancelling"),
    "cancelled": StatusLook("⊘", "-", "magenta", "cancelled"),
    # Files and uploads share the same vocabulary where it makes sense.
    "uploaded": StatusLook("○", ".", "cyan", "uploaded"),
    "processed": StatusLook("✓", "+", "green", "processed"),
    "error": StatusLook("✗", "x", "bold red", "error"),
    "deleted": StatusLook("⊘", "-", "magenta", "deleted"),
}
UNKNOWN_STATUS = StatusLook("?", "?", "", "")


def status_look(status: str | None) -> StatusLook:
    """Glyph, colour and word for a status; unknown statuses get "?" and their own word."""
    if not status:
        return StatusLook("?", "?", "dim", "unknown")
    look = STATUS_LOOKS.get(status)
    if look is None:
        return StatusLook(UNKNOWN_STATUS.glyph, UNKNOWN_STATUS.ascii_glyph, UNKNOWN_STATUS.style, status)
    return look


def status_text(status: str | None, *, ascii: bool = False, glyph_only: bool = False) -> Text:
    """`● running`, `✓ succeeded`, `? some_new_status`: glyph and word in the status colour."""
    look = status_look(status)
    glyph = look.ascii_glyph if ascii else look.glyph
    return Text(glyph if glyph_only else f"{glyph} {look.label}", style=look.style, no_wrap=True)


_SIZE_UNITS = ((1e15, "PB"), (1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB"))
_TOKEN_UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def _scaled(value: float, units: tuple[tuple[float, str], ...], separator: str) -> str | None:
    """`value` in the largest unit it reaches, at most three significant digits (1.2M, 12M, 120M)."""
    for index, (threshold, unit) in enumerate(units):
        if abs(value) < threshold:
            continue
        scaled = value / threshold
        text = f"{scaled:.1f}" if abs(scaled) < 10 else f"{scaled:.0f}"
        if abs(float(text)) >= 1000 and index > 0:
            # 999,950 rounds to "1000k": say 1M instead.
            threshold, unit = units[index - 1]
            text = f"{value / threshold:.1f}"
        return f"{text}{separator}{unit}"
    return None


def human_size(n_bytes: int | None) -> str:
    """Bytes in SI units as the API and most tools count them: 512 B, 1.2 MB, 48 MB, 3.1 GB."""
    if n_bytes is None:
        return MISSING
    return _scaled(float(n_bytes), _SIZE_UNITS, " ") or f"{int(n_bytes)} B"


def token_count(n: int | None, *, compact: bool = False) -> str:
    """Tokens: 86,120 and 1.2M (full counts below a million); `compact` abbreviates from 10,000 (86k)."""
    if n is None:
        return MISSING
    if abs(n) >= 1_000_000 or (compact and abs(n) >= 10_000):
        short = _scaled(float(n), _TOKEN_UNITS, "")
        if short is not None:
            return re.sub(r"\.0(?=[kMBT]$)", "", short)
    return f"{n:,}"


def duration(seconds: float | None) -> str:
    """Elapsed time, two units at most: 45s, 3m 20s, 2h 05m, 4d 3h."""
    if seconds is None:
        return MISSING
    total = max(0, int(seconds))
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def ago(ts: int | float | None, now: int | float) -> str:
    """How long before `now` a unix time was, coarsely: just now, 12s ago, 5m ago, 3h ago, 3d ago, in 5m."""
    if ts is None:
        return MISSING
    delta = int(now - ts)
    future = delta < 0
    delta = abs(delta)
    if delta < 2:
        return "just now"
    if delta < 60:
        amount = f"{delta}s"
    elif delta < 3_600:
        amount = f"{delta // 60}m"
    elif delta < 86_400:
        amount = f"{delta // 3_600}h"
    elif delta < 60 * 86_400:
        amount = f"{delta // 86_400}d"
    elif delta < 730 * 86_400:
        amount = f"{delta // (30 * 86_400)}mo"
    else:
        amount = f"{delta // (365 * 86_400)}y"
    return f"in {amount}" if future else f"{amount} ago"


def _datetime(ts: int | float, utc: bool) -> datetime:
    moment = datetime.fromtimestamp(ts, tz=UTC)
    return moment if utc else moment.astimezone()


def timestamp(ts: int | float | None, *, utc: bool = False, seconds: bool = False) -> str:
    """A unix time as `2026-11-04 09:12` (local time, or UTC with a trailing Z when `utc`)."""
    if ts is None:
        return MISSING
    moment = _datetime(ts, utc)
    text = moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{text}Z" if utc else text


def clock(ts: int | float | None, *, utc: bool = False, with_date: bool = False) -> str:
    """The time of day for a log line, `09:12:03`, or `11-04 09:12:03` when `with_date`."""
    if ts is None:
        return MISSING
    moment = _datetime(ts, utc)
    return moment.strftime("%m-%d %H:%M:%S" if with_date else "%H:%M:%S")


def day_of(ts: int | float, *, utc: bool = False) -> tuple[int, int, int]:
    """The calendar day of a unix time, for deciding when a log needs dates on its lines."""
    moment = _datetime(ts, utc)
    return moment.year, moment.month, moment.day


_CENT = Decimal("0.01")


def money(amount: Decimal | int | str | None, *, currency: str = "$") -> str:
    """Dollars exactly: $2.40, $1,234.56, and sub-cent amounts to two significant digits ($0.0042).

    Floats are refused: money comes from Decimal arithmetic or the API's strings, never binary floats.
    """
    if amount is None:
        return MISSING
    if isinstance(amount, float):
        raise TypeError("money() takes Decimal, int or str, never float")
    value = Decimal(amount)
    if not value.is_finite():
        return MISSING
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value == 0:
        return f"{currency}0.00"
    if value < _CENT:
        # Two significant digits: 0.004213 -> 0.0042, 0.0000125 -> 0.000013.
        exponent = value.adjusted() - 1
        shown = value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)
        return f"{sign}{currency}{shown:f}"
    shown = value.quantize(_CENT, rounding=ROUND_HALF_UP)
    return f"{sign}{currency}{shown:,.2f}"


def percent(fraction: float | None, digits: int = 0) -> str:
    """A fraction as a percentage: 0.8812 -> 88%, or 88.1% with one digit."""
    if fraction is None:
        return MISSING
    return f"{fraction * 100:.{digits}f}%"


def progress(done: int | None, total: int | None) -> str:
    """Steps done of total: `150/300 50%`; `150` when the total is unknown."""
    if done is None:
        return MISSING
    if not total:
        return f"{done:,}" if total is None else f"{done:,}/{total:,}"
    return f"{done:,}/{total:,} {done * 100 // total}%"


@dataclass(frozen=True, slots=True)
class FineTunedName:
    """The parts of `ft:<base>:<org>:<suffix>:<id>[:ckpt-step-N]`."""

    base: str
    org: str
    suffix: str
    id: str
    checkpoint_step: int | None = None


_SNAPSHOT_DATE = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})$")


def parse_model_name(name: str) -> FineTunedName | None:
    """The parts of a fine-tuned model's name, or None for base models and anything unexpected."""
    if not name.startswith("ft:"):
        return None
    parts = name[3:].split(":")
    step = None
    if len(parts) == 5 and parts[4].startswith("ckpt-step-") and parts[4][10:].isdigit():
        step = int(parts[4][10:])
        parts = parts[:4]
    if len(parts) != 4 or not parts[0]:
        return None
    base, org, suffix, model_id = parts
    return FineTunedName(base=base, org=org, suffix=suffix, id=model_id, checkpoint_step=step)


def base_family(base: str) -> str:
    """A base model without its snapshot date: gpt-4o-mini-2024-07-18 -> gpt-4o-mini (also -0125 style)."""
    return _SNAPSHOT_DATE.sub("", base) or base


def short_model(name: str | None, max_width: int | None = None) -> str:
    """A model name that fits a narrow column, keeping what tells models apart.

    `ft:gpt-4o-mini-2024-07-18:acme:support:AbC12345` -> `gpt-4o-mini:support:AbC12345`
    (no `ft:`, no snapshot date, no org; `@step88` for checkpoints). With `max_width`, the base
    family is cut first, then the middle of what is left, marked with `…`. Base models are kept
    whole unless they do not fit. Show the full name elsewhere (a tooltip, the detail view).
    """
    if not name:
        return MISSING
    parsed = parse_model_name(name)
    if parsed is None:
        return _fit(name, max_width)
    tail = ":".join(part for part in (parsed.suffix, parsed.id) if part)
    if parsed.checkpoint_step is not None:
        tail += f"@step{parsed.checkpoint_step}"
    family = base_family(parsed.base)
    text = f"{family}:{tail}"
    if max_width is None or len(text) <= max_width:
        return text
    room_for_family = max_width - len(tail) - 2  # ":" and "…"
    if room_for_family >= 3:
        return f"{family[:room_for_family]}…:{tail}"
    return _fit(tail, max_width)


def _fit(text: str, max_width: int | None) -> str:
    if max_width is None or len(text) <= max_width:
        return text
    if max_width <= 1:
        return "…"[:max_width]
    head = max_width // 2
    tail = max_width - 1 - head
    return f"{text[:head]}…{text[-tail:]}" if tail else f"{text[:head]}…"


def number(value: float | None) -> str:
    """A metric value for a log line or legend: 0.412, 10.112, 1234.5, 4.1e-05."""
    if value is None:
        return MISSING
    magnitude = abs(value)
    if magnitude == 0:
        return "0.000"
    if magnitude >= 1000:
        return f"{value:.0f}"
    if magnitude >= 100:
        return f"{value:.1f}"
    if magnitude >= 0.001:
        return f"{value:.3f}"
    return f"{value:.1e}"


LEVEL_STYLES = {"info": "dim", "warn": "bold yellow", "warning": "bold yellow", "error": "bold red"}
LEVEL_WIDTH = 5


def level_text(level: str | None) -> Text:
    """`info` dim, `WARN` yellow, `ERROR` red, padded to one width; unknown levels as they come."""
    word = (level or "?").lower()
    label = word if word == "info" else word.upper()
    if word == "warning":
        label = "WARN"
    return Text(label.ljust(LEVEL_WIDTH), style=LEVEL_STYLES.get(word, ""))


# What a metrics line shows, in order: data key, label, how to show it.
_METRIC_PARTS: tuple[tuple[str, str, str], ...] = (
    ("train_loss", "loss", "number"),
    ("valid_loss", "val", "number"),
    ("full_valid_loss", "full val", "number"),
    ("train_mean_token_accuracy", "acc", "fraction"),
    ("valid_mean_token_accuracy", "val acc", "fraction"),
    ("full_valid_mean_token_accuracy", "full val acc", "fraction"),
    ("train_mean_reward", "reward", "number"),
    ("full_valid_mean_reward", "val reward", "number"),
    ("full_valid_mean_parse_error", "parse err", "fraction"),
)


def _metric_value(value: Any, kind: str) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value != value:  # NaN
        return "nan"
    return f"{value:.2f}" if kind == "fraction" else number(float(value))


def metrics_summary(data: Mapping[str, Any]) -> Text | None:
    """`step 150/300  loss 0.412  val 0.455  acc 0.88` from a metrics event's data, or None if it has none."""
    parts: list[tuple[str, str]] = []
    for key, label, kind in _METRIC_PARTS:
        shown = _metric_value(data.get(key), kind)
        if shown is not None:
            parts.append((label, shown))
    if not parts and "scores" in data and isinstance(data["scores"], Mapping):
        for key, label in (("train_reward_mean", "reward"), ("valid_reward_mean", "val reward")):
            shown = _metric_value(data["scores"].get(key), "number")
            if shown is not None:
                parts.append((label, shown))
    step = data.get("step")
    if not parts and step is None:
        return None
    text = Text(no_wrap=True)
    if isinstance(step, int | float) and not isinstance(step, bool):
        total = data.get("total_steps")
        text.append("step ", style="dim")
        has_total = isinstance(total, int | float) and not isinstance(total, bool) and total >= 1
        if has_total:
            # Right-aligned to the total's width, so the numbers after it line up from step 1 to the end.
            digits = len(str(int(total)))
            text.append(f"{int(step):>{digits}}/{int(total)}", style="bold")
        else:
            text.append(f"{int(step)}", style="bold")
    for label, shown in parts:
        if text:
            text.append("  ")
        text.append(f"{label} ", style="dim")
        text.append(shown)
    return text


_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _printable(message: str) -> str:
    """One line without control characters: the server's text must not move our cursor or wrap."""
    return _CONTROL.sub(" ", message) if _CONTROL.search(message) else message


def event_line(event: JobEvent, *, utc: bool = False, with_date: bool = False) -> Text:
    """One log line: time, level, then the message, or for metrics events the numbers made readable."""
    line = Text(no_wrap=True, end="")
    line.append(clock(event.created_at, utc=utc, with_date=with_date), style="dim")
    line.append(" ")
    line.append_text(level_text(event.level))
    line.append(" ")
    summary = metrics_summary(event.data) if event.type == "metrics" and event.data else None
    if summary is not None:
        line.append_text(summary)
    else:
        message = _printable(event.message)
        style = "red" if event.level == "error" else ("yellow" if event.level in ("warn", "warning") else "")
        line.append(message, style=style)
        if event.level == "error" and event.data:
            code = event.data.get("error_code")
            if code:
                line.append(f"  [{code}]", style="dim")
    return line
