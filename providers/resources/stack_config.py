"""What the dynamic providers take from the stack's config when the host configures them.

The dynamic-provider host passes the stack's whole config to each provider's `configure`.
From it the providers learn whether the stack runs on the emulator, so that every Vertex
call refuses the wrong service even during a refresh, which runs before the program's
own checks; and the stack's id, for resources recorded before their inputs carried it.
Nothing is kept on the provider objects, which are pickled into the state.
"""

from __future__ import annotations

from typing import Any

from providers.gcp.clients import expect_emulator
from providers.gcp.ownership import Owner

_configured_stack_id = ""


def configure(config: Any) -> None:
    """Applies the stack's config (`pulumi.dynamic.Config`) to this provider process."""
    global _configured_stack_id
    expect_emulator(str(config.get("gemini-tuning:useEmulator")).lower() == "true", stack="")
    _configured_stack_id = config.get("gemini-tuning:stackId") or ""


def owner(props: dict[str, Any]) -> Owner:
    """The stack that owns a resource, from its recorded inputs (or the stack's config)."""
    return Owner(props["pulumi_project"], props["stack"], props.get("stack_id") or _configured_stack_id)
