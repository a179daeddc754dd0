"""The stack's budgets: new submissions estimated above them are refused before anything is sent.

Two budgets, in US dollars, both optional:
- a job's `maxEstimatedCost`: one training of that job (per region: each region is a
  Vertex job of its own, paid on its own);
- the stack's `gemini-tuning:maxEstimatedCost`: all the new submissions of one run together.

A new submission is one the tuning-job provider would submit: a job and region whose spec has
no job of this stack in Vertex (found by the stack's labels), in any state: a new job file or
region, an edit that replaces a job, a job still waiting for quota or refused. A job of that spec
that ended (cancelled, at its deadline or by hand; FAILED; EXPIRED) is not submitted again by
the provider, so it is no new submission either; except one the stack's sweep cancelled when
its job left its file, and that the file declares again: the provider submits that one again
(`tuning_job.cancelled_by_the_sweep`, from the sweep's `retired_at`, an input of each
submission). A job that continues another job's tuned model has a spec that takes that
model, which only Vertex knows before the run: its source's current job (the source's spec hash) has
succeeded with it, or the job submits nothing in this run (it waits for its source, or
keeps continuing the model it continues until its source's new version has succeeded). Which
jobs those are is read from Vertex, where the truth is, rather than from a record of ours:
so a stack made by an earlier release, a run that died after submitting, or a run refused
by a budget, counts exactly what the next run would pay for.

`StackBudget` is a stack-level resource whose `check` does this, and every tuning job
depends on it (through the Job components), like the `StackGuard`: a refusal
(`CheckFailure`) stops `pulumi preview` and `pulumi up` before any tuning job is even
checked, so nothing is sent to Vertex. The refusal names each job, its estimate and how the
estimate was made (`providers.stack.estimates`), and the budget, in the words of
`providers.resources.cost_budgets`, whose rule the tuning-job provider also applies to the
one job it is about to submit (`pulumi up --replace` submits a job this check counts as
kept: Vertex holds it, but the re-created resource never adopts it). An estimate that cannot be
made (no price for the model, epochs left to Vertex, a gs:// object that cannot be read) is
refused too where a budget applies: a budget that cannot be checked is not a budget. Without
any budget nothing is looked up. `plan` shows the same refusals in its table (`refusals`)
from its preview's steps, which name the same new submissions.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from providers.gcp import errors
from providers.gcp.budget import Budget
from providers.gcp.ownership import tuning_job_labels
from providers.gcp.vertex import TuningJobView, VertexClient
from providers.jobfile.catalogue import tool_catalogue
from providers.resources import stack_config
from providers.resources.cost_budgets import NOTHING_SENT, Submission, applies, refusals
from providers.resources.essence import submission_spec_hash
from providers.resources.tuning_job import cancelled_by_the_sweep

class StackBudgetProvider(ResourceProvider):
    """Refuses new submissions over budget in `check`; holds nothing else."""

    def configure(self, req: ConfigureRequest) -> None:
        stack_config.configure(req.config)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        submissions = [Submission.from_input(s) for s in news.get("submissions") or []]
        stack_budget = float(news.get("max_estimated_cost") or 0)
        # A plan's preview shows the refusals in its table (`refusals` over its own steps).
        if news.get("plan_preview") or not applies(stack_budget, submissions):
            return CheckResult(news, [])
        try:
            new = new_submissions(news, submissions)
        except errors.VertexError as exc:
            return CheckResult(news, [CheckFailure("", (
                f"cannot tell which jobs this run would submit, so its budgets cannot be checked: reading the "
                f"stack's tuning jobs: {exc}; {exc.advice}; {NOTHING_SENT}"))])
        # No property named: Pulumi then prints the line alone, not an input's value beside it.
        return CheckResult(news, [CheckFailure("", line) for _, line in
                                  refusals(new, stack_budget, f"Pulumi.{news['stack']}.yaml")])

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=False, replaces=[], stables=[])

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"{props['stack']}/budget", {"stack": props["stack"]})

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({"stack": news["stack"]})


def new_submissions(props: dict[str, Any], submissions: list[Submission]) -> list[Submission]:
    """The submissions the tuning-job provider would submit: those Vertex holds no job of this
    stack for with their spec, other than one the sweep cancelled (a listing per region).

    `submissions` come sources first (the program's order), so a continuing job's source has
    its hash worked out before the job."""
    owner = stack_config.owner(props)
    held: dict[str, list[TuningJobView]] = {}
    for region in sorted({s.region for s in submissions}):
        # Asked afresh, and an empty answer confirmed as before a submission: counting a job
        # as new that is not would refuse wrongly, counting one as not new would pay unchecked.
        jobs = VertexClient(props["project"], region, Budget()).find_tuning_jobs(owner.labels, confirm_empty=True)
        held[region] = jobs

    def jobs_of(job: str, spec: str, region: str, retired_at: Any = "") -> list[TuningJobView]:
        labels = tuning_job_labels(owner, job, spec)
        return sorted((j for j in held[region] if labels.items() <= j.labels.items()
                       and not cancelled_by_the_sweep(j.state, j.create_time, retired_at)),
                      key=lambda j: j.create_time)

    hashes: dict[tuple[str, str], str] = {}
    new = []
    for submission in submissions:
        if submission.source:
            source_spec = hashes.get((submission.source, submission.region), "")
            succeeded = [j for j in jobs_of(submission.source, source_spec, submission.region)
                         if j.state == "JOB_STATE_SUCCEEDED" and j.tuned_model] if source_spec else []
            if not succeeded:
                continue  # nothing to continue yet: this run submits nothing for it
            spec = submission_spec_hash(json.loads(submission.spec_json), submission.job_file, submission.region,
                                        tool_catalogue(), succeeded[-1].tuned_model)
            submission = replace(submission, spec_hash=spec)
        hashes[(submission.job, submission.region)] = submission.spec_hash
        if not jobs_of(submission.job, submission.spec_hash, submission.region, submission.retired_at):
            new.append(submission)
    return new


class StackBudget(Resource, module="gemini-tuning", name="StackBudget"):
    """The stack's budgets, checked against this run's new submissions (see the module docstring)."""

    def __init__(self, stack: str, *, project: str, pulumi_project: str, stack_id: str, max_estimated_cost: float,
                 submissions: list[Submission], plan_preview: bool = False,
                 opts: pulumi.ResourceOptions | None = None):
        props = {"stack": stack, "project": project, "pulumi_project": pulumi_project, "stack_id": stack_id,
                 "max_estimated_cost": max_estimated_cost or 0,
                 "submissions": [s.as_input() for s in submissions],
                 **({"plan_preview": True} if plan_preview else {})}
        super().__init__(StackBudgetProvider(), "stack-budget", props, opts)
