"""Scanning a JSONL data set line by line, in ranges that can run in parallel.

A range is a span of bytes that starts at a line start; `scan_range` checks every line
starting inside it, holding one line at a time (lines too long to be a valid example are
skipped unread), so memory stays constant whatever the file size. A large file is cut
into one range per CPU: the first is scanned in this process, the others in worker
processes (`python -m providers.datasets.scan`, a pickled job on stdin and a pickled
`RangeResult` on stdout). Workers are fresh interpreters rather than multiprocessing
children: forking a process that runs gRPC threads (the Pulumi engine's) is unsafe, and
multiprocessing's spawn would re-run the Pulumi program, which is the `__main__` module.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from providers.datasets.lines import ExampleChecker
from providers.jobfile.catalogue import DatasetLimits

_BUFFER_BYTES = 1 << 20
_REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class RangeResult:
    """What one range holds; line numbers count from 1 at the range's first line."""

    line_count: int = 0
    example_count: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)
    """(line, message) in line order; at most the `max_reported` asked for."""
    problem_count: int = 0
    max_example_tokens: int = 0
    total_tokens: int = 0
    multimodal_examples: int = 0


def scan_range(path: Path, start: int, end: int, checker: ExampleChecker, max_reported: int) -> RangeResult:
    """Checks the lines that start in [start, end); `start` must be a line start."""
    result = RangeResult()
    problems = result.problems
    # Without a token limit no line is too long to read whole.
    limit = checker.max_line_bytes + 1 if checker.max_line_bytes is not None else sys.maxsize
    with open(path, "rb", buffering=_BUFFER_BYTES) as file:
        file.seek(start)
        readline = file.readline
        measure = checker.measure_line
        check = checker.check
        allowed_tokens = checker.max_tokens
        position = start
        number = 0
        max_tokens = total_tokens = multimodal = 0
        blank = 0
        problem_count = 0
        while position < end:
            line = readline(limit)
            if not line:
                break
            number += 1
            size = len(line)
            position += size
            # Nearly every line is a valid example: measure it and go on. A line of
            # `limit` bytes may be cut short, so it takes the slow path, which sees that.
            if size < limit and (measured := measure(line)) is not None and measured[0] <= allowed_tokens:
                tokens, file_parts = measured
                total_tokens += tokens
                if tokens > max_tokens:
                    max_tokens = tokens
                if file_parts:
                    multimodal += 1
                continue
            if line.isspace():
                blank += 1
                found = ["empty line; each line must hold one JSON example"]
            elif size == limit and line[-1] != 0x0A:
                size += _skip_rest_of_line(readline)
                position += size - limit
                found = [checker.line_too_long(size)]
            else:
                found, tokens, file_parts = check(line)
                total_tokens += tokens
                if tokens > max_tokens:
                    max_tokens = tokens
                if file_parts:
                    multimodal += 1
            for message in found:
                if len(problems) < max_reported:
                    problems.append((number, message))
            problem_count += len(found)
    result.line_count = number
    result.example_count = number - blank
    result.problem_count = problem_count
    result.max_example_tokens = max_tokens
    result.total_tokens = total_tokens
    result.multimodal_examples = multimodal
    return result


def _skip_rest_of_line(readline) -> int:
    skipped = 0
    while chunk := readline(_BUFFER_BYTES):
        skipped += len(chunk)
        if chunk[-1] == 0x0A:
            break
    return skipped


def split_at_lines(path: Path, start: int, end: int, count: int) -> list[tuple[int, int]]:
    """Cuts [start, end) into at most `count` ranges of similar size, each starting a line."""
    bounds = [start]
    with open(path, "rb") as file:
        for index in range(1, count):
            guess = start + (end - start) * index // count
            if guess <= bounds[-1]:
                continue
            file.seek(guess - 1)
            bound = guess - 1 + _skip_rest_of_line(file.readline)
            if bounds[-1] < bound < end:
                bounds.append(bound)
    bounds.append(end)
    return list(zip(bounds, bounds[1:]))


def scan_ranges(
    path: Path,
    ranges: list[tuple[int, int]],
    model: str,
    rules: DatasetLimits,
    max_reported: int,
) -> list[RangeResult]:
    """Scans the first range here and each other range in its own worker process."""
    checker = ExampleChecker(model, rules)
    workers = [
        _start_worker((str(path), start, end, model, rules, max_reported))
        for start, end in ranges[1:]
    ]
    results = [scan_range(path, *ranges[0], checker, max_reported)]
    for (start, end), worker in zip(ranges[1:], workers):
        result = _finish_worker(worker)
        if result is None:
            # The worker could not run (no interpreter, killed): do its share here.
            result = scan_range(path, start, end, checker, max_reported)
        results.append(result)
    return results


def _start_worker(job: tuple) -> subprocess.Popen | None:
    if not sys.executable:
        return None
    python_path = os.pathsep.join(filter(None, [str(_REPO_ROOT), os.environ.get("PYTHONPATH")]))
    try:
        worker = subprocess.Popen(
            [sys.executable, "-m", "providers.datasets.scan"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": python_path},
        )
    except OSError:
        return None
    worker.stdin.write(pickle.dumps(job))
    worker.stdin.close()
    return worker


def _finish_worker(worker: subprocess.Popen | None) -> RangeResult | None:
    if worker is None:
        return None
    with worker:
        output = worker.stdout.read()
    if worker.returncode != 0:
        return None
    result = pickle.loads(output)
    return result if isinstance(result, RangeResult) else None


def _worker_main() -> None:
    path, start, end, model, rules, max_reported = pickle.load(sys.stdin.buffer)
    result = scan_range(Path(path), start, end, ExampleChecker(model, rules), max_reported)
    sys.stdout.buffer.write(pickle.dumps(result))


if __name__ == "__main__":
    # Run the imported module's copy, so the result pickles as
    # providers.datasets.scan.RangeResult rather than __main__.RangeResult.
    from providers.datasets.scan import _worker_main as worker_main

    worker_main()
