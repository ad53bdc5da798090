"""Starting the emulator: in a background thread for tests and the demo, or in the foreground for a terminal."""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Any, TextIO

from aiohttp import web

from emulator.app import build_app
from emulator.clock import parse_instant
from emulator.control import EmulatorControl
from emulator.validation import load_validator
from emulator.world import DEFAULT_ADMIN_KEY, DEFAULT_API_KEY, QUIRKS, Settings, World, open_world


class RunningEmulator:
    """A started emulator: where it listens, which keys it accepts, and how to drive and stop it."""

    def __init__(self, host: str, port: int, settings: Settings, stopper: _Stopper, world: World) -> None:
        self.host = host
        self.port = port
        self.api_key = settings.api_key
        self.admin_key = settings.admin_key
        self._stopper = stopper
        self._world = world

    @property
    def root_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    @property
    def control(self) -> EmulatorControl:
        return EmulatorControl(self.root_url)

    def env(self) -> dict[str, str]:
        """The environment variables that point the openai SDK (and finetop) at this emulator."""
        return {"OPENAI_BASE_URL": self.base_url, "OPENAI_API_KEY": self.api_key, "OPENAI_ADMIN_KEY": self.admin_key}

    def now(self) -> float:
        """The simulated clock (unix seconds): the demo's app reads its ages and elapsed times from it,
        so they keep pace with a sped-up account between polls."""
        return self._world.now()

    def violations(self) -> list[dict[str, Any]]:
        """Responses that broke the spec so far (also readable after `stop`)."""
        return list(self._world.violations)

    @property
    def stopped(self) -> bool:
        return self._stopper.stopped

    def stop(self) -> None:
        self._stopper.stop()

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class _Stopper:
    def __init__(self, loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
        self._loop = loop
        self._thread = thread

    @property
    def stopped(self) -> bool:
        return not self._thread.is_alive()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)


def start_emulator(
    *,
    scenario: str = "empty",
    seed: int = 0,
    speed: float = 0.0,
    now: float | str | None = None,
    db_path: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    validate_responses: bool = False,
    api_key: str = DEFAULT_API_KEY,
    admin_key: str = DEFAULT_ADMIN_KEY,
    max_running_jobs: int = 3,
    daily_job_limit: int = 50,
    quirks: Iterable[str] = (),
    **scenario_options: Any,
) -> RunningEmulator:
    """Start an emulator in a background thread; returns once it is listening.

    `now` fixes the simulated start (unix seconds or ISO 8601; default: now, to the
    minute); `speed` is simulated seconds per real second (0 freezes time). A `db_path`
    holding a previous run resumes it instead of seeding `scenario`.
    """
    unknown = set(quirks) - set(QUIRKS)
    if unknown:
        raise ValueError(f"unknown quirks {sorted(unknown)}; known: {list(QUIRKS)}")
    settings = Settings(
        api_key=api_key,
        admin_key=admin_key,
        max_running_jobs=max_running_jobs,
        daily_job_limit=daily_job_limit,
        quirks=frozenset(quirks),
        validate_responses=validate_responses,
    )
    validator = load_validator() if validate_responses else None  # slow once per process: not in the loop
    start = parse_instant(now)
    ready = threading.Event()
    box: dict[str, Any] = {}

    def serve() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            world = open_world(
                scenario=scenario,
                seed=seed,
                start=start,
                speed=speed,
                db_path=db_path,
                settings=settings,
                options=scenario_options,
            )
            runner = web.AppRunner(build_app(world, validator), handle_signals=False, access_log=None)
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, host, port)
            loop.run_until_complete(site.start())
            box["port"] = runner.addresses[0][1]
            box["loop"] = loop
            box["world"] = world
        except BaseException as exc:  # reported to the caller of start_emulator
            box["error"] = exc
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            with world.db.transaction():
                world.sync()
                world.save()
            world.db.close()
            loop.close()

    thread = threading.Thread(target=serve, name=f"emulator-{scenario}", daemon=True)
    thread.start()
    ready.wait()
    if "error" in box:
        thread.join()
        raise box["error"]
    return RunningEmulator(host, box["port"], settings, _Stopper(box["loop"], thread), box["world"])


def banner(emulator: RunningEmulator, *, scenario: str, speed: float, db_path: str | None) -> str:
    env = emulator.env()
    lines = [
        f"finetop emulator listening on {emulator.base_url}",
        f"  scenario {scenario}, speed x{speed:g}" + (f", state in {db_path}" if db_path else ", state in memory"),
        f"  API key:   {emulator.api_key}",
        f"  admin key: {emulator.admin_key}",
        "",
        "Point the openai SDK (or finetop) at it:",
        *(f"  export {name}={value}" for name, value in env.items()),
        "",
        f"Test controls (no key): {emulator.root_url}/_emulator/info",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def run_foreground(*, out: TextIO = sys.stdout, **options: Any) -> None:
    """Start, print where and how to connect, and serve until Ctrl-C (or SIGTERM)."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())  # before the banner says we are up
    try:
        emulator = start_emulator(**options)
        try:
            print(
                banner(
                    emulator,
                    scenario=options.get("scenario", "empty"),
                    speed=options.get("speed", 0.0),
                    db_path=options.get("db_path"),
                ),
                file=out,
                flush=True,
            )
            while not stop.is_set():
                stop.wait(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            emulator.stop()
            print("emulator stopped", file=out, flush=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
