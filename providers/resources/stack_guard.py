"""The stack's identity settings, guarded: a change of GCP project or default region is refused.

Every job's resources are named and identified by the project and region they run in, so a
changed `gcp:project`, or a changed `gcp:region` for jobs that name no regions, would
cancel every running job and submit it again elsewhere, and retire its endpoints. A setting
changed by accident (another laptop's config, a copied stack file) must not do that: the
`StackGuard` records both, and its `check` refuses a change unless the user names the new
value (`gemini-tuning:allowProjectChange`, `gemini-tuning:allowRegionChange`). Every other
resource of the stack depends on it, so a refused change stops the run before anything.

A stack whose state has no guard yet (made by the first release) gets one on its first run
after the upgrade, recording whatever the config says then. So each tuning job also applies
the project's rule in its own `check`, against the project its own state records
(`refused_moves`): a project that changed with the upgrade is refused there, before any job
is cancelled or submitted. A default region that changed with that same run is not caught:
a job's region is part of its resource's name, so a job in a new region is a new resource
with no state to compare with (README: run one `pulumi up` after the upgrade first).
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

_GUARDED = (
    ("project", "gcp:project", "allow_project_change", "gemini-tuning:allowProjectChange"),
    ("default_region", "gcp:region", "allow_region_change", "gemini-tuning:allowRegionChange"),
)


class StackGuardProvider(ResourceProvider):
    """Refuses a change of the guarded settings unless allowed; calls nothing."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, [CheckFailure(key, message) for key, message in refused_changes(olds, news)])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=any(olds.get(key) != news.get(key) for key, *_ in _GUARDED),
                          replaces=[], stables=[])

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"{props['stack']}/guard", props)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(news)


def refused_changes(olds: dict[str, Any], news: dict[str, Any]) -> list[tuple[str, str]]:
    """(input, message) for each guarded setting that changed without being allowed."""
    refused = []
    for key, setting, allow_key, allow_setting in _GUARDED:
        old, new = olds.get(key), news.get(key)
        if old and old != new and news.get(allow_key) != new:
            refused.append((key, (
                f"the stack's {setting} changed from {old!r} to {new!r}. Every job that runs there "
                f"would be cancelled and submitted again in {new!r}, and endpoints whose job file "
                f"says deletionPolicy: delete removed. If that is meant, run "
                f"`pulumi config set {allow_setting} {new}`; otherwise set {setting} back to {old!r}")))
    return refused


def refused_moves(olds: dict[str, Any], news: dict[str, Any]) -> list[tuple[str, str]]:
    """`refused_changes` of the project for one resource, from its recorded inputs and its new
    ones (plus the allowances, see `StackGuard.allowances`)."""
    def project_only(props: dict[str, Any]) -> dict[str, Any]:
        return {key: props.get(key) for key in ("project", "allow_project_change")}

    return refused_changes(project_only(olds), project_only(news))


class StackGuard(Resource, module="gemini-tuning", name="StackGuard"):
    """The stack's guarded settings (see the module docstring)."""

    allowances: dict[str, str]
    """The changes the user allowed, for the resources that check their own moves (`refused_moves`)."""

    def __init__(self, stack: str, *, project: str, default_region: str, allow_project_change: str,
                 allow_region_change: str, opts: pulumi.ResourceOptions | None = None):
        self.allowances = {"allow_project_change": allow_project_change, "allow_region_change": allow_region_change}
        props = {"stack": stack, "project": project, "default_region": default_region, **self.allowances}
        super().__init__(StackGuardProvider(), "stack-settings", props, opts)
