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
submission). A job
that continues another job's tuned model has a spec that takes that model, which only
Vertex knows before the run: its source's current job (the source's spec hash) has
succeeded with it, or the job submits nothing in this run (it waits for its source, or
keeps continuing the model it continues until its source's new version has succeeded). Which
jobs those are is read from Vertex, where the truth is, rather than from a record of ours:
so a stack made by an earlier release, a run that died after submitting, or a run refused
by a budget, counts exactly what the next run would pay for.

`StackBudget` is a stack-level resource whose `check` does this, and every tuning job
depends on it (through the Job components), like the `StackGuard`: a refusal
(`CheckFailure`) stops `pulumi preview` and `pulumi up` before any tuning job is even
checked, so nothing is sent to Vertex. The refusal names each job, its estimate and how the
estimate was made (`providers.stack.estimates`), and the budget. An estimate that cannot be
made (no price for the model, epochs left to Vertex, a gs:// object that cannot be read) is
refused too where a budget applies: a budget that cannot be checked is not a budget. Without
any budget nothing is looked up. `plan` shows the same refusals in its table (`refusals`)
from its preview's steps, which name the same new submissions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
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
from providers.jobfile.catalogue import Catalogue, tool_catalogue
from providers.jobfile.fields import field_name
from providers.jobfile.schema import JobSpec
from providers.resources import stack_config
from providers.resources.tuning_job import cancelled_by_the_sweep, submission_spec_hash

JOB_BUDGET_FIELD = field_name(JobSpec, "max_estimated_cost")
STACK_BUDGET_SETTING = "gemini-tuning:maxEstimatedCost"
NOTHING_SENT = "nothing was sent to Vertex AI"


@dataclass(frozen=True)
class Submission:
    """One job in one region as this run declares it, with its estimate and its own budget."""

    job: str
    job_file: str
    region: str
    spec_hash: str
    estimate: dict[str, Any]
    """`providers.stack.estimates.Estimate.as_input()`: cost -1 when there is none."""
    max_estimated_cost: float = 0.0
    """The job's own budget (0: none)."""
    source: str = ""
    """For a job that continues another job's tuned model: that job (its `spec_hash` is then
    "" until `new_submissions` works it out from what Vertex holds)."""
    spec_json: str = ""
    """For such a job: its spec as submitted, to work its hash out."""
    retired_at: Any = ""
    """When the stack's sweep last retired this job in this region (`StackSweep.retired_at`,
    an output: "" if never, unknown in a preview whose sweep changes)."""

    @classmethod
    def of(cls, spec: JobSpec, job_file: str, submitted: dict[str, Any], region: str, estimate: dict[str, Any],
           catalogue: Catalogue, retired_at: Any = "") -> Submission:
        """The submission of `spec` (whose job file says `submitted` to Vertex) in `region`;
        `retired_at`: when the stack's sweep last retired it there."""
        budget = spec.max_estimated_cost or 0.0
        source = spec.continue_from
        if source is not None and source.job is not None:
            return cls(spec.name, job_file, region, "", estimate, budget, source=source.job,
                       spec_json=json.dumps(submitted, sort_keys=True), retired_at=retired_at)
        continued = source.model if source is not None else ""
        return cls(spec.name, job_file, region, submission_spec_hash(submitted, job_file, region, catalogue, continued),
                   estimate, budget, retired_at=retired_at)

    @property
    def cost(self) -> float | None:
        cost = float(self.estimate.get("cost", -1))
        return None if cost < 0 else cost

    @property
    def how(self) -> str:
        return str(self.estimate.get("how") or "no estimate")

    def as_input(self) -> dict[str, Any]:
        return {"job": self.job, "job_file": self.job_file, "region": self.region, "spec_hash": self.spec_hash,
                "estimate": self.estimate, "max_estimated_cost": self.max_estimated_cost,
                **({"source": self.source, "spec_json": self.spec_json} if self.source else {}),
                **({"retired_at": self.retired_at} if self.retired_at is not None and self.retired_at != "" else {})}

    @classmethod
    def from_input(cls, value: dict[str, Any]) -> Submission:
        return cls(value["job"], value["job_file"], value["region"], value["spec_hash"], dict(value["estimate"]),
                   float(value.get("max_estimated_cost") or 0), value.get("source") or "",
                   value.get("spec_json") or "", value.get("retired_at") or "")


def refusals(new: list[Submission], stack_budget: float, stack_file: str) -> list[tuple[str, str]]:
    """(field, one line) for every budget the new submissions `new` break: each job's own,
    then the stack's for all of them together. The field is "" for Pulumi (it then prints the
    line alone, not a property's value beside it) and says which budget for the plan."""
    refused = []
    for submission in new:
        budget = submission.max_estimated_cost
        where = f"{submission.job_file}: {submission.region}: {JOB_BUDGET_FIELD}"
        if budget and submission.cost is None:
            refused.append(("max_estimated_cost", f"{where}: no estimate to hold against the job's budget of "
                                                  f"${budget:,.2f}: {submission.how}; {NOTHING_SENT}"))
        elif budget and submission.cost > budget:
            refused.append(("max_estimated_cost", f"{where}: estimated at ${submission.cost:,.2f}, over the job's "
                                                  f"budget of ${budget:,.2f} ({submission.how}); {NOTHING_SENT}"))
    if not stack_budget or not new:
        return refused
    where = f"{stack_file}: {STACK_BUDGET_SETTING}"
    unknown = [s for s in new if s.cost is None]
    for submission in unknown:
        refused.append(("submissions", f"{where}: {submission.job_file} in {submission.region} has no estimate to "
                                       f"hold against the stack's budget of ${stack_budget:,.2f}: {submission.how}; "
                                       f"{NOTHING_SENT}"))
    total = sum(s.cost or 0.0 for s in new)
    if not unknown and total > stack_budget:
        each = "; ".join(f"{s.job} in {s.region} ${s.cost:,.2f} ({s.how})" for s in new)
        refused.append(("submissions", f"{where}: the {len(new)} new submission(s) of this run are estimated at "
                                       f"${total:,.2f} together, over the stack's budget of ${stack_budget:,.2f}: "
                                       f"{each}; {NOTHING_SENT}"))
    return refused


def applies(stack_budget: float, submissions: list[Submission]) -> bool:
    """Whether any budget could refuse one of `submissions`."""
    return bool(stack_budget) or any(s.max_estimated_cost for s in submissions)


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
