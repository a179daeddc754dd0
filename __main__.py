"""The Pulumi program: one tuning job per job file and region, and a summary per job.

Job files are validated here before anything is declared: a broken file stops the run
with every problem listed and nothing submitted.
"""

import os
from pathlib import Path

import pulumi

from providers.jobs import load_jobs
from providers.spec import JobFileError
from providers.tuning_job import TuningJob
from providers.vertex import EMULATOR_HOST_VARIABLE

config = pulumi.Config()
gcp = pulumi.Config("gcp")
project = gcp.require("project")
default_region = gcp.get("region")
jobs_dir = Path(config.get("jobsDir") or "jobs")

if config.get_bool("useEmulator") and not os.environ.get(EMULATOR_HOST_VARIABLE):
    raise pulumi.RunError(
        f"stack {pulumi.get_stack()!r} is set to use the Vertex AI emulator, but "
        f"{EMULATOR_HOST_VARIABLE} is not set; start it with `make demo` or "
        "`python -m emulator` and export its host:port"
    )

try:
    job_files = load_jobs(jobs_dir)
except JobFileError as exc:
    for problem in exc.problems:
        pulumi.log.error(str(problem))
    raise pulumi.RunError(f"{len(exc.problems)} problem(s) in {jobs_dir}/; nothing was submitted")

summary = {}
for job_file in job_files:
    spec = job_file.spec
    regions = spec.regions or ([default_region] if default_region else [])
    if not regions:
        pulumi.log.error(f"{job_file.path}: regions: no regions, and the stack sets no gcp:region")
        raise pulumi.RunError("a job has no region; nothing was submitted")
    per_region = {}
    for region in regions:
        job = TuningJob(
            f"{spec.name}-{region}",
            job_file=job_file.path,
            spec=spec.model_dump(by_alias=True, exclude_unset=True),
            project=project,
            region=region,
            pulumi_project=pulumi.get_project(),
            stack=pulumi.get_stack(),
        )
        per_region[region] = {
            "state": job.state,
            "vertexJob": job.vertex_job_name,
            "tunedModel": job.tuned_model,
            "tunedModelEndpoint": job.tuned_model_endpoint,
            "error": job.error,
        }
    summary[spec.name] = per_region

pulumi.export("jobs", summary)
