"""FilePreviewScreen: a file's content — JSONL examples one at a time or a page at a time, result CSVs as a table.

The bytes come from the archive (fetched into it first when online). Nothing is loaded whole:
a worker scans the file once into a sparse line index, and every page is read by seeking.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import csv
import io
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import ContentSwitcher, DataTable, Input, ProgressBar, Static
from textual.worker import get_current_worker

from store.errors import FinetopError, NotCachedError
from store.types import RemoteFile
from tui import format as fmt
from tui.jsonl_view import render_line, summary
from tui.line_index import SNIFF_BYTES, LineIndex, LineRead, sniff
from tui.screens.base import FinetopScreen
from tui.widgets.app_header import AppHeader
from tui.widgets.footer import KeysFooter

PAGE_LINES = 100
CSV_MAX_BYTES = 64 * 1024 * 1024
CSV_MAX_ROWS = 10_000
PROGRESS_SECONDS = 0.25  # how often the scan reports (a slow link or disk must not flood the UI)


@dataclass(frozen=True)
class CsvTable:
    header: list[str]
    rows: list[list[str]]
    total_rows: int


def classify(remote: RemoteFile | None, head: bytes) -> tuple[str, str | None]:
    """What kind of preview fits: ("jsonl" | "text" | "csv" | "binary", why not text)."""
    problem = sniff(head)
    name = (remote.filename if remote else "").lower()
    purpose = remote.purpose if remote else ""
    if purpose == "fine-tune-results" or name.endswith(".csv"):
        return "csv", None  # result files may be base64: decided when decoded
    if problem is not None:
        return "binary", problem
    first = head.lstrip()[:1]
    if name.endswith((".jsonl", ".json")) or first in (b"{", b"["):
        return "jsonl", None
    return "text", None


def read_csv(path: Path) -> CsvTable | str:
    """A (possibly base64-encoded) CSV as a table, or why it cannot be shown as one."""
    size = path.stat().st_size
    if size > CSV_MAX_BYTES:
        return f"The file is {fmt.human_size(size)}: too large to show as a table. Press s to save it."
    data = path.read_bytes()
    text = data.decode("utf-8-sig", errors="replace")
    first_line = text.strip().split("\n", 1)[0]
    if text.strip() and "," not in first_line:
        # The service sends result files base64-encoded; a CSV header always has a comma.
        try:
            text = base64.b64decode("".join(text.split()), validate=True).decode("utf-8-sig", errors="replace")
        except (binascii.Error, ValueError):
            return "The file is neither a CSV table nor base64-encoded CSV."
    if sniff(text[:SNIFF_BYTES].encode("utf-8", errors="replace")) is not None or "\x00" in text:
        return "The file is binary, not a CSV table."
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None) or []
    rows: list[list[str]] = []
    total = 0
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        total += 1
        if len(rows) < CSV_MAX_ROWS:
            rows.append(row)
    return CsvTable([h.strip() for h in header], rows, total)


def _one_line(read: LineRead, width: int) -> Text:
    text = Text(read.data.decode("utf-8", errors="replace").replace("\t", " "), no_wrap=True)
    text.truncate(width, overflow="ellipsis")
    return text


class FilePreviewScreen(FinetopScreen):
    """One file's content, paged; escape goes back."""

    CSS_PATH = "file_preview.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "back", "Back", id="preview.back", tooltip="Back to where you were"),
        Binding("n", "next", "Next", id="preview.next", tooltip="The next example (in the list: the next page)"),
        Binding("p", "previous", "Prev", show=False, id="preview.previous", tooltip="The previous example (or page)"),
        Binding("g", "goto", "Go to", id="preview.goto", tooltip="Jump to a line number"),
        Binding("l", "toggle_list", "List", id="preview.list", tooltip="Switch between one example and a page list"),
        Binding("j", "toggle_json", "JSON", id="preview.json", tooltip="Show the example as JSON or as a chat"),
        Binding(
            "s", "save", "Save", show=False, id="preview.save", tooltip="Save the file to a folder of this machine"
        ),
    ]

    def __init__(self, file_id: str) -> None:
        super().__init__()
        self.file_id = file_id
        self.remote: RemoteFile | None = None
        self.kind: str | None = None  # jsonl | text | csv | binary, once opened
        self.index: LineIndex | None = None
        self.mode = "message"  # message | example | list | csv
        self.line = 0  # the example shown (0-based)
        self.page_start = 0  # the first line of the list page (0-based)
        self.as_json = False
        self.shown_lines: list[int] = []  # line numbers (0-based) of the list rows
        self.available = False  # the bytes are in the archive
        self._csv_rows = 0

    def compose(self) -> ComposeResult:
        yield AppHeader(getattr(self.app, "current_mode", "files") or "files")
        with Horizontal(id="preview-title"):
            yield Static(Text(f" {self.file_id}", style="dim"), id="preview-name")
            yield Static(id="preview-position")
        with ContentSwitcher(initial="preview-message", id="preview-body"):
            with VerticalScroll(id="preview-message"):
                yield Static("Reading the archive…", id="preview-message-text")
                yield ProgressBar(id="preview-progress", show_eta=False)
            with VerticalScroll(id="preview-example"):
                yield Static(id="preview-example-text")
            yield DataTable(id="preview-list", cursor_type="row", zebra_stripes=True)
            yield DataTable(id="preview-csv", zebra_stripes=True)
        yield Input(placeholder="line number, then enter", id="preview-goto", type="integer")
        yield KeysFooter(always_compact=True)  # many keys: all of them fit at 80 columns

    def on_mount(self) -> None:
        self.query_one("#preview-goto", Input).display = False
        self.query_one("#preview-progress", ProgressBar).display = False
        self._open()

    # -- opening -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="preview-open", exit_on_error=False, description="Could not open the file")
    def _open(self) -> None:
        cache = self.backend.cache
        remote = None
        with contextlib.suppress(NotCachedError):
            remote = cache.file(self.file_id)
        self.app.call_from_thread(self._show_remote, remote)
        archived = cache.content(self.file_id)
        if archived is None:
            if self.offline:
                self.app.call_from_thread(
                    self._show_message,
                    "The contents of this file are not in the archive, and finetop is offline.\n"
                    "Run `finetop archive --with-contents` while online to keep them.",
                )
                return
            self.app.call_from_thread(self._show_fetching, remote)
            try:
                self.backend.open_file_content(self.file_id).close()
            except FinetopError as error:
                self.app.call_from_thread(self._fetch_failed, error)
                return
            archived = cache.content(self.file_id)
        if archived is not None and archived.path.exists():
            self.app.call_from_thread(setattr, self, "available", True)
        else:
            path = archived.path if archived else "the archive"
            self.app.call_from_thread(
                self._show_message,
                f"The archived contents are missing from {path}.\n"
                "Run `finetop archive verify`, then `finetop archive --with-contents`.",
            )
            return
        with archived.path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
        kind, problem = classify(remote, head)
        if kind == "binary":
            self.app.call_from_thread(
                self._show_message,
                f"finetop cannot show this file: {problem}\nPress s to save it and open it elsewhere.",
            )
            return
        if kind == "csv":
            table = read_csv(archived.path)
            if isinstance(table, str):
                self.app.call_from_thread(self._show_message, table)
            else:
                self.app.call_from_thread(self._show_csv, table)
            return
        if not archived.bytes:
            self.app.call_from_thread(self._show_message, "The file is empty.")
            return
        index = LineIndex(archived.path, archived.bytes)
        self.app.call_from_thread(self._ready, index, kind)
        self._scan(index)

    def _scan(self, index: LineIndex) -> None:
        """Count the lines (on this worker's thread), reporting now and then."""
        worker = get_current_worker()
        last = 0.0

        def progress() -> None:
            nonlocal last
            now = time.monotonic()
            if index.complete or now - last >= PROGRESS_SECONDS:
                last = now
                self.app.call_from_thread(self._render_position)

        index.scan(progress, cancelled=lambda: worker.is_cancelled)

    def _show_remote(self, remote: RemoteFile | None) -> None:
        self.remote = remote
        self._render_name()

    def _show_message(self, message: str) -> None:
        self.mode = "message"
        self.query_one("#preview-progress", ProgressBar).display = False
        self.query_one("#preview-message-text", Static).update(message)
        self.query_one("#preview-body", ContentSwitcher).current = "preview-message"
        self._render_position()
        self.refresh_bindings()

    def _show_fetching(self, remote: RemoteFile | None) -> None:
        size = f" ({fmt.human_size(remote.bytes)})" if remote else ""
        self.query_one("#preview-message-text", Static).update(
            f"Fetching the file{size} from the API into the archive…\nIt stays there: next time it opens at once."
        )
        bar = self.query_one("#preview-progress", ProgressBar)
        bar.display = True
        bar.update(total=None)

    def _fetch_failed(self, error: FinetopError) -> None:
        self._show_message(f"Could not fetch the file: {error.message}\n{error.hint}".strip())
        self.finetop.show_error(error, title="Could not fetch the file")

    def _ready(self, index: LineIndex, kind: str) -> None:
        self.index = index
        self.kind = kind
        if kind == "jsonl":
            self._go_example(0)
        else:
            self._go_page(0)

    def _show_csv(self, table: CsvTable) -> None:
        self.kind = "csv"
        self.mode = "csv"
        grid = self.query_one("#preview-csv", DataTable)
        grid.clear(columns=True)
        for name in table.header:
            grid.add_column(name.replace("_", " "))
        width = len(table.header)
        for row in table.rows:
            grid.add_row(*(Text(cell, justify="right") for cell in (row + [""] * width)[:width]))
        self.query_one("#preview-body", ContentSwitcher).current = "preview-csv"
        grid.focus()
        if table.total_rows > len(table.rows):
            self.notify(f"Showing the first {len(table.rows):,} of {table.total_rows:,} rows.", timeout=5)
        self._csv_rows = table.total_rows
        self._render_position()
        self.refresh_bindings()

    # -- reading lines -------------------------------------------------------------------

    def _go_example(self, line: int) -> None:
        self.line = max(0, line)
        self._read_example(self.line, self.as_json)

    def _go_page(self, start: int) -> None:
        self.page_start = max(0, start - start % PAGE_LINES)
        # The text column gets what the line and size columns leave, so nothing scrolls sideways.
        self._read_page(self.page_start, max(20, self.size.width - 20))

    @work(thread=True, exclusive=True, group="preview-read", exit_on_error=False, description="Could not read the file")
    def _read_example(self, line: int, as_json: bool) -> None:
        index = self.index
        if index is None:
            return
        lines = index.read(line, 1)
        if not lines:
            self.app.call_from_thread(self._past_the_end, line)
            return
        shown: RenderableType = self._renderable(lines[0], as_json)
        self.app.call_from_thread(self._show_example, line, shown)

    def _renderable(self, line: LineRead, as_json: bool) -> RenderableType:
        if self.kind == "text":
            return Text(line.data.decode("utf-8", errors="replace"))
        return render_line(line, as_json=as_json)

    @work(thread=True, exclusive=True, group="preview-read", exit_on_error=False, description="Could not read the file")
    def _read_page(self, start: int, width: int) -> None:
        index = self.index
        if index is None:
            return
        lines = index.read(start, PAGE_LINES, max_bytes=4096)
        if not lines and start > 0:
            self.app.call_from_thread(self._past_the_end, start)
            return
        if self.kind == "text":
            rows = [(read, _one_line(read, width)) for read in lines]
        else:
            rows = [(read, summary(read, width=width)) for read in lines]
        self.app.call_from_thread(self._show_page, start, rows)

    def _show_example(self, line: int, shown: RenderableType) -> None:
        self.mode = "example"
        self.line = line
        self.query_one("#preview-example-text", Static).update(shown)
        scroll = self.query_one("#preview-example", VerticalScroll)
        scroll.scroll_home(animate=False)
        self.query_one("#preview-body", ContentSwitcher).current = "preview-example"
        if not self.query_one("#preview-goto", Input).has_focus:
            scroll.focus()
        self._render_position()
        self.refresh_bindings()

    def _show_page(self, start: int, rows: list[tuple[LineRead, Text]]) -> None:
        self.mode = "list"
        self.page_start = start
        table = self.query_one("#preview-list", DataTable)
        table.clear(columns=True)
        table.add_column("line", key="line")
        table.add_column("size", key="size")
        table.add_column("example" if self.kind == "jsonl" else "text", key="text")
        for read, text in rows:
            table.add_row(
                Text(f"{read.number:,}", justify="right"),
                Text(fmt.human_size(read.length), justify="right", style="dim"),
                text,
                key=str(read.number - 1),
            )
        self.shown_lines = [read.number - 1 for read, _ in rows]
        self.query_one("#preview-body", ContentSwitcher).current = "preview-list"
        if self.line in self.shown_lines:
            table.move_cursor(row=self.shown_lines.index(self.line), animate=False)
        if not self.query_one("#preview-goto", Input).has_focus:
            table.focus()
        self._render_position()
        self.refresh_bindings()

    def _past_the_end(self, line: int) -> None:
        index = self.index
        count = index.line_count if index else None
        if count is not None and count > 0 and line >= count:
            self.notify(f"The file has {count:,} lines.", severity="warning", timeout=3)
            if self.mode == "example" or self.mode == "message":
                self._go_example(count - 1)
            else:
                self._go_page(count - 1)
        else:
            self.notify(f"No line {line + 1:,} (still counting lines).", severity="warning", timeout=3)

    # -- the title -----------------------------------------------------------------------

    def _render_name(self) -> None:
        remote = self.remote
        text = Text(" ", no_wrap=True, overflow="ellipsis")
        if remote is None:
            text.append(self.file_id, style="bold")
        else:
            text.append(remote.filename or remote.id, style="bold")
            if remote.deleted_at is not None:
                text.append(" ⊘ deleted", style="magenta")
            text.append(f"  {fmt.human_size(remote.bytes)} · {remote.purpose}", style="dim")
            if self.size.width >= 110:
                text.append(f" · {remote.id}", style="dim")
        self.query_one("#preview-name", Static).update(text)

    def _render_position(self) -> None:
        index = self.index
        text = Text(no_wrap=True)
        if self.mode == "csv":
            text.append(f"{self._csv_rows:,} rows")
        elif index is not None and self.mode in ("example", "list"):
            count = index.line_count
            total = f"{count:,}" if count is not None else f"{index.lines_seen:,}+"
            if self.mode == "example":
                noun = "example" if self.kind == "jsonl" else "line"
                text.append(f"{noun} {self.line + 1:,} of {total}")
            elif self.shown_lines:
                text.append(f"lines {self.shown_lines[0] + 1:,}–{self.shown_lines[-1] + 1:,} of {total}")
            if count is None:
                text.append(f"  counting {fmt.percent(index.fraction_scanned)}", style="dim")
            if self.as_json and self.mode == "example" and self.kind == "jsonl":
                text.append("  JSON", style="dim")
        text.append(" ")
        self.query_one("#preview-position", Static).update(text)

    def on_resize(self) -> None:
        self._render_name()

    # -- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        paged = self.index is not None and self.mode in ("example", "list")
        rules = {
            "next": paged,
            "previous": paged and (self.line > 0 if self.mode == "example" else self.page_start > 0),
            "goto": paged,
            "toggle_list": paged,
            "toggle_json": paged and self.mode == "example" and self.kind == "jsonl",
            "save": self.available or not self.offline,
        }
        if action in rules:
            return True if rules[action] else None
        return True

    def action_back(self) -> None:
        box = self.query_one("#preview-goto", Input)
        if box.display:
            self._close_goto()
            return
        self.dismiss()

    def action_next(self) -> None:
        if self.mode == "example":
            self._go_example(self.line + 1)
        elif self.mode == "list":
            self._go_page(self.page_start + PAGE_LINES)

    def action_previous(self) -> None:
        if self.mode == "example" and self.line > 0:
            self._go_example(self.line - 1)
        elif self.mode == "list" and self.page_start > 0:
            self._go_page(self.page_start - PAGE_LINES)

    def action_toggle_list(self) -> None:
        if self.mode == "example":
            self._go_page(self.line)
        elif self.mode == "list":
            self._go_example(self._cursor_line())

    def action_toggle_json(self) -> None:
        self.as_json = not self.as_json
        self._go_example(self.line)

    def _cursor_line(self) -> int:
        table = self.query_one("#preview-list", DataTable)
        row = table.cursor_row
        if self.shown_lines and row is not None and 0 <= row < len(self.shown_lines):
            return self.shown_lines[row]
        return self.page_start

    @on(DataTable.RowSelected, "#preview-list")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        self._go_example(int(str(event.row_key.value)))

    @on(DataTable.RowHighlighted, "#preview-list")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.line = int(str(event.row_key.value))

    def action_goto(self) -> None:
        box = self.query_one("#preview-goto", Input)
        box.display = True
        box.value = ""
        box.focus()

    def _close_goto(self) -> None:
        box = self.query_one("#preview-goto", Input)
        box.display = False
        if self.mode == "list":
            self.query_one("#preview-list", DataTable).focus()
        else:
            self.query_one("#preview-example", VerticalScroll).focus()

    @on(Input.Submitted, "#preview-goto")
    def _goto_submitted(self, event: Input.Submitted) -> None:
        self._close_goto()
        try:
            number = int(event.value)
        except ValueError:
            return
        self.go_to_line(number)

    def go_to_line(self, number: int) -> None:
        """Show line `number` (1-based): as an example, or its page in the list."""
        count = self.index.line_count if self.index else None
        if count is not None:
            number = min(number, count)
        line = max(0, number - 1)
        self.line = line
        if self.mode == "list":
            self._go_page(line)
        else:
            self._go_example(line)

    def action_save(self) -> None:
        from tui.screens.files import ask_and_save

        name = self.remote.filename if self.remote else self.file_id
        ask_and_save(self, self.file_id, name)
