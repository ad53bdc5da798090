"""The one-line header on every screen: profile, connection and data age, active jobs, days left to train."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from tui import format as fmt

SECTIONS = (("jobs", "1", "Jobs"), ("files", "2", "Files"), ("models", "3", "Models"), ("spend", "4", "Spend"))


@dataclass(frozen=True)
class AppStatus:
    """What the header says; the app replaces it after every sync."""

    profile: str = ""
    endpoint: str = ""
    # starting | syncing | online | offline | no-key | cache-only (--offline)
    state: str = "starting"
    last_contact: float | None = None
    offline_since: float | None = None
    active_jobs: int = 0
    training_days_left: int | None = None
    detail: str = ""

    @property
    def host(self) -> str:
        parsed = urlparse(self.endpoint)
        return parsed.netloc or self.endpoint


class AppHeader(Widget):
    """Brand and sections on the left; profile, connection, activity and the training countdown on the right."""

    DEFAULT_CSS = """
    AppHeader {
        dock: top;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    AppHeader > Horizontal { height: 1; }
    AppHeader #sections { width: auto; }
    AppHeader #state {
        width: 1fr;
        text-align: right;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    status: reactive[AppStatus] = reactive(AppStatus, always_update=True)
    section: reactive[str] = reactive("jobs")

    def __init__(self, section: str = "jobs", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_reactive(AppHeader.section, section)

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(id="sections")
            yield Static(id="state")

    def on_mount(self) -> None:
        self.watch(self.app, "status", self._status_changed, init=True)
        # Ages ("synced 12s ago") move on their own.
        self.set_interval(1.0, self._render_state)

    def _status_changed(self, status: AppStatus) -> None:
        self.status = status

    def watch_status(self) -> None:
        self._render_state()

    def watch_section(self) -> None:
        self._render_sections()

    def on_resize(self) -> None:
        self._render_sections()
        self._render_state()

    def _render_sections(self) -> None:
        text = Text.assemble((" finetop ", "bold reverse"), " ") if self.size.width >= 100 else Text("")
        for name, key, label in SECTIONS:
            current = name == self.section
            text.append(f" {key} ", style="bold reverse" if current else "dim")
            text.append(f"{label} ", style="bold" if current else "dim")
        self.query_one("#sections", Static).update(text)

    def _render_state(self) -> None:
        if not self.is_mounted:
            return
        status = self.status
        now = self.app.wall_now()  # type: ignore[attr-defined]
        narrow = self.size.width < 120
        parts: list[Text] = [Text(status.profile, style="bold")]
        if self.size.width >= 140 and status.host:
            parts.append(Text(status.host, style="dim"))
        parts.append(self._connection(status, now, narrow))
        if status.active_jobs:
            parts.append(Text(f"{status.active_jobs} active", style="yellow"))
        if status.training_days_left is not None:
            days = status.training_days_left
            label = "training closed" if days == 0 else (f"train {days}d" if narrow else f"{days} days left to train")
            parts.append(Text(label, style="bold red" if days <= 30 else "dim"))
        self.query_one("#state", Static).update(Text(" · ").join(parts) + " ")

    @staticmethod
    def _connection(status: AppStatus, now: float, narrow: bool) -> Text:
        age = fmt.ago(status.last_contact, now) if status.last_contact else "never synced"
        if status.state == "online":
            return Text.assemble(("● ", "green"), ("synced " if not narrow else "", "dim"), (age, "dim"))
        if status.state == "syncing":
            return Text.assemble(("◌ ", "cyan"), ("syncing", "cyan"))
        if status.state == "starting":
            label = "cache" if not status.last_contact else (age if narrow else f"data {age}")
            return Text.assemble(("◌ ", "dim"), (label, "dim"))
        if status.state == "no-key":
            return Text.assemble(("○ ", "yellow"), ("no key" if narrow else "no API key · cache only", "yellow"))
        if status.state == "cache-only":
            return Text.assemble(("○ ", "yellow"), ("cache only" if narrow else f"offline mode · data {age}", "yellow"))
        if narrow:
            return Text.assemble(("○ ", "bold red"), (f"offline · {age}", "red"))
        since = f" since {fmt.clock(status.offline_since)}" if status.offline_since else ""
        return Text.assemble(("○ ", "bold red"), (f"offline{since} · data {age}", "red"))
