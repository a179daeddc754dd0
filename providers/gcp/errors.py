"""The project's own errors for talking to Google Cloud, classified by what helps next.

    VertexError                 status (gRPC code name), Google's message, and advice
     ├── NotFoundError          the named job, model, endpoint or object does not exist
     ├── AlreadyExistsError     ALREADY_EXISTS: the name asked for is taken
     ├── TransientError         UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, ABORTED or a rate
     │    │                     limit: retried with backoff within the call's time budget
     │    └── OutOfTimeError    the budget ran out before Vertex answered
     ├── QuotaFullError         the concurrent tuning-job quota is full: wait for a slot
     ├── QuotaError             any other exhausted quota (e.g. a project with none): ask for more
     ├── InvalidRequestError    INVALID_ARGUMENT / FAILED_PRECONDITION: fix the request
     ├── AccessError            PERMISSION_DENIED / UNAUTHENTICATED: grant a role, or sign in
     ├── WrongServiceError      the emulator for a real stack, or Google for an emulator stack
     └── PermanentError         anything else

`providers.gcp` raises only these, mapped from `google.api_core` errors by `from_google`
(with `raise ... from exc`, so the cause stays attached). How RESOURCE_EXHAUSTED divides
into rate limits, a full concurrent-job quota and other quotas: Google attaches a
`google.rpc.ErrorInfo` (reason RATE_LIMIT_EXCEEDED or RESOURCE_QUOTA_EXCEEDED, metadata
quota_metric and quota_limit_value); Vertex does not document the tuning quota's metric,
so a metric or message that speaks of concurrent tuning jobs counts as that quota.
"""

from __future__ import annotations

from google.api_core import exceptions as core_exceptions


class VertexError(Exception):
    """A call to Google Cloud did not succeed."""

    advice = "see the message; run `pulumi up` again once it is resolved"

    def __init__(self, message: str, status: str = ""):
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return f"{self.status}: {self.message}" if self.status else self.message


class NotFoundError(VertexError):
    advice = "it was deleted outside this tool"


class AlreadyExistsError(VertexError):
    pass


class TransientError(VertexError):
    advice = "Vertex AI did not answer in time; run `pulumi up` again"


class OutOfTimeError(TransientError):
    advice = "the next `pulumi up` carries on"


class QuotaFullError(VertexError):
    advice = "the job waits for a free slot; a later `pulumi up` submits it"


class QuotaError(VertexError):
    advice = "ask for more Vertex AI tuning quota for the project (Quotas page of the console)"


class InvalidRequestError(VertexError):
    advice = "fix the job file (or the stack's settings) and run `pulumi up` again"


class AccessError(VertexError):
    advice = ("grant the identity running Pulumi roles/aiplatform.user on the project "
              "(and actAs on the job's service account), or sign in: gcloud auth application-default login")


class WrongServiceError(VertexError):
    advice = "nothing was called"


class PermanentError(VertexError):
    pass


_TRANSIENT = (core_exceptions.ServiceUnavailable, core_exceptions.DeadlineExceeded,
              core_exceptions.InternalServerError, core_exceptions.Aborted)
_INVALID = (core_exceptions.InvalidArgument, core_exceptions.FailedPrecondition,
            core_exceptions.BadRequest, core_exceptions.OutOfRange)
_CREDENTIALS_FAILED = "Getting metadata from plugin failed"
_ACCESS = (core_exceptions.PermissionDenied, core_exceptions.Unauthenticated,
           core_exceptions.Unauthorized, core_exceptions.Forbidden)


def from_google(exc: core_exceptions.GoogleAPICallError) -> VertexError:
    """The project's error for a `google.api_core` error."""
    message = exc.message or str(exc)
    status = _status_name(exc)
    if isinstance(exc, core_exceptions.NotFound):
        return NotFoundError(message, status)
    if isinstance(exc, core_exceptions.AlreadyExists):
        return AlreadyExistsError(message, status)
    if isinstance(exc, (core_exceptions.ResourceExhausted, core_exceptions.TooManyRequests)):
        return _quota_error(exc)(message, status)
    if isinstance(exc, _TRANSIENT):
        if _CREDENTIALS_FAILED in message:
            # gRPC reports a credentials plugin that could not get a token as UNAVAILABLE.
            return AccessError(message, "UNAUTHENTICATED")
        return TransientError(message, status)
    if isinstance(exc, _INVALID):
        return InvalidRequestError(message, status)
    if isinstance(exc, _ACCESS):
        return AccessError(message, status)
    return PermanentError(message, status)


def is_transient(exc: Exception) -> bool:
    """Whether a `google.api_core` error is worth retrying (rate limits included)."""
    return isinstance(exc, core_exceptions.GoogleAPICallError) and issubclass(
        type(from_google(exc)), TransientError)


def _quota_error(exc: core_exceptions.GoogleAPICallError) -> type[VertexError]:
    if exc.reason == "RATE_LIMIT_EXCEEDED":
        return TransientError
    metadata = exc.metadata or {}
    described = f"{metadata.get('quota_metric', '')} {exc.message}".lower().replace("_", " ")
    if "concurrent" in described and "tuning" in described and metadata.get("quota_limit_value") != "0":
        return QuotaFullError
    return QuotaError


def _status_name(exc: core_exceptions.GoogleAPICallError) -> str:
    code = exc.grpc_status_code
    return code.name if code is not None else type(exc).__name__
