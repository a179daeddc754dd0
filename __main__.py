"""The Pulumi program: one tuning job per job file and region, and a summary per job.

Job files and their local data sets are checked here before anything is declared (the
same checks as `python -m providers validate`): a mistake stops the run with every
problem listed and nothing submitted.
"""

import os
import re
from pathlib import Path

import pulumi
import pulumi_gcp.config as gcp_config

from providers.errors import VertexError
from providers.models import TUNING_REGIONS
from providers.serving_endpoint import ServingEndpoint
from providers.storage import upload_if_missing
from providers.tuning_job import TuningJob
from providers.validation import CheckedJob, validate_jobs
from providers.vertex import EMULATOR_HOST_VARIABLE

config = pulumi.Config()
# pulumi-gcp's own settings, with its fallbacks (GOOGLE_CLOUD_PROJECT, GOOGLE_REGION, ...).
project = gcp_config.project
default_region = gcp_config.region
dataset_bucket = config.get("datasetBucket")
# Production stacks set this so no `pulumi up` or `destroy` can delete a serving endpoint.
protect_serving = config.get_bool("protectServingEndpoints") or False
jobs_dir = Path(config.get("jobsDir") or "jobs")

if not project:
    raise pulumi.RunError("no GCP project: run `pulumi config set gcp:project PROJECT_ID`")
if config.get_bool("useEmulator") and not os.environ.get(EMULATOR_HOST_VARIABLE):
    raise pulumi.RunError(
        f"stack {pulumi.get_stack()!r} is set to use the Vertex AI emulator, but "
        f"{EMULATOR_HOST_VARIABLE} is not set; start it with `make demo` or "
        "`python -m emulator` and export its host:port"
    )


def stop(problems: list[str]) -> None:
    for problem in problems:
        pulumi.log.error(problem)
    raise pulumi.RunError(f"{len(problems)} problem(s) in {jobs_dir}/; nothing was submitted")


def vertex_spec(job: CheckedJob) -> tuple[dict, list[dict]]:
    """The spec as Vertex sees it (local data sets replaced by their upload URIs), and the uploads."""
    spec = job.spec.model_dump(by_alias=True, exclude_unset=True)
    uploads = []
    for dataset in job.local_datasets:
        uri = dataset.uri(dataset_bucket, dataset.sha256())
        spec[dataset.field] = uri
        uploads.append({"path": str(dataset.path), "uri": uri})
    return spec, uploads


def upload(job: CheckedJob, uploads: list[dict]) -> None:
    """Uploads the job's local data sets before any job is submitted (not on preview)."""
    for item in uploads:
        try:
            upload_if_missing(item["path"], item["uri"], project)
        except VertexError as exc:
            stop([f"{job.file}: uploading {item['path']} to {item['uri']}: {exc}"])


report = validate_jobs(jobs_dir, Path.cwd())
problems = [str(problem) for problem in report.problems]
if not report.files and not problems:
    # An empty or mistyped jobs folder would otherwise cancel every job of the stack.
    problems.append(f"{jobs_dir}: no job files; to remove every job of this stack, run `pulumi destroy`")
if default_region and default_region not in TUNING_REGIONS:
    problems.append(f"stack setting gcp:region: {default_region!r} is not a Vertex AI tuning region")
if dataset_bucket and not re.fullmatch(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]", dataset_bucket):
    problems.append(f"stack setting gemini-tuning:datasetBucket: {dataset_bucket!r} is not a bucket name "
                    "(write the name alone, without gs://)")
for job in report.jobs:
    if job.local_datasets and not dataset_bucket:
        problems.append(
            f"{job.file}: {job.local_datasets[0].field}: a local data set needs the stack "
            "setting gemini-tuning:datasetBucket (the bucket it is uploaded to)"
        )
    if not (job.spec.regions or default_region):
        problems.append(f"{job.file}: regions: no regions, and the stack sets no gcp:region")
if problems:
    stop(problems)

summary = {}
for job in report.jobs:
    spec, uploads = vertex_spec(job)
    if not pulumi.runtime.is_dry_run():
        upload(job, uploads)
    per_region = {}
    for region in job.spec.regions or [default_region]:
        tuning_job = TuningJob(
            f"{job.spec.name}-{region}",
            job_file=job.file,
            spec=spec,
            project=project,
            region=region,
            pulumi_project=pulumi.get_project(),
            stack=pulumi.get_stack(),
        )
        per_region[region] = {
            "state": tuning_job.state,
            "vertexJob": tuning_job.vertex_job_name,
            "tunedModel": tuning_job.tuned_model,
            "tunedModelEndpoint": tuning_job.tuned_model_endpoint,
            "error": tuning_job.error,
        }
        serving = job.spec.serving
        if serving:
            endpoint = ServingEndpoint(
                f"{job.spec.name}-{region}-serving",
                job_file=job.file,
                job_name=job.spec.name,
                display_name=serving.display_name or job.spec.name,
                canary_percent=serving.canary_percent or 0,
                deletion_policy=serving.deletion_policy,
                tuned_model=tuning_job.tuned_model,
                project=project,
                region=region,
                pulumi_project=pulumi.get_project(),
                stack=pulumi.get_stack(),
                opts=pulumi.ResourceOptions(protect=protect_serving),
            )
            per_region[region].update({
                "servingEndpoint": endpoint.endpoint_name,
                "servingStatus": endpoint.status,
                "trafficSplit": endpoint.traffic_split,
            })
    summary[job.spec.name] = per_region

pulumi.export("jobs", summary)
