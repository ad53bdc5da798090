"""RowTable: thousands of rows, only the visible ones ever formatted; the cursor stays on its row."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui.widgets.row_table import RowTable, TableColumn

COLUMNS = [TableColumn("name", "name", 10), TableColumn("size", "size", 6, right=True)]


class Harness(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []
        self.chosen: list[str] = []
        self.sorted_by: list[str] = []

    def compose(self) -> ComposeResult:
        yield RowTable(id="table")

    def cells(self, key: str) -> list[str]:
        self.asked.append(key)
        return [key, str(len(key))]

    def on_row_table_row_selected(self, message: RowTable.RowSelected) -> None:
        self.chosen.append(message.key)

    def on_row_table_header_selected(self, message: RowTable.HeaderSelected) -> None:
        self.sorted_by.append(message.column_key)


async def test_only_the_rows_on_screen_are_formatted():
    app = Harness()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(RowTable)
        table.set_columns(COLUMNS)
        table.set_rows((f"row{i}" for i in range(5000)), app.cells)
        await pilot.pause()
        assert table.row_count == 5000
        assert 0 < len(set(app.asked)) <= 12  # a screenful, not 5,000
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_key == "row4999"
        assert "row4999" in app.asked and len(set(app.asked)) <= 24


async def test_the_cursor_stays_on_its_row_when_rows_are_reordered_or_filtered():
    app = Harness()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(RowTable)
        table.set_columns(COLUMNS)
        keys = [f"row{i}" for i in range(100)]
        table.set_rows(keys, app.cells)
        await pilot.press("down", "down", "down")
        assert table.cursor_key == "row3"
        table.set_rows(reversed(keys), app.cells)
        assert table.cursor_key == "row3" and table.cursor_row == 96
        table.set_rows(["row1", "row2"], app.cells)  # row3 filtered out: the cursor stays in range
        assert table.cursor_key in {"row1", "row2"}


async def test_clicks_choose_rows_and_header_clicks_ask_to_sort():
    # Enter is the screen's to bind (the jobs list opens a job with it): a binding here would hide it.
    app = Harness()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(RowTable)
        table.set_columns(COLUMNS)
        table.set_rows([f"row{i}" for i in range(20)], app.cells)
        table.focus()
        await pilot.press("down", "enter")  # moves the cursor; enter chooses nothing by itself
        await pilot.click(RowTable, offset=(2, 4))  # header is line 0: line 4 is the fourth row
        await pilot.click(RowTable, offset=(15, 0))  # the second column's header
        await pilot.pause()
        assert app.chosen == ["row3"]
        assert app.sorted_by == ["size"]
