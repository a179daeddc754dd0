"""Emptying and deleting an endpoint: shared by the tuning-history and serving-endpoint providers.

Undeploying a model moves its traffic to the models that stay (`traffic.split_without`);
once empty, the endpoint is deleted. Each step is a long-running operation polled within
the call's budget; what is left is done by the next `pulumi up`. Vertex's refusals
(FAILED_PRECONDITION, PERMISSION_DENIED, ...) propagate with its message: they are not
"still running", and saying so would hide them forever.
"""

from __future__ import annotations

from providers.gcp.errors import NotFoundError
from providers.gcp.operations import finished
from providers.gcp.vertex import VertexClient
from providers.resources.traffic import split_without


def empty_and_delete_endpoint(vertex: VertexClient, endpoint: str) -> bool:
    """Undeploys every model from `endpoint`, then deletes it. False if time ran out first."""
    try:
        view = vertex.get_endpoint(endpoint)
    except NotFoundError:
        return True
    split = dict(view.traffic_split)
    for deployed_id in list(view.deployed_models):
        split = split_without(split, deployed_id)
        try:
            operation = vertex.undeploy_model(endpoint, deployed_id, split)
        except NotFoundError:
            continue
        # No operation: an earlier attempt of the call undeployed it.
        if operation and not finished(vertex, operation):
            return False
    try:
        operation = vertex.delete_endpoint(endpoint)
    except NotFoundError:
        return True
    return not operation or finished(vertex, operation)
