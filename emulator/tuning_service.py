"""google.cloud.aiplatform.v1.GenAiTuningService: create, get, list and cancel tuning jobs.

RebaseTunedModel is not served (it answers UNIMPLEMENTED), and like the real
service there is no way to delete a tuning job.
"""

from __future__ import annotations

import grpc
from google.cloud.aiplatform_v1 import (
    CancelTuningJobRequest,
    CreateTuningJobRequest,
    GetTuningJobRequest,
    JobState,
    ListTuningJobsRequest,
    ListTuningJobsResponse,
    PreTunedModel,
    TuningJob,
)
from google.protobuf import empty_pb2

from emulator import names, rpc
from emulator.availability import check_available
from emulator.base_models import base_model_id
from emulator.continuous_tuning import resolve_source
from emulator.data_stats import epochs_of
from emulator.datasets import read_dataset
from emulator.evaluation import check_evaluation_config
from emulator.errors import FailedPrecondition, NotFound
from emulator.listing import list_page
from emulator.quota import CONCURRENT_TUNING_JOBS, quota_exceeded
from emulator.store import JobPlan
from emulator.tuning_lifecycle import is_active, request_cancel
from emulator.validation import check_new_tuning_job
from emulator.world import Transaction, World

__all__ = ["SERVICE_NAME", "GenAiTuningService", "method_handlers"]

SERVICE_NAME = "google.cloud.aiplatform.v1.GenAiTuningService"
_COLLECTION = "tuningJobs"
_ACTIVE_JOBS_NAMED_IN_ERRORS = 3


class GenAiTuningService:
    """The behaviour of the tuning job methods."""

    def __init__(self, world: World) -> None:
        self._world = world
        self._projects = world.settings.projects

    def create_tuning_job(self, request: CreateTuningJobRequest) -> TuningJob:
        """Validate and queue a new job; creates nothing if it fails.

        A job that continues tuning a tuned model (`pre_tuned_model`) is checked
        against that model and by the rules of its base model. A job whose data
        set cannot be read or is malformed is created PENDING as usual and is
        FAILED when it would have started running.
        """
        request = self._projects.canonical(request, "parent", "tuning_job.pre_tuned_model.tuned_model_name")
        location = names.parse_parent(request.parent)
        requested = request.tuning_job
        continuing = "pre_tuned_model" in requested
        base_model = requested.base_model
        if continuing:
            with self._world.transaction() as txn:
                base_model = resolve_source(txn.state, location, requested).base_model
        # The rules of a continuing job are its source's base model's.
        ruled = TuningJob(requested, base_model=base_model) if continuing else requested
        check_new_tuning_job(location.location, ruled)
        spec = requested.supervised_tuning_spec
        if "evaluation_config" in spec:
            check_evaluation_config(location.location, base_model, spec.evaluation_config,
                                    self._world.settings.evaluation_offered_for)
        # Read outside the store's lock: it is I/O against Cloud Storage.
        training = read_dataset(spec.training_dataset_uri)
        data_problem = training.problem or read_dataset(spec.validation_dataset_uri).problem
        with self._world.transaction() as txn:
            _check_available(txn, base_model, location)
            _check_quota(txn, location.project)
            job = _new_job(requested, location.child(_COLLECTION, txn.state.new_id()), base_model, txn)
            txn.state.tuning_jobs.put(job)
            if data_problem or training.tally:
                stats = training.tally.stats(epochs_of(job)) if training.tally else None
                txn.state.job_plans.put(JobPlan(name=job.name, data_problem=data_problem or "", data_stats=stats))
        return job

    def get_tuning_job(self, request: GetTuningJobRequest) -> TuningJob:
        request = self._projects.canonical(request, "name")
        names.parse_child(request.name, _COLLECTION)
        with self._world.transaction() as txn:
            return _existing_job(txn, request.name)

    def list_tuning_jobs(self, request: ListTuningJobsRequest) -> ListTuningJobsResponse:
        """The parent's jobs matching the filter, oldest first."""
        request = self._projects.canonical(request, "parent")
        with self._world.transaction() as txn:
            page = list_page(txn.state.tuning_jobs.values(), request, _COLLECTION,
                             label_filters_find_nothing=txn.settings.label_filters_find_nothing)
        return ListTuningJobsResponse(tuning_jobs=page.items, next_page_token=page.next_page_token)

    def cancel_tuning_job(self, request: CancelTuningJobRequest) -> empty_pb2.Empty:
        """Start cancelling an active job (it is CANCELLING, then ends); a finished job cannot be cancelled.

        Cancelling a job that is CANCELLING already is accepted and changes nothing.
        """
        request = self._projects.canonical(request, "name")
        names.parse_child(request.name, _COLLECTION)
        with self._world.transaction() as txn:
            job = _existing_job(txn, request.name)
            if job.state == JobState.JOB_STATE_CANCELLING:
                return empty_pb2.Empty()
            if not is_active(job):
                raise FailedPrecondition(
                    f"TuningJob {request.name} is in state {JobState(job.state).name} and can no longer be cancelled."
                )
            request_cancel(txn.state, job, txn.now, txn.settings.timeline, txn.settings.evaluation_scores)
        return empty_pb2.Empty()


