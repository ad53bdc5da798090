"""`python -m emulator.benchmark`: how long the bench scenario takes to seed, and event-paging throughput.

Seeding is timed in-process; throughput is measured against the emulator running in
its own process (as `finetop emulator` does), from several client threads paging
through random jobs' events with keep-alive connections, for a few seconds.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import threading
import time
import urllib.request

import httpx2

from emulator.clock import parse_instant
from emulator.world import DEFAULT_API_KEY, Settings, open_world


def time_seeding(jobs: int, events: int, files: int) -> float:
    started = time.perf_counter()
    world = open_world(
        scenario="bench",
        seed=0,
        start=parse_instant(None),
        speed=0.0,
        db_path=None,
        settings=Settings(),
        options={"jobs": jobs, "events": events, "files": files},
    )
    elapsed = time.perf_counter() - started
    world.db.close()
    return elapsed


def measure_paging(jobs: int, events: int, files: int, *, seconds: float, threads: int, limit: int) -> dict[str, float]:
    command = [
        sys.executable, "-m", "emulator", "--port", "0", "--scenario", "bench", "--speed", "0",
        "--option", f"jobs={jobs}", "--option", f"events={events}", "--option", f"files={files}",
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().rsplit(" ", 1)[1].strip()
        root = base_url.removesuffix("/v1")
        while not server.stdout.readline().startswith("Press Ctrl-C"):
            pass
        job_ids = json.loads(urllib.request.urlopen(f"{root}/_emulator/snapshot", timeout=120).read())["events"]
        job_ids = list(job_ids)
        counts = [0] * threads
        stop = time.perf_counter() + seconds

        def worker(index: int) -> None:
            rng = random.Random(index)
            headers = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
            with httpx2.Client(base_url=base_url, headers=headers, timeout=30) as client:
                while time.perf_counter() < stop:
                    job_id, after = rng.choice(job_ids), None
                    for _ in range(3):  # the newest page, then two older ones
                        params = {"limit": limit, **({"after": after} if after else {})}
                        page = client.get(f"/fine_tuning/jobs/{job_id}/events", params=params).json()
                        counts[index] += 1
                        if not page["has_more"]:
                            break
                        after = page["data"][-1]["id"]

        started = time.perf_counter()
        pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        elapsed = time.perf_counter() - started
        return {"requests": sum(counts), "seconds": elapsed, "per_second": sum(counts) / elapsed}
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--limit", type=int, default=100)
    args = parser.parse_args()
    seeding = time_seeding(args.jobs, args.events, args.files)
    print(f"seeding bench ({args.jobs} jobs, {args.events} events, {args.files} files): {seeding:.2f} s", flush=True)
    paging = measure_paging(
        args.jobs, args.events, args.files, seconds=args.seconds, threads=args.threads, limit=args.limit
    )
    print(
        f"event paging (limit={args.limit}, {args.threads} client threads): {paging['requests']} requests in "
        f"{paging['seconds']:.1f} s = {paging['per_second']:.0f} requests/s"
    )


if __name__ == "__main__":
    main()
