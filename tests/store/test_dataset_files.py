"""Preflight on finetop's own crafted files: one valid file per method, one bad file per kind of problem."""

from __future__ import annotations

import json
import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from store.dataset import DatasetUnreadable, check_file, epochs_for, estimate_trained_tokens, upload_route
from store.dataset.preflight import FILES_API_LIMIT, UPLOADS_API_LIMIT

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "datasets"
MINI = "gpt-4o-mini-2024-07-18"
VISION = "gpt-4o-2024-08-06"
O4 = "o4-mini-2025-04-16"
ON = date(2026, 11, 20)


def check(name: str, model: str = MINI, method: str = "supervised", **kwargs):
    return check_file(FIXTURES / name, model=model, method=method, on=ON, **kwargs)


@pytest.mark.parametrize(
    ("name", "model", "method"),
    [
        ("chat_valid.jsonl", MINI, "supervised"),
        ("tools_valid.jsonl", MINI, "supervised"),
        ("weights_valid.jsonl", MINI, "supervised"),
        ("vision_valid.jsonl", VISION, "supervised"),
        ("dpo_valid.jsonl", MINI, "dpo"),
        ("rft_valid.jsonl", O4, "reinforcement"),
    ],
)
def test_valid_files_are_clean(name, model, method):
    report = check(name, model, method)

    assert report.problems == ()
    assert report.exit_code == 0
    assert report.valid_examples == report.examples >= 10


# file, model, expected kind, line, message number, words the message must contain, exit code
BAD_FILES = [
    ("not_json.jsonl", MINI, "invalid_json", 4, None, "not valid JSON", 2),
    ("truncated_last_line.jsonl", MINI, "truncated_last_line", 11, None, "truncated", 2),
    ("not_object.jsonl", MINI, "not_object", 3, None, "a JSON list, not an object", 2),
    ("not_utf8.jsonl", MINI, "not_utf8", 2, None, "0xe9", 2),
    ("binary.jsonl", MINI, "binary_file", 1, None, "binary", 2),
    ("wrong_format.jsonl", MINI, "wrong_format", 6, None, "'messages' must be a non-empty list", 2),
    ("unknown_role.jsonl", MINI, "unknown_role", 2, 2, "role 'bot'", 2),
    ("unknown_key.jsonl", MINI, "unknown_key", 7, 3, "'thoughts'", 2),
    ("missing_assistant.jsonl", MINI, "missing_assistant", 9, None, "no assistant message", 2),
    ("missing_content.jsonl", MINI, "missing_content", 4, 3, "no content and no tool_calls", 2),
    ("bad_weight.jsonl", MINI, "bad_weight", 2, 3, "0.5", 2),
    ("image_in_assistant.jsonl", VISION, "image_in_assistant", 3, 3, "cannot contain images", 2),
    ("too_many_images.jsonl", VISION, "too_many_images", 5, None, "11 images", 2),
    ("bad_image.jsonl", VISION, "bad_image", 8, 2, "image/gif", 2),
    ("undefined_tool.jsonl", MINI, "undefined_tool", 6, 2, "'get_forecast'", 2),
    ("over_token_limit.jsonl", "gpt-3.5-turbo-0613", "over_token_limit", 10, None, "4,096", 1),
    ("duplicate.jsonl", MINI, "duplicate", 12, None, "line 2", 1),
    ("blank_line.jsonl", MINI, "blank_line", 5, None, "blank line", 1),
    ("too_few_examples.jsonl", MINI, "too_few_examples", None, None, "9 examples", 2),
    ("empty.jsonl", MINI, "empty_file", None, None, "no examples", 2),
]


@pytest.mark.parametrize(
    ("name", "model", "kind", "line", "message_index", "words", "exit_code"), BAD_FILES, ids=[b[0] for b in BAD_FILES]
)
def test_each_crafted_problem_is_found_at_its_line(name, model, kind, line, message_index, words, exit_code):
    report = check(name, model)

    assert [(p.kind, p.line, p.message_index) for p in report.problems] == [(kind, line, message_index)]
    assert words in report.problems[0].message
    assert report.exit_code == exit_code
    group = report.groups[0]
    assert (group.kind, group.count, group.first_lines) == (kind, 1, (line,) if line else ())


def test_blank_lines_count_as_lines_not_examples():
    report = check("blank_line.jsonl")

    assert (report.lines, report.examples, report.valid_examples) == (11, 10, 10)


