"""Vertex AI calls the providers make: tuning jobs, endpoints and their operations.

The only module that calls google.cloud.aiplatform_v1 (on clients from `clients.py`).
Callers get plain values (`TuningJobView`, `EndpointView`, `OperationView`) and the
error tree of `providers.gcp.errors`, never a GAPIC type or a google.api_core error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, TypeVar

from google.api_core import exceptions as core_exceptions
from google.api_core import retry as core_retry
from google.cloud import aiplatform_v1
from google.longrunning import operations_pb2
from google.protobuf import field_mask_pb2

from providers.gcp import errors
from providers.gcp.clients import vertex_services

CALL_TIMEOUT_SECONDS = 20.0
# Bounded so a provider call never comes near Pulumi's ~180 s plugin-call limit.
RETRY = core_retry.Retry(
    predicate=core_retry.if_exception_type(
        core_exceptions.ServiceUnavailable, core_exceptions.DeadlineExceeded
    ),
    initial=0.5,
    multiplier=2.0,
    maximum=8.0,
    timeout=30.0,
)

TERMINAL_STATES = frozenset(
    {"JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED",
     "JOB_STATE_EXPIRED", "JOB_STATE_PARTIALLY_SUCCEEDED"}
)

_ADAPTER_SIZES = {
    1: aiplatform_v1.SupervisedHyperParameters.AdapterSize.ADAPTER_SIZE_ONE,
    2: aiplatform_v1.SupervisedHyperParameters.AdapterSize.ADAPTER_SIZE_TWO,
    4: aiplatform_v1.SupervisedHyperParameters.AdapterSize.ADAPTER_SIZE_FOUR,
    8: aiplatform_v1.SupervisedHyperParameters.AdapterSize.ADAPTER_SIZE_EIGHT,
    16: aiplatform_v1.SupervisedHyperParameters.AdapterSize.ADAPTER_SIZE_SIXTEEN,
    32: aiplatform_v1.SupervisedHyperParameters.AdapterSize.ADAPTER_SIZE_THIRTY_TWO,
}


@dataclass(frozen=True)
class TuningJobView:
    """What Vertex reports about one tuning job, as plain values."""

    name: str
    state: str
    tuned_model: str
    tuned_model_endpoint: str
    error: str
    create_time: str
    start_time: str
    end_time: str
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def has_ended(self) -> bool:
        return self.state in TERMINAL_STATES


@dataclass(frozen=True)
class TuningJobRequest:
    """Everything needed to submit one supervised tuning job."""

    base_model: str
    training_dataset_uri: str
    validation_dataset_uri: str
    epoch_count: int
    adapter_size: int
    learning_rate_multiplier: float
    tuned_model_display_name: str
    description: str
    labels: dict[str, str]


@dataclass(frozen=True)
class EndpointView:
    """What Vertex reports about one endpoint: its deployed models and traffic split."""

    name: str
    display_name: str
    deployed_models: dict[str, str]
    """Deployed model id -> model resource name."""
    traffic_split: dict[str, int]
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OperationView:
    name: str
    done: bool
    error: str


class VertexClient:
    """Vertex AI calls for one project and region, on the process's shared clients."""

    def __init__(self, project: str, region: str):
        self.parent = f"projects/{project}/locations/{region}"
        services = vertex_services(region)
        self._tuning = services.tuning
        self._endpoints = services.endpoints

    def create_tuning_job(self, request: TuningJobRequest) -> TuningJobView:
        hyper = aiplatform_v1.SupervisedHyperParameters(
            epoch_count=request.epoch_count,
            learning_rate_multiplier=request.learning_rate_multiplier,
        )
        if request.adapter_size:
            hyper.adapter_size = _ADAPTER_SIZES[request.adapter_size]
        job = aiplatform_v1.TuningJob(
            base_model=request.base_model,
            tuned_model_display_name=request.tuned_model_display_name,
            description=request.description,
            labels=request.labels,
            supervised_tuning_spec=aiplatform_v1.SupervisedTuningSpec(
                training_dataset_uri=request.training_dataset_uri,
                validation_dataset_uri=request.validation_dataset_uri,
                hyper_parameters=hyper,
            ),
        )
        # Not retried: a submission that timed out may have gone through, and a second
        # one would be a second paid job. The caller looks it up by its labels instead.
        created = _call(
            self._tuning.create_tuning_job, parent=self.parent, tuning_job=job,
            timeout=CALL_TIMEOUT_SECONDS,
        )
        return _view(created)

    def get_tuning_job(self, name: str) -> TuningJobView:
        return _view(_call(self._tuning.get_tuning_job, name=name, retry=RETRY,
                           timeout=CALL_TIMEOUT_SECONDS))

    def find_tuning_jobs(self, labels: dict[str, str]) -> list[TuningJobView]:
        """Jobs in this region carrying all of `labels`, oldest first."""
        jobs = _find_by_labels(labels, lambda query: (_view(job) for job in _call(
            self._tuning.list_tuning_jobs,
            request=aiplatform_v1.ListTuningJobsRequest(parent=self.parent, filter=query),
            retry=RETRY, timeout=CALL_TIMEOUT_SECONDS,
        )))
        return sorted(jobs, key=lambda j: j.create_time)

    def cancel_tuning_job(self, name: str) -> None:
        _call(self._tuning.cancel_tuning_job, name=name, retry=RETRY,
              timeout=CALL_TIMEOUT_SECONDS)


    # Endpoints. Long-running calls return the operation's name; callers poll it with
    # `get_operation` within their own time budget and pick up again on a later run.

    def create_endpoint(self, display_name: str, labels: dict[str, str]) -> str:
        endpoint = aiplatform_v1.Endpoint(display_name=display_name, labels=labels)
        return _call(self._endpoints.create_endpoint, parent=self.parent, endpoint=endpoint,
                     timeout=CALL_TIMEOUT_SECONDS).operation.name

    def get_endpoint(self, name: str) -> EndpointView:
        return _endpoint_view(_call(self._endpoints.get_endpoint, name=name, retry=RETRY,
                                    timeout=CALL_TIMEOUT_SECONDS))

    def find_endpoints(self, labels: dict[str, str]) -> list[EndpointView]:
        """Endpoints in this region carrying all of `labels`."""
        return _find_by_labels(labels, lambda query: (_endpoint_view(endpoint) for endpoint in _call(
            self._endpoints.list_endpoints,
            request=aiplatform_v1.ListEndpointsRequest(parent=self.parent, filter=query),
            retry=RETRY, timeout=CALL_TIMEOUT_SECONDS,
        )))

    def deploy_model(self, endpoint: str, model: str, display_name: str,
                     traffic_split: dict[str, int]) -> str:
        """Deploys `model`; in `traffic_split` the key "0" stands for the model being deployed."""
        deployed = aiplatform_v1.DeployedModel(model=model, display_name=display_name)
        return _call(self._endpoints.deploy_model, endpoint=endpoint, deployed_model=deployed,
                     traffic_split=traffic_split, timeout=CALL_TIMEOUT_SECONDS).operation.name

    def set_traffic_split(self, endpoint: str, traffic_split: dict[str, int]) -> EndpointView:
        """Moves traffic between the endpoint's deployed models at once (not an operation)."""
        updated = _call(
            self._endpoints.update_endpoint,
            endpoint=aiplatform_v1.Endpoint(name=endpoint, traffic_split=traffic_split),
            update_mask=field_mask_pb2.FieldMask(paths=["traffic_split"]),
            timeout=CALL_TIMEOUT_SECONDS,
        )
        return _endpoint_view(updated)

    def undeploy_model(self, endpoint: str, deployed_model_id: str,
                       traffic_split: dict[str, int]) -> str:
        request = aiplatform_v1.UndeployModelRequest(
            endpoint=endpoint, deployed_model_id=deployed_model_id, traffic_split=traffic_split)
        return _call(self._endpoints.undeploy_model, request=request,
                     timeout=CALL_TIMEOUT_SECONDS).operation.name

    def delete_endpoint(self, name: str) -> str:
        return _call(self._endpoints.delete_endpoint, name=name,
                     timeout=CALL_TIMEOUT_SECONDS).operation.name

    def get_operation(self, name: str) -> OperationView:
        operation = _call(self._endpoints.get_operation,
                          request=operations_pb2.GetOperationRequest(name=name),
                          retry=RETRY, timeout=CALL_TIMEOUT_SECONDS)
        error = ""
        if operation.HasField("error") and operation.error.code:
            error = f"code {operation.error.code}: {operation.error.message or 'no message'}"
        return OperationView(operation.name, operation.done, error)


