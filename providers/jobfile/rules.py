"""Rules a job must meet beyond its shape: per-model limits, regions and labels.

`check` returns (field path, message) pairs; an empty list means the job is valid.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from providers.jobfile.catalogue import MODELS, TUNING_REGIONS
from providers.jobfile.labels import label_problems

if TYPE_CHECKING:
    from providers.jobfile.schema import JobSpec


def check(spec: JobSpec) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    model = MODELS.get(spec.base_model)
    if model is None:
        problems.append(("baseModel", not_allowed(spec.base_model, MODELS, "base model")))
    else:
        size = spec.hyper_parameters.adapter_size
        if size is not None and size not in model.adapter_sizes:
            allowed = ", ".join(map(str, model.adapter_sizes)) or "none (leave it unset)"
            problems.append((
                "hyperParameters.adapterSize",
                f"{size} is not supported for {spec.base_model}; allowed: {allowed}",
            ))
    for index, region in enumerate(spec.regions or ()):
        if region not in TUNING_REGIONS:
            problems.append((f"regions.{index}", not_allowed(region, TUNING_REGIONS, "tuning region")))
        elif spec.regions.index(region) != index:
            problems.append((f"regions.{index}", f"{region!r} is listed twice"))
    problems.extend(label_problems(spec.labels))
    return problems


def not_allowed(value: str, allowed, what: str) -> str:
    choices = sorted(allowed)
    close = difflib.get_close_matches(value, choices, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"{value!r} is not a supported {what}.{hint} Allowed: {', '.join(choices)}"
