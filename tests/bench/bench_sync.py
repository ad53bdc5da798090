"""Sync benchmark against the store issue's targets: requests against the API's minimum, steady polls, cache speed.

Run: .venv/bin/python tests/bench/bench_sync.py   (not collected by pytest; about 5 minutes, most of it the full sync)
     .venv/bin/python tests/bench/bench_sync.py --jobs 500 --events 100000 --files 200   (a quick look)

The emulator runs in its own process (`python -m emulator`), so its CPU does not share the syncing
process's GIL; requests are counted from its request log, not by the client.

1. Full sync of the `bench` scenario (5,000 finished jobs sharing 1,000,000 events, 2,000 files) into an
   empty cache, in a fresh interpreter so that its peak RSS is its own. The minimum the API allows is
   computed from the emulator's own state (its snapshot), in pages of the largest limit:
   ceil(jobs / 100) job-list pages; per job max(1, ceil(events / 100)) event pages (a job's log is only
   known to be complete when a page says has_more=false); per ended job max(1, ceil(checkpoints / 100))
   checkpoint lists and one download per result file and per active job's training or
   validation file up to 64 MB (kept for its estimate); max(1, ceil(files / 10,000)) file-list pages; one
   model list; usage and costs pages for the sync's window (the day of the first job to the end of today):
   ceil(days / 31) usage pages of 1-day buckets and ceil(days / 180) costs pages.
2. Steady state: an account with 0, 1 or 10 running jobs (created through the SDK, the emulator's clock
   frozen and moved by hand), synced once; then each poll cycle of jobs, events and details
   (`Syncer.run_collections(["jobs", "events", "details"])`, what `poll()` runs when jobs are due) after
   the clock moved on by the poll interval. Target: at most 1 + 2 x active requests per cycle, none of
   them naming an ended job.
3. The cache on the synced archive: events inserted per second (pages of 100, one transaction per page
   with its cursor, as the sync writes them), and the reads the app makes: the jobs list of 5,000 jobs
   and the last 1,000 events of a job.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from emulator.control import EmulatorControl  # noqa: E402  (standard library only)

API_KEY = "finetop-emulator-key"
ADMIN_KEY = "finetop-emulator-admin-key"
MB = 1024 * 1024
DAY = 86_400
PAGE = 100  # jobs, events and checkpoints: the largest `limit`
FILES_PAGE = 10_000
USAGE_PAGE_DAYS = 31  # 1-day usage buckets: the largest `limit`
COSTS_PAGE_DAYS = 180
POLL_SECONDS = 5.0
STEADY_CYCLES = 10
STEADY_ACCOUNT = {"jobs": 50, "events": 5_000, "files": 40}
READ_RUNS = 7
READ_BUDGET_MS = 100.0  # what the app allows itself to show something
WRITE_EVENTS = 100_000
CHART_POINTS = 8000  # as tui.screens.job.CHART_POINTS (not imported: this script stays free of Textual)


def peak_rss() -> int:
    """This process's peak resident set, in bytes. On Linux from /proc (VmHWM): ru_maxrss survives exec,
    so a child would report its parent's peak when that was higher."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)


# --- the emulator in its own process ------------------------------------------------------


class EmulatorProcess:
    """`python -m emulator` on a free port; `.base_url`, `.control`; stopped on leaving the `with`."""

    def __init__(self, options: dict[str, int], *, scenario: str = "bench", seed: int = 0, extra: list[str] = ()):
        command = [sys.executable, "-m", "emulator", "--port", "0", "--scenario", scenario, "--speed", "0"]
        command += ["--seed", str(seed), *extra]
        for key, value in options.items():
            command += ["--option", f"{key}={value}"]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO)
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        if not first.startswith("finetop emulator listening on"):
            self.stop()
            raise SystemExit(f"the emulator did not start: {first!r}")
        self.base_url = first.rsplit(" ", 1)[1].strip()
        while not self.process.stdout.readline().startswith("Press Ctrl-C"):
            pass
        self.control = EmulatorControl(self.base_url.removesuffix("/v1"), timeout=600)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def open_backend(base_url: str, cache_path: Path, *, name: str = "bench", admin: bool = True):
    """A Backend for a profile pointed at the emulator, with its cache at `cache_path`."""
    from store.backend import Backend
    from store.cache import Cache
    from store.config import Profile
    from store.credentials import Keys

    profile = Profile(name=name, base_url=base_url, poll_seconds=POLL_SECONDS)
    keys = Keys(api_key=API_KEY, admin_key=ADMIN_KEY if admin else None, source="bench")
    return Backend(profile, Cache.open(cache_path), keys=keys)


