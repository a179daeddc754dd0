"""One job file as one component: its tuning job and serving endpoint in each region.

`pulumi preview` shows a `gemini-tuning:index:Job` per job file with its per-region
resources under it. Stacks made by the first release declared those resources at the top
level with the generic dynamic type; the aliases below let them move under the component
and take their own types without being replaced.
"""

from __future__ import annotations

from typing import Any

import pulumi

from providers.jobfile.schema import JobSpec
from providers.resources.serving_endpoint import ServingEndpoint
from providers.resources.tuning_job import TuningJob

JOB_TYPE = "gemini-tuning:index:Job"
_FIRST_RELEASE_TYPE = "pulumi-python:dynamic:Resource"


class Job(pulumi.ComponentResource):
    """A job file's resources, grouped under the job's name."""

    summary: dict[str, dict[str, Any]]
    """Per region: the outputs the stack exports for this job."""

    def __init__(self, name: str, *, job_file: str, spec: JobSpec, submitted_spec: dict[str, Any],
                 regions: list[str], project: str, pulumi_project: str, stack: str,
                 protect_serving: bool, opts: pulumi.ResourceOptions | None = None):
        """`submitted_spec` is the job file as Vertex sees it (local data sets as gs:// URIs)."""
        super().__init__(JOB_TYPE, name, None, opts)
        owner = {"project": project, "pulumi_project": pulumi_project, "stack": stack}
        self.summary = {}
        for region in regions:
            tuning_job = TuningJob(
                f"{name}-{region}", job_file=job_file, spec=submitted_spec, region=region, **owner,
                opts=self._child_options(),
            )
            outputs = {
                "state": tuning_job.state,
                "statusMessage": tuning_job.status_message,
                "vertexJob": tuning_job.vertex_job_name,
                "tunedModel": tuning_job.tuned_model,
                "tunedModelEndpoint": tuning_job.tuned_model_endpoint,
                "error": tuning_job.error,
            }
            serving = spec.serving
            if serving is not None:
                endpoint = ServingEndpoint(
                    f"{name}-{region}-serving", job_file=job_file, job_name=name,
                    display_name=serving.display_name or name,
                    canary_percent=serving.canary_percent or 0,
                    deletion_policy=serving.deletion_policy,
                    tuned_model=tuning_job.tuned_model, region=region, **owner,
                    opts=self._child_options(protect=protect_serving),
                )
                outputs.update({
                    "servingEndpoint": endpoint.endpoint_name,
                    "servingStatus": endpoint.status,
                    "trafficSplit": endpoint.traffic_split,
                })
            self.summary[region] = outputs
        self.register_outputs({"regions": self.summary})

    def _child_options(self, **options: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(
            parent=self,
            aliases=[pulumi.Alias(type_=_FIRST_RELEASE_TYPE, parent=pulumi.ROOT_STACK_RESOURCE)],
            **options,
        )
