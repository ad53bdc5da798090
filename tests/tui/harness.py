"""Tiny apps around each widget, and fixed job data, for Pilot tests, snapshots and the widget bench."""

from __future__ import annotations

import math
from collections.abc import Iterable

from textual import on
from textual.app import App, ComposeResult

from store.errors import ApiError
from store.types import JobEvent, MetricSeries
from tui.widgets.confirm import ConfirmScreen
from tui.widgets.error import ErrorScreen
from tui.widgets.event_log import EventLog
from tui.widgets.loss_chart import LossChart

T0 = 1_762_250_400  # 2025-11-04 10:00:00 UTC: fixed, so pictures never depend on the clock
JOB = "ftjob-abc123def456ghi789jkl012"
MODEL = "ft:gpt-4o-mini-2024-07-18:acme:support:AbC12345"


def _event(n: int, created_at: int, message: str, *, level: str = "info", type: str = "message", data=None) -> JobEvent:
    return JobEvent(
        id=f"ftevent-{n:024d}",
        job_id=JOB,
        created_at=created_at,
        level=level,
        message=message,
        type=type,
        data=data,
    )


def train_loss(step: int, total: int) -> float:
    """A plausible, deterministic loss curve: decays, wobbles, one spike at 60% of the run."""
    base = 0.35 + 1.9 * math.exp(-6 * step / total)
    wobble = 0.12 * math.sin(step * 0.9) + 0.05 * math.sin(step * 0.13)
    spike = 1.1 if step == int(total * 0.6) else 0.0
    return round(max(0.02, base + wobble + spike), 4)


def supervised_events(
    total: int = 300, *, eval_every: int = 30, validation: bool = True, start: int = T0
) -> list[JobEvent]:
    """A successful supervised job's events, oldest first, one metrics event per step."""
    events = [
        _event(1, start, f"Created fine-tuning job: {JOB}"),
        _event(2, start + 1, "Validating training file: file-TrainAbc123 and validation file: file-ValidXyz789"),
        _event(3, start + 40, "Files validated, moving job to queued state"),
        _event(4, start + 95, "Fine-tuning job started"),
    ]
    n = 5
    t = start + 100
    for step in range(1, total + 1):
        loss = train_loss(step, total)
        data: dict = {
            "step": step,
            "total_steps": total,
            "train_loss": loss,
            "train_mean_token_accuracy": round(min(0.99, 0.55 + 0.4 * step / total), 4),
        }
        message = f"Step {step}/{total}: training loss={loss:.2f}"
        if validation and step % eval_every == 0:
            data["valid_loss"] = round(loss * 1.08 + 0.05, 4)
            data["valid_mean_token_accuracy"] = round(min(0.98, 0.5 + 0.4 * step / total), 4)
            message += f", validation loss={data['valid_loss']:.2f}"
        if validation and step == total:
            data["full_valid_loss"] = round(loss * 1.05 + 0.04, 4)
            data["full_valid_mean_token_accuracy"] = 0.874
            message += f", full validation loss={data['full_valid_loss']:.2f}"
        events.append(_event(n, t, message, type="metrics", data=data))
        n += 1
        t += 3
        if step == total // 3 or step == 2 * total // 3:
            events.append(_event(n, t, f"Checkpoint created at step {step} with Snapshot ID: {MODEL}:ckpt-step-{step}"))
            n += 1
    events.append(_event(n, t + 5, f"New fine-tuned model created: {MODEL}"))
    events.append(_event(n + 1, t + 8, "The job has successfully completed"))
    return events


