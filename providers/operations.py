"""Long-running Vertex operations within a provider call's time budget.

A provider call must finish well inside Pulumi's ~180 s plugin-call limit, while Vertex
operations (deploy, undeploy) can take longer. So an operation is started, polled until
the call's deadline, and if still running its name goes into the resource's outputs;
the next `pulumi up` picks it up where this one stopped.
"""

from __future__ import annotations

import time

from providers.errors import InvalidRequestError, NotFoundError
from providers.vertex import VertexClient

CALL_BUDGET_SECONDS = 60.0
_FIRST_POLL, _LONGEST_POLL = 0.2, 5.0


class OperationFailed(Exception):
    pass


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


def empty_and_delete_endpoint(vertex: VertexClient, endpoint: str, deadline: float) -> bool:
    """Undeploys every model from `endpoint`, then deletes it. False if time ran out first."""
    try:
        view = vertex.get_endpoint(endpoint)
    except NotFoundError:
        return True
    remaining = dict(view.traffic_split)
    for deployed_id in list(view.deployed_models):
        remaining.pop(deployed_id, None)
        split = _rebalanced(remaining)
        try:
            operation = vertex.undeploy_model(endpoint, deployed_id, split)
        except NotFoundError:
            continue
        except InvalidRequestError:
            # Most likely an undeploy of an earlier run is still under way.
            return False
        if not finished(vertex, operation, deadline):
            return False
    try:
        return finished(vertex, vertex.delete_endpoint(endpoint), deadline)
    except NotFoundError:
        return True
    except InvalidRequestError:
        return False


def _rebalanced(split: dict[str, int]) -> dict[str, int]:
    """Gives the traffic of removed models to the one with the most, keeping a sum of 100."""
    if not split:
        return {}
    top = max(split, key=split.get)
    return {**split, top: split[top] + 100 - sum(split.values())}


