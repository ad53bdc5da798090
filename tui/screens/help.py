"""HelpScreen: every key of the app, screen by screen, with what it does and the id to remap it in config.toml."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from tui.widgets.app_header import AppHeader
from tui.widgets.footer import KeysFooter

# Where keys live, in the order a user meets them: (heading, module, class). Modules that do not
# exist yet are skipped, so the help never breaks on a missing screen.
KEY_SOURCES: tuple[tuple[str, str, str], ...] = (
    ("Everywhere", "tui.app", "FinetopApp"),
    ("Jobs", "tui.screens.jobs", "JobsScreen"),
    ("A job", "tui.screens.job", "JobScreen"),
    ("A job's event log", "tui.widgets.event_log", "EventLog"),
    ("A job's loss chart", "tui.widgets.loss_chart", "LossChart"),
    ("Files", "tui.screens.files", "FilesScreen"),
    ("File preview", "tui.screens.file_preview", "FilePreviewScreen"),
    ("Models", "tui.screens.models", "ModelsScreen"),
    ("Spend", "tui.screens.spend", "SpendScreen"),
    ("New job", "tui.screens.new_job", "NewJobScreen"),
    ("File picker", "tui.screens.new_job", "FilePickerScreen"),
    ("Confirmation dialog", "tui.widgets.confirm", "ConfirmScreen"),
    ("Error dialog", "tui.widgets.error", "ErrorScreen"),
    ("Save dialog", "tui.screens.files", "SavePathScreen"),
    ("Help", "tui.screens.help", "HelpScreen"),
)
# Keys Textual adds on its own, worth knowing.
PALETTE = Binding(
    "ctrl+p",
    "command_palette",
    "Palette",
    id="app.command_palette",
    tooltip="Find jobs, files and models by name or id; run actions (job: cancel, sync: now, profile: switch)",
)


@dataclass(frozen=True)
class KeyGroup:
    heading: str
    owner: type
    bindings: tuple[Binding, ...]


def _as_binding(item: BindingType) -> Binding:
    return item if isinstance(item, Binding) else Binding(*item)


def key_groups(current: type | None = None) -> list[KeyGroup]:
    """Every key source, "Everywhere" first, then the screen the user came from, then the rest."""
    groups: list[KeyGroup] = []
    for heading, module, name in KEY_SOURCES:
        owner = getattr(importlib.import_module(module), name)
        bindings = tuple(_as_binding(b) for b in owner.__dict__.get("BINDINGS", ()))
        if owner.__name__ == "FinetopApp":
            bindings += (PALETTE,)
        if bindings:
            groups.append(KeyGroup(heading, owner, bindings))
    if current is not None:
        groups.sort(key=lambda g: (g.heading != "Everywhere", g.owner is not current))
    return groups


class HelpScreen(Screen[None]):
    """Every key, grouped by screen; escape, q or ? closes it."""

    CSS_PATH = "help.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close", tooltip="Back to where you were"),
    ]

    def compose(self) -> ComposeResult:
        yield AppHeader(getattr(self.app, "current_mode", "jobs") or "jobs")
        groups = key_groups(self._came_from())
        # One width for the id column across all groups, so the tables line up as one.
        id_width = max((len(b.id or "") for g in groups for b in g.bindings), default=10)
        with VerticalScroll(id="help-body"):
            yield Static(self._intro(), id="help-intro")
            for group in groups:
                yield Static(Text(group.heading, style="bold"), classes="help-heading")
                yield Static(self._table(group.bindings, id_width), classes="help-keys")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#help-body", VerticalScroll).focus()

    def _came_from(self) -> type | None:
        others = [screen for screen in self.app.screen_stack if screen is not self]
        return type(others[-1]) if others else None

    @staticmethod
    def _intro() -> Text:
        return Text.assemble(
            "Every key of finetop, the screen you came from first. Keys greyed out in the footer do not apply "
            "right now.\nRemap any key by its id in config.toml (several keys: ",
            ('"x,ctrl+d"', "bold"),
            "; ",
            ("*", "yellow"),
            " marks keys remapped there):\n",
            ("  [keys]\n", "bold"),
            ('  "files.delete" = "x"', "bold"),
        )

    def _table(self, bindings: Iterable[Binding], id_width: int) -> Table:
        keymap: dict[str, str] = getattr(self.app, "_keymap", {}) or {}  # Textual's normalised [keys] overrides
        table = Table.grid(padding=(0, 2), expand=True)
        table.add_column("keys", no_wrap=True, width=9)
        table.add_column("what", ratio=1)
        table.add_column("id", no_wrap=True, style="dim", width=id_width)
        for binding in bindings:
            keys = keymap.get(binding.id or "", binding.key)
            shown = Text(", ".join(self._key_name(key) for key in keys.split(",")), style="bold")
            if binding.id in keymap:
                shown.append(" *", style="yellow")
            what = Text(binding.description or binding.action.replace("_", " "))
            if binding.tooltip:
                what.append(f"  {binding.tooltip}", style="dim")
            table.add_row(shown, what, binding.id or "")
        return table

    def _key_name(self, key: str) -> str:
        return self.app.get_key_display(Binding(key.strip(), ""))

    def action_close(self) -> None:
        self.dismiss()
