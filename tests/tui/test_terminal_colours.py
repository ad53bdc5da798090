"""On a terminal of 16 colours finetop uses the terminal's own palette, so statuses keep their colours
(Textual would map its orange to the nearest red, and running jobs would look failed)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def detected_on_a_terminal(term: str) -> str:
    """Run the detector on a real pseudo-terminal with this TERM; what it printed."""
    leader, follower = pty.openpty()
    env = {key: value for key, value in os.environ.items() if key not in ("COLORTERM", "TEXTUAL_DRIVER", "NO_COLOR")}
    env["TERM"] = term
    code = "from tui.app import few_colours; print('few' if few_colours() else 'many')"
    with subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=env, stdout=follower, stderr=follower) as child:
        os.close(follower)
        output = b""
        while True:
            try:
                chunk = os.read(leader, 1024)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        child.wait(timeout=30)
    os.close(leader)
    return output.decode().strip()


TERMINALS = [("xterm-16color", "few"), ("screen", "few"), ("xterm-256color", "many")]


@pytest.mark.parametrize(("term", "expected"), TERMINALS)
def test_sixteen_colour_terminals_are_told_from_richer_ones(term, expected):
    assert detected_on_a_terminal(term) == expected
