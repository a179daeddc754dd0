"""Rules a job must meet beyond its shape: per-model limits, regions, keys and labels.

`check` returns (field path, message, severity) findings; a job is valid when none of
them is an error. Retired base models are warnings: stacks made by earlier releases hold
jobs on them, and Vertex AI, not this tool, decides whether it still takes new ones.
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING

from providers.jobfile.catalogue import MODELS, TUNING_REGIONS
from providers.jobfile.labels import label_problems
from providers.jobfile.problems import Severity

if TYPE_CHECKING:
    from providers.jobfile.schema import JobSpec

Finding = tuple[str, str, Severity]
REGION_PLACEHOLDER = "{region}"
_KEY_LOCATION = re.compile(r"/locations/([^/]+)/")


def check(spec: JobSpec) -> list[Finding]:
    findings: list[Finding] = []
    model = MODELS.get(spec.base_model)
    if model is None:
        findings.append(("baseModel", unknown_model(spec.base_model), "error"))
    else:
        if model.retired:
            findings.append((
                "baseModel",
                f"{spec.base_model} was {model.retired}; Vertex AI may refuse new jobs on it. "
                f"Move the job to {model.successor}.",
                "warning",
            ))
        size = spec.hyper_parameters.adapter_size
        if size is not None and size not in model.adapter_sizes:
            allowed = ", ".join(map(str, model.adapter_sizes)) or "none (leave it unset)"
            findings.append((
                "hyperParameters.adapterSize",
                f"{size} is not supported for {spec.base_model}; allowed: {allowed}",
                "error",
            ))
    for index, region in enumerate(spec.regions or ()):
        if region not in TUNING_REGIONS:
            findings.append((f"regions.{index}", not_allowed(region, TUNING_REGIONS, "tuning region"), "error"))
        elif spec.regions.index(region) != index:
            findings.append((f"regions.{index}", f"{region!r} is listed twice", "error"))
    findings.extend(key_region_problems(spec, spec.regions or []))
    findings.extend((field, message, "error") for field, message in label_problems(spec.labels))
    return findings


def key_for_region(kms_key_name: str, region: str) -> str:
    """The key a job uses in `region`: `{region}` in the key's location stands for it."""
    return kms_key_name.replace(REGION_PLACEHOLDER, region)


def unknown_model(name: str) -> str:
    current = [m for m, rules in MODELS.items() if not rules.retired]
    retired = [m for m, rules in MODELS.items() if rules.retired]
    close = difflib.get_close_matches(name, list(MODELS), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return (
        f"{name!r} is not a base model this tool knows.{hint} Known: {', '.join(current)} "
        f"(retired: {', '.join(retired)}). For a model Google added since this release, add its "
        "row to providers/jobfile/catalogue.py (see docs/architecture.md)."
    )


def not_allowed(value: str, allowed, what: str) -> str:
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
        "encryptionSpec.kmsKeyName",
        f"the key is in {location[1]}, but Vertex AI needs a key in the job's own region "
        f"({', '.join(others)}); for a job in several regions write locations/{REGION_PLACEHOLDER} "
        "and keep a key of that name in each region",
        "error",
    )]