def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


# --- 1. full sync -------------------------------------------------------------------------

ROUTES: list[tuple[str, re.Pattern[str]]] = [
    ("job list pages", re.compile(r"^GET /v1/fine_tuning/jobs$")),
    ("event pages", re.compile(r"^GET /v1/fine_tuning/jobs/[^/]+/events$")),
    ("checkpoint lists", re.compile(r"^GET /v1/fine_tuning/jobs/[^/]+/checkpoints$")),
    ("job retrieves", re.compile(r"^GET /v1/fine_tuning/jobs/[^/]+$")),
    ("file downloads", re.compile(r"^GET /v1/files/[^/]+/content$")),
    ("file list pages", re.compile(r"^GET /v1/files$")),
    ("model lists", re.compile(r"^GET /v1/models$")),
    ("usage pages", re.compile(r"^GET /v1/organization/usage/completions$")),
    ("costs pages", re.compile(r"^GET /v1/organization/costs$")),
]


def route_of(request: dict) -> str:
    line = f"{request['method']} {request['path']}"
    return next((name for name, pattern in ROUTES if pattern.match(line)), line)


def minimum_requests(snapshot: dict, now: float) -> dict[str, int]:
    from store.sync import AUTO_ARCHIVE_BYTES

    """The fewest requests that read everything of this account, page by page at the largest limits.

    An ended job's checkpoints take one list at least (it is the only way to know there are none); an
    active job's only when it has some (its events announce them)."""
    jobs = snapshot["jobs"]
    ended = [j for j in jobs if j["status"] in ("succeeded", "failed", "cancelled")]
    ended_ids = {j["id"] for j in ended}
    checkpoints = {j["id"]: len(snapshot["checkpoints"][j["id"]]) for j in jobs}
    first_day = min(j["created_at"] for j in jobs) // DAY * DAY if jobs else None
    days = (int(now) // DAY + 1) - first_day // DAY if first_day is not None else 0
    # Sync also keeps active jobs' training and validation files (up to its size limit) for their estimates.
    sizes = {f["id"]: f["bytes"] for f in snapshot["files"] if not f["deleted"]}
    active_data = {
        file_id
        for j in jobs
        if j["id"] not in ended_ids
        for file_id in (j.get("training_file"), j.get("validation_file"))
        if file_id in sizes and sizes[file_id] <= AUTO_ARCHIVE_BYTES
    }
    return {
        "job list pages": max(1, math.ceil(len(jobs) / PAGE)),
        "event pages": sum(max(1, math.ceil(len(snapshot["events"][j["id"]]) / PAGE)) for j in jobs),
        "checkpoint lists": sum(max(int(j in ended_ids), math.ceil(n / PAGE)) for j, n in checkpoints.items()),
        "job retrieves": 0,
        "file downloads": sum(len(j.get("result_files") or []) for j in ended) + len(active_data),
        "file list pages": max(1, math.ceil(len([f for f in snapshot["files"] if not f["deleted"]]) / FILES_PAGE)),
        "model lists": 1,
        "usage pages": math.ceil(days / USAGE_PAGE_DAYS) if days else 0,
        "costs pages": math.ceil(days / COSTS_PAGE_DAYS) if days else 0,
    }


def worker_full_sync(base_url: str, cache_path: str) -> dict:
    """In a fresh interpreter: open an empty cache and sync everything once."""
    backend = open_backend(base_url, Path(cache_path))
    rss_start = peak_rss()
    wall, cpu = time.perf_counter(), time.process_time()
    report = backend.sync()
    seconds, cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    stats = backend.cache.stats()
    backend.close()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_rss": peak_rss(),
        "rss_start": rss_start,
        "client_requests": report.requests,
        "errors": {k: str(v) for k, v in report.errors.items()},
        "skipped": report.skipped,
        "jobs": stats.jobs,
        "events": stats.events,
        "checkpoints": stats.checkpoints,
        "files": stats.files,
        "models": stats.models,
        "database_bytes": stats.database_bytes,
        "synced_until": time.time(),
    }


