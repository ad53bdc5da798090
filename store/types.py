"""finetop's own records for what the fine-tuning API returns: plain dataclasses, no I/O.

store/api.py builds them from the SDK's objects, store/cache.py from rows; everything
above store/ (the TUI, the CLI, the spend ledger) sees only these. Each record keeps
`raw`, the object exactly as the API sent it, so nothing is lost where we do not model
a field yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Statuses after which a job never changes again. Anything else, including values we
# have never seen ("paused", "pausing", ...), is treated as still active.
TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})
KNOWN_STATUSES = (
    "validating_files",
    "queued",
    "running",
    "paused",
    "succeeded",
    "failed",
    "cancelled",
)
METHODS = ("supervised", "dpo", "reinforcement")


@dataclass(frozen=True, slots=True)
class JobError:
    code: str
    message: str
    param: str | None = None


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    status: str
    model: str
    created_at: int
    training_file: str
    fine_tuned_model: str | None = None
    finished_at: int | None = None
    trained_tokens: int | None = None
    validation_file: str | None = None
    method: str = "supervised"
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    suffix: str | None = None
    seed: int | None = None
    estimated_finish: int | None = None
    error: JobError | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    organization_id: str | None = None
    result_files: tuple[str, ...] = ()
    # Derived by the cache from the job's events, not sent by the API:
    started_at: int | None = None  # when training began ("Fine-tuning job started")
    step: int | None = None  # latest step reported by a metrics event
    total_steps: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def is_active(self) -> bool:
        return not self.is_terminal

    def expected_finish(self, now: float) -> int | None:
        """When a running job should end: the API's estimate, else the pace of its steps so far."""
        if self.status != "running":
            return None
        if self.estimated_finish:
            return self.estimated_finish
        if not (self.started_at and self.step and self.total_steps) or now <= self.started_at:
            return None
        per_step = (now - self.started_at) / self.step
        return int(now + per_step * max(0, self.total_steps - self.step))


@dataclass(frozen=True, slots=True)
class JobEvent:
    id: str
    job_id: str
    created_at: int
    level: str
    message: str
    type: str = "message"
    data: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    id: str
    job_id: str
    created_at: int
    step_number: int
    model: str  # fine_tuned_model_checkpoint
    metrics: dict[str, float] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class RemoteFile:
    id: str
    filename: str
    purpose: str
    bytes: int
    created_at: int
    status: str | None = None
    expires_at: int | None = None
    deleted_at: int | None = None  # when we noticed it was gone from the server
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Model:
    id: str
    created: int
    owned_by: str
    deleted_at: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_fine_tuned(self) -> bool:
        return self.id.startswith("ft:")

    @property
    def is_checkpoint(self) -> bool:
        return self.is_fine_tuned and ":ckpt-step-" in self.id


@dataclass(frozen=True, slots=True)
class UsageBucket:
    """Completions usage for one model in one time bucket (usage API, grouped by model)."""

    start_time: int
    end_time: int
    model: str
    input_tokens: int  # includes the cached ones, as the API reports them
    input_cached_tokens: int
    output_tokens: int
    num_model_requests: int
    batch: bool | None = None
    project_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class CostLine:
    """One line item of the costs API for one day. Amounts stay strings to keep them exact."""

    start_time: int
    end_time: int
    line_item: str | None
    amount: str
    currency: str = "usd"
    project_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


# The metric names we chart, as the API spells them in metrics events' `data`.
METRIC_NAMES = (
    "train_loss",
    "valid_loss",
    "full_valid_loss",
    "train_mean_token_accuracy",
    "valid_mean_token_accuracy",
    "full_valid_mean_token_accuracy",
    "train_mean_reward",
    "full_valid_mean_reward",
)


@dataclass(slots=True)
class MetricSeries:
    """A job's training metrics by step, column-wise so 100,000 steps stay cheap to load and chart.

    `values[name][i]` belongs to `steps[i]`; None where that step did not report the metric.
    """

    steps: list[int] = field(default_factory=list)
    values: dict[str, list[float | None]] = field(default_factory=dict)
    total_steps: int | None = None

    def __len__(self) -> int:
        return len(self.steps)

    def present(self) -> list[str]:
        """The metric names that have at least one value, in METRIC_NAMES order."""
        return [name for name in METRIC_NAMES if any(v is not None for v in self.values.get(name, ()))]
