"""One job file as one component: its tuning job, history and serving endpoint in each region.

`pulumi preview` shows a `gemini-tuning:index:Job` per job file with its per-region
resources under it. Stacks made by the first release declared the tuning jobs and serving
endpoints at the top level with the generic dynamic type; the aliases below let them move
under the component and take their own types without being replaced.

`report_outcomes` is how the providers' failures reach the user: one error line each
(see `providers.resources.reporting`), and a failed `pulumi up`. Pulumi deletes nothing
after a failed program, so what a removed job asks for does not wait for that: the stack's
`StackSweep` does it during the program, from each job's `declaration`, before any job's
resource is even checked (they all wait for it), so that no refusal of theirs, not even a
check's, keeps it from stopping what the stack no longer declares.

Serving endpoints never carry Pulumi's `protect`, which would fail the delete of a removed
job's endpoint and, with it, skip the deletes of everything it depends on (the job's
tuning job: its cancel). A stack with protectServingEndpoints keeps its serving endpoints
by retaining them instead: removing a job, its `serving:` block or the stack leaves them
serving, whatever the job file's `serving.deletionPolicy` says.

Per region the component also exports what the job billed (Vertex's billable tokens times
the epochs, priced by the price table, beside the estimate made before submission), its
deadline and how long it has been in its state, and gives the stack's notifications one
`events.Observation` of it (`observations`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from providers.jobfile import durations
from providers.jobfile.prices import PriceTable, tool_prices
from providers.jobfile.schema import DEFAULT_CHECKPOINT, JobSpec
from providers.resources.serving_endpoint import ServingEndpoint
from providers.resources.stack_guard import StackGuard
from providers.resources.stack_sweep import StackSweep
from providers.resources.tuning_history import TuningHistory
from providers.resources.tuning_job import ContinuedSource, TuningJob

JOB_TYPE = "gemini-tuning:index:Job"
_FIRST_RELEASE_TYPE = "pulumi-python:dynamic:Resource"


@dataclass(frozen=True)
class StackOwner:
    """The stack the job's resources belong to, as the resources take it."""

    project: str
    pulumi_project: str
    stack: str
    stack_id: str


