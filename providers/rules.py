"""Rules a job must meet beyond its shape: per-model limits, regions and labels.

`check` returns (field path, message) pairs; an empty list means the job is valid.
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING

from providers.models import MODELS, TUNING_REGIONS
from providers.identity import MANAGED_LABEL_PREFIX, MANAGED_LABEL_COUNT

if TYPE_CHECKING:
    from providers.spec import JobSpec

# Vertex allows 64 labels of at most 64 characters; GCP's general rule says 63.
MAX_LABELS = 64
LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")


def check(spec: JobSpec) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    model = MODELS.get(spec.base_model)
    if model is None:
        problems.append(("baseModel", _not_allowed(spec.base_model, MODELS, "base model")))
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
            problems.append((f"regions.{index}", _not_allowed(region, TUNING_REGIONS, "tuning region")))
        elif spec.regions.index(region) != index:
            problems.append((f"regions.{index}", f"{region!r} is listed twice"))
    problems.extend(_label_problems(spec.labels))
    return problems


def _label_problems(labels: dict[str, str]) -> list[tuple[str, str]]:
    problems = []
    room = MAX_LABELS - MANAGED_LABEL_COUNT
    if len(labels) > room:
        problems.append(("labels", f"{len(labels)} labels; at most {room} fit beside the tool's own"))
    for key, value in labels.items():
        if key.startswith(MANAGED_LABEL_PREFIX):
            problems.append((f"labels.{key}", f"keys starting with '{MANAGED_LABEL_PREFIX}' are reserved for this tool"))
        elif not LABEL_KEY.match(key):
            problems.append((
                f"labels.{key}",
                "a label key is 1-63 lowercase letters, digits, '_' or '-', starting with a letter",
            ))
        if not LABEL_VALUE.match(value):
            problems.append((
                f"labels.{key}",
                f"{value!r}: a label value is at most 63 lowercase letters, digits, '_' or '-'",
            ))
    return problems


def _not_allowed(value: str, allowed, what: str) -> str:
    choices = sorted(allowed)
    close = difflib.get_close_matches(value, choices, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"{value!r} is not a supported {what}.{hint} Allowed: {', '.join(choices)}"
