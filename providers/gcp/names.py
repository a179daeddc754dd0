"""Vertex resource names: which two name one resource.

Vertex names resources with the project *number* (`projects/123456789012/locations/...`)
even when the request named the project id, and names recorded by earlier runs (or by
the emulator before it used numbers) may hold either form. Everything that compares
resource names compares what follows the project.
"""

from __future__ import annotations


def same_resource(a: str, b: str) -> bool:
    """Whether two resource names name one resource, whichever form names the project."""
    return bool(a) and bool(b) and after_project(a) == after_project(b)


def after_project(name: str) -> str:
    """`projects/P/locations/L/models/M@1` -> `locations/L/models/M@1`."""
    if name.startswith("projects/") and name.count("/") >= 2:
        return name.split("/", 2)[2]
    return name
