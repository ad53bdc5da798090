"""`finetop whatif`: is fine-tuning worth it? A base model with a long prompt against a fine-tune with a short one."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from store.errors import FinetopError
from store.money import format_tokens, format_usd
from store.pricing import Cost, PriceRow, load_price_table, today_utc
from store.whatif import DAYS_PER_MONTH, Scenario, WhatIf, what_if


class DecimalParam(click.ParamType):
    """A number read exactly (no float): 10000, 0.5, 2.25."""

    name = "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            number = Decimal(str(value).replace(",", "").replace("_", ""))
        except InvalidOperation:
            self.fail(f"{value!r} is not a number", param, ctx)
        if not number.is_finite():
            self.fail(f"{value!r} is not a number", param, ctx)
        return number


NUMBER = DecimalParam()
COUNT = click.IntRange(min=0)


@click.command()
@click.option("--base", "base_model", required=True, help="The model used as it is, e.g. gpt-4o.")
@click.option("--tuned", "tuned_model", required=True, help="The model you would fine-tune, e.g. gpt-4o-mini.")
@click.option("--requests", "requests_per_day", type=NUMBER, required=True, help="Requests per day.")
@click.option("--base-prompt", type=COUNT, required=True, help="Prompt tokens per request with the base model.")
@click.option("--tuned-prompt", type=COUNT, required=True, help="Prompt tokens per request with the fine-tune.")
@click.option("--output", "output_tokens", type=COUNT, required=True, help="Output tokens per request.")
@click.option(
    "--tuned-output", type=COUNT, default=None, help="Output tokens per request of the fine-tune, if different."
)
@click.option(
    "--cached-share", type=NUMBER, default="0", show_default=True, help="Share of prompt tokens from cache, 0..1."
)
@click.option("--training-tokens", type=COUNT, default=None, help="Tokens in the training file (one epoch).")
@click.option("--epochs", type=click.IntRange(min=1), default=3, show_default=True, help="Training epochs.")
@click.option("--trained-tokens", type=COUNT, default=None, help="Billed training tokens (instead of the two above).")
@click.option("--training-hours", type=NUMBER, default=None, help="Reinforcement fine-tuning: billed hours.")
@click.option(
    "--months", type=click.IntRange(min=1), default=12, show_default=True, help="Months to amortise the training over."
)
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Use the prices in force on this UTC day (YYYY-MM-DD). Default: today.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output; amounts are strings.")
def whatif(
    base_model: str,
    tuned_model: str,
    requests_per_day: Decimal,
    base_prompt: int,
    tuned_prompt: int,
    output_tokens: int,
    tuned_output: int | None,
    cached_share: Decimal,
    training_tokens: int | None,
    epochs: int,
    trained_tokens: int | None,
    training_hours: Decimal | None,
    months: int,
    on: datetime | None,
    as_json: bool,
) -> None:
    """Compare a base model with a long prompt against a fine-tune with a short one.

    Prices both from finetop's dated table, amortises the training over --months and prints the
    daily volume from which the fine-tune is cheaper. Example:

    \b
        finetop whatif --base gpt-4o --tuned gpt-4o-mini --requests 10000 \\
          --base-prompt 2000 --tuned-prompt 300 --output 200 --training-tokens 500000
    """
    scenario = Scenario(
        base_model=base_model,
        tuned_model=tuned_model,
        requests_per_day=requests_per_day,
        base_prompt_tokens=base_prompt,
        tuned_prompt_tokens=tuned_prompt,
        output_tokens=output_tokens,
        tuned_output_tokens=tuned_output,
        cached_share=cached_share,
        training_tokens=training_tokens,
        epochs=epochs,
        trained_tokens=trained_tokens,
        training_hours=training_hours,
        months=months,
        on=on.date() if on else today_utc(),
    )
    try:
        result = what_if(load_price_table(), scenario)
    except FinetopError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    _print(result)


def _print(result: WhatIf) -> None:
    console = Console()
    scenario = result.scenario
    base, tuned = result.base, result.tuned
    console.print(
        f"[bold]What-if[/] with the prices in force on {scenario.on.isoformat()} "
        f"(USD; a month is {int(DAYS_PER_MONTH)} days): {format_tokens(scenario.requests_per_day)} requests a day, "
        f"training amortised over {scenario.months} month{'s' if scenario.months != 1 else ''}"
    )
    grid = Table()
    grid.add_column("")
    grid.add_column("Base model, long prompt", justify="right")
    grid.add_column("Fine-tuned, short prompt", justify="right")
    grid.add_row("Model", base.priced_as, tuned.priced_as)
    grid.add_row("Prompt tokens / request", format_tokens(base.prompt_tokens), format_tokens(tuned.prompt_tokens))
    grid.add_row("Output tokens / request", format_tokens(base.output_tokens), format_tokens(tuned.output_tokens))
    grid.add_row("Cost / request", _precise(base.per_request), _precise(tuned.per_request))
    grid.add_row("Per day", format_usd(base.per_day), format_usd(tuned.per_day))
    grid.add_row("Per month", format_usd(base.per_month), format_usd(tuned.per_month), end_section=True)
    grid.add_row("Training (once)", "-", format_usd(result.training.amount))
    grid.add_row("Training / month", "-", format_usd(result.training_per_month))
    grid.add_row(
        "[bold]Total / month[/]",
        f"[bold]{format_usd(base.per_month)}[/]",
        f"[bold]{format_usd(result.tuned_total_per_month)}[/]",
    )
    console.print(grid)

    if result.break_even_per_day is None:
        dearer = -result.saving_per_request
        reason = f"costs {_precise(dearer)} more than" if dearer else "costs the same as"
        console.print(
            f"[bold]Break-even: never.[/] A fine-tuned request {reason} a base one, so the training is never paid back."
        )
    else:
        volume = max(Decimal(1), result.break_even_per_day.to_integral_value(rounding=ROUND_CEILING))
        console.print(
            f"[bold]Break-even: {format_tokens(volume)} requests a day.[/] Above that the fine-tune is cheaper, "
            f"saving {_precise(result.saving_per_request)} a request before training."
        )
        if result.payback_days is not None:
            console.print(
                f"At {format_tokens(scenario.requests_per_day)} a day the training is paid back in "
                f"{_days(result.payback_days)}; you save {format_usd(result.saving_per_month)} a month."
            )
    window = result.training_window
    if window.last_day is not None and window.days_left:
        console.print(
            f"New training jobs can start until {window.last_day.isoformat()} ({window.days_left} days left)."
        )
    for warning in result.warnings:
        console.print(f"[yellow]Warning:[/] {warning}")
    console.print("[dim]Prices used:[/]")
    used = [*base.lines, *tuned.lines, result.training]
    for cost, row in _unique_rows(used):
        console.print(
            f"[dim]  {row.model} {row.kind} {format_usd(row.usd, precise=True)} {row.unit_label} "
            f"from {row.effective_from.isoformat()}: {row.source}{f' ({cost.note})' if cost.note else ''}[/]"
        )


def _unique_rows(costs: list[Cost]) -> list[tuple[Cost, PriceRow]]:
    seen: set[PriceRow] = set()
    unique = []
    for cost in costs:
        if cost.row is not None and cost.row not in seen:
            seen.add(cost.row)
            unique.append((cost, cost.row))
    return unique


def _precise(amount: Decimal) -> str:
    return format_usd(amount, precise=True)


def _days(days: Decimal) -> str:
    if days < 1:
        hours = (days * 24).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        return f"{hours} hours"
    return f"{days.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} days"
