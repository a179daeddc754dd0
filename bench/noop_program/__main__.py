"""The baseline program of bench/preview.py: no-op dynamic resources, laid out by layout.json.

    {"resources": N}
        N resources at the top level (issue 11's baseline)
    {"components": [[CHILD, ...], ...]}
        a component per entry with its children under it; a CHILD is
        {"name": NAME, "inputs": {KEY: VALUE, ...}, "depends": {KEY: SIBLING_NAME, ...}}
        (inputs and depends optional): input KEY of a `depends` entry is an output of the
        sibling created before it, as the project's TuningHistory takes its TuningJob's
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
    made: dict[str, Noop] = {}
    for child in children:
        inputs = {**child.get("inputs", {}),
                  **{key: made[sibling].noop_key for key, sibling in child.get("depends", {}).items()}}
        made[child["name"]] = Noop(child["name"], inputs, pulumi.ResourceOptions(parent=component))
    component.register_outputs({})
