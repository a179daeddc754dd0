"""Who a Vertex resource belongs to: the resource's stable key and the labels that carry it.

Every tuning job and endpoint the tool creates carries its stack's own random id
(`gemini-tuning:stackId`) besides the Pulumi project, stack and job names. Lookups by
labels always include the id, so a `pulumi up` that died after submitting finds and
adopts its job instead of paying for a second one, and no other stack (another checkout,
a fork, a backend with the same stack names) ever adopts, cancels or deletes it.
Resources made before stacks had ids carry no id label: the state tracks them by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from providers.jobfile import labels


@dataclass(frozen=True)
class Owner:
    """The stack that owns a resource."""

    pulumi_project: str
    stack: str
    stack_id: str
    """"" for resources recorded before stacks had ids: they are found by name only."""

    @property
    def labels(self) -> dict[str, str]:
        """What every resource of this stack carries, and every lookup asks for."""
        owned = {labels.MANAGED_BY: labels.label_value(self.pulumi_project),
                 labels.STACK: labels.label_value(self.stack)}
        if self.stack_id:
            owned[labels.STACK_ID] = self.stack_id
        return owned

    def of_job(self, job_name: str) -> dict[str, str]:
        """The labels of everything one job of this stack creates."""
        return {**self.labels, labels.JOB: labels.label_value(job_name)}


def tuning_job_labels(owner: Owner, job_name: str, spec_hash: str) -> dict[str, str]:
    """A tuning job's labels: its owner, its job and the hash of its essence."""
    return {**owner.of_job(job_name), labels.SPEC: spec_hash}


def serving_labels(owner: Owner, job_name: str) -> dict[str, str]:
    """A serving endpoint's labels: its owner, and a role that tells it from tuned-model endpoints."""
    return {**owner.of_job(job_name), labels.ROLE: "serving"}


def is_serving_endpoint(endpoint_labels: dict[str, str]) -> bool:
    return endpoint_labels.get(labels.ROLE) == "serving"


def spec_of(resource_labels: dict[str, str]) -> str:
    """The essence hash a tuning job (or the tuned-model endpoint Vertex made for it) was submitted with."""
    return resource_labels.get(labels.SPEC, "")


def stable_key(stack: str, job_name: str, region: str, spec_hash: str) -> str:
    """The Pulumi resource id: the same inputs always give the same key."""
    return f"{stack}/{job_name}/{region}/{spec_hash}"
