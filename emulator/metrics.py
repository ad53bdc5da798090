"""Plausible training curves: per-step metrics, event messages, checkpoint metrics and result-file rows.

Every value is a pure function of (job seed, step), so a job's history is the same
however the clock moves and whether it is replayed or seeded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

_MASK = (1 << 64) - 1


def unit(seed: int, step: int, salt: int = 0) -> float:
    """A uniform number in [0, 1) from (seed, step, salt) via splitmix64: cheap and stateless."""
    x = (seed * 0x9E3779B97F4A7C15 + step * 0xBF58476D1CE4E5B9 + salt * 0x94D049BB133111EB) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    x ^= x >> 31
    return (x >> 11) / float(1 << 53)


def gauss(seed: int, step: int, salt: int) -> float:
    """A standard normal draw (Box-Muller on two stateless uniforms)."""
    u1 = max(unit(seed, step, salt), 1e-12)
    u2 = unit(seed, step, salt + 7919)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


FAST_DECAY_STEPS = 12.0


@dataclass(frozen=True, slots=True)
class Curve:
    """The shape of one job's curve: where it starts, where it flattens, how fast, how noisy."""

    seed: int
    method: str
    total_steps: int
    has_validation: bool
    eval_every: int
    grader: str = "grader"

    def _level(self, salt: int, low: float, high: float) -> float:
        return low + (high - low) * unit(self.seed, 0, salt)

    @property
    def initial(self) -> float:
        if self.method == "dpo":
            return 0.693  # ln 2: the DPO loss of an untrained policy
        if self.method == "reinforcement":
            return self._level(1, 0.18, 0.42)  # mean reward
        return self._level(1, 1.1, 2.9)

    @property
    def final(self) -> float:
        if self.method == "dpo":
            return self._level(2, 0.05, 0.28)
        if self.method == "reinforcement":
            return self._level(2, 0.62, 0.9)
        return self._level(2, 0.03, 0.45)

    @property
    def rate(self) -> float:
        return self._level(3, 3.0, 6.0)

    def expected(self, step: int) -> float:
        # Real runs fall steeply over the first few dozen steps, then settle slowly: a fast
        # decay over steps plus a slow one over the whole run.
        progress = step / max(self.total_steps, 1)
        fast = math.exp(-step / FAST_DECAY_STEPS)
        slow = math.exp(-self.rate * progress)
        return self.final + (self.initial - self.final) * (0.55 * fast + 0.45 * slow)

    def evaluates_at(self, step: int) -> bool:
        return self.has_validation and (step % self.eval_every == 0 or step == self.total_steps)

    def step_data(self, step: int) -> dict[str, Any]:
        """The `data` of the metrics event for `step`."""
        if self.method == "reinforcement":
            return self._reward_data(step)
        base = self.expected(step)
        noise = 0.22 if self.method == "supervised" else 0.12
        train_loss = max(0.0, base * (1.0 + noise * gauss(self.seed, step, 11)))
        data: dict[str, Any] = {
            "step": step,
            "total_steps": self.total_steps,
            "train_loss": train_loss,
            "train_mean_token_accuracy": _accuracy(train_loss, self.seed, step, 13),
        }
        if self.evaluates_at(step):
            valid_loss = max(0.0, base * (1.08 + 0.15 * gauss(self.seed, step, 17)))
            data["valid_loss"] = valid_loss
            data["valid_mean_token_accuracy"] = _accuracy(valid_loss, self.seed, step, 19)
        if self.has_validation and step == self.total_steps:
            full = max(0.0, base * (1.05 + 0.03 * gauss(self.seed, step, 23)))
            data["full_valid_loss"] = full
            data["full_valid_mean_token_accuracy"] = _accuracy(full, self.seed, step, 29)
        return data

    def _reward_data(self, step: int) -> dict[str, Any]:
        reward = min(1.0, max(0.0, self.expected(step) + 0.06 * gauss(self.seed, step, 31)))
        samples = 8 + int(24 * unit(self.seed, step, 37))
        data: dict[str, Any] = {
            "step": step,
            "total_steps": self.total_steps,
            "train_mean_reward": reward,
            "scores": {self.grader: reward},
            "usage": {
                "graders": {"input_tokens": samples * 410, "output_tokens": samples * 12},
                "samples": {"input_tokens": samples * 380, "output_tokens": samples * (700 + step % 97)},
            },
            "errors": {"invalid_responses": int(unit(self.seed, step, 41) < 0.05), "grader_errors": 0},
            "timing": {
                "sampling_seconds": 20.0 + 30.0 * unit(self.seed, step, 43),
                "grading_seconds": 2.0 + 6.0 * unit(self.seed, step, 47),
                "training_seconds": 8.0 + 4.0 * unit(self.seed, step, 53),
            },
        }
        if self.evaluates_at(step):
            data["valid_mean_reward"] = min(
                1.0, max(0.0, self.expected(step) - 0.03 + 0.05 * gauss(self.seed, step, 59))
            )
        if self.has_validation and step == self.total_steps:
            data["full_valid_mean_reward"] = min(1.0, max(0.0, self.expected(step) - 0.02))
        return data


