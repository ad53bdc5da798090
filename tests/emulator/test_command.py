"""`finetop emulator` and `python -m emulator` start, print where to connect, serve, and stop on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import openai

FINETOP = Path(sys.executable).with_name("finetop")


def _start(command: list[str]) -> tuple[subprocess.Popen, list[str]]:
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("Press Ctrl-C"):
            break
    return process, lines


def test_finetop_emulator_prints_its_url_and_keys_and_serves(tmp_path):
    process, lines = _start(
        [str(FINETOP), "emulator", "--port", "0", "--scenario", "small", "--speed", "0",
         "--now", "2026-11-20T12:00:00Z", "--db", str(tmp_path / "state.sqlite")]
    )  # fmt: skip
    try:
        assert lines[0].startswith("finetop emulator listening on http://127.0.0.1:")
        base_url = lines[0].rsplit(" ", 1)[1]
        assert base_url.endswith("/v1")
        assert f"  export OPENAI_BASE_URL={base_url}" in lines
        assert "  export OPENAI_API_KEY=finetop-emulator-key" in lines
        assert "  admin key: finetop-emulator-admin-key" in lines
        with openai.OpenAI(base_url=base_url, api_key="finetop-emulator-key", max_retries=0, timeout=10) as client:
            assert len(client.fine_tuning.jobs.list(limit=100).data) == 9
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "emulator stopped" in output and "Traceback" not in output
    assert (tmp_path / "state.sqlite").exists()


def test_python_dash_m_emulator_is_the_same_command():
    process, lines = _start([sys.executable, "-m", "emulator", "--port", "0", "--scenario", "empty"])
    try:
        assert lines[0].startswith("finetop emulator listening on http://127.0.0.1:")
    finally:
        process.terminate()
        process.communicate(timeout=20)
    assert process.returncode == 0


def test_a_busy_port_is_a_clear_error_not_a_traceback():
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [str(FINETOP), "emulator", "--port", str(port), "--scenario", "empty"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr and "Traceback" not in result.stderr