def _endpoint_view(endpoint: aiplatform_v1.Endpoint) -> EndpointView:
    return EndpointView(
        name=endpoint.name,
        display_name=endpoint.display_name,
        deployed_models={d.id: _versioned(d.model, d.model_version_id) for d in endpoint.deployed_models},
        traffic_split=dict(endpoint.traffic_split),
        labels=dict(endpoint.labels),
    )


Labelled = TypeVar("Labelled", TuningJobView, EndpointView)


def _find_by_labels(labels: dict[str, str],
                    list_matching: Callable[[str], Iterable[Labelled]]) -> list[Labelled]:
    """What `list_matching(filter)` lists that carries all of `labels`, across every page.

    Vertex documents list filters only as "the standard list filter": should it refuse
    label terms, list everything and match here. Matching again even when the filter was
    accepted keeps adoption safe if a filter were ever applied loosely.
    """
    try:
        found = _drain(list_matching(_label_filter(labels)))
    except errors.InvalidRequestError:
        found = _drain(list_matching(""))
    return [item for item in found if labels.items() <= item.labels.items()]


def _drain(items: Iterable[Labelled]) -> list[Labelled]:
    """Every item of a pager; later pages are fetched while iterating, so map their errors too."""
    try:
        return list(items)
    except core_exceptions.GoogleAPICallError as exc:
        raise errors.from_google(exc) from exc


def _label_filter(labels: dict[str, str]) -> str:
    """A list filter matching resources that carry all of `labels`."""
    return " AND ".join(f'labels.{key}="{value}"' for key, value in sorted(labels.items()))


def _versioned(model: str, version_id: str) -> str:
    """`.../models/M` and version "1" -> `.../models/M@1`, the form tuning jobs report."""
    return f"{model}@{version_id}" if version_id and "@" not in model else model


def _call(method, **kwargs):
    try:
        return method(**kwargs)
    except core_exceptions.GoogleAPICallError as exc:
        raise errors.from_google(exc) from exc
    except core_exceptions.RetryError as exc:
        raise errors.TransientError(f"Vertex AI did not answer in time: {exc.cause}") from exc


def _timestamp(value) -> str:
    return value.isoformat() if value else ""


def _view(job: aiplatform_v1.TuningJob) -> TuningJobView:
    return TuningJobView(
        name=job.name,
        state=job.state.name,
        tuned_model=job.tuned_model.model,
        tuned_model_endpoint=job.tuned_model.endpoint,
        error=job.error.message if job.error.code else "",
        create_time=_timestamp(job.create_time),
        start_time=_timestamp(job.start_time),
        end_time=_timestamp(job.end_time),
        labels=dict(job.labels),
    )