def run_worker(*args: str) -> dict:
    result = subprocess.run([sys.executable, __file__, "--worker", *args], capture_output=True, text=True, cwd=REPO)
    if result.returncode != 0:
        raise SystemExit(f"worker {args[0]} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def sync_bench_account(
    jobs: int, events: int, files: int, folder: Path, *, scenario: str = "bench"
) -> tuple[dict, dict, dict]:
    """Start a scenario, sync it into `folder`/cache.db from a worker; (worker figures, requests, minimum)."""
    started = time.perf_counter()
    options = {"jobs": jobs, "events": events, "files": files} if scenario == "bench" else {}
    with EmulatorProcess(options, scenario=scenario) as emulator:
        print(f"  emulator seeded in {time.perf_counter() - started:.1f} s; syncing ...", file=sys.stderr, flush=True)
        emulator.control.clear_requests()
        figures = run_worker("full-sync", emulator.base_url, str(folder / "cache.db"))
        log = emulator.control.requests()
        snapshot = emulator.control.snapshot()
    requests = Counter(route_of(r) for r in log)
    figures["statuses"] = dict(Counter(str(r["status"]) for r in log))
    return figures, dict(requests), minimum_requests(snapshot, figures["synced_until"])


def print_requests(requests: dict, minimum: dict) -> None:
    print(f"{'requests':<24} {'issued':>8} {'minimum':>8} {'issued / min':>13}")
    names = list(minimum) + sorted(set(requests) - set(minimum))
    for name in names:
        issued, least = requests.get(name, 0), minimum.get(name, 0)
        ratio = f"{issued / least:.2f}" if least else ("-" if not issued else "extra")
        print(f"{name:<24} {issued:>8,} {least:>8,} {ratio:>13}")
    total, least = sum(requests.values()), sum(minimum.values())
    print(f"{'total':<24} {total:>8,} {least:>8,} {total / least:>13.2f}")


def print_full_sync(jobs: int, events: int, files: int, figures: dict, requests: dict, minimum: dict) -> None:
    print(f"1. Full sync into an empty cache: bench scenario, {jobs:,} jobs, {events:,} events, {files:,} files")
    print_requests(requests, minimum)
    total = sum(requests.values())
    print(
        f"client's own count {figures['client_requests']:,}; HTTP statuses {figures['statuses']}; "
        f"errors {figures['errors'] or 'none'}"
    )
    print(
        f"wall time {figures['seconds']:.1f} s ({figures['events'] / figures['seconds']:,.0f} events/s, "
        f"{total / figures['seconds']:.0f} requests/s); CPU in the syncing process {figures['cpu_seconds']:.1f} s"
    )
    print(
        f"peak RSS {figures['peak_rss'] / MB:.0f} MB (after imports, before syncing: "
        f"{figures['rss_start'] / MB:.0f} MB); cache {figures['database_bytes'] / MB:,.0f} MB holding "
        f"{figures['jobs']:,} jobs, {figures['events']:,} events, {figures['checkpoints']:,} checkpoints, "
        f"{figures['files']:,} files, {figures['models']:,} models\n"
    )


# --- 2. steady state ----------------------------------------------------------------------


def start_running_jobs(emulator: EmulatorProcess, count: int) -> list[str]:
    """Create `count` jobs through the SDK and move the clock until every one of them runs."""
    import openai

    client = openai.OpenAI(base_url=emulator.base_url, api_key=API_KEY, max_retries=0)
    files = sorted(client.files.list().data, key=lambda f: f.bytes, reverse=True)  # the longest runs
    method = {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 20}}}
    ids = [
        client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=files[i].id, method=method).id
        for i in range(count)
    ]
    for _ in range(20):
        statuses = {j["id"]: j["status"] for j in emulator.control.snapshot()["jobs"] if j["id"] in ids}
        if all(s == "running" for s in statuses.values()):
            return ids
        emulator.control.advance(60)
    raise SystemExit(f"jobs did not start running: {statuses}")


def steady_state(active: int, folder: Path) -> dict:
    extra = ["--max-running-jobs", str(max(active, 1))]
    with EmulatorProcess(STEADY_ACCOUNT, extra=extra) as emulator:
        running = start_running_jobs(emulator, active)
        backend = open_backend(emulator.base_url, fresh_dir(folder / f"steady-{active}") / "cache.db")
        try:
            first = backend.sync()
            assert not first.errors, first.errors
            ended = set(backend.cache.job_ids()) - set(backend.cache.job_ids(active_only=True))
            assert len(backend.cache.job_ids(active_only=True)) == active
            counts, naming_ended, kinds, changes = [], [], Counter(), 0
            for _ in range(STEADY_CYCLES):
                emulator.control.advance(POLL_SECONDS)
                emulator.control.clear_requests()
                report = backend.syncer.run_collections(["jobs", "events", "details"])
                assert not report.errors, report.errors
                log = emulator.control.requests()
                counts.append(len(log))
                naming_ended += [r["path"] for r in log if any(job_id in r["path"] for job_id in ended)]
                kinds.update(route_of(r) for r in log)
                changes += len(report.transitions)
            statuses = Counter(backend.cache.job(job_id).status for job_id in running)
        finally:
            backend.close()
    return {
        "active": active,
        "counts": counts,
        "naming_ended": naming_ended,
        "per_cycle": {k: v / STEADY_CYCLES for k, v in kinds.items()},
        "transitions": changes,
        "still_running": statuses.get("running", 0),
    }


