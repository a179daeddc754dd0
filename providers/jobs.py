"""Loads every job file of a jobs folder; names must be unique across the folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from providers.spec import JobFileError, JobSpec, Problem, load_job_file

JOB_FILE_PATTERNS = ("*.yaml", "*.yml")


@dataclass(frozen=True)
class JobFile:
    path: str
    """The file as users name it: relative to the project root where possible."""
    spec: JobSpec


def load_jobs(jobs_dir: Path, root: Path | None = None) -> list[JobFile]:
    """All jobs of `jobs_dir`, sorted by file name; raises JobFileError listing every problem."""
    root = (root or Path.cwd()).resolve()
    if not jobs_dir.is_dir():
        raise JobFileError([Problem(str(jobs_dir), "", "the jobs folder does not exist")])
    loaded: list[JobFile] = []
    problems: list[Problem] = []
    first_file_of: dict[str, str] = {}
    for path in job_file_paths(jobs_dir):
        shown = shown_path(path, root)
        try:
            spec = load_job_file(path, shown)
        except JobFileError as exc:
            problems.extend(exc.problems)
            continue
        if spec.name in first_file_of:
            problems.append(Problem(
                shown, "name",
                f"{spec.name!r} is already the name of {first_file_of[spec.name]}; job names are unique",
            ))
            continue
        first_file_of[spec.name] = shown
        loaded.append(JobFile(shown, spec))
    if problems:
        raise JobFileError(problems)
    return loaded


def job_file_paths(jobs_dir: Path) -> list[Path]:
    return sorted({p for pattern in JOB_FILE_PATTERNS for p in jobs_dir.glob(pattern)})


def shown_path(path: Path, root: Path) -> str:
    """The path as users name it: relative to the project root where possible."""
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)
