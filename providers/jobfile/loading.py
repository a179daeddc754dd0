"""Loading job files: `yaml.safe_load`, the schema, the per-model rules, each stack's view.

The rules take each job's model from the catalogue: the tool's rows with the repository's
`models.yaml` merged in (its mistakes are reported with the job files'), as of today
(`providers.jobfile.retirement`).

A job file may say which stacks it belongs to (`stacks:`) and what differs per stack
(`overrides:`). `load_jobs(folder, stack=S)` gives the jobs stack S runs, as S sees them;
`load_jobs(folder)` checks every job file for every stack it belongs to (`validate`).
A problem every stack's view shares is reported once; one that only some views have
names the stack. Every error of every file is collected and raised at once as
`JobFileError`; warnings come back with the jobs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import pydantic
import yaml

from providers.jobfile import lineage, retirement, rules
from providers.jobfile.catalogue import Catalogue, load_catalogue, tool_catalogue
from providers.jobfile.fields import field_name
from providers.jobfile.problems import JobFileError, Problem, shared_once
from providers.jobfile.schema import JobFile as JobFileSchema
from providers.jobfile.schema import JobSpec, problem_from_pydantic

JOB_FILE_PATTERNS = ("*.yaml", "*.yml")
_STACK_KEYS = ("stacks", "overrides")


@dataclass(frozen=True)
class JobFile:
    """One valid job file, as one stack sees it."""

    path: str
    """The file as users name it: relative to the project root where possible."""
    spec: JobSpec
    """The job with the stack's overrides applied."""
    stack: str = ""
    """The stack whose view `spec` is; "" when the file was checked for no particular stack."""
    base_model: str | None = None
    """The base model whose rules the job follows: its own, or for a continuing job its first
    source's (`providers.jobfile.lineage`); None when not known before Vertex reads the source."""


@dataclass(frozen=True)
class LoadedJobs:
    jobs: list[JobFile]
    """The valid job files, as the stack (or each stack) sees them."""
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    """Only when loaded with `strict=False`: the files with errors are not in `jobs`."""
    catalogue: Catalogue = field(default_factory=tool_catalogue)
    """The models the jobs were checked against, with the file each row came from."""


def parse_job(data: Any, file: str, catalogue: Catalogue | None = None) -> JobSpec:
    """Validates one job (without `stacks:`/`overrides:`) against `catalogue` (default: the
    tool's); raises JobFileError naming every error."""
    spec, problems = _job_view(data, file, _Checks(catalogue or tool_catalogue(), retirement.today()))
    errors = [p for p in problems if p.is_error]
    if errors:
        raise JobFileError(errors)
    return spec


def load_jobs(jobs_dir: Path, root: Path | None = None, *, stack: str = "",
              known_stacks: Iterable[str] = (), strict: bool = True, default_region: str = "") -> LoadedJobs:
    """The jobs of `jobs_dir` for `stack` (every stack when ""), sorted by file name.

    `known_stacks` are the stacks that exist (a `Pulumi.NAME.yaml` each): an override for
    another stack is a warning, and a file that names no stacks is checked for each of them.
    `default_region`: the stack's gcp:region, where jobs without regions run ("" if not
    known). Raises JobFileError listing every error; with `strict=False`, returns them in
    `errors` beside the valid files instead.
    """
    root = (root or Path.cwd()).resolve()
    if not jobs_dir.is_dir():
        raise JobFileError([Problem(str(jobs_dir), "", "the jobs folder does not exist")])
    known = sorted(set(known_stacks))
    catalogue = load_catalogue(root)
    checks = _Checks(catalogue, retirement.today())
    loaded: list[JobFile] = []
    problems: list[Problem] = list(catalogue.problems)
    first_file_of: dict[str, str] = {}
    data_of: dict[str, Any] = {}
    broken_names: dict[str, str] = {}
    """Names of jobs whose files have problems, with their file."""
    for path in job_file_paths(jobs_dir):
        shown = shown_path(path, root)
        data = None
        try:
            data = _read(path, shown)
            views, file_problems = _stack_views(data, shown, stack, known, checks)
        except JobFileError as exc:
            problems.extend(exc.problems)
            _note_broken(broken_names, data, shown)
            continue
        problems.extend(file_problems)
        parsed = {view_stack: spec for view_stack, spec in views.items() if spec is not None}
        if not parsed:
            if any(p.is_error for p in file_problems):
                _note_broken(broken_names, data, shown)
            continue
        name = next(iter(parsed.values())).name
        if name in first_file_of:
            problems.append(Problem(
                shown, "name",
                f"{name!r} is already the name of {first_file_of[name]}; job names are unique",
            ))
            continue
        first_file_of[name] = shown
        data_of[shown] = data
        # Files with problems too: a continuing job's problems depend on its source's file.
        loaded.extend(JobFile(shown, spec, view_stack, spec.base_model) for view_stack, spec in parsed.items())
    broken_files = {p.file for p in problems if p.is_error}
    loaded, lineage_problems = _with_lineage(loaded, data_of, broken_names, broken_files, checks, default_region,
                                             name_stack=not stack)
    problems.extend(lineage_problems)
    errors = [p for p in problems if p.is_error]
    if errors and strict:
        raise JobFileError(errors)
    broken = {p.file for p in errors}
    return LoadedJobs([job for job in loaded if job.path not in broken],
                      [p for p in problems if not p.is_error], errors, catalogue)