def test_truncated_file_still_counts_the_lines_before():
    report = check("truncated_last_line.jsonl")

    assert report.examples == 11
    assert report.valid_examples == 10
    assert report.tokens.examples == 10


def test_images_for_a_text_only_model_are_an_error():
    report = check("vision_valid.jsonl", model="gpt-3.5-turbo-0125")

    assert {g.kind for g in report.groups} == {"images_not_supported"}


def test_images_for_a_model_without_documented_vision_are_a_warning():
    report = check("vision_valid.jsonl", model="gpt-4.1-mini-2025-04-14")

    assert {g.kind for g in report.groups} == {"images_unverified"}
    assert report.exit_code == 1


def test_image_tokens_follow_detail_and_size():
    report = check("vision_valid.jsonl", model=VISION)

    # 5 low-detail images (85 each) and 5 embedded 1536x768 images at high detail (2 x 3 tiles: 1,105 each).
    assert report.tokens.images == 10
    assert report.tokens.image_tokens == 5 * 85 + 5 * (85 + 6 * 170)


@pytest.mark.parametrize(
    ("name", "model", "method", "kind"),
    [
        ("dpo_valid.jsonl", MINI, "supervised", "wrong_format"),
        ("chat_valid.jsonl", MINI, "dpo", "wrong_format"),
        ("rft_valid.jsonl", MINI, "supervised", "missing_assistant"),
        ("chat_valid.jsonl", O4, "reinforcement", "prompt_ends_with_answer"),
        ("weights_valid.jsonl", MINI, "dpo", "wrong_format"),
    ],
)
def test_a_file_checked_with_the_wrong_method_fails_on_every_line(name, model, method, kind):
    report = check(name, model, method)

    group = next(g for g in report.groups if g.kind == kind)
    assert group.count == report.examples


def test_weights_are_refused_outside_supervised_training(tmp_path):
    rows = [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "a", "weight": 1}]}
        for i in range(10)
    ]
    report = check_file(_write_rows(rows, tmp_path), model=O4, method="reinforcement")

    problem = next(p for p in report.problems if p.kind == "unknown_key")
    assert (problem.line, problem.message_index) == (1, 2)
    assert "weight is only for supervised examples" in problem.message


def test_dpo_old_spelling_is_accepted_with_a_warning(tmp_path):
    rows = [json.loads(line) for line in (FIXTURES / "dpo_valid.jsonl").read_text().splitlines()]
    for row in rows:
        row["preferred_completion"] = row.pop("preferred_output")
    report = check_file(_write_rows(rows, tmp_path), model=MINI, method="dpo")

    assert {g.kind for g in report.groups} == {"legacy_format"}
    assert report.exit_code == 1


def test_validation_file_has_no_minimum_and_is_not_priced():
    report = check("rft_validation.jsonl", O4, "reinforcement", role="validation")

    assert report.exit_code == 0
    assert report.epochs is None and report.cost is None and report.billed_tokens is None


def test_reinforcement_line_caps(tmp_path):
    line = json.dumps({"messages": [{"role": "user", "content": "Is it encrypted?"}], "answer": "yes"})
    path = tmp_path / "rft.jsonl"
    path.write_text("".join(f'{line[:-1]}, "n": {i}}}\n' for i in range(1_001)))

    validation = check_file(path, model=O4, method="reinforcement", role="validation")
    training = check_file(path, model=O4, method="reinforcement", role="training")

    assert {g.kind for g in validation.groups} == {"too_many_lines"}
    assert "at most 1,000" in validation.groups[0].example
    assert training.exit_code == 0  # 50,000 is the training cap


def test_unknown_model_skips_the_limit_with_a_warning():
    report = check("chat_valid.jsonl", model="gpt-9-turbo")

    assert {g.kind for g in report.groups} == {"unknown_model"}
    assert report.tokens.token_limit is None
    assert report.cost.amount is None  # no price for an unknown model: never guessed


def test_file_too_big_for_any_upload_is_an_error(tmp_path):
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as f:  # sparse: no disk used; all NUL bytes, so the scan stops at once
        f.truncate(UPLOADS_API_LIMIT + 1)
    report = check_file(path, model=MINI)

    assert {g.kind for g in report.groups} == {"file_too_big", "binary_file"}
    assert report.upload.route == "too_big"


