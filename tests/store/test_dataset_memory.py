"""Preflight checks a large file in bounded memory: peak RSS barely moves from a 20 MB file to a 200 MB one.

Measured in a fresh interpreter (ru_maxrss, the peak resident size), not by timing. Lines
carry a long system prompt so that most bytes are JSON to parse rather than text to
tokenize: the test stays quick while the reading, parsing and bookkeeping see every byte.
The 1-2 GB figures are in tests/bench/bench_preflight.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


def write_chat_file(path: Path, size_bytes: int) -> int:
    """A valid chat file of about size_bytes, every line a distinct example; returns the line count."""
    system = "You are a meticulous travel assistant. " * 40
    prefix = json.dumps({"role": "system", "content": system})
    lines = 0
    with path.open("w", encoding="utf-8", buffering=4 * MB) as f:
        written = 0
        while written < size_bytes:
            lines += 1
            line = (
                f'{{"messages": [{prefix}, {{"role": "user", "content": "Trip {lines} to Oslo?"}}, '
                f'{{"role": "assistant", "content": "Take the train, trip {lines}."}}]}}\n'
            )
            f.write(line)
            written += len(line)
    return lines


@pytest.mark.slow
def test_peak_memory_stays_flat_as_the_file_grows(tmp_path):
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    write_chat_file(small, 20 * MB)
    large_lines = write_chat_file(large, 200 * MB)
    code = f"""
        import json, resource
        from store.dataset import check_file
        from store.tokens import load_encoding

        def peak():
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB

        load_encoding("o200k_base")
        start = peak()
        small = check_file({str(small)!r}, model="gpt-4o-mini-2024-07-18")
        after_small = peak()
        large = check_file({str(large)!r}, model="gpt-4o-mini-2024-07-18")
        print(json.dumps({{"start": start, "small": after_small, "large": peak(),
                          "examples": large.examples, "exit": large.exit_code}}))
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=os.environ.copy(),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)

    assert figures["examples"] == large_lines and figures["exit"] == 0
    # 10x the data: the duplicate table grows by ~36 bytes per example (3-4 MB here), nothing else.
    assert figures["large"] - figures["small"] < 16 * MB, figures
    # And nothing close to the file's size is ever held.
    assert figures["large"] - figures["start"] < 40 * MB, figures
