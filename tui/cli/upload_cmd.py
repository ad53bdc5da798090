"""`finetop upload FILE`: preflight first, then the upload with a progress bar; resumable, Ctrl-C cancels it.

Exit status: 0 uploaded, 1 failed, 2 refused (preflight errors without --force), 130 cancelled.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich import box
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from store.dataset import METHODS, PreflightReport
from store.dataset.report import plural
from store.types import RemoteFile
from store.upload import PARALLEL, PART_SIZE, SINGLE_REQUEST_LIMIT, UploadCancelled, UploadProgress
from tui import format as fmt
from tui.cli.check_cmd import DEFAULT_MODEL, SEVERITY_STYLE, preflight
from tui.cli.common import console, err_console, print_json, state

EXIT_REFUSED = 2
EXIT_CANCELLED = 130
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """ "64MiB", "256KB", "1048576" -> bytes (KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024)."""
    match = _SIZE.match(text)
    if not match:
        raise click.BadParameter(f"{text!r} is not a size like 64MiB or 256KB")
    unit = (match.group(2) or "").lower()
    scale = 1
    if unit and unit != "b":
        scale = (1024 if "i" in unit else 1000) ** ("kmg".index(unit[0]) + 1)
    return int(float(match.group(1)) * scale)


class SizeType(click.ParamType):
    name = "SIZE"

    def convert(self, value, param, ctx) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_size(value)
        except click.BadParameter as error:
            self.fail(error.message, param, ctx)


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--purpose", default="fine-tune", show_default=True, help="The file's purpose.")
@click.option("--force", is_flag=True, help="Upload even when preflight finds errors.")
@click.option("-m", "--model", default=DEFAULT_MODEL, show_default=True, help="The base model to check the file for.")
@click.option(
    "--method", type=click.Choice(METHODS), default="supervised", show_default=True, help="The method to check for."
)
@click.option("--parallel", type=click.IntRange(1, 16), default=PARALLEL, show_default=True, help="Parts sent at once.")
@click.option(
    "--part-size",
    type=SizeType(),
    default=PART_SIZE,
    help="Part size for files over 512 MB (default 64MiB, the most the service takes).",
)
@click.option("--single-request-limit", type=SizeType(), default=SINGLE_REQUEST_LIMIT, hidden=True)
@click.option("--json", "as_json", is_flag=True, help="Print the uploaded file as JSON.")
def upload(
    file: Path,
    purpose: str,
    force: bool,
    model: str,
    method: str,
    parallel: int,
    part_size: int,
    single_request_limit: int,
    as_json: bool,
) -> None:
    """Upload FILE for fine-tuning, after checking it as the service would.

    Files over 512 MB go through the Uploads API in parts, several at once; if the upload
    is interrupted, run the same command again: parts already sent are not sent again.
    Ctrl-C cancels the upload (on the server too).
    """
    if state().offline:
        raise click.ClickException("Cannot upload while offline.")
    if purpose == "fine-tune":
        report = preflight(file, model=model, method=method, role="training")
        print_preflight(report)
        refuse_on_errors(report, force=force, what="upload")
    remote = upload_with_progress(
        file, purpose=purpose, parallel=parallel, part_size=part_size, single_request_limit=single_request_limit
    )
    if as_json:
        print_json(remote)


# --- shared with `finetop create` ------------------------------------------------------------


def print_preflight(report: PreflightReport, *, name: str | None = None) -> None:
    """The verdict and the problems by kind, compactly (the whole report is `finetop check`)."""
    heading = Text.assemble(
        ("Checked ", "bold"),
        (name or Path(report.path).name, "bold cyan"),
        f"  {fmt.human_size(report.size_bytes)}, {plural(report.examples, 'example')}, "
        f"for {report.resolved_model} ({report.method}, {report.role})",
    )
    if report.error_count:
        verdict = Text("✗ " + report.verdict(), style="bold red")
    elif report.warning_count:
        verdict = Text("! " + report.verdict(), style="bold yellow")
    else:
        verdict = Text("✓ " + report.verdict(), style="bold green")
    console.print(heading, soft_wrap=True)
    console.print(verdict)
    if report.groups:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for column in ("severity", "problem", "count", "first lines", "for example"):
            table.add_column(column, justify="right" if column == "count" else "left", overflow="fold")
        for group in report.groups:
            lines = ", ".join(str(n) for n in group.first_lines) or "file"
            table.add_row(
                Text(group.severity, style=SEVERITY_STYLE[group.severity]),
                group.title,
                f"{group.count:,}",
                lines + (", …" if group.count > len(group.first_lines) and group.first_lines else ""),
                escape(group.example),
            )
        console.print(table)


def refuse_on_errors(report: PreflightReport, *, force: bool, what: str) -> None:
    if report.error_count and not force:
        err_console.print(
            f"[bold red]Not uploaded:[/] the service would reject this {report.role} file "
            f"({plural(report.error_count, 'error')}). See every problem with `finetop check {report.path}`; "
            f"pass --force to {what} anyway.",
            soft_wrap=True,
        )
        raise SystemExit(EXIT_REFUSED)
    if report.error_count:
        err_console.print(f"[yellow]--force: {what} despite {plural(report.error_count, 'error')}.[/]")


@contextmanager
def _bar(name: str) -> Iterator[Callable[[UploadProgress], None]]:
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=False) as bar:
        task = None
        notices: set[str] = set()

        def update(progress: UploadProgress) -> None:
            nonlocal task
            if progress.notice and progress.notice not in notices:
                notices.add(progress.notice)
                bar.console.print(f"[yellow]{escape(progress.notice)}[/]", soft_wrap=True)
            if task is None:
                task = bar.add_task(f"uploading {name}", total=progress.total, completed=progress.skipped_bytes)
            stage = {"sending": "uploading", "done": "uploaded"}.get(progress.stage, progress.stage)
            description = f"{stage} {name}"
            bar.update(task, completed=progress.sent, total=progress.total, description=description)

        updates: list[UploadProgress] = []

        def record(progress: UploadProgress) -> None:
            updates.append(progress)
            update(progress)

        record.updates = updates  # type: ignore[attr-defined]
        yield record


def upload_with_progress(
    path: Path,
    *,
    purpose: str = "fine-tune",
    parallel: int = PARALLEL,
    part_size: int = PART_SIZE,
    single_request_limit: int = SINGLE_REQUEST_LIMIT,
) -> RemoteFile:
    """Upload through the profile's backend with a progress bar; says what was resumed; Ctrl-C cancels."""
    backend = state().backend()
    try:
        with _bar(path.name) as record:
            remote = backend.upload_file(
                path,
                purpose=purpose,
                progress=record,
                parallel=parallel,
                part_size=part_size,
                single_request_limit=single_request_limit,
            )
    except UploadCancelled as cancelled:
        err_console.print(f"[yellow]{escape(cancelled.message)}[/]", soft_wrap=True)
        raise SystemExit(EXIT_CANCELLED) from None
    last: UploadProgress | None = record.updates[-1] if record.updates else None  # type: ignore[attr-defined]
    details = [fmt.human_size(remote.bytes)]
    if last is not None and last.route == "uploads":
        details.append(f"{last.parts_total} parts")
        if last.skipped_parts:
            details.append(f"{last.skipped_parts} of them sent before the interruption and skipped")
        if last.rate:
            details.append(f"{fmt.human_size(int(last.rate))}/s")
    console.print(
        Text.assemble("Uploaded ", (path.name, "bold"), " as ", (remote.id, "bold"), f" ({', '.join(details)})"),
        soft_wrap=True,
    )
    return remote
