"""`finetop prices`: the dated price table in force on a day, and where each row came from."""

from __future__ import annotations

import json
from datetime import date, datetime
from itertools import groupby

import click
from rich import box
from rich.console import Console
from rich.table import Table

from store.errors import FinetopError
from store.lifecycle import model_lifecycle
from store.money import format_usd
from store.pricing import (
    COLUMNS,
    SHIPPED_ORIGIN,
    PriceRow,
    PriceTable,
    base_model_of,
    load_price_table,
    today_utc,
    user_prices_path,
)


@click.command()
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Prices in force on this UTC day (YYYY-MM-DD). Default: today.",
)
@click.option(
    "--model", "-m", default=None, help="Only this model: a base model, an alias, or any ft: or checkpoint id."
)
@click.option("--history", is_flag=True, help="Every dated row, not only those in force on the day.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output; prices are strings.")
def prices(on: datetime | None, model: str | None, history: bool, as_json: bool) -> None:
    """Show the prices finetop uses, for a day, with the source of every row.

    Add or override rows (negotiated or Azure prices, new models) in prices.csv in the
    finetop config folder, with the columns model,kind,unit,usd,effective_from,source.
    """
    day = on.date() if on else today_utc()
    try:
        table = load_price_table()
    except FinetopError as error:
        raise click.ClickException(str(error)) from None
    rows = table.history(model) if history else table.in_force(day, model)
    if model is not None and not rows:
        raise click.ClickException(
            f"No prices for {base_model_of(model) or model!r} on {day.isoformat()}. Add rows to "
            f"{user_prices_path()} with the columns {','.join(COLUMNS)}."
        )
    if as_json:
        click.echo(json.dumps(_as_json(table, rows, day, model, history), indent=2))
        return
    _print(table, rows, day, model, history)


def _as_json(table: PriceTable, rows: list[PriceRow], day: date, model: str | None, history: bool) -> dict:
    return {
        "date": None if history else day.isoformat(),
        "model": model,
        "priced_as": base_model_of(model) if model is not None else None,
        "user_file": str(table.user_file) if table.user_file else None,
        "rows": [row.as_json() for row in rows],
    }


def _print(table: PriceTable, rows: list[PriceRow], day: date, model: str | None, history: bool) -> None:
    console = Console()
    title = "All dated prices" if history else f"Prices in force on {day.isoformat()}"
    console.print(f"[bold]{title}[/] (USD; per 1M tokens unless per hour)")
    if model is not None and base_model_of(model) != model.strip().lower():
        console.print(f"{model} is priced as {base_model_of(model)}.")
    for name, group in groupby(rows, key=lambda row: row.model):
        console.print(_model_table(name, list(group), day))
    if table.user_file:
        console.print(f"Rows marked 'yours' come from {table.user_file}; they replace shipped rows of the same date.")
    else:
        console.print(
            f"Add your own rows (negotiated or Azure prices, new models) in {user_prices_path()}, "
            f"columns {','.join(COLUMNS)}."
        )


def _model_table(model: str, rows: list[PriceRow], day: date) -> Table:
    life = model_lifecycle(model, day)
    title = f"[bold]{model}[/]"
    if life.retires_on is not None:
        tense = "retired" if not life.serving else "retire"
        title += f" [dim](fine-tunes {tense} on {life.retires_on.isoformat()})[/]"
    grid = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, expand=True)
    grid.add_column("Kind", no_wrap=True)
    grid.add_column("Price", justify="right", no_wrap=True)
    grid.add_column("From", no_wrap=True)
    grid.add_column("Source", overflow="fold", ratio=1)
    for row in rows:
        price = format_usd(row.usd, precise=True) + (" /h" if row.unit == "per_hour" else "")
        source = row.source if row.origin == SHIPPED_ORIGIN else f"[bold]yours[/] ({row.origin}): {row.source}"
        grid.add_row(row.kind, price, row.effective_from.isoformat(), source)
    return grid
