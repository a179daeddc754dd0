"""Import path kept for stacks made by the first release.

Pulumi state holds each dynamic resource's provider pickled by reference to its class's
module; refresh and delete run that code. The provider now lives in
`providers.resources.serving_endpoint`.
"""

from providers.resources.serving_endpoint import ServingEndpointProvider

__all__ = ["ServingEndpointProvider"]
