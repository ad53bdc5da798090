"""`finetop check` as a user runs it: the report, the JSON for scripts, and the exit status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tui.cli import main

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "datasets"


def run(*args: str | Path):
    # Wide enough that rich folds nothing; the date pins the price table.
    return CliRunner().invoke(main, ["check", *map(str, args), "--date", "2026-11-20"], env={"COLUMNS": "250"})


def test_clean_file_exits_0_with_tokens_epochs_and_cost():
    result = run(FIXTURES / "chat_valid.jsonl")

    assert result.exit_code == 0, result.output
    out = result.output
    assert "✓ no problems found" in out
    assert "Tokens per example (estimate, o200k_base)" in out
    assert "Epochs: 8 (auto: 12 examples x 3 < 100, so 100 // 12 = 8 epochs" in out
    assert "Estimated cost: ≈$" in out and "x $3.00 per 1M tokens" in out
    assert "price row: gpt-4o-mini-2024-07-18 training $3.00 per 1M tokens from 2024-07-23" in out
    assert "How tokens were counted: Estimate" in out


def test_warnings_only_exit_1_with_lines():
    result = run(FIXTURES / "duplicate.jsonl")

    assert result.exit_code == 1, result.output
    assert "accepted with 1 warning" in result.output
    assert "line 12: the same example as line 2" in result.output


def test_errors_exit_2_summary_first_then_grouped_with_lines():
    result = run(FIXTURES / "unknown_key.jsonl")

    assert result.exit_code == 2, result.output
    out = result.output
    verdict = out.index("✗ 1 error: the service would reject this training file")
    table = out.index("unknown key in a message")
    assert verdict < table < out.index("Tokens per example")
    assert "line 7, message 3: unknown key 'thoughts'" in out


def test_summary_groups_many_lines_of_one_kind(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text("{not json\n" * 40)
    result = run(path, "--details", "3")

    assert result.exit_code == 2
    assert "40 errors" in result.output
    assert "1, 2, 3, 4, 5, …" in result.output
    assert "… and 37 more" in result.output


def test_json_for_scripts():
    result = run(FIXTURES / "too_few_examples.jsonl", "--json", "--epochs", "3")

    assert result.exit_code == 2
    data = json.loads(result.output)
    assert data["exit_code"] == 2 and data["validation"] is None
    training = data["training"]
    assert training["groups"][0]["kind"] == "too_few_examples"
    assert training["epochs"] == 3
    assert training["billed_tokens"] == 3 * training["tokens"]["billed_per_epoch"]
    assert training["cost"]["estimate"] is True


def test_validation_file_is_checked_on_its_own():
    result = run(
        FIXTURES / "rft_valid.jsonl",
        "--model",
        "o4-mini-2025-04-16",
        "--method",
        "reinforcement",
        "--validation",
        FIXTURES / "rft_validation.jsonl",
        "--json",
    )

    data = json.loads(result.output)
    assert result.exit_code == 0, result.output
    assert data["validation"]["role"] == "validation" and data["validation"]["examples"] == 3
    assert "billed per hour" in data["training"]["cost_note"]


def test_validation_problems_set_the_exit_status():
    result = run(FIXTURES / "chat_valid.jsonl", "--validation", FIXTURES / "not_json.jsonl")

    assert result.exit_code == 2
    assert "Validation file" in result.output and "line 4: not valid JSON" in result.output


def test_method_and_model_options():
    result = run(FIXTURES / "vision_valid.jsonl", "--model", "gpt-4o-2024-08-06")
    dpo = run(FIXTURES / "dpo_valid.jsonl", "--method", "dpo")

    assert result.exit_code == 0, result.output
    assert "10 images" in result.output
    assert dpo.exit_code == 0, dpo.output


@pytest.mark.parametrize(
    ("target", "words"),
    [("missing.jsonl", "No such file"), (".", "is a folder")],
)
def test_missing_file_or_folder_is_a_clear_error(tmp_path, target, words):
    result = run(tmp_path / target)

    assert result.exit_code == 2
    assert words in result.output
    assert "Traceback" not in result.output


def test_offline_without_encodings_says_what_to_do(tmp_path):
    empty = tmp_path / "cache"
    empty.mkdir()
    env = {
        **os.environ,
        "TIKTOKEN_CACHE_DIR": str(empty),
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "",
        "FINETOP_CONFIG_DIR": str(tmp_path / "config"),
        "FINETOP_DATA_DIR": str(tmp_path / "data"),
    }
    result = subprocess.run(
        [sys.executable, "-c", "from tui.cli import main; main()", "check", str(FIXTURES / "chat_valid.jsonl")],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )

    assert result.returncode == 2
    assert "o200k_base token encoding is not available" in result.stderr
    assert "TIKTOKEN_CACHE_DIR" in result.stderr and "connect to the internet once" in result.stderr
    assert "Traceback" not in result.stderr
