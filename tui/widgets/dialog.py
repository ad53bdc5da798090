"""The frame every finetop dialog shares: centred over a dimmed screen, a title, buttons on the right."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

ResultType = TypeVar("ResultType")


class Dialog(ModalScreen[ResultType]):
    """A modal with one `#dialog` box holding a `#title`, its content and a `#buttons` row."""

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
        background: $background 60%;
    }
    Dialog > #dialog {
        width: 66;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        padding: 1 2;
        background: $panel;
        border: thick $error 70%;
    }
    Dialog #title {
        text-style: bold;
        margin-bottom: 1;
    }
    Dialog #buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    Dialog #buttons Button {
        margin-left: 2;
    }
    """
