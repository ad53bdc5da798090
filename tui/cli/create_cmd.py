"""`finetop create`: start a fine-tuning job from local files or file ids, or rerun an existing job's configuration.

A local path is checked first (preflight) and uploaded; the estimated cost is shown and
confirmed (unless --yes) before anything is uploaded or created. With --follow the new job's
events are printed until it ends, like `finetop events --follow`.

Exit status: 0 created (with --follow: succeeded), 1 refused or failed to start, 2 bad
options or preflight errors without --force, 3 failed, 4 cancelled (with --follow), 130
upload cancelled.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from store.dataset import METHODS, PreflightReport
from store.errors import ApiError, FinetopError, NotCachedError
from store.newjob import (
    RANGES,
    CostEstimate,
    InvalidJobOption,
    JobOptions,
    build_request,
    estimate_from_report,
    explain_refusal,
    options_from_job,
    parse_metadata,
    problems,
    trainable_models,
    wait_until_processed,
)
from store.pricing import base_model_of
from store.types import Job
from store.upload import PARALLEL
from tui import format as fmt
from tui.cli.check_cmd import preflight
from tui.cli.common import EXIT_ERROR, EXIT_USAGE, confirm_or_abort, console, err_console, report_error, state
from tui.cli.jobs_cmd import _print_events, follow_job
from tui.cli.upload_cmd import print_preflight, refuse_on_errors, upload_with_progress


@dataclass
class FileChoice:
    """A training or validation file as given: a local path (checked, then uploaded) or a file id."""

    given: str
    path: Path | None
    file_id: str | None
    report: PreflightReport | None = None


@click.command()
@click.option("-m", "--model", metavar="MODEL", help="The base model, e.g. gpt-4.1-mini (with --rerun: the job's).")
@click.option(
    "-t", "--training-file", "training", metavar="FILE_OR_ID", help="A local .jsonl file (uploaded) or a file id."
)
@click.option("-v", "--validation-file", "validation", metavar="FILE_OR_ID", help="Optional, like --training-file.")
@click.option("--method", type=click.Choice(METHODS), help="Training method (default supervised, or the job's).")
@click.option("--epochs", metavar="N|auto", help=f"Epochs, {RANGES['n_epochs'].describe()} (default auto).")
@click.option("--batch-size", metavar="N|auto", help=f"Batch size, {RANGES['batch_size'].describe()}.")
@click.option(
    "--lr-multiplier",
    metavar="X|auto",
    help=f"Learning rate multiplier, {RANGES['learning_rate_multiplier'].describe()}.",
)
@click.option("--beta", metavar="X|auto", help=f"DPO beta, {RANGES['beta'].describe()}.")
@click.option("--suffix", metavar="S", help="Up to 64 of A-Z a-z 0-9 - _, part of the model's name.")
@click.option("--seed", metavar="N", help="Seed for reproducibility (0-2147483647).")
@click.option(
    "--metadata", "metadata", metavar="K=V", multiple=True, help="Metadata pair; repeat for more (16 at most)."
)
@click.option("--grader", metavar="JSON|@FILE", help="Reinforcement only: the grader object.")
@click.option("--rerun", "rerun_id", metavar="JOB_ID", help="Start from this job's configuration; options change it.")
@click.option("--force", is_flag=True, help="Upload and create even when preflight finds errors.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("-f", "--follow", is_flag=True, help="Print the job's events until it ends; exit status says how.")
@click.option(
    "--parallel", type=click.IntRange(1, 16), default=PARALLEL, show_default=True, help="Upload parts at once."
)
def create(
    model: str | None,
    training: str | None,
    validation: str | None,
    method: str | None,
    epochs: str | None,
    batch_size: str | None,
    lr_multiplier: str | None,
    beta: str | None,
    suffix: str | None,
    seed: str | None,
    metadata: tuple[str, ...],
    grader: str | None,
    rerun_id: str | None,
    force: bool,
    yes: bool,
    follow: bool,
    parallel: int,
) -> None:
    """Start a fine-tuning job: check and upload local files, show the estimated cost, confirm, create.

    \b
    finetop create -m gpt-4.1-mini -t train.jsonl -v valid.jsonl --epochs 3 --suffix support
    finetop create --rerun ftjob-abc --suffix support-v2 --epochs auto
    """
    cli = state()
    if cli.offline:
        raise click.ClickException("Cannot create a job while offline.")
    backend = cli.backend()
    today = datetime.fromtimestamp(backend.now(), UTC).date()

    base = options_from_job(_job_to_rerun(rerun_id)) if rerun_id else None
    model = model or (base.model if base else None)
    training = training or (base.training_file if base else None)
    if not model or not training:
        raise click.UsageError("Give --model and --training-file (or --rerun JOB_ID).")
    if validation is None and base is not None:
        validation = base.validation_file
    method = method or (base.method if base else "supervised")

    hyperparameters: dict[str, Any] = dict(base.hyperparameters) if base else {}
    if base is not None and method != base.method:
        hyperparameters = {}
    given = {"n_epochs": epochs, "batch_size": batch_size, "learning_rate_multiplier": lr_multiplier, "beta": beta}
    for name, value in given.items():
        if value is not None:
            hyperparameters[name] = value
    settings = dict(base.method_settings) if base and method == base.method else {}
    if grader:
        settings["grader"] = _grader(grader)
    try:
        options = JobOptions(
            model=model,
            training_file=training,
            validation_file=validation or None,
            method=method,
            hyperparameters=hyperparameters,
            suffix=suffix if suffix is not None else (base.suffix if base else None),
            seed=seed if seed is not None else (base.seed if base else None),
            metadata=parse_metadata(metadata) if metadata else (dict(base.metadata) if base else {}),
            method_settings=settings,
        )
        found = problems(options)
    except InvalidJobOption as problem:
        found = [problem]
    if found:
        for problem in found:
            report_error(problem)
        raise SystemExit(EXIT_USAGE)

    if base_model_of(model) not in trainable_models(today):
        err_console.print(
            f"[yellow]{escape(model)} is not among the base models that can still be trained "
            f"({', '.join(trainable_models(today)) or 'none'}); the service will probably refuse.[/]",
            soft_wrap=True,
        )

    n_epochs = options.hyperparameters.get("n_epochs")
    fixed_epochs = int(n_epochs) if str(n_epochs or "").strip().isdigit() else None
    train = _file_choice(training, "training", model, method, fixed_epochs, today)
    valid = _file_choice(validation, "validation", model, method, None, today) if validation else None
    for choice in (train, valid):
        if choice is not None and choice.report is not None:
            print_preflight(choice.report, name=choice.given)
            refuse_on_errors(choice.report, force=force, what="upload and create")

    estimate = estimate_from_report(train.report) if train.report else None
    _print_summary(options, train, valid, estimate, rerun_id)
    confirm_or_abort(f"Create this job ({_cost_words(estimate)})?", yes=yes)

    for choice in (train, valid):
        if choice is not None and choice.file_id is None and choice.path is not None:
            remote = upload_with_progress(choice.path, parallel=parallel)
            choice.file_id = wait_until_processed(backend.api, remote).id
    request = build_request(
        dataclasses.replace(options, training_file=train.file_id, validation_file=valid.file_id if valid else None)
    )
    saved = estimate.to_save(method) if estimate is not None else None
    try:
        job = backend.create_job(request, estimate=saved)
    except ApiError as error:
        _report_refusal(error, today)
        raise SystemExit(EXIT_ERROR) from None

    created = Text.assemble("Created ", (job.id, "bold"), " (", fmt.status_text(job.status), f") on {job.model}.")
    if not follow:
        created.append(f"  Follow it: finetop events {job.id} --follow", style="dim")
    console.print(created, soft_wrap=True)
    if follow:
        shown = backend.cache.events(job.id, limit=None)
        _print_events(shown, False)
        raise SystemExit(follow_job(job, last_id=shown[-1].id if shown else None))


def _job_to_rerun(job_id: str) -> Job:
    backend = state().backend()
    try:
        target = backend.cache.find_job(job_id).id
    except NotCachedError:
        target = job_id  # not cached: let the API say whether it exists
    return backend.refresh_job(target)


def _grader(text: str) -> dict:
    source = text
    if text.startswith("@"):
        try:
            source = Path(text[1:]).expanduser().read_text(encoding="utf-8")
        except OSError as error:
            raise click.BadParameter(
                f"cannot read {text[1:]}: {error.strerror or error}", param_hint="--grader"
            ) from None
    try:
        value = json.loads(source)
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"not JSON ({error.msg} at column {error.colno})", param_hint="--grader") from None
    if not isinstance(value, dict):
        raise click.BadParameter("the grader must be a JSON object", param_hint="--grader")
    return value


def _file_choice(given: str, role: str, model: str, method: str, n_epochs: int | None, today) -> FileChoice:
    """A local path is checked now; a file id is checked from its archived contents when finetop has them."""
    path = Path(given).expanduser()
    if path.is_file():
        report = preflight(path, model=model, method=method, role=role, n_epochs=n_epochs, on=today)
        return FileChoice(given, path, None, report)
    if path.exists():
        raise click.BadParameter(f"{given} is a folder; give a .jsonl file.", param_hint=f"--{role}-file")
    if not given.startswith("file-"):
        raise click.BadParameter(f"no such file: {given} (and not a file id)", param_hint=f"--{role}-file")
    archived = state().backend().cache.content(given)
    report = None
    if archived is not None and archived.path.exists():
        try:
            report = preflight(archived.path, model=model, method=method, role=role, n_epochs=n_epochs, on=today)
        except FinetopError:
            report = None
    return FileChoice(given, None, given, report)


def _print_summary(
    options: JobOptions, train: FileChoice, valid: FileChoice | None, estimate: CostEstimate | None, rerun_id
) -> None:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    if rerun_id:
        grid.add_row("rerun of", rerun_id)
    grid.add_row("base model", options.model)
    grid.add_row("method", options.method)
    grid.add_row("training file", _file_words(train))
    grid.add_row("validation file", _file_words(valid) if valid else fmt.MISSING)
    for name in ("n_epochs", "batch_size", "learning_rate_multiplier", "beta"):
        if name in options.hyperparameters or (name != "beta" or options.method == "dpo"):
            grid.add_row(f"  {RANGES[name].label.lower()}", str(options.hyperparameters.get(name, "auto")))
    grid.add_row("suffix", options.suffix or fmt.MISSING)
    grid.add_row("seed", str(options.seed) if options.seed is not None else "chosen by the service")
    for key, value in sorted(options.metadata.items()):
        grid.add_row(f"metadata {key}", value)
    grid.add_row("estimated cost", _cost_text(estimate, train))
    console.print(Text("New fine-tuning job", style="bold"))
    console.print(grid)


def _file_words(choice: FileChoice) -> str:
    return f"{choice.given} (local: uploaded when you confirm)" if choice.path else choice.given


def _cost_text(estimate: CostEstimate | None, train: FileChoice) -> Text:
    if estimate is None:
        why = (
            "its contents are not archived here (`finetop archive --with-contents`)"
            if train.path is None
            else "no report"
        )
        return Text(f"cannot be estimated: {why}", style="yellow")
    text = Text(estimate.label(), style="bold" if estimate.cost and estimate.cost.amount is not None else "yellow")
    if estimate.tokens is not None:
        text.append(f"  ≈{estimate.tokens:,} billed tokens ({estimate.epochs} epochs)", style="dim")
    text.append(f"\n{estimate.note}", style="dim")
    cost = estimate.cost
    if cost is not None and cost.row is not None:
        row = cost.row
        text.append(
            f"\nprice row: {row.model} {row.kind} {fmt.money(row.usd)} {row.unit_label} from "
            f"{row.effective_from.isoformat()} ({row.origin})",
            style="dim",
        )
    return text


def _cost_words(estimate: CostEstimate | None) -> str:
    if estimate is None or estimate.cost is None or estimate.cost.amount is None:
        return "cost not estimated"
    return f"estimated {estimate.cost.label()}"


def _report_refusal(error: ApiError, today) -> None:
    explained = escape(explain_refusal(error, today=today))
    err_console.print(f"[bold red]The service refused to create the job:[/] {explained}", soft_wrap=True)
    details = error.details
    said = escape(error.message) + (f" ({details})" if details else "")
    err_console.print(f"  [dim]The service said: {said}[/]", soft_wrap=True)
