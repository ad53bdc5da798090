"""Training metrics for charts: from metrics events and result CSV files to columnar series, and downsampling.

Pure functions, no I/O. A job with 100,000 steps must turn into a chart in a few milliseconds, so
the hot paths build whole columns with comprehensions instead of looping per event and per name.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import math
import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from typing import Any

from store.types import METRIC_NAMES, JobEvent, MetricSeries

# Points a chart is drawn from: it keeps each column's minimum and maximum, so a long series
# reduced to this many (by Cache.metric_series) draws the same picture at any terminal width.
CHART_POINTS = 8000

# Flat numbers a supervised or DPO metrics event carries in `data`, as the API names them.
SUPERVISED_FIELDS = (
    "train_loss",
    "valid_loss",
    "full_valid_loss",
    "train_mean_token_accuracy",
    "valid_mean_token_accuracy",
    "full_valid_mean_token_accuracy",
)

# Flat numbers a reinforcement metrics event carries beside its nested scores/usage/errors/timing.
REINFORCEMENT_FIELDS = (
    "train_mean_reward",
    "full_valid_mean_reward",
    "full_valid_mean_parse_error",
    "mean_unresponsive_rewards",
    "reasoning_tokens_mean",
    "completion_tokens_mean",
    "valid_reasoning_tokens_mean",
)

# Result CSV column -> our metric name (the CSV spells two of them differently from the events).
RESULT_COLUMNS = {
    "train_loss": "train_loss",
    "train_accuracy": "train_mean_token_accuracy",
    "train_mean_token_accuracy": "train_mean_token_accuracy",
    "valid_loss": "valid_loss",
    "valid_accuracy": "valid_mean_token_accuracy",
    "valid_mean_token_accuracy": "valid_mean_token_accuracy",
    "full_valid_loss": "full_valid_loss",
    "full_valid_mean_token_accuracy": "full_valid_mean_token_accuracy",
    "train_mean_reward": "train_mean_reward",
    "full_valid_mean_reward": "full_valid_mean_reward",
}

# Old jobs (and some compatible endpoints) only say it in the message: "Step 5/300: training loss=0.22,
# validation loss=0.30, full validation loss=0.05". Two decimals, but better than no curve.
_STEP_MESSAGE = re.compile(r"^Step (?P<step>\d+)/(?P<total>\d+)\s*[:,]")
_MESSAGE_FIELDS = (
    (re.compile(r"training loss=(?P<v>[-+0-9.eE]+|nan)"), "train_loss"),
    (re.compile(r"(?<!full )validation loss=(?P<v>[-+0-9.eE]+|nan)"), "valid_loss"),
    (re.compile(r"full validation loss=(?P<v>[-+0-9.eE]+|nan)"), "full_valid_loss"),
    (re.compile(r"train mean reward=(?P<v>[-+0-9.eE]+|nan)"), "train_mean_reward"),
    (re.compile(r"full validation mean reward=(?P<v>[-+0-9.eE]+|nan)"), "full_valid_mean_reward"),
)


def _number(value: Any) -> float | None:
    """A finite float from a JSON value, or None (bools, strings, NaN and infinities are not chartable)."""
    if type(value) is float:
        return value if math.isfinite(value) else None
    if type(value) is int:
        return float(value)
    return None


def _grader_key(name: str) -> str:
    # Grader names are user-chosen; keep them readable but free of our separator.
    return name.replace("/", "_").strip() or "grader"


def metrics_from_event(data: Mapping[str, Any] | None) -> dict[str, float]:
    """The chartable numbers in a metrics event's `data`, by name; `step` and `total_steps` included.

    Supervised/DPO events give the six loss/accuracy fields. Reinforcement events give
    train_mean_reward and full_valid_mean_reward (falling back to `scores.train_reward_mean` /
    `scores.valid_reward_mean`), a few flat usage numbers, and one reward per grader as
    `reward/<grader>/train` and `reward/<grader>/valid`. Anything missing or non-numeric is left out.
    """
    if not data:
        return {}
    out: dict[str, float] = {}
    for key in ("step", "total_steps", *SUPERVISED_FIELDS, *REINFORCEMENT_FIELDS):
        value = _number(data.get(key))
        if value is not None:
            out[key] = value
    scores = data.get("scores")
    if isinstance(scores, Mapping):
        for source, target in (
            ("train_reward_mean", "train_mean_reward"),
            ("valid_reward_mean", "full_valid_mean_reward"),
        ):
            value = _number(scores.get(source))
            if value is not None and target not in out:
                out[target] = value
        graders = scores.get("graders")
        if isinstance(graders, list):
            for grader in graders:
                if not isinstance(grader, Mapping) or not isinstance(grader.get("name"), str):
                    continue
                key = _grader_key(grader["name"])
                for source, split in (("train_reward_mean", "train"), ("valid_reward_mean", "valid")):
                    value = _number(grader.get(source))
                    if value is not None:
                        out[f"reward/{key}/{split}"] = value
    return out


def metrics_from_message(message: str) -> dict[str, float]:
    """Metrics parsed from a "Step N/M: training loss=..." message, for events that carry no `data`."""
    match = _STEP_MESSAGE.match(message)
    if match is None:
        return {}
    out = {"step": float(match["step"]), "total_steps": float(match["total"])}
    for pattern, name in _MESSAGE_FIELDS:
        found = pattern.search(message)
        if found is not None:
            value = _cell(found["v"])
            if value is not None:
                out[name] = value
    return out


def _is_reinforcement(data: Mapping[str, Any]) -> bool:
    return "scores" in data or "train_mean_reward" in data or "full_valid_mean_reward" in data


def series_from_events(events: Iterable[JobEvent]) -> MetricSeries:
    """The metrics of a job's events as one series ordered by step, in whatever order the events come.

    Events without metrics are skipped. When two events report the same step, their numbers are
    merged and the later event in the input wins on conflicts. Events that carry no `data` but a
    "Step N/M: training loss=..." message (old jobs) are read from the message.
    """
    events = events if isinstance(events, Sequence) else list(events)
    datas: list[Mapping[str, Any]] = [d for e in events if (d := e.data) and "step" in d]
    if not datas:
        parsed = (metrics_from_message(e.message) for e in events if e.message.startswith("Step "))
        datas = [d for d in parsed if d]
        if not datas:
            return MetricSeries()

    # Every metrics event of a job has the same shape, so its ends tell the method.
    if _is_reinforcement(datas[0]) or _is_reinforcement(datas[-1]):
        # Reinforcement jobs have tens or hundreds of steps and nested numbers: take the general path.
        return _series_from_rows([metrics_from_event(d) for d in datas])

    # Supervised and DPO: C-level passes over whole columns keep 100,000 events in the tens of ms.
    raw_steps = [d.get("step") for d in datas]
    if set(map(type, raw_steps)) != {int}:
        keep = [i for i, s in enumerate(raw_steps) if type(s) is int or (type(s) is float and s.is_integer())]
        datas = [datas[i] for i in keep]
        raw_steps = [int(raw_steps[i]) for i in keep]
    steps: list[int] = raw_steps  # type: ignore[assignment]
    values: dict[str, list[float | None]] = {}
    for name in SUPERVISED_FIELDS:
        column = [d.get(name) for d in datas]
        if column.count(None) == len(column):
            continue
        # JSON gives finite numbers almost always; only coerce (dropping junk) when the sum says otherwise:
        # a string makes it raise, NaN or infinity makes it non-finite. filter(None) drops None and zeros.
        try:
            clean = math.isfinite(sum(filter(None, column)))
        except TypeError:
            clean = False
        if not clean:
            column = [_number(v) for v in column]
        values[name] = column
    total = _last_total(d.get("total_steps") for d in reversed(datas))
    return _ordered(MetricSeries(steps=steps, values=values, total_steps=total))


def _last_total(totals_newest_first: Iterable[Any]) -> int | None:
    for value in totals_newest_first:
        number = _number(value)
        if number is not None:
            return int(number)
    return None


def _series_from_rows(rows: Sequence[Mapping[str, float]]) -> MetricSeries:
    """A series from per-step dicts (as metrics_from_event returns); rows without a step are skipped."""
    rows = [row for row in rows if "step" in row]
    names: list[str] = [name for name in METRIC_NAMES if any(name in row for row in rows)]
    extras = sorted({key for row in rows for key in row} - set(names) - set(METRIC_NAMES) - {"step", "total_steps"})
    steps = [int(row["step"]) for row in rows]
    values = {name: [row.get(name) for row in rows] for name in (*names, *extras)}
    total = _last_total(row.get("total_steps") for row in reversed(rows))
    return _ordered(MetricSeries(steps=steps, values=values, total_steps=total))


def _ordered(series: MetricSeries) -> MetricSeries:
    """The series sorted by step with one row per step (later rows win), cheaply when already in order."""
    steps = series.steps
    unique = len(set(steps)) == len(steps)
    if unique and steps == sorted(steps):
        return series
    if unique and steps == sorted(steps, reverse=True):
        # The API lists events newest first.
        return MetricSeries(
            steps=steps[::-1],
            values={name: column[::-1] for name, column in series.values.items()},
            total_steps=series.total_steps,
        )
    merged: dict[int, dict[str, float | None]] = {}
    for i, step in enumerate(steps):
        row = merged.setdefault(step, {})
        for name, column in series.values.items():
            if column[i] is not None:
                row[name] = column[i]
    new_steps = sorted(merged)
    return MetricSeries(
        steps=new_steps,
        values={name: [merged[s].get(name) for s in new_steps] for name in series.values},
        total_steps=series.total_steps,
    )


def _decode_result_file(content: bytes | str) -> str:
    text = content.decode("utf-8-sig", errors="replace") if isinstance(content, bytes) else content
    stripped = text.strip()
    if stripped and "," not in stripped.splitlines()[0]:
        # A CSV header always has commas; base64 never does. The service sends the file base64-encoded.
        try:
            decoded = base64.b64decode("".join(stripped.split()), validate=True)
        except (binascii.Error, ValueError):
            return text
        return decoded.decode("utf-8-sig", errors="replace")
    return text


def parse_result_file(content: bytes | str) -> MetricSeries:
    """The metrics in a fine-tune result CSV (base64-encoded or plain), keyed by our metric names.

    Columns: step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy (unknown numeric
    columns are kept under their own names); empty or unparsable cells are None.
    """
    reader = csv.reader(io.StringIO(_decode_result_file(content)))
    header = next(reader, None)
    if not header:
        return MetricSeries()
    header = [name.strip() for name in header]
    if "step" not in header:
        raise ValueError("not a fine-tuning result file: no `step` column")
    step_index = header.index("step")
    columns = [(i, RESULT_COLUMNS.get(name, name)) for i, name in enumerate(header) if i != step_index and name]
    steps: list[int] = []
    values: dict[str, list[float | None]] = {name: [] for _, name in columns}
    for row in reader:
        if len(row) <= step_index or not row[step_index].strip():
            continue
        try:
            steps.append(int(float(row[step_index])))
        except ValueError:
            continue
        for i, name in columns:
            values[name].append(_cell(row[i]) if i < len(row) else None)
    values = {name: column for name, column in values.items() if any(v is not None for v in column)}
    return _ordered(MetricSeries(steps=steps, values=values, total_steps=steps[-1] if steps else None))


def _cell(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _bucket_rows(xs: Sequence[int], ys: Sequence[float], width: int) -> list[int] | None:
    """Row numbers holding each bucket's minimum and maximum (plus both ends), or None to keep all.

    `xs` are sorted steps and `ys` their values, no None. Slices and min/max run in C, so 100,000
    rows take a couple of milliseconds.
    """
    n = len(xs)
    if n <= 2 * width:
        return None
    first, last = xs[0], xs[-1]
    span = (last - first) or 1
    edges = [bisect_left(xs, first + span * k / width) for k in range(width)]
    edges.append(n)
    keep = {0, n - 1}
    for lo, hi in pairwise(edges):
        if lo >= hi:
            continue
        chunk = ys[lo:hi]
        keep.add(lo + chunk.index(min(chunk)))
        keep.add(lo + chunk.index(max(chunk)))
    return sorted(keep)


def _present_rows(column: Sequence[float | None]) -> list[int] | None:
    """The rows where `column` has a value, or None when it has one in every row."""
    if column.count(None) == 0:
        return None
    return [i for i, v in enumerate(column) if v is not None]


def downsample_points(
    steps: Sequence[int], column: Sequence[float | None], width: int
) -> tuple[list[int], list[float]]:
    """One metric as (steps, values) to plot: None dropped, at most about 2 x `width` points.

    Buckets split the step range evenly and keep their minimum and maximum, so a one-step spike
    survives at any zoom; both ends are always kept.
    """
    present = _present_rows(column)
    if present is None:
        xs, ys = list(steps), list(column)
    else:
        xs, ys = [steps[i] for i in present], [column[i] for i in present]
    rows = _bucket_rows(xs, ys, max(1, width))  # type: ignore[arg-type]
    if rows is None:
        return xs, ys  # type: ignore[return-value]
    return [xs[i] for i in rows], [ys[i] for i in rows]  # type: ignore[misc]


def downsample(series: MetricSeries, width: int) -> MetricSeries:
    """At most about 2 x `width` points per metric, keeping each bucket's minimum and maximum.

    The result is a subset of the input's rows (steps in order): the union of the rows each metric
    keeps, so a metric can keep a few more points than its own share. Metrics with few points
    (validation every N steps, the final full validation) are kept whole. For drawing one line,
    downsample_points is cheaper.
    """
    n = len(series.steps)
    width = max(1, width)
    if n <= 2 * width:
        return series
    steps = series.steps
    keep: set[int] = {0, n - 1}
    for column in series.values.values():
        present = _present_rows(column)
        if present is None:
            rows = _bucket_rows(steps, column, width)  # type: ignore[arg-type]
            keep.update(range(n) if rows is None else rows)
        else:
            rows = _bucket_rows([steps[i] for i in present], [column[i] for i in present], width)  # type: ignore[misc]
            keep.update(present if rows is None else (present[r] for r in rows))
    kept = sorted(keep)
    return MetricSeries(
        steps=[steps[i] for i in kept],
        values={name: [column[i] for i in kept] for name, column in series.values.items()},
        total_steps=series.total_steps,
    )


def merge(series: MetricSeries, delta: MetricSeries) -> MetricSeries:
    """`series` with `delta`'s rows added; appending newer steps is cheap, anything else re-sorts."""
    if not delta.steps:
        if delta.total_steps is not None and delta.total_steps != series.total_steps:
            return MetricSeries(series.steps, series.values, delta.total_steps)
        return series
    names = list(dict.fromkeys([*series.values, *delta.values]))
    n, m = len(series.steps), len(delta.steps)
    values = {name: [*series.values.get(name, [None] * n), *delta.values.get(name, [None] * m)] for name in names}
    total = delta.total_steps if delta.total_steps is not None else series.total_steps
    combined = MetricSeries(steps=[*series.steps, *delta.steps], values=values, total_steps=total)
    in_order = not series.steps or delta.steps[0] > series.steps[-1]
    if in_order and all(a < b for a, b in zip(delta.steps, delta.steps[1:], strict=False)):
        return combined
    return _ordered(combined)
