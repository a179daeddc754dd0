"""What the data set cache saves: `python -m providers validate` on a 1 GiB data set, cold and warm.

    python bench/dataset_cache.py [--size-mb 1024] [--dir DIR] [--runs 5] [--clean]

Sets up DIR (default: a folder in the system's temp dir) as a repository root: data/ holds
a valid training file of about --size-mb MiB for gemini-3.5-flash (validate_dataset.py's
realistic text examples, two conversations a line, so that 1 GiB stays within the model's
limit of text-only examples; reused when already there), jobs-local/ a job naming it and
jobs-gcs/ the same job with a gs:// URI instead (no local file to check). Then, in one run,
it times each command as a user runs it (a new interpreter, from DIR):

    cold    validate jobs-local, the cache folder (DIR/.cache/datasets) deleted first
    warm    validate jobs-local again, the cache filled by the cold run
    gs://   validate jobs-gcs
    program cold / warm: what the Pulumi program does before submitting (the same checks,
            then the SHA-256 for the upload URI), cache deleted first / filled

warm and gs:// run --runs times each, in turn (warm, gs://, warm, ...), so a drift in the
machine's speed touches both; the figures are medians, and "warm - gs://" is the median of
the paired differences. Goal: the warm run adds under 1 second to the gs:// one.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from validate_dataset import _example, data_file

REPO_ROOT = Path(__file__).resolve().parent.parent
MODEL = "gemini-3.5-flash"
JOB = "name: triage\nbaseModel: {model}\ntrainingDataset: {dataset}\n"

_PROGRAM = """
from pathlib import Path
from providers.stack.preflight import validate_jobs
from providers.stack.uploads import submitted_spec
report = validate_jobs(Path("jobs-local"), Path.cwd())
assert report.ok, report.as_text()
print(submitted_spec(report.jobs[0], "bucket")[0]["trainingDataset"])
"""


def _text_only(rng: random.Random) -> dict:
    while True:
        example = _example(rng)
        if all("text" in part for turn in example["contents"] for part in turn["parts"]):
            return example


def _two_conversations(rng: random.Random) -> dict:
    """Two of validate_dataset.py's text examples as one conversation (about 2 kB)."""
    first, second = _text_only(rng), _text_only(rng)
    return {**first, "contents": first["contents"] + second["contents"]}


def set_up(directory: Path, size_mb: int) -> Path:
    data = data_file(directory / "data", size_mb, example=_two_conversations, stem="text-pairs")
    for folder, dataset in (("jobs-local", data.relative_to(directory)), ("jobs-gcs", "gs://acme/train.jsonl")):
        (directory / folder).mkdir(exist_ok=True)
        (directory / folder / "triage.yaml").write_text(JOB.format(model=MODEL, dataset=dataset))
    return data


def timed(command: list[str], directory: Path, *, cold: bool = False) -> float:
    """Seconds the command takes from start to exit; with `cold`, the cache deleted first."""
    if cold:
        shutil.rmtree(directory / ".cache", ignore_errors=True)
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    started = time.perf_counter()
    result = subprocess.run(command, cwd=directory, env=environment, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="size of the data set in MiB (default 1024)")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "gemini-tuning-bench-cache")
    parser.add_argument("--runs", type=int, default=5, help="warm and gs:// runs each (default 5)")
    parser.add_argument("--clean", action="store_true", help="delete DIR afterwards")
    args = parser.parse_args()

    data = set_up(args.dir, args.size_mb)
    validate = [sys.executable, "-m", "providers", "validate"]
    program = [sys.executable, "-c", _PROGRAM]
    with open(data, "rb") as file:  # into the page cache: the cold run then measures checking, not the disk
        while file.read(2**20):
            pass

    cold = timed(validate + ["jobs-local"], args.dir, cold=True)
    warm, gcs = [], []
    for _ in range(args.runs):
        warm.append(timed(validate + ["jobs-local"], args.dir))
        gcs.append(timed(validate + ["jobs-gcs"], args.dir))
    program_cold = timed(program, args.dir, cold=True)
    program_warm = statistics.median(timed(program, args.dir) for _ in range(args.runs))

    warm_median, gcs_median = statistics.median(warm), statistics.median(gcs)
    added = statistics.median(w - g for w, g in zip(warm, gcs))
    print(f"\ndata set: {data} ({data.stat().st_size:,} bytes), model {MODEL}")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; medians of {args.runs} runs (cold: 1 run)\n")
    print(f"{'':44} {'seconds':>8}")
    rows = [
        ("validate jobs-local, cold cache", cold),
        ("validate jobs-local, warm cache", warm_median),
        ("validate jobs-gcs (no local data set)", gcs_median),
        ("program (checks + SHA-256), cold cache", program_cold),
        ("program (checks + SHA-256), warm cache", program_warm),
    ]
    for name, seconds in rows:
        print(f"{name:44} {seconds:8.3f}")
    print(f"\ncold / warm                  = {cold / warm_median:8.1f}")
    print(f"warm / gs://                 = {warm_median / gcs_median:8.3f}")
    print(f"warm - gs:// (paired median) = {added:+8.3f} s   (goal: < 1 s)")
    print(f"program cold / warm          = {program_cold / program_warm:8.1f}")
    if args.clean:
        shutil.rmtree(args.dir)
        print(f"\ndeleted {args.dir}")


if __name__ == "__main__":
    main()
