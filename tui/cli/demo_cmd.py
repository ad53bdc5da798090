"""`finetop demo`: the app on a built-in demo account (the emulator, in the background, on a throwaway profile)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import click

from store.backend import Backend
from store.cache import Cache
from store.config import Profile
from store.credentials import Keys
from tui.cli.common import console


@click.command()
@click.option("--speed", type=float, default=60.0, show_default=True, help="Simulated seconds per real second.")
@click.option(
    "--state",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the demo (emulator state and cache) in this folder, and resume it next time.",
)
def demo(speed: float, state: Path | None) -> None:
    """Open finetop on a demo account: jobs running, events streaming, curves growing. No API key needed."""
    from emulator.runner import start_emulator  # the only place the product starts the emulator

    folder = state or Path(tempfile.mkdtemp(prefix="finetop-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    console.print(f"Starting the demo account (simulated clock x{speed:g})…")
    try:
        emulator = start_emulator(scenario="demo", speed=speed, db_path=str(folder / "emulator.db"))
    except Exception as error:  # anything that stops the demo is reported, not a traceback
        if not state:
            shutil.rmtree(folder, ignore_errors=True)
        raise click.ClickException(f"The demo could not start: {error}") from error
    profile = Profile(name="demo", base_url=emulator.base_url, poll_seconds=2.0)
    backend = Backend(
        profile,
        Cache.open(folder / "profiles" / "demo" / "cache.db"),
        keys=Keys(api_key=emulator.api_key, admin_key=emulator.admin_key, source="demo"),
    )
    from tui.app import make_app

    try:
        make_app(backend, clock=emulator.now).run()
    finally:
        backend.close()
        emulator.stop()
        if state:
            console.print(f"Demo kept in {folder}; `finetop demo --state {folder}` resumes it.")
        else:
            shutil.rmtree(folder, ignore_errors=True)
