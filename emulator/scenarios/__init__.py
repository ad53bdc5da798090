"""Named scenarios a world can be seeded with: empty, small (tests), demo (finetop demo), bench (volume)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from emulator.scenarios import bench, demo, empty, small

if TYPE_CHECKING:
    from emulator.world import World

Builder = Callable[["World", float, dict[str, Any]], None]
SCENARIOS: dict[str, Builder] = {
    "empty": empty.build,
    "small": small.build,
    "demo": demo.build,
    "bench": bench.build,
}


def get(name: str) -> Builder:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise KeyError(f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}") from None
