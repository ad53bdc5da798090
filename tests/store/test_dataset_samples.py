"""The public sample files in ../shared/datasets pass or fail as the fine-tuning service would treat them.

Verdicts, file by file (method and model as each sample is meant for):
- openai-node, gpt-tokens (chat), docs_sft_weather_tools, drone_training (tools): valid, 10+ examples.
- toy_chat_fine_tuning: 5 examples, under the service's minimum of 10, so the job would fail;
  line 4 has no user message (accepted; a warning).
- docs_sft_weight_marv (3), docs_vision_example (1), docs_dpo_example (1),
  docs_rft_security_train (3): excerpts of the docs' examples, well-formed for their method
  but under the 10-example minimum, so the service would reject them for that reason only.
- docs_rft_security_test as a reinforcement validation file: valid (no minimum applies).
Skipped when ../shared/datasets is absent (a fresh clone outside the workspace).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from store.dataset import check_file

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
pytestmark = pytest.mark.skipif(not DATASETS.is_dir(), reason="../shared/datasets is not present")

MINI = "gpt-4o-mini-2024-07-18"
SAMPLES = [
    # file, model, method, role, expected problem kinds (exactly), exit code
    ("openai-node_fine-tuning-data.jsonl", MINI, "supervised", "training", set(), 0),
    ("gpt-tokens_fine-tuning-data.jsonl", MINI, "supervised", "training", set(), 0),
    ("docs_sft_weather_tools.jsonl", MINI, "supervised", "training", set(), 0),
    ("drone_training.jsonl", MINI, "supervised", "training", set(), 0),
    ("toy_chat_fine_tuning.jsonl", MINI, "supervised", "training", {"too_few_examples", "missing_user"}, 2),
    ("docs_sft_weight_marv.jsonl", MINI, "supervised", "training", {"too_few_examples"}, 2),
    ("docs_vision_example.jsonl", "gpt-4o-2024-08-06", "supervised", "training", {"too_few_examples"}, 2),
    ("docs_dpo_example.jsonl", MINI, "dpo", "training", {"too_few_examples"}, 2),
    ("docs_rft_security_train.jsonl", "o4-mini-2025-04-16", "reinforcement", "training", {"too_few_examples"}, 2),
    ("docs_rft_security_test.jsonl", "o4-mini-2025-04-16", "reinforcement", "validation", set(), 0),
]


@pytest.mark.parametrize(
    ("name", "model", "method", "role", "kinds", "exit_code"), SAMPLES, ids=[s[0] for s in SAMPLES]
)
def test_sample_gets_the_services_verdict(name, model, method, role, kinds, exit_code):
    report = check_file(DATASETS / name, model=model, method=method, role=role)

    assert {group.kind for group in report.groups} == kinds
    assert report.exit_code == exit_code
    assert report.tokens is not None and report.tokens.total > 0


def test_samples_checked_with_the_wrong_method_point_at_the_right_one():
    dpo_as_chat = check_file(DATASETS / "docs_dpo_example.jsonl", model=MINI, method="supervised")
    chat_as_dpo = check_file(DATASETS / "openai-node_fine-tuning-data.jsonl", model=MINI, method="dpo")

    assert "--method dpo" in next(p for p in dpo_as_chat.problems if p.kind == "wrong_format").message
    assert "--method supervised" in next(p for p in chat_as_dpo.problems if p.kind == "wrong_format").message
    assert chat_as_dpo.groups[0].count == 10  # every line


def test_reinforcement_needs_an_o_series_model():
    report = check_file(DATASETS / "docs_rft_security_train.jsonl", model=MINI, method="reinforcement")

    assert "method_not_supported" in {group.kind for group in report.groups}


def test_tools_and_images_are_counted():
    drone = check_file(DATASETS / "drone_training.jsonl", model=MINI)
    vision = check_file(DATASETS / "docs_vision_example.jsonl", model="gpt-4o-2024-08-06")

    # 16 tool definitions repeat on every line: most of the tokens are theirs.
    assert drone.tokens.tool_definition_tokens > drone.tokens.total / 2
    assert vision.tokens.images == 1
    assert vision.tokens.image_tokens == 765  # a remote URL without detail: counted as a square high-detail image


class TestCookbookAgreement:
    """toy_chat_fine_tuning.jsonl against the cookbook's published analysis (Chat_finetuning_data_prep)."""

    def test_counts_where_the_cookbooks_rules_apply(self):
        # The cookbook counts with cl100k_base and a 4,096-token limit: gpt-3.5-turbo-0613.
        report = check_file(DATASETS / "toy_chat_fine_tuning.jsonl", model="gpt-3.5-turbo-0613")

        assert report.missing_system == 1
        assert report.missing_user == 1
        assert report.epochs == 20
        assert report.tokens.encoding == "cl100k_base"
        assert report.tokens.billed_per_epoch == 4_306
        assert report.billed_tokens == 86_120
        assert report.tokens.over_limit == 1

    def test_gpt_4o_mini_counts_with_its_own_encoding_and_limit(self):
        report = check_file(DATASETS / "toy_chat_fine_tuning.jsonl", model=MINI)

        # o200k_base, and the 8,031-token example is within gpt-4o-mini's 65,536 limit: nothing is cut.
        assert report.tokens.encoding == "o200k_base"
        assert report.tokens.maximum == 8_031
        assert report.tokens.over_limit == 0
        assert report.tokens.billed_per_epoch == report.tokens.total == 8_233
        assert report.billed_tokens == 164_660
