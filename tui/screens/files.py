"""The Files section: every uploaded file and the jobs that use it; preview, save, and delete one or many."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Input, Static

from store.errors import ApiError, FinetopError
from store.types import Job, RemoteFile
from tui import format as fmt
from tui.messages import CacheUpdated
from tui.screens.base import TableSection
from tui.widgets.confirm import ConfirmScreen

# Purposes that do not fit a narrow column, said shorter.
SHORT_PURPOSES = {"fine-tune-results": "ft-results", "assistants_output": "asst-output", "batch_output": "batch-out"}
SELECTED_MARK = "✓"
LISTED = 3  # files and jobs named in the delete dialog (the rest are counted): it must fit 80x24


@dataclass
class FilesView:
    """What the screen shows, read from the cache in one go on a worker thread."""

    files: list[RemoteFile] = field(default_factory=list)  # deleted ones included
    users: dict[str, list[str]] = field(default_factory=dict)  # file id -> job ids
    jobs: dict[str, Job] = field(default_factory=dict)
    archived: set[str] = field(default_factory=set)  # file ids whose bytes are in the archive


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int  # the least it needs
    priority: int  # lower shows first when the terminal is narrow
    sort: Callable[[RemoteFile, FilesView], object] | None = None
    grow: int = 0  # how much wider it may become when there is room
    right: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("mark", " ", 1, 0),
    Column("filename", "filename", 18, 0, lambda f, v: f.filename.lower(), grow=26),
    Column("purpose", "purpose", 11, 1, lambda f, v: f.purpose, grow=6),
    Column("size", "size", 8, 1, lambda f, v: f.bytes, right=True),
    Column("used", "used by", 14, 2, lambda f, v: len(v.users.get(f.id, ())), grow=16),
    Column("created", "created", 8, 2, lambda f, v: f.created_at),
    Column("expires", "expires", 8, 3, lambda f, v: f.expires_at or 2**40),
    Column("id", "file id", 29, 4, lambda f, v: f.id),
    Column("archived", "archive", 7, 5, lambda f, v: f.id in v.archived),
)
SORTABLE = ("created", "filename", "purpose", "size", "used", "expires")
DESCENDING_FIRST = frozenset({"created", "size", "used", "expires"})


def job_label(job: Job) -> str:
    """A job in a few characters: its suffix, else its model's short name, else its base model."""
    if job.suffix:
        return job.suffix
    if job.fine_tuned_model:
        return fmt.short_model(job.fine_tuned_model, 20)
    return fmt.base_family(job.model)


def cut(text: str, width: int) -> str:
    """`text` cut in the middle to `width` (ids and names differ at both ends)."""
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return f"{text[:head]}…{text[len(text) - (width - 1 - head) :]}"


def purpose_label(purpose: str, width: int) -> str:
    if len(purpose) <= width:
        return purpose
    return SHORT_PURPOSES.get(purpose, purpose[: width - 1] + "…")


def haystack(remote: RemoteFile, view: FilesView) -> str:
    """What `/` searches: id, name, purpose and the jobs that use the file."""
    jobs = [view.jobs[j] for j in view.users.get(remote.id, ()) if j in view.jobs]
    return " ".join(
        filter(None, (remote.id, remote.filename, remote.purpose, *(j.id for j in jobs), *(job_label(j) for j in jobs)))
    ).lower()


class FilesTable(DataTable[str | Text]):
    """The files table; a click on the mark column asks the screen to toggle that row's selection."""

    class MarkClicked(Message):
        def __init__(self, table: FilesTable, file_id: str) -> None:
            super().__init__()
            self.table = table
            self.file_id = file_id

        @property
        def control(self) -> FilesTable:
            return self.table

    def _on_click(self, event: events.Click) -> None:
        meta = event.style.meta
        if meta.get("column") == 0 and meta.get("row", -1) >= 0 and not meta.get("out_of_bounds", False):
            row = self.ordered_rows[meta["row"]]
            self.move_cursor(row=meta["row"], animate=False)
            self.post_message(self.MarkClicked(self, str(row.key.value)))
            event.prevent_default()  # not also DataTable's click, which would open the row
            event.stop()


