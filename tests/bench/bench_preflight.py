"""Preflight benchmark: throughput against raw tiktoken on the same text, and peak memory as files grow.

    .venv/bin/python tests/bench/bench_preflight.py                 # 100 MB .. 1 GB
    .venv/bin/python tests/bench/bench_preflight.py --big 2048      # and a 2 GB file, once

Not a pytest test (pytest collects test_*.py only). It generates a chat file (distinct,
valid examples: a system prompt, one to three user/assistant turns of random words) in
--dir, reused between runs, and cuts smaller files from its start. Every measurement
runs in a fresh interpreter so that each peak RSS is its own; the encoding is loaded
before the clock starts in every worker, so load time is not counted anywhere.

Baselines, on the same file in the same run:
- raw lines: read the file, decode each line, tiktoken encode_ordinary on its whole text
  (one thread), the most direct "tokenize this file";
- raw lines, batch: the same through encode_ordinary_batch (threads, 10,000 lines a batch);
- message text only: tiktoken time on exactly the strings preflight counts (JSON parsing
  excluded from the clock), for reference.
The target: preflight at least 70% of the faster raw-lines baseline on 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
MODEL = "gpt-4o-mini-2024-07-18"
TARGET_RATIO = 0.70

SYSTEM_PROMPTS = [
    "You are a helpful assistant for a travel company. Answer briefly and politely.",
    "You are Marv, a factual chatbot that is also sarcastic.",
    "You answer questions about the company's security policy. Cite the policy section when you can.",
    "You are a support agent for a bicycle shop. Ask one clarifying question when the request is vague.",
    "You translate customer emails into plain, friendly English and keep every number exactly as written.",
]
WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "you",
    "that",
    "it",
    "he",
    "was",
    "for",
    "on",
    "are",
    "as",
    "with",
    "his",
    "they",
    "at",
    "be",
    "this",
    "have",
    "from",
    "or",
    "one",
    "had",
    "by",
    "word",
    "but",
    "not",
    "what",
    "all",
    "were",
    "we",
    "when",
    "your",
    "can",
    "said",
    "there",
    "use",
    "an",
    "each",
    "which",
    "she",
    "do",
    "how",
    "their",
    "if",
    "will",
    "up",
    "other",
    "about",
    "out",
    "many",
    "then",
    "them",
    "these",
    "so",
    "some",
    "her",
    "would",
    "make",
    "like",
    "him",
    "into",
    "time",
    "has",
    "look",
    "two",
    "more",
    "write",
    "go",
    "see",
    "number",
    "no",
    "way",
    "could",
    "people",
    "my",
    "than",
    "first",
    "been",
    "call",
    "who",
    "oil",
    "its",
    "now",
    "find",
    "long",
    "down",
    "day",
    "did",
    "get",
    "come",
    "made",
    "may",
    "part",
    "train",
    "ticket",
    "hotel",
    "booking",
    "refund",
    "policy",
    "encryption",
    "audit",
    "bicycle",
    "wheel",
    "brake",
    "chain",
    "price",
    "delivery",
    "week",
    "Oslo",
    "Lima",
]


# --- the generated file -------------------------------------------------------------------


def generate(path: Path, size_bytes: int) -> None:
    """Write a valid chat JSONL file of at least size_bytes, every line distinct (deterministic)."""
    rng = random.Random(20261120)
    tmp = path.with_suffix(".partial")
    written = 0
    n = 0
    with tmp.open("w", encoding="utf-8", buffering=8 * MB) as f:
        while written < size_bytes:
            n += 1
            messages = [{"role": "system", "content": SYSTEM_PROMPTS[n % len(SYSTEM_PROMPTS)]}]
            for turn in range(rng.choice((1, 1, 1, 2, 3))):
                question = " ".join(rng.choices(WORDS, k=rng.randint(6, 40)))
                answer = " ".join(rng.choices(WORDS, k=rng.randint(15, 220)))
                messages.append({"role": "user", "content": f"[{n}.{turn}] {question.capitalize()}?"})
                messages.append({"role": "assistant", "content": answer.capitalize() + "."})
            line = json.dumps({"messages": messages}) + "\n"
            f.write(line)
            written += len(line.encode("utf-8"))
    tmp.rename(path)


def prefix_copy(source: Path, target: Path, size_bytes: int) -> None:
    """The first lines of source, about size_bytes of them, as target."""
    with source.open("rb") as src, target.open("wb") as dst:
        copied = 0
        while copied < size_bytes:
            chunk = src.read(min(8 * MB, size_bytes - copied))
            if not chunk:
                break
            dst.write(chunk)
            copied += len(chunk)
        dst.write(src.readline())  # finish the last line


def files_for(sizes_mb: list[int], folder: Path) -> dict[int, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    largest = max(sizes_mb)
    source = folder / f"chat-{largest}MB.jsonl"
    if not source.exists():
        print(f"generating {source} ...", file=sys.stderr, flush=True)
        generate(source, largest * MB)
    paths = {largest: source}
    for size in sizes_mb:
        path = folder / f"chat-{size}MB.jsonl"
        if size != largest and not path.exists():
            prefix_copy(source, path, size * MB)
        paths[size] = path
    return paths


# --- workers (each in its own interpreter) ------------------------------------------------


def worker(kind: str, path: Path) -> dict:
    from store.tokens import load_encoding

    encoding = load_encoding("o200k_base")
    rss_start = peak_rss()
    wall, cpu = time.perf_counter(), time.process_time()
    extra: dict = {}
    if kind == "preflight":
        from store.dataset import check_file

        report = check_file(path, model=MODEL)
        extra = {"examples": report.examples, "exit_code": report.exit_code, "tokens": report.tokens.total}
    elif kind == "raw_lines":
        encode = encoding.encode_ordinary
        with path.open("rb") as f:
            for line in f:
                encode(line.decode("utf-8"))
    elif kind == "raw_lines_batch":
        with path.open("rb") as f:
            batch: list[str] = []
            for line in f:
                batch.append(line.decode("utf-8"))
                if len(batch) == 10_000:
                    encoding.encode_ordinary_batch(batch, num_threads=os.cpu_count() or 2)
                    batch = []
            if batch:
                encoding.encode_ordinary_batch(batch, num_threads=os.cpu_count() or 2)
    elif kind == "message_text":
        encode = encoding.encode_ordinary
        spent = 0.0
        with path.open("rb") as f:
            for line in f:
                texts = [m["content"] for m in json.loads(line)["messages"]]
                started = time.perf_counter()
                for text in texts:
                    encode(text)
                spent += time.perf_counter() - started
        extra = {"encode_seconds": spent}
    else:
        raise SystemExit(f"unknown worker {kind}")
    return {
        "kind": kind,
        "seconds": time.perf_counter() - wall,
        "cpu_seconds": time.process_time() - cpu,
        "peak_rss": peak_rss(),
        "rss_start": rss_start,
        "bytes": path.stat().st_size,
        **extra,
    }


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)


def run_worker(kind: str, path: Path) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--worker", kind, str(path)], capture_output=True, text=True, cwd=REPO
    )
    if result.returncode != 0:
        raise SystemExit(f"{kind} on {path} failed:\n{result.stderr}")
    return json.loads(result.stdout)


# --- the table ----------------------------------------------------------------------------


def mb_per_s(figures: dict, seconds_key: str = "seconds") -> float:
    return figures["bytes"] / MB / figures[seconds_key]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,250,500,1024", help="File sizes in MB (default 100,250,500,1024).")
    parser.add_argument("--big", type=int, default=None, help="Also check a file of this many MB (e.g. 2048).")
    parser.add_argument("--dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "finetop-bench")
    parser.add_argument("--clean", action="store_true", help="Delete the generated files afterwards.")
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    shared_cache = REPO.parent / "shared" / "tiktoken-cache"
    if "TIKTOKEN_CACHE_DIR" not in os.environ and shared_cache.is_dir():
        os.environ["TIKTOKEN_CACHE_DIR"] = str(shared_cache)
    if args.worker:
        print(json.dumps(worker(args.worker[0], Path(args.worker[1]))))
        return

    sizes = sorted(int(s) for s in args.sizes.split(","))
    all_sizes = sorted({*sizes, *([args.big] if args.big else [])})
    paths = files_for(all_sizes, args.dir)
    reference = 1024 if 1024 in sizes else max(sizes)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, model {MODEL} (o200k_base)\n")

    rows = []
    baselines: dict[str, dict] = {}
    for size in all_sizes:
        path = paths[size]
        if size == reference:
            # Interleaved so that drift in machine load hits both sides alike.
            baselines["raw_lines"] = run_worker("raw_lines", path)
            pre = run_worker("preflight", path)
            baselines["raw_lines_batch"] = run_worker("raw_lines_batch", path)
            baselines["message_text"] = run_worker("message_text", path)
        else:
            pre = run_worker("preflight", path)
        rows.append((size, pre))
        print(
            f"  checked {path.name}: {pre['examples']:,} examples, {mb_per_s(pre):.1f} MB/s, "
            f"peak RSS {pre['peak_rss'] / MB:.0f} MB",
            file=sys.stderr,
            flush=True,
        )

    print("Preflight (check_file, every rule, duplicates, token stats, cost)")
    print(f"{'file':>10} {'examples':>10} {'MB/s':>7} {'cpu MB/s':>9} {'peak RSS':>9} {'RSS growth':>11}")
    first_rss = rows[0][1]["peak_rss"]
    for size, pre in rows:
        print(
            f"{size:>7} MB {pre['examples']:>10,} {mb_per_s(pre):>7.1f} {mb_per_s(pre, 'cpu_seconds'):>9.1f} "
            f"{pre['peak_rss'] / MB:>6.0f} MB {(pre['peak_rss'] - first_rss) / MB:>+8.1f} MB"
        )
    print(f"peak RSS from {rows[0][0]} MB to {rows[-1][0]} MB: {(rows[-1][1]['peak_rss'] - first_rss) / MB:+.1f} MB\n")

    pre = dict(rows)[reference]
    print(f"Throughput on the {reference} MB file, same run")
    print(f"{'':34} {'MB/s':>7} {'cpu MB/s':>9} {'preflight / it':>15}")
    lines = [
        ("preflight", pre, "seconds"),
        ("raw tiktoken, lines, 1 thread", baselines["raw_lines"], "seconds"),
        ("raw tiktoken, lines, batch+threads", baselines["raw_lines_batch"], "seconds"),
        ("tiktoken on message text only", baselines["message_text"], "encode_seconds"),
    ]
    for name, figures, key in lines:
        speed = mb_per_s(figures, key)
        cpu = mb_per_s(figures, "cpu_seconds") if key == "seconds" else float("nan")
        print(f"{name:34} {speed:>7.1f} {cpu:>9.1f} {mb_per_s(pre) / speed:>15.2f}")
    best = max(mb_per_s(baselines["raw_lines"]), mb_per_s(baselines["raw_lines_batch"]))
    ratio = mb_per_s(pre) / best
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(f"\npreflight / faster raw-lines baseline = {ratio:.2f} ({verdict} the {TARGET_RATIO:.0%} target)")
    if args.clean:
        shutil.rmtree(args.dir)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
