"""The baseline program of bench/preview.py: no-op dynamic resources, laid out by layout.json.

    {"resources": N}            N resources at the top level (issue 11's baseline)
    {"components": [k, ...]}    a component per entry with k resources under it, the same
                                graph the project registers for the same job files
"""

import json
from pathlib import Path

import pulumi

from providers.noop import Noop

layout = json.loads(Path("layout.json").read_text())
for index in range(layout.get("resources", 0)):
    Noop(f"noop-{index}")
for index, children in enumerate(layout.get("components", [])):
    component = pulumi.ComponentResource("bench:index:Job", f"job-{index}")
    for child in range(children):
        Noop(f"job-{index}-{child}", pulumi.ResourceOptions(parent=component))
    component.register_outputs({})
