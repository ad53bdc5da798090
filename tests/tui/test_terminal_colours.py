"""On a terminal of 16 colours finetop uses the terminal's own palette, so statuses keep their colours
(Textual would map its orange to the nearest red, and running jobs would look failed)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def theme_on_a_terminal(term: str, home) -> str:
    """The theme finetop's app gets on a real pseudo-terminal with this TERM."""
    leader, follower = pty.openpty()
    env = {key: value for key, value in os.environ.items() if key not in ("COLORTERM", "TEXTUAL_DRIVER", "NO_COLOR")}
    env.update(TERM=term, FINETOP_DATA_DIR=str(home / "data"), FINETOP_CONFIG_DIR=str(home / "config"))
    env.setdefault("OPENAI_API_KEY", "sk-test")
    code = (
        "from store.backend import Backend; from tui.app import make_app; "
        "print(make_app(Backend.open(None), poll=False).theme)"
    )
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


TERMINALS = [("xterm-16color", "ansi-dark"), ("screen", "ansi-dark"), ("xterm-256color", "textual-dark")]


@pytest.mark.parametrize(("term", "expected"), TERMINALS)
def test_sixteen_colour_terminals_get_the_terminals_own_palette(term, expected, tmp_path):
    assert theme_on_a_terminal(term, tmp_path).splitlines()[-1] == expected
