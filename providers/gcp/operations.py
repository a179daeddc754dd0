"""Long-running Vertex operations within a provider call's time budget.

A provider call must finish well inside Pulumi's ~180 s plugin-call limit, while Vertex
operations (deploy, undeploy) can take longer. So an operation is started, polled until
the call's deadline, and if still running its name goes into the resource's outputs;
the next `pulumi up` picks it up where this one stopped.
"""

from __future__ import annotations

import time

from providers.gcp.vertex import VertexClient

CALL_BUDGET_SECONDS = 60.0
_FIRST_POLL, _LONGEST_POLL = 0.2, 5.0


class OperationFailed(Exception):
    """A long-running operation ended with an error; the message is Vertex's."""


def deadline_after(seconds: float = CALL_BUDGET_SECONDS) -> float:
    return time.monotonic() + seconds


def finished(vertex: VertexClient, operation: str, deadline: float) -> bool:
    """Polls `operation` until done (True) or the deadline passes (False); raises if it failed."""
    pause = _FIRST_POLL
    while True:
        state = vertex.get_operation(operation)
        if state.done:
            if state.error:
                raise OperationFailed(f"{operation}: {state.error}")
            return True
        if time.monotonic() + pause > deadline:
            return False
        time.sleep(pause)  # backoff between polls of a remote operation
        pause = min(pause * 2, _LONGEST_POLL)
