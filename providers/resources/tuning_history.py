"""The earlier versions of one job in one region: nothing of the stack's runs unseen.

A job file's job is replaced whenever its essence changes, and a run can die between
submitting and recording. So besides the job the state tracks, Vertex may hold versions
of the same job from earlier specs: jobs being cancelled, jobs that succeeded (even after
a cancel request: Vertex cancels on a best-effort basis), jobs a killed run submitted, and
the endpoints Vertex deployed their tuned models to. `TuningHistory` finds them by the
stack's labels (its id, and the job's name) and:
- cancels every earlier version that is still running, and says so;
- once the current version has succeeded, applies the job's `deletionPolicy` to the
  earlier versions' tuned-model endpoints (`delete`: emptied and deleted; `retain`: kept),
  so an endpoint applications call stays until its replacement serves;
- lists the earlier versions in the stack's outputs;
- when the job (or the region) is removed from its file, applies the policy to every
  version's tuned-model endpoint.
Only resources carrying the stack's id are ever touched: resources made before stacks
had ids are never found here, and stay as they are.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import ConfigureRequest, CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from providers.gcp import errors
from providers.gcp.budget import Budget
from providers.gcp.ownership import is_serving_endpoint, spec_of
from providers.gcp.names import same_resource
from providers.gcp.vertex import TERMINAL_STATES, EndpointView, StackListing, TuningJobView, VertexClient
from providers.resources import stack_config
from providers.resources.endpoints import empty_and_delete_endpoint
from providers.resources.reporting import ReportedError, problem_line
from providers.resources.tuning_job import CANCELLING, cancel

SUCCEEDED = "SUCCEEDED"
UPDATE_KEYS = ("deletion_policy", "current_spec")
"""Changes that call for an update; the current job's state only matters through `_work`."""
OBSERVED_KEYS = ("earlier_jobs", "retired_endpoints", "status_message", "failure", "current_serves")
"""`current_serves`: whether the current version's own endpoint (`current_endpoint` as recorded
then) was seen serving its model; None when not seen. Until it serves, no earlier endpoint
goes, so there is nothing to do."""


