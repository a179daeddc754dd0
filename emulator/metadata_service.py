"""google.cloud.aiplatform.v1.MetadataService: the experiments of tuning jobs.

Served: GetContext, for the contexts that tuning jobs name in `experiment` (see
`emulator.experiments`); any other context is NOT_FOUND. Every other method of the
service (metadata stores, artifacts, executions, lineage, ...) answers UNIMPLEMENTED.
"""

from __future__ import annotations

import re

import grpc
from google.cloud.aiplatform_v1 import Context, GetContextRequest

from emulator import rpc
from emulator.errors import InvalidArgument, NotFound
from emulator.experiments import experiment_context
from emulator.world import World

__all__ = ["SERVICE_NAME", "MetadataService", "method_handlers"]

SERVICE_NAME = "google.cloud.aiplatform.v1.MetadataService"
_CONTEXT = re.compile(r"projects/[^/]+/locations/[^/]+/metadataStores/[^/]+/contexts/[^/]+")


class MetadataService:
    """The behaviour of the metadata methods."""

    def __init__(self, world: World) -> None:
        self._world = world
        self._projects = world.settings.projects

    def get_context(self, request: GetContextRequest) -> Context:
        request = self._projects.canonical(request, "name")
        if _CONTEXT.fullmatch(request.name) is None:
            raise InvalidArgument(
                "name must look like projects/PROJECT/locations/LOCATION/metadataStores/STORE/contexts/ID, "
                f"got {request.name!r}."
            )
        with self._world.transaction() as txn:
            job = next((job for job in txn.state.tuning_jobs.values() if job.experiment == request.name), None)
        if job is None:
            raise NotFound(f"Context {request.name} does not exist.")
        return experiment_context(job)


def method_handlers(world: World) -> dict[str, grpc.RpcMethodHandler]:
    service = MetadataService(world)
    return {"GetContext": rpc.unary_unary(service.get_context, GetContextRequest, Context)}
