"""Metrics for charts: from events and result files to series, and downsampling that keeps spikes. No Textual."""

from __future__ import annotations

import base64
import math

import pytest

from store.metrics import (
    downsample,
    merge,
    metrics_from_event,
    metrics_from_message,
    parse_result_file,
    series_from_events,
)
from store.types import JobEvent, MetricSeries


def _event(n: int, data: dict | None, *, message: str = "", type: str = "metrics") -> JobEvent:
    return JobEvent(
        id=f"ftevent-{n:024d}",
        job_id="ftjob-1",
        created_at=1_700_000_000 + n,
        level="info",
        message=message,
        type=type,
        data=data,
    )


# The reinforcement metrics event OpenAI documents (trimmed of usage/errors/timing numbers we do not chart).
RFT_DATA = {
    "step": 10,
    "usage": {"graders": [{"name": "basic_model_grader", "train_prompt_tokens_mean": 241.0}], "samples": {}},
    "errors": {"graders": [{"name": "basic_model_grader", "train_other_error_mean": 0.0}]},
    "scores": {
        "graders": [
            {
                "name": "basic_model_grader",
                "type": "score_model",
                "train_reward_mean": 0.4471057884231537,
                "valid_reward_mean": 0.675,
            }
        ],
        "train_reward_mean": 0.4215686274509804,
        "valid_reward_mean": 0.675,
    },
    "timing": {"step": {"eval": 101.7, "full_iteration": 731.5}},
    "total_steps": 20,
    "train_mean_reward": 0.4215686274509804,
    "reasoning_tokens_mean": 3330.017964071856,
    "completion_tokens_mean": 3376.0019607843137,
    "full_valid_mean_reward": 0.675,
    "mean_unresponsive_rewards": 0.0,
    "full_valid_mean_parse_error": 0.0,
    "valid_reasoning_tokens_mean": 1948.9,
}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, {}),
        ({}, {}),
        (
            {"step": 5, "total_steps": 300, "train_loss": 0.22, "train_mean_token_accuracy": 0.9},
            {"step": 5.0, "total_steps": 300.0, "train_loss": 0.22, "train_mean_token_accuracy": 0.9},
        ),
        (
            {
                "step": 300,
                "total_steps": 300,
                "train_loss": 0.001,
                "valid_loss": 0.002,
                "full_valid_loss": 0.05,
                "train_mean_token_accuracy": 1.0,
                "valid_mean_token_accuracy": 1,
                "full_valid_mean_token_accuracy": 0.99,
            },
            {
                "step": 300.0,
                "total_steps": 300.0,
                "train_loss": 0.001,
                "valid_loss": 0.002,
                "full_valid_loss": 0.05,
                "train_mean_token_accuracy": 1.0,
                "valid_mean_token_accuracy": 1.0,
                "full_valid_mean_token_accuracy": 0.99,
            },
        ),
        # Junk is dropped rather than charted or crashed on.
        (
            {"step": 1, "train_loss": "0.3", "valid_loss": float("nan"), "train_mean_token_accuracy": True},
            {"step": 1.0},
        ),
    ],
)
def test_metrics_from_supervised_events(data, expected):
    assert metrics_from_event(data) == expected


def test_metrics_from_a_reinforcement_event_take_rewards_and_per_grader_scores():
    metrics = metrics_from_event(RFT_DATA)
    assert metrics["step"] == 10
    assert metrics["total_steps"] == 20
    assert metrics["train_mean_reward"] == pytest.approx(0.42157, abs=1e-5)
    assert metrics["full_valid_mean_reward"] == 0.675
    assert metrics["reward/basic_model_grader/train"] == pytest.approx(0.4471, abs=1e-4)
    assert metrics["reward/basic_model_grader/valid"] == 0.675
    assert metrics["reasoning_tokens_mean"] == pytest.approx(3330.02, abs=0.01)
    assert metrics["full_valid_mean_parse_error"] == 0.0
    assert "timing" not in metrics and "usage" not in metrics


