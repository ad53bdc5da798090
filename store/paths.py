"""Where finetop keeps its config and its per-profile caches on this machine."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "finetop"


def config_dir() -> Path:
    """The folder holding config.toml and prices.csv (FINETOP_CONFIG_DIR overrides)."""
    override = os.environ.get("FINETOP_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """The folder holding one cache per profile (FINETOP_DATA_DIR overrides)."""
    override = os.environ.get("FINETOP_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by its owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path
