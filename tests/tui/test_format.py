"""How values read: every formatter against a table of inputs a user will meet, odd ones included."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rich.text import Text

from store.types import JobEvent
from tui import format as fmt

NOW = 1_762_250_400  # 2025-11-04 10:00:00 UTC


@pytest.mark.parametrize(
    ("status", "plain", "style"),
    [
        ("running", "● running", "bold yellow"),
        ("succeeded", "✓ succeeded", "green"),
        ("failed", "✗ failed", "bold red"),
        ("cancelled", "⊘ cancelled", "magenta"),
        ("queued", "○ queued", "cyan"),
        ("validating_files", "◌ validating", "cyan"),
        ("paused", "‖ paused", "yellow"),
        ("pausing", "◐ pausing", "yellow"),
        # Never seen before: shown as it comes, with a question mark, no colour, no crash.
        ("exploding_gently", "? exploding_gently", ""),
        ("", "? unknown", "dim"),
        (None, "? unknown", "dim"),
    ],
)
def test_status_text_has_glyph_word_and_colour(status, plain, style):
    text = fmt.status_text(status)
    assert isinstance(text, Text)
    assert text.plain == plain
    assert str(text.style) == style


@pytest.mark.parametrize(
    ("status", "plain"),
    [("running", "* running"), ("succeeded", "+ succeeded"), ("failed", "x failed"), ("paused", "= paused")],
)
def test_status_text_in_plain_ascii(status, plain):
    text = fmt.status_text(status, ascii=True)
    assert text.plain == plain
    assert text.plain.isascii()


def test_every_status_glyph_is_one_cell_wide():
    """A glyph drawn two cells wide (like ⏸ in many terminals) would push every column after it."""
    from rich.cells import cell_len

    for look in fmt.STATUS_LOOKS.values():
        assert cell_len(look.glyph) == 1, look
        assert len(look.glyph) == 1, look


@pytest.mark.parametrize(
    ("n", "shown"),
    [
        (None, "—"),
        (0, "0 B"),
        (512, "512 B"),
        (999, "999 B"),
        (1_000, "1.0 kB"),
        (1_234, "1.2 kB"),
        (48_213, "48 kB"),
        (999_950, "1.0 MB"),
        (1_200_000, "1.2 MB"),
        (48_000_000, "48 MB"),
        (3_100_000_000, "3.1 GB"),
    ],
)
def test_human_size(n, shown):
    assert fmt.human_size(n) == shown


@pytest.mark.parametrize(
    ("n", "compact", "shown"),
    [
        (None, False, "—"),
        (0, False, "0"),
        (86_120, False, "86,120"),
        (999_999, False, "999,999"),
        (1_000_000, False, "1M"),
        (1_234_567, False, "1.2M"),
        (12_345_678, False, "12M"),
        (2_500_000_000, False, "2.5B"),
        (86_120, True, "86k"),
        (9_999, True, "9,999"),
        (999_999, True, "1M"),
    ],
)
def test_token_count(n, compact, shown):
    assert fmt.token_count(n, compact=compact) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "—"),
        (-5, "0s"),
        (0, "0s"),
        (45, "45s"),
        (200, "3m 20s"),
        (3_600, "1h 00m"),
        (2 * 3_600 + 5 * 60 + 59, "2h 05m"),
        (4 * 86_400 + 3 * 3_600 + 59, "4d 3h"),
    ],
)
def test_duration(seconds, shown):
    assert fmt.duration(seconds) == shown


@pytest.mark.parametrize(
    ("ts", "shown"),
    [
        (None, "—"),
        (NOW, "just now"),
        (NOW - 12, "12s ago"),
        (NOW - 5 * 60, "5m ago"),
        (NOW - 3 * 3_600 - 59, "3h ago"),
        (NOW - 3 * 86_400, "3d ago"),
        (NOW - 90 * 86_400, "3mo ago"),
        (NOW - 800 * 86_400, "2y ago"),
        (NOW + 300, "in 5m"),
    ],
)
def test_ago_is_relative_to_the_given_now(ts, shown):
    assert fmt.ago(ts, NOW) == shown


def test_timestamps_in_utc_and_local(monkeypatch):
    assert fmt.timestamp(NOW, utc=True) == "2025-11-04 10:00Z"
    assert fmt.timestamp(NOW + 7, utc=True, seconds=True) == "2025-11-04 10:00:07Z"
    assert fmt.clock(NOW + 7, utc=True) == "10:00:07"
    assert fmt.clock(NOW, utc=True, with_date=True) == "11-04 10:00:00"
    assert fmt.timestamp(None) == "—"
    # Local time follows the machine's zone.
    import time

    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        assert fmt.timestamp(NOW) == "2025-11-04 15:30"
        assert fmt.clock(NOW) == "15:30:00"
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (None, "—"),
        (Decimal("0"), "$0.00"),
        (Decimal("2.4"), "$2.40"),
        (Decimal("2.405"), "$2.41"),
        (Decimal("1234.5"), "$1,234.50"),
        (Decimal("0.0042"), "$0.0042"),
        (Decimal("0.004213"), "$0.0042"),
        (Decimal("0.0000125"), "$0.000013"),
        (Decimal("0.01"), "$0.01"),
        (Decimal("-1.2"), "-$1.20"),
        ("0.75", "$0.75"),
        (3, "$3.00"),
    ],
)
def test_money(amount, shown):
    assert fmt.money(amount) == shown


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        fmt.money(0.1)


@pytest.mark.parametrize(
    ("fraction", "digits", "shown"), [(None, 0, "—"), (0.8812, 0, "88%"), (0.8812, 1, "88.1%"), (1.0, 0, "100%")]
)
def test_percent(fraction, digits, shown):
    assert fmt.percent(fraction, digits) == shown


@pytest.mark.parametrize(
    ("done", "total", "shown"),
    [
        (150, 300, "150/300 50%"),
        (0, 300, "0/300 0%"),
        (150, None, "150"),
        (None, 300, "—"),
        (1500, 3000, "1,500/3,000 50%"),
    ],
)
def test_progress(done, total, shown):
    assert fmt.progress(done, total) == shown


@pytest.mark.parametrize(
    ("name", "width", "shown"),
    [
        ("ft:gpt-4o-mini-2024-07-18:acme:support:AbC12345", None, "gpt-4o-mini:support:AbC12345"),
        ("ft:gpt-3.5-turbo-0613:personal::8wJ6CtY5", None, "gpt-3.5-turbo:8wJ6CtY5"),
        ("ft:gpt-4o-mini-2024-07-18:acme:support:AbC12345:ckpt-step-88", None, "gpt-4o-mini:support:AbC12345@step88"),
        # Narrow columns cut the base family first; the suffix and id still tell models apart.
        ("ft:gpt-4o-mini-2024-07-18:acme:support:AbC12345", 22, "gpt-…:support:AbC12345"),
        ("ft:gpt-4o-mini-2024-07-18:acme:a-very-long-suffix-name:AbC12345", 20, "a-very-lon…:AbC12345"),
        ("gpt-4o-mini-2024-07-18", None, "gpt-4o-mini-2024-07-18"),
        ("gpt-4o-mini-2024-07-18", 12, "gpt-4o…07-18"),
        (None, None, "—"),
        ("ft:broken", None, "ft:broken"),
    ],
)
def test_short_model(name, width, shown):
    short = fmt.short_model(name, width)
    assert short == shown
    if width is not None:
        assert len(short) <= width


def test_parse_model_name_keeps_the_full_parts():
    parsed = fmt.parse_model_name("ft:gpt-4o-mini-2024-07-18:acme:support:AbC12345:ckpt-step-88")
    assert parsed == fmt.FineTunedName("gpt-4o-mini-2024-07-18", "acme", "support", "AbC12345", 88)
    assert fmt.parse_model_name("gpt-4o") is None


def _event(**kwargs) -> JobEvent:
    base = {"id": "ftevent-1", "job_id": "ftjob-1", "created_at": NOW, "level": "info", "message": "hello"}
    return JobEvent(**{**base, **kwargs})


@pytest.mark.parametrize(
    ("event", "plain"),
    [
        (_event(message="Fine-tuning job started"), "10:00:00 info  Fine-tuning job started"),
        (
            _event(
                type="metrics",
                message="Step 150/300: training loss=0.41, validation loss=0.46",
                data={
                    "step": 150,
                    "total_steps": 300,
                    "train_loss": 0.41234,
                    "valid_loss": 0.4551,
                    "train_mean_token_accuracy": 0.8812,
                },
            ),
            "10:00:00 info  step 150/300  loss 0.412  val 0.455  acc 0.88",
        ),
        (
            _event(
                type="metrics",
                message="Step 10/20 , train mean reward=0.42",
                data={"step": 10, "total_steps": 20, "train_mean_reward": 0.4216, "full_valid_mean_reward": 0.675},
            ),
            "10:00:00 info  step 10/20  reward 0.422  val reward 0.675",
        ),
        (_event(level="warn", message="Slow"), "10:00:00 WARN  Slow"),
        (
            _event(level="error", message="Bad file", data={"error_code": "invalid_training_file"}),
            "10:00:00 ERROR Bad file  [invalid_training_file]",
        ),
        (_event(level="debug", message="odd level"), "10:00:00 DEBUG odd level"),
        # Control characters from the server never reach the terminal.
        (_event(message="two\nlines\x1b[31m"), "10:00:00 info  two lines [31m"),
        # A metrics event without data falls back to its message.
        (_event(type="metrics", message="Step 1/3: training loss=2.21"), "10:00:00 info  Step 1/3: training loss=2.21"),
    ],
)
def test_event_line(event, plain):
    assert fmt.event_line(event, utc=True).plain == plain


def test_event_line_colours_levels():
    error = fmt.event_line(_event(level="error", message="boom"), utc=True)
    warn = fmt.event_line(_event(level="warn", message="hmm"), utc=True)
    assert any("red" in str(span.style) for span in error.spans)
    assert any("yellow" in str(span.style) for span in warn.spans)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "—"), (0.0, "0.000"), (0.41234, "0.412"), (10.112, "10.112"), (123.45, "123.5"), (4.1e-05, "4.1e-05")],
)
def test_number(value, shown):
    assert fmt.number(value) == shown