def reinforcement_events(total: int = 20, *, start: int = T0) -> list[JobEvent]:
    """A reinforcement job's metrics events with the nested shape the API sends (scores, usage...)."""
    events = [_event(1, start, f"Created fine-tuning job: {JOB}"), _event(2, start + 60, "Fine-tuning job started")]
    for step in range(1, total + 1):
        reward = round(0.3 + 0.45 * (1 - math.exp(-step / 6)) + 0.04 * math.sin(step), 4)
        data: dict = {
            "step": step,
            "total_steps": total,
            "train_mean_reward": reward,
            "scores": {
                "graders": [{"name": "basic_model_grader", "type": "score_model", "train_reward_mean": reward}],
                "train_reward_mean": reward,
            },
            "usage": {"samples": {"train_reasoning_tokens_mean": 3300.0}},
            "reasoning_tokens_mean": 3330.0 - 40 * step,
            "completion_tokens_mean": 3376.0,
            "mean_unresponsive_rewards": 0.0,
        }
        message = f"Step {step}/{total} , train mean reward={reward:.2f}"
        if step % 5 == 0:
            valid = round(reward + 0.08, 4)
            data["full_valid_mean_reward"] = valid
            data["full_valid_mean_parse_error"] = 0.0
            data["scores"]["valid_reward_mean"] = valid
            data["scores"]["graders"][0]["valid_reward_mean"] = valid
            message += f", full validation mean reward={valid:.2f}, full validation mean parse error=0.00"
        events.append(_event(step + 2, start + 100 + 700 * step, message, type="metrics", data=data))
    return events


def mixed_events(start: int = T0) -> list[JobEvent]:
    """A short log with every level, a metrics line with validation, and an over-long error message."""
    events = supervised_events(12, eval_every=4, start=start)[:12]
    n = len(events) + 1
    t = events[-1].created_at
    events.append(_event(n, t + 10, "Usage policy check is taking longer than usual", level="warn"))
    events.append(
        _event(
            n + 1,
            t + 20,
            "The job failed due to an invalid training file. Invalid file format. Example 100, message 2 "
            "Discriminator 'role' is missing in value",
            level="error",
            data={"error_code": "invalid_training_file", "error_param": "training_file"},
        )
    )
    return events


def series(total: int = 300, *, validation: bool = True) -> MetricSeries:
    from store.metrics import series_from_events

    return series_from_events(supervised_events(total, validation=validation))


class ChartApp(App[None]):
    """A LossChart filling the screen."""

    def __init__(self, data: MetricSeries | None = None, *, show_accuracy: bool = False) -> None:
        super().__init__()
        self.theme = "textual-dark"
        self.data = data
        self.show_accuracy = show_accuracy

    def compose(self) -> ComposeResult:
        yield LossChart(self.data, show_accuracy=self.show_accuracy, id="chart")


class EventLogApp(App[None]):
    """An EventLog filling the screen that records its requests for older events."""

    def __init__(self, events: Iterable[JobEvent] = (), *, has_older: bool = False) -> None:
        super().__init__()
        self.theme = "textual-dark"
        self.initial = list(events)
        self.has_older = has_older
        self.older_requests: list[EventLog.OlderRequested] = []

    def compose(self) -> ComposeResult:
        yield EventLog(self.initial, utc=True, has_older=self.has_older, id="log")

    def on_mount(self) -> None:
        self.query_one(EventLog).focus()

    @on(EventLog.OlderRequested)
    def remember(self, message: EventLog.OlderRequested) -> None:
        self.older_requests.append(message)


class ConfirmApp(App[None]):
    """Opens a ConfirmScreen for cancelling a job and keeps its answer in `answer`."""

    def __init__(self) -> None:
        super().__init__()
        self.theme = "textual-dark"
        self.answer: bool | None = None

    def on_mount(self) -> None:
        self.push_screen(
            ConfirmScreen(
                f"Cancel job {JOB}?",
                f"Training stops now and {MODEL} is not created. Steps already trained are billed.",
                confirm_label="Cancel job",
                cancel_label="Keep running",
                warning="A cancelled job cannot be resumed.",
            ),
            self._answered,
        )

    def _answered(self, answer: bool | None) -> None:
        self.answer = answer


REQUEST_ID = "req_4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"


def auth_error() -> ApiError:
    return ApiError(
        kind="auth",
        message="Incorrect API key provided: sk-proj-"
        "abcdefghijklmnop1234. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        status=401,
        request_id=REQUEST_ID,
        code="invalid_api_key",
        error_type="invalid_request_error",
    )


class ErrorApp(App[None]):
    """Opens an ErrorScreen for `error`."""

    def __init__(self, error: BaseException | None = None) -> None:
        super().__init__()
        self.theme = "textual-dark"
        self.error = error or auth_error()

    def on_mount(self) -> None:
        self.push_screen(ErrorScreen(self.error))
