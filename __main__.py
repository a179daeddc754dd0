"""The Pulumi program: one `Job` component per job file of this stack, per region its resources.

Everything is checked first (the same checks as `python -m providers validate --stack`,
plus the stack's settings): a mistake stops the run with every problem listed and nothing
submitted. The stack's sweep then stops what the stack no longer declares, and its budgets
are checked against every new submission's estimate (`StackBudget`, after the sweep, so a
refusal never holds back a stop of what is no longer declared, nor of a job past its
deadline: the sweep does both); every job's resources wait for both. What Vertex AI refuses
during the run is reported at its end, one line each, after the sweep has done its work (a
failed program gets no deletes from Pulumi; see `providers.resources.stack_sweep`) and what
changed has been told to the stack's webhooks (`StackNotifications`, after every job).
"""

import os
from pathlib import Path

import pulumi

from providers.jobfile.lineage import in_order
from providers.resources.cost_budgets import Submission
from providers.resources.job import Job, StackOwner, continued_sources, declaration, report_outcomes
from providers.resources.notifications import StackNotifications
from providers.resources.stack_budget import StackBudget
from providers.resources.stack_guard import StackGuard
from providers.resources.stack_sweep import StackSweep
from providers.resources.tuning_job import base_model_row
from providers.stack.estimates import cloud_storage_sizes, estimate
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

# A gs:// data set's size is read from Cloud Storage only when a budget needs a figure.
budgeted = bool(settings.budget) or any(job.spec.max_estimated_cost for job in report.jobs)
sizes = cloud_storage_sizes(settings) if budgeted else None
by_name = {job.spec.name: job for job in report.jobs}
# Each job after the one it continues: its TuningJobs take that job's tuned models as inputs.
ordered = in_order({name: job.spec for name, job in by_name.items()})
submitted, upload_problems, estimates, submissions = {}, [], {}, []
for name in ordered:
    job = by_name[name]
    submitted[name], uploads = submitted_spec(job, settings.dataset_bucket)
    if not pulumi.runtime.is_dry_run():
        upload_problems += upload(job, uploads, settings.gcp_project)
    estimates[name] = estimate(job, report, sizes).as_input()
    submissions += [Submission.of(job.spec, job.file, submitted[name], region, estimates[name], report.catalogue,
                                  retired_at=sweep.retired_at(name, region))
                    for region in regions[name]]
if upload_problems:
    # Nothing is submitted; the sweep has done its work by the time the run stops.
    sweep.status_message.apply(lambda _: stop(upload_problems))
else:
    budget = StackBudget(settings.stack, project=settings.gcp_project, pulumi_project=settings.pulumi_project,
                         stack_id=settings.stack_id, max_estimated_cost=settings.budget or 0.0,
                         submissions=submissions, plan_preview=plan_preview,
                         opts=pulumi.ResourceOptions(depends_on=[sweep]))
    summary, components, observations = {}, {}, []
    for name in ordered:
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
            budget=budget,
            base_model_rules=(base_model_row(job.base_model, report.catalogue.models[job.base_model],
                                             report.catalogue.origin(job.base_model)) if job.base_model else ""),
            base_model=job.base_model or "",
            sources=continued_sources(job.spec, regions[name], components),
            plan_preview=plan_preview,
            estimate=estimates[name],
            prices=report.prices,
            stack_budget=settings.budget or 0.0,
        )
        summary[name] = component.summary
        outcomes += component.outcomes
        observations += component.observations
    notifications = StackNotifications(settings.stack, webhooks=pulumi.Output.secret(list(settings.webhooks)),
                                       observations=observations)

    def warn_undelivered(lines: list[str] | None) -> str:
        """One warning per webhook that failed: the run goes on, and the next one tries again."""
        for line in lines or []:
            pulumi.log.warn(line)
        return ""

    pulumi.export("jobs", summary)
    # The failures are reported once the webhooks have been told (a failed program runs no later step).
    report_outcomes([*outcomes, notifications.undelivered.apply(warn_undelivered)])
