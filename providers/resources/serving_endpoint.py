"""The serving-endpoint dynamic provider: a Vertex endpoint per job and region that outlives jobs.

Applications call the serving endpoint; its name never changes. It serves the tuned model
of the job's newest version once that version has succeeded:
- while a replacement job trains, traffic stays on the model it already serves;
- a new model gets all traffic at once, or `canaryPercent` first (changing it moves the
  share) and the rest once the job file drops `canaryPercent` (promotion); only then is
  the old model undeployed;
- deleting the job undeploys and deletes the endpoint, unless its policy is `retain`.

Every call does a bounded amount of work (see `providers.operations`): an operation
still running at the deadline is recorded in `pending_operation` and finished by the
next `pulumi up`.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from providers.gcp import errors
from providers.gcp.identity import serving_labels
from providers.gcp.operations import OperationFailed, deadline_after, finished
from providers.gcp.vertex import EndpointView, VertexClient
from providers.resources.endpoints import empty_and_delete_endpoint
from providers.resources.traffic import Deploy, SetTraffic, next_step

OBSERVED_KEYS = ("endpoint_name", "status", "serving_model", "traffic_split",
                 "deployed_models", "pending_operation", "error")
# A plan needs at most: deploy, undeploy idle models, promote. More means Vertex keeps
# answering differently from what was asked; stop rather than loop.
_MAX_STEPS_PER_CALL = 6
# Inputs whose change needs a new endpoint; the others are applied to the existing one.
REPLACE_KEYS = ("project", "region")
UPDATE_KEYS = ("tuned_model", "canary_percent", "deletion_policy")

WAITING_FOR_TUNING = "WAITING_FOR_TUNING"
UPDATING = "UPDATING"
CANARY = "CANARY"
SERVING = "SERVING"


class ServingEndpointProvider(ResourceProvider):
    """Dynamic provider for `ServingEndpoint`; see the module docstring."""

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in REPLACE_KEYS if olds.get(key) != news.get(key)]
        if replaces:
            return DiffResult(changes=True, replaces=replaces, stables=[])
        changed = any(olds.get(key) != news.get(key) for key in UPDATE_KEYS)
        deployed = olds.get("deployed_models") or {}
        by_model = olds.get("traffic_split") or {}
        unfinished = bool(olds.get("pending_operation")) or next_step(
            deployed, {i: by_model.get(m, 0) for i, m in deployed.items()},
            news.get("tuned_model") or "", int(news.get("canary_percent") or 0),
        ) is not None
        return DiffResult(changes=changed or unfinished, replaces=[], stables=[])

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = _reconcile(props, {})
        return CreateResult(f"{props['stack']}/{props['job_name']}/{props['region']}/serving",
                            {**props, **outs})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({**news, **_reconcile(news, olds)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        name = props.get("endpoint_name")
        if not name:
            return ReadResult(id_, props)
        vertex = _client(props)
        try:
            endpoint = vertex.get_endpoint(name)
        except errors.NotFoundError:
            return ReadResult(None, {})
        return ReadResult(id_, {**props, **_observed(endpoint, props, props.get("pending_operation", ""))})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        if props.get("deletion_policy") == "retain":
            return
        vertex = _client(props)
        # No recorded name: its creation was still running; it may exist by now.
        endpoint = _existing_endpoint(vertex, props, props)
        if endpoint is None:
            return
        if not empty_and_delete_endpoint(vertex, endpoint.name, deadline_after()):
            raise errors.TransientError(
                f"{endpoint.name} is still being emptied; run `pulumi up` again to finish"
            )


class ServingEndpoint(Resource, module="gemini-tuning", name="ServingEndpoint"):
    """The serving endpoint of one job in one region."""

    endpoint_name: pulumi.Output[str]
    status: pulumi.Output[str]
    error: pulumi.Output[str]
    serving_model: pulumi.Output[str]
    traffic_split: pulumi.Output[dict]

    def __init__(self, resource_name: str, *, job_file: str, job_name: str, display_name: str,
                 canary_percent: int, deletion_policy: str, tuned_model: pulumi.Input[str],
                 project: str, region: str, pulumi_project: str, stack: str,
                 opts: pulumi.ResourceOptions | None = None):
        props = {
            "job_file": job_file, "job_name": job_name, "display_name": display_name,
            "canary_percent": canary_percent, "deletion_policy": deletion_policy,
            "tuned_model": tuned_model, "project": project, "region": region,
            "pulumi_project": pulumi_project, "stack": stack,
            **{key: None for key in OBSERVED_KEYS},
        }
        super().__init__(ServingEndpointProvider(), resource_name, props, opts)


def _client(props: dict[str, Any]) -> VertexClient:
    return VertexClient(props["project"], props["region"])


def _labels(props: dict[str, Any]) -> dict[str, str]:
    return serving_labels(props["pulumi_project"], props["stack"], props["job_name"])


def _reconcile(props: dict[str, Any], olds: dict[str, Any]) -> dict[str, Any]:
    """Moves the endpoint toward what `props` asks for, within one call's time budget."""
    deadline = deadline_after()
    error = ""
    recorded = {key: olds.get(key) for key in OBSERVED_KEYS}
    vertex = _client(props)
    pending = olds.get("pending_operation")
    if pending:
        try:
            if not finished(vertex, pending, deadline):
                return recorded
        except (OperationFailed, errors.NotFoundError) as exc:
            # Report it and carry on from what the endpoint is now, or we never could.
            error = str(exc)
    endpoint = _existing_endpoint(vertex, props, olds)
    if endpoint is None:
        operation = vertex.create_endpoint(props["display_name"], _labels(props))
        if not finished(vertex, operation, deadline):
            return {**recorded, "status": UPDATING, "pending_operation": operation}
        endpoint = _existing_endpoint(vertex, props, {})
        if endpoint is None:  # created, but not listed yet: the next run finds it
            return {**recorded, "status": UPDATING, "pending_operation": "", "error": error}
    for _ in range(_MAX_STEPS_PER_CALL):
        step = next_step(endpoint.deployed_models, endpoint.traffic_split,
                         props.get("tuned_model") or "", int(props.get("canary_percent") or 0))
        if step is None:
            break
        if isinstance(step, SetTraffic):
            endpoint = vertex.set_traffic_split(endpoint.name, step.traffic_split)
            continue
        if isinstance(step, Deploy):
            operation = vertex.deploy_model(endpoint.name, step.model, props["display_name"],
                                            step.traffic_split)
        else:
            operation = vertex.undeploy_model(endpoint.name, step.deployed_model_id,
                                              step.traffic_split)
        done = finished(vertex, operation, deadline)
        endpoint = vertex.get_endpoint(endpoint.name)
        if not done:
            return _observed(endpoint, props, operation, error)
    return _observed(endpoint, props, "", error)


