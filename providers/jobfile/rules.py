"""Rules a job must meet beyond its shape: its model's row, regions, keys and labels.

`check(spec, catalogue, today)` returns (field path, message, severity) findings; a job is
valid when none of them is an error. What a model accepts comes from its catalogue row
(`providers.jobfile.catalogue`): adapter sizes, tuning regions, customer-managed keys; a
figure the row leaves null is not checked (Vertex AI decides). A model near or past its
retirement is a warning (`providers.jobfile.retirement`): stacks hold jobs on retired
models, and only a new submission on one is refused, by the provider that submits it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from datetime import date

from providers.jobfile import retirement
from providers.jobfile.catalogue import REPOSITORY_FILE, Catalogue
from providers.jobfile.fields import field_name
from providers.jobfile.labels import label_problems
from providers.jobfile.problems import Severity
from providers.jobfile.schema import JobSpec

Finding = tuple[str, str, Severity]
REGION_PLACEHOLDER = "{region}"
_KEY_LOCATION = re.compile(r"/locations/([^/]+)/")


def check(spec: JobSpec, catalogue: Catalogue, today: date) -> list[Finding]:
    findings: list[Finding] = []
    model = catalogue.rules(spec.base_model)
    base_model = field_name(JobSpec, "base_model")
    if model is None:
        findings.append((base_model, unknown_model(spec.base_model, catalogue, today), "error"))
    else:
        if (note := retirement.warning(spec.base_model, model, today)) is not None:
            findings.append((base_model, note, "warning"))
        size = spec.hyper_parameters.adapter_size
        if size is not None and model.adapter_sizes is not None and size not in model.adapter_sizes:
            allowed = ", ".join(map(str, model.adapter_sizes)) or "none (leave it unset)"
            findings.append((
                field_name(JobSpec, "hyper_parameters", "adapter_size"),
                f"{size} is not supported for {_named(spec.base_model, catalogue)}; allowed: {allowed}",
                "error",
            ))
        if spec.encryption_spec is not None and model.cmek is False:
            findings.append((
                field_name(JobSpec, "encryption_spec"),
                f"{_named(spec.base_model, catalogue)} does not support customer-managed encryption keys "
                "(CMEK): remove encryptionSpec, or tune a model that supports them",
                "error",
            ))
    regions = field_name(JobSpec, "regions")
    for index, region in enumerate(spec.regions or ()):
        if spec.regions.index(region) != index:
            findings.append((f"{regions}.{index}", f"{region!r} is listed twice", "error"))
        elif (problem := region_problem(spec.base_model, region, catalogue)) is not None:
            findings.append((f"{regions}.{index}", problem, "error"))
    findings.extend(key_region_problems(spec, spec.regions or []))
    findings.extend((field, message, "error") for field, message in label_problems(spec.labels))
    return findings


def region_problem(model: str, region: str, catalogue: Catalogue) -> str | None:
    """Why `model` cannot tune in `region`; None if it can (or the model is unknown: said elsewhere)."""
    if catalogue.rules(model) is None:
        return None if region in catalogue.known_regions() else not_allowed(
            region, catalogue.known_regions(), "tuning region")
    allowed = catalogue.regions_of(model)
    if region in allowed:
        return None
    if catalogue.rules(model).tuning_regions is None:
        return not_allowed(region, allowed, "tuning region")
    return not_allowed(region, allowed, f"tuning region of {_named(model, catalogue)}")


def key_for_region(kms_key_name: str, region: str) -> str:
    """The key a job uses in `region`: `{region}` in the key's location stands for it."""
    return kms_key_name.replace(REGION_PLACEHOLDER, region)


def unknown_model(name: str, catalogue: Catalogue, today: date) -> str:
    current = [m for m, rules in catalogue.models.items() if not retirement.is_retired(rules, today)]
    retired = [m for m, rules in catalogue.models.items() if retirement.is_retired(rules, today)]
    close = catalogue.closest(name)
    hint = f" Did you mean {close!r}?" if close else ""
    return (
        f"{name!r} is not a base model this tool knows.{hint} Known: {', '.join(current)} "
        f"(retired: {', '.join(retired)}). For a model Google added since this release, add its "
        f"row to {REPOSITORY_FILE} at the repository's root (see the README, \"Models\")."
    )


def not_allowed(value: str, allowed: Iterable[str], what: str) -> str:
    choices = sorted(allowed)
    close = difflib.get_close_matches(value, choices, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"{value!r} is not a supported {what}.{hint} Allowed: {', '.join(choices)}"


def key_region_problems(spec: JobSpec, regions: list[str]) -> list[Finding]:
    """A customer-managed key must be in the job's region: one key name for each region it runs in."""
    if spec.encryption_spec is None or not regions:
        return []
    location = _KEY_LOCATION.search(spec.encryption_spec.kms_key_name)
    if location is None or location[1] == REGION_PLACEHOLDER:
        return []
    others = [region for region in regions if region != location[1]]
    if not others:
        return []
    return [(
        field_name(JobSpec, "encryption_spec", "kms_key_name"),
        f"the key is in {location[1]}, but Vertex AI needs a key in the job's own region "
        f"({', '.join(others)}); for a job in several regions write locations/{REGION_PLACEHOLDER} "
        "and keep a key of that name in each region",
        "error",
    )]


def _named(model: str, catalogue: Catalogue) -> str:
    """The model, and the repository's models.yaml when its row comes from there."""
    return f"{model} (row in {REPOSITORY_FILE})" if catalogue.origin(model) == REPOSITORY_FILE else model
