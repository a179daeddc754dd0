"""Checking a tuning data set file before a paid tuning job is submitted with it.

`check_dataset(path, model, kind)` reads a local JSONL training or validation file and
returns a `DatasetReport`: every problem found (file-level ones such as size and example
count, and per-line ones naming the line, the JSON path and what is allowed), the number
of examples, how many carry image, audio or document parts, and the largest and total
estimated size in tokens (see `providers.datasets.tokens` for how that estimate is made
and how far off it can be). Every limit is the base model's, from its catalogue row
(`providers.jobfile.catalogue`): tokens per example, the training file's size, examples in
a training file (one limit for text-only files, another for files with any image, audio or
document part) and in a validation file. A limit the row leaves null (Google publishes
none) is not checked: Vertex decides. The file is streamed, never held: memory stays
constant on a 1 GB file, and a large file is checked by one process per CPU.
`validation_share_problem` checks a validation file against its training file's size.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from providers.datasets.lines import ExampleChecker
from providers.datasets.scan import RangeResult, scan_range, scan_ranges, split_at_lines
from providers.jobfile.catalogue import DatasetLimits, tool_catalogue

KINDS = ("training", "validation")
CHECKER_VERSION = 2
"""Bump this when what the checker reports changes (a rule, a message, a count), so that
reports cached by `providers.datasets.cache` under the old rules are not served."""
PARALLEL_MIN_BYTES = 64 * 2**20
"""Files smaller than this are checked in this process: a worker's start-up would cost more."""

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class DatasetProblem:
    """One problem: in the whole file (line is None) or on one line (counted from 1)."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: line {self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class DatasetReport:
    """The outcome of checking one data set file."""

    file: str
    """The file's name as shown in problems."""
    problems: list[DatasetProblem]
    """The first problems found (file-level ones first, then by line), at most `max_reported`."""
    problem_count: int
    """All problems found, including those not listed in `problems`."""
    example_count: int
    """Non-blank lines: each one is an example, whether valid or not."""
    size_bytes: int
    max_example_tokens: int
    """The largest estimated token count of an example (see `providers.datasets.tokens`)."""
    total_tokens: int
    """The sum of every example's estimated tokens, the estimate `max_example_tokens` takes.

    Counted over all examples, also invalid ones, as far as they can be read: a line that is
    not JSON, or too long to be read, counts 0."""
    multimodal_examples: int
    """Examples with at least one file part (`fileData`: image, audio or document)."""

    @property
    def ok(self) -> bool:
        return self.problem_count == 0


def check_dataset(
    path: Path,
    model: str,
    kind: Literal["training", "validation"],
    shown_name: str | None = None,
    max_reported: int = 20,
    *,
    rules: DatasetLimits | None = None,
    workers: int | None = None,
) -> DatasetReport:
    """Checks a JSONL data set for tuning `model`; never raises for what the file holds.

    `rules`: the model's row (a repository's models.yaml may give it); default: the tool's. `workers` is the number of processes to use; by default one per CPU
    for files of `PARALLEL_MIN_BYTES` or more, else one.
    """
    rules = checked_arguments(model, kind, rules)
    path = Path(path)
    max_reported = max(max_reported, 0)
    shown = shown_name if shown_name is not None else str(path)
    size, head, unreadable = _size_and_head(path)
    if unreadable:
        return _report(shown, [unreadable], max_reported, size_bytes=size)

    file_problems: list[str] = []
    if kind == "training" and rules.max_training_file_bytes is not None and size > rules.max_training_file_bytes:
        file_problems.append(
            f"{_size(size)}; a training file for {model} may have at most "
            f"{_size(rules.max_training_file_bytes)}"
        )
    if size == 0:
        file_problems.append("empty file; a data set needs at least one example")
        return _report(shown, file_problems, max_reported, size_bytes=0)
    if head.startswith(_UTF16_BOMS):
        file_problems.append("is UTF-16 encoded (it starts with a UTF-16 byte order mark); save it as UTF-8")
        return _report(shown, file_problems, max_reported, size_bytes=size)
    start = 0
    if head.startswith(_UTF8_BOM):
        file_problems.append("starts with a UTF-8 byte order mark; save the file as UTF-8 without BOM")
        start = len(_UTF8_BOM)

    try:
        results = _scan(path, start, size, model, rules, max_reported, workers)
    except OSError as exc:
        file_problems.append(f"cannot be read: {exc.strerror or exc}")
        return _report(shown, file_problems, max_reported, size_bytes=size)

    example_count = sum(result.example_count for result in results)
    multimodal_examples = sum(result.multimodal_examples for result in results)
    if example_count == 0:
        file_problems.append("holds no examples; a data set needs at least one")
    file_problems.extend(_count_problems(example_count, multimodal_examples, model, kind, rules))
    line_problems: list[tuple[int, str]] = []
    first_line = 1
    for result in results:
        line_problems.extend((first_line + line - 1, message) for line, message in result.problems)
        first_line += result.line_count
    return _report(
        shown,
        file_problems,
        max_reported,
        line_problems=line_problems,
        unreported_line_problems=sum(r.problem_count for r in results) - len(line_problems),
        example_count=example_count,
        size_bytes=size,
        max_example_tokens=max((r.max_example_tokens for r in results), default=0),
        total_tokens=sum(r.total_tokens for r in results),
        multimodal_examples=multimodal_examples,
    )


