"""Regenerate the README's screenshots from the running app on the demo scenario.

    python screenshots/make_screenshots.py            # every shot, SVG, into screenshots/

The demo account is started at a fixed moment with its clock frozen, synced into a
throwaway cache over HTTP, and the real app is driven to each screen, so the pictures are
the same on every run and show exactly what users see.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = REPO.parent / "shared"
if "TIKTOKEN_CACHE_DIR" not in os.environ and (SHARED / "tiktoken-cache").is_dir():
    os.environ["TIKTOKEN_CACHE_DIR"] = str(SHARED / "tiktoken-cache")
os.environ.setdefault("TZ", "UTC")
sys.path.insert(0, str(REPO))

from emulator.runner import start_emulator  # noqa: E402
from store.backend import Backend  # noqa: E402
from store.cache import Cache  # noqa: E402
from store.config import Profile  # noqa: E402
from store.credentials import Keys  # noqa: E402
from tui.app import FinetopApp, frozen_clock, make_app  # noqa: E402

DEMO_NOW = int(datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp())
Step = Callable[[FinetopApp, object], Awaitable[None]]


@dataclass
class Shot:
    name: str
    size: tuple[int, int]
    steps: list[Step]


async def settle(app: FinetopApp, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause(0.2)


def keys(*pressed: str) -> Step:
    async def step(app: FinetopApp, pilot) -> None:
        await pilot.press(*pressed)
        await settle(app, pilot)

    return step


def open_job(status: str, tab: str | None = None) -> Step:
    async def step(app: FinetopApp, pilot) -> None:
        from tui.screens.job import JobScreen

        job = next(j for j in app.backend.cache.jobs() if j.status == status)
        app.push_screen(JobScreen(job.id))
        await settle(app, pilot)
        if tab:
            app.screen.show_view(tab)
            await settle(app, pilot)

    return step


def preview_training_file() -> Step:
    async def step(app: FinetopApp, pilot) -> None:
        from tui.screens.file_preview import FilePreviewScreen

        job = next(j for j in app.backend.cache.jobs() if j.status == "succeeded")
        app.push_screen(FilePreviewScreen(job.training_file))
        await settle(app, pilot)

    return step


def new_job_form(training_path: str) -> Step:
    async def step(app: FinetopApp, pilot) -> None:
        from textual.widgets import Input

        await pilot.press("n")
        await settle(app, pilot)
        app.screen.query_one("#newjob-train-path", Input).value = training_path
        for _ in range(100):  # the preflight check runs in a worker after a short debounce
            await settle(app, pilot)
            if not app.screen.checking and app.screen._check_timer is None:
                break
        await settle(app, pilot)  # the footer recomposes once Create becomes available

    return step


WIDE, NARROW = (120, 36), (80, 24)
SHOTS = [
    Shot("jobs", WIDE, []),
    Shot("jobs-80x24", NARROW, []),
    Shot("job-live", WIDE, [open_job("running")]),
    Shot("job-live-80x24", NARROW, [open_job("running")]),
    Shot("job-failed", WIDE, [open_job("failed", "overview")]),
    Shot("job-checkpoints", WIDE, [open_job("succeeded", "checkpoints")]),
    Shot("files", WIDE, [keys("2")]),
    Shot("file-preview", WIDE, [preview_training_file()]),
    Shot("models", WIDE, [keys("3")]),
    Shot("spend", WIDE, [keys("4")]),
    Shot("new-job", WIDE, [new_job_form("../shared/datasets/drone_training.jsonl")]),
    Shot("help", WIDE, [keys("question_mark")]),
]


def demo_backend(folder: Path) -> tuple[object, Backend]:
    emulator = start_emulator(scenario="demo", now=DEMO_NOW, speed=0)
    profile = Profile(name="demo", base_url=emulator.base_url)
    keys_ = Keys(api_key=emulator.api_key, admin_key=emulator.admin_key, source="demo")
    backend = Backend(profile, Cache.open(folder / "cache.db"), keys=keys_)
    backend.sync(full=True, with_contents=True)
    return emulator, backend


async def take(shot: Shot, backend: Backend, out: Path) -> None:
    synced_at = float(backend.freshness().last_contact or DEMO_NOW)
    app = make_app(backend, clock=frozen_clock(DEMO_NOW), wall_clock=frozen_clock(synced_at), poll=False)
    async with app.run_test(size=shot.size) as pilot:
        await settle(app, pilot)
        for step in shot.steps:
            await step(app, pilot)
        app.save_screenshot(str(out / f"{shot.name}.svg"))


def main(argv: list[str]) -> None:
    wanted = set(argv)
    out = HERE
    os.chdir(REPO)  # paths typed into the app are relative to the repository, the same in every picture
    with tempfile.TemporaryDirectory(prefix="finetop-shots-") as folder:
        emulator, backend = demo_backend(Path(folder))
        try:
            for shot in SHOTS:
                if wanted and shot.name not in wanted:
                    continue
                asyncio.run(take(shot, backend, out))
                print(f"screenshots/{shot.name}.svg")
        finally:
            backend.close()
            emulator.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