def _existing_endpoint(vertex: VertexClient, props: dict[str, Any],
                       olds: dict[str, Any]) -> EndpointView | None:
    if olds.get("endpoint_name"):
        try:
            return vertex.get_endpoint(olds["endpoint_name"])
        except errors.NotFoundError:
            pass
    # Created by a run that died before recording it, or not created yet.
    found = vertex.find_endpoints(_labels(props))
    return found[0] if found else None


def _observed(endpoint: EndpointView, props: dict[str, Any], pending: str,
              error: str = "") -> dict[str, Any]:
    by_model = {endpoint.deployed_models[i]: share for i, share in endpoint.traffic_split.items()
                if i in endpoint.deployed_models}
    desired = props.get("tuned_model") or ""
    serving_model = max(by_model, key=by_model.get) if by_model else ""
    share = by_model.get(desired, 0)
    if pending:
        status = UPDATING
    elif not desired or desired not in by_model:
        status = WAITING_FOR_TUNING
    else:
        status = SERVING if share == 100 else CANARY if share else UPDATING
    return {
        "endpoint_name": endpoint.name,
        "status": status,
        "serving_model": serving_model,
        "traffic_split": by_model,
        "deployed_models": dict(endpoint.deployed_models),
        "pending_operation": pending,
        "error": error,
    }
