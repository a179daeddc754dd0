"""A dynamic resource whose provider does nothing: the floor bench/preview.py measures against.

Its provider lives in an importable module, as the project's do, so the engine and the
provider host handle it the same way (pickled by module path, configured once per host).
`read` is the SDK's default: it returns what the state recorded, without calling anything.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider


class NoopProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(props["key"], props)


class Noop(Resource, module="bench", name="Noop"):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__(NoopProvider(), name, {"key": name}, opts)