def test_upload_route_by_size():
    assert upload_route(FILES_API_LIMIT).route == "files"
    assert upload_route(FILES_API_LIMIT + 1).route == "uploads"
    assert "9 parts" in upload_route(FILES_API_LIMIT + 1).text
    assert upload_route(UPLOADS_API_LIMIT).route == "uploads"
    assert upload_route(UPLOADS_API_LIMIT + 1).route == "too_big"


def test_missing_file_and_folder_are_clear_errors(tmp_path):
    with pytest.raises(DatasetUnreadable, match="No such file"):
        check_file(tmp_path / "nope.jsonl", model=MINI)
    with pytest.raises(DatasetUnreadable, match="is a folder"):
        check_file(tmp_path, model=MINI)


def test_unreadable_file_is_a_clear_error(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can read any file")
    path = tmp_path / "secret.jsonl"
    path.write_text("{}\n")
    path.chmod(0)
    with pytest.raises(DatasetUnreadable, match="Cannot read"):
        check_file(path, model=MINI)


@pytest.mark.parametrize(
    ("n", "epochs"),
    [
        (1, 25),
        (3, 25),
        (4, 25),
        (5, 20),
        (10, 10),
        (33, 3),
        (34, 3),
        (8_333, 3),
        (8_334, 2),
        (12_500, 2),
        (25_001, 1),
        (1_000_000, 1),
    ],
)
def test_epoch_heuristic(n, epochs):
    assert epochs_for(n) == epochs


def test_epochs_given_and_cost(tmp_path):
    report = check("chat_valid.jsonl", n_epochs=2)

    assert report.epochs == 2 and report.epochs_reason == "2 as given"
    assert report.billed_tokens == 2 * report.tokens.billed_per_epoch
    assert report.cost.estimate is True
    assert report.cost.row.model == MINI and report.cost.row.usd == Decimal("3.00")
    assert report.cost.amount == Decimal(report.billed_tokens) * Decimal(3) / Decimal(1_000_000)


def test_reinforcement_cost_is_not_estimated_from_tokens():
    report = check("rft_valid.jsonl", O4, "reinforcement")

    assert report.cost is None
    assert "per hour" in report.cost_note and "cannot be estimated" in report.cost_note


def test_estimate_trained_tokens_matches_the_full_check():
    report = check("tools_valid.jsonl")

    assert estimate_trained_tokens(FIXTURES / "tools_valid.jsonl", MINI) == report.billed_tokens
    assert estimate_trained_tokens(FIXTURES / "tools_valid.jsonl", MINI, n_epochs=1) == report.tokens.billed_per_epoch


def test_progress_reaches_the_file_size():
    seen = []
    path = FIXTURES / "tools_valid.jsonl"
    check_file(path, model=MINI, progress=lambda done, total: seen.append((done, total)))

    assert seen[-1] == (path.stat().st_size, path.stat().st_size)


def test_report_as_json_is_complete():
    data = json.loads(check("duplicate.jsonl").to_json())

    assert data["exit_code"] == 1 and data["warning_count"] == 1 and data["error_count"] == 0
    assert data["problems"][0] == {
        "severity": "warning",
        "kind": "duplicate",
        "line": 12,
        "message_index": None,
        "message": "the same example as line 2",
    }
    assert data["groups"][0]["first_lines"] == [12]
    assert data["tokens"]["encoding"] == "o200k_base"
    assert data["cost"]["estimate"] is True and data["cost"]["label"].startswith("≈$")
    assert data["cost"]["row"]["usd"] == "3"
    assert "Estimate" in data["counting_method"]


def test_many_bad_lines_are_all_counted_but_listed_within_a_cap(tmp_path):
    path = tmp_path / "junk.jsonl"
    path.write_text("not json\n" * 3_000)
    report = check_file(path, model=MINI)

    group = report.groups[0]
    assert (group.kind, group.count, group.first_lines) == ("invalid_json", 3_000, (1, 2, 3, 4, 5))
    assert len(report.problems) + report.problems_not_listed == 3_000
    assert report.error_count == 3_000


def test_byte_order_mark_and_crlf(tmp_path):
    rows = (FIXTURES / "chat_valid.jsonl").read_text().splitlines()
    path = tmp_path / "windows.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode() + b"\r\n")
    report = check_file(path, model=MINI)

    assert {g.kind for g in report.groups} == {"byte_order_mark"}
    assert report.valid_examples == 12


def _write_rows(rows: list[dict], folder: Path) -> Path:
    path = folder / "rows.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path