class Job(pulumi.ComponentResource):
    """A job file's resources, grouped under the job's name."""

    summary: dict[str, dict[str, Any]]
    """Per region: the outputs the stack exports for this job."""
    outcomes: list[pulumi.Output[str]]
    """Each resource's failure in this run, in one line ("" if none)."""
    observations: list[pulumi.Output[dict]]
    """Per region, the job as the stack's notifications see it (`events.Observation` as a dict)."""

    def __init__(self, name: str, *, job_file: str, spec: JobSpec, submitted_spec: dict[str, Any],
                 regions: list[str], owner: StackOwner, protect_serving: bool, guard: StackGuard,
                 sweep: StackSweep, budget: pulumi.Resource | None = None, base_model_rules: str = "",
                 plan_preview: bool = False, base_model: str = "", sources: dict[str, ContinuedSource] | None = None,
                 estimate: dict[str, Any] | None = None, prices: PriceTable | None = None,
                 stack_budget: float = 0.0, opts: pulumi.ResourceOptions | None = None):
        """`submitted_spec` is the job file as Vertex sees it (local data sets as gs:// URIs);
        `guard` is the stack's `StackGuard`, whose allowances each tuning job checks too;
        `sweep` the stack's `StackSweep`, and `budget` its `StackBudget`, which every resource
        here waits for;
        `base_model_rules` the catalogue row of the base model whose rules the job follows
        (`tuning_job.base_model_row`), `base_model` that model ("" when not known);
        `plan_preview` whether this is the preview of `python -m providers plan`;
        `sources`, for a continuing job, what it continues in each region;
        `estimate` the estimated cost of one training (`Estimate.as_input()`), `prices` the
        price table what was billed is priced with (at `base_model`'s price), `stack_budget`
        the stack's `gemini-tuning:maxEstimatedCost` (0: none), which each tuning job's
        submission is held to as well as its own."""
        super().__init__(JOB_TYPE, name, None, opts)
        self._waits_for = [sweep, *([budget] if budget is not None else [])]
        identity = {"project": owner.project, "pulumi_project": owner.pulumi_project,
                    "stack": owner.stack, "stack_id": owner.stack_id}
        self.summary = {}
        self.outcomes = []
        self.tuning_jobs: dict[str, TuningJob] = {}
        """Per region, the job's TuningJob (a continuing job's source is one)."""
        self.observations = []
        prices = prices or tool_prices()
        estimate = estimate or {}
        cost = estimate.get("cost")
        estimated_cost = float(cost) if isinstance(cost, (int, float)) and cost >= 0 else None
        serving_policy = serving_deletion_policy(spec, protect_serving)
        for region in regions:
            source = (sources or {}).get(region)
            tuning_job = self.tuning_jobs[region] = TuningJob(
                f"{name}-{region}", job_file=job_file, spec=submitted_spec, region=region,
                base_model_rules=base_model_rules, plan_preview=plan_preview, source=source,
                max_duration_seconds=durations.seconds(spec.max_duration) if spec.max_duration else 0,
                estimate=estimate, retired_at=sweep.retired_at(name, region),
                # Also without a deadline: one removed while a refusal held back the report of a cancel.
                deadline_cancels=sweep.deadline_cancels_of(name, region),
                max_estimated_cost=spec.max_estimated_cost or 0.0, stack_max_estimated_cost=stack_budget,
                **identity, **guard.allowances, opts=self._child_options(first_release=True),
            )
            billed = pulumi.Output.all(tuning_job.billable_tokens, tuning_job.epochs).apply(
                lambda counts: dict(zip(("training_tokens", "cost"), prices.billed(base_model, *counts))))
            history = TuningHistory(
                f"{name}-{region}-history", job_file=job_file, job_name=name,
                deletion_policy=spec.deletion_policy, current_job=tuning_job.vertex_job_name,
                current_state=tuning_job.state, current_spec=tuning_job.spec_hash,
                current_endpoint=tuning_job.tuned_model_endpoint,
                region=region, **identity, opts=self._child_options(),
            )
            outputs = {
                # A continuing job sends no base model: it follows its source's.
                "baseModel": base_model if source is not None else tuning_job.base_model,
                "state": tuning_job.state,
                "statusMessage": tuning_job.status_message,
                "vertexJob": tuning_job.vertex_job_name,
                "tunedModel": tuning_job.tuned_model,
                "tunedModelEndpoint": tuning_job.tuned_model_endpoint,
                "checkpoints": tuning_job.checkpoints,
                "error": tuning_job.error,
                "earlierVersions": history.earlier_jobs,
                "history": history.status_message,
                "maxDuration": spec.max_duration or "",
                "createTime": tuning_job.create_time,
                "stateSince": tuning_job.state_since,
                "deadlineExceeded": tuning_job.deadline_exceeded.apply(lambda record: record or {}),
                "billableTokens": tuning_job.billable_tokens.apply(lambda tokens: tokens or 0),
                "epochs": tuning_job.epochs.apply(lambda epochs: epochs or 0),
                "trainingTokens": billed.apply(lambda b: b["training_tokens"]),
                "cost": billed.apply(lambda b: b["cost"]),
                "estimatedCost": estimated_cost,
                "estimate": estimate.get("how", ""),
            }
            if source is not None:
                outputs["continuesFrom"] = tuning_job.continued_from
            self.outcomes += [tuning_job.failure, history.failure]
            if spec.serving is not None:
                endpoint = ServingEndpoint(
                    f"{name}-{region}-serving", job_file=job_file, job_name=name,
                    display_name=spec.serving.display_name or name,
                    canary_percent=spec.serving.canary_percent or 0,
                    deletion_policy=serving_policy, labels=spec.labels,
                    tuned_model=tuning_job.tuned_model, region=region,
                    checkpoint=spec.serving.checkpoint, checkpoints=tuning_job.checkpoints,
                    promote_when=(spec.serving.promote_when.model_dump(by_alias=True)
                                  if spec.serving.promote_when is not None else None),
                    **identity,
                    opts=self._child_options(
                        first_release=True,
                        # Removing the job or its serving block keeps the endpoint applications
                        # call, unless the file says delete (and the stack lets it).
                        retain_on_delete=serving_policy != "delete"),
                )
                outputs.update({
                    "servingEndpoint": endpoint.endpoint_name,
                    "servingStatus": endpoint.status,
                    "trafficSplit": endpoint.traffic_split,
                    "servingError": endpoint.error,
                })
                if spec.serving.promote_when is not None or spec.serving.checkpoint != DEFAULT_CHECKPOINT:
                    outputs.update({"servingGate": endpoint.gate, "held": endpoint.held})
                self.outcomes.append(endpoint.failure)
            self.summary[region] = outputs
            self.observations.append(pulumi.Output.all(
                state=tuning_job.state, vertex_job=tuning_job.vertex_job_name, tuned_model=tuning_job.tuned_model,
                error=tuning_job.error, deadline=tuning_job.deadline_exceeded, billed=billed,
                billable_tokens=tuning_job.billable_tokens, epochs=tuning_job.epochs,
                tracked_since=tuning_job.tracked_since,
                serving_status=outputs.get("servingStatus", ""), serving_model=(
                    endpoint.serving_model if spec.serving is not None else ""),
                serving_message=outputs.get("servingError", ""),
                held=endpoint.held if spec.serving is not None else {},
            ).apply(lambda seen, region=region: observation(name, region, job_file, seen, estimated_cost)))
        self.register_outputs({"regions": self.summary})

    def _child_options(self, first_release: bool = False, **options: Any) -> pulumi.ResourceOptions:
        aliases = [pulumi.Alias(type_=_FIRST_RELEASE_TYPE, parent=pulumi.ROOT_STACK_RESOURCE)] if first_release else []
        return pulumi.ResourceOptions(parent=self, aliases=aliases, depends_on=self._waits_for, **options)


