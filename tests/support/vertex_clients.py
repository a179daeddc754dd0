"""Unmodified google-cloud-aiplatform v1 clients on a plaintext gRPC channel.

This is the seam the emulator is reached through: the real GAPIC clients with
a transport built on `grpc.insecure_channel`, so no credentials are consulted.
"""

from __future__ import annotations

import grpc
from google.api_core.operations_v1 import OperationsClient
from google.cloud.aiplatform_v1 import EndpointServiceClient, GenAiTuningServiceClient, ModelServiceClient
from google.cloud.aiplatform_v1.services.endpoint_service.transports import EndpointServiceGrpcTransport
from google.cloud.aiplatform_v1.services.gen_ai_tuning_service.transports import GenAiTuningServiceGrpcTransport
from google.cloud.aiplatform_v1.services.model_service.transports import ModelServiceGrpcTransport

__all__ = ["endpoint_client", "model_client", "operations_client", "tuning_client"]


def tuning_client(channel: grpc.Channel) -> GenAiTuningServiceClient:
    return GenAiTuningServiceClient(transport=GenAiTuningServiceGrpcTransport(channel=channel))


def model_client(channel: grpc.Channel) -> ModelServiceClient:
    return ModelServiceClient(transport=ModelServiceGrpcTransport(channel=channel))


def endpoint_client(channel: grpc.Channel) -> EndpointServiceClient:
    return EndpointServiceClient(transport=EndpointServiceGrpcTransport(channel=channel))


def operations_client(channel: grpc.Channel) -> OperationsClient:
    return OperationsClient(channel)
