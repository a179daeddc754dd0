"""The Pulumi program: one `Job` component per job file, with its resources in each region.

Everything is checked first (the same checks as `python -m providers validate`, plus the
stack's settings): a mistake stops the run with every problem listed and nothing submitted.
"""

from pathlib import Path

import pulumi

from providers.resources.job import Job
from providers.stack.preflight import check_stack
from providers.stack.settings import from_pulumi_config
from providers.stack.uploads import submitted_spec, upload

settings = from_pulumi_config()
report = check_stack(settings, Path.cwd())


def stop(problems) -> None:
    for problem in problems:
        pulumi.log.error(str(problem))
    raise pulumi.RunError(f"{len(problems)} problem(s); nothing was submitted")


if report.problems:
    stop(report.problems)

summary = {}
for job in report.jobs:
    spec, uploads = submitted_spec(job, settings.dataset_bucket)
    if not pulumi.runtime.is_dry_run() and (problems := upload(job, uploads, settings.gcp_project)):
        stop(problems)
    summary[job.spec.name] = Job(
        job.spec.name,
        job_file=job.file,
        spec=job.spec,
        submitted_spec=spec,
        regions=job.spec.regions or [settings.default_region],
        project=settings.gcp_project,
        pulumi_project=settings.pulumi_project,
        stack=settings.stack,
        protect_serving=settings.protect_serving_endpoints,
    ).summary

pulumi.export("jobs", summary)
