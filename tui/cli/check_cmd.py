"""`finetop check`: check a fine-tuning file before upload, as the service would, and estimate its cost.

Exit status: 0 clean, 1 warnings only, 2 errors (or a file that cannot be read).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import click
from rich import box
from rich.console import Group
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table
from rich.text import Text

from store.dataset import METHODS, PreflightReport, check_file
from store.dataset.models import DEFAULT_MODEL
from store.dataset.report import plural
from store.errors import FinetopError
from tui import format as fmt
from tui.cli.common import console, err_console, report_error

EXIT_CLEAN, EXIT_WARNINGS, EXIT_ERRORS = 0, 1, 2
# Files smaller than this are checked before a progress bar would even draw.
PROGRESS_FROM_BYTES = 32 * 1024 * 1024
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow"}


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--model", "-m", default=DEFAULT_MODEL, show_default=True, help="The base model to train.")
@click.option(
    "--method", type=click.Choice(METHODS), default="supervised", show_default=True, help="The training method."
)
@click.option("--epochs", "n_epochs", type=click.IntRange(min=1), default=None, help="Epochs (default: auto).")
@click.option(
    "--validation",
    "validation_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Also check this validation file.",
)
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Price the training as on this UTC day (YYYY-MM-DD). Default: today.",
)
@click.option(
    "--details", type=click.IntRange(min=0), default=20, show_default=True, help="Problems listed one by one."
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (the whole report).")
def check(
    file: Path,
    model: str,
    method: str,
    n_epochs: int | None,
    validation_file: Path | None,
    on: datetime | None,
    details: int,
    as_json: bool,
) -> None:
    """Check FILE as the fine-tuning service would, count its tokens and estimate the training cost.

    Every problem is reported with its line (and message) number; errors are what the
    service would reject, warnings what it accepts but you probably do not want. Token
    counts use the base model's own encoding and are estimates.

    Exit status: 0 clean, 1 warnings only, 2 errors.
    """
    day = on.date() if on else None
    try:
        reports = {
            "training": preflight(
                file, model=model, method=method, n_epochs=n_epochs, role="training", on=day, quiet=as_json
            )
        }
        if validation_file is not None:
            reports["validation"] = preflight(
                validation_file, model=model, method=method, role="validation", on=day, quiet=as_json
            )
    except FinetopError as error:  # DatasetUnreadable, EncodingUnavailable
        report_error(error)
        raise click.exceptions.Exit(EXIT_ERRORS) from None
    code = max(report.exit_code for report in reports.values())
    if as_json:
        data = {
            "exit_code": code,
            "training": reports["training"].to_dict(),
            "validation": reports["validation"].to_dict() if "validation" in reports else None,
        }
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        for role, report in reports.items():
            # The counting method is the same for both files: say it once.
            print_report(report, details=details, method=role == "training")
    raise click.exceptions.Exit(code)


def preflight(
    path: Path,
    *,
    model: str,
    method: str,
    role: str,
    n_epochs: int | None = None,
    on: date | None = None,
    quiet: bool = False,
) -> PreflightReport:
    """check_file with a progress bar for big files on a terminal (check, upload and create use it);
    DatasetUnreadable and EncodingUnavailable go up to the caller."""
    size = path.stat().st_size if path.is_file() else 0
    if quiet or size < PROGRESS_FROM_BYTES or not err_console.is_terminal:
        return check_file(path, model=model, method=method, n_epochs=n_epochs, role=role, on=on)  # type: ignore[arg-type]
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task(f"checking {path.name}", total=size)
        return check_file(
            path,
            model=model,
            method=method,
            n_epochs=n_epochs,
            role=role,  # type: ignore[arg-type]
            on=on,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )


# --- the report for people ----------------------------------------------------------------


def print_report(report: PreflightReport, *, details: int = 20, method: bool = True) -> None:
    console.print(render_report(report, details=details, method=method))
    console.print()


def render_report(report: PreflightReport, *, details: int = 20, method: bool = True) -> Group:
    """The whole report: summary first, then problems by kind, the first problems, tokens, epochs, cost."""
    parts: list = [_heading(report), _verdict(report)]
    if report.groups:
        parts += [Text(), _groups_table(report)]
    if details and any(problem.line is not None for problem in report.problems):
        parts += [Text(), _details(report, details)]
    parts += [Text(), _tokens(report), Text(), _training(report)]
    if method or report.notes:
        parts += [Text(), _method(report, method)]
    return Group(*parts)


def _heading(report: PreflightReport) -> Text:
    text = Text()
    text.append(f"{report.role.capitalize()} file ", style="bold")
    text.append(report.path, style="bold cyan")
    text.append(
        f"  {fmt.human_size(report.size_bytes)}, {plural(report.examples, 'example')}\n"
        f"model {report.resolved_model}"
        + (f" (given as {report.model})" if report.model != report.resolved_model else "")
        + f" · method {report.method}"
        + (f" · encoding {report.tokens.encoding}" if report.tokens else "")
    )
    return text


def _verdict(report: PreflightReport) -> Text:
    if report.error_count:
        mark, style = "✗ ", "bold red"
    elif report.warning_count:
        mark, style = "! ", "bold yellow"
    else:
        mark, style = "✓ ", "bold green"
    text = Text(mark + report.verdict(), style=style)
    if report.error_count and report.warning_count:
        text.append(f" ({plural(report.warning_count, 'warning')} too)", style="yellow")
    return text


def _groups_table(report: PreflightReport) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, title_justify="left")
    table.add_column("severity")
    table.add_column("problem")
    table.add_column("count", justify="right")
    table.add_column("first lines")
    table.add_column("for example", overflow="fold", ratio=1)
    for group in report.groups:
        lines = ", ".join(str(n) for n in group.first_lines) or "file"
        if group.count > len(group.first_lines) and group.first_lines:
            lines += ", …"
        table.add_row(
            Text(group.severity, style=SEVERITY_STYLE[group.severity]),
            group.title,
            f"{group.count:,}",
            lines,
            escape(group.example),
        )
    return table


def _details(report: PreflightReport, limit: int) -> Group:
    # File-level problems are fully described in the table above; list the ones with a line.
    located = [problem for problem in report.problems if problem.line is not None]
    shown = located[:limit]
    lines = [Text("First problems", style="bold")]
    for problem in shown:
        line = Text("  ")
        line.append(f"{problem.severity:<7} ", style=SEVERITY_STYLE[problem.severity])
        line.append(f"{problem.where()}: ", style="bold")
        line.append(problem.message)
        lines.append(line)
    hidden = len(located) - len(shown) + report.problems_not_listed
    if hidden:
        lines.append(Text(f"  … and {hidden:,} more (all counted above; --details N or --json for more)", style="dim"))
    return Group(*lines)


def _tokens(report: PreflightReport) -> Group:
    stats = report.tokens
    title = Text("Tokens per example ", style="bold")
    if stats is None:
        return Group(title + Text("(nothing to count)", style="dim"))
    title.append(f"(estimate, {stats.encoding})", style="dim")
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for name in ("examples", "min", "p5", "median", "mean", "p95", "max", "total"):
        table.add_column(name, justify="right")
    table.add_row(
        f"{stats.examples:,}",
        f"{stats.minimum:,}",
        f"{stats.p5:,.0f}",
        f"{stats.median:,.0f}",
        f"{stats.mean:,.1f}",
        f"{stats.p95:,.0f}",
        f"{stats.maximum:,}",
        f"{stats.total:,}",
    )
    lines = [title, table]
    if stats.token_limit:
        lines.append(
            Text(f"  limit per example: {stats.token_limit:,}; over the limit (truncated): {stats.over_limit:,}")
        )
    else:
        lines.append(Text("  limit per example: unknown, so truncation was not checked"))
    extras = []
    if stats.tool_definition_tokens:
        extras.append(f"tool definitions {stats.tool_definition_tokens:,} tokens")
    if stats.images:
        extras.append(f"{plural(stats.images, 'image')}, {stats.image_tokens:,} tokens")
    if report.missing_system:
        extras.append(f"{plural(report.missing_system, 'example')} without a system message")
    if report.missing_user:
        extras.append(f"{report.missing_user:,} without a user message")
    if extras:
        lines.append(Text("  " + "; ".join(extras)))
    return Group(*lines)


def _training(report: PreflightReport) -> Group:
    lines = []
    if report.epochs is not None:
        lines.append(Text.assemble(("Epochs: ", "bold"), f"{report.epochs} ({report.epochs_reason})"))
    if report.tokens is not None and report.billed_tokens is not None:
        lines.append(
            Text.assemble(
                ("Billed tokens: ", "bold"),
                f"≈{report.billed_tokens:,} ({report.tokens.billed_per_epoch:,} per epoch, each example capped "
                f"at the limit, x {report.epochs} epochs) ",
                ("estimate", "italic yellow"),
            )
        )
    cost = report.cost
    if cost is not None and cost.amount is not None:
        line = Text.assemble(("Estimated cost: ", "bold"), (cost.label(), "bold"), f"  {cost.formula()} ")
        line.append("estimate", style="italic yellow")
        lines.append(line)
        row = cost.row
        lines.append(
            Text(
                f"  price row: {row.model} {row.kind} {fmt.money(row.usd)} {row.unit_label} from "
                f"{row.effective_from.isoformat()} ({row.origin}); {row.source}",
                style="dim",
            )
        )
    else:
        lines.append(Text.assemble(("Cost: ", "bold"), report.cost_note))
    lines.append(Text.assemble(("Upload: ", "bold"), report.upload.text))
    return Group(*lines)


def _method(report: PreflightReport, method: bool) -> Group:
    lines = [Text.assemble(("How tokens were counted: ", "bold"), (report.counting_method, "dim"))] if method else []
    lines += [Text(f"Note: {note}", style="dim") for note in report.notes]
    return Group(*lines)
