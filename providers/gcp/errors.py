"""The project's own errors for talking to Vertex AI, classified by whether a retry helps.

    VertexError
     ├── NotFoundError        the named job, model or endpoint does not exist
     ├── QuotaExceededError   RESOURCE_EXHAUSTED: wait for a free slot; not a failure
     ├── TransientError       UNAVAILABLE / DEADLINE_EXCEEDED after bounded retries
     ├── InvalidRequestError  INVALID_ARGUMENT / FAILED_PRECONDITION: fix the request
     └── PermanentError       anything else (permissions, authentication, ...)

`providers.gcp.vertex` and `providers.gcp.storage` raise these, mapped from `google.api_core`
errors by `from_google` with `raise ... from exc`, so the cause stays attached.
"""

from google.api_core import exceptions as core_exceptions


class VertexError(Exception):
    """Base class: a call to Vertex AI did not succeed."""


class NotFoundError(VertexError):
    pass


class QuotaExceededError(VertexError):
    pass


class TransientError(VertexError):
    pass


class InvalidRequestError(VertexError):
    pass


class PermanentError(VertexError):
    pass


def from_google(exc: core_exceptions.GoogleAPICallError) -> VertexError:
    """The project's error for a `google.api_core` error."""
    message = exc.message or str(exc)
    if isinstance(exc, core_exceptions.NotFound):
        return NotFoundError(message)
    if isinstance(exc, (core_exceptions.ResourceExhausted, core_exceptions.TooManyRequests)):
        return QuotaExceededError(message)
    if isinstance(exc, (core_exceptions.ServiceUnavailable, core_exceptions.DeadlineExceeded)):
        return TransientError(message)
    if isinstance(exc, (core_exceptions.InvalidArgument, core_exceptions.FailedPrecondition,
                        core_exceptions.BadRequest)):
        return InvalidRequestError(message)
    return PermanentError(f"{type(exc).__name__}: {message}")
