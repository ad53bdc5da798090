"""`finetop archive`: pull everything the account holds into the cache; `archive verify` checks it."""

from __future__ import annotations

import click
from rich.table import Table

from tui import format as fmt
from tui.cli.common import console, print_json, progress_bar, state
from tui.cli.sync_cmd import print_problems


def _stats_table(stats) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="dim")
    table.add_column(justify="right")
    for label, value in (
        ("jobs", f"{stats.jobs:,}"),
        ("events", f"{stats.events:,}"),
        ("checkpoints", f"{stats.checkpoints:,}"),
        ("files", f"{stats.files:,}"),
        ("models", f"{stats.models:,}"),
        ("usage buckets", f"{stats.usage_buckets:,}"),
        ("cost lines", f"{stats.cost_lines:,}"),
        ("file contents", f"{stats.contents:,} ({fmt.human_size(stats.content_bytes)})"),
        ("database", fmt.human_size(stats.database_bytes)),
    ):
        table.add_row(label, value)
    return table


@click.group(invoke_without_command=True)
@click.option("--with-contents", is_flag=True, help="Also download the training, validation and result files.")
@click.option("--json", "as_json", is_flag=True, help="Print what the archive holds as JSON.")
@click.pass_context
def archive(ctx: click.Context, with_contents: bool, as_json: bool) -> None:
    """Pull everything the account has into the cache: jobs, events, checkpoints, files, models, usage."""
    if ctx.invoked_subcommand is not None:
        return
    cli = state()
    backend = cli.backend()
    if not cli.offline:
        with progress_bar("archiving") as progress:
            report = backend.sync(full=True, with_contents=with_contents, progress=progress)
        print_problems(report)
        if report.offline:
            raise click.ClickException("The archive is incomplete: the API could not be reached.")
    stats = backend.cache.stats()
    if as_json:
        print_json({"path": str(backend.cache.path), "stats": stats})
        return
    console.print(f"Archive of {backend.profile.name} at {backend.cache.path.parent}")
    console.print(_stats_table(stats))


@archive.command()
def verify() -> None:
    """Re-hash every archived file and report missing or corrupt ones (exit status 1 if any)."""
    backend = state().backend()
    with progress_bar("verifying") as progress:
        problems = backend.cache.verify_contents(progress=lambda done, total: progress("contents", done, total))
    count = len(backend.cache.contents())
    if not problems:
        console.print(f"All {count} archived files match their sha256.")
        return
    for problem in problems:
        console.print(f"[bold red]{problem.problem}[/] {problem.file_id}  {problem.path}")
    console.print(
        f"{len(problems)} of {count} archived files are damaged; "
        "`finetop archive --with-contents` fetches them again while the server still has them."
    )
    raise SystemExit(1)
