"""What every finetop subcommand shares: the profile and --offline, one error funnel, output helpers."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, is_dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import click
from rich.console import Console

from store.backend import Backend, Freshness
from store.errors import ApiError, CredentialError, FinetopError
from tui import format as fmt

# Exit statuses documented in the README.
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2  # click's own
EXIT_JOB_FAILED = 3
EXIT_JOB_CANCELLED = 4

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


@dataclass
class CliState:
    profile: str | None = None
    offline: bool = False
    _backend: Backend | None = None

    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = Backend.open(self.profile)
        return self._backend

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()


def state(ctx: click.Context | None = None) -> CliState:
    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    if root.obj is None:
        root.obj = CliState()
    return root.obj


def report_error(error: FinetopError) -> None:
    """Print a finetop error for people: message, then what to do, on stderr."""
    err_console.print(f"[bold red]error:[/] {error.message}", soft_wrap=True)
    if isinstance(error, ApiError) and (error.status or error.request_id):
        err_console.print(f"  [dim]{error.details}[/]", soft_wrap=True)
    if error.hint:
        err_console.print(f"  {error.hint}", soft_wrap=True)


# -- refresh then read: online when possible, the cache otherwise --------------------------


def refresh(collections: list[str]) -> str | None:
    """Bring `collections` up to date unless --offline; on a network problem, say so and go on.

    Returns a note about the data's age when working from the cache alone."""
    cli = state()
    backend = cli.backend()
    if cli.offline:
        return offline_note(backend.freshness(), collections)
    try:
        report = backend.syncer.run_collections(collections)
    except CredentialError as error:
        return f"offline: {error.message} " + offline_note(backend.freshness(), collections)
    problems = [e for e in report.errors.values() if e.is_connection_problem or e.kind in ("auth", "rate_limit")]
    if problems:
        return f"offline: {problems[0].message} " + offline_note(backend.freshness(), collections)
    return None


def offline_note(freshness: Freshness, collections: list[str]) -> str:
    synced = [freshness.synced_at(c) for c in collections]
    known = [s for s in synced if s]
    if not known:
        return "Nothing cached yet for this profile: run `finetop sync` while online."
    oldest = min(known)
    since = f" since {fmt.timestamp(freshness.offline_since)}" if freshness.offline_since else ""
    return f"Showing the cache{since}; data from {fmt.ago(oldest, time.time())} ({fmt.timestamp(oldest)})."


def print_note(note: str | None) -> None:
    if note:
        err_console.print(f"[yellow]{note}[/]", soft_wrap=True)


# -- output --------------------------------------------------------------------------------


def to_jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: to_jsonable(v) for k, v in asdict(value).items() if k != "raw"}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def print_json(value: Any) -> None:
    click.echo(json.dumps(to_jsonable(value), indent=2, default=str))


def parse_date(text: str | None) -> int | None:
    """YYYY-MM-DD (UTC) to a unix time, for --since/--until."""
    if text is None:
        return None
    try:
        return int(datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC).timestamp())
    except ValueError as exc:
        raise click.BadParameter(f"{text!r} is not a date like 2026-11-21") from exc


def confirm_or_abort(question: str, *, yes: bool) -> None:
    """Ask before a destructive action; --yes answers for scripts; no terminal means no."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise FinetopError(f"{question} Refusing without confirmation.", "Pass --yes to confirm from a script.")
    if not click.confirm(question, default=False):
        raise click.Abort()


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar fed by store's (stage, done, total) callbacks."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"{description}: {stage}", total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update
