"""The empty account: only the base models one can fine-tune."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator import models

if TYPE_CHECKING:
    from emulator.world import World


def build(world: World, start: float, options: dict[str, Any]) -> None:
    models.add_base_models(world)
