"""The tuning-job dynamic provider: one Vertex AI supervised tuning job per job and region.

Vertex AI has no update and no delete for tuning jobs, so:
- any change to the job's essence replaces it (the old job is cancelled first, which
  also frees its slot in the global concurrent-job quota);
- `create` submits and returns within seconds, never waiting for training; a job that
  finds no free quota slot is recorded as QUEUED and submitted by a later `pulumi up`
  (its diff reports a change, so that run calls `update`);
- before submitting, `create` looks for a job carrying this resource's labels and adopts
  it, so a `pulumi up` killed after submitting never pays for a second job;
- `read` (refresh) only observes; `delete` cancels a job that has not ended.

The provider object is pickled into the state: it holds nothing but code. Clients are
built inside each call; settings come from the resource's inputs and the environment.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from providers.gcp import errors
from providers.gcp.identity import stable_key, tuning_job_labels
from providers.gcp.operations import deadline_after
from providers.gcp.vertex import TuningJobRequest, TuningJobView, VertexClient
from providers.jobfile.loading import parse_job
from providers.jobfile.problems import JobFileError
from providers.resources.endpoints import empty_and_delete_endpoint
from providers.resources.essence import ESSENCE_KEYS, essence_of, spec_hash

QUEUED = "QUEUED"
"""Our own state: waiting for a free slot in the concurrent tuning-job quota; not in Vertex yet."""

# A job in one of these states is the job this resource wants; adopting it costs nothing.
_ADOPTABLE_STATES = frozenset({
    "JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED",
    "JOB_STATE_PAUSED", "JOB_STATE_UPDATING",
})

# Where the resource stands in Vertex: filled by create/update/read.
OBSERVED_KEYS = (
    "vertex_job_name", "state", "tuned_model", "tuned_model_endpoint", "error",
    "create_time", "start_time", "end_time", "status_message",
)
# What identifies the resource; changing any of these is a different Vertex job.
IDENTITY_KEYS = ("project", "region")
# Settings of ours that change without touching the Vertex job.
UPDATE_KEYS = ("deletion_policy",)


class TuningJobProvider(ResourceProvider):
    """Dynamic provider for `TuningJob`. See the module docstring for the contract."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        job_file = news.get("job_file", "job file")
        try:
            spec = parse_job(json.loads(news.get("spec_json") or "null"), job_file)
        except JobFileError as exc:
            return CheckResult(news, [
                CheckFailure(problem.field or "spec", str(problem)) for problem in exc.problems
            ])
        essence = essence_of(spec)
        return CheckResult({**news, **essence, "spec_hash": spec_hash(essence)}, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # A key the recorded state lacks was added by a later version of this tool: the
        # job was submitted without it, and re-training for that would be a paid surprise.
        replaces = [
            key for key in (*IDENTITY_KEYS, *ESSENCE_KEYS)
            if key in olds and olds[key] != news.get(key)
        ]
        if replaces:
            return DiffResult(
                changes=True, replaces=replaces, stables=[], delete_before_replace=True
            )
        # A queued job has no Vertex job yet: report a change so this run's `update`
        # tries to submit it.
        changes = olds.get("state") == QUEUED or any(
            olds.get(key) != news.get(key) for key in UPDATE_KEYS)
        return DiffResult(changes=changes, replaces=[], stables=[])

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(_key(props), {**props, **_submit_or_adopt(props)})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if olds.get("state") == QUEUED:
            return UpdateResult({**news, **_submit_or_adopt(news)})
        # Only settings of ours changed (deletion policy): the Vertex job stays as it is.
        return UpdateResult({**news, **{key: olds.get(key) for key in OBSERVED_KEYS}})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        vertex = _client(props)
        job = _current_job(vertex, props)
        if job is None:
            if props.get("state") == QUEUED:
                return ReadResult(id_, props)
            # Vertex never deletes tuning jobs: the recorded one is gone from this project.
            return ReadResult(None, {})
        return ReadResult(id_, {**props, **_observed(job)})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        vertex = _client(props)
        job = _current_job(vertex, props)
        if job is None:
            return
        if job.has_ended or job.state == "JOB_STATE_CANCELLING":
            _clean_up_tuned_model_endpoint(vertex, props, job)
            return
        try:
            vertex.cancel_tuning_job(job.name)
        except errors.NotFoundError:
            return
        except errors.InvalidRequestError:
            # It ended between our look and the cancel: nothing left to stop.
            if not vertex.get_tuning_job(job.name).has_ended:
                raise


class TuningJob(Resource, module="gemini-tuning", name="TuningJob"):
    """One supervised tuning job of one job file, in one region."""

    vertex_job_name: pulumi.Output[str]
    state: pulumi.Output[str]
    tuned_model: pulumi.Output[str]
    tuned_model_endpoint: pulumi.Output[str]
    error: pulumi.Output[str]
    status_message: pulumi.Output[str]
    spec_hash: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        job_file: str,
        spec: dict[str, Any],
        project: str,
        region: str,
        pulumi_project: str,
        stack: str,
        opts: pulumi.ResourceOptions | None = None,
    ):
        props: dict[str, Any] = {
            "job_file": job_file,
            # JSON keeps integers integers; Pulumi would carry them as floats.
            "spec_json": json.dumps(spec, sort_keys=True),
            "job_name": spec["name"],
            "deletion_policy": spec.get("deletionPolicy", "retain"),
            "project": project,
            "region": region,
            "pulumi_project": pulumi_project,
            "stack": stack,
            "spec_hash": None,
            **{key: None for key in ESSENCE_KEYS},
            **{key: None for key in OBSERVED_KEYS},
        }
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(delete_before_replace=True)
        )
        super().__init__(TuningJobProvider(), resource_name, props, opts)


