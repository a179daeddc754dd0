"""Everything checked before a job can be submitted, for a whole jobs folder and a stack.

Job files (schema and per-model rules), their local data sets (location and every line)
and the stack's settings. `python -m providers validate` prints the report; the Pulumi
program runs the same checks, so `pulumi preview` fails with the same messages.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from providers.datasets.cache import DatasetCache
from providers.datasets.check import DatasetReport, validation_share_problem
from providers.datasets.local import DATASET_FIELDS, LocalDataset, is_local, locate
from providers.gcp.clients import STORAGE_EMULATOR_VARIABLE
from providers.jobfile.catalogue import Catalogue, DatasetLimits, ModelRules, tool_catalogue
from providers.jobfile.fields import field_name
from providers.jobfile.loading import JobFile, job_file_paths, load_jobs, shown_path
from providers.jobfile.prices import PriceTable, load_prices, tool_prices
from providers.jobfile.problems import JobFileError, Problem, shared_once
from providers.jobfile.rules import evaluation_problem, key_region_problems, region_problem
from providers.jobfile.schema import JobSpec
from providers.stack.settings import StackSettings, known_stacks, stack_config


@dataclass(frozen=True)
class CheckedJob:
    """A valid job file, as one stack sees it, and the local data sets it names."""

    file: str
    spec: JobSpec
    local_datasets: list[LocalDataset]
    stack: str = ""
    base_model: str | None = None
    """The base model whose rules the job follows (a continuing job's: its source's); None
    when not known before Vertex reads the source (`providers.jobfile.lineage`)."""


@dataclass(frozen=True)
class ValidationReport:
    """What checking a jobs folder found: the files, the valid jobs and every problem."""

    jobs_dir: str
    files: list[str]
    jobs: list[CheckedJob] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    """Errors: the run stops, nothing is submitted."""
    warnings: list[Problem] = field(default_factory=list)
    stack: str = ""
    """The stack whose view was checked; "" when every stack's was."""
    catalogue: Catalogue = field(default_factory=tool_catalogue)
    """The models the jobs were checked against, with the file each row came from."""
    prices: PriceTable = field(default_factory=tool_prices)
    """The tuning prices, with the repository's prices.yaml merged in."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def models_used(self) -> dict[str, ModelRules]:
        """The catalogue rows of the base models the valid jobs name."""
        used = sorted({job.base_model for job in self.jobs if job.base_model is not None})
        return {model: self.catalogue.models[model] for model in used if model in self.catalogue.models}

    def as_text(self) -> str:
        lines = [f"model {model}: row from {self.catalogue.origin(model)} (checked {rules.checked})"
                 for model, rules in self.models_used().items()]
        lines += [f"warning: {warning}" for warning in self.warnings]
        lines += [str(problem) for problem in self.problems]
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
            "stack": self.stack,
            "files": self.files,
            "problems": [_as_json(p) for p in self.problems],
            "warnings": [_as_json(p) for p in self.warnings],
            "models": {model: {"file": self.catalogue.origin(model), "checked": str(rules.checked),
                               "sources": rules.sources}
                       for model, rules in self.models_used().items()},
        }


def _as_json(problem: Problem) -> dict:
    return {"file": problem.file, "stack": problem.stack, "field": problem.field,
            "message": problem.message, "severity": problem.severity}


def check_stack(settings: StackSettings, root: Path) -> ValidationReport:
    """`validate_jobs` for the stack's view of its jobs folder, plus what its settings make wrong."""
    report = validate_jobs(settings.jobs_dir, root, stack=settings.stack,
                           known_stacks=known_stacks(root), default_region=settings.default_region)
    problems = list(report.problems)
    if not report.files and not problems:
        # An empty or mistyped jobs folder would otherwise cancel every job of the stack.
        problems.append(Problem(str(settings.jobs_dir), "",
                                "no job files; to remove every job of this stack, run `pulumi destroy`"))
    problems.extend(settings.problems())
    warnings = list(report.warnings)
    for job in report.jobs:
        if settings.protect_serving_endpoints and job.spec.serving and job.spec.serving.deletion_policy == "delete":
            warnings.append(Problem(
                job.file, "serving.deletionPolicy",
                "delete has no effect in this stack: gemini-tuning:protectServingEndpoints keeps every serving "
                "endpoint (removing the job or its serving block leaves it serving)", "warning"))
        if job.local_datasets and settings.use_emulator and not os.environ.get(STORAGE_EMULATOR_VARIABLE):
            problems.append(Problem(
                job.file, job.local_datasets[0].field,
                f"an emulator stack uploads local data sets to a Cloud Storage emulator: set "
                f"{STORAGE_EMULATOR_VARIABLE} (host:port), or nothing would stop the upload reaching "
                "real Cloud Storage"))
        if job.local_datasets and not settings.dataset_bucket:
            problems.append(Problem(
                job.file, job.local_datasets[0].field,
                "a local data set needs the stack setting gemini-tuning:datasetBucket "
                "(the bucket it is uploaded to)"))
        regions = field_name(JobSpec, "regions")
        if not (job.spec.regions or settings.default_region):
            problems.append(Problem(job.file, regions, "no regions, and the stack sets no gcp:region"))
        elif not job.spec.regions:
            region = settings.default_region
            if (wrong := region_problem(job.base_model or "", region, report.catalogue)):
                problems.append(Problem(job.file, regions, f"no regions, so the stack's gcp:region: {wrong}"))
            elif job.base_model and (wrong := evaluation_problem(job.spec, job.base_model, region, report.catalogue)):
                problems.append(Problem(job.file, field_name(JobSpec, "evaluation"),
                                        f"no regions, so the stack's gcp:region: {wrong}"))
            problems.extend(Problem(job.file, field, message, severity) for field, message, severity
                            in key_region_problems(job.spec, [region]))
    return ValidationReport(report.jobs_dir, report.files, report.jobs, problems, warnings, settings.stack,
                            report.catalogue, report.prices)


