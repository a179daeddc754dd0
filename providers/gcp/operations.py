"""Following long-running Vertex operations within a provider call's budget.

Operations (create endpoint, deploy, undeploy, delete) can take longer than a provider
call may. So an operation is started, polled while the call's budget lasts, and if still
running its name goes into the resource's outputs; the next `pulumi up` polls it again
and never starts it twice.
"""

from __future__ import annotations

from providers.gcp.budget import backoff
from providers.gcp.errors import VertexError
from providers.gcp.vertex import VertexClient

_FIRST_POLL, _LONGEST_POLL = 0.2, 5.0


class OperationFailed(VertexError):
    """A long-running operation ended with an error: Vertex's status and message, and the
    advice a call answering the same would get."""

    def __init__(self, operation: str, error: VertexError):
        super().__init__(error.message, error.status)
        self.operation = operation
        self.advice = error.advice


def finished(vertex: VertexClient, operation: str) -> bool:
    """Polls `operation` until done (True) or the budget runs out (False); raises if it failed."""
    pauses = backoff(_FIRST_POLL, _LONGEST_POLL)
    while True:
        state = vertex.get_operation(operation)
        if state.done:
            if state.error is not None:
                raise OperationFailed(operation, state.error)
            return True
        if not vertex.budget.pause(next(pauses)):
            return False
