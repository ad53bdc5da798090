"""Checking a training or validation file before upload: one streaming pass, then epochs and cost.

The pass reads the file as bytes, line by line, and for each line: decodes UTF-8, parses
JSON, applies the method's rules, counts tokens with the base model's encoding, and looks
for an earlier identical line. Memory stays bounded whatever the file size: the line being
read, a histogram of token counts, a capped list of problems, and 18-36 bytes per distinct
example for the duplicate check (see duplicates.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from store import pricing
from store.dataset.counting import COUNTING_METHOD, ExampleCounter
from store.dataset.duplicates import DuplicateFinder
from store.dataset.lines import SNIFF_BYTES, read_lines, sniff_binary
from store.dataset.models import facts_for, resolved_name
from store.dataset.report import KINDS, PreflightReport, ProblemLog, TokenStats, UploadRoute, plural
from store.dataset.rules import RuleContext, check_example
from store.dataset.stats import Histogram
from store.errors import FinetopError
from store.tokens import DEFAULT_ENCODING, TokenCounter, encoding_name_for, load_encoding
from store.upload import MAX_UPLOAD_BYTES as UPLOADS_API_LIMIT
from store.upload import PART_SIZE as UPLOAD_PART_BYTES
from store.upload import SINGLE_REQUEST_LIMIT as FILES_API_LIMIT

METHODS = ("supervised", "dpo", "reinforcement")
ROLES = ("training", "validation")
MIN_TRAINING_EXAMPLES = 10
REINFORCEMENT_MAX_LINES = {"training": 50_000, "validation": 1_000}

# The auto epoch heuristic (OpenAI cookbook, "Chat_finetuning_data_prep").
TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25


class DatasetUnreadable(FinetopError):
    """The file to check is missing, a folder, or cannot be read."""


def epochs_for(n_examples: int) -> int:
    """The epochs the service picks for n_epochs=auto: 3, more for small files, fewer for huge ones."""
    return _auto_epochs(n_examples)[0]


def check_file(
    path: str | Path,
    *,
    model: str,
    method: str = "supervised",
    n_epochs: int | None = None,
    role: Literal["training", "validation"] = "training",
    on: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    prices: Any = None,
) -> PreflightReport:
    """Check a JSONL file as the fine-tuning service would, and estimate its tokens and training cost.

    `prices` is a store.pricing.PriceTable (loaded with the user's overrides when None);
    `on` is the UTC date whose prices apply (today when None). Raises DatasetUnreadable
    when the file cannot be opened and store.tokens.EncodingUnavailable when the model's
    encoding is neither cached nor downloadable.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if role not in ROLES:
        raise ValueError(f"role must be training or validation, not {role!r}")
    if n_epochs is not None and n_epochs < 1:
        raise ValueError("n_epochs must be at least 1")
    path = Path(path)
    on = on or pricing.today_utc()
    scan = _scan(path, model=model, method=method, role=role, progress=progress, validate=True)
    log = scan.log

    if scan.examples == 0 and not log.count("binary_file"):
        log.add("empty_file", None, f"the {role} file has no examples")
    elif role == "training" and 0 < scan.examples < MIN_TRAINING_EXAMPLES:
        log.add(
            "too_few_examples",
            None,
            f"the training file has {plural(scan.examples, 'example')}; the service requires at least "
            f"{MIN_TRAINING_EXAMPLES}",
        )
    if method == "reinforcement" and scan.examples > REINFORCEMENT_MAX_LINES[role]:
        log.add(
            "too_many_lines",
            None,
            f"{scan.examples:,} lines; a reinforcement {role} file may have at most {REINFORCEMENT_MAX_LINES[role]:,}",
        )

    epochs, epochs_reason = _epochs(scan.examples, n_epochs, role)
    billed_per_epoch = scan.tokens.billed_per_epoch if scan.tokens else 0
    billed = billed_per_epoch * epochs if epochs is not None and method != "reinforcement" else None
    cost, cost_note = _cost(scan, method, role, billed, on, prices)

    notes = list(scan.notes)
    if scan.duplicates.full:
        notes.append("More than 22 million distinct examples: later lines were not checked for duplicates.")
    return PreflightReport(
        path=str(path),
        size_bytes=scan.size,
        model=model,
        resolved_model=scan.resolved,
        method=method,
        role=role,
        lines=scan.lines,
        examples=scan.examples,
        valid_examples=scan.valid,
        problems=log.problems(),
        problems_not_listed=log.not_listed,
        groups=log.groups(),
        missing_system=scan.missing_system,
        missing_user=scan.missing_user,
        tokens=scan.tokens,
        epochs=epochs,
        epochs_reason=epochs_reason,
        billed_tokens=billed,
        cost=cost,
        cost_note=cost_note,
        upload=upload_route(scan.size),
        counting_method=COUNTING_METHOD.format(encoding=scan.encoding),
        notes=tuple(notes),
        checked_on=on,
    )


def estimate_trained_tokens(
    path: str | Path, model: str, method: str = "supervised", n_epochs: int | None = None
) -> int:
    """Billed tokens a training file will make (same counting as check_file, no format checks).

    For running jobs, whose trained_tokens is null until they succeed. Reinforcement is
    billed by the hour; for it this is only the prompt tokens x epochs.
    """
    scan = _scan(Path(path), model=model, method=method, role="training", progress=None, validate=False)
    epochs = n_epochs if n_epochs is not None else (epochs_for(scan.examples) if scan.examples else 0)
    return (scan.tokens.billed_per_epoch if scan.tokens else 0) * epochs


def upload_route(size: int) -> UploadRoute:
    """Which upload path a file of `size` bytes takes."""
    if size > UPLOADS_API_LIMIT:
        return UploadRoute("too_big", f"{_size_text(size)} is over the 8 GB upload limit: split the file")
    if size > FILES_API_LIMIT:
        parts = -(-size // UPLOAD_PART_BYTES)
        return UploadRoute(
            "uploads",
            f"over the Files API's 512 MB: finetop uploads it through the Uploads API in {parts} parts "
            "of up to 64 MB (fine up to 8 GB)",
        )
    return UploadRoute("files", "one request to the Files API (files up to 512 MB)")


# --- the pass -----------------------------------------------------------------------------


@dataclass
class _Scan:
    size: int
    resolved: str
    encoding: str
    log: ProblemLog
    duplicates: DuplicateFinder
    lines: int = 0
    examples: int = 0
    valid: int = 0
    missing_system: int = 0
    missing_user: int = 0
    tokens: TokenStats | None = None
    notes: tuple[str, ...] = ()


def _scan(
    path: Path,
    *,
    model: str,
    method: str,
    role: str,
    progress: Callable[[int, int], None] | None,
    validate: bool,
) -> _Scan:
    size = _file_size(path)
    facts = facts_for(model)
    encoding_name = encoding_name_for(model) or DEFAULT_ENCODING
    counter = ExampleCounter(
        TokenCounter(load_encoding(encoding_name)),
        method,
        facts.token_limit if facts else None,
        facts.data_shape if facts else "chat",
    )
    limit = counter.limit
    log = ProblemLog()
    scan = _Scan(size, resolved_name(model), encoding_name, log, DuplicateFinder())
    notes = _model_checks(model, method, facts, encoding_name, log) if validate else []
    if size > UPLOADS_API_LIMIT:
        log.add("file_too_big", None, upload_route(size).text)
    ctx = RuleContext(method=method, facts=facts, model=model)
    chat_shaped = counter.data_shape == "chat"
    histogram = Histogram()
    billed = images = image_tokens = tool_tokens = 0
    over_limit = 0
    first_seen = scan.duplicates.first_seen
    loads = json.loads
    error_kinds = {kind for kind, (severity, _) in KINDS.items() if severity == "error"}

    try:
        stream = path.open("rb")
    except OSError as error:
        raise DatasetUnreadable(f"Cannot read {path}: {error.strerror or error}.") from None
    with stream:
        head = stream.read(SNIFF_BYTES)
        stream.seek(0)
        binary = sniff_binary(head)
        if binary:
            log.add("binary_file", 1, binary)
            if progress is not None:
                progress(size, size)
            scan.notes = tuple(notes)
            return scan
        for raw in read_lines(stream, total_bytes=size, progress=progress):
            number, data = raw.number, raw.data
            scan.lines = number
            if number == 1 and data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
                if validate:
                    log.add("byte_order_mark", 1, "the file starts with a UTF-8 byte-order mark; remove it")
            if raw.too_long:
                scan.examples += 1
                log.add("line_too_long", number, f"{raw.length / 1024 / 1024:,.0f} MB on one line: skipped unread")
                continue
            if not data.strip():
                if validate:
                    log.add("blank_line", number, "blank line (remove it; every line should be one example)")
                continue
            scan.examples += 1
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as error:
                log.add(
                    "not_utf8",
                    number,
                    f"byte 0x{data[error.start]:02x} at column {error.start + 1} is not UTF-8; save the file as UTF-8",
                )
                continue
            try:
                example = loads(text)
            except json.JSONDecodeError as error:
                _json_problem(log, number, text, error, raw.terminated)
                continue
            if not isinstance(example, dict):
                kind = type(example).__name__.replace("NoneType", "null").replace("dict", "object")
                log.add("not_object", number, f"a JSON {kind}, not an object: each line must be one example {{...}}")
                continue

            if validate:
                issues, roles = check_example(example, ctx)
                has_error = False
                for kind, index, message in issues:
                    log.add(kind, number, message, index)
                    has_error = has_error or kind in error_kinds
                if not has_error:
                    scan.valid += 1
                if chat_shaped:
                    scan.missing_system += not roles & {"system", "developer"}
                    scan.missing_user += "user" not in roles
                earlier = first_seen(data, number)
                if earlier is not None:
                    log.add("duplicate", number, f"the same example as line {earlier}")

            counted = counter.count(example)
            histogram.add(counted.total)
            billed += counted.billed
            images += counted.images
            image_tokens += counted.image_tokens
            tool_tokens += counted.tool_definitions
            if limit is not None and counted.longest > limit:
                over_limit += 1
                if validate:
                    log.add(
                        "over_token_limit",
                        number,
                        f"about {counted.longest:,} tokens; {scan.resolved} trains on at most {limit:,} per "
                        "example, the rest is cut off",
                    )

    if histogram.n:
        scan.tokens = TokenStats(
            encoding=encoding_name,
            examples=histogram.n,
            total=histogram.total,
            minimum=histogram.minimum,
            maximum=histogram.maximum,
            mean=histogram.mean,
            median=histogram.percentile(50),
            p5=histogram.percentile(5),
            p95=histogram.percentile(95),
            token_limit=limit,
            over_limit=over_limit,
            billed_per_epoch=billed,
            images=images,
            image_tokens=image_tokens,
            tool_definition_tokens=tool_tokens,
        )
    scan.notes = tuple(notes)
    return scan


def _json_problem(log: ProblemLog, number: int, text: str, error: json.JSONDecodeError, terminated: bool) -> None:
    # The text stops inside a string, or right where more JSON was expected.
    cut_off = error.msg.startswith("Unterminated string") or error.pos >= len(text.rstrip()) - 1
    if not terminated and cut_off:
        log.add(
            "truncated_last_line",
            number,
            f"the last line stops in the middle of a JSON value ({error.msg}) and has no newline: "
            "the file looks truncated (an interrupted download or copy?)",
        )
        return
    hint = ""
    if number == 1 and text.strip() in ("{", "["):
        hint = "; the file looks like pretty-printed JSON or a JSON array, but JSONL needs one object per line"
    log.add("invalid_json", number, f"not valid JSON: {error.msg} at column {error.colno}{hint}")


def _model_checks(model: str, method: str, facts: Any, encoding_name: str, log: ProblemLog) -> list[str]:
    notes: list[str] = []
    if facts is None:
        log.add(
            "unknown_model",
            None,
            f"finetop does not know {model}: its per-example token limit is unknown, so truncation was not "
            f"checked; tokens are counted with {encoding_name}",
        )
        return notes
    if method not in facts.methods:
        allowed = " or ".join(sorted(facts.methods))
        log.add("method_not_supported", None, f"{facts.name} can be fine-tuned with {allowed}, not {method}")
    if facts.token_limit is None:
        notes.append(f"{facts.name} has no published per-example token limit: truncation was not checked.")
    if resolved_name(model) != model.strip() and not model.startswith("ft:"):
        notes.append(f"{model} is trained as the snapshot {facts.name}.")
    return notes


def _epochs(examples: int, n_epochs: int | None, role: str) -> tuple[int | None, str]:
    if role == "validation":
        return None, "validation files are not trained on"
    if n_epochs is not None:
        return n_epochs, f"{n_epochs} as given"
    if examples == 0:
        return None, "no examples"
    return _auto_epochs(examples)


def _auto_epochs(n: int) -> tuple[int, str]:
    if n < 1:
        raise ValueError("the epoch heuristic needs at least one example")
    if n * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        epochs = min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n)
        return epochs, (
            f"auto: {plural(n, 'example')} x {TARGET_EPOCHS} < {MIN_TARGET_EXAMPLES}, "
            f"so {MIN_TARGET_EXAMPLES} // {n:,} = {MIN_TARGET_EXAMPLES // n} epochs (at most {MAX_DEFAULT_EPOCHS})"
        )
    if n * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        epochs = max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n)
        return epochs, (
            f"auto: {plural(n, 'example')} x {TARGET_EPOCHS} > {MAX_TARGET_EXAMPLES:,}, "
            f"so {MAX_TARGET_EXAMPLES:,} // {n:,} = {MAX_TARGET_EXAMPLES // n} epochs (at least {MIN_DEFAULT_EPOCHS})"
        )
    return TARGET_EPOCHS, f"auto: {TARGET_EPOCHS} epochs for {plural(n, 'example')}"


