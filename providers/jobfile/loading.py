"""Loading job files: `yaml.safe_load`, the schema, the per-model rules, unique names.

Every problem of every file is collected and raised at once as `JobFileError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
import yaml

from providers.jobfile import rules
from providers.jobfile.problems import JobFileError, Problem
from providers.jobfile.schema import JobSpec, problem_from_pydantic

JOB_FILE_PATTERNS = ("*.yaml", "*.yml")


def parse_job(data: Any, file: str) -> JobSpec:
    """Validates one job file's parsed YAML; raises JobFileError naming every problem."""
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise JobFileError(
            [Problem(file, "", f"the file is {kind}; a job file is a mapping of job fields")]
        )
    try:
        spec = JobSpec.model_validate(data)
    except pydantic.ValidationError as exc:
        raise JobFileError([problem_from_pydantic(file, error) for error in exc.errors()]) from None
    problems = [Problem(file, field, message) for field, message in rules.check(spec)]
    if problems:
        raise JobFileError(problems)
    return spec


def load_job_file(path: Path, display_name: str | None = None) -> JobSpec:
    """Reads and validates one job file (`yaml.safe_load` only)."""
    file = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise JobFileError([Problem(file, "", f"cannot read the file: {exc}")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise JobFileError([Problem(file, "", _yaml_message(exc))]) from None
    return parse_job(data, file)


def _yaml_message(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    return f"{where}not valid YAML: {problem}"


@dataclass(frozen=True)
class JobFile:
    """One loaded, valid job file."""

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
