"""Continuing jobs: where each job's tuning starts, across the job files one stack runs.

A job with `continueFrom: {job: NAME}` continues tuning the tuned model of another job of
the same stack, in the same region, once that job has succeeded; `continueFrom: {model:
projects/P/locations/L/models/M@V}` continues a tuned model named outright. Such a job has
no `baseModel`: it follows the rules of the base model its chain of sources started from,
which only the other files tell. `resolve` works that out for one stack's jobs:
- the base model whose rules each job follows: its own, its first source's, or None when
  the chain starts from a `continueFrom.model` (Vertex AI knows it; the tool does not
  before Vertex reads the model);
- an order in which every job comes after the job it continues (the program declares
  them so, and the engine then orders their resources);
- what Vertex AI would refuse, named on the field: a source that is not a job of this
  stack, a cycle, a region where the source has no tuned model, and another
  customer-managed key than the source's (Vertex requires the one its tuning job used).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from providers.jobfile.fields import field_name
from providers.jobfile.problems import Severity
from providers.jobfile.rules import REGION_PLACEHOLDER, key_for_region
from providers.jobfile.schema import JobSpec

Finding = tuple[str, str, Severity]
_MODEL_LOCATION = re.compile(r"^projects/[^/]+/locations/(?P<location>[^/]+)/models/")

_JOB = field_name(JobSpec, "continue_from", "job")
_MODEL = field_name(JobSpec, "continue_from", "model")
_REGIONS = field_name(JobSpec, "regions")
_KEY = field_name(JobSpec, "encryption_spec", "kms_key_name")


@dataclass(frozen=True)
class Lineage:
    """One stack's jobs, each with where its tuning starts."""

    base_models: Mapping[str, str | None]
    """Per job: the base model whose rules it follows; None when not known offline."""
    order: tuple[str, ...]
    """Every job, each after the job it continues from."""
    findings: Mapping[str, list[Finding]] = field(default_factory=dict)
    """Per job: what is wrong with where it continues from."""


def resolve(specs: Mapping[str, JobSpec], files: Mapping[str, str], default_region: str = "",
            elsewhere: Mapping[str, str] = {}) -> Lineage:
    """The lineage of `specs` (one stack's jobs by name, `files` their job files).

    `default_region`: the stack's gcp:region, where jobs without `regions` run ("" when
    not known: regions are then compared only where both jobs name them). `elsewhere`: job
    names this stack does not run, with why (a file with problems, another stack's job),
    for messages.
    """
    findings: dict[str, list[Finding]] = {}
    base_models: dict[str, str | None] = {}
    for name, spec in specs.items():
        chain = [name]
        current = spec
        while current.continue_from is not None and current.continue_from.job is not None:
            source = current.continue_from.job
            if source in chain:
                if name in chain[chain.index(source):]:
                    cycle = " → ".join([*chain[chain.index(source):], source])
                    findings.setdefault(name, []).append((
                        _JOB, f"a cycle: {cycle}. A chain of continued jobs starts from a job with a baseModel",
                        "error"))
                current = None
                break
            if source not in specs:
                if current is spec:
                    findings.setdefault(name, []).append((_JOB, _missing(source, specs, elsewhere), "error"))
                current = None
                break
            chain.append(source)
            current = specs[source]
        base_models[name] = current.base_model if current is not None and current.continue_from is None else None
        if name not in findings:
            findings.setdefault(name, []).extend(_source_findings(spec, specs, files, default_region))
    return Lineage(base_models, in_order(specs), {name: found for name, found in findings.items() if found})


def source_of(spec: JobSpec) -> str | None:
    """The job `spec` continues, if it continues one of this stack's jobs."""
    return spec.continue_from.job if spec.continue_from is not None else None


def _missing(source: str, specs: Mapping[str, JobSpec], elsewhere: Mapping[str, str]) -> str:
    if source in elsewhere:
        return f"{source!r} {elsewhere[source]}"
    known = ", ".join(sorted(specs)) or "none"
    return f"{source!r} is not a job of this stack; a job continues the tuned model of one of its jobs: {known}"


def _source_findings(spec: JobSpec, specs: Mapping[str, JobSpec], files: Mapping[str, str],
                     default_region: str) -> list[Finding]:
    """Regions and keys: a continuing job runs where its source's tuned model is, with its key."""
    source = spec.continue_from
    if source is None or (source.job is None and source.model is None):
        return []  # said by rules.job_findings
    mine = _regions_of(spec, default_region)
    if source.model is not None:
        location = _MODEL_LOCATION.match(source.model)
        away = [region for region in mine or () if location and region != location["location"]]
        if away:
            return [(_MODEL, f"the model is in {location['location']}, but the job runs in {', '.join(away)}: a "
                             f"continuing job runs in its source model's region, where Vertex AI keeps it", "error")]
        return []
    theirs = _regions_of(specs[source.job], default_region)
    found: list[Finding] = []
    if mine is not None and theirs is not None and (away := [r for r in mine if r not in theirs]):
        found.append((_REGIONS if spec.regions else _JOB,
                      f"{source.job} ({files[source.job]}) tunes in {', '.join(theirs)} only, so there is no tuned "
                      f"model of it to continue in {', '.join(away)}: a continuing job runs in its source's regions",
                      "error"))
    found.extend(_key_findings(spec, specs[source.job], files[source.job], mine))
    return found


def _key_findings(spec: JobSpec, source: JobSpec, source_file: str, regions: list[str] | None) -> list[Finding]:
    mine = spec.encryption_spec.kms_key_name if spec.encryption_spec else ""
    theirs = source.encryption_spec.kms_key_name if source.encryption_spec else ""
    if regions is None:
        if REGION_PLACEHOLDER in mine + theirs:
            return []  # the keys' regions are known once the stack's region is
        regions = [""]
    for region in regions:
        own, its = key_for_region(mine, region), key_for_region(theirs, region)
        if own != its:
            return [(_KEY if mine else field_name(JobSpec, "encryption_spec"),
                     f"Vertex AI continues a tuned model only with the customer-managed key its tuning job used: "
                     f"{source.name} ({source_file}) uses {its or 'none (Google-managed encryption)'}, this job "
                     f"{own or 'none'}", "error")]
    return []


def _regions_of(spec: JobSpec, default_region: str) -> list[str] | None:
    return spec.regions or ([default_region] if default_region else None)


def in_order(specs: Mapping[str, JobSpec]) -> tuple[str, ...]:
    """Every job after the one it continues; jobs in a cycle or with a missing source last."""
    ordered: list[str] = []
    placed: set[str] = set()
    waiting = sorted(specs)
    while waiting:
        ready = [name for name in waiting if source_of(specs[name]) in (None, *placed)
                 or source_of(specs[name]) not in specs]
        if not ready:
            ordered += waiting  # a cycle: reported above
            break
        for name in ready:
            ordered.append(name)
            placed.add(name)
        waiting = [name for name in waiting if name not in placed]
    return tuple(ordered)
