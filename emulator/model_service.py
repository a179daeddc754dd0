"""google.cloud.aiplatform.v1.ModelService: the models that tuning jobs register.

Served: GetModel. Further methods (ListModels, DeleteModel as an LRO, ...) go
into `ModelService` and `method_handlers` below; everything else answers
UNIMPLEMENTED.
"""

from __future__ import annotations

import grpc
from google.cloud.aiplatform_v1 import GetModelRequest, Model

from emulator import names, rpc
from emulator.errors import NotFound
from emulator.world import World

__all__ = ["SERVICE_NAME", "ModelService", "method_handlers"]

SERVICE_NAME = "google.cloud.aiplatform.v1.ModelService"


class ModelService:
    """The behaviour of the model methods."""

    def __init__(self, world: World) -> None:
        self._world = world

    def get_model(self, request: GetModelRequest) -> Model:
        """A model by name; `.../models/M@VERSION` also accepts a version id or alias."""
        wanted = names.parse_model_name(request.name)
        with self._world.transaction() as txn:
            model = txn.state.models.get(wanted.name)
        if model is None:
            raise NotFound(f"Model {wanted.name} does not exist.")
        if wanted.version is not None and wanted.version not in (model.version_id, *model.version_aliases):
            raise NotFound(f"Model {wanted.name} has no version {wanted.version!r}.")
        return model


def method_handlers(world: World) -> dict[str, grpc.RpcMethodHandler]:
    service = ModelService(world)
    return {
        "GetModel": rpc.unary_unary(service.get_model, GetModelRequest, Model),
    }
