"""`finetop jobs`, `job`, `events` and the job actions `cancel`, `pause`, `resume`."""

from __future__ import annotations

import sys
import time

import click
from rich.table import Table
from rich.text import Text

from store.errors import ApiError, NotCachedError
from store.types import KNOWN_STATUSES, Job
from tui import format as fmt
from tui.cli.common import (
    EXIT_JOB_CANCELLED,
    EXIT_JOB_FAILED,
    confirm_or_abort,
    console,
    err_console,
    parse_date,
    print_json,
    print_note,
    refresh,
    state,
)

ENDING_EXIT = {"succeeded": 0, "failed": EXIT_JOB_FAILED, "cancelled": EXIT_JOB_CANCELLED}


@click.command()
@click.option(
    "-s",
    "--status",
    "statuses",
    multiple=True,
    metavar="STATUS",
    help=f"Only these statuses ({', '.join(KNOWN_STATUSES)}).",
)
@click.option("--active", is_flag=True, help="Only jobs that have not ended.")
@click.option("-m", "--model", metavar="TEXT", help="Base or fine-tuned model containing TEXT.")
@click.option("--since", metavar="DATE", help="Created on or after DATE (YYYY-MM-DD, UTC).")
@click.option("--until", metavar="DATE", help="Created before DATE (YYYY-MM-DD, UTC).")
@click.option("-n", "--limit", type=int, metavar="N", help="At most N jobs (newest first).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def jobs(statuses, active, model, since, until, limit, as_json) -> None:
    """List fine-tuning jobs, newest first."""
    note = refresh(["jobs"])
    backend = state().backend()
    selected = list(statuses)
    if active:
        selected = [s for s in KNOWN_STATUSES if s not in ("succeeded", "failed", "cancelled")]
    rows = backend.cache.jobs(
        statuses=selected or None, model=model, since=parse_date(since), until=parse_date(until), limit=limit
    )
    if as_json:
        print_json(rows)
        print_note(note)
        return
    print_note(note)
    if not rows:
        console.print("No jobs match." if (statuses or model or since or until or active) else "No jobs yet.")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("id", "status", "base model", "fine-tuned model", "created", "finished", "trained"):
        table.add_column(column, no_wrap=column in ("id", "status"), justify="right" if column == "trained" else "left")
    for job in rows:
        table.add_row(
            job.id,
            fmt.status_text(job.status),
            job.model,
            job.fine_tuned_model or (f"suffix {job.suffix}" if job.suffix else fmt.MISSING),
            fmt.timestamp(job.created_at),
            fmt.timestamp(job.finished_at),
            fmt.token_count(job.trained_tokens),
        )
    console.print(table)


def _describe_job(job: Job, checkpoints, now: float) -> None:
    status = fmt.status_text(job.status)
    title = Text.assemble(Text(job.id, style="bold"), "  ", status)
    console.print(title)
    fields: list[tuple[str, str | Text]] = [
        ("base model", job.model),
        ("fine-tuned model", job.fine_tuned_model or fmt.MISSING),
        ("method", job.method),
        ("suffix", job.suffix or fmt.MISSING),
        ("training file", job.training_file),
        ("validation file", job.validation_file or fmt.MISSING),
        ("created", f"{fmt.timestamp(job.created_at)} ({fmt.ago(job.created_at, now)})"),
        ("started", fmt.timestamp(job.started_at)),
        ("finished", fmt.timestamp(job.finished_at)),
        ("progress", fmt.progress(job.step, job.total_steps)),
        ("trained tokens", fmt.token_count(job.trained_tokens)),
        ("seed", str(job.seed) if job.seed is not None else fmt.MISSING),
        ("estimated finish", fmt.timestamp(job.expected_finish(now))),
    ]
    for key, value in sorted(job.hyperparameters.items()):
        fields.append((f"  {key}", str(value)))
    for key, value in sorted(job.metadata.items()):
        fields.append((f"metadata {key}", str(value)))
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim")
    table.add_column()
    for key, value in fields:
        table.add_row(key, value)
    console.print(table)
    if job.error:
        console.print(
            f"[bold red]error {job.error.code}[/]"
            + (f" (param {job.error.param})" if job.error.param else "")
            + f": {job.error.message}",
            soft_wrap=True,
        )
    if checkpoints:
        grid = Table(box=None, header_style="bold", title="checkpoints", title_justify="left")
        for column in ("step", "model", "train loss", "valid loss"):
            grid.add_column(column)
        for ckpt in checkpoints:
            grid.add_row(
                str(ckpt.step_number),
                ckpt.model,
                fmt.number(ckpt.metrics.get("train_loss")),
                fmt.number(ckpt.metrics.get("valid_loss") or ckpt.metrics.get("full_valid_loss")),
            )
        console.print(grid)


def _current_job(job_id: str) -> tuple[Job, str | None]:
    """The job as the API has it now (with its new events), or as cached with a note when offline.

    `job_id` may be an id, an id prefix or the fine-tuned model's name."""
    backend = state().backend()
    note = refresh(["jobs"])
    if note is not None:
        return backend.cache.find_job(job_id), note
    try:
        target = backend.cache.find_job(job_id).id
    except NotCachedError:
        target = job_id  # not cached: let the API say whether it exists
    return backend.refresh_job(target), None


@click.command()
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def job(job_id: str, as_json: bool) -> None:
    """Show one job: hyperparameters, error, checkpoints."""
    found, note = _current_job(job_id)
    checkpoints = state().backend().cache.checkpoints(found.id)
    print_note(note)
    if as_json:
        print_json({"job": found, "checkpoints": checkpoints, "raw": found.raw})
        return
    _describe_job(found, checkpoints, time.time())


@click.command()
@click.argument("job_id")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new events until the job ends; exit status says how.")
@click.option("-n", "--limit", type=int, default=50, show_default=True, help="How many past events to print first.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per event (JSON Lines).")
def events(job_id: str, follow: bool, limit: int, as_json: bool) -> None:
    """Print a job's event log; with --follow, like `tail -f` until the job ends.

    Exit status with --follow: 0 succeeded, 3 failed, 4 cancelled.
    """
    cli = state()
    backend = cli.backend()
    found, note = _current_job(job_id)
    print_note(note)
    shown = backend.cache.events(found.id, limit=limit or None)
    _print_events(shown, as_json)
    if not follow:
        return
    if cli.offline or note:
        raise click.ClickException("Cannot follow a job while offline.")
    raise SystemExit(follow_job(found, last_id=shown[-1].id if shown else None, as_json=as_json))


def follow_job(found: Job, *, last_id: str | None, as_json: bool = False) -> int:
    """Print the job's new events (after `last_id`) until it ends, polling the API; shared by `events --follow`
    and `create --follow`. Returns the exit status: 0 succeeded, 3 failed, 4 cancelled."""
    backend = state().backend()
    while not found.is_terminal:
        time.sleep(backend.profile.poll_seconds)
        try:
            found = backend.refresh_job(found.id)
        except ApiError as error:
            if not (error.is_connection_problem or error.kind in ("rate_limit", "server")):
                raise
            err_console.print(f"[yellow]{error.message} (still following)[/]", soft_wrap=True)
            continue
        fresh = backend.cache.events_after(found.id, last_id)
        _print_events(fresh, as_json)
        if fresh:
            last_id = fresh[-1].id
    if not as_json:
        err_console.print(Text.assemble("job ", found.id, " ", fmt.status_text(found.status)))
    return ENDING_EXIT.get(found.status, 1)


def _print_events(rows, as_json: bool) -> None:
    if as_json:
        import json

        for event in rows:
            click.echo(json.dumps(event.raw or {"id": event.id, "message": event.message}))
    else:
        show_dates = bool(rows) and fmt.day_of(rows[0].created_at) != fmt.day_of(rows[-1].created_at)
        for event in rows:
            console.print(fmt.event_line(event, with_date=show_dates), soft_wrap=True)
    # A pipe is block-buffered: without this `events --follow | grep` would see nothing until the end.
    sys.stdout.flush()


def _job_action(verb: str, job_id: str, *, yes: bool = True) -> None:
    cli = state()
    if cli.offline:
        raise click.ClickException(f"Cannot {verb} a job while offline.")
    backend = cli.backend()
    try:
        target = backend.cache.find_job(job_id).id
    except NotCachedError:
        target = job_id  # not cached yet: let the API say whether it exists
    if verb == "cancel":
        confirm_or_abort(f"Cancel job {target}? Training stops and cannot be resumed.", yes=yes)
    action = {"cancel": backend.cancel_job, "pause": backend.pause_job, "resume": backend.resume_job}[verb]
    updated = action(target)
    console.print(Text.assemble(f"{verb}: ", updated.id, " is now ", fmt.status_text(updated.status)))


@click.command()
@click.argument("job_id")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
def cancel(job_id: str, yes: bool) -> None:
    """Cancel a job that has not ended (asks first)."""
    _job_action("cancel", job_id, yes=yes)


@click.command()
@click.argument("job_id")
def pause(job_id: str) -> None:
    """Pause a running job."""
    _job_action("pause", job_id)


@click.command()
@click.argument("job_id")
def resume(job_id: str) -> None:
    """Resume a paused job."""
    _job_action("resume", job_id)
