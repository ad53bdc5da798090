"""`finetop models`: the account's fine-tuned models and their checkpoints, how long each serves, and what each cost."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from rich.markup import escape
from rich.table import Table

from store.errors import FinetopError
from store.lifecycle import Lifecycle, model_lifecycle
from store.money import decimal_text
from store.pricing import Cost
from store.spend import Ledger, ModelSpend, Total, final_model_of
from store.spend_report import ledger_for
from tui import format as fmt
from tui.cli.common import console, print_json, print_note, refresh, state
from tui.cli.spend_cmd import USAGE_HINT, money_markup, serves_markup


@click.command()
@click.option("--all", "include_base", is_flag=True, help="Include base models, not just fine-tuned ones.")
@click.option("--deleted", is_flag=True, help="Include models deleted from the server.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def models(include_base: bool, deleted: bool, as_json: bool) -> None:
    """List fine-tuned models: the job that made each, how long it still serves, what it cost."""
    note = refresh(["models", "jobs", "usage", "costs"])
    backend = state().backend()
    cache = backend.cache
    rows = cache.models(include_deleted=deleted, fine_tuned_only=not include_base)
    makers = {j.fine_tuned_model: j for j in cache.jobs() if j.fine_tuned_model}
    checkpoint_jobs = {c.model: c.job_id for c in cache.checkpoints()}
    now = backend.now()
    today = datetime.fromtimestamp(now, UTC).date()
    spend_problem = ""
    try:
        ledger: Ledger | None = ledger_for(backend, today=today, now=int(now), estimate=False)
    except FinetopError as error:  # a malformed prices.csv: list the models anyway, say why spend is missing
        ledger, spend_problem = None, str(error)
    spend = {row.model: row for row in ledger.rows if row.model} if ledger else {}
    usage = bool(ledger and ledger.usage_available)

    def lifecycle_of(model_id: str, raw: dict) -> Lifecycle | None:
        if not model_id.startswith("ft:"):
            return None
        row = spend.get(model_id)
        if row is not None and row.lifecycle is not None:
            return row.lifecycle
        return model_lifecycle(model_id, today, raw.get("shutdown_date"))

    if as_json:
        print_json([_as_json(m, makers, checkpoint_jobs, lifecycle_of(m.id, m.raw), spend.get(m.id)) for m in rows])
        print_note(note)
        return
    print_note(note)
    if not rows:
        console.print("No fine-tuned models." if not include_base else "No models.")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("model", overflow="fold")
    for column in ("base", "job", "created", "serves"):
        table.add_column(column, no_wrap=column != "job")
    if ledger is not None:
        table.add_column("training", justify="right", no_wrap=True)
    if usage:
        table.add_column("usage", justify="right", no_wrap=True)
        table.add_column("total", justify="right", no_wrap=True)
    for m in rows:
        job = makers.get(m.id)
        parsed = fmt.parse_model_name(m.id)
        row = spend.get(m.id)
        cells = [
            escape(m.id) + (" [magenta](deleted)[/]" if m.deleted_at else ""),
            fmt.base_family(parsed.base) if parsed else fmt.MISSING,
            job.id if job else _job_of(m.id, makers, checkpoint_jobs) or fmt.MISSING,
            fmt.timestamp(m.created)[:10],
            serves_markup(lifecycle_of(m.id, m.raw)),
        ]
        if ledger is not None:
            cells.append("[dim]in model[/]" if m.is_checkpoint else money_markup(row.training if row else None))
        if usage:
            cells += [money_markup(row.usage if row else None), money_markup(row.total if row else None)]
        table.add_row(*cells)
    console.print(table)
    if spend_problem:
        console.print(f"[red]Spend is not shown: {escape(spend_problem)}[/]", soft_wrap=True)
    elif not usage:
        console.print(f"[yellow]{USAGE_HINT}[/]", soft_wrap=True)
    for warning in ledger.warnings if ledger else ():
        console.print(f"[bold red]⚠ {escape(warning.message)}[/]", soft_wrap=True)


def _job_of(model_id: str, makers: dict, checkpoint_jobs: dict) -> str | None:
    """The job that made a model, or a checkpoint (through its final model when checkpoints are not cached)."""
    if model_id in makers:
        return makers[model_id].id
    if model_id in checkpoint_jobs:
        return checkpoint_jobs[model_id]
    final = makers.get(final_model_of(model_id))
    return final.id if final else None


def _as_json(model, makers, checkpoint_jobs, life: Lifecycle | None, row: ModelSpend | None) -> dict:
    def amount(value: Total | Cost | None) -> str | None:
        return decimal_text(value.amount) if value is not None and value.amount is not None else None

    return {
        "id": model.id,
        "created": model.created,
        "owned_by": model.owned_by,
        "deleted_at": model.deleted_at,
        "job": _job_of(model.id, makers, checkpoint_jobs),
        "serving": None if life is None else life.serving,
        "retires_on": life.retires_on.isoformat() if life and life.retires_on else None,
        "days_left": life.days_left if life else None,
        "training_usd": None if row is None or model.is_checkpoint else amount(row.training),
        "usage_usd": None if row is None else amount(row.usage),
        "total_usd": None if row is None else amount(row.total),
    }
