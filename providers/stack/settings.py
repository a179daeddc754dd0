"""One stack's settings: which GCP project and region, the data set bucket, the guards.

Read from the stack's Pulumi config (`Pulumi.<stack>.yaml`) by the program. `problems()`
says what is wrong with them, naming the stack file and the setting, so a bad setting
stops the run before anything is submitted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from providers.gcp.clients import EMULATOR_HOST_VARIABLE, emulator_host
from providers.jobfile.catalogue import TUNING_REGIONS
from providers.jobfile.problems import Problem

CONFIG_NAMESPACE = "gemini-tuning"
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]")


@dataclass(frozen=True)
class StackSettings:
    """What the program needs to know about the stack it runs for."""

    pulumi_project: str
    stack: str
    gcp_project: str
    default_region: str
    """The stack's gcp:region: where jobs that name no regions run ("" if unset)."""
    dataset_bucket: str
    """Bucket that local data sets are uploaded to ("" if unset)."""
    protect_serving_endpoints: bool
    jobs_dir: Path
    use_emulator: bool

    @property
    def stack_file(self) -> str:
        return f"Pulumi.{self.stack}.yaml"

    def problems(self) -> list[Problem]:
        """Every setting that stops the stack from running, each naming its setting."""
        problems = []
        if not self.gcp_project:
            problems.append(self._problem(
                "gcp:project", "no GCP project: run `pulumi config set gcp:project PROJECT_ID`"))
        if self.use_emulator and not emulator_host():
            problems.append(self._problem(
                f"{CONFIG_NAMESPACE}:useEmulator",
                f"the stack is set to use the Vertex AI emulator, but {EMULATOR_HOST_VARIABLE} is not "
                "set; start it with `make demo` or `python -m emulator` and export its host:port"))
        if self.default_region and self.default_region not in TUNING_REGIONS:
            problems.append(self._problem(
                "gcp:region", f"{self.default_region!r} is not a Vertex AI tuning region"))
        if self.dataset_bucket and not _BUCKET_NAME.fullmatch(self.dataset_bucket):
            problems.append(self._problem(
                f"{CONFIG_NAMESPACE}:datasetBucket",
                f"{self.dataset_bucket!r} is not a bucket name (write the name alone, without gs://)"))
        return problems

    def _problem(self, setting: str, message: str) -> Problem:
        return Problem(self.stack_file, setting, message)


def from_pulumi_config() -> StackSettings:
    """The settings of the stack the Pulumi program runs for."""
    import pulumi
    import pulumi_gcp.config as gcp_config  # pulumi-gcp's own settings and their fallbacks

    config = pulumi.Config(CONFIG_NAMESPACE)
    return StackSettings(
        pulumi_project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        gcp_project=gcp_config.project or "",
        default_region=gcp_config.region or "",
        dataset_bucket=config.get("datasetBucket") or "",
        protect_serving_endpoints=config.get_bool("protectServingEndpoints") or False,
        jobs_dir=Path(config.get("jobsDir") or "jobs"),
        use_emulator=config.get_bool("useEmulator") or False,
    )
