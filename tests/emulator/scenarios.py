"""Steps many tests share: finish an operation, tune a model, create an endpoint, deploy.

Everything goes through the unmodified GAPIC clients of a `LocalEmulator`.
"""

from __future__ import annotations

from typing import Any, Mapping

from google.api_core.future import polling
from google.api_core.operation import Operation
from google.cloud.aiplatform_v1 import DeployedModel, DeployModelRequest, Endpoint, TuningJob, UndeployModelRequest
from google.longrunning import operations_pb2

from tests.emulator.builders import PARENT, tuning_job
from tests.emulator.conftest import JOB_SECONDS, LocalEmulator

QUICK_POLLING = polling.DEFAULT_POLLING.with_delay(initial=0.005, maximum=0.05).with_timeout(10)
"""api_core's polling with short waits: its default waits a second before polling again."""


# Display names and labels of resources for the label-filter tests.
LABELLED = {
    "nlp-prod": {"team": "nlp", "env": "prod"},
    "nlp-dev": {"team": "nlp", "env": "dev"},
    "vision": {"team": "vision"},
}


def finish(operation: Operation) -> Any:
    """The result of `operation`, polled the way `Operation.result()` polls, raising its error."""
    return operation.result(polling=QUICK_POLLING)


def poll(local: LocalEmulator, operation: Operation) -> operations_pb2.Operation:
    """Ask GetOperation about `operation` once."""
    return local.operations.get_operation(name=operation.operation.name)


def tuned_job(local: LocalEmulator, **fields: Any) -> TuningJob:
    """A tuning job that has succeeded: its model is deployed to an endpoint of its own."""
    job = local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job(**fields))
    local.advance(JOB_SECONDS)
    return local.tuning.get_tuning_job(name=job.name)


def new_endpoint(local: LocalEmulator, parent: str = PARENT, **fields: Any) -> Endpoint:
    """A new, empty endpoint; keyword arguments are its fields."""
    fields.setdefault("display_name", "serving")
    return finish(local.endpoints.create_endpoint(parent=parent, endpoint=Endpoint(**fields)))


def start_deploy(
    local: LocalEmulator, endpoint: str, model: str, traffic_split: Mapping[str, int] | None = None, **fields: Any
) -> Operation:
    """Start deploying `model` to `endpoint`; keyword arguments are fields of the deployed model."""
    request = DeployModelRequest(
        endpoint=endpoint, deployed_model=DeployedModel(model=model, **fields), traffic_split=traffic_split or {}
    )
    return local.endpoints.deploy_model(request=request)


def deploy(
    local: LocalEmulator, endpoint: str, model: str, traffic_split: Mapping[str, int] | None = None, **fields: Any
) -> DeployedModel:
    """Deploy `model` to `endpoint` and wait until it is deployed."""
    return finish(start_deploy(local, endpoint, model, traffic_split, **fields)).deployed_model


def undeploy(
    local: LocalEmulator, endpoint: str, deployed_model_id: str, traffic_split: Mapping[str, int] | None = None
) -> None:
    """Undeploy a deployed model from `endpoint` and wait until it is gone."""
    request = UndeployModelRequest(
        endpoint=endpoint, deployed_model_id=deployed_model_id, traffic_split=traffic_split or {}
    )
    finish(local.endpoints.undeploy_model(request=request))


def deployed_ids(local: LocalEmulator, endpoint: str) -> list[str]:
    """The ids of the models deployed to `endpoint`, in the order they were deployed."""
    return [deployed.id for deployed in local.endpoints.get_endpoint(name=endpoint).deployed_models]