class FilesScreen(TableSection):
    """Every file of the profile, newest first; cleanup in bulk."""

    SORTABLE = SORTABLE
    DESCENDING = DESCENDING_FIRST
    DEFAULT_SORT = "created"

    SECTION = "files"
    COMPACT_FOOTER = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="files.filter", tooltip="Filter as you type: name, id, purpose, job"),
        Binding("p", "cycle_purpose", "Purpose", show=False, id="files.purpose", tooltip="Show one purpose at a time"),
        Binding(
            "h",
            "toggle_deleted",
            "Deleted",
            show=False,
            id="files.deleted",
            tooltip="Show or hide files deleted already",
        ),
        Binding("space", "toggle_mark", "Select", id="files.select", tooltip="Select or unselect this file"),
        Binding(
            "a", "select_all", "All", show=False, id="files.select_all", tooltip="Select every file shown (again: none)"
        ),
        Binding("d,delete", "delete", "Delete", id="files.delete", tooltip="Delete the selected files (asks first)"),
        Binding("v", "preview", "View", id="files.preview", tooltip="Show the file's content (also enter)"),
        Binding("s", "save", "Save", id="files.save", tooltip="Download the file to a folder of this machine"),
        Binding("o", "cycle_sort", "Sort", show=False, id="files.sort", tooltip="Sort by the next column"),
        Binding("O", "reverse_sort", "Reverse", show=False, id="files.reverse", tooltip="Reverse the sort order"),
        Binding(
            "escape", "clear", "Clear", show=False, id="files.clear", tooltip="Clear the filter, then the selection"
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = FilesView()
        self._by_id: dict[str, RemoteFile] = {}
        self._haystacks: dict[str, str] = {}
        self.purpose_filter: str | None = None
        self.show_deleted = False
        self.selected: set[str] = set()
        self.progress = ""  # what a running delete or download is doing
        self._layout: tuple[tuple[Column, int], ...] = ()
        self._shown_ids: list[str] = []
        self._loaded = False

    def body(self) -> ComposeResult:
        with Horizontal(id="files-bar", classes="bar"):
            yield Input(placeholder="filter files…", id="files-filter", classes="filter")
            yield Static(id="files-summary", classes="summary")
        yield FilesTable(id="files-table", classes="section-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="files-empty", classes="empty")

    def on_mount(self) -> None:
        self.query_one("#files-filter", Input).display = False
        self.query_one("#files-table", FilesTable).focus()

    # -- loading -------------------------------------------------------------------------

    def reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="files-load", exit_on_error=False, description="Could not read the files")
    def _load(self) -> None:
        cache = self.backend.cache
        view = FilesView(
            files=cache.files(include_deleted=True),
            users=cache.jobs_using_files(),
            jobs={job.id: job for job in cache.jobs()},
            archived={item.file_id for item in cache.contents()},
        )
        self.app.call_from_thread(self._show, view)

    def _show(self, view: FilesView) -> None:
        self.view = view
        self._by_id = {f.id: f for f in view.files}
        self._haystacks = {f.id: haystack(f, view) for f in view.files}
        live = {f.id for f in view.files if f.deleted_at is None}
        self.selected &= live
        self._loaded = True
        self._refresh_table()

    # -- what is shown -------------------------------------------------------------------

    def purposes(self) -> list[str]:
        return sorted({f.purpose for f in self.view.files if self.show_deleted or f.deleted_at is None})

    def visible_files(self) -> list[RemoteFile]:
        needle = self.text_filter.lower().split()
        rows = [
            f
            for f in self.view.files
            if (self.show_deleted or f.deleted_at is None)
            and (self.purpose_filter is None or f.purpose == self.purpose_filter)
            and all(word in self._haystacks.get(f.id, "") for word in needle)
        ]
        column = next(c for c in COLUMNS if c.key == self.sort_key)
        if column.sort is not None:
            rows.sort(key=lambda f: column.sort(f, self.view), reverse=self.sort_reverse)  # type: ignore[misc]
        return rows

    def _fit_columns(self) -> tuple[tuple[Column, int], ...]:
        """The columns that fit the terminal, by priority; spare room widens the flexible ones."""
        room = max(40, self.size.width - 3)  # a vertical scrollbar may take a cell or two
        chosen: list[Column] = []
        used = 0
        for column in sorted(COLUMNS, key=lambda c: c.priority):
            if used + column.width + 2 <= room:
                chosen.append(column)
                used += column.width + 2
        spare = room - used
        widths = {c.key: c.width for c in chosen}
        for column in sorted(chosen, key=lambda c: c.priority):
            extra = min(column.grow, spare)
            widths[column.key] += extra
            spare -= extra
        return tuple((c, widths[c.key]) for c in COLUMNS if c in chosen)

    def _refresh_table(self) -> None:
        table = self.query_one("#files-table", FilesTable)
        layout = self._fit_columns()
        rows = self.visible_files()
        cursor_id = self.cursor_file_id()
        if layout != self._layout:
            table.clear(columns=True)
            for column, width in layout:
                label = Text(column.label, justify="right" if column.right else "left")
                table.add_column(label, key=column.key, width=width)
            self._layout = layout
        else:
            table.clear()
        for remote in rows:
            table.add_row(*(self._cell(column, width, remote) for column, width in layout), key=remote.id)
        self._shown_ids = [f.id for f in rows]
        if cursor_id in self._shown_ids:
            table.move_cursor(row=self._shown_ids.index(cursor_id), animate=False)
        self._update_summary(rows)
        self.refresh_bindings()

    def _cell(self, column: Column, width: int, remote: RemoteFile) -> str | Text:
        key = column.key
        deleted = remote.deleted_at is not None
        if key == "mark":
            return Text(SELECTED_MARK, style="bold cyan") if remote.id in self.selected else Text(" ")
        if key == "filename":
            name = Text(no_wrap=True, overflow="ellipsis")
            if deleted:
                name.append("⊘ ", style="magenta")
                name.append(remote.filename or fmt.MISSING, style="dim strike")
            else:
                name.append(remote.filename or fmt.MISSING, style="bold" if remote.id in self.selected else "")
            return name
        if key == "purpose":
            return purpose_label(remote.purpose, width)
        if key == "size":
            return Text(fmt.human_size(remote.bytes), justify="right")
        if key == "used":
            return self._used_by(remote.id, width)
        now = self.finetop.now()
        if key == "created":
            return fmt.ago(remote.created_at, now)
        if key == "expires":
            if deleted:
                return Text("deleted", style="magenta")
            if remote.expires_at is None:
                return Text("never", style="dim")
            return Text(fmt.ago(remote.expires_at, now), style="red" if remote.expires_at <= now else "")
        if key == "id":
            return Text(remote.id, style="dim" if deleted else "")
        if key == "archived":
            return Text("✓ kept", style="green") if remote.id in self.view.archived else Text(fmt.MISSING, style="dim")
        return ""

    def _used_by(self, file_id: str, width: int) -> Text:
        """`✓ support` for one job, `● 6 jobs` for several (the glyph of the one most worth knowing about)."""
        job_ids = self.view.users.get(file_id, [])
        if not job_ids:
            return Text(fmt.MISSING, style="dim")
        jobs = sorted((self.view.jobs[j] for j in job_ids if j in self.view.jobs), key=lambda j: not j.is_active)
        text = Text(no_wrap=True, overflow="ellipsis")
        if jobs:
            text.append_text(fmt.status_text(jobs[0].status, glyph_only=True))
            text.append(" ")
        if len(job_ids) > 1:
            active = sum(1 for j in jobs if j.is_active)
            text.append(f"{len(job_ids)} jobs")
            if active and width >= 18:
                text.append(f", {active} active", style="dim")
        else:
            text.append(cut(job_label(jobs[0]) if jobs else job_ids[0], max(4, width - 2)))
        return text

    def _update_summary(self, rows: list[RemoteFile]) -> None:
        live = [f for f in self.view.files if f.deleted_at is None]
        shown = len(rows)
        parts = [f"{shown:,}" + (f" of {len(live):,}" if shown != len(live) else "") + " files"]
        parts.append(fmt.human_size(sum(f.bytes for f in rows if f.deleted_at is None)))
        if self.selected:
            chosen = self.selected_files()
            parts.insert(0, f"{len(chosen)} selected ({fmt.human_size(sum(f.bytes for f in chosen))})")
        if self.purpose_filter:
            parts.append(f"purpose {self.purpose_filter}")
        if self.show_deleted:
            parts.append("with deleted")
        parts.append(self.sort_label())
        if self.progress:
            parts = [self.progress]
        box = self.query_one("#files-filter", Input)
        room = self.size.width - 4 - (box.outer_size.width if box.display else 0)
        while len(parts) > 1 and len(" · ".join(parts)) > room:
            parts.pop()  # the least important last: the whole line must fit, never wrap or cut
        self.query_one("#files-summary", Static).update(" · ".join(parts))
        empty = self.query_one("#files-empty", Static)
        self.query_one("#files-table", FilesTable).display = bool(shown)
        empty.display = not shown
        if shown:
            return
        if not self._loaded:
            empty.update("Reading the cache…")
        elif not self.view.files:
            empty.update(
                "No files yet.\nfinetop syncs in the background; press ctrl+r to sync now, "
                "or run `finetop upload` to add one."
            )
        else:
            empty.update("No files match. Press escape to clear the filter, p to show every purpose, h for deleted.")

    def on_resize(self) -> None:
        if self._loaded:
            self._refresh_table()

    # -- the cursor and the selection ----------------------------------------------------

    def cursor_file_id(self) -> str | None:
        table = self.query_one("#files-table", FilesTable)
        if not self._shown_ids or table.cursor_row is None or table.cursor_row >= len(self._shown_ids):
            return None
        return self._shown_ids[table.cursor_row]

    def cursor_file(self) -> RemoteFile | None:
        file_id = self.cursor_file_id()
        return self.file_by_id(file_id) if file_id else None

    def file_by_id(self, file_id: str) -> RemoteFile | None:
        return self._by_id.get(file_id)

    def selected_files(self) -> list[RemoteFile]:
        return [f for f in self.view.files if f.id in self.selected and f.deleted_at is None]

    def delete_targets(self) -> list[RemoteFile]:
        """What `d` deletes: the selection, or else the file under the cursor (never one deleted already)."""
        if self.selected:
            return self.selected_files()
        current = self.cursor_file()
        return [current] if current is not None and current.deleted_at is None else []

    def _redraw_marks(self) -> None:
        table = self.query_one("#files-table", FilesTable)
        layout = dict((c.key, w) for c, w in self._layout)
        for file_id in self._shown_ids:
            remote = self.file_by_id(file_id)
            if remote is None:
                continue
            table.update_cell(file_id, "mark", self._cell(COLUMNS[0], 1, remote))
            if "filename" in layout:
                table.update_cell(file_id, "filename", self._cell(COLUMNS[1], layout["filename"], remote))
        self._update_summary(self.visible_files())
        self.refresh_bindings()

    def toggle(self, file_id: str) -> None:
        remote = self.file_by_id(file_id)
        if remote is None or remote.deleted_at is not None:
            return
        self.selected ^= {file_id}
        self._redraw_marks()

    @on(FilesTable.MarkClicked, "#files-table")
    def _mark_clicked(self, message: FilesTable.MarkClicked) -> None:
        self.toggle(message.file_id)

    @on(DataTable.RowHighlighted, "#files-table")
    def _row_highlighted(self) -> None:
        self.refresh_bindings()

    # -- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        current = self.cursor_file()
        readable = current is not None and (
            current.id in self.view.archived or (not self.offline and current.deleted_at is None)
        )
        rules = {
            "delete": not self.offline and bool(self.delete_targets()) and not self.progress,
            "preview": readable,
            "save": readable,
            "toggle_mark": current is not None and current.deleted_at is None,
            "select_all": bool(self._shown_ids),
        }
        if action in rules:
            return True if rules[action] else None  # None: shown greyed out, not hidden
        return True

    def action_clear(self) -> None:
        """Escape: clear the filter first, then the selection."""
        if not self.clear_filter() and self.selected:
            self.selected.clear()
            self._redraw_marks()

    def action_cycle_purpose(self) -> None:
        choices: list[str | None] = [None, *self.purposes()]
        position = choices.index(self.purpose_filter) + 1 if self.purpose_filter in choices else 0
        self.purpose_filter = choices[position % len(choices)]
        self._refresh_table()

    def action_toggle_deleted(self) -> None:
        self.show_deleted = not self.show_deleted
        self._refresh_table()
        self.notify(
            "Showing deleted files (kept in the archive, marked ⊘)." if self.show_deleted else "Hiding deleted files.",
            timeout=3,
        )

    def action_toggle_mark(self) -> None:
        file_id = self.cursor_file_id()
        if file_id:
            self.toggle(file_id)
            table = self.query_one("#files-table", FilesTable)
            table.action_cursor_down()  # like a file manager: space marks and moves on

    def action_select_all(self) -> None:
        shown = {fid for fid in self._shown_ids if (f := self.file_by_id(fid)) and f.deleted_at is None}
        self.selected = set() if shown and shown <= self.selected else self.selected | shown
        self._redraw_marks()

    def can_sort_by(self, key: str) -> bool:
        return any(column.key == key and column.sort is not None for column in COLUMNS)

    @on(DataTable.RowSelected, "#files-table")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        self.open_preview(str(event.row_key.value))

    def action_preview(self) -> None:
        file_id = self.cursor_file_id()
        if file_id:
            self.open_preview(file_id)

    def open_preview(self, file_id: str) -> None:
        from tui.screens.file_preview import FilePreviewScreen

        self.app.push_screen(FilePreviewScreen(file_id))

    def action_save(self) -> None:
        current = self.cursor_file()
        if current is not None:
            ask_and_save(self, current.id, current.filename)

    # -- deleting ------------------------------------------------------------------------

    def action_delete(self) -> None:
        targets = self.delete_targets()
        if not targets:
            self.notify("Nothing to delete: select files with space, or move to one.", severity="warning")
            return
        total = sum(f.bytes for f in targets)
        title = (
            f"Delete {targets[0].filename or targets[0].id}?"
            if len(targets) == 1
            else f"Delete {len(targets)} files ({fmt.human_size(total)})?"
        )

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._delete(targets)

        self.app.push_screen(
            ConfirmScreen(
                title,
                self._delete_body(targets, total),
                confirm_label="Delete file" if len(targets) == 1 else f"Delete {len(targets)} files",
                cancel_label="Keep",
                warning=self._delete_warning(targets),
            ),
            answered,
        )

    def _delete_body(self, targets: list[RemoteFile], total: int) -> Text:
        body = Text()
        for remote in targets[:LISTED]:
            body.append(f"{remote.filename or fmt.MISSING}", style="bold")
            body.append(f"  {remote.id}  {fmt.human_size(remote.bytes)}\n", style="dim")
        if len(targets) > LISTED:
            body.append(f"… and {len(targets) - LISTED} more\n", style="dim")
        body.append(f"\nFrees {fmt.human_size(total)} on the server. ")
        kept = sum(1 for f in targets if f.id in self.view.archived)
        if kept:
            body.append("Its archived copy stays here." if len(targets) == 1 else f"{kept} archived copies stay here.")
        return body

    def _delete_warning(self, targets: list[RemoteFile]) -> Text | None:
        """Which jobs use the files (active ones first): deleting a file a job still needs may fail it."""
        users: dict[str, Job | None] = {}
        for remote in targets:
            for job_id in self.view.users.get(remote.id, []):
                users[job_id] = self.view.jobs.get(job_id)
        if not users:
            return None
        listed = sorted(users.items(), key=lambda item: not (item[1] is not None and item[1].is_active))
        active = sum(1 for job in users.values() if job is not None and job.is_active)
        text = Text(f"Used by {len(users)} job{'s' if len(users) != 1 else ''}")
        if active:
            text.append(f", {active} still active: {'they' if active > 1 else 'it'} may fail")
        text.append(":")
        for job_id, job in listed[:LISTED]:
            text.append(f"\n{job_id}")
            if job is not None:
                text.append(f"  {job_label(job)} · {fmt.status_look(job.status).label}", style="dim")
        if len(users) > LISTED:
            text.append(f"\n… and {len(users) - LISTED} more")
        return text

    @work(
        thread=True, exclusive=True, group="files-action", exit_on_error=False, description="Could not delete the files"
    )
    def _delete(self, targets: list[RemoteFile]) -> None:
        deleted: list[RemoteFile] = []
        failures: list[tuple[RemoteFile, FinetopError]] = []
        for index, remote in enumerate(targets, start=1):
            note = f"Deleting {index}/{len(targets)}: {remote.filename or remote.id}…"
            self.app.call_from_thread(self._set_progress, note)
            try:
                self.backend.delete_file(remote.id)
            except FinetopError as error:
                failures.append((remote, error))
                if isinstance(error, ApiError) and error.is_connection_problem:
                    break  # the rest would fail the same way
                continue
            deleted.append(remote)
        self.app.call_from_thread(self._deleted, deleted, failures, len(targets))

    def _set_progress(self, note: str) -> None:
        self.progress = note
        self._update_summary(self.visible_files())

    def _deleted(self, deleted: list[RemoteFile], failures: list[tuple[RemoteFile, FinetopError]], asked: int) -> None:
        self.progress = ""
        self.selected -= {f.id for f in deleted}
        freed = sum(f.bytes for f in deleted)
        if deleted:
            what = deleted[0].filename if len(deleted) == 1 else f"{len(deleted)} files"
            self.notify(f"Freed {fmt.human_size(freed)} on the server.", title=f"Deleted {what}")
        if failures:
            remote, error = failures[0]
            failed = len(failures) if len(failures) > 1 else 0
            title = f"Could not delete {remote.filename or remote.id}" + (
                f" ({failed} of {asked} files failed)" if failed else ""
            )
            self.finetop.show_error(error, title=title)
        self.finetop.broadcast(CacheUpdated())
        self._update_summary(self.visible_files())


# -- saving a file to this machine (also used by the preview) --------------------------------


class SavePathScreen(ModalScreen[Path | None]):
    """Ask where to save a file: the current folder by default; Enter saves, Escape cancels."""

    DEFAULT_CSS = """
    SavePathScreen {
        align: center middle;
        background: $background 60%;
    }
    SavePathScreen > #save-dialog {
        width: 72;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        padding: 1 2;
        background: $panel;
        border: thick $primary 70%;
    }
    SavePathScreen #save-title { text-style: bold; margin-bottom: 1; }
    SavePathScreen #save-hint { color: $text-muted; margin-top: 1; }
    SavePathScreen #save-buttons { height: auto; margin-top: 1; align-horizontal: right; }
    SavePathScreen #save-buttons Button { margin-left: 2; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="save.cancel", tooltip="Do not save"),
    ]

    def __init__(self, filename: str, default: Path) -> None:
        super().__init__()
        self.filename = filename
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="save-dialog"):
            yield Static(f"Save {self.filename} to", id="save-title", markup=False)
            yield Input(str(self.default), id="save-path", select_on_focus=False)
            yield Static("A folder keeps the file's own name. Existing files are not overwritten.", id="save-hint")
            with Horizontal(id="save-buttons"):
                yield Button("Cancel (esc)", id="save-cancel")
                yield Button("Save (enter)", id="save-ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#save-path", Input).focus()

    @on(Input.Submitted, "#save-path")
    @on(Button.Pressed, "#save-ok")
    def _submitted(self) -> None:
        text = self.query_one("#save-path", Input).value.strip()
        self.dismiss(Path(text).expanduser() if text else None)

    @on(Button.Pressed, "#save-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def ask_and_save(screen: Screen, file_id: str, filename: str) -> None:
    """Ask for a destination (default: the current folder), then download in a worker and say where it went."""
    offline = bool(getattr(screen.app, "offline_mode", False))
    default = Path.cwd() / (Path(filename).name or file_id)

    def chosen(destination: Path | None) -> None:
        if destination is None:
            return

        def save() -> None:
            target = destination
            if target.is_dir():
                target = target / (Path(filename).name or file_id)
            if target.exists():
                raise FinetopError(f"{target} already exists.", "Choose another name; finetop never overwrites.")
            if not target.parent.is_dir():
                raise FinetopError(f"The folder {target.parent} does not exist.", "Create it first, or pick another.")
            try:
                saved = screen.app.backend.download_file(file_id, target, offline=offline)  # type: ignore[attr-defined]
            except OSError as error:
                raise FinetopError(f"Could not write {target}: {error.strerror}.") from error
            screen.app.call_from_thread(screen.app.notify, str(saved), title=f"Saved {filename or file_id}")

        screen.run_worker(
            save,
            thread=True,
            group="files-save",
            exit_on_error=False,
            description=f"Could not save {filename or file_id}",
        )

    screen.app.push_screen(SavePathScreen(filename or file_id, default), chosen)
