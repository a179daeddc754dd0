"""Vertex AI calls the providers make: tuning jobs, endpoints and their operations.

The only module that calls google.cloud.aiplatform_v1 (on clients from `clients.py`).
Callers get plain values (`TuningJobView`, `EndpointView`, `OperationView`) and the
error tree of `providers.gcp.errors`, never a GAPIC type or a google.api_core error.

Every call runs inside the provider call's `Budget`: each attempt's timeout is what the
budget has left (at most 20 s), and transient answers (UNAVAILABLE, DEADLINE_EXCEEDED,
INTERNAL, ABORTED, rate limits) are retried with google.api_core's jittered exponential
backoff while the budget lasts. A transient answer does not say whether the request went
through, so only requests that are safe to send twice are retried here:
- reads, cancels, traffic and label updates (the same request asks for the same result);
- operations named by an id of ours (CreateEndpoint with `endpoint_id`, DeployModel with
  the deployed model's `id`), the same id on every attempt of one call: ALREADY_EXISTS
  on a later attempt means an earlier one went through, and the caller is told so;
- undeploying and deleting: NOT_FOUND on a later attempt means an earlier one did it.
Creating a tuning job is attempted once: its caller looks for the job by its labels
before each new attempt (see `providers.resources.tuning_job`).

Reads during a refresh share one listing per region and stack (see `StackListing`).

google.cloud.aiplatform_v1 is imported where a request is built, not with this module: the
Pulumi program and the provider host's `check` and `diff` import this module (through the
resources) but never call Vertex, and that import alone takes about a second (measured
with bench/preview.py). By the time a method builds a request, `clients.py` has imported it.
"""

from __future__ import annotations

import secrets
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, TypeVar

from google.api_core import exceptions as core_exceptions
from google.longrunning import operations_pb2
from google.protobuf import field_mask_pb2
from google.rpc import code_pb2

from providers.gcp import errors
from providers.gcp.budget import Budget, backoff
from providers.gcp.clients import vertex_services
from providers.gcp.names import same_resource, split_checkpoint, with_checkpoint
from providers.jobfile.evaluation import kind_of

if TYPE_CHECKING:
    from google.cloud import aiplatform_v1

TERMINAL_STATES = frozenset(
    {"JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED",
     "JOB_STATE_EXPIRED", "JOB_STATE_PARTIALLY_SUCCEEDED"}
)
"""Vertex job states after which a job changes no more and holds no quota slot."""

LIST_PAGE_SIZE = 100
LISTING_MAX_AGE_SECONDS = 30.0
_FIRST_BACKOFF, _LONGEST_BACKOFF = 0.5, 8.0

_ADAPTER_SIZES = {1: "ADAPTER_SIZE_ONE", 2: "ADAPTER_SIZE_TWO", 4: "ADAPTER_SIZE_FOUR",
                  8: "ADAPTER_SIZE_EIGHT", 16: "ADAPTER_SIZE_SIXTEEN", 32: "ADAPTER_SIZE_THIRTY_TWO"}
"""Adapter size -> the name of its `SupervisedHyperParameters.AdapterSize` value."""


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
    checkpoint_endpoints: tuple[str, ...] = ()
    """The endpoints Vertex deployed the job's intermediate checkpoints to, one each."""
    checkpoints: tuple[dict, ...] = ()
    """The tuned model's checkpoints: {id, epoch, step, endpoint, default, scores}, `scores`
    the job's evaluation of it ({metric: average score}, metrics named as in job files)."""
    continued_from: str = ""
    """The tuned model (and checkpoint, `names.with_checkpoint`) a continuing job started from."""
    update_time: str = ""
    billable_tokens: int = 0
    """Vertex's `totalBillableTokenCount`: the billable tokens of one pass over the training
    data set, once Vertex has read it (0 before)."""
    epochs: int = 0
    """The epochs the job trains: as submitted, else (Vertex chose them) the epoch of its last
    checkpoint; 0 while unknown."""

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
    kms_key_name: str = ""
    service_account: str = ""
    pre_tuned_model: str = ""
    """A continuing job's source, in place of `base_model`."""
    pre_tuned_checkpoint_id: str = ""
    export_last_checkpoint_only: bool = False
    evaluation_config: dict | None = None
    """{metrics: [job-file metric names], output_uri_prefix}."""