def print_steady(results: list[dict]) -> None:
    print(
        f"2. Steady state: requests per poll cycle (jobs, events, details), {STEADY_CYCLES} cycles, "
        f"the clock {POLL_SECONDS:g} s on before each"
    )
    print(
        f"{'active jobs':>11} {'min':>5} {'median':>7} {'max':>5} {'target':>7} {'max / target':>13} "
        f"{'ended named':>12}"
    )
    for r in results:
        target = 1 + 2 * r["active"]
        print(
            f"{r['active']:>11} {min(r['counts']):>5} {statistics.median(r['counts']):>7g} {max(r['counts']):>5} "
            f"{target:>7} {max(r['counts']) / target:>13.2f} {len(r['naming_ended']):>12}"
        )
    for r in results:
        kinds = ", ".join(f"{name} {count:g}" for name, count in sorted(r["per_cycle"].items()))
        print(
            f"  {r['active']} active, per cycle: {kinds}; {r['still_running']}/{r['active']} still running, "
            f"{r['transitions']} status changes"
        )
    print()


# --- 3. cache writes and reads ------------------------------------------------------------


def api_events(job_id: str, count: int, start: int) -> list:
    """`count` events shaped as the API sends them (metrics events between life-cycle messages), newest first."""
    from store.records import event_from_raw

    raws = []
    for step in range(1, count + 1):
        loss = 0.1 + 1.5 * math.exp(-4.0 * step / count)
        raws.append(
            {
                "object": "fine_tuning.job.event",
                "id": f"ftevent-w{job_id[-8:]}{step:09d}",
                "created_at": start + step,
                "level": "info",
                "message": f"Step {step}/{count}: training loss={loss:.2f}",
                "data": {
                    "step": step,
                    "total_steps": count,
                    "train_loss": loss,
                    "train_mean_token_accuracy": 1 - loss * 0.3,
                },
                "type": "metrics",
            }
        )
    return [event_from_raw(job_id, raw) for raw in reversed(raws)]


def timed_ms(action: Callable[[], object], runs: int = READ_RUNS) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


def add_long_job(cache, job_id: str, events: int) -> float:
    """Write a succeeded job with `events` metrics events through the cache, page by page; seconds taken."""
    from store.records import job_from_raw

    start = int(time.time()) - events - 3600
    raw = {
        "object": "fine_tuning.job",
        "id": job_id,
        "created_at": start - 60,
        "model": "gpt-4o-mini-2024-07-18",
        "training_file": "file-benchwrites",
        "status": "succeeded",
        "fine_tuned_model": f"ft:gpt-4o-mini-2024-07-18:bench:long:{job_id[-8:]}",
        "finished_at": start + events + 60,
        "trained_tokens": events * 500,
        "hyperparameters": {"n_epochs": 1, "batch_size": 1, "learning_rate_multiplier": 1.8},
        "method": {"type": "supervised"},
        "metadata": {},
        "result_files": [],
    }
    cache.upsert_jobs([job_from_raw(raw)])
    pages = [page for page in _chunks(api_events(job_id, events, start), PAGE)]
    started = time.perf_counter()
    run = cache.start_event_run(job_id)
    for index, page in enumerate(pages):
        last = index == len(pages) - 1
        inserted, run = cache.append_event_page(run, page, finished=last, resume_after=page[-1].id)
        assert inserted == len(page)
    elapsed = time.perf_counter() - started
    cache.mark_details_synced(job_id)
    return elapsed


def _chunks(items: list, size: int) -> Iterator[list]:
    for index in range(0, len(items), size):
        yield items[index : index + size]


