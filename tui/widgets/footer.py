"""Textual's Footer, rebuilt once per frame however many times the bindings change before it."""

from __future__ import annotations

from textual import events
from textual.screen import Screen
from textual.widgets import Footer

COMPACT_BELOW = 100  # columns: narrower footers drop the padding between keys so that all of them fit


class KeysFooter(Footer):
    """The footer of every finetop screen.

    Textual's Footer recomposes its keys on every bindings change; while a screen starts, focus,
    the screen stack and the first idle each signal one, and each rebuild of a dozen keys costs about
    as much as painting the jobs table. Changes that arrive before the next frame share one rebuild.
    Below COMPACT_BELOW columns it is compact (or always, for screens with many keys)."""

    _rebuild_pending = False
    _built_once = False

    def __init__(self, *, always_compact: bool = False) -> None:
        super().__init__(compact=always_compact)
        self.always_compact = always_compact

    def on_resize(self, event: events.Resize) -> None:
        self.compact = self.always_compact or event.size.width < COMPACT_BELOW

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        if not self._rebuild_pending:
            self._rebuild_pending = True
            if self._built_once:
                self.call_after_refresh(self._rebuild)
            else:  # the screen's content goes out first; the keys follow a frame later
                self.call_after_refresh(self.call_after_refresh, self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_pending = False
        self._built_once = True
        await self.recompose()
