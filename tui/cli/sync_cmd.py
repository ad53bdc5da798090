"""`finetop sync`: bring the cache up to date once, or keep it so (`--watch`)."""

from __future__ import annotations

import time

import click
from rich.text import Text

from store.errors import FinetopError
from tui import format as fmt
from tui.cli.common import console, err_console, print_json, report_error, state


def describe(report) -> str:
    """One line of what a sync changed, for people."""
    parts = []
    new_jobs = [c for c in report.changes if c.old_status is None]
    if new_jobs:
        parts.append(f"{len(new_jobs)} new jobs")
    if report.transitions:
        parts.append(f"{len(report.transitions)} status changes")
    if report.events_added:
        parts.append(f"{report.events_added:,} events")
    if report.checkpoints:
        parts.append(f"{report.checkpoints} checkpoints")
    if report.files_added or report.files_deleted:
        parts.append(f"files +{report.files_added} -{report.files_deleted}")
    if report.models_added or report.models_deleted:
        parts.append(f"models +{report.models_added} -{report.models_deleted}")
    if report.usage_buckets:
        parts.append(f"{report.usage_buckets} usage buckets")
    if report.contents_fetched:
        parts.append(f"{report.contents_fetched} contents ({fmt.human_size(report.content_bytes)})")
    return ", ".join(parts) or "no changes"


def print_problems(report) -> None:
    for collection, why in report.skipped.items():
        err_console.print(f"[dim]{collection} skipped: {why}[/]", soft_wrap=True)
    for collection, error in report.errors.items():
        err_console.print(f"[yellow]{collection}:[/] {error.message}", soft_wrap=True)
        if error.hint:
            err_console.print(f"  {error.hint}", soft_wrap=True)


@click.command()
@click.option("--once", "mode", flag_value="once", default=True, help="Sync once and exit (the default).")
@click.option("--watch", "mode", flag_value="watch", help="Keep syncing, adapting to active jobs, until Ctrl-C.")
@click.option("--full", is_flag=True, help="Re-read every job page, not just the new ones.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary (with --once).")
def sync(mode: str, full: bool, as_json: bool) -> None:
    """Bring this profile's cache up to date with the account."""
    cli = state()
    if cli.offline:
        raise click.ClickException("`sync` needs the network; drop --offline.")
    backend = cli.backend()
    if mode == "once":
        report = backend.sync(full=full)
        if as_json:
            print_json(
                {
                    "changes": [{"job": c.job.id, "from": c.old_status, "to": c.job.status} for c in report.changes],
                    "new_events": report.new_events,
                    "requests": report.requests,
                    "offline": report.offline,
                    "errors": {k: str(v) for k, v in report.errors.items()},
                }
            )
        else:
            console.print(f"{backend.profile.name}: {describe(report)} [dim]({report.requests} requests)[/]")
            print_problems(report)
        if report.offline or report.errors:
            raise SystemExit(1)
        return
    console.print(f"Watching {backend.profile.name} ({backend.profile.describe_endpoint()}); Ctrl-C to stop.")
    try:
        while True:
            try:
                report = backend.poll()
            except FinetopError as error:
                report_error(error)
                time.sleep(30)
                continue
            for change in report.transitions:
                console.print(
                    Text.assemble(fmt.clock(time.time()), "  ", change.job.id, " ", fmt.status_text(change.job.status))
                )
            if report.collections and (report.changes or report.events_added):
                console.print(f"[dim]{fmt.clock(time.time())}  {describe(report)}[/]")
            if report.offline:
                err_console.print(f"[yellow]{fmt.clock(time.time())}  offline; retrying[/]")
            time.sleep(max(0.5, backend.syncer.next_delay()))
    except KeyboardInterrupt:
        console.print("stopped")
