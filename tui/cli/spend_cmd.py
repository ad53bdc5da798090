"""`finetop spend`: what each custom model cost to train and has cost to run, with its working and the cross-check."""

from __future__ import annotations

import csv
import json
import sys
from datetime import UTC, date, datetime

import click
from rich.markup import escape
from rich.table import Table

from store.lifecycle import WARN_WITHIN_DAYS, Lifecycle
from store.money import decimal_text
from store.pricing import Cost
from store.spend import Ledger, ModelSpend, Total
from store.spend_report import (
    check_status,
    explain,
    ledger_for,
    summarize_cross_check,
    with_rows,
)
from tui import format as fmt
from tui.cli.common import console, print_note, refresh, state

CSV_COLUMNS = (
    "model",
    "job_id",
    "job_status",
    "base_model",
    "training_usd",
    "training_state",
    "usage_usd",
    "total_usd",
    "total_complete",
    "requests",
    "input_tokens",
    "cached_tokens",
    "output_tokens",
    "first_used",
    "last_used",
    "serving",
    "retires_on",
    "days_left",
)
USAGE_HINT = (
    "Usage spend needs an organization admin key: set OPENAI_ADMIN_KEY (or the profile's admin_key_command) "
    "and run `finetop spend` again. Training spend above works without it."
)


@click.command()
@click.option("-m", "--model", metavar="TEXT", help="Only models (or their jobs) whose id, suffix or base has TEXT.")
@click.option("--since", metavar="DATE", help="Only spend on or after DATE (YYYY-MM-DD, UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts: amounts as strings, with the working.")
@click.option("--csv", "as_csv", is_flag=True, help="Print one CSV row per model.")
@click.option("--why", is_flag=True, help="Show how each figure was made: price rows, quantities, formulas.")
@click.option("--checkpoints", is_flag=True, help="Keep checkpoint models on their own rows.")
def spend(model: str | None, since: str | None, as_json: bool, as_csv: bool, why: bool, checkpoints: bool) -> None:
    """Spend per custom model: training plus usage, from dated prices.

    Training is priced from each job's trained tokens (reinforcement: billed hours), usage from the
    usage API's tokens, each at the price in force that day; `--why` shows every price row and
    formula. Add your own prices in prices.csv in the finetop config folder (see `finetop prices`).
    """
    if as_json and as_csv:
        raise click.UsageError("Choose one of --json and --csv.")
    since_day = _parse_day(since)
    note = refresh(["jobs", "models", "usage", "costs"])
    backend = state().backend()
    now = backend.now()
    ledger = ledger_for(backend, today=datetime.fromtimestamp(now, UTC).date(), now=int(now), since=since_day)
    # Models by what they cost, most first; then the jobs that made no model (running, failed...).
    rows = sorted(
        ledger.rows if checkpoints else ledger.rolled_up(),
        key=lambda row: (row.model is None, -row.total.amount, row.model or ""),
    )
    if model:
        needle = model.lower()
        rows = [row for row in rows if needle in _haystack(row)]
        if not rows:
            raise click.ClickException(f"No model or job matches {model!r}. `finetop models` lists them.")
    shown = with_rows(ledger, rows)
    if as_json:
        data = shown.to_dict()
        data["since"] = since_day.isoformat() if since_day else None
        data["filter"] = model
        click.echo(json.dumps(data, indent=2))
        print_note(note)
        return
    if as_csv:
        _print_csv(shown)
        print_note(note)
        return
    print_note(note)
    _print(shown, since_day, whole=not model, why=why)


def _parse_day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date like 2026-11-01", param_hint="--since") from None


def _haystack(row: ModelSpend) -> str:
    job = row.job
    parts = (row.model, row.base_model, *((job.id, job.suffix, job.status) if job else ()))
    return " ".join(filter(None, parts)).lower()


def money_markup(value: Total | Cost | None) -> str:
    """A figure for the terminal: estimates, upper bounds and incomplete sums in yellow, unknown dim."""
    if value is None:
        return fmt.MISSING
    text = value.label()
    if isinstance(value, Cost) and value.amount is None:
        return f"[dim]{text}[/]"
    if value.estimate or value.upper_bound or (isinstance(value, Total) and not value.complete):
        return f"[yellow]{escape(text)}[/]"
    return escape(text)


def serves_markup(life: Lifecycle | None) -> str:
    """Whether a model still serves: "serving", "12 days left" (bold red within 30 days), "retired 2026-10-23"."""
    if life is None:
        return fmt.MISSING
    if life.retires_on is None:
        return "serving"
    if not life.serving:
        return f"[dim]retired {life.retires_on.isoformat()}[/]"
    days = life.days_left or 0
    text = f"{days} day{'s' if days != 1 else ''} left"
    return f"[bold red]{text}[/]" if days <= WARN_WITHIN_DAYS else text


def _name(row: ModelSpend) -> str:
    if row.model:
        return row.model
    job = row.job
    return f"[dim]{job.id} ({job.status}{', ' + job.suffix if job.suffix else ''})[/]" if job else "(unknown)"


