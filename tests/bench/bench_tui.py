"""TUI benchmark against the issue's targets: start-up to the first painted jobs screen against a bare Textual app,
filter latency per keystroke, opening a job with 100,000 events, peak RSS.

Run: .venv/bin/python tests/bench/bench_tui.py   (not collected by pytest)

The cache: the `bench` scenario (5,000 finished jobs, 1,000,000 events, 2,000 files) synced once over
HTTP from the emulator in its own process, plus one job with 100,000 metrics events written through
`store.cache.Cache` (as the sync writes them): 5,001 jobs and 1,100,000 events in all. It is built in
--dir on the first run (about five minutes) and reused afterwards.

Start-up: every run is a fresh interpreter on a pseudo-terminal (120x36), started by this script;
the clock starts just before the process is spawned. "Painted" is when the frame with the rows
reaches the terminal (this script reads the terminal and looks for the first job's status), checked
against the app's own view (an autopilot that waits until the table holds rows, then for the screen's
next refresh; Textual's `run(auto_pilot=...)`, nothing added to finetop). finetop is built exactly as
`finetop` builds it (tui.cli imported, Backend.open, tui.app.make_app) with polling on, against the
same account served by the emulator, and with --offline. The bare app is a Textual App whose only
widget is an empty DataTable with three columns. Runs alternate (bare, finetop, offline, ...), so
that drift in the machine's load hits all alike; the figure is the median.

Filter and job: one app built by make_app (polling off) driven by Textual's Pilot, headless at 120x36:
each keystroke's latency is from the key press until the table holds the filtered rows and the
screen has refreshed; opening the job is from pushing its JobScreen until its log and chart hold the
job's events and the screen has refreshed.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import fcntl
import json
import os
import pty
import statistics
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

MB = 1024 * 1024
SIZE = (120, 36)
STARTUP_RUNS = 7
STARTUP_TARGET = 1.5  # x the bare app
LATENCY_TARGET_MS = 100.0
OPEN_RUNS = 5
LONG_JOB = "ftjob-benchwrites00000001"
LONG_EVENTS = 100_000
FIXED_NOW = "2026-11-20T12:00:00Z"
# Typed into the filter box one key at a time: narrowing, widening back to everything, narrowing again.
KEYSTROKES = [*"4.1-mini", *["backspace"] * 8, *"3 ft"]


# --- the cache ------------------------------------------------------------------------------


def prepare(folder: Path, jobs: int, events: int, files: int) -> None:
    """Sync the bench scenario into folder/data/profiles/bench/cache.db (once) and add the long job."""
    from bench_sync import EmulatorProcess, add_long_job, open_backend

    cache_path = folder / "data" / "profiles" / "bench" / "cache.db"
    spec = f"{jobs}/{events}/{files}/{LONG_EVENTS}"
    if cache_path.exists():
        from store.cache import Cache

        cache = Cache.open(cache_path)
        ready = cache.meta("bench_spec") == spec
        cache.close()
        if ready:
            return
        cache_path.unlink()
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    print(f"building the cache in {cache_path} (once; about five minutes) ...", file=sys.stderr, flush=True)
    options = {"jobs": jobs, "events": events, "files": files}
    with EmulatorProcess(options, extra=["--now", FIXED_NOW]) as emulator:
        backend = open_backend(emulator.base_url, cache_path)
        report = backend.sync()
        assert not report.errors, report.errors
        add_long_job(backend.cache, LONG_JOB, LONG_EVENTS)
        backend.cache.set_meta("bench_spec", spec)
        backend.close()


def write_config(folder: Path, base_url: str) -> dict[str, str]:
    """config.toml with one profile on the emulator; the environment `finetop` runs with."""
    config = folder / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text(
        f'current_profile = "bench"\n\n[profiles.bench]\nbase_url = "{base_url}"\npoll_seconds = 5.0\n'
    )
    return {
        "FINETOP_CONFIG_DIR": str(config),
        "FINETOP_DATA_DIR": str(folder / "data"),
        "OPENAI_API_KEY": "finetop-emulator-key",
        "OPENAI_ADMIN_KEY": "finetop-emulator-admin-key",
    }


# --- start-up: the child side ---------------------------------------------------------------


def startup_child(kind: str, out: str) -> None:
    """Run in a fresh interpreter on a terminal: start the app, note when its rows are painted, leave."""
    marks: dict[str, float] = {}

    async def autopilot(pilot) -> None:
        app = pilot.app
        marks["ready"] = time.time()
        while True:
            tables = list(app.screen.query("DataTable, RowTable"))  # the bare app's, finetop's jobs table
            if tables and (kind == "bare" or tables[0].row_count):
                break
            await asyncio.sleep(0.001)
        marks["rows"] = time.time()
        painted = asyncio.Event()
        app.screen.call_after_refresh(painted.set)
        await painted.wait()
        marks["painted"] = time.time()
        app.exit()

    if kind == "bare":
        from textual.app import App, ComposeResult
        from textual.widgets import DataTable

        class Bare(App[None]):
            def compose(self) -> ComposeResult:
                table: DataTable[str] = DataTable()
                table.add_columns("status", "model / suffix", "base")
                yield table

        marks["imported"] = time.time()
        Bare().run(auto_pilot=autopilot)
    else:
        import tui.cli  # noqa: F401  (what the `finetop` script imports first)
        from store.backend import Backend

        backend = Backend.open(None)  # as tui.launch.run_app
        from tui.app import make_app

        marks["imported"] = time.time()
        try:
            make_app(backend, offline=kind == "offline").run(auto_pilot=autopilot)
        finally:
            backend.close()
    marks["exited"] = time.time()
    from bench_sync import peak_rss

    marks["peak_rss"] = peak_rss()
    Path(out).write_text(json.dumps(marks))


# --- start-up: the parent side --------------------------------------------------------------


def run_startup(kind: str, marker: bytes, env: dict[str, str], folder: Path) -> dict[str, float]:
    """Spawn one start-up on a fresh pseudo-terminal; seconds from spawn to each mark."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    out = folder / f"startup-{kind}.json"
    out.unlink(missing_ok=True)
    screen = bytearray()
    seen: dict[str, float] = {}
    terminal_env = {**os.environ, **env, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    started = time.time()
    child = subprocess.Popen(
        [sys.executable, __file__, "--startup-child", kind, str(out)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=terminal_env,
        cwd=REPO,
        start_new_session=True,
    )
    os.close(slave)

    def read_terminal() -> None:
        while True:
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            screen.extend(chunk)
            if "terminal" not in seen and marker in screen:
                seen["terminal"] = time.time()

    reader = threading.Thread(target=read_terminal, daemon=True)
    reader.start()
    try:
        child.wait(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
        reader.join(timeout=5)
        os.close(master)
    if not out.exists():
        raise SystemExit(f"{kind} start-up failed:\n{screen.decode(errors='replace')[-2000:]}")
    marks = json.loads(out.read_text())
    figures = {k: v - started for k, v in marks.items() if k != "peak_rss"}
    figures["terminal"] = seen.get("terminal", float("nan")) - started
    figures["peak_rss"] = marks["peak_rss"]
    return figures


def startup_table(env: dict[str, str], folder: Path, first_status: str) -> list[tuple[str, list[dict]]]:
    kinds = [("bare", b"model / suffix"), ("finetop", first_status.encode()), ("offline", first_status.encode())]
    results: dict[str, list[dict]] = {kind: [] for kind, _ in kinds}
    for run in range(STARTUP_RUNS):
        for kind, marker in kinds:
            results[kind].append(run_startup(kind, marker, env, folder))
        print(f"  start-up run {run + 1}/{STARTUP_RUNS}", file=sys.stderr, flush=True)
    return [(kind, results[kind]) for kind, _ in kinds]


def print_startup(rows: list[tuple[str, list[dict]]]) -> None:
    labels = {
        "bare": "bare Textual app, empty DataTable",
        "finetop": "finetop (polling the emulator)",
        "offline": "finetop --offline",
    }
    bare = statistics.median(r["terminal"] for r in rows[0][1])
    print(f"1. Start-up to the first painted jobs screen, 120x36 terminal, median of {STARTUP_RUNS} runs (seconds)")
    print(
        f"{'':34} {'imports':>8} {'rows in':>8} {'painted':>8} {'(app)':>7} {'best':>6} {'x bare':>7} "
        f"{'target':>7} {'peak RSS':>9}"
    )
    for kind, runs in rows:
        painted = [r["terminal"] for r in runs]
        median = statistics.median(painted)
        target = "" if kind == "bare" else f"{STARTUP_TARGET:.1f}x"
        print(
            f"{labels[kind]:34} {statistics.median(r['imported'] for r in runs):>8.3f} "
            f"{statistics.median(r['rows'] for r in runs):>8.3f} {median:>8.3f} "
            f"{statistics.median(r['painted'] for r in runs):>7.3f} {min(painted):>6.3f} {median / bare:>7.2f} "
            f"{target:>7} {statistics.median(r['peak_rss'] for r in runs) / MB:>6.0f} MB"
        )
    print(
        "  imports: the product's (or Textual's) modules loaded; rows in: the table holds rows; painted: the frame\n"
        "  with them reached the terminal; (app): the screen's next refresh as the app saw it\n"
    )


# --- filter latency and opening a job (in this process, through Pilot) ----------------------


def send_key(app, key: str) -> None:
    """A key press as the terminal driver delivers it (Pilot.press also waits for the whole process to
    go idle before and after, which would count the worker threads' and the machine's time)."""
    from textual import events
    from textual.keys import _character_to_key

    if len(key) == 1:
        event = events.Key(key if key.isalnum() else _character_to_key(key), key)
    else:
        event = events.Key(key, None)
    event.set_sender(app)
    app._driver.send_message(event)


async def drive_app(folder: Path) -> dict:
    from store.backend import Backend
    from tui.app import make_app
    from tui.screens.job import JobScreen
    from tui.screens.jobs import JobsScreen
    from tui.widgets.event_log import EventLog
    from tui.widgets.loss_chart import LossChart
    from tui.widgets.row_table import RowTable

    backend = Backend.open(None)
    app = make_app(backend, poll=False)
    figures: dict = {"keys": [], "open": [], "open_short": [], "rows_after": []}
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            assert isinstance(screen, JobsScreen)
            while not (screen._loaded and screen._complete):
                await pilot.pause(0.01)
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            figures["jobs"] = len(screen.jobs)
            table = screen.query_one("#jobs-table", RowTable)
            await pilot.press("slash")
            await pilot.pause()
            typed = ""
            for key in KEYSTROKES:
                typed = typed[:-1] if key == "backspace" else typed + key
                needle = typed.strip().lower().split()
                expected = sum(1 for job in screen.jobs if all(w in screen._haystacks[job.id] for w in needle))
                started = time.perf_counter()
                send_key(app, key)
                while screen.text_filter != typed.strip() or table.row_count != expected:
                    await asyncio.sleep(0)
                refreshed = asyncio.Event()
                screen.call_after_refresh(refreshed.set)
                await refreshed.wait()
                figures["keys"].append((time.perf_counter() - started) * 1000)
                figures["rows_after"].append(expected)
            await pilot.press("escape", "escape")
            await pilot.pause()
            short_job = next(job for job in screen.jobs if job.id != LONG_JOB)
            figures["short_events"] = backend.cache.count_events(short_job.id)
            for job_id, times in ((LONG_JOB, figures["open"]), (short_job.id, figures["open_short"])):
                for _ in range(OPEN_RUNS):
                    started = time.perf_counter()
                    screen.open_job(job_id)
                    # Opened = the log and the chart hold the job's data, then one refresh has drawn them.
                    while not (
                        isinstance(app.screen, JobScreen)
                        and app.screen.query("#job-events")
                        and app.screen.query_one("#job-events", EventLog).events
                        and app.screen.query_one("#job-chart", LossChart).series.steps
                    ):
                        # Not sleep(0): a spinning UI thread starves the loading worker of the GIL.
                        await asyncio.sleep(0.002)
                    job_screen = app.screen
                    refreshed = asyncio.Event()
                    job_screen.call_after_refresh(refreshed.set)
                    await refreshed.wait()
                    times.append((time.perf_counter() - started) * 1000)
                    if job_id == LONG_JOB:
                        figures["chart_steps"] = len(job_screen.query_one("#job-chart", LossChart).series.steps)
                        figures["log_events"] = len(job_screen.query_one("#job-events", EventLog).events)
                    await pilot.press("escape")
                    while app.screen is not screen:
                        await pilot.pause()
                    await pilot.app.workers.wait_for_complete()
                    await pilot.pause()
    finally:
        backend.close()
    from bench_sync import peak_rss

    figures["peak_rss"] = peak_rss()
    return figures


def print_interaction(figures: dict) -> None:
    keys = figures["keys"]
    p95 = statistics.quantiles(keys, n=20)[-1]
    print(f"2. Filter and job, Pilot, headless {SIZE[0]}x{SIZE[1]}, {figures['jobs']:,} jobs (milliseconds)")
    print(f"{'':52} {'median':>7} {'p95':>7} {'max':>7} {'target':>7} {'x target':>9}")
    print(
        f"{'filter, per keystroke (' + str(len(keys)) + ' keys)':52} {statistics.median(keys):>7.1f} {p95:>7.1f} "
        f"{max(keys):>7.1f} {LATENCY_TARGET_MS:>7.0f} {p95 / LATENCY_TARGET_MS:>9.2f}"
    )
    opens = figures["open"]
    label = f"open a job of {LONG_EVENTS:,} events: log + chart ({len(opens)} runs)"
    print(
        f"{label:52} {statistics.median(opens):>7.1f} {'':>7} {max(opens):>7.1f} {LATENCY_TARGET_MS:>7.0f} "
        f"{statistics.median(opens) / LATENCY_TARGET_MS:>9.2f}"
    )
    shorts = figures["open_short"]
    label = f"  the same screen for a job of {figures['short_events']:,} events"
    print(
        f"{label:52} {statistics.median(shorts):>7.1f} {'':>7} {max(shorts):>7.1f} {LATENCY_TARGET_MS:>7.0f} "
        f"{statistics.median(shorts) / LATENCY_TARGET_MS:>9.2f}"
    )
    per_key = ", ".join(
        f"{'⌫' if key == 'backspace' else key!r}:{ms:.0f}ms/{rows}"
        for key, ms, rows in zip(KEYSTROKES, keys, figures["rows_after"], strict=True)
    )
    print(f"  each key: ms / rows shown after it: {per_key}")
    print(
        f"  the job's chart holds {figures['chart_steps']:,} points of its {LONG_EVENTS:,} steps, its log "
        f"{figures['log_events']:,} events (older ones load on scrolling up)"
    )
    print(f"  peak RSS of this process (app with the filter and the job): {figures['peak_rss'] / MB:.0f} MB\n")


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "finetop-bench")
    parser.add_argument("--only", choices=("startup", "interaction"), help="Run one of the two parts.")
    parser.add_argument("--startup-child", nargs=2, metavar=("KIND", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.startup_child:
        startup_child(*args.startup_child)
        return

    from bench_sync import EmulatorProcess

    shared_cache = REPO.parent / "shared" / "tiktoken-cache"
    if "TIKTOKEN_CACHE_DIR" not in os.environ and shared_cache.is_dir():
        os.environ["TIKTOKEN_CACHE_DIR"] = str(shared_cache)
    folder = args.dir / f"tui-{args.jobs}-{args.events}-{args.files}"
    prepare(folder, args.jobs, args.events, args.files)
    # An installed finetop has its bytecode compiled (pip does it, as it did for Textual's); a checkout
    # under PYTHONDONTWRITEBYTECODE would recompile every module on every start and time the compiler.
    for package in ("store", "tui"):
        compileall.compile_dir(REPO / package, quiet=1)
    load = os.getloadavg()
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f} at the start; cache {folder}\n"
    )
    options = {"jobs": args.jobs, "events": args.events, "files": args.files}
    if args.only != "interaction":
        with EmulatorProcess(options, extra=["--now", FIXED_NOW]) as emulator:
            env = write_config(folder, emulator.base_url)
            os.environ.update(env)
            from store.backend import Backend

            backend = Backend.open(None)
            first_status = backend.cache.jobs(limit=1)[0].status
            backend.close()
            startup = startup_table(env, folder, first_status)
        print_startup(startup)
    if args.only != "startup":
        os.environ.update(write_config(folder, "http://127.0.0.1:9/v1"))  # polling is off: never reached
        figures = asyncio.run(drive_app(folder))
        print_interaction(figures)
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end")


if __name__ == "__main__":
    main()
