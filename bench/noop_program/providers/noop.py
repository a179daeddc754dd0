"""A dynamic resource whose provider does nothing: the floor bench/preview.py measures against.

Its provider lives in an importable module, as the project's do, so the engine and the
provider host handle it the same way (pickled by module path, configured once per host).
`create` records the inputs as outputs; `read` is the SDK's default, which returns what the
state recorded without calling anything.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider


class NoopProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(props["noop_key"], props)


class Noop(Resource, module="bench", name="Noop"):
    noop_key: pulumi.Output[str]

    def __init__(self, name: str, inputs: dict[str, Any] | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__(NoopProvider(), name, {**(inputs or {}), "noop_key": name}, opts)
