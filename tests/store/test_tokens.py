"""Token encodings per base model, and the message a user sees when an encoding cannot be loaded."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from store.tokens import TokenCounter, cache_file_name, encoding_for_model, encoding_name_for, load_encoding

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o-mini-2024-07-18", "o200k_base"),
        ("gpt-4o-2024-08-06", "o200k_base"),
        ("gpt-4.1-nano-2025-04-14", "o200k_base"),
        ("o4-mini-2025-04-16", "o200k_base"),
        ("o3", "o200k_base"),
        ("ft:gpt-4o-mini-2024-07-18:acme:support:abc123:ckpt-step-90", "o200k_base"),
        ("gpt-3.5-turbo-0613", "cl100k_base"),
        ("gpt-35-turbo", "cl100k_base"),
        ("gpt-4-0613", "cl100k_base"),
        ("davinci-002", "cl100k_base"),
        ("ft:babbage-002:acme::xyz", "cl100k_base"),
        ("my-own-model", None),
    ],
)
def test_encoding_per_model(model, encoding):
    assert encoding_name_for(model) == encoding


def test_cache_file_names_match_the_shared_cache_layout():
    # ../shared/tiktoken-cache/README.md lists these names.
    assert cache_file_name("o200k_base") == "fb374d419588a4632f3f557e76b4b70aebbca790"
    assert cache_file_name("cl100k_base") == "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"


def test_encodings_differ_and_unknown_models_fall_back():
    text = "こんにちは、世界。今日はいい天気ですね。"
    assert len(encoding_for_model("gpt-4o").encode_ordinary(text)) == 10
    assert len(encoding_for_model("gpt-3.5-turbo").encode_ordinary(text)) == 17
    assert encoding_for_model("my-own-model").name == "o200k_base"
    with pytest.raises(KeyError):
        encoding_for_model("my-own-model", fallback=None)


def test_counter_counts_special_token_text_as_text_and_remembers_short_strings():
    counter = TokenCounter(load_encoding("o200k_base"), max_entries=2)
    assert counter.count("<|endoftext|>") > 1  # user text, never a control token
    assert counter.count("user") == counter.count("user") == 1
    assert "user" in counter._cache  # remembered: the second count did not encode again
    counter.count("a b")
    counter.count("c d")  # the cache is full: it starts over instead of growing
    assert len(counter._cache) <= 2


def _run_offline(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter with an empty tiktoken cache and no way out to the internet."""
    env = {
        **os.environ,
        "TIKTOKEN_CACHE_DIR": str(tmp_path / "empty-cache"),
        # A proxy on a closed local port: any download fails at once, whatever the machine's network.
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "",
    }
    (tmp_path / "empty-cache").mkdir()
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, cwd=REPO, timeout=60
    )


def test_offline_without_cache_says_what_to_do(tmp_path):
    result = _run_offline(
        """
        from store.tokens import EncodingUnavailable, load_encoding
        try:
            load_encoding("o200k_base")
        except EncodingUnavailable as error:
            print(error)
        """,
        tmp_path,
    )

    assert result.returncode == 0, result.stderr
    message = result.stdout
    assert "o200k_base" in message
    assert "Set TIKTOKEN_CACHE_DIR to a folder" in message
    assert "fb374d419588a4632f3f557e76b4b70aebbca790" in message
    assert "connect to the internet once" in message
    assert "Traceback" not in result.stderr