def test_reward_falls_back_to_scores_when_the_flat_fields_are_missing():
    data = {"step": 3, "scores": {"train_reward_mean": 0.5, "valid_reward_mean": 0.6}}
    assert metrics_from_event(data) == {"step": 3.0, "train_mean_reward": 0.5, "full_valid_mean_reward": 0.6}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Step 5/300: training loss=0.22", {"step": 5.0, "total_steps": 300.0, "train_loss": 0.22}),
        (
            "Step 300/300: training loss=0.00, validation loss=0.01, full validation loss=0.05",
            {"step": 300.0, "total_steps": 300.0, "train_loss": 0.0, "valid_loss": 0.01, "full_valid_loss": 0.05},
        ),
        (
            "Step 10/20 , train mean reward=0.42, full validation mean reward=0.68, "
            "full validation mean parse error=0.00",
            {"step": 10.0, "total_steps": 20.0, "train_mean_reward": 0.42, "full_valid_mean_reward": 0.68},
        ),
        ("Fine-tuning job started", {}),
        ("Step up your game", {}),
    ],
)
def test_metrics_from_message(message, expected):
    assert metrics_from_message(message) == expected


def test_series_from_events_in_api_order_comes_out_by_step():
    events = [
        _event(1, None, message="Fine-tuning job started", type="message"),
        *[_event(i + 1, {"step": i, "total_steps": 3, "train_loss": 1.0 / i}) for i in (1, 2, 3)],
    ]
    newest_first = list(reversed(events))
    series = series_from_events(newest_first)
    assert series.steps == [1, 2, 3]
    assert series.values["train_loss"] == [1.0, 0.5, pytest.approx(1 / 3)]
    assert series.total_steps == 3
    assert series.present() == ["train_loss"]


def test_series_keeps_sparse_validation_as_none():
    events = [
        _event(i, {"step": i, "total_steps": 4, "train_loss": 1.0, **({"valid_loss": 2.0} if i % 2 == 0 else {})})
        for i in (1, 2, 3, 4)
    ]
    series = series_from_events(events)
    assert series.values["valid_loss"] == [None, 2.0, None, 2.0]
    assert "full_valid_loss" not in series.values


def test_series_merges_a_step_reported_twice_later_one_winning():
    events = [
        _event(1, {"step": 1, "train_loss": 1.0}),
        _event(2, {"step": 2, "train_loss": 0.9}),
        _event(3, {"step": 1, "train_loss": 0.8, "valid_loss": 1.1}),
    ]
    series = series_from_events(events)
    assert series.steps == [1, 2]
    assert series.values["train_loss"] == [0.8, 0.9]
    assert series.values["valid_loss"] == [1.1, None]


def test_series_coerces_odd_values_without_losing_good_ones():
    events = [
        _event(1, {"step": 1, "train_loss": 1}),  # an integer loss is still a loss
        _event(2, {"step": 2.0, "train_loss": float("inf")}),
        _event(3, {"step": "3", "train_loss": 0.5}),  # a step that is not a number cannot be placed
        _event(4, {"step": 4, "train_loss": "oops"}),
    ]
    series = series_from_events(events)
    assert series.steps == [1, 2, 4]
    assert series.values["train_loss"] == [1.0, None, None]


def test_series_from_old_events_without_data_reads_their_messages():
    events = [_event(i, None, message=f"Step {i}/3: training loss={2.0 / i:.2f}") for i in (1, 2, 3)]
    series = series_from_events(events)
    assert series.steps == [1, 2, 3]
    assert series.values["train_loss"] == [2.0, 1.0, 0.67]


def test_series_from_reinforcement_events():
    events = [_event(i, {**RFT_DATA, "step": i, "train_mean_reward": i / 10}) for i in range(1, 6)]
    series = series_from_events(events)
    assert series.steps == [1, 2, 3, 4, 5]
    assert series.values["train_mean_reward"] == [0.1, 0.2, 0.3, 0.4, 0.5]
    assert series.present() == ["train_mean_reward", "full_valid_mean_reward"]
    assert series.values["reward/basic_model_grader/valid"] == [0.675] * 5


def test_series_from_no_metrics_is_empty():
    assert len(series_from_events([_event(1, None, message="Created fine-tuning job", type="message")])) == 0


