"""The Pulumi program: one `Job` component per job file of this stack, per region its resources.

Everything is checked first (the same checks as `python -m providers validate --stack`,
plus the stack's settings): a mistake stops the run with every problem listed and nothing
submitted. What Vertex AI refuses during the run is reported at its end, one line each,
after the stack's sweep has stopped what the stack no longer declares (a failed program
gets no deletes from Pulumi; see `providers.resources.stack_sweep`).
"""

import os
from pathlib import Path

import pulumi

from providers.jobfile.lineage import in_order
from providers.resources.job import Job, StackOwner, continued_sources, declaration, report_outcomes
from providers.resources.stack_guard import StackGuard
from providers.resources.stack_sweep import StackSweep
from providers.resources.tuning_job import base_model_row
from providers.stack.preflight import check_stack
from providers.stack.settings import PLAN_VARIABLE, from_pulumi_config
from providers.stack.uploads import submitted_spec, upload

settings = from_pulumi_config()
report = check_stack(settings, Path.cwd())
for warning in report.warnings:
    pulumi.log.warn(str(warning))


def stop(problems) -> None:
    for problem in problems:
        pulumi.log.error(str(problem))
    raise pulumi.RunError(f"{len(problems)} problem(s); nothing was submitted")


plan_preview = pulumi.runtime.is_dry_run() and os.environ.get(PLAN_VARIABLE) == "1"
if report.problems:
    if not plan_preview:
        stop(report.problems)
    # A plan's preview: plan the valid job files; the plan shows these problems itself.
    for problem in report.problems:
        pulumi.log.warn(f"not planned: {problem}")

owner = StackOwner(settings.gcp_project, settings.pulumi_project, settings.stack, settings.stack_id)
guard = StackGuard(settings.stack, project=settings.gcp_project, default_region=settings.default_region,
                   allow_project_change=settings.allow_project_change,
                   allow_region_change=settings.allow_region_change)
regions = {job.spec.name: job.spec.regions or [settings.default_region] for job in report.jobs}
# Declared before any job, which all wait for it: it stops what the stack no longer declares
# whatever happens to them. Broken files (a plan's preview only) leave out jobs that are not
# removed: nothing is swept then.
sweep = StackSweep(
    "stack-sweep", complete=not report.problems, project=owner.project, pulumi_project=owner.pulumi_project,
    stack=owner.stack, stack_id=owner.stack_id, opts=pulumi.ResourceOptions(depends_on=[guard]),
    declared={job.spec.name: declaration(job.spec, job.file, regions[job.spec.name], settings.protect_serving_endpoints)
              for job in report.jobs})
outcomes = [sweep.failure]

submitted, upload_problems = {}, []
for job in report.jobs:
    submitted[job.spec.name], uploads = submitted_spec(job, settings.dataset_bucket)
    if not pulumi.runtime.is_dry_run():
        upload_problems += upload(job, uploads, settings.gcp_project)
if upload_problems:
    # Nothing is submitted; the sweep has done its work by the time the run stops.
    sweep.status_message.apply(lambda _: stop(upload_problems))
else:
    summary, components = {}, {}
    by_name = {job.spec.name: job for job in report.jobs}
    # Each job after the one it continues: its TuningJobs take that job's tuned models as inputs.
    for name in in_order({name: job.spec for name, job in by_name.items()}):
        job = by_name[name]
        component = components[name] = Job(
            name,
            job_file=job.file,
            spec=job.spec,
            submitted_spec=submitted[name],
            regions=regions[name],
            owner=owner,
            protect_serving=settings.protect_serving_endpoints,
            guard=guard,
            sweep=sweep,
            base_model_rules=(base_model_row(job.base_model, report.catalogue.models[job.base_model],
                                             report.catalogue.origin(job.base_model)) if job.base_model else ""),
            base_model=job.base_model or "",
            sources=continued_sources(job.spec, regions[name], components),
            plan_preview=plan_preview,
        )
        summary[name] = component.summary
        outcomes += component.outcomes
    pulumi.export("jobs", summary)
    report_outcomes(outcomes)