@dataclass(frozen=True)
class EndpointView:
    """What Vertex reports about one endpoint: its deployed models and traffic split."""

    name: str
    display_name: str
    deployed_models: dict[str, str]
    """Deployed model id -> model resource name (with its checkpoint, `names.with_checkpoint`)."""
    traffic_split: dict[str, int]
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OperationView:
    name: str
    done: bool
    error: errors.VertexError | None
    """Why the operation failed, classified as a call's answer would be (None if it did not)."""


class VertexClient:
    """Vertex AI calls for one project and region, within one provider call's budget."""

    def __init__(self, project: str, region: str, budget: Budget):
        self.parent = f"projects/{project}/locations/{region}"
        self.budget = budget
        services = vertex_services(region)
        self._tuning = services.tuning
        self._endpoints = services.endpoints

    # Tuning jobs.

    def create_tuning_job(self, request: TuningJobRequest) -> TuningJobView:
        """Submits a job, once: a submission that timed out may have gone through, and a
        second one would be a second paid job (callers look it up by its labels)."""
        from google.cloud import aiplatform_v1

        hyper = aiplatform_v1.SupervisedHyperParameters(
            epoch_count=request.epoch_count,
            learning_rate_multiplier=request.learning_rate_multiplier,
        )
        if request.adapter_size:
            hyper.adapter_size = aiplatform_v1.SupervisedHyperParameters.AdapterSize[
                _ADAPTER_SIZES[request.adapter_size]]
        job = aiplatform_v1.TuningJob(
            tuned_model_display_name=request.tuned_model_display_name,
            description=request.description,
            labels=request.labels,
            supervised_tuning_spec=aiplatform_v1.SupervisedTuningSpec(
                training_dataset_uri=request.training_dataset_uri,
                validation_dataset_uri=request.validation_dataset_uri,
                hyper_parameters=hyper,
                export_last_checkpoint_only=request.export_last_checkpoint_only,
            ),
            service_account=request.service_account,
        )
        # A oneof: a job tunes a base model or continues a tuned one.
        if request.pre_tuned_model:
            job.pre_tuned_model = aiplatform_v1.PreTunedModel(
                tuned_model_name=request.pre_tuned_model, checkpoint_id=request.pre_tuned_checkpoint_id)
        else:
            job.base_model = request.base_model
        if request.evaluation_config:
            job.supervised_tuning_spec.evaluation_config = _evaluation_config(request.evaluation_config)
        if request.kms_key_name:
            job.encryption_spec = aiplatform_v1.EncryptionSpec(kms_key_name=request.kms_key_name)
        with self._changing():
            return _view(self._call(self._tuning.create_tuning_job, repeatable=False,
                                    parent=self.parent, tuning_job=job))

    def get_tuning_job(self, name: str) -> TuningJobView:
        return _view(self._call(self._tuning.get_tuning_job, name=name))

    def find_tuning_jobs(self, labels: dict[str, str], *, confirm_empty: bool = False) -> list[TuningJobView]:
        """Jobs in this region carrying all of `labels`, oldest first (always asked afresh).

        `confirm_empty`: before acting on "there is none" (a submission), an empty answer is
        checked by listing every job in the region (see `_find_by_labels`).
        """
        jobs = self._find_by_labels(labels, self._list_tuning_jobs, confirm_empty)
        return sorted(jobs, key=lambda j: j.create_time)

    def cancel_tuning_job(self, name: str) -> None:
        with self._changing():
            self._call(self._tuning.cancel_tuning_job, name=name)

    # Endpoints. Long-running calls return the operation's name; callers poll it with
    # `get_operation` within their budget and pick up again on a later run.

    def endpoint_name(self, endpoint_id: str) -> str:
        return f"{self.parent}/endpoints/{endpoint_id}"

    def create_endpoint(self, endpoint_id: str, display_name: str, labels: dict[str, str]) -> str:
        """Starts creating the endpoint `endpoint_id` (see `new_resource_id`): the operation,
        or "" if an earlier attempt of this call started it and its answer was lost (look
        for the endpoint by name). AlreadyExistsError if an earlier call made the id's."""
        from google.cloud import aiplatform_v1

        endpoint = aiplatform_v1.Endpoint(display_name=display_name, labels=labels)
        return self._start(self._endpoints.create_endpoint, done_on_retry=errors.AlreadyExistsError,
                           parent=self.parent, endpoint=endpoint, endpoint_id=endpoint_id)

    def get_endpoint(self, name: str) -> EndpointView:
        return _endpoint_view(self._call(self._endpoints.get_endpoint, name=name))

    def find_endpoints(self, labels: dict[str, str], *, confirm_empty: bool = False) -> list[EndpointView]:
        """Endpoints in this region carrying all of `labels` (always asked afresh);
        `confirm_empty` as for `find_tuning_jobs`."""
        return self._find_by_labels(labels, self._list_endpoints, confirm_empty)

    def deploy_model(self, endpoint: str, deployed_model_id: str, model: str, display_name: str,
                     traffic_split: dict[str, int]) -> str:
        """Deploys `model` as `deployed_model_id` (see `new_resource_id`); in `traffic_split`
        the key "0" stands for the model being deployed. `model` may name one of the
        version's checkpoints (`names.with_checkpoint`): that checkpoint is deployed.

        Returns the operation, or "" if an earlier attempt of this call started it and its
        answer was lost (read the endpoint to see where it stands). AlreadyExistsError if
        an earlier call deployed or is deploying the id.
        """
        from google.cloud import aiplatform_v1

        version, checkpoint_id = split_checkpoint(model)
        deployed = aiplatform_v1.DeployedModel(id=deployed_model_id, model=version, display_name=display_name,
                                               checkpoint_id=checkpoint_id)
        return self._start(self._endpoints.deploy_model, done_on_retry=errors.AlreadyExistsError,
                           endpoint=endpoint, deployed_model=deployed, traffic_split=traffic_split)

    def set_traffic_split(self, endpoint: str, traffic_split: dict[str, int]) -> EndpointView:
        """Moves traffic between the endpoint's deployed models at once (not an operation)."""
        from google.cloud import aiplatform_v1

        with self._changing():
            updated = self._call(
                self._endpoints.update_endpoint,
                endpoint=aiplatform_v1.Endpoint(name=endpoint, traffic_split=traffic_split),
                update_mask=field_mask_pb2.FieldMask(paths=["traffic_split"]),
            )
        return _endpoint_view(updated)

    def set_endpoint_labels(self, endpoint: str, labels: dict[str, str]) -> EndpointView:
        """Replaces an endpoint's labels (Vertex updates them in place)."""
        from google.cloud import aiplatform_v1

        with self._changing():
            updated = self._call(
                self._endpoints.update_endpoint,
                endpoint=aiplatform_v1.Endpoint(name=endpoint, labels=labels),
                update_mask=field_mask_pb2.FieldMask(paths=["labels"]),
            )
        return _endpoint_view(updated)

    def undeploy_model(self, endpoint: str, deployed_model_id: str,
                       traffic_split: dict[str, int]) -> str:
        """The operation, or "" if an earlier attempt of this call already undeployed it."""
        from google.cloud import aiplatform_v1

        request = aiplatform_v1.UndeployModelRequest(
            endpoint=endpoint, deployed_model_id=deployed_model_id, traffic_split=traffic_split)
        return self._start(self._endpoints.undeploy_model, done_on_retry=errors.NotFoundError, request=request)

    def delete_endpoint(self, name: str) -> str:
        """The operation, or "" if an earlier attempt of this call already deleted it."""
        return self._start(self._endpoints.delete_endpoint, done_on_retry=errors.NotFoundError, name=name)

    def get_operation(self, name: str) -> OperationView:
        operation = self._call(self._endpoints.get_operation,
                               request=operations_pb2.GetOperationRequest(name=name))
        error = None
        if operation.HasField("error") and operation.error.code:
            error = errors.from_google(core_exceptions.from_grpc_status(
                operation.error.code, operation.error.message or "no message"))
        return OperationView(operation.name, operation.done, error)

    # What one stack has in this region, listed once and shared by a run's reads.

    def stack_listing(self, labels: dict[str, str]) -> StackListing:
        """The tuning jobs and endpoints in this region carrying `labels` (the stack's own).

        Taken at most LISTING_MAX_AGE_SECONDS ago by this process, and never after this
        process changed anything in this region; fetched afresh otherwise.
        """
        return _listings.get(self.parent, labels, lambda: StackListing(
            jobs=self._find_by_labels(labels, self._list_tuning_jobs),
            endpoints=self._find_by_labels(labels, self._list_endpoints),
        ))

    # Plumbing.

    def _list_tuning_jobs(self, query: str) -> list[TuningJobView]:
        from google.cloud import aiplatform_v1

        return [_view(job) for page in self._pages(
            self._tuning.list_tuning_jobs, aiplatform_v1.ListTuningJobsRequest, query)
            for job in page.tuning_jobs]

    def _list_endpoints(self, query: str) -> list[EndpointView]:
        from google.cloud import aiplatform_v1

        return [_endpoint_view(endpoint) for page in self._pages(
            self._endpoints.list_endpoints, aiplatform_v1.ListEndpointsRequest, query)
            for endpoint in page.endpoints]

    def _pages(self, method, request_type, query: str) -> Iterable:
        """Every page of a listing, each page its own call (so each is retried on its own)."""
        token = ""
        while True:
            pager = self._call(method, request=request_type(
                parent=self.parent, filter=query, page_size=LIST_PAGE_SIZE, page_token=token))
            yield pager
            token = pager.next_page_token
            if not token:
                return

    def _find_by_labels(self, labels: dict[str, str], list_matching: Callable[[str], list[Labelled]],
                        confirm_empty: bool = False) -> list[Labelled]:
        """What `list_matching(filter)` lists that carries all of `labels`.

        Vertex documents list filters only as "the standard list filter": should it refuse
        label terms, list everything and match here. Matching again even when the filter
        was accepted keeps adoption safe if a filter were ever applied loosely.

        Our label keys have hyphens (`gt-stack-id`), which AIP-160 filters may read as NOT,
        and no Google page says how Vertex reads them. A filter read differently finds
        nothing: with `confirm_empty`, an empty answer is checked by listing everything and
        matching here, so a lost create answer is never taken for "not submitted" (one
        listing of the region, page by page, before each create).
        """
        filtered = True
        try:
            found = list_matching(_label_filter(labels))
        except errors.InvalidRequestError:
            filtered, found = False, list_matching("")
        matched = [item for item in found if labels.items() <= item.labels.items()]
        if not matched and filtered and confirm_empty:
            matched = [item for item in list_matching("") if labels.items() <= item.labels.items()]
        return matched

    def _start(self, method, *, done_on_retry: type[errors.VertexError], **kwargs) -> str:
        """Starts a long-running operation if the budget leaves time to follow it; its name,
        or "" when a retry answered `done_on_retry` (an earlier attempt went through)."""
        if not self.budget.allows_operation():
            raise errors.OutOfTimeError("too little of the call's time budget is left to start "
                                        "an operation", "DEADLINE_EXCEEDED")
        with self._changing():
            started = self._call(method, done_on_retry=done_on_retry, **kwargs)
        return started.operation.name if started is not None else ""

    @contextmanager
    def _changing(self) -> Iterator[None]:
        """Around a call that changes something in this region: no listing taken before it
        ends serves a later read (one taken while it ran may miss it)."""
        _listings.forget(self.parent)
        try:
            yield
        finally:
            _listings.forget(self.parent)

    def _call(self, method, *, repeatable: bool = True,
              done_on_retry: type[errors.VertexError] | None = None, **kwargs):
        """`method`'s answer, transient answers retried if `repeatable`; None when a retry
        answers `done_on_retry`."""
        pauses = backoff(_FIRST_BACKOFF, _LONGEST_BACKOFF)
        retrying = False
        while True:
            timeout = self.budget.attempt_timeout()
            if retrying and done_on_retry is not None and not self.budget.allows_operation():
                timeout = 0.0  # a retry starts the operation again: only with time to follow it
            if not timeout:
                raise errors.OutOfTimeError("the call's time budget ran out before Vertex AI answered",
                                            "DEADLINE_EXCEEDED")
            try:
                return method(**kwargs, retry=None, timeout=timeout)
            except core_exceptions.GoogleAPICallError as exc:
                error = errors.from_google(exc)
                if retrying and done_on_retry is not None and isinstance(error, done_on_retry):
                    return None
                if not (repeatable and isinstance(error, errors.TransientError)):
                    raise error from exc
                if not self.budget.pause(next(pauses)):
                    raise errors.OutOfTimeError(
                        f"{error.message} (retried until the call's time budget of {self.budget.seconds:g} s "
                        "ran out)", error.status) from exc
                retrying = True


