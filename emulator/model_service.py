"""google.cloud.aiplatform.v1.ModelService: the models that tuning jobs register.

Served: GetModel, ListModels, ListModelVersions and DeleteModel. A model has
versions (see `emulator.model_registry`): GetModel takes `M@VERSION`, ListModels
lists each model's default version, ListModelVersions every version of one
model. DeleteModel is a long-running operation (see `emulator.operations`) that
removes every version and fails while an endpoint serves any of them; what it
changes is in `emulator.deployments`. Everything else (uploads, deleting one
version, evaluations, ...) answers UNIMPLEMENTED.
"""

from __future__ import annotations

import grpc
from google.cloud.aiplatform_v1 import (
    DeleteModelRequest,
    GetModelRequest,
    ListModelsRequest,
    ListModelsResponse,
    ListModelVersionsRequest,
    ListModelVersionsResponse,
    Model,
)
from google.longrunning import operations_pb2

from emulator import model_registry, names, rpc
from emulator.deployments import DELETE_MODEL, existing_model
from emulator.errors import InvalidArgument, NotFound
from emulator.filters import LabelFilter
from emulator.listing import list_page
from emulator.paging import SortKey, paginate
from emulator.world import World

__all__ = ["SERVICE_NAME", "ModelService", "method_handlers"]

SERVICE_NAME = "google.cloud.aiplatform.v1.ModelService"
_COLLECTION = "models"


class ModelService:
    """The behaviour of the model methods."""

    def __init__(self, world: World) -> None:
        self._world = world
        self._projects = world.settings.projects

    def get_model(self, request: GetModelRequest) -> Model:
        """A model by name; `.../models/M@VERSION` also accepts a version id or alias."""
        request = self._projects.canonical(request, "name")
        names.parse_model_name(request.name)
        with self._world.transaction() as txn:
            return existing_model(txn.state, request.name)

    def list_models(self, request: ListModelsRequest) -> ListModelsResponse:
        """The parent's models (each by its default version) matching the filter, oldest first."""
        request = self._projects.canonical(request, "parent")
        with self._world.transaction() as txn:
            page = list_page(model_registry.default_versions(txn.state), request, _COLLECTION,
                             label_filters_find_nothing=txn.settings.label_filters_find_nothing)
        return ListModelsResponse(models=page.items, next_page_token=page.next_page_token)

    def list_model_versions(self, request: ListModelVersionsRequest) -> ListModelVersionsResponse:
        """Every version of one model whose labels match the filter, oldest first."""
        request = self._projects.canonical(request, "name")
        wanted = names.parse_model_name(request.name)
        if wanted.version is not None:
            raise InvalidArgument(f"name must name a model without a version, got {request.name!r}.")
        for field in ("order_by", "read_mask"):
            if field in request:
                raise InvalidArgument(f"{field} is not supported by the emulator; leave it unset.")
        label_filter = LabelFilter.parse(request.filter, find_nothing=self._world.settings.label_filters_find_nothing)
        with self._world.transaction() as txn:
            every = model_registry.versions(txn.state, wanted.name)
        if not every:
            raise NotFound(f"Model {wanted.name} does not exist.")
        page = paginate(
            [model for model in every if label_filter.matches(model.labels)],
            _version_order,
            page_size=request.page_size,
            page_token=request.page_token,
            query=f"{request.name}\n{request.filter}",
        )
        return ListModelVersionsResponse(models=page.items, next_page_token=page.next_page_token)

    def delete_model(self, request: DeleteModelRequest) -> operations_pb2.Operation:
        """Start deleting a model with all its versions; it must not be deployed."""
        request = self._projects.canonical(request, "name")
        if names.parse_model_name(request.name).version is not None:
            raise InvalidArgument(
                f"DeleteModel takes a model name without a version, got {request.name!r}; "
                "deleting one version (DeleteModelVersion) is not supported by the emulator."
            )
        with self._world.transaction() as txn:
            return txn.start_operation(DELETE_MODEL, request.name, request)


def method_handlers(world: World) -> dict[str, grpc.RpcMethodHandler]:
    service = ModelService(world)
    return {
        "GetModel": rpc.unary_unary(service.get_model, GetModelRequest, Model),
        "ListModels": rpc.unary_unary(service.list_models, ListModelsRequest, ListModelsResponse),
        "ListModelVersions": rpc.unary_unary(
            service.list_model_versions, ListModelVersionsRequest, ListModelVersionsResponse
        ),
        "DeleteModel": rpc.unary_unary(service.delete_model, DeleteModelRequest, operations_pb2.Operation),
    }


def _version_order(model: Model) -> SortKey:
    return (int(model.version_id),)
