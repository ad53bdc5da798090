"""`finetop models`: the account's fine-tuned models and their checkpoints."""

from __future__ import annotations

import click
from rich.table import Table

from tui import format as fmt
from tui.cli.common import console, print_json, print_note, refresh, state


@click.command()
@click.option("--all", "include_base", is_flag=True, help="Include base models, not just fine-tuned ones.")
@click.option("--deleted", is_flag=True, help="Include models deleted from the server.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def models(include_base: bool, deleted: bool, as_json: bool) -> None:
    """List fine-tuned models, with the job that made each."""
    note = refresh(["models", "jobs"])
    cache = state().backend().cache
    rows = cache.models(include_deleted=deleted, fine_tuned_only=not include_base)
    makers = {j.fine_tuned_model: j for j in cache.jobs() if j.fine_tuned_model}
    checkpoint_jobs = {c.model: c.job_id for c in cache.checkpoints()}
    if as_json:
        print_json(
            [
                {
                    "id": m.id,
                    "created": m.created,
                    "owned_by": m.owned_by,
                    "deleted_at": m.deleted_at,
                    "job": (makers[m.id].id if m.id in makers else checkpoint_jobs.get(m.id)),
                }
                for m in rows
            ]
        )
        print_note(note)
        return
    print_note(note)
    if not rows:
        console.print("No fine-tuned models." if not include_base else "No models.")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("model", "base", "job", "created"):
        table.add_column(column)
    for m in rows:
        job = makers.get(m.id)
        parsed = fmt.parse_model_name(m.id)
        table.add_row(
            m.id + (" [magenta](deleted)[/]" if m.deleted_at else ""),
            parsed.base if parsed else fmt.MISSING,
            job.id if job else checkpoint_jobs.get(m.id, fmt.MISSING),
            fmt.timestamp(m.created),
        )
    console.print(table)