def checked_arguments(model: str, kind: str, rules: DatasetLimits | None) -> DatasetLimits:
    """The rules to check against; ValueError for an unknown model or kind (a programming error)."""
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of: {', '.join(KINDS)}")
    if rules is None:
        models = tool_catalogue().models
        if model not in models:
            raise ValueError(f"{model!r} is not a supported base model; allowed: {', '.join(sorted(models))}")
        rules = models[model]
    return rules


def validation_share_problem(validation_examples: int, training_examples: int, model: str,
                             rules: DatasetLimits) -> str | None:
    """Too many validation examples for the training file (Google: with more than 1,000
    validation examples, at most 30% of the training examples); None if within."""
    share = rules.validation_share
    if share is None or validation_examples <= share.above_examples:
        return None
    allowed = int(training_examples * share.of_training)
    if validation_examples <= allowed:
        return None
    return (f"{validation_examples:,} examples; with more than {share.above_examples:,} validation examples, "
            f"{model} allows at most {share.of_training:.0%} of the training file's {training_examples:,} "
            f"examples ({allowed:,})")


def _count_problems(examples: int, multimodal: int, model: str, kind: str, rules: DatasetLimits) -> list[str]:
    """Too many examples for the model: in a validation file, a text-only or a multimodal training file."""
    if kind == "validation":
        if rules.max_validation_examples is not None and examples > rules.max_validation_examples:
            return [f"{examples:,} examples; a validation set for {model} may have at most "
                    f"{rules.max_validation_examples:,}"]
    elif multimodal:
        limit = rules.max_multimodal_training_examples
        if limit is not None and examples > limit:
            return [f"{examples:,} examples, {multimodal:,} of them with image, audio or document parts; "
                    f"a training file with such parts for {model} may have at most {limit:,} examples"]
    elif rules.max_training_examples is not None and examples > rules.max_training_examples:
        return [f"{examples:,} examples; a text-only training file for {model} may have at most "
                f"{rules.max_training_examples:,}"]
    return []


def _size_and_head(path: Path) -> tuple[int, bytes, str | None]:
    """The file's size and first bytes, or why it cannot be read."""
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            return 0, b"", "is a directory, not a JSONL file"
        if not stat.S_ISREG(info.st_mode):
            return 0, b"", "is not a regular file"
        with open(path, "rb") as file:
            head = file.read(4)
    except FileNotFoundError:
        return 0, b"", "file not found"
    except PermissionError:
        return 0, b"", "cannot be read: permission denied"
    except OSError as exc:
        return 0, b"", f"cannot be read: {exc.strerror or exc}"
    return info.st_size, head, None


def _scan(
    path: Path, start: int, size: int, model: str, rules: DatasetLimits, max_reported: int, workers: int | None
) -> list[RangeResult]:
    if workers is None:
        workers = _cpu_count() if size >= PARALLEL_MIN_BYTES else 1
    if workers > 1:
        return scan_ranges(path, split_at_lines(path, start, size, workers), model, rules, max_reported)
    return [scan_range(path, start, size, ExampleChecker(model, rules), max_reported)]


def _cpu_count() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _report(
    shown: str,
    file_problems: list[str],
    max_reported: int,
    *,
    line_problems: list[tuple[int, str]] = (),
    unreported_line_problems: int = 0,
    example_count: int = 0,
    size_bytes: int = 0,
    max_example_tokens: int = 0,
    total_tokens: int = 0,
    multimodal_examples: int = 0,
) -> DatasetReport:
    problems = [DatasetProblem(shown, None, message) for message in file_problems]
    problems += [DatasetProblem(shown, line, message) for line, message in line_problems]
    return DatasetReport(
        file=shown,
        problems=problems[:max_reported],
        problem_count=len(problems) + unreported_line_problems,
        example_count=example_count,
        size_bytes=size_bytes,
        max_example_tokens=max_example_tokens,
        total_tokens=total_tokens,
        multimodal_examples=multimodal_examples,
    )


def _size(size: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            amount = f"{size / scale:.2f}".rstrip("0").rstrip(".")
            return f"{amount} {unit} ({size:,} bytes)"
    return f"{size:,} bytes"
