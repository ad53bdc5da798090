"""The file preview: chat JSONL one example at a time or a page at a time, large files by seeking, CSVs, binaries."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import DataTable, Input, Static

import store.sync
from store.backend import Backend
from store.cache import Cache
from store.config import Profile
from store.credentials import Keys
from store.records import file_from_raw
from tests.fixtures.app import FROZEN_NOW
from tui.app import FinetopApp, frozen_clock, make_app
from tui.line_index import LineIndex
from tui.screens.file_preview import FilePreviewScreen

SIZE = (100, 30)


def chat_line(n: int) -> bytes:
    return json.dumps(
        {
            "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": f"question {n}"},
                {"role": "assistant", "content": f"answer {n}"},
            ]
        }
    ).encode()


@pytest.fixture
def offline_backend(tmp_path: Path) -> Iterator[Backend]:
    """A profile whose cache holds whatever a test archives into it; nothing reaches a network."""
    profile = Profile(name="local", base_url="http://127.0.0.1:9/v1")
    backend = Backend(profile, Cache.open(tmp_path / "local" / "cache.db"), keys=Keys("sk-test", None, "test"))
    yield backend
    backend.close()


def archive(
    backend: Backend, file_id: str, filename: str, data: bytes | list[bytes], purpose: str = "fine-tune"
) -> None:
    chunks = data if isinstance(data, list) else [data]
    size = sum(len(c) for c in chunks)
    raw = {"id": file_id, "object": "file", "bytes": size, "created_at": FROZEN_NOW - 3600, "filename": filename}
    backend.cache.upsert_files([file_from_raw({**raw, "purpose": purpose, "status": "processed"})])
    backend.cache.store_content(file_id, iter(chunks))


def app_for(backend: Backend, **options) -> FinetopApp:
    return make_app(backend, clock=frozen_clock(FROZEN_NOW), wall_clock=frozen_clock(FROZEN_NOW), poll=False, **options)


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_preview(pilot, file_id: str) -> FilePreviewScreen:
    await settle(pilot)
    screen = FilePreviewScreen(file_id)
    await pilot.app.push_screen(screen)
    await settle(pilot)
    return screen


def text_of(widget: Static, width: int = 100) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def position(screen: FilePreviewScreen) -> str:
    return str(screen.query_one("#preview-position", Static).content).strip()


def example_text(screen: FilePreviewScreen) -> str:
    return text_of(screen.query_one("#preview-example-text", Static))


async def test_pages_through_a_chat_file_fetched_from_the_api(make_world, monkeypatch):
    monkeypatch.setattr(store.sync, "AUTO_ARCHIVE_BYTES", 0)  # sync keeps no training file by itself
    world = make_world("small")
    train = next(f for f in world.backend.cache.files() if f.filename == "support-train.jsonl")
    assert world.backend.cache.content(train.id) is None
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_preview(pilot, train.id)
        assert world.backend.cache.content(train.id) is not None  # fetched into the archive
        body = world.backend.cache.content(train.id).path.read_bytes().splitlines()
        first, second, last = (json.loads(body[i])["messages"] for i in (0, 1, 11))
        assert position(screen) == "example 1 of 12"
        shown = example_text(screen)
        assert "system" in shown and "user" in shown and "assistant" in shown
        assert first[1]["content"] in shown
        await pilot.press("n")
        await settle(pilot)
        assert position(screen) == "example 2 of 12"
        assert second[1]["content"] in example_text(screen)
        await pilot.press("p")
        await settle(pilot)
        assert position(screen) == "example 1 of 12"
        await pilot.press("g")
        await pilot.pause()
        assert screen.query_one(Input).has_focus
        await pilot.press("1", "2", "enter")
        await settle(pilot)
        assert position(screen) == "example 12 of 12"
        assert last[1]["content"] in example_text(screen)
        await pilot.press("n")  # past the end: says so, stays on the last
        await settle(pilot)
        assert position(screen) == "example 12 of 12"
        assert any("12 lines" in n.message for n in pilot.app._notifications)
        await pilot.press("j")
        await settle(pilot)
        assert '"role": "assistant"' in example_text(screen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, FilePreviewScreen)


async def test_a_large_file_pages_by_seeking(offline_backend: Backend):
    total = 60_000
    chunks = [b"".join(chat_line(n) + b"\n" for n in range(start, start + 5000)) for start in range(0, total, 5000)]
    archive(offline_backend, "file-big", "big.jsonl", chunks)
    async with app_for(offline_backend).run_test(size=SIZE) as pilot:
        screen = await open_preview(pilot, "file-big")
        assert screen.index is not None and screen.index.line_count == total
        assert position(screen) == f"example 1 of {total:,}"
        await pilot.press("g", *"43210", "enter")
        await settle(pilot)
        assert position(screen) == f"example 43,210 of {total:,}"
        assert "question 43209" in example_text(screen)  # line 43,210 holds example number 43,209 (from 0)
        await pilot.press("l")
        await settle(pilot)
        table = screen.query_one("#preview-list", DataTable)
        assert position(screen) == f"lines 43,201–43,300 of {total:,}"
        assert table.row_count == 100
        assert table.cursor_row == 9  # on line 43,210
        assert "question 43200" in str(table.get_row_at(0)[2])
        await pilot.press("n")
        await settle(pilot)
        assert position(screen) == f"lines 43,301–43,400 of {total:,}"
        await pilot.press("p", "p")
        await settle(pilot)
        assert position(screen) == f"lines 43,101–43,200 of {total:,}"
        await pilot.press("enter")  # the row under the cursor opens as one example
        await settle(pilot)
        assert position(screen).startswith("example 43,1")


async def test_result_csv_is_shown_as_a_table(make_world):
    world = make_world("small")
    job = next(j for j in world.backend.cache.jobs() if j.suffix == "support" and j.status == "succeeded")
    results = {f.id for f in world.backend.cache.files(purpose="fine-tune-results")}
    result_id = next(f for f, jobs in world.backend.cache.jobs_using_files().items() if f in results and job.id in jobs)
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_preview(pilot, result_id)
        table = screen.query_one("#preview-csv", DataTable)
        labels = [str(column.label) for column in table.ordered_columns]
        assert labels[:3] == ["step", "train loss", "train accuracy"]
        steps = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert steps[0] == "1" and steps[-1] == str(table.row_count)
        assert position(screen) == f"{table.row_count} rows"


async def test_a_binary_file_says_it_cannot_be_shown(offline_backend: Backend):
    archive(offline_backend, "file-bin", "weights.jsonl", b"\x00\x01\x02binary" * 100)
    async with app_for(offline_backend).run_test(size=SIZE) as pilot:
        screen = await open_preview(pilot, "file-bin")
        message = text_of(screen.query_one("#preview-message-text", Static))
        assert "It is binary, not text (a NUL byte at offset 0)." in message
        assert screen.check_action("next", ()) is None
        assert screen.check_action("save", ()) is True


async def test_not_utf8_is_said_plainly(offline_backend: Backend):
    archive(offline_backend, "file-latin", "latin.jsonl", '{"a": "café"}\n'.encode("latin-1"))
    async with app_for(offline_backend).run_test(size=SIZE) as pilot:
        screen = await open_preview(pilot, "file-latin")
        assert "It is not UTF-8 text (an invalid byte at offset 10)." in text_of(
            screen.query_one("#preview-message-text", Static)
        )


async def test_offline_without_an_archived_copy_says_what_to_do(offline_backend: Backend):
    raw = {"id": "file-gone", "object": "file", "bytes": 10, "created_at": FROZEN_NOW, "filename": "x.jsonl"}
    offline_backend.cache.upsert_files([file_from_raw({**raw, "purpose": "fine-tune"})])
    async with app_for(offline_backend, offline=True).run_test(size=SIZE) as pilot:
        screen = await open_preview(pilot, "file-gone")
        message = text_of(screen.query_one("#preview-message-text", Static))
        assert "not in the archive, and finetop is offline" in message
        assert "finetop archive --with-contents" in message


async def test_tool_calls_weights_and_bad_lines_read_clearly(offline_backend: Backend):
    tool_example = {
        "messages": [
            {"role": "user", "content": "What is the weather in Paris?"},
            {
                "role": "assistant",
                "weight": 0,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_current_weather", "arguments": '{"location": "Paris"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "18C and sunny"},
        ],
        "tools": [{"type": "function", "function": {"name": "get_current_weather", "parameters": {}}}],
    }
    data = json.dumps(tool_example).encode() + b"\nthis is not json\n"
    archive(offline_backend, "file-tools", "tools.jsonl", data)
    async with app_for(offline_backend).run_test(size=SIZE) as pilot:
        screen = await open_preview(pilot, "file-tools")
        shown = example_text(screen)
        assert "tools get_current_weather" in shown
        assert "assistant  weight 0 (not trained on)" in shown
        assert "→ call get_current_weather  id call_1" in shown
        assert '"location": "Paris"' in shown
        assert "tool  tool call id call_1" in shown
        await pilot.press("n")
        await settle(pilot)
        assert "Line 2 is not valid JSON: Expecting value at column 1." in example_text(screen)


# -- the line index on its own ---------------------------------------------------------------


def test_line_index_reads_any_line_after_one_scan(tmp_path: Path):
    lines = [f"line {n}".encode() * (n % 7) for n in range(1000)]
    path = tmp_path / "f.txt"
    path.write_bytes(b"\n".join(lines))  # no line break after the last line
    index = LineIndex(path, path.stat().st_size, stride=16)
    assert index.line_count is None
    index.scan()
    assert index.line_count == 1000
    for first in (0, 15, 16, 17, 500, 998, 999):
        got = index.read(first, 2)
        assert [r.data for r in got] == lines[first : first + 2]
        assert [r.number for r in got] == list(range(first + 1, first + 1 + len(got)))
    assert index.read(1000, 5) == []


def test_line_index_cuts_long_lines_without_reading_them_whole(tmp_path: Path):
    path = tmp_path / "long.jsonl"
    path.write_bytes(b"short\r\n" + b"x" * 3_000_000 + b"\nafter\n")
    index = LineIndex(path, path.stat().st_size)
    index.scan()
    assert index.line_count == 3
    short, long, after = index.read(0, 3, max_bytes=1000)
    assert short.data == b"short" and not short.truncated
    assert long.truncated and len(long.data) == 1000 and long.length == 3_000_000
    assert after.data == b"after" and after.number == 3


def test_line_index_reads_before_the_scan_finishes(tmp_path: Path):
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"".join(chat_line(n) + b"\n" for n in range(300)))
    index = LineIndex(path, path.stat().st_size, stride=8)
    assert b"question 250" in index.read(250, 1)[0].data  # walks from the start: slower, still right
