"""Who a Vertex resource belongs to: the resource's stable key and the labels that carry it.

Submission puts these labels on every tuning job and endpoint the tool creates, so a
`pulumi up` that died after submitting finds and adopts its job instead of paying for a
second one, and no other stack mistakes it for its own.
"""

from __future__ import annotations

from providers.jobfile import labels


def owner_labels(pulumi_project: str, stack: str, job_name: str) -> dict[str, str]:
    """The labels naming which project, stack and job a Vertex resource belongs to."""
    return {
        labels.MANAGED_BY: labels.label_value(pulumi_project),
        labels.STACK: labels.label_value(stack),
        labels.JOB: labels.label_value(job_name),
    }


def tuning_job_labels(pulumi_project: str, stack: str, job_name: str, spec_hash: str) -> dict[str, str]:
    """A tuning job's labels: its owner and the hash of its essence."""
    return {**owner_labels(pulumi_project, stack, job_name), labels.SPEC: spec_hash}


def serving_labels(pulumi_project: str, stack: str, job_name: str) -> dict[str, str]:
    """A serving endpoint's labels: its owner, and a role that tells it from tuned-model endpoints."""
    return {**owner_labels(pulumi_project, stack, job_name), labels.ROLE: "serving"}


def stable_key(stack: str, job_name: str, region: str, spec_hash: str) -> str:
    """The Pulumi resource id: the same inputs always give the same key."""
    return f"{stack}/{job_name}/{region}/{spec_hash}"