class TuningHistoryProvider(ResourceProvider):
    """Dynamic provider for `TuningHistory`; see the module docstring."""

    def configure(self, req: ConfigureRequest) -> None:
        stack_config.configure(req.config)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if olds.get("project") != news.get("project"):
            return DiffResult(changes=True, replaces=["project"], stables=[])
        changed = any(olds.get(key) != news.get(key) for key in UPDATE_KEYS)
        # Another Vertex job of the same spec became current (the job trains again after its
        # sweep, or after --replace): the one recorded as current is an earlier version now.
        changed = changed or bool(olds.get("current_job") and olds.get("current_job") != news.get("current_job"))
        return DiffResult(changes=changed or bool(_work(olds, news)), replaces=[], stables=[])

    def create(self, props: dict[str, Any]) -> CreateResult:
        key = f"{props['stack']}/{props['job_name']}/{props['region']}/history"
        return CreateResult(key, {**props, **_reconcile(props)})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({**news, **_reconcile(news)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if not stack_config.owner(props).stack_id:
            return ReadResult(id_, props)
        try:
            vertex = VertexClient(props["project"], props["region"], Budget())
            listing = vertex.stack_listing(stack_config.owner(props).labels)
        except errors.VertexError as exc:
            raise ReportedError(problem_line(props, "reading the job's earlier versions", exc)) from None
        # The listing holds every endpoint carrying the stack's labels, which Vertex copies from
        # a job to the endpoint it deploys its model to: the current version's own is in it, or gone.
        current = listing.endpoint(props["current_endpoint"]) if props.get("current_endpoint") else None
        serves = bool(current and current.deployed_models) if props.get("current_endpoint") else None
        return ReadResult(id_, {**props, "earlier_jobs": _earlier(listing, props), "failure": "",
                                "current_serves": serves})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        retire_job(props, Budget())


class TuningHistory(Resource, module="gemini-tuning", name="TuningHistory"):
    """The earlier versions of one job in one region (see the module docstring)."""

    earlier_jobs: pulumi.Output[list]
    retired_endpoints: pulumi.Output[list]
    status_message: pulumi.Output[str]
    failure: pulumi.Output[str]

    def __init__(self, resource_name: str, *, job_file: str, job_name: str, deletion_policy: str,
                 current_job: pulumi.Input[str], current_state: pulumi.Input[str],
                 current_spec: pulumi.Input[str], current_endpoint: pulumi.Input[str], project: str, region: str,
                 pulumi_project: str, stack: str, stack_id: str,
                 opts: pulumi.ResourceOptions | None = None):
        props = {
            "job_file": job_file, "job_name": job_name, "deletion_policy": deletion_policy,
            "current_job": current_job, "current_state": current_state, "current_spec": current_spec,
            "current_endpoint": current_endpoint,
            "project": project, "region": region, "pulumi_project": pulumi_project,
            "stack": stack, "stack_id": stack_id,
            **{key: None for key in OBSERVED_KEYS},
        }
        super().__init__(TuningHistoryProvider(), resource_name, props, opts)


def retire_job(props: dict[str, Any], budget: Budget) -> list[str]:
    """What removing the job (or one of its regions) from its file asks for: every version
    still running is cancelled, and with `deletionPolicy: delete` every tuned-model endpoint
    of the job deleted. Also called by the `StackSweep`, for a job whose resources a failed
    run could not delete. Returns what it did; raises ReportedError, in one line, for what
    it could not do. Only resources carrying the stack's id are touched."""
    if not stack_config.owner(props).stack_id:
        return []
    done = []
    try:
        vertex = VertexClient(props["project"], props["region"], budget)
        listing = _fresh_listing(vertex, props)
        for job in _versions(listing, props):
            if not job.has_ended and job.state != CANCELLING:
                try:
                    cancel(vertex, job)
                except errors.VertexError as exc:
                    raise ReportedError(problem_line(props, "cancelling the tuning job", exc)) from None
                done.append(f"cancelled {job.name}")
        if props.get("deletion_policy") == "delete":
            for endpoint in _tuned_model_endpoints(listing, props, everything=True):
                if not empty_and_delete_endpoint(vertex, endpoint.name):
                    raise ReportedError(problem_line(
                        props, f"deleting the tuned-model endpoint {endpoint.name}",
                        "still being emptied when the call's time ran out; run `pulumi up` again to finish"))
                done.append(f"deleted {endpoint.name}")
    except errors.VertexError as exc:
        raise ReportedError(problem_line(props, "cleaning up the job's versions", exc)) from None
    return done


def _reconcile(props: dict[str, Any]) -> dict[str, Any]:
    """Cancels earlier versions still running and retires endpoints per the policy."""
    if not stack_config.owner(props).stack_id:
        return {"earlier_jobs": [], "retired_endpoints": [], "status_message": "", "failure": "",
                "current_serves": None}
    budget = Budget()
    done: list[str] = []
    retired: list[str] = []
    serves = None
    try:
        vertex = VertexClient(props["project"], props["region"], budget)
        listing = _fresh_listing(vertex, props)
        for job in _versions(listing, props):
            if job.has_ended or job.state == CANCELLING:
                continue
            cancel(vertex, job)
            done.append(f"cancelled {job.name}, an earlier version of the job that was still running")
        serves = _current_serves(vertex, props) if _retires_endpoints(props) else None
        if serves:
            for endpoint in _tuned_model_endpoints(listing, props, everything=False):
                if not empty_and_delete_endpoint(vertex, endpoint.name):
                    done.append(f"still emptying {endpoint.name}; the next `pulumi up` finishes it")
                    break
                retired.append(endpoint.name)
                done.append(f"deleted {endpoint.name}, the tuned-model endpoint of an earlier version")
        # Listed again only if this call changed something: the outputs show what is left.
        earlier = _earlier(_fresh_listing(vertex, props) if done else listing, props)
    except errors.OutOfTimeError:
        # Not a failure: the next run's refresh sees what is left, and its update does it.
        done.append("the call's time ran out; the next `pulumi up` carries on")
        return {"earlier_jobs": [], "retired_endpoints": retired, "status_message": "; ".join(done),
                "failure": "", "current_serves": serves}
    except errors.VertexError as exc:
        line = problem_line(props, "cancelling or retiring the job's earlier versions", exc)
        return {"earlier_jobs": [], "retired_endpoints": retired, "status_message": line, "failure": line,
                "current_serves": serves}
    return {"earlier_jobs": earlier, "retired_endpoints": retired,
            "status_message": "; ".join(done), "failure": "", "current_serves": serves}


def _work(olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
    """What the next update would do, from what the last read (or update) saw: the same
    decisions as `_reconcile`, so that a history with nothing left to do reports no change."""
    earlier = olds.get("earlier_jobs") or []
    running = [job["name"] for job in earlier if job["state"] not in _ENDED_OR_CANCELLING]
    endpoints = [job["tunedModelEndpoint"] for job in earlier if job.get("tunedModelEndpoint")]
    endpoints += [endpoint for job in earlier for endpoint in job.get("checkpointEndpoints") or ()]
    # Seen not serving: nothing goes until it does (the same endpoint seen again decides).
    seen_idle = olds.get("current_serves") is False and same_resource(
        olds.get("current_endpoint") or "", news.get("current_endpoint") or "")
    return running + (endpoints if _retires_endpoints(news) and not seen_idle else [])


_ENDED_OR_CANCELLING = frozenset({state.removeprefix("JOB_STATE_") for state in TERMINAL_STATES} | {"CANCELLING"})


def _retires_endpoints(props: dict[str, Any]) -> bool:
    return props.get("deletion_policy") == "delete" and props.get("current_state") == SUCCEEDED


def _current_serves(vertex: VertexClient, props: dict[str, Any]) -> bool:
    """Whether the current version's own endpoint serves its tuned model: only then may the
    earlier versions' endpoints go (an adopted old job may have lost its endpoint)."""
    endpoint = props.get("current_endpoint") or ""
    if not endpoint:
        return False
    try:
        return bool(vertex.get_endpoint(endpoint).deployed_models)
    except errors.NotFoundError:
        return False


def _fresh_listing(vertex: VertexClient, props: dict[str, Any]) -> StackListing:
    """This job's tuning jobs and endpoints, asked afresh before acting on them. No job at
    all is confirmed (a killed run's job must not run unseen); no endpoint is not: an
    endpoint missed here is only left in place, as `deletionPolicy: retain` would leave it."""
    owner = stack_config.owner(props)
    labels = owner.of_job(props["job_name"])
    return StackListing(jobs=vertex.find_tuning_jobs(labels, confirm_empty=True),
                        endpoints=vertex.find_endpoints(labels))


def _versions(listing: StackListing, props: dict[str, Any]) -> list[TuningJobView]:
    """This job's tuning jobs in this region other than the current one, oldest first.

    Besides earlier specs, a twin of the current job (same spec: a submission whose lost
    answer was retried) counts, once the current job is known by name.
    """
    job_labels = stack_config.owner(props).of_job(props["job_name"])
    current_spec, current_job = props.get("current_spec") or "", props.get("current_job") or ""
    return sorted((job for job in listing.jobs
                   if job_labels.items() <= job.labels.items() and not same_resource(job.name, current_job)
                   and (spec_of(job.labels) != current_spec or current_job)),
                  key=lambda j: j.create_time)


def _earlier(listing: StackListing, props: dict[str, Any]) -> list[dict[str, Any]]:
    """The earlier versions as the stack's outputs show them."""
    endpoints = {e.name: e for e in listing.endpoints}
    return [{
        "name": job.name,
        "spec": spec_of(job.labels),
        "state": job.state.removeprefix("JOB_STATE_"),
        "tunedModelEndpoint": job.tuned_model_endpoint if job.tuned_model_endpoint in endpoints else "",
        # Left when a call's time ran out after the default one went: the next update finishes.
        "checkpointEndpoints": [e for e in job.checkpoint_endpoints if e in endpoints and e != job.tuned_model_endpoint],
    } for job in _versions(listing, props)]


def _tuned_model_endpoints(listing: StackListing, props: dict[str, Any], *, everything: bool) -> list[EndpointView]:
    """The endpoints Vertex deployed this job's tuned models (and their checkpoints) to: the
    earlier versions' (earlier specs, and twins of the current one that `--replace` or a lost
    answer left), never the current version's own; or all."""
    tuned = [e for e in listing.endpoints if not is_serving_endpoint(e.labels)]
    if everything:
        return tuned
    current = listing.job(props.get("current_job") or "")
    own = [props.get("current_endpoint") or "", *(current.checkpoint_endpoints if current else ())]
    earlier = [name for job in _versions(listing, props)
               for name in (job.tuned_model_endpoint, *job.checkpoint_endpoints) if name]
    current_spec = props.get("current_spec") or ""
    return [e for e in tuned if not any(same_resource(e.name, name) for name in own if name)
            and (spec_of(e.labels) != current_spec or any(same_resource(e.name, name) for name in earlier))]
