"""The preflight report: problems (kind, severity, line), their grouped summary, token stats, epochs, cost.

Each kind of problem has one fixed severity, so the summary can group by kind: an error is
something the service would refuse (the job fails in validation), a warning is something
it accepts but you probably do not want (truncation, duplicates, legacy spellings).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

Severity = Literal["error", "warning"]

# kind -> (severity, what it means, in a few words). The order is the order of the summary.
KINDS: dict[str, tuple[Severity, str]] = {
    # the file as a whole
    "binary_file": ("error", "not a UTF-8 text file"),
    "file_too_big": ("error", "file over the 8 GB upload limit"),
    "empty_file": ("error", "no examples"),
    "too_few_examples": ("error", "fewer than 10 examples"),
    "too_many_lines": ("error", "more lines than the method allows"),
    "method_not_supported": ("error", "model cannot be trained with this method"),
    # one line
    "not_utf8": ("error", "bytes that are not UTF-8"),
    "truncated_last_line": ("error", "last line cut off (truncated file?)"),
    "invalid_json": ("error", "not valid JSON"),
    "not_object": ("error", "not a JSON object"),
    "line_too_long": ("error", "line too long to check"),
    "wrong_format": ("error", "wrong format for the method"),
    "unknown_role": ("error", "unknown role"),
    "unknown_key": ("error", "unknown key in a message"),
    "missing_assistant": ("error", "no assistant message"),
    "missing_content": ("error", "empty content without tool_calls"),
    "bad_weight": ("error", "weight not 0 or 1"),
    "image_in_assistant": ("error", "image outside a user message"),
    "too_many_images": ("error", "more than 10 images in an example"),
    "bad_image": ("error", "image the service cannot use"),
    "images_not_supported": ("error", "images for a text-only model"),
    "undefined_tool": ("error", "tool call without a matching tool definition"),
    # warnings
    "over_token_limit": ("warning", "longer than the model's limit (will be truncated)"),
    "duplicate": ("warning", "duplicate example"),
    "unknown_model": ("warning", "model unknown to finetop (limit not checked)"),
    "images_unverified": ("warning", "images for a model without documented vision fine-tuning"),
    "missing_user": ("warning", "no user message"),
    "empty_message": ("warning", "empty message"),
    "nothing_to_learn": ("warning", "every assistant message has weight 0"),
    "orphan_tool_result": ("warning", "tool result that answers no tool call"),
    "identical_outputs": ("warning", "preferred and non-preferred outputs are the same"),
    "prompt_ends_with_answer": ("warning", "prompt ends with an assistant message"),
    "extra_key": ("warning", "key outside the format"),
    "legacy_format": ("warning", "legacy spelling (still accepted)"),
    "blank_line": ("warning", "blank line"),
    "byte_order_mark": ("warning", "UTF-8 byte-order mark"),
}

# Line numbers kept per kind for the summary, and problems kept in full for the detailed list.
FIRST_LINES_PER_KIND = 5
MAX_LISTED_PROBLEMS = 1000


@dataclass(frozen=True, slots=True)
class Problem:
    severity: Severity
    kind: str
    line: int | None  # 1-based line of the file; None for the file as a whole
    message_index: int | None  # 1-based message number within the line, as the service prints it
    message: str

    def where(self) -> str:
        """ "line 12, message 3", "line 12", or "file"."""
        if self.line is None:
            return "file"
        if self.message_index is None:
            return f"line {self.line}"
        return f"line {self.line}, message {self.message_index}"


@dataclass(frozen=True, slots=True)
class ProblemGroup:
    kind: str
    severity: Severity
    title: str
    count: int
    first_lines: tuple[int, ...]  # the first few line numbers, ascending (empty for file-level problems)
    example: str  # the first problem's message, as a sample of the group


class ProblemLog:
    """Collects problems in bounded memory: every count is exact, the detailed list is capped."""

    def __init__(self, max_listed: int = MAX_LISTED_PROBLEMS) -> None:
        self._listed: list[Problem] = []
        self._max_listed = max_listed
        self._counts: dict[str, int] = {}
        self._first_lines: dict[str, list[int]] = {}
        self._examples: dict[str, str] = {}
        self.not_listed = 0

    def add(self, kind: str, line: int | None, message: str, message_index: int | None = None) -> None:
        severity = KINDS[kind][0]
        self._counts[kind] = self._counts.get(kind, 0) + 1
        if kind not in self._examples:
            self._examples[kind] = message
        lines = self._first_lines.setdefault(kind, [])
        if line is not None and len(lines) < FIRST_LINES_PER_KIND and line not in lines:
            lines.append(line)
        if len(self._listed) < self._max_listed:
            self._listed.append(Problem(severity, kind, line, message_index, message))
        else:
            self.not_listed += 1

    def count(self, kind: str) -> int:
        return self._counts.get(kind, 0)

    def problems(self) -> tuple[Problem, ...]:
        """Errors first, then warnings; by line within each (file-level problems first)."""
        return tuple(
            sorted(
                self._listed,
                key=lambda p: (p.severity != "error", p.line or 0, p.message_index or 0),
            )
        )

    def groups(self) -> tuple[ProblemGroup, ...]:
        order = list(KINDS)
        return tuple(
            ProblemGroup(
                kind=kind,
                severity=KINDS[kind][0],
                title=KINDS[kind][1],
                count=self._counts[kind],
                first_lines=tuple(sorted(self._first_lines.get(kind, ()))),
                example=self._examples[kind],
            )
            for kind in sorted(self._counts, key=lambda k: (KINDS[k][0] != "error", order.index(k)))
        )


@dataclass(frozen=True, slots=True)
class TokenStats:
    """Tokens per example, counted with the model's encoding (an estimate: see counting_method)."""

    encoding: str
    examples: int  # examples counted (every line that is a JSON object)
    total: int  # all their tokens, uncapped
    minimum: int
    maximum: int
    mean: float
    median: float
    p5: float
    p95: float
    token_limit: int | None  # per example; None = unknown for this model
    over_limit: int  # examples longer than the limit (truncated by the service)
    billed_per_epoch: int  # total with each example capped at the limit
    images: int  # images counted (their tokens are included above)
    image_tokens: int
    tool_definition_tokens: int  # part of the total that comes from `tools`/`functions`


