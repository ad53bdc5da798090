"""ErrorScreen: an API failure in full — the service's own message, HTTP status, request id and what to do.

Takes store.errors.ApiError (or any exception with the same attributes, or plain values). The
request id can be copied (`c`) for a support ticket; the clipboard works over SSH (OSC 52).
"""

from __future__ import annotations

import re

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from tui.widgets.dialog import Dialog

# Titles by store.errors.ApiError.kind, in the user's terms.
_TITLES = {
    "auth": "The API key was refused",
    "permission": "Not allowed with this key",
    "not_found": "Not found on the server",
    "conflict": "The server refused: conflict",
    "bad_request": "The server refused the request",
    "rate_limit": "Rate limited",
    "quota": "Out of quota",
    "server": "The service had a problem",
    "offline": "Cannot reach the server",
    "timeout": "The server did not answer in time",
}

# Secret keys are never shown, even if a message or a proxy echoes one back.
_SECRET = re.compile(r"\b(sk-(?:proj-|admin-|svcacct-)?)[A-Za-z0-9_\-*]{8,}")


def redact(text: str) -> str:
    """`text` with anything shaped like an OpenAI secret key cut down to its prefix: `sk-proj-…`."""
    return _SECRET.sub(lambda match: f"{match.group(1)}…", text)


class ErrorScreen(Dialog[None]):
    """A modal explaining a failed request; Escape, Enter or `q` closes it, `c` copies the request id."""

    DEFAULT_CSS = """
    ErrorScreen > #dialog {
        width: 72;
    }
    ErrorScreen #title {
        color: $text-error;
    }
    ErrorScreen #details {
        color: $text-muted;
        margin-top: 1;
    }
    ErrorScreen #hint {
        margin-top: 1;
        color: $text-warning;
    }
    """
    BINDINGS = [
        Binding("escape,enter,q", "close", "Close", id="error.close", tooltip="Close this message"),
        Binding("c", "copy_request_id", "Copy request id", id="error.copy", tooltip="Copy the request id"),
    ]

    def __init__(
        self,
        error: BaseException | None = None,
        *,
        title: str | None = None,
        message: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        code: str | None = None,
        hint: str | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Values come from `error`'s attributes (message, status, request_id, code, hint, kind) unless given."""
        super().__init__(name=name, id=id, classes=classes)
        kind = getattr(error, "kind", None)
        self.title_text = title or _TITLES.get(kind or "", "The request failed")
        self.message = redact(message if message is not None else _message_of(error))
        self.status = status if status is not None else _int_or_none(getattr(error, "status", None))
        self.request_id = request_id if request_id is not None else getattr(error, "request_id", None)
        self.code = code if code is not None else getattr(error, "code", None)
        self.hint = hint if hint is not None else (getattr(error, "hint", "") or "")

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.title_text, id="title", markup=False)
            yield Static(self.message, id="message", markup=False)
            details = self._details()
            if details:
                yield Static(details, id="details", markup=False)
            if self.hint:
                yield Static(self.hint, id="hint", markup=False)
            with Horizontal(id="buttons"):
                if self.request_id:
                    yield Button(Text("Copy request id (c)"), id="copy")
                yield Button(Text("Close (esc)"), id="close", variant="primary")

    def _details(self) -> Text:
        text = Text()
        if self.status:
            text.append(f"HTTP {self.status}")
        if self.code:
            text.append(f"{' · ' if text else ''}{self.code}")
        if self.request_id:
            if text:
                text.append("\n")
            text.append("request id ")
            text.append(self.request_id, style="bold")
        return text

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#copy")
    def action_copy_request_id(self) -> None:
        if not self.request_id:
            self.notify("This error has no request id.", severity="warning")
            return
        self.app.copy_to_clipboard(self.request_id)
        self.notify(f"Copied {self.request_id}", title="Request id")


def _message_of(error: BaseException | None) -> str:
    if error is None:
        return "Something went wrong."
    message = getattr(error, "message", None)
    if isinstance(message, str) and message:
        return message
    return str(error) or type(error).__name__


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