def _note_broken(broken_names: dict[str, str], data: Any, file: str) -> None:
    name = data.get("name") if isinstance(data, dict) else None
    if isinstance(name, str):
        broken_names.setdefault(name, file)


def _with_lineage(loaded: list[JobFile], data_of: dict[str, Any], broken_names: dict[str, str],
                  broken_files: set[str], checks: _Checks, default_region: str,
                  *, name_stack: bool) -> tuple[list[JobFile], list[Problem]]:
    """Each stack's jobs with the base model they follow (`lineage`), and what is wrong with
    where continuing jobs continue from, their model's rules included; a job whose source
    has problems has them too (nothing of a chain is submitted until it is whole)."""
    by_stack: dict[str, dict[str, JobFile]] = {}
    for job in loaded:
        by_stack.setdefault(job.stack, {})[job.spec.name] = job
    found: dict[str, dict[str, list[Problem]]] = {}
    resolved: list[JobFile] = []
    for view_stack, own in by_stack.items():
        # A job checked for no particular stack ("": no stack exists yet) is in every stack.
        jobs = {**(by_stack.get("", {}) if view_stack else {}), **own}
        others = {name: f"is not a job of this stack (its file, {file}, belongs to other stacks)"
                  for other_stack, other_jobs in by_stack.items() if other_stack != view_stack
                  for name, file in ((n, j.path) for n, j in other_jobs.items()) if name not in jobs}
        elsewhere = {**others, **{name: f"has problems (see {file}); nothing of a chain of continued jobs is "
                                        "submitted until they are fixed" for name, file in broken_names.items()}}
        tree = lineage.resolve({name: job.spec for name, job in jobs.items()},
                               {name: job.path for name, job in jobs.items()}, default_region, elsewhere)
        for name, job in own.items():
            findings = list(tree.findings.get(name, []))
            if job.spec.continue_from is not None:
                findings += rules.model_findings(job.spec, tree.base_models[name], checks.catalogue, checks.today)
            found.setdefault(job.path, {})[view_stack] = [
                _in_view(Problem(job.path, path, message, severity), data_of[job.path], view_stack, name_stack)
                for path, message, severity in findings]
            resolved.append(replace(job, base_model=tree.base_models[name]))
    # A job whose source is broken is broken too, down the chain.
    broken = {(job.stack, job.spec.name): job.path for job in resolved
              if job.path in broken_files or any(p.is_error for p in found[job.path][job.stack])}
    changed = True
    while changed:
        changed = False
        for job in resolved:
            source = lineage.source_of(job.spec)
            source_file = broken.get((job.stack, source)) or broken.get(("", source))
            if source is None or (job.stack, job.spec.name) in broken or source_file is None:
                continue
            broken[(job.stack, job.spec.name)] = job.path
            found[job.path][job.stack].append(_in_view(Problem(
                job.path, field_name(JobSpec, "continue_from", "job"),
                f"{source!r} has problems (see {source_file}); nothing of a chain of continued "
                "jobs is submitted until they are fixed"), data_of[job.path], job.stack, name_stack))
            changed = True
    return resolved, [p for views in found.values() for p in shared_once(views)]


def load_job_file(path: Path, display_name: str | None = None, catalogue: Catalogue | None = None) -> JobSpec:
    """Reads and validates one job file as every stack shares it (no overrides applied)."""
    file = display_name or str(path)
    data = _read(path, file)
    _declared(data, file)
    return parse_job(effective_job(data, ""), file, catalogue)


def job_file_paths(jobs_dir: Path) -> list[Path]:
    return sorted({p for pattern in JOB_FILE_PATTERNS for p in jobs_dir.glob(pattern)})


def shown_path(path: Path, root: Path) -> str:
    """The path as users name it: relative to the project root where possible."""
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


def effective_job(data: dict, stack: str) -> dict:
    """The job `stack` sees: the file's job with `overrides.<stack>` merged in.

    Mappings (hyperParameters, serving, labels, encryptionSpec) merge key by key; lists and
    values replace the job's.
    """
    job = {key: value for key, value in data.items() if key not in _STACK_KEYS}
    override = (data.get("overrides") or {}).get(stack) or {}
    return _merged(job, override)


