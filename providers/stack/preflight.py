"""Everything checked before a job can be submitted, for a whole jobs folder and a stack.

Job files (schema and per-model rules), their local data sets (location and every line)
and the stack's settings. `python -m providers validate` prints the report; the Pulumi
program runs the same checks, so `pulumi preview` fails with the same messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from providers.datasets.cache import DatasetCache
from providers.datasets.local import DATASET_FIELDS, LocalDataset, is_local, locate
from providers.jobfile.loading import job_file_paths, load_jobs, shown_path
from providers.jobfile.problems import JobFileError, Problem
from providers.jobfile.schema import JobSpec
from providers.stack.settings import StackSettings


@dataclass(frozen=True)
class CheckedJob:
    """A valid job file and the local data sets it names."""

    file: str
    spec: JobSpec
    local_datasets: list[LocalDataset]


@dataclass(frozen=True)
class ValidationReport:
    """What checking a jobs folder found: the files, the valid jobs and every problem."""

    jobs_dir: str
    files: list[str]
    jobs: list[CheckedJob] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_text(self) -> str:
        lines = [str(problem) for problem in self.problems]
        broken = len({p.file for p in self.problems} & set(self.files))
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


def check_stack(settings: StackSettings, root: Path) -> ValidationReport:
    """`validate_jobs` for the stack's jobs folder, plus what the stack's settings make wrong."""
    report = validate_jobs(settings.jobs_dir, root)
    problems = list(report.problems)
    if not report.files and not problems:
        # An empty or mistyped jobs folder would otherwise cancel every job of the stack.
        problems.append(Problem(str(settings.jobs_dir), "",
                                "no job files; to remove every job of this stack, run `pulumi destroy`"))
    problems.extend(settings.problems())
    for job in report.jobs:
        if job.local_datasets and not settings.dataset_bucket:
            problems.append(Problem(
                job.file, job.local_datasets[0].field,
                "a local data set needs the stack setting gemini-tuning:datasetBucket "
                "(the bucket it is uploaded to)"))
        if not (job.spec.regions or settings.default_region):
            problems.append(Problem(job.file, "regions", "no regions, and the stack sets no gcp:region"))
    return ValidationReport(report.jobs_dir, report.files, report.jobs, problems)


def validate_jobs(jobs_dir: Path, root: Path) -> ValidationReport:
    """Every job file of `jobs_dir` and the local data sets they name, checked."""
    files = [shown_path(path, root.resolve()) for path in job_file_paths(jobs_dir)]
    try:
        job_files = load_jobs(jobs_dir, root)
    except JobFileError as exc:
        return ValidationReport(str(jobs_dir), files, problems=exc.problems)
    jobs, problems = [], []
    for job_file in job_files:
        datasets, dataset_problems = _local_datasets(job_file.path, job_file.spec, root)
        jobs.append(CheckedJob(job_file.path, job_file.spec, datasets))
        problems.extend(dataset_problems)
    return ValidationReport(str(jobs_dir), files, jobs, problems)


def _local_datasets(file: str, spec: JobSpec, root: Path) -> tuple[list[LocalDataset], list[Problem]]:
    datasets, problems = [], []
    cache = DatasetCache.in_repository(root)
    for key, attribute, kind in DATASET_FIELDS:
        reference = getattr(spec, attribute)
        if reference is None or not is_local(reference):
            continue
        try:
            dataset = LocalDataset(key, kind, reference, locate(reference, root), cache)
        except ValueError as exc:
            problems.append(Problem(file, key, str(exc)))
            continue
        report = dataset.check(spec.base_model)
        problems.extend(Problem(file, key, str(p)) for p in report.problems)
        if report.problem_count > len(report.problems):
            problems.append(Problem(
                file, key, f"{reference}: {report.problem_count - len(report.problems)} more problem(s) not shown"
            ))
        datasets.append(dataset)
    return datasets, problems