Labelled = TypeVar("Labelled", TuningJobView, EndpointView)


@dataclass(frozen=True)
class StackListing:
    """One stack's tuning jobs and endpoints in one region."""

    jobs: list[TuningJobView]
    endpoints: list[EndpointView]

    def job(self, name: str) -> TuningJobView | None:
        return next((job for job in self.jobs if same_resource(job.name, name)), None)

    def endpoint(self, name: str) -> EndpointView | None:
        return next((e for e in self.endpoints if same_resource(e.name, name)), None)


class _Listings:
    """The process's stack listings, per region and labels, and when each was taken.

    The dynamic-provider host serves a whole `pulumi` command in one process, so a
    refresh of hundreds of resources reads each region once. A listing lives only in this
    process (a new command starts a new one, so nothing carries over between runs), only
    serves reads made within LISTING_MAX_AGE_SECONDS of it, and is dropped as soon as this
    process changes anything in its region.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._taken: dict[tuple, tuple[float, StackListing]] = {}
        self._fetching: dict[tuple, threading.Lock] = {}
        self._writes: dict[str, int] = {}
        """Per region, how many times this process changed something there."""

    def get(self, parent: str, labels: dict[str, str], fetch: Callable[[], StackListing]) -> StackListing:
        key = (parent, tuple(sorted(labels.items())))
        with self._lock:
            fetching = self._fetching.setdefault(key, threading.Lock())
        # One fetch per key at a time: the reads that arrive meanwhile wait and share it.
        with fetching:
            with self._lock:
                taken = self._taken.get(key)
                writes_before = self._writes.get(parent, 0)
            if taken and time.monotonic() - taken[0] < LISTING_MAX_AGE_SECONDS:
                return taken[1]
            started = time.monotonic()
            listing = fetch()
            with self._lock:
                # A write that landed while the listing was being read may be missing from
                # it: this caller gets it, but no later read may.
                if self._writes.get(parent, 0) == writes_before:
                    self._taken[key] = (started, listing)
            return listing

    def forget(self, parent: str) -> None:
        with self._lock:
            self._writes[parent] = self._writes.get(parent, 0) + 1
            for key in [k for k in self._taken if k[0] == parent]:
                del self._taken[key]


_listings = _Listings()


def _endpoint_view(endpoint: aiplatform_v1.Endpoint) -> EndpointView:
    return EndpointView(
        name=endpoint.name,
        display_name=endpoint.display_name,
        deployed_models={d.id: with_checkpoint(_versioned(d.model, d.model_version_id), d.checkpoint_id)
                         for d in endpoint.deployed_models},
        traffic_split=dict(endpoint.traffic_split),
        labels=dict(endpoint.labels),
    )


def new_resource_id() -> str:
    """An id of ours for an endpoint or a deployed model: 9 digits without a leading zero,
    which Vertex accepts for both (CreateEndpointRequest.endpoint_id, DeployedModel.id);
    the ids Vertex makes up are longer, so never the same. Callers record it before the
    request, so a later run can repeat the request with the same id."""
    return str(10**8 + secrets.randbelow(9 * 10**8))


def _label_filter(labels: dict[str, str]) -> str:
    """A list filter matching resources that carry all of `labels`."""
    return " AND ".join(f'labels.{key}="{value}"' for key, value in sorted(labels.items()))


def _versioned(model: str, version_id: str) -> str:
    """`.../models/M` and version "1" -> `.../models/M@1`, the form tuning jobs report."""
    return f"{model}@{version_id}" if version_id and "@" not in model else model


def _timestamp(value) -> str:
    return value.isoformat() if value else ""


def _view(job: aiplatform_v1.TuningJob) -> TuningJobView:
    continued = job.pre_tuned_model
    return TuningJobView(
        name=job.name,
        state=job.state.name,
        tuned_model=job.tuned_model.model,
        tuned_model_endpoint=job.tuned_model.endpoint,
        error=(f"{code_pb2.Code.Name(job.error.code)}: {job.error.message}" if job.error.code else ""),
        create_time=_timestamp(job.create_time),
        start_time=_timestamp(job.start_time),
        end_time=_timestamp(job.end_time),
        labels=dict(job.labels),
        checkpoint_endpoints=tuple(c.endpoint for c in job.tuned_model.checkpoints if c.endpoint),
        checkpoints=tuple(_checkpoints(job)),
        continued_from=with_checkpoint(continued.tuned_model_name, continued.checkpoint_id),
        update_time=_timestamp(job.update_time),
        billable_tokens=job.tuning_data_stats.supervised_tuning_data_stats.total_billable_token_count,
        epochs=(job.supervised_tuning_spec.hyper_parameters.epoch_count
                or max((checkpoint.epoch for checkpoint in job.tuned_model.checkpoints), default=0)),
    )


# Evaluation: job-file metric names <-> GAPIC metric specs, and the kind of value each reports.
_ROUGE_TYPES = {f"rouge_{n}": f"rouge{n}" for n in range(1, 10)} | {"rouge_l": "rougeL", "rouge_l_sum": "rougeLsum"}
_VALUE_KINDS = {"rouge_metric_value": "rouge", "bleu_metric_value": "bleu", "exact_match_metric_value": "exact_match"}


def _evaluation_config(config: dict) -> aiplatform_v1.EvaluationConfig:
    """`evaluation_config` for the job file's metrics, each asked for its AVERAGE over the
    validation examples (the one aggregation the tool reads)."""
    from google.cloud import aiplatform_v1

    average = [aiplatform_v1.Metric.AggregationMetric.AVERAGE]
    metrics = []
    for name in config["metrics"]:
        if name in _ROUGE_TYPES:
            metric = aiplatform_v1.Metric(rouge_spec=aiplatform_v1.RougeSpec(rouge_type=_ROUGE_TYPES[name]))
        elif name == "bleu":
            metric = aiplatform_v1.Metric(bleu_spec=aiplatform_v1.BleuSpec())
        else:
            metric = aiplatform_v1.Metric(exact_match_spec=aiplatform_v1.ExactMatchSpec())
        metric.aggregation_metrics = average
        metrics.append(metric)
    return aiplatform_v1.EvaluationConfig(
        metrics=metrics,
        output_config=aiplatform_v1.OutputConfig(
            gcs_destination=aiplatform_v1.GcsDestination(output_uri_prefix=config["output_uri_prefix"])))


def _metric_name(metric) -> str:
    """The job-file name of a GAPIC metric spec ("" for one a job file cannot name)."""
    spec = type(metric).pb(metric).WhichOneof("metric_spec")
    if spec == "rouge_spec":
        return next((name for name, kind in _ROUGE_TYPES.items() if kind == metric.rouge_spec.rouge_type), "")
    return {"bleu_spec": "bleu", "exact_match_spec": "exact_match"}.get(spec or "", "")


def _evaluation_scores(job: aiplatform_v1.TuningJob) -> dict[str, dict[str, float]]:
    """Per checkpoint id, each metric's AVERAGE score. A result names its value's kind, not
    its metric: the job asks for one metric of a kind (the job file's rule), so the kind
    tells the metric."""
    config = job.supervised_tuning_spec.evaluation_config
    metric_of_kind = {kind_of(name): name for name in map(_metric_name, config.metrics) if name}
    scores: dict[str, dict[str, float]] = {}
    for run in job.evaluate_dataset_runs:
        if run.error.code:
            continue
        found = scores.setdefault(run.checkpoint_id, {})
        for result in run.evaluate_dataset_response.aggregation_output.aggregation_results:
            if result.aggregation_metric.name not in ("AVERAGE", "AGGREGATION_METRIC_UNSPECIFIED"):
                continue
            kind = _VALUE_KINDS.get(type(result).pb(result).WhichOneof("aggregation_result") or "")
            if kind in metric_of_kind:
                found[metric_of_kind[kind]] = round(getattr(result, f"{kind}_metric_value").score, 6)
    return scores


def _checkpoints(job: aiplatform_v1.TuningJob) -> list[dict]:
    """The tuned model's checkpoints with their scores. Vertex lists them only for jobs with
    intermediate checkpoints; an evaluated checkpoint it does not list (the last one, with
    `export_last_checkpoint_only`) is the tuned model's default, at its endpoint."""
    scores = _evaluation_scores(job)
    default_endpoint = job.tuned_model.endpoint
    listed = [{"id": c.checkpoint_id, "epoch": int(c.epoch), "step": int(c.step), "endpoint": c.endpoint,
               "default": bool(default_endpoint) and c.endpoint == default_endpoint,
               "scores": scores.get(c.checkpoint_id, {})} for c in job.tuned_model.checkpoints]
    if listed and not any(c["default"] for c in listed):
        listed[-1]["default"] = True  # Vertex: the default checkpoint is the last one
    known = {c["id"] for c in listed}
    unlisted = [cid for cid in scores if cid not in known]
    listed += [{"id": cid, "epoch": 0, "step": 0, "endpoint": default_endpoint if not known else "",
                "default": not known and len(unlisted) == 1, "scores": scores[cid]} for cid in unlisted]
    return listed
