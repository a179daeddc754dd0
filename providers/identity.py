"""Who a Vertex tuning job belongs to: the resource's stable key and the labels that carry it.

Submission puts these labels on the job, so a `pulumi up` that died after submitting
finds and adopts its job instead of paying for a second one.
"""

from __future__ import annotations

import hashlib
import re

MANAGED_LABEL_PREFIX = "gt-"
MANAGED_LABEL_COUNT = 4


def label_value(text: str) -> str:
    """Folds any text into a valid label value (lowercase, [a-z0-9_-], at most 63).

    Text that had to change gets a short hash of the original, so `Dev` and `dev`, or
    `prod.eu` and `prod-eu`, never share labels (and so never adopt each other's jobs).
    """
    folded = re.sub(r"[^a-z0-9_-]", "-", text.lower())
    if folded == text and len(text) <= 63:
        return text
    return f"{folded[:54]}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def owner_labels(pulumi_project: str, stack: str, job_name: str) -> dict[str, str]:
    """The labels naming which project, stack and job a Vertex resource belongs to."""
    return {
        f"{MANAGED_LABEL_PREFIX}managed-by": label_value(pulumi_project),
        f"{MANAGED_LABEL_PREFIX}stack": label_value(stack),
        f"{MANAGED_LABEL_PREFIX}job": label_value(job_name),
    }


def managed_labels(pulumi_project: str, stack: str, job_name: str, spec_hash: str) -> dict[str, str]:
    """A tuning job's labels: its owner and the hash of its essence."""
    return {**owner_labels(pulumi_project, stack, job_name), f"{MANAGED_LABEL_PREFIX}spec": spec_hash}


def serving_labels(pulumi_project: str, stack: str, job_name: str) -> dict[str, str]:
    """A serving endpoint's labels: its owner, and a role that tells it from tuned-model endpoints."""
    return {**owner_labels(pulumi_project, stack, job_name), f"{MANAGED_LABEL_PREFIX}role": "serving"}


def stable_key(stack: str, job_name: str, region: str, spec_hash: str) -> str:
    """The Pulumi resource id: the same inputs always give the same key."""
    return f"{stack}/{job_name}/{region}/{spec_hash}"
