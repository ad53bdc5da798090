"""EventLog: a job's events as a virtualised, live-following log that opens 100,000 lines instantly.

Built on Textual's Line API: only the rows on screen are formatted (and cached by event id), so
opening, appending and scrolling cost the same for 100 events or 100,000. Follows new events only
while the user is at the bottom (elia's rule); otherwise it counts them in a "N new events ↓" bar.
Asks its screen for older events (a message) when scrolled to the top and more exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import attrgetter

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.cache import LRUCache
from textual.events import Click, Resize
from textual.geometry import Size
from textual.message import Message
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip

from store.types import JobEvent
from tui.format import LEVEL_WIDTH, clock, day_of, event_line

_by_time = attrgetter("created_at")
_id_of = attrgetter("id")
_message_of = attrgetter("message")


class EventLog(ScrollView, can_focus=True):
    """A scrollable log of one job's events, oldest at the top, newest at the bottom."""

    ALLOW_SELECT = True
    DEFAULT_CSS = """
    EventLog {
        background: $surface;
        color: $foreground;
        overflow-x: auto;
        overflow-y: auto;
        height: 1fr;
        scrollbar-size-horizontal: 1;
        &:focus {
            background-tint: $foreground 5%;
        }
        & > .event-log--new-events {
            background: $accent;
            color: $text;
            text-style: bold;
        }
        & > .event-log--older {
            color: $text-muted;
            text-style: italic;
        }
        & > .event-log--empty {
            color: $text-muted;
        }
    }
    """
    COMPONENT_CLASSES = {"event-log--new-events", "event-log--older", "event-log--empty"}
    BINDINGS = [
        Binding(
            "end",
            "follow",
            "Follow",
            id="event_log.follow",
            tooltip="Jump to the newest event and keep following new ones",
        ),
        Binding(
            "home",
            "scroll_home",
            "Oldest",
            show=False,
            id="event_log.oldest",
            tooltip="Jump to the oldest loaded event (loads older ones when there are more)",
        ),
    ]

    class OlderRequested(Message):
        """The user reached the top and older events exist: load those before `oldest` and `prepend` them."""

        def __init__(self, event_log: EventLog, oldest: JobEvent | None) -> None:
            super().__init__()
            self.event_log = event_log
            self.oldest = oldest

        @property
        def control(self) -> EventLog:
            return self.event_log

    utc: var[bool] = var(False)
    """Show times in UTC instead of local time."""
    has_older: var[bool] = var(False)
    """Whether events older than the first loaded one exist (set by the screen)."""
    empty_text: var[str] = var("no events yet")

    def __init__(
        self,
        events: Iterable[JobEvent] = (),
        *,
        utc: bool = False,
        has_older: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._events: list[JobEvent] = []
        self._ids: set[str] | None = set()
        self._unseen = 0
        self._older_pending = False
        self._following = True
        self._with_date = False
        self._message_width = 0
        self._rendered_width = 0
        self._line_cache: LRUCache[str, Strip] = LRUCache(1024)
        self.set_reactive(EventLog.utc, utc)
        self.set_reactive(EventLog.has_older, has_older)
        self._load(events)

    def on_mount(self) -> None:
        self._after_change()
        # Not immediate: the first layout has not given us a height yet.
        self.scroll_end(animate=False, x_axis=False)
        self.call_after_refresh(self._maybe_request_older)

    # ---- what the screen calls -------------------------------------------------------------

    @property
    def events(self) -> Sequence[JobEvent]:
        """The loaded events, oldest first (read only)."""
        return self._events

    @property
    def unseen(self) -> int:
        """New events that arrived below the view while the user was scrolled up."""
        return self._unseen

    @property
    def is_following(self) -> bool:
        """True when the view is at the bottom and will follow new events."""
        return self.is_vertical_scroll_end

    def set_events(self, events: Iterable[JobEvent], *, has_older: bool = False) -> None:
        """Replace everything with `events` (any order) and show the newest."""
        self._load(events)
        self.has_older = has_older
        self._after_change()
        self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.call_after_refresh(self._maybe_request_older)

    def append(self, events: Iterable[JobEvent]) -> int:
        """Add newer events at the bottom; follows them only if the user was at the bottom.

        Events already shown (same id) are skipped. Returns how many were added.
        """
        batch = self._new_batch(events)
        if not batch:
            return 0
        was_at_end = self.is_vertical_scroll_end and not self.is_vertical_scrollbar_grabbed
        if self._events and batch[0].created_at < self._events[-1].created_at:
            # Late arrivals older than the newest shown: keep the log in time order.
            self._events = sorted([*self._events, *batch], key=_by_time)
        else:
            self._events.extend(batch)
        self._note(batch)
        self._after_change()
        if was_at_end:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        else:
            self._unseen += len(batch)
            self.refresh()
        return len(batch)

    def prepend(self, events: Iterable[JobEvent], *, has_older: bool) -> int:
        """Add older events at the top (the answer to OlderRequested) without moving what the user reads.

        Call it with no events and `has_older=False` when there turned out to be none (or loading failed).
        """
        batch = self._new_batch(events)
        old_top = self._top
        self._older_pending = False
        self.set_reactive(EventLog.has_older, has_older)
        if batch and self._events and batch[-1].created_at > self._events[0].created_at:
            # Not all older than what is shown: keep the log in time order (the view may then shift).
            self._events = sorted([*batch, *self._events], key=_by_time)
        else:
            self._events[:0] = batch
        self._note(batch)
        self._after_change()
        shift = len(batch) + self._top - old_top
        if shift:
            self.scroll_to(y=max(0, self.scroll_offset.y + shift), animate=False, immediate=True)
        self.call_after_refresh(self._maybe_request_older)
        return len(batch)

    def clear(self) -> None:
        """Forget all events."""
        self.set_events(())

    def action_follow(self) -> None:
        self.scroll_end(animate=False, immediate=True, x_axis=False)

    def action_scroll_home(self) -> None:
        super().action_scroll_home()
        self._maybe_request_older()

    # ---- bookkeeping -----------------------------------------------------------------------

    def _load(self, events: Iterable[JobEvent]) -> None:
        items = list(events)
        if len(items) > 1 and items[0].created_at > items[-1].created_at:
            items.reverse()  # the API lists newest first
        # Timsort is linear on (nearly) sorted input; this only guards against odd orders.
        items.sort(key=_by_time)
        self._events = items
        self._ids = None  # built on the first append: opening a log should not pay for it
        self._unseen = 0
        self._older_pending = False
        self._message_width = 0
        self._rendered_width = 0
        self._line_cache.clear()
        self._note(items)

    def _new_batch(self, events: Iterable[JobEvent]) -> list[JobEvent]:
        if self._ids is None:
            self._ids = set(map(_id_of, self._events))
        ids = self._ids
        batch: list[JobEvent] = []
        for event in events:
            if event.id not in ids:
                ids.add(event.id)
                batch.append(event)
        batch.sort(key=_by_time)
        return batch

    def _note(self, batch: Sequence[JobEvent]) -> None:
        if batch:
            # A first guess at the widest line from the messages (C-speed over 100,000 events); metrics
            # lines are rebuilt from their data, so the true width is learnt as lines render.
            self._message_width = max(self._message_width, max(map(len, map(_message_of, batch))))
        with_date = bool(self._events) and day_of(self._events[0].created_at, utc=self.utc) != day_of(
            self._events[-1].created_at, utc=self.utc
        )
        if with_date != self._with_date:
            self._with_date = with_date
            self._line_cache.clear()

    def _prefix_width(self) -> int:
        return len(clock(0, utc=True, with_date=self._with_date)) + 1 + LEVEL_WIDTH + 1

    @property
    def _top(self) -> int:
        """Rows above the first event: one for the "older events" row while there are older events."""
        return 1 if self.has_older else 0

    def _after_change(self) -> None:
        width = max(self._prefix_width() + self._message_width, self._rendered_width) if self._events else 0
        self.virtual_size = Size(width, len(self._events) + self._top)
        self.refresh()

    def _grow_width(self) -> None:
        if self._rendered_width > self.virtual_size.width:
            self._after_change()

    def _maybe_request_older(self) -> None:
        if self.has_older and not self._older_pending and self.scroll_offset.y == 0:
            self._older_pending = True
            self.post_message(self.OlderRequested(self, self._events[0] if self._events else None))
            self.refresh()

    # ---- reactions -------------------------------------------------------------------------

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._following = self.is_vertical_scroll_end
        if self._unseen and self.is_vertical_scroll_end:
            self._unseen = 0
            self.refresh()
        if round(new_value) == 0 and round(old_value) != 0:
            self._maybe_request_older()

    def watch_utc(self) -> None:
        self._note(())
        self._line_cache.clear()
        self.refresh()

    def watch_has_older(self) -> None:
        self._after_change()

    def watch_empty_text(self) -> None:
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._line_cache.clear()

    def on_resize(self, event: Resize) -> None:
        # Keep following across resizes (a terminal resized while tailing a log). By now the size has
        # changed, so ask whether the view was at the end before, not whether it is now.
        if self._following:
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True, x_axis=False)

    def on_click(self, event: Click) -> None:
        if self._unseen and event.y == self._viewport_height() - 1:
            event.stop()
            self.action_follow()

    # ---- rendering -------------------------------------------------------------------------

    def _viewport_height(self) -> int:
        return self.scrollable_content_region.height

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        base = self.rich_style
        if not self._events:
            if y == 0:
                return self._banner(f" {self.empty_text}", width, "event-log--empty", align="left")
            return Strip.blank(width, base)
        if self._unseen and y == self._viewport_height() - 1:
            noun = "event" if self._unseen == 1 else "events"
            return self._banner(f" {self._unseen:,} new {noun} ↓  End to follow ", width, "event-log--new-events")
        line_y = scroll_y + y
        if line_y == 0 and self.has_older:
            text = " ↑ loading older events…" if self._older_pending else " ↑ older events: Home to load"
            return self._banner(text, width, "event-log--older", align="left")
        index = line_y - self._top
        if index >= len(self._events):
            return Strip.blank(width, base)
        strip = self._line_strip(index, line_y, base)
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_offsets(scroll_x, line_y)

    def _banner(self, text: str, width: int, component: str, align: str = "right") -> Strip:
        base = self.rich_style
        style = self.get_component_rich_style(component)
        length = cell_len(text)
        if length >= width:
            return Strip([Segment(text, base + style)]).crop(0, width)
        pad = Segment(" " * (width - length), base)
        label = Segment(text, base + style)
        return Strip([pad, label] if align == "right" else [label, pad], width)

    def _line_strip(self, index: int, line_y: int, base: Style) -> Strip:
        event = self._events[index]
        selection = self.text_selection
        if selection is None:
            cached = self._line_cache.get(event.id)
            if cached is not None:
                return cached
        text = event_line(event, utc=self.utc, with_date=self._with_date)
        text.stylize_before(base)
        if selection is not None and (span := selection.get_span(line_y)) is not None:
            start, end = span
            text.stylize(self.screen.get_component_rich_style("screen--selection"), start, None if end == -1 else end)
        strip = Strip(text.render(self.app.console), text.cell_len)
        if selection is None:
            self._line_cache[event.id] = strip
        if strip.cell_length > self._rendered_width:
            self._rendered_width = strip.cell_length
            if strip.cell_length > self.virtual_size.width:
                self.call_later(self._grow_width)
        return strip

    # ---- text selection (mouse drag, then copy) --------------------------------------------

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        # Format only the selected lines: selecting a screenful of a 100,000-line log stays instant.
        top = self._top
        start_y = max(top, selection.start.y if selection.start is not None else 0)
        end_y = selection.end.y if selection.end is not None else len(self._events) - 1 + top
        lines = [
            event_line(event, utc=self.utc, with_date=self._with_date).plain
            for event in self._events[start_y - top : end_y - top + 1]
        ]
        shifted = Selection(
            None if selection.start is None or selection.start.y < top else selection.start - (0, start_y),
            None if selection.end is None else selection.end - (0, start_y),
        )
        return shifted.extract("\n".join(lines)), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()