def validate_jobs(jobs_dir: Path, root: Path, *, stack: str = "",
                  known_stacks: list[str] = (), default_region: str = "") -> ValidationReport:
    """Every job file of `jobs_dir` for `stack` (every stack when "") and the local data sets
    they name, checked; `default_region`: `stack`'s gcp:region, where its jobs without
    regions run. Each other stack's, and `stack`'s when not given, is the one its settings
    file commits, as `pulumi preview` of that stack sees it."""
    files = [shown_path(path, root.resolve()) for path in job_file_paths(jobs_dir)]
    regions = {name: region for name in known_stacks
               if isinstance(region := stack_config(root, name).get("gcp:region"), str)}
    if default_region:
        regions[stack] = default_region
    try:
        loaded = load_jobs(jobs_dir, root, stack=stack, known_stacks=known_stacks, strict=False,
                           default_regions=regions)
    except JobFileError as exc:  # no jobs folder at all, or a bad GEMINI_TUNING_TODAY
        return ValidationReport(str(jobs_dir), files, problems=exc.problems, stack=stack)
    jobs = []
    by_file: dict[str, dict[str, list[Problem]]] = {}
    for job_file in loaded.jobs:
        model, rules = dataset_rules(job_file, loaded.catalogue)
        datasets, dataset_problems = _local_datasets(job_file.path, job_file.spec, model, rules, root)
        jobs.append(CheckedJob(job_file.path, job_file.spec, datasets, job_file.stack, job_file.base_model))
        by_file.setdefault(job_file.path, {})[job_file.stack] = [
            p.in_stack(job_file.stack) if job_file.stack and not stack else p for p in dataset_problems]
    prices = load_prices(root)
    problems = [*loaded.errors, *prices.problems, *(p for views in by_file.values() for p in shared_once(views))]
    return ValidationReport(str(jobs_dir), files, jobs, problems, loaded.warnings, stack, loaded.catalogue, prices)


def dataset_rules(job: JobFile | CheckedJob, catalogue: Catalogue) -> tuple[str, DatasetLimits]:
    """The model a job's data sets are checked for, and its limits: the job's base model's row,
    or, for a model the tool cannot know offline (a continued `continueFrom.model`), the
    checks every data set meets (each line's shape) and no limits."""
    if job.base_model is not None:
        return job.base_model, catalogue.models[job.base_model]
    return job.spec.continue_from.model, DatasetLimits()


def _local_datasets(file: str, spec: JobSpec, model: str, rules: DatasetLimits,
                    root: Path) -> tuple[list[LocalDataset], list[Problem]]:
    datasets, problems = [], []
    reports: dict[str, DatasetReport] = {}
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
        report = reports[kind] = dataset.check(model, rules)
        problems.extend(Problem(file, key, str(p)) for p in report.problems)
        if report.problem_count > len(report.problems):
            problems.append(Problem(
                file, key, f"{reference}: {report.problem_count - len(report.problems)} more problem(s) not shown"
            ))
        datasets.append(dataset)
    # A gs:// training set's size is Vertex's to know: the share is checked between local files.
    if {"training", "validation"} <= reports.keys() and (share := validation_share_problem(
            reports["validation"].example_count, reports["training"].example_count, model, rules)):
        problems.append(Problem(file, field_name(JobSpec, "validation_dataset"),
                                f"{reports['validation'].file}: {share}"))
    return datasets, problems
