"""How fast the data set checker is, next to simply reading the file, and how much memory it takes.

    python bench/validate_dataset.py [--size-mb 1024] [--dir DIR] [--clean]

Writes a realistic JSONL training file of about --size-mb MiB (classification with a
system instruction, dialogue summaries, extractive QA, multi-turn chats, some image,
audio and PDF parts; English with some German and CJK text, half the lines with
\\u-escaped non-ASCII as `json.dumps` writes by default) into DIR (default: a directory
in the system's temp dir), reusing it when it is already there. Then, on the warm page
cache, it measures reading the file raw three ways, and `check_dataset` with one process
and with its default (one per CPU), each in a child process whose peak RSS is read from
/proc (VmHWM) and, for its workers, from getrusage(RUSAGE_CHILDREN).
Goals: checker >= 1/4 of raw line-reading throughput; peak RSS < 300 MB per process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MIB = 2**20
GENERATOR_VERSION = 1

_WORDS = (
    "invoice refund account password login shipping delay order package damaged subscription "
    "cancel upgrade plan charge card billing support ticket urgent please help thanks error crash "
    "app update version install device screen battery network the a an and or but with without "
    "for from to in on at by of is was are were be it this that my your we they can not "
).split()
_FOREIGN = "Rechnung Lieferung Größe Straße über Kündigung café naïve 請求書 配送 注文 返品 ログイン".split()
_LABELS = ["billing", "shipping", "account", "technical", "other"]
_MEDIA = [("image/png", "png"), ("image/jpeg", "jpg"), ("audio/mpeg", "mp3"), ("audio/wav", "wav"), ("application/pdf", "pdf")]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_FOREIGN) if rng.random() < 0.04 else rng.choice(_WORDS) for _ in range(rng.randint(5, 18))]
    return " ".join(words).capitalize() + rng.choice(".?!")


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rng) for _ in range(sentences))


def _text(value: str) -> dict:
    return {"text": value}


def _example(rng: random.Random) -> dict:
    kind = rng.random()
    if kind < 0.30:  # classification with a fixed label
        return {
            "systemInstruction": {"role": "system", "parts": [_text(f"Classify the ticket as one of: {', '.join(_LABELS)}.")]},
            "contents": [
                {"role": "user", "parts": [_text(_paragraph(rng, rng.randint(2, 8)))]},
                {"role": "model", "parts": [_text(rng.choice(_LABELS))]},
            ],
        }
    if kind < 0.55:  # dialogue summary
        dialogue = "\n".join(f"#Person{1 + turn % 2}#: {_sentence(rng)}" for turn in range(rng.randint(6, 30)))
        return {"contents": [
            {"role": "user", "parts": [_text("Summarise the dialogue:\n" + dialogue)]},
            {"role": "model", "parts": [_text(_paragraph(rng, 2))]},
        ]}
    if kind < 0.75:  # extractive QA: the answer is a span of the context
        context = _paragraph(rng, rng.randint(4, 15))
        start = rng.randrange(max(1, len(context) - 60))
        return {"contents": [
            {"role": "user", "parts": [_text(f"Context: {context}\nQuestion: {_sentence(rng)}")]},
            {"role": "model", "parts": [_text(context[start:start + rng.randint(10, 60)])]},
        ]}
    if kind < 0.94:  # multi-turn chat with a persona
        turns = []
        for _ in range(rng.randint(2, 5)):
            turns.append({"role": "user", "parts": [_text(_paragraph(rng, rng.randint(1, 3)))]})
            turns.append({"role": "model", "parts": [_text(_paragraph(rng, rng.randint(1, 3)))]})
        example = {"contents": turns}
        if rng.random() < 0.5:
            example = {"systemInstruction": {"parts": [_text("You are Ada, a patient support agent. " + _sentence(rng))]}, **example}
        return example
    mime, extension = rng.choice(_MEDIA)  # a media file with a question
    return {"contents": [
        {"role": "user", "parts": [
            {"fileData": {"mimeType": mime, "fileUri": f"gs://acme-tuning/media/{rng.randrange(10**7)}.{extension}"}},
            _text("Describe the attachment and classify it. " + _sentence(rng)),
        ]},
        {"role": "model", "parts": [_text(_paragraph(rng, 1))]},
    ]}


def generate(path: Path, size: int, example=_example) -> None:
    """Writes up to `size` bytes of examples: a pool of distinct lines, drawn at random."""
    rng = random.Random(20240611)
    pool = [json.dumps(example(rng), ensure_ascii=rng.random() < 0.5).encode() + b"\n" for _ in range(20_000)]
    longest = max(map(len, pool))
    partial = path.with_suffix(".partial")
    written = 0
    with open(partial, "wb") as file:
        while written + 2_000 * longest <= size:
            block = b"".join(rng.choices(pool, k=2_000))
            file.write(block)
            written += len(block)
        while written + longest <= size:
            line = rng.choice(pool)
            file.write(line)
            written += len(line)
    partial.replace(path)


def data_file(directory: Path, size_mb: int, example=_example, stem: str = "train") -> Path:
    """The data set of `example`s (default: this file's mix) named `stem`, written unless it is there."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stem}-{size_mb}mib-v{GENERATOR_VERSION}.jsonl"
    if path.exists() and path.stat().st_size >= size_mb * MIB * 0.99:
        print(f"reusing {path}")
    else:
        print(f"writing {path} ...", flush=True)
        started = time.perf_counter()
        generate(path, size_mb * MIB, example)
        print(f"  written in {time.perf_counter() - started:.1f} s")
    return path


def read_lines(path: Path) -> None:
    with open(path, "rb") as file:
        for _ in file:
            pass


def read_lines_like_the_checker(path: Path) -> None:
    # providers.datasets.scan.scan_range's reading: 1 MiB buffer, readline with a limit.
    with open(path, "rb", buffering=MIB) as file:
        readline = file.readline
        while readline(2_048_001):
            pass


def read_chunks(path: Path) -> None:
    with open(path, "rb", buffering=0) as file:
        while file.read(MIB):
            pass


_CHILD = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from providers.datasets.check import check_dataset
started = time.perf_counter()
report = check_dataset(Path({path!r}), "gemini-1.5-flash-002", "training", workers={workers!r})
seconds = time.perf_counter() - started
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
print(json.dumps({{
    "seconds": seconds,
    "cpu_seconds": sum(u.ru_utime + u.ru_stime for u in usage),
    "peak_kib": int(status["VmHWM"].split()[0]),
    "workers_peak_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    "examples": report.example_count,
    "problems": report.problem_count,
    "max_tokens": report.max_example_tokens,
}}))
"""


def run_checker(path: Path, workers: int | None) -> dict:
    code = _CHILD.format(root=str(REPO_ROOT), path=str(path), workers=workers)
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(output)


def timed(action, path: Path) -> float:
    started = time.perf_counter()
    action(path)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="size of the generated file in MiB (default 1024)")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "gemini-tuning-bench")
    parser.add_argument("--clean", action="store_true", help="delete the generated file afterwards")
    args = parser.parse_args()

    path = data_file(args.dir, args.size_mb)
    size = path.stat().st_size
    megabytes = size / 1e6
    timed(read_chunks, path)  # warm the page cache: every figure below reads from memory

    raw = {
        "raw: for line in file": timed(read_lines, path),
        "raw: readline, 1 MiB buffer (checker's way)": timed(read_lines_like_the_checker, path),
        "raw: read(1 MiB) loop": timed(read_chunks, path),
    }
    checks = {
        "check_dataset, 1 process": run_checker(path, 1),
        f"check_dataset, default ({os.cpu_count()} CPUs)": run_checker(path, None),
    }

    print(f"\nfile: {size:,} bytes ({megabytes:,.0f} MB), {checks['check_dataset, 1 process']['examples']:,} examples, "
          f"{checks['check_dataset, 1 process']['problems']} problems, "
          f"largest example ~{checks['check_dataset, 1 process']['max_tokens']:,} tokens")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n")
    print(f"{'':46} {'seconds':>8} {'MB/s':>8} {'CPU s':>6} {'peak RSS':>16}")
    for name, seconds in raw.items():
        print(f"{name:46} {seconds:8.2f} {megabytes / seconds:8.0f}")
    for name, result in checks.items():
        rss = f"{result['peak_kib'] / 1024:.0f} MiB"
        if result["workers_peak_kib"]:
            rss += f" (+{result['workers_peak_kib'] / 1024:.0f})"
        print(f"{name:46} {result['seconds']:8.2f} {megabytes / result['seconds']:8.0f} "
              f"{result['cpu_seconds']:6.1f} {rss:>16}")
    print("\nCPU s: CPU time of the checker and its workers, including interpreter start-up;")
    print("(+N): the peak RSS of its largest worker process, in MiB.\n\nchecker MB/s / raw MB/s:")
    for check_name, result in checks.items():
        for raw_name, seconds in raw.items():
            print(f"  {check_name:34} / {raw_name[5:]:36} = {seconds / result['seconds']:.3f}")
    if args.clean:
        path.unlink()
        print(f"\ndeleted {path}")


if __name__ == "__main__":
    main()
