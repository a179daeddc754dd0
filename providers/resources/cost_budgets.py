"""The budget rule: which submissions the stack's budgets refuse, and how a refusal reads.

Two budgets, in US dollars, both optional: a job's `maxEstimatedCost` (one training of that
job, per region) and the stack's `gemini-tuning:maxEstimatedCost` (the new submissions of one
run together). A submission with no estimate (no price for the model, epochs left to Vertex,
a gs:// object that cannot be read) is refused where a budget applies: a budget that cannot be
checked is not a budget. One home for the rule and its words: `StackBudget` applies it to a
run's new submissions before any job is checked, the tuning-job provider to the one job it is
about to submit, and `plan` to its preview's paying steps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from providers.jobfile.catalogue import Catalogue
from providers.jobfile.fields import field_name
from providers.jobfile.schema import JobSpec
from providers.resources.essence import submission_spec_hash

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
