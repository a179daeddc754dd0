"""Validation of a whole jobs folder, as `validate` reports it: what is wrong, per file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from providers.jobs import JobFile, job_file_paths, load_jobs, shown_path
from providers.spec import JobFileError, Problem


@dataclass(frozen=True)
class ValidationReport:
    jobs_dir: str
    files: list[str]
    valid: list[JobFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_text(self) -> str:
        lines = [str(problem) for problem in self.problems]
        broken = len({p.file for p in self.problems})
        lines.append(
            f"{len(self.files)} job file(s) in {self.jobs_dir}: "
            f"{len(self.files) - broken} valid, {broken} with problems ({len(self.problems)} problem(s))"
        )
        return "\n".join(lines)

    def as_json(self) -> dict:
        return {
            "ok": self.ok,
            "jobsDir": self.jobs_dir,
            "files": self.files,
            "problems": [
                {"file": p.file, "field": p.field, "message": p.message} for p in self.problems
            ],
        }


def validate_jobs(jobs_dir: Path, root: Path) -> ValidationReport:
    files = [shown_path(path, root.resolve()) for path in job_file_paths(jobs_dir)]
    try:
        valid = load_jobs(jobs_dir, root)
    except JobFileError as exc:
        return ValidationReport(str(jobs_dir), files, problems=exc.problems)
    return ValidationReport(str(jobs_dir), files, valid=valid)
