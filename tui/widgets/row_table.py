"""A read-only table for thousands of rows: only the rows on screen are ever formatted.

Textual's DataTable measures and lays out every cell of every row it is given; for 5,000
jobs that is about a second per refresh (a filter keystroke, a re-sort). RowTable keeps
just the row keys and asks the screen for a row's cells when the row comes into view,
using only the public Line API (ScrollView + render_line), so it stays fast however many
rows there are and does not depend on another widget's internals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.events import Click, Resize
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

Cell = str | Text
CellsOf = Callable[[str], Sequence[Cell]]  # row key -> one cell per column, in column order
PADDING = 1  # blank cells either side of every column, as DataTable draws them


@dataclass(frozen=True, slots=True)
class TableColumn:
    key: str
    label: str
    width: int
    right: bool = False  # numbers read best right-aligned


class RowTable(ScrollView, can_focus=True):
    """Rows under a fixed header, one line each, with a row cursor, keyboard and mouse."""

    DEFAULT_CSS = """
    RowTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        & > .row-table--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .row-table--header { background: ansi_bright_blue; color: ansi_default; }
        & > .row-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .row-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        &:dark > .row-table--even-row { background: $surface-darken-1 40%; }
    }
    """
    COMPONENT_CLASSES = {"row-table--header", "row-table--cursor", "row-table--even-row"}
    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
    ]

    class RowHighlighted(Message):
        """The cursor moved to the row `key`."""

        def __init__(self, table: RowTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> RowTable:
            return self.table

    class RowSelected(RowHighlighted):
        """The user chose the row `key` (a click; screens bind enter themselves)."""

    class HeaderSelected(Message):
        """The user clicked the header of the column `column_key` (to sort by it)."""

        def __init__(self, table: RowTable, column_key: str) -> None:
            super().__init__()
            self.table = table
            self.column_key = column_key

        @property
        def control(self) -> RowTable:
            return self.table

    cursor_row: reactive[int] = reactive(0, init=False)

    def __init__(self, *, zebra_stripes: bool = True, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.zebra_stripes = zebra_stripes
        self.columns: tuple[TableColumn, ...] = ()
        self._keys: list[str] = []
        self._index: dict[str, int] = {}
        self._cells_of: CellsOf = lambda key: ()
        # (key, look) -> the row drawn and its style (to fill the line with); cleared on any change
        self._strips: dict[tuple[str, int], tuple[Strip, Style]] = {}

    # ---- what the screen calls -------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> Sequence[str]:
        return self._keys

    @property
    def cursor_key(self) -> str | None:
        return self._keys[self.cursor_row] if 0 <= self.cursor_row < len(self._keys) else None

    def set_columns(self, columns: Iterable[TableColumn]) -> None:
        self.columns = tuple(columns)
        self._changed()

    def set_rows(self, keys: Iterable[str], cells_of: CellsOf) -> None:
        """Show `keys` in this order; `cells_of(key)` is asked only for rows that come into view.
        The cursor stays on the row it was on when that row is still shown."""
        current = self.cursor_key
        self._keys = list(keys)
        self._index = {key: row for row, key in enumerate(self._keys)}
        self._cells_of = cells_of
        self._changed()
        row = self._index.get(current, min(self.cursor_row, max(0, len(self._keys) - 1))) if current else 0
        self.set_reactive(RowTable.cursor_row, row)
        self._scroll_to_cursor()

    def refresh_rows(self, keys: Iterable[str]) -> None:
        """Draw these rows again (their cells changed: a status, a ticking elapsed time)."""
        for key in keys:
            row = self._index.get(key)
            if row is None:
                continue
            for look in range(4):
                self._strips.pop((key, look), None)
            self.refresh_line(row - int(self.scroll_offset.y) + 1)

    def move_cursor(self, *, row: int) -> None:
        if self._keys:
            self.cursor_row = max(0, min(row, len(self._keys) - 1))

    # ---- actions ------------------------------------------------------------------------------

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(row=self.cursor_row - self._rows_visible())

    def action_page_down(self) -> None:
        self.move_cursor(row=self.cursor_row + self._rows_visible())

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=len(self._keys) - 1)

    def watch_cursor_row(self, old: int, new: int) -> None:
        scroll_y = int(self.scroll_offset.y)
        for row in (old, new):
            self.refresh_line(row - scroll_y + 1)
        self._scroll_to_cursor()
        if self.cursor_key is not None:
            self.post_message(self.RowHighlighted(self, self.cursor_key))

    def on_click(self, event: Click) -> None:
        if event.y == 0:
            column = self._column_at(event.x + int(self.scroll_offset.x))
            if column is not None:
                self.post_message(self.HeaderSelected(self, column.key))
            return
        row = int(self.scroll_offset.y) + event.y - 1
        if 0 <= row < len(self._keys):
            self.cursor_row = row
            self.post_message(self.RowSelected(self, self._keys[row]))

    def on_resize(self, event: Resize) -> None:
        self._strips.clear()
        self._scroll_to_cursor()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    # ---- drawing --------------------------------------------------------------------------------

    def _changed(self) -> None:
        self._strips.clear()
        width = sum(column.width + 2 * PADDING for column in self.columns)
        self.virtual_size = Size(width, len(self._keys) + 1)  # + the header
        self.refresh()

    def _rows_visible(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        top = int(self.scroll_offset.y)
        visible = self._rows_visible()
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, immediate=True)

    def _column_at(self, x: int) -> TableColumn | None:
        left = 0
        for column in self.columns:
            left += column.width + 2 * PADDING
            if x < left:
                return column
        return None

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = int(self.scroll_offset.x), int(self.scroll_offset.y)
        base = self.rich_style
        if y == 0:
            header = self.get_component_rich_style("row-table--header")
            strip = self._strip([column.label for column in self.columns], base + header)
            return strip.crop_extend(scroll_x, scroll_x + width, base + header)
        row = scroll_y + y - 1
        if row >= len(self._keys):
            return Strip.blank(width, base)
        key = self._keys[row]
        look = (2 if row == self.cursor_row else 0) + (1 if self.zebra_stripes and row % 2 else 0)
        drawn = self._strips.get((key, look))
        if drawn is None:
            style = base
            if look & 1:
                style += self.get_component_rich_style("row-table--even-row")
            if look & 2:
                style += self.get_component_rich_style("row-table--cursor")
            drawn = self._strips[(key, look)] = (self._strip(self._cells_of(key), style), style)
        strip, style = drawn
        # The row's colour runs to the edge, so the cursor reads as a bar across the table.
        return strip.crop_extend(scroll_x, scroll_x + width, style).apply_offsets(scroll_x, row)

    def _strip(self, cells: Sequence[Cell], style: Style) -> Strip:
        line = Text(style=style, no_wrap=True, end="")
        pad = " " * PADDING
        for column, cell in zip(self.columns, cells, strict=False):
            text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
            text.truncate(column.width, overflow="ellipsis", pad=False)
            gap = " " * (column.width - text.cell_len)
            line.append(pad)
            if column.right:
                line.append(gap)
            line.append_text(text)
            if not column.right:
                line.append(gap)
            line.append(pad)
        segments = [Segment(s.text, style + s.style if s.style else style) for s in line.render(self.app.console)]
        return Strip(segments, line.cell_len)
