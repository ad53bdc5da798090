"""Shared test setup: every test runs with its own config and data folders and no OPENAI_* settings."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

# tiktoken cannot download on offline machines; use the shared ready-made cache when present.
if "TIKTOKEN_CACHE_DIR" not in os.environ and (SHARED / "tiktoken-cache").is_dir():
    os.environ["TIKTOKEN_CACHE_DIR"] = str(SHARED / "tiktoken-cache")

# Screens show local times: pin the zone so snapshots are the same on every machine.
os.environ["TZ"] = "UTC"
time.tzset()

pytest_plugins: list[str] = ["tests.fixtures.emulator", "tests.fixtures.app"]


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point finetop at throwaway folders and forget any real account settings."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("FINETOP_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("FINETOP_DATA_DIR", str(home / "data"))
    for name in list(os.environ):
        if name.startswith(("OPENAI_", "AZURE_OPENAI_", "FINETOP_PROFILE")):
            monkeypatch.delenv(name, raising=False)
    return home
