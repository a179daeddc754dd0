"""The project's own errors for talking to Vertex AI, classified by whether a retry helps.

    VertexError
     ├── NotFoundError        the named job, model or endpoint does not exist
     ├── QuotaExceededError   RESOURCE_EXHAUSTED: wait for a free slot; not a failure
     ├── TransientError       UNAVAILABLE / DEADLINE_EXCEEDED after bounded retries
     ├── InvalidRequestError  INVALID_ARGUMENT / FAILED_PRECONDITION: fix the request
     └── PermanentError       anything else (permissions, authentication, ...)

Only `providers.vertex` raises these, mapped from `google.api_core` errors with
`raise ... from exc`, so the cause stays attached.
"""


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