@dataclass(frozen=True, slots=True)
class UploadRoute:
    route: Literal["files", "uploads", "too_big"]
    text: str


@dataclass(frozen=True)
class PreflightReport:
    path: str
    size_bytes: int
    model: str  # as given
    resolved_model: str  # the snapshot the service would train
    method: str
    role: Literal["training", "validation"]
    lines: int  # lines in the file, blank ones included
    examples: int  # lines the service would count as examples (non-blank)
    valid_examples: int  # examples without an error
    problems: tuple[Problem, ...]
    problems_not_listed: int  # beyond the detailed list's cap; every one is counted in `groups`
    groups: tuple[ProblemGroup, ...]
    missing_system: int  # examples without a system or developer message
    missing_user: int
    tokens: TokenStats | None  # None when nothing could be counted
    epochs: int | None
    epochs_reason: str
    billed_tokens: int | None  # billed_per_epoch x epochs (supervised, DPO training files)
    cost: Any  # store.pricing.Cost | None
    cost_note: str
    upload: UploadRoute
    counting_method: str
    notes: tuple[str, ...] = field(default=())
    checked_on: date | None = None

    @property
    def error_count(self) -> int:
        return sum(g.count for g in self.groups if g.severity == "error")

    @property
    def warning_count(self) -> int:
        return sum(g.count for g in self.groups if g.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when the service would accept the file (warnings allowed)."""
        return self.error_count == 0

    @property
    def exit_code(self) -> int:
        """0 clean, 1 warnings only, 2 errors."""
        if self.error_count:
            return 2
        return 1 if self.warning_count else 0

    def verdict(self) -> str:
        if self.error_count:
            return f"{plural(self.error_count, 'error')}: the service would reject this {self.role} file"
        if self.warning_count:
            return f"accepted with {plural(self.warning_count, 'warning')}"
        return "no problems found"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (Decimals as strings, dates as ISO text)."""
        data = {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}
        data["error_count"] = self.error_count
        data["warning_count"] = self.warning_count
        data["exit_code"] = self.exit_code
        data["verdict"] = self.verdict()
        return data

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


def plural(n: int, word: str) -> str:
    """ "1 example", "5 examples", "1,024 errors"."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _plain(value: Any) -> Any:
    """Turn report values (dataclasses, Decimals, dates, tuples) into JSON types."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        label = getattr(value, "label", None)
        if callable(label):  # pricing's Cost: also the amount as people read it
            data["label"] = label()
        return data
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return str(value)
