"""finetop's reusable widgets: LossChart, EventLog, ConfirmScreen and ErrorScreen.

Imported lazily by name, so a screen that needs only a dialog does not pay for the plotting library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.widgets.confirm import ConfirmScreen
    from tui.widgets.error import ErrorScreen
    from tui.widgets.event_log import EventLog
    from tui.widgets.loss_chart import LossChart

_WHERE = {
    "ConfirmScreen": "tui.widgets.confirm",
    "ErrorScreen": "tui.widgets.error",
    "EventLog": "tui.widgets.event_log",
    "LossChart": "tui.widgets.loss_chart",
}

__all__ = ["ConfirmScreen", "ErrorScreen", "EventLog", "LossChart"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
