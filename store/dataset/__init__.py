"""Preflight of fine-tuning data: format checks, token estimates, epochs and training cost.

    report = check_file("train.jsonl", model="gpt-4o-mini-2024-07-18", method="supervised")
    report.exit_code, report.groups, report.tokens, report.cost, report.to_json()

Modules, one job each: lines (streaming bytes), rules (the formats), counting (tokens),
images, duplicates, stats, models (per-model limits), report (the result), preflight
(the pass that ties them together).
"""

from store.dataset.counting import COUNTING_METHOD
from store.dataset.preflight import (
    METHODS,
    DatasetUnreadable,
    check_file,
    epochs_for,
    estimate_trained_tokens,
    upload_route,
)
from store.dataset.report import KINDS, PreflightReport, Problem, ProblemGroup, TokenStats, UploadRoute

__all__ = [
    "COUNTING_METHOD",
    "KINDS",
    "METHODS",
    "DatasetUnreadable",
    "PreflightReport",
    "Problem",
    "ProblemGroup",
    "TokenStats",
    "UploadRoute",
    "check_file",
    "epochs_for",
    "estimate_trained_tokens",
    "upload_route",
]
