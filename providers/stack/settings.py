"""One stack's settings: its identity, which GCP project and region, the data set bucket, the guards.

Read from the stack's own Pulumi config (`Pulumi.<stack>.yaml`) by the program, never from
environment variables: the project and region are part of each job's identity, so the
same stack run from a laptop and from CI must see the same ones. `problems()` says what is
wrong with them, naming the stack file and the setting, so a bad setting stops the run
before anything is submitted.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from providers.gcp.clients import emulator_mismatch
from providers.jobfile.catalogue import tool_catalogue
from providers.jobfile.labels import LABEL_VALUE
from providers.jobfile.problems import Problem
from providers.webhooks.post import url_problem

CONFIG_NAMESPACE = "gemini-tuning"
STACK_ID_KEY = f"{CONFIG_NAMESPACE}:stackId"
BUDGET_KEY = f"{CONFIG_NAMESPACE}:maxEstimatedCost"
NOTIFY_KEY = f"{CONFIG_NAMESPACE}:notify"
PLAN_VARIABLE = "GEMINI_TUNING_PLAN"
"""Set by `python -m providers plan` for its preview: the program then plans the valid job
files around broken ones (the plan reports those) instead of stopping. Never in an update."""
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]")
STACK_FILE = re.compile(r"Pulumi\.(?P<stack>[^.]+)\.ya?ml")
"""A stack's settings file in the project folder."""


@dataclass(frozen=True)
class StackSettings:
    """What the program needs to know about the stack it runs for."""

    pulumi_project: str
    stack: str
    stack_id: str
    """The stack's own random id (gemini-tuning:stackId): every resource it creates carries it."""
    gcp_project: str
    default_region: str
    """The stack's gcp:region: where jobs that name no regions run ("" if unset)."""
    dataset_bucket: str
    """Bucket that local data sets are uploaded to ("" if unset)."""
    protect_serving_endpoints: bool
    jobs_dir: Path
    use_emulator: bool
    allow_project_change: str = ""
    """The project the user allowed the stack's jobs to move to (gemini-tuning:allowProjectChange)."""
    allow_region_change: str = ""
    """The default region the user allowed jobs without regions to move to (allowRegionChange)."""
    max_estimated_cost: str = ""
    """gemini-tuning:maxEstimatedCost as written: US dollars the new submissions of one run
    may be estimated at ("" when unset); `budget` reads it."""
    notify: str = field(default="", repr=False)
    """gemini-tuning:notify as written: a JSON list of webhook URLs (or one URL). A secret:
    never printed; `webhooks` reads it."""
    notify_is_secret: bool = True
    """Whether gemini-tuning:notify is stored encrypted (`pulumi config set --secret`)."""

    @property
    def budget(self) -> float | None:
        """gemini-tuning:maxEstimatedCost in US dollars; None when unset or not a number."""
        try:
            value = float(self.max_estimated_cost)
        except ValueError:
            return None
        return value if math.isfinite(value) and value > 0 else None

    @property
    def webhooks(self) -> tuple[str, ...]:
        """The webhook URLs of gemini-tuning:notify (a secret: never print them)."""
        text = self.notify.strip()
        if not text:
            return ()
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        if isinstance(value, str):
            value = [value]
        return tuple(value) if isinstance(value, list) else (value,)

    @property
    def stack_file(self) -> str:
        return f"Pulumi.{self.stack}.yaml"

    def problems(self) -> list[Problem]:
        """Every setting that stops the stack from running, each naming its setting."""
        problems = []
        if not self.stack_id:
            problems.append(self._problem(
                STACK_ID_KEY,
                "the stack has no id of its own, which every Vertex resource it creates carries "
                "so that no other stack adopts or deletes them; run "
                f"`pulumi config set {STACK_ID_KEY} {new_stack_id()}` and commit {self.stack_file}"))
        elif not (LABEL_VALUE.match(self.stack_id) and 8 <= len(self.stack_id)):
            problems.append(self._problem(
                STACK_ID_KEY,
                f"{self.stack_id!r} is not a stack id: use 8 to 63 lowercase letters, digits, '_' "
                f"or '-', for example `pulumi config set {STACK_ID_KEY} {new_stack_id()}`"))
        if not self.gcp_project:
            problems.append(self._problem(
                "gcp:project", "no GCP project: run `pulumi config set gcp:project PROJECT_ID` "
                "(environment variables are not used for it: the project is part of each job's identity)"))
        problems.extend(self._emulator_problems())
        if self.default_region and self.default_region not in tool_catalogue().known_regions():
            problems.append(self._problem(
                "gcp:region", f"{self.default_region!r} is not a Vertex AI tuning region"))
        if self.max_estimated_cost and self.budget is None:
            problems.append(self._problem(
                BUDGET_KEY, f"{self.max_estimated_cost!r} is not an amount: write US dollars above 0, e.g. "
                            f"`pulumi config set {BUDGET_KEY} 250`"))
        problems.extend(self._notify_problems())
        if self.dataset_bucket and not _BUCKET_NAME.fullmatch(self.dataset_bucket):
            problems.append(self._problem(
                f"{CONFIG_NAMESPACE}:datasetBucket",
                f"{self.dataset_bucket!r} is not a bucket name (write the name alone, without gs://)"))
        return problems

    def _notify_problems(self) -> list[Problem]:
        """What is wrong with gemini-tuning:notify, never repeating a URL."""
        if not self.notify.strip():
            return []
        if not self.notify_is_secret:
            return [self._problem(NOTIFY_KEY, (
                f"is stored in clear in {self.stack_file}, and a webhook's URL lets whoever reads it post to "
                f"the channel: replace the webhooks and set them as a secret, `pulumi config set --secret "
                f"{NOTIFY_KEY} '[\"https://...\"]'`"))]
        return [self._problem(NOTIFY_KEY, f"entry {index + 1} {wrong}")
                for index, url in enumerate(self.webhooks) if (wrong := url_problem(url))]

    def _emulator_problems(self) -> list[Problem]:
        problem = emulator_mismatch(self.use_emulator, self.stack)
        return [self._problem(f"{CONFIG_NAMESPACE}:useEmulator", problem)] if problem else []

    def _problem(self, setting: str, message: str) -> Problem:
        return Problem(self.stack_file, setting, message)