def _cost(scan: _Scan, method: str, role: str, billed: int | None, on: date, prices: Any) -> tuple[Any, str]:
    """The estimated training cost (a pricing Cost) and a sentence about it."""
    if role == "validation":
        return None, "validation examples are not part of the training-cost estimate"
    try:
        table = prices if prices is not None else pricing.load_price_table()
    except FinetopError as error:
        return None, f"no cost estimate: {error}"
    if method == "reinforcement":
        row = table.lookup(scan.resolved, "training", on)
        price = (
            f" ({pricing.format_usd(row.usd)} {row.unit_label} for {row.model} from {row.effective_from})"
            if row is not None
            else ""
        )
        return None, (
            f"reinforcement fine-tuning is billed per hour of training{price}, not per token: its cost cannot "
            "be estimated from the file (grader tokens are billed on top)"
        )
    if billed is None:
        return None, "no examples to estimate from"
    cost = pricing.training_cost(table, scan.resolved, billed, on, estimate=True)
    if cost.amount is None:
        return cost, f"no estimate: {cost.note}"
    return cost, f"estimate: {cost.formula()}"


def _file_size(path: Path) -> int:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise DatasetUnreadable(f"No such file: {path}.") from None
    except OSError as error:
        raise DatasetUnreadable(f"Cannot read {path}: {error.strerror or error}.") from None
    if path.is_dir():
        raise DatasetUnreadable(f"{path} is a folder; give the path of a .jsonl file.")
    return info.st_size


def _size_text(size: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size:,} bytes"