RESULT_CSV = (
    "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n"
    "1,1.52347,0.0,,\n"
    "2,0.57719,0.0,,\n"
    "3,3.63525,0.0,,\n"
    "4,1.72257,0.0,2.03011,0.5\n"
)


@pytest.mark.parametrize(
    "content",
    [
        RESULT_CSV.encode(),
        base64.b64encode(RESULT_CSV.encode()),
        # Line-wrapped base64, and a byte-order mark on the plain file.
        b"\n".join(base64.b64encode(RESULT_CSV.encode())[i : i + 40] for i in range(0, 200, 40)),
        b"\xef\xbb\xbf" + RESULT_CSV.encode(),
    ],
    ids=["plain", "base64", "wrapped-base64", "bom"],
)
def test_parse_result_file_plain_or_base64(content):
    series = parse_result_file(content)
    assert series.steps == [1, 2, 3, 4]
    assert series.values["train_loss"] == [1.52347, 0.57719, 3.63525, 1.72257]
    assert series.values["train_mean_token_accuracy"] == [0.0, 0.0, 0.0, 0.0]  # renamed to our metric name
    assert series.values["valid_loss"] == [None, None, None, 2.03011]
    assert series.values["valid_mean_token_accuracy"] == [None, None, None, 0.5]
    assert series.total_steps == 4


def test_parse_result_file_without_validation_leaves_those_columns_out():
    series = parse_result_file(b"step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n1,0.5,0.9,,\n")
    assert series.present() == ["train_loss", "train_mean_token_accuracy"]


def test_parse_result_file_refuses_something_else():
    with pytest.raises(ValueError, match="result file"):
        parse_result_file(b'{"messages": []}\n')
    assert len(parse_result_file(b"")) == 0


def _big_series(n: int) -> MetricSeries:
    loss = [2.0 * math.exp(-i / (n / 5)) + 0.05 * math.sin(i) for i in range(n)]
    loss[n // 2 + 17] = 9.5  # one spike a user must see
    loss[n // 3] = -1.0  # and one dip
    valid = [loss[i] + 0.1 if i % 100 == 0 else None for i in range(n)]
    full = [None] * n
    full[-1] = 0.4
    return MetricSeries(
        steps=list(range(1, n + 1)),
        values={"train_loss": loss, "valid_loss": valid, "full_valid_loss": full},
        total_steps=n,
    )


def test_downsample_keeps_spikes_ends_and_the_final_marker():
    series = _big_series(100_000)
    small = downsample(series, 200)
    loss = [v for v in small.values["train_loss"] if v is not None]
    assert len(small) <= 200 * 2 * 3 + 2
    assert max(loss) == 9.5
    assert min(loss) == -1.0
    assert small.steps[0] == 1 and small.steps[-1] == 100_000
    assert small.values["full_valid_loss"][-1] == 0.4
    assert small.steps == sorted(small.steps)
    # A subset of the original rows: every kept value is the value at that step.
    for step, value in zip(small.steps, small.values["train_loss"], strict=True):
        assert series.values["train_loss"][step - 1] == value


def test_downsample_leaves_small_series_alone():
    series = _big_series(300)
    assert downsample(series, 200) is series


def test_merge_appends_newer_steps_and_updates_the_total():
    first = MetricSeries(steps=[1, 2], values={"train_loss": [1.0, 0.9]}, total_steps=10)
    delta = MetricSeries(steps=[3], values={"train_loss": [0.8], "valid_loss": [0.85]}, total_steps=12)
    merged = merge(first, delta)
    assert merged.steps == [1, 2, 3]
    assert merged.values == {"train_loss": [1.0, 0.9, 0.8], "valid_loss": [None, None, 0.85]}
    assert merged.total_steps == 12
    assert first.steps == [1, 2]  # the input is not changed


def test_merge_of_late_or_repeated_steps_reorders():
    first = MetricSeries(steps=[1, 3], values={"train_loss": [1.0, 0.7]})
    merged = merge(first, MetricSeries(steps=[2, 3], values={"train_loss": [0.9, 0.6]}))
    assert merged.steps == [1, 2, 3]
    assert merged.values["train_loss"] == [1.0, 0.9, 0.6]