def declaration(spec: JobSpec, job_file: str, regions: list[str], protect_serving: bool) -> dict[str, Any]:
    """What the stack's `StackSweep` needs of a job to stop it once it is no longer declared,
    or once it runs past its deadline."""
    return {"job_file": job_file, "regions": list(regions), "deletion_policy": spec.deletion_policy,
            "serving_deletion_policy": serving_deletion_policy(spec, protect_serving),
            "max_duration_seconds": durations.seconds(spec.max_duration) if spec.max_duration else 0}


def serving_deletion_policy(spec: JobSpec, protect_serving: bool) -> str:
    """What removing the job's serving endpoint does to it: "delete", "retain", or "" (no serving).
    protectServingEndpoints retains every one."""
    if spec.serving is None:
        return ""
    return "retain" if protect_serving else spec.serving.deletion_policy


def observation(job: str, region: str, job_file: str, seen: dict[str, Any],
                estimated_cost: float | None) -> dict[str, Any]:
    """One job in one region as the stack's notifications take it (`events.Observation`)."""
    billed = seen.get("billed") or {}
    held = seen.get("held") if isinstance(seen.get("held"), dict) else {}
    return {
        "job": job, "region": region, "job_file": job_file,
        **{key: seen.get(key) or "" for key in (
            "vertex_job", "state", "tuned_model", "error", "tracked_since", "serving_status", "serving_model",
            "serving_message")},
        # A gate that holds a model back says which and why.
        **({"held_model": held.get("model") or "", "serving_message": held.get("reason") or ""} if held else {}),
        "deadline": seen.get("deadline") or {},
        "billable_tokens": int(seen.get("billable_tokens") or 0), "epochs": int(seen.get("epochs") or 0),
        "cost": -1.0 if billed.get("cost") is None else billed["cost"],
        "estimated_cost": -1.0 if estimated_cost is None else estimated_cost,
    }


def report_outcomes(outcomes: list[pulumi.Output[str]]) -> None:
    """Fails `pulumi up` with one error line per failure a resource recorded in this run
    (an outcome may hold several, one a line).

    Nothing is reported in a preview: nothing was tried. The program fails only once every
    outcome is known, so the stack's sweep has stopped what it had to first.
    """
    if pulumi.runtime.is_dry_run() or not outcomes:
        return

    def report(failures: list[str]) -> None:
        lines = [line for failure in failures for line in (failure or "").splitlines() if line]
        for line in lines:
            pulumi.log.error(line)
        if lines:
            raise pulumi.RunError(f"{len(lines)} problem(s) with Vertex AI; see above. "
                                  "What went through is recorded, and the next `pulumi up` carries on.")

    pulumi.Output.all(*outcomes).apply(report)


def continued_sources(spec: JobSpec, regions: list[str], jobs: dict[str, Job]) -> dict[str, ContinuedSource] | None:
    """What a continuing job continues in each of its regions: the tuned model of its source
    job's TuningJob there (that job's component is declared first: `lineage.in_order`), or
    the tuned model its file names. None for a job that tunes a base model."""
    source = spec.continue_from
    if source is None:
        return None
    if source.model is not None:
        return {region: ContinuedSource(source.model, source.model) for region in regions}
    tuning_jobs = jobs[source.job].tuning_jobs
    return {region: ContinuedSource(f"job {source.job}", tuning_jobs[region].tuned_model, tuning_jobs[region].state)
            for region in regions}
