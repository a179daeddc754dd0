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
    TuningJob,
)
from google.protobuf import empty_pb2

from emulator import names, rpc
from emulator.errors import FailedPrecondition, NotFound, ResourceExhausted
from emulator.listing import list_page
from emulator.datasets import dataset_problem
from emulator.tuning_lifecycle import cancel, fail, is_active
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

    def create_tuning_job(self, request: CreateTuningJobRequest) -> TuningJob:
        """Validate and queue a new job; creates nothing if it fails.

        A job whose data set cannot be read or is malformed is created FAILED.
        """
        location = names.parse_parent(request.parent)
        check_new_tuning_job(location.location, request.tuning_job)
        spec = request.tuning_job.supervised_tuning_spec
        # Read outside the store's lock: it is I/O against Cloud Storage.
        data_problem = dataset_problem(spec.training_dataset_uri) or dataset_problem(
            spec.validation_dataset_uri)
        with self._world.transaction() as txn:
            _check_quota(txn)
            job = _new_job(request.tuning_job, location.child(_COLLECTION, txn.state.new_id()), txn)
            if data_problem:
                fail(job, txn.now, data_problem)
            txn.state.tuning_jobs.put(job)
        return job

    def get_tuning_job(self, request: GetTuningJobRequest) -> TuningJob:
        names.parse_child(request.name, _COLLECTION)
        with self._world.transaction() as txn:
            return _existing_job(txn, request.name)

    def list_tuning_jobs(self, request: ListTuningJobsRequest) -> ListTuningJobsResponse:
        """The parent's jobs matching the filter, oldest first."""
        with self._world.transaction() as txn:
            page = list_page(txn.state.tuning_jobs.values(), request, _COLLECTION)
        return ListTuningJobsResponse(tuning_jobs=page.items, next_page_token=page.next_page_token)

    def cancel_tuning_job(self, request: CancelTuningJobRequest) -> empty_pb2.Empty:
        """End an active job as CANCELLED; a finished job cannot be cancelled."""
        names.parse_child(request.name, _COLLECTION)
        with self._world.transaction() as txn:
            job = _existing_job(txn, request.name)
            if not is_active(job):
                raise FailedPrecondition(
                    f"TuningJob {request.name} is in state {JobState(job.state).name} and can no longer be cancelled."
                )
            cancel(job, txn.now)
            txn.state.tuning_jobs.put(job)
        return empty_pb2.Empty()


def method_handlers(world: World) -> dict[str, grpc.RpcMethodHandler]:
    service = GenAiTuningService(world)
    return {
        "CreateTuningJob": rpc.unary_unary(service.create_tuning_job, CreateTuningJobRequest, TuningJob),
        "GetTuningJob": rpc.unary_unary(service.get_tuning_job, GetTuningJobRequest, TuningJob),
        "ListTuningJobs": rpc.unary_unary(service.list_tuning_jobs, ListTuningJobsRequest, ListTuningJobsResponse),
        "CancelTuningJob": rpc.unary_unary(service.cancel_tuning_job, CancelTuningJobRequest, empty_pb2.Empty),
    }


def _check_quota(txn: Transaction) -> None:
    # The quota is global: jobs of every project and location count.
    active = [job.name for job in txn.state.tuning_jobs.values() if is_active(job)]
    quota = txn.settings.tuning_job_quota
    if len(active) >= quota:
        named = active[:_ACTIVE_JOBS_NAMED_IN_ERRORS] + (["..."] if len(active) > _ACTIVE_JOBS_NAMED_IN_ERRORS else [])
        detail = f" ({', '.join(named)})" if active else ""
        raise ResourceExhausted(
            f"Quota exceeded: the concurrent tuning job quota is {quota} and {len(active)} tuning "
            f"job(s) are active{detail}. Retry when one has finished or been cancelled."
        )


def _new_job(requested: TuningJob, name: str, txn: Transaction) -> TuningJob:
    # Only the fields a caller may set are taken over; output fields are the service's.
    job = TuningJob(
        name=name,
        base_model=requested.base_model,
        supervised_tuning_spec=requested.supervised_tuning_spec,
        tuned_model_display_name=requested.tuned_model_display_name,
        description=requested.description,
        labels=dict(requested.labels),
        service_account=requested.service_account,
        state=JobState.JOB_STATE_PENDING,
        create_time=txn.now,
        update_time=txn.now,
    )
    if "encryption_spec" in requested:
        job.encryption_spec = requested.encryption_spec
    return job


def _existing_job(txn: Transaction, name: str) -> TuningJob:
    job = txn.state.tuning_jobs.get(name)
    if job is None:
        raise NotFound(f"TuningJob {name} does not exist.")
    return job