def worker_cache(cache_path: str, long_job: str, events: int) -> dict:
    from store.cache import Cache

    cache = Cache.open(Path(cache_path))
    jobs = cache.jobs()
    figures: dict = {"jobs": len(jobs), "jobs_list": timed_ms(cache.jobs)}
    short = jobs[len(jobs) // 2].id
    figures["short_events"] = cache.count_events(short)
    figures["short_read"] = timed_ms(lambda: cache.events(short, limit=1000))
    if cache.count_events(long_job) != events:
        figures["write_seconds"] = add_long_job(cache, long_job, events)
    figures["long_events"] = cache.count_events(long_job)
    figures["long_read"] = timed_ms(lambda: cache.events(long_job, limit=1000))
    figures["long_series"] = timed_ms(lambda: cache.metric_series(long_job))
    figures["chart_series"] = timed_ms(lambda: cache.metric_series(long_job, points=CHART_POINTS))
    figures["total_events"] = cache.count_events()
    figures["peak_rss"] = peak_rss()
    cache.close()
    return figures


def print_cache(figures: dict) -> None:
    print("3. The cache, on the synced archive (median and best of several runs)")
    rows = [
        (f"jobs list: Cache.jobs(), {figures['jobs']:,} jobs", figures["jobs_list"]),
        (f"last 1,000 events of a job with {figures['long_events']:,}", figures["long_read"]),
        (f"all events of a job with {figures['short_events']:,}", figures["short_read"]),
        (f"metric series of the job with {figures['long_events']:,} events", figures["long_series"]),
        (f"the same reduced to {CHART_POINTS:,} points (the job screen's)", figures["chart_series"]),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'read':<{width}} {'median ms':>10} {'best ms':>8} {'x 100 ms':>9}")
    for name, times in rows:
        median = statistics.median(times)
        print(f"{name:<{width}} {median:>10.1f} {min(times):>8.1f} {median / READ_BUDGET_MS:>9.2f}")
    if "write_seconds" not in figures:
        print("writes: not measured (the job was written by an earlier run; run without --skip-full)")
    else:
        seconds = figures["write_seconds"]
        print(
            f"writes: {figures['long_events']:,} events in pages of {PAGE} (one transaction each, with the run's "
            f"cursor) into a cache of {figures['total_events'] - figures['long_events']:,}: {seconds:.2f} s = "
            f"{figures['long_events'] / seconds:,.0f} events/s"
        )
    print()


# --- main ---------------------------------------------------------------------------------


@contextmanager
def section(title: str) -> Iterator[None]:
    started = time.perf_counter()
    print(f"[{title} ...]", file=sys.stderr, flush=True)
    yield
    print(f"[{title}: {time.perf_counter() - started:.0f} s]", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "finetop-bench")
    parser.add_argument("--skip-full", action="store_true", help="Reuse the last full sync's cache (parts 2 and 3).")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "full-sync":
            print(json.dumps(worker_full_sync(*rest)))
        elif kind == "cache":
            print(json.dumps(worker_cache(rest[0], rest[1], int(rest[2]))))
        else:
            raise SystemExit(f"unknown worker {kind}")
        return

    shared_cache = REPO.parent / "shared" / "tiktoken-cache"  # the emulator counts tokens of new jobs
    if "TIKTOKEN_CACHE_DIR" not in os.environ and shared_cache.is_dir():
        os.environ["TIKTOKEN_CACHE_DIR"] = str(shared_cache)
    load = os.getloadavg()
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f} at the start\n"
    )
    folder = args.dir / f"sync-{args.jobs}-{args.events}-{args.files}"
    if not args.skip_full:
        with section("full sync"):
            figures, requests, minimum = sync_bench_account(args.jobs, args.events, args.files, fresh_dir(folder))
        print_full_sync(args.jobs, args.events, args.files, figures, requests, minimum)
        with section("demo sync"):
            demo, requests, minimum = sync_bench_account(0, 0, 0, fresh_dir(args.dir / "demo"), scenario="demo")
        print(
            f"1b. The same for the demo scenario ({demo['jobs']} jobs, {demo['events']:,} events, "
            f"{demo['checkpoints']} checkpoints: running jobs, checkpoints announced in events, result files)"
        )
        print_requests(requests, minimum)
        print()

    with section("steady state"):
        results = [steady_state(active, args.dir) for active in (0, 1, 10)]
    print_steady(results)

    with section("cache"):
        figures = run_worker("cache", str(folder / "cache.db"), "ftjob-benchwrites00000001", str(WRITE_EVENTS))
    print_cache(figures)
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end")


if __name__ == "__main__":
    main()