def _accuracy(loss: float, seed: int, step: int, salt: int) -> float:
    value = 1.0 - 0.3 * loss + 0.02 * gauss(seed, step, salt)
    return min(1.0, max(0.0, value))


def message(data: dict[str, Any]) -> str:
    """The event message: "Step 5/300: training loss=0.22, validation loss=0.30" (2 decimals)."""
    head = f"Step {data['step']}/{data['total_steps']}: "
    if "train_mean_reward" in data:
        parts = [f"training reward={data['train_mean_reward']:.2f}"]
        if "valid_mean_reward" in data:
            parts.append(f"validation reward={data['valid_mean_reward']:.2f}")
        if "full_valid_mean_reward" in data:
            parts.append(f"full validation reward={data['full_valid_mean_reward']:.2f}")
        return head + ", ".join(parts)
    parts = [f"training loss={data['train_loss']:.2f}"]
    if "valid_loss" in data:
        parts.append(f"validation loss={data['valid_loss']:.2f}")
    if "full_valid_loss" in data:
        parts.append(f"full validation loss={data['full_valid_loss']:.2f}")
    return head + ", ".join(parts)


_CHECKPOINT_KEYS = (
    "step",
    "train_loss",
    "train_mean_token_accuracy",
    "valid_loss",
    "valid_mean_token_accuracy",
    "full_valid_loss",
    "full_valid_mean_token_accuracy",
    "train_mean_reward",
    "valid_mean_reward",
    "full_valid_mean_reward",
)


def checkpoint_metrics(data: dict[str, Any], full_valid: dict[str, float] | None = None) -> dict[str, float]:
    """A checkpoint's metrics: the step's numbers plus the full validation pass run at each epoch end."""
    metrics = {key: data[key] for key in _CHECKPOINT_KEYS if key in data}
    metrics.update(full_valid or {})
    return metrics


def full_validation(curve: Curve, step: int) -> dict[str, float]:
    """The full validation pass at an epoch end (only with a validation file)."""
    if not curve.has_validation:
        return {}
    base = curve.expected(step)
    if curve.method == "reinforcement":
        return {"full_valid_mean_reward": min(1.0, max(0.0, base - 0.02))}
    loss = max(0.0, base * (1.05 + 0.03 * gauss(curve.seed, step, 61)))
    return {"full_valid_loss": loss, "full_valid_mean_token_accuracy": _accuracy(loss, curve.seed, step, 67)}


CSV_HEADER_LOSS = "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"
CSV_HEADER_REWARD = "step,train_reward,valid_reward"


def csv_header(method: str) -> str:
    return CSV_HEADER_REWARD if method == "reinforcement" else CSV_HEADER_LOSS


def csv_row(data: dict[str, Any]) -> str:
    """One row of the result file; empty cells where no validation ran at that step."""

    def cell(key: str) -> str:
        return f"{data[key]:.5f}" if key in data else ""

    if "train_mean_reward" in data:
        return f"{data['step']},{cell('train_mean_reward')},{cell('valid_mean_reward')}"
    return (
        f"{data['step']},{cell('train_loss')},{cell('train_mean_token_accuracy')},"
        f"{cell('valid_loss')},{cell('valid_mean_token_accuracy')}"
    )