def _read(path: Path, file: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise JobFileError([Problem(file, "", f"cannot read the file: {exc}")]) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise JobFileError([Problem(file, "", _yaml_message(exc))]) from None


@dataclass(frozen=True)
class _Checks:
    """What the rules check a job against: the catalogue, as of a day."""

    catalogue: Catalogue
    today: date


def _stack_views(data: Any, file: str, stack: str, known: list[str],
                 checks: _Checks) -> tuple[dict[str, JobSpec], list[Problem]]:
    """Each stack's view of the file's job (`stack` alone, or every stack it belongs to)."""
    declared = _declared(data, file)
    problems = _stack_list_problems(declared, file, known)
    if stack:
        if declared.stacks is not None and stack not in declared.stacks:
            return {}, problems
        targets = [stack]
    elif declared.stacks:
        targets = declared.stacks
    else:
        # Every stack: the ones there are, the ones with overrides, and, while no stack
        # exists yet, any stack at all ("").
        targets = sorted(set(known) | set(declared.overrides or {})) + ([] if known else [""])
    views, view_problems = {}, {}
    for target in targets:
        views[target], view_problems[target] = _job_view(effective_job(data, target), file, checks, data,
                                                         target, name_stack=not stack)
    problems.extend(shared_once(view_problems))
    return views, problems


def _declared(data: Any, file: str) -> JobFileSchema:
    """The file's shape checked: the job, `stacks:` and every `overrides.<stack>`."""
    _require_mapping(data, file)
    try:
        return JobFileSchema.model_validate(data)
    except pydantic.ValidationError as exc:
        raise JobFileError(_shape_problems(file, data, exc)) from None


def _shape_problems(file: str, job: dict, exc: pydantic.ValidationError) -> list[Problem]:
    """Pydantic's errors, and what `rules.check` would say of a job with neither a base model
    nor a model to continue, since it cannot run on a job that does not parse."""
    unsourced = [] if {rules.BASE_MODEL, rules.CONTINUE_FROM} & job.keys() else [rules.SOURCE_MISSING]
    return [*(Problem(file, path, message) for path, message, _ in unsourced),
            *(problem_from_pydantic(file, error) for error in exc.errors())]


def _require_mapping(data: Any, file: str) -> None:
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise JobFileError([Problem(file, "", f"the file is {kind}; a job file is a mapping of job fields")])


def _job_view(job: Any, file: str, checks: _Checks, data: dict | None = None, stack: str = "",
              name_stack: bool = False) -> tuple[JobSpec | None, list[Problem]]:
    """One stack's job, validated; field paths point into `overrides.<stack>` where it sets them,
    and with `name_stack` each problem names the stack (when several stacks are checked)."""
    _require_mapping(job, file)
    try:
        spec = JobSpec.model_validate(job)
    except pydantic.ValidationError as exc:
        return None, [_in_view(problem, data, stack, name_stack) for problem in _shape_problems(file, job, exc)]
    return spec, [_in_view(Problem(file, path, message, severity), data, stack, name_stack)
                  for path, message, severity in rules.check(spec, checks.catalogue, checks.today)]


def _in_view(problem: Problem, data: dict | None, stack: str, name_stack: bool) -> Problem:
    top = problem.field.split(".", 1)[0]
    override = ((data or {}).get("overrides") or {}).get(stack) or {}
    if stack and top in override:
        problem = Problem(problem.file, f"overrides.{stack}.{problem.field}", problem.message, problem.severity)
    return problem.in_stack(stack) if stack and name_stack else problem


def _stack_list_problems(declared: JobFileSchema, file: str, known: list[str]) -> list[Problem]:
    problems = []
    if declared.stacks is not None and len(set(declared.stacks)) != len(declared.stacks):
        problems.append(Problem(file, "stacks", "a stack is listed twice"))
    for stack in sorted(declared.overrides or {}):
        if declared.stacks is not None and stack not in declared.stacks:
            problems.append(Problem(file, f"overrides.{stack}",
                                    f"the job does not belong to stack {stack!r} (see stacks:), "
                                    "so this override never applies", "warning"))
        elif known and stack not in known:
            problems.append(Problem(file, f"overrides.{stack}",
                                    f"there is no stack {stack!r} (no Pulumi.{stack}.yaml)", "warning"))
    for stack in declared.stacks or ():
        if known and stack not in known:
            problems.append(Problem(file, "stacks",
                                    f"there is no stack {stack!r} (no Pulumi.{stack}.yaml) yet", "warning"))
    return problems


def _merged(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _yaml_message(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    return f"{where}not valid YAML: {problem}"