def _print(ledger: Ledger, since: date | None, *, whole: bool, why: bool) -> None:
    title = f"[bold]Spend per custom model[/] as of {ledger.today.isoformat()} (UTC)"
    if since:
        title += f", since {since.isoformat()}"
    console.print(title)
    if not ledger.rows:
        console.print("No fine-tuning jobs or models in the cache" + (" with spend since then." if since else "."))
        return
    usage = ledger.usage_available
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("model / job", overflow="fold")
    table.add_column("training", justify="right", no_wrap=True)
    if usage:
        table.add_column("usage", justify="right", no_wrap=True)
        table.add_column("total", justify="right", no_wrap=True)
        table.add_column("requests", justify="right", no_wrap=True)
        table.add_column("tokens", justify="right", no_wrap=True)
        table.add_column("last used", no_wrap=True)
    table.add_column("serves", no_wrap=True)
    for row in ledger.rows:
        cells = [_name(row), money_markup(row.training)]
        if usage:
            cells += [
                money_markup(row.usage) if row.model else fmt.MISSING,
                money_markup(row.total) if row.model else money_markup(row.training),
                fmt.token_count(row.requests, compact=True) if row.model else fmt.MISSING,
                fmt.token_count(row.input_tokens + row.output_tokens, compact=True) if row.model else fmt.MISSING,
                row.last_use.isoformat() if row.last_use else fmt.MISSING,
            ]
        cells.append(serves_markup(row.lifecycle) if row.model else fmt.MISSING)
        table.add_row(*cells)
    console.print(table)
    totals = f"[bold]Total {money_markup(ledger.total)}[/]   training {money_markup(ledger.training)}"
    if ledger.usage is not None:
        totals += f"   usage {money_markup(ledger.usage)}"
    console.print(totals + ("" if whole else "   [dim](the rows shown)[/]"))
    console.print(
        "[dim]≈ estimate · ≤ upper bound · + ? part unknown or unpriced · unknown: no quantity yet · "
        "--why shows the working[/]"
    )
    if why:
        for row in ledger.rows:
            console.print()
            console.print(f"[bold]{escape(row.model or row.label)}[/]")
            for line in explain(row, usage_available=usage, usage_hint=USAGE_HINT):
                indent = "  " * (line.indent + 1)
                label = f"{line.label.capitalize()}  " if line.kind == "heading" else ""
                prefix = f"{line.label}: " if line.label and line.kind in ("formula", "detail") else ""
                style = {"heading": "bold", "price": "dim", "detail": "dim", "note": "dim italic", "warning": "yellow"}
                text = escape(f"{label}{prefix}{line.text}")
                console.print(f"{indent}[{style.get(line.kind, 'default')}]{text}[/]", soft_wrap=True)
    if not usage:
        console.print(f"[yellow]{USAGE_HINT}[/]", soft_wrap=True)
    else:
        _print_cross_check(ledger)
    for warning in ledger.warnings:
        console.print(f"[bold red]⚠ {escape(warning.message)}[/]", soft_wrap=True)


def _print_cross_check(ledger: Ledger) -> None:
    summary = summarize_cross_check(ledger.cross_check)
    mark = "[green]✓[/]" if summary.all_match else "[yellow]≠[/]"
    console.print(f"{mark} Cross-check with the costs API (whole profile): {summary.describe()}.", soft_wrap=True)
    if summary.first_day and summary.last_day:
        console.print(
            f"  [dim]{summary.first_day.isoformat()} … {summary.last_day.isoformat()}: costs API "
            f"{fmt.money(summary.billed_total)}, finetop {fmt.money(summary.computed_total)}[/]"
        )
    for line in ledger.cross_check:
        status = check_status(line)
        if status in (None, "match"):
            continue
        item = line.line_item or f"ft-{line.base_model}, {(line.kind or '').replace('_', ' ')}"
        billed = fmt.money(line.billed) if line.billed is not None else fmt.MISSING
        computed = line.computed.label() if line.computed is not None else fmt.MISSING
        console.print(
            f"  [yellow]{status}[/] {line.day.isoformat()} {escape(item)}: billed {billed}, "
            f"finetop {escape(computed)}" + (f" [dim]({escape(line.note)})[/]" if line.note else ""),
            soft_wrap=True,
        )


def _print_csv(ledger: Ledger) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in ledger.rows:
        training = row.training
        if training is None:
            state_ = "in model" if row.parent else "unknown"
        elif training.amount is None:
            state_ = "unpriced" if training.missing == "price" else "unknown"
        else:
            state_ = "upper_bound" if training.upper_bound else "estimate" if training.estimate else "final"
        life = row.lifecycle
        writer.writerow(
            (
                row.model or "",
                row.job.id if row.job else "",
                row.job.status if row.job else "",
                row.base_model,
                decimal_text(training.amount) if training is not None and training.amount is not None else "",
                state_,
                decimal_text(row.usage.amount) if row.usage is not None else "",
                decimal_text(row.total.amount),
                "yes" if row.total.complete else "no",
                row.requests,
                row.input_tokens,
                row.cached_tokens,
                row.output_tokens,
                row.first_use.isoformat() if row.first_use else "",
                row.last_use.isoformat() if row.last_use else "",
                "" if life is None else ("yes" if life.serving else "no"),
                life.retires_on.isoformat() if life and life.retires_on else "",
                life.days_left if life and life.days_left is not None else "",
            )
        )