def new_stack_id() -> str:
    """A fresh random stack id: 12 lowercase hexadecimal digits, a valid label value."""
    return secrets.token_hex(6)


def known_stacks(root: Path) -> list[str]:
    """The stacks this project has a `Pulumi.<stack>.yaml` for."""
    return sorted(match["stack"] for path in root.iterdir()
                  if (match := STACK_FILE.fullmatch(path.name)))


def stack_config(root: Path, stack: str) -> dict:
    """The `config:` of a stack's settings file, as committed (secrets stay encrypted)."""
    for suffix in ("yaml", "yml"):
        path = root / f"Pulumi.{stack}.{suffix}"
        if path.exists():
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            return data.get("config") or {}
    return {}


def from_pulumi_config() -> StackSettings:
    """The settings of the stack the Pulumi program runs for, from its own config only."""
    import pulumi
    from pulumi.runtime.config import get_config, is_config_secret

    config = pulumi.Config(CONFIG_NAMESPACE)
    gcp = pulumi.Config("gcp")
    return StackSettings(
        pulumi_project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        stack_id=config.get("stackId") or "",
        gcp_project=gcp.get("project") or "",
        default_region=gcp.get("region") or "",
        dataset_bucket=config.get("datasetBucket") or "",
        protect_serving_endpoints=config.get_bool("protectServingEndpoints") or False,
        jobs_dir=Path(config.get("jobsDir") or "jobs"),
        use_emulator=config.get_bool("useEmulator") or False,
        allow_project_change=config.get("allowProjectChange") or "",
        allow_region_change=config.get("allowRegionChange") or "",
        max_estimated_cost=config.get("maxEstimatedCost") or "",
        # Read raw: pulumi.Config would warn that the key is a secret (it must be one).
        notify=get_config(NOTIFY_KEY) or "",
        notify_is_secret=is_config_secret(NOTIFY_KEY),
    )
