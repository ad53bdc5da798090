"""ConfirmScreen: the one dialog that stands between a key press and a destructive action.

Focus starts on the safe button, so Enter pressed by habit cancels; `y` confirms, `n` and Escape cancel.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from tui.widgets.dialog import Dialog


class ConfirmScreen(Dialog[bool]):
    """Ask before doing something that cannot be undone; dismisses with True only on an explicit yes."""

    DEFAULT_CSS = """
    ConfirmScreen #warning {
        /* No tinted background: on 16 colours it would be the same yellow as the text. */
        color: $text-warning;
        border-left: thick $warning;
        padding: 0 1;
        margin-top: 1;
    }
    """
    BINDINGS = [
        Binding("y", "confirm", "Yes", id="confirm.yes", tooltip="Do it"),
        Binding("n", "cancel", "No", id="confirm.no", tooltip="Leave everything as it is"),
        Binding("escape", "cancel", "Cancel", show=False, id="confirm.cancel"),
    ]

    def __init__(
        self,
        title: str,
        body: str | Text = "",
        *,
        confirm_label: str = "Delete",
        cancel_label: str = "Cancel",
        warning: str | Text | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """`confirm_label` is the destructive verb ("Cancel job", "Delete file"). Text shows as given, not as markup."""
        super().__init__(name=name, id=id, classes=classes)
        self.title_text = title
        self.body = body
        self.warning = warning
        self.confirm_label = confirm_label
        self.cancel_label = cancel_label

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.title_text, id="title", markup=False)
            if self.body:
                yield Static(self.body, id="body", markup=False)
            if self.warning:
                yield Static(Text("⚠ ").append_text(_as_text(self.warning)), id="warning", markup=False)
            with Horizontal(id="buttons"):
                yield Button(Text(f"{self.cancel_label} (n)"), id="cancel", variant="default")
                yield Button(Text(f"{self.confirm_label} (y)"), id="confirm", variant="error")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


def _as_text(value: str | Text) -> Text:
    return value if isinstance(value, Text) else Text(value)