def method_handlers(world: World) -> dict[str, grpc.RpcMethodHandler]:
    service = GenAiTuningService(world)
    return {
        "CreateTuningJob": rpc.unary_unary(service.create_tuning_job, CreateTuningJobRequest, TuningJob),
        "GetTuningJob": rpc.unary_unary(service.get_tuning_job, GetTuningJobRequest, TuningJob),
        "ListTuningJobs": rpc.unary_unary(service.list_tuning_jobs, ListTuningJobsRequest, ListTuningJobsResponse),
        "CancelTuningJob": rpc.unary_unary(service.cancel_tuning_job, CancelTuningJobRequest, empty_pb2.Empty),
    }


def _check_available(txn: Transaction, base_model: str, location: names.Location) -> None:
    day = txn.settings.availability_day(txn.now)
    if day is None:
        return
    model = base_model_id(base_model)
    tuned_before = any(
        base_model_id(job.base_model) == model and names.parse_child(job.name, _COLLECTION).project == location.project
        for job in txn.state.tuning_jobs.values()
    )
    check_available(base_model, location.location, location.project, day, tuned_before=tuned_before)


def _check_quota(txn: Transaction, project_number: str) -> None:
    # Per project, across all its locations and base models.
    active = [
        job.name
        for job in txn.state.tuning_jobs.values()
        if is_active(job) and names.parse_child(job.name, _COLLECTION).project == project_number
    ]
    quota = txn.settings.tuning_job_quota_of(project_number)
    if len(active) < quota:
        return
    if quota == 0:
        explanation = "The project has no tuning quota; ask for a quota increase."
    else:
        named = active[:_ACTIVE_JOBS_NAMED_IN_ERRORS] + (["..."] if len(active) > _ACTIVE_JOBS_NAMED_IN_ERRORS else [])
        explanation = (
            f"{len(active)} of {quota} concurrent tuning job(s) are active ({', '.join(named)}). "
            "Retry when one has finished or been cancelled."
        )
    raise quota_exceeded(CONCURRENT_TUNING_JOBS, project_number, quota, explanation=explanation)


def _new_job(requested: TuningJob, name: str, base_model: str, txn: Transaction) -> TuningJob:
    # Only the fields a caller may set are taken over; output fields are the service's.
    job = TuningJob(
        name=name,
        supervised_tuning_spec=requested.supervised_tuning_spec,
        tuned_model_display_name=requested.tuned_model_display_name,
        description=requested.description,
        labels=dict(requested.labels),
        service_account=requested.service_account,
        state=JobState.JOB_STATE_PENDING,
        create_time=txn.now,
        update_time=txn.now,
    )
    if "pre_tuned_model" in requested:
        job.pre_tuned_model = PreTunedModel(
            tuned_model_name=requested.pre_tuned_model.tuned_model_name,
            checkpoint_id=requested.pre_tuned_model.checkpoint_id,
            base_model=base_model,
        )
    else:
        job.base_model = base_model
    if "encryption_spec" in requested:
        job.encryption_spec = requested.encryption_spec
    return job


def _existing_job(txn: Transaction, name: str) -> TuningJob:
    job = txn.state.tuning_jobs.get(name)
    if job is None:
        raise NotFound(f"TuningJob {name} does not exist.")
    return job