def _clean_up_tuned_model_endpoint(vertex: VertexClient, props: dict[str, Any],
                                   job: TuningJobView) -> None:
    """Empties and deletes the endpoint Vertex deployed the tuned model to, if the policy says so.

    The tuned model itself stays in the Model Registry: a serving endpoint may route to it.
    """
    if props.get("deletion_policy") != "delete" or not job.tuned_model_endpoint:
        return
    if not empty_and_delete_endpoint(vertex, job.tuned_model_endpoint, deadline_after()):
        raise errors.TransientError(
            f"{job.tuned_model_endpoint} is still being emptied; run `pulumi up` again to finish")


def _client(props: dict[str, Any]) -> VertexClient:
    return VertexClient(props["project"], props["region"])


def _key(props: dict[str, Any]) -> str:
    return stable_key(props["stack"], props["job_name"], props["region"], props["spec_hash"])


def _labels(props: dict[str, Any]) -> dict[str, str]:
    return tuning_job_labels(
        props["pulumi_project"], props["stack"], props["job_name"], props["spec_hash"]
    )


def _current_job(vertex: VertexClient, props: dict[str, Any]) -> TuningJobView | None:
    """The Vertex job this resource stands for, if any."""
    name = props.get("vertex_job_name")
    if name:
        try:
            return vertex.get_tuning_job(name)
        except errors.NotFoundError:
            return None
    # Queued, or a run died between submitting and recording: look it up by its labels.
    return _adoptable(vertex, props)


def _adoptable(vertex: VertexClient, props: dict[str, Any]) -> TuningJobView | None:
    candidates = [j for j in vertex.find_tuning_jobs(_labels(props)) if j.state in _ADOPTABLE_STATES]
    return candidates[-1] if candidates else None


def _submit_or_adopt(props: dict[str, Any]) -> dict[str, Any]:
    vertex = _client(props)
    job = _adoptable(vertex, props)
    if job is None:
        try:
            job = vertex.create_tuning_job(_request(props))
        except errors.QuotaExceededError:
            return _queued()
        except errors.TransientError:
            # The answer was lost, not necessarily the submission: look before failing.
            job = _adoptable(vertex, props)
            if job is None:
                raise
        except errors.InvalidRequestError as exc:
            raise errors.InvalidRequestError(
                f"{props['job_file']}: Vertex AI rejected the tuning job for "
                f"{props['region']}: {exc}"
            ) from exc
    return _observed(job)


def _request(props: dict[str, Any]) -> TuningJobRequest:
    return TuningJobRequest(
        base_model=props["base_model"],
        training_dataset_uri=props["training_dataset_uri"],
        validation_dataset_uri=props["validation_dataset_uri"],
        epoch_count=int(props["epoch_count"]),
        adapter_size=int(props["adapter_size"]),
        learning_rate_multiplier=float(props["learning_rate_multiplier"]),
        tuned_model_display_name=props["tuned_model_display_name"],
        description=props["description"],
        labels={**props["labels"], **_labels(props)},
    )


def _queued() -> dict[str, Any]:
    return {
        **{key: "" for key in OBSERVED_KEYS},
        "state": QUEUED,
        "status_message": (
            "waiting for a free slot in the Vertex AI concurrent tuning-job quota; "
            "a later `pulumi up` submits it"
        ),
    }


def _observed(job: TuningJobView) -> dict[str, Any]:
    return {
        "vertex_job_name": job.name,
        "state": job.state.removeprefix("JOB_STATE_"),
        "tuned_model": job.tuned_model,
        "tuned_model_endpoint": job.tuned_model_endpoint,
        "error": job.error,
        "create_time": job.create_time,
        "start_time": job.start_time,
        "end_time": job.end_time,
        "status_message": "",
    }
