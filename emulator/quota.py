"""Quota errors the way Google sends them: RESOURCE_EXHAUSTED with google.rpc error details.

A client has to tell three cases apart, and can by the details alone:

    reason RESOURCE_QUOTA_EXCEEDED, quota_limit_value > 0   concurrent tuning jobs: wait for a slot
    reason RESOURCE_QUOTA_EXCEEDED, quota_limit_value "0"   the project may not tune at all: fail
    reason RATE_LIMIT_EXCEEDED                              too many requests a minute: retry soon

Each error carries a `google.rpc.ErrorInfo` (domain googleapis.com; metadata
service, consumer `projects/NUMBER`, quota_metric, quota_limit,
quota_limit_value and, for regional limits, quota_location) and a
`google.rpc.QuotaFailure` violation, and its message follows Google's
"Quota exceeded for quota metric ..." form.

The metric and limit names are the emulator's assumption: Google documents the
limits (concurrent tuning jobs per project; job or LRO submissions, and
resource management requests, per minute per region) but not their metric
names.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.api import error_reason_pb2
from google.rpc import error_details_pb2

from emulator.errors import ResourceExhausted

__all__ = [
    "CONCURRENT_TUNING_JOBS",
    "JOB_SUBMISSION_RATE",
    "RESOURCE_MANAGEMENT_RATE",
    "SERVICE",
    "QuotaLimit",
    "quota_exceeded",
    "rate_limit_of",
]

SERVICE = "aiplatform.googleapis.com"
_DOMAIN = "googleapis.com"


@dataclass(frozen=True)
class QuotaLimit:
    """One quota: what it counts, its limit's id and title, and the ErrorInfo reason it fails with."""

    metric: str
    limit_id: str
    title: str
    reason: int
    """A `google.api.ErrorReason` value."""

    regional: bool


CONCURRENT_TUNING_JOBS = QuotaLimit(
    metric=f"{SERVICE}/concurrent_tuning_jobs",
    limit_id="ConcurrentTuningJobsPerProject",
    title="Concurrent tuning jobs per project",
    reason=error_reason_pb2.RESOURCE_QUOTA_EXCEEDED,
    regional=False,
)
JOB_SUBMISSION_RATE = QuotaLimit(
    metric=f"{SERVICE}/job_submission_requests_per_minute",
    limit_id="JobSubmissionRequestsPerMinutePerProjectPerRegion",
    title="Job or LRO submission requests per minute per region",
    reason=error_reason_pb2.RATE_LIMIT_EXCEEDED,
    regional=True,
)
RESOURCE_MANAGEMENT_RATE = QuotaLimit(
    metric=f"{SERVICE}/resource_management_requests_per_minute",
    limit_id="ResourceManagementRequestsPerMinutePerProjectPerRegion",
    title="Resource management (CRUD) requests per minute per region",
    reason=error_reason_pb2.RATE_LIMIT_EXCEEDED,
    regional=True,
)

# Methods that submit a job or start a long-running operation; every other call is resource management.
_SUBMITTING_METHODS = frozenset(
    {"CreateTuningJob", "CreateEndpoint", "DeployModel", "UndeployModel", "DeleteEndpoint", "DeleteModel"}
)


def rate_limit_of(method: str) -> tuple[QuotaLimit, int]:
    """The per-minute request quota calls of `method` (a short method name) count against, and its value."""
    # The values are the defaults Vertex AI documents: 60 submissions and 600 CRUD requests a minute.
    return (JOB_SUBMISSION_RATE, 60) if method in _SUBMITTING_METHODS else (RESOURCE_MANAGEMENT_RATE, 600)


def quota_exceeded(
    quota: QuotaLimit, project_number: str, limit_value: int, *, region: str = "", explanation: str = ""
) -> ResourceExhausted:
    """The RESOURCE_EXHAUSTED error of project `project_number` hitting `quota` at `limit_value`.

    `region` is named for regional quotas; `explanation` ends the message.
    """
    consumer = f"project_number:{project_number}"
    metadata = {
        "service": SERVICE,
        "consumer": f"projects/{project_number}",
        "quota_metric": quota.metric,
        "quota_limit": quota.limit_id,
        "quota_limit_value": str(limit_value),
    }
    dimensions = {}
    if quota.regional and region:
        metadata["quota_location"] = region
        dimensions["region"] = region
    info = error_details_pb2.ErrorInfo(
        reason=error_reason_pb2.ErrorReason.Name(quota.reason), domain=_DOMAIN, metadata=metadata
    )
    violation = error_details_pb2.QuotaFailure.Violation(
        subject=consumer,
        description=f"{quota.title}: limit {limit_value}.",
        api_service=SERVICE,
        quota_metric=quota.metric,
        quota_id=quota.limit_id,
        quota_dimensions=dimensions,
        quota_value=limit_value,
    )
    message = (
        f"Quota exceeded for quota metric '{quota.metric}' and limit '{quota.title}' of service "
        f"'{SERVICE}' for consumer '{consumer}'" + (f" in region {region}" if dimensions else "") + "."
    )
    return ResourceExhausted(
        f"{message} {explanation}".rstrip(),
        details=(info, error_details_pb2.QuotaFailure(violations=[violation])),
    )
