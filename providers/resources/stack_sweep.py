"""What the stack no longer declares is stopped in the run that stops declaring it.

Pulumi deletes what a program no longer declares only after the program succeeded, and a
program that reports a recorded failure (a job Vertex refused, see
`providers.resources.job.report_outcomes`) fails so that nobody takes the run for a success.
Left to Pulumi, a job whose file was removed would keep training, paid for, for as long as
any other job is refused. So every `pulumi up` declares one `StackSweep` with the jobs and
regions the program declares (and what their files say about deletion), and the sweep acts
in the program's own time, before any failure is reported:
- it cancels every tuning job of the stack (carrying its id) still running where its job
  and region are no longer declared;
- for a job (or region) removed since the last run, it does what that job's own resources
  would do when Pulumi deletes them, by the same functions: its versions cancelled, its
  tuned-model endpoints deleted if its file said `deletionPolicy: delete`
  (`tuning_history.retire_job`), its serving endpoint deleted if its file said
  `serving.deletionPolicy: delete` and the stack does not protect serving endpoints
  (`serving_endpoint.delete_serving_endpoint`).
Pulumi's own deletes of those resources follow in the first run without failures and find
nothing left to do. Until then the resources stay in the state, recording the jobs the sweep
cancelled; should the job come back to its file meanwhile, its `TuningJob` would keep that
cancelled job for good. So the sweep records when it retired each job and region
(`retired`), every job's tuning job takes that time as an input (`retired_at`), and a job
whose recorded Vertex job was cancelled after being created before it is submitted again.
Every resource of every job waits for the sweep, so it acts before any of them is checked:
not even a refusal in a check (a retired model, a moved project, a budget) keeps it from
stopping. What the sweep could not finish stays in `retiring` for the next run, and its
failures are reported like any resource's, one line each.

A job past its deadline is a stop too: the sweep cancels every job of the stack still active
past the `maxDuration` its declared job gives (counted from Vertex's createTime, as
`providers.resources.deadlines` counts it) and records each cancel in `deadline_cancels`,
which the job's tuning job takes as an input: it records the cancel as its own and reports it
once, in the first run it is updated (the same run, unless a refusal holds it back). Its job
is not submitted again: only the sweep's retirements (`retired`) are.

`read` (refresh) records the stack's running jobs whose job and region the last run did not
declare, and those past their deadline, from the region's shared listing (no call of its own
in a run that changes nothing); `diff` reports a change when the declared jobs changed or
something is left to stop; `update` lists afresh and acts. Only resources carrying the stack's id are touched: a
stack without an id sweeps nothing. In a plan's preview with broken job files (`complete`
false) it plans nothing: it cannot tell a broken file's job from a removed one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pulumi
from pulumi.dynamic import ConfigureRequest, CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from providers.gcp import errors
from providers.gcp.budget import Budget
from providers.gcp.vertex import TuningJobView, VertexClient
from providers.jobfile import durations
from providers.jobfile.labels import JOB, label_value
from providers.resources import deadlines, stack_config
from providers.resources.reporting import ReportedError, problem_line
from providers.resources.serving_endpoint import delete_serving_endpoint
from providers.resources.tuning_history import retire_job
from providers.resources.tuning_job import CANCELLING, cancel

OBSERVED_KEYS = ("undeclared_running", "overdue", "retiring", "retired", "deadline_cancels", "status_message",
                 "failure")
"""`undeclared_running`: the stack's jobs still running, at the last refresh, where the last
run declared no such job and region ({"name", "job" (its label), "region"}); `overdue`: the
stack's jobs still active, at the last refresh, past their declared deadline (the same, and
"create_time"); `retiring`: the removed jobs and regions whose clean-up a call could not
finish, with what their files said; `retired`: when the sweep last retired each job and
region ("LABEL/REGION": RFC 3339); `deadline_cancels`: the jobs the sweep cancelled at their
deadline, by Vertex job name ({"job", "region", "ran_seconds", "limit_seconds", "at"}), kept
while their job and region are declared."""
IDENTITY_KEYS = ("project", "stack_id")


class StackSweepProvider(ResourceProvider):
    """Dynamic provider for `StackSweep`; see the module docstring."""

    def configure(self, req: ConfigureRequest) -> None:
        stack_config.configure(req.config)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if not news.get("complete"):
            return DiffResult(changes=False, replaces=[], stables=[])
        changed = olds.get("declared") != news.get("declared") or any(
            olds.get(key) != news.get(key) for key in IDENTITY_KEYS)
        return DiffResult(changes=changed or bool(_retiring(olds, news) or _orphans(olds, news)
                                                  or _overdue(olds, news, deadlines.now())),
                          replaces=[], stables=[])

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"{props['stack']}/sweep", {**props, **_sweep(props, {})})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({**news, **_sweep(news, olds)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        owner = stack_config.owner(props)
        if not owner.stack_id:
            return ReadResult(id_, {**props, "undeclared_running": [], "overdue": [], "failure": ""})
        declared, limits, at = _pairs(props.get("declared")), _limits(props.get("declared")), deadlines.now()
        regions = {region for _, region in declared} | {e["region"] for e in props.get("retiring") or []}
        budget, running, overdue = Budget(), [], []
        for region in sorted(regions):
            try:
                listing = VertexClient(props["project"], region, budget).stack_listing(owner.labels)
            except errors.VertexError as exc:
                raise ReportedError(problem_line(_stack_props(props, region), "listing the stack's tuning jobs",
                                                 exc)) from None
            running += [{"name": job.name, "job": job.labels[JOB], "region": region}
                        for job in listing.jobs if _stoppable(job, region, declared)]
            overdue += [{"name": job.name, "job": job.labels[JOB], "region": region, "create_time": job.create_time}
                        for job in listing.jobs if _past_deadline(job, region, limits, at) is not None]
        return ReadResult(id_, {**props, "undeclared_running": running, "overdue": overdue, "failure": ""})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Nothing: `pulumi destroy` stops every job through the job's own resources."""


class StackSweep(Resource, module="gemini-tuning", name="StackSweep"):
    """The jobs and regions the stack declares; stops the others' (see the module docstring)."""

    status_message: pulumi.Output[str]
    failure: pulumi.Output[str]
    """What the sweep could not do, one line each ("" if nothing)."""
    retired: pulumi.Output[dict]
    deadline_cancels: pulumi.Output[dict]

    def __init__(self, resource_name: str, *, declared: dict[str, dict[str, Any]], complete: bool,
                 project: str, pulumi_project: str, stack: str, stack_id: str,
                 opts: pulumi.ResourceOptions | None = None):
        """`declared`: per job name, `job_file`, `regions`, `deletion_policy`,
        `serving_deletion_policy` ("" without serving) and `max_duration_seconds` (0: no
        deadline); `complete`: every job file of the
        stack is in `declared` (false only in a plan's preview around broken files)."""
        props = {"declared": declared, "complete": complete, "project": project,
                 "pulumi_project": pulumi_project, "stack": stack, "stack_id": stack_id,
                 **{key: None for key in OBSERVED_KEYS}}
        super().__init__(StackSweepProvider(), resource_name, props, opts)

    def retired_at(self, job: str, region: str) -> pulumi.Output[str]:
        """When the sweep last retired `job` in `region` ("" if never): an input of its tuning job."""
        return self.retired.apply(lambda retired: (retired or {}).get(_retired_key(label_value(job), region), ""))

    def deadline_cancels_of(self, job: str, region: str) -> pulumi.Output[dict]:
        """The sweep's cancels at the deadline of `job`'s Vertex jobs in `region`, by Vertex job
        name: an input of its tuning job, which records and reports its own."""
        label = label_value(job)
        return self.deadline_cancels.apply(lambda cancels: {
            name: cancel for name, cancel in (cancels or {}).items()
            if cancel.get("job") == label and cancel.get("region") == region})


def _sweep(props: dict[str, Any], olds: dict[str, Any]) -> dict[str, Any]:
    """Stops what `props` no longer declares, within one call's budget."""
    owner = stack_config.owner(props)
    retired = dict(olds.get("retired") or {})
    declared, limits = _pairs(props.get("declared")), _limits(props.get("declared"))
    cancels = {name: cancel for name, cancel in (olds.get("deadline_cancels") or {}).items()
               if (cancel.get("job"), cancel.get("region")) in declared}
    if not props.get("complete") or not owner.stack_id:
        return {"undeclared_running": [], "overdue": [], "retiring": [], "retired": retired,
                "deadline_cancels": cancels, "status_message": "", "failure": ""}
    at = deadlines.now()
    now = at.isoformat()
    retiring = _retiring(olds, props)
    # A first run has seen nothing yet (a stack made by an earlier release): it looks in every
    # region it declares; later runs where the last refresh saw something to stop, and where a
    # deadline was added or shortened (the refresh judged the jobs by the old one).
    old_limits = _limits(olds.get("declared"))
    shortened = {region for (label, region), limit in limits.items()
                 if limit < (old_limits.get((label, region)) or limit + 1)}
    regions = ({r["region"] for r in _orphans(olds, props) + _overdue(olds, props, at)} | shortened
               | ({region for _, region in declared} if not olds else set()))
    budget, done, failures, unfinished = Budget(), [], [], []
    for entry in retiring:
        retired[_retired_key(label_value(entry["job"]), entry["region"])] = now
        removed = {**_stack_props(props, entry["region"]), "job_file": entry["job_file"], "job_name": entry["job"],
                   "current_job": "", "current_spec": ""}
        try:
            done += retire_job({**removed, "deletion_policy": entry["deletion_policy"]}, budget)
            deleted = delete_serving_endpoint({**removed, "deletion_policy": entry["serving_deletion_policy"]}, budget)
            done += [f"deleted {deleted}"] if deleted else []
        except ReportedError as exc:
            failures.append(str(exc))
            unfinished.append(entry)
    for region in sorted(regions):
        try:
            vertex = VertexClient(props["project"], region, budget)
            jobs = vertex.find_tuning_jobs(owner.labels, confirm_empty=True)
        except errors.VertexError as exc:
            failures.append(problem_line(_stack_props(props, region), "listing the stack's tuning jobs", exc))
            continue
        for job in jobs:
            label, ran = job.labels.get(JOB, ""), _past_deadline(job, region, limits, at)
            if ran is not None:
                limit = limits[(label, region)]
                why = (f" at its deadline: it ran {durations.shown(ran)}, over its {deadlines.MAX_DURATION_FIELD} of "
                       f"{durations.shown(limit)}")
            elif _stoppable(job, region, declared):
                retired[_retired_key(label, region)] = now
                why = ", which no job file declares any more"
            else:
                continue
            try:
                cancel(vertex, job)
            except errors.VertexError as exc:
                failures.append(problem_line(_stack_props(props, region), f"cancelling {job.name} of job {label}{why}",
                                             exc))
                continue
            if ran is not None:
                cancels[job.name] = {"job": label, "region": region, "ran_seconds": int(ran),
                                     "limit_seconds": limits[(label, region)], "at": now}
            done.append(f"cancelled {job.name} of job {label}{why}")
    return {"undeclared_running": [], "overdue": [], "retiring": unfinished, "retired": retired,
            "deadline_cancels": cancels, "status_message": "; ".join(done), "failure": "\n".join(failures)}


def _retired_key(label: str, region: str) -> str:
    return f"{label}/{region}"


def _pairs(declared: dict[str, dict[str, Any]] | None) -> set[tuple[str, str]]:
    """(the job's label, region) of each job and region declared."""
    return {(label_value(job), region) for job, entry in (declared or {}).items() for region in entry["regions"]}


def _retiring(olds: dict[str, Any], news: dict[str, Any]) -> list[dict[str, Any]]:
    """Each job and region that the last run declared, or left unfinished, and that `news`
    does not declare, with what its file said: what the next update does for removed jobs."""
    entries = {(e["job"], e["region"]): e for e in olds.get("retiring") or []}
    for job, entry in (olds.get("declared") or {}).items():
        for region in entry["regions"]:
            entries[(job, region)] = {"job": job, "region": region, "job_file": entry["job_file"],
                                      "deletion_policy": entry["deletion_policy"],
                                      "serving_deletion_policy": entry["serving_deletion_policy"]}
    declared = _pairs(news.get("declared"))
    return [entry for (job, region), entry in sorted(entries.items()) if (label_value(job), region) not in declared]


def _orphans(olds: dict[str, Any], news: dict[str, Any]) -> list[dict[str, Any]]:
    """The running jobs the last refresh saw that `news` does not declare either."""
    declared = _pairs(news.get("declared"))
    return [job for job in olds.get("undeclared_running") or [] if (job["job"], job["region"]) not in declared]


def _limits(declared: dict[str, dict[str, Any]] | None) -> dict[tuple[str, str], int]:
    """The deadline in seconds of each job (its label) and region declared with one."""
    return {(label_value(job), region): int(entry.get("max_duration_seconds") or 0)
            for job, entry in (declared or {}).items() for region in entry["regions"]
            if entry.get("max_duration_seconds")}


def _past_deadline(job: TuningJobView, region: str, limits: dict[tuple[str, str], int],
                   at: datetime) -> float | None:
    """How long `job` (one of the stack's) has run if it is still active past the deadline its
    declared job gives, and not yet being cancelled; None otherwise."""
    limit = limits.get((job.labels.get(JOB, ""), region)) or 0
    return deadlines.overdue({"state": job.state.removeprefix("JOB_STATE_"), "create_time": job.create_time},
                             limit, at)


def _overdue(olds: dict[str, Any], news: dict[str, Any], at: datetime) -> list[dict[str, Any]]:
    """The jobs the last refresh saw active that are past the deadline `news` declares for them."""
    limits = _limits(news.get("declared"))
    overdue = []
    for job in olds.get("overdue") or []:
        limit, ran = limits.get((job["job"], job["region"])), deadlines.ran_for(job, at)
        if limit and ran is not None and ran > limit:
            overdue.append(job)
    return overdue


def _stoppable(job: TuningJobView, region: str, declared: set[tuple[str, str]]) -> bool:
    """Whether `job` (one of the stack's) runs where nothing declared wants it. A job without
    the job label was not made by this tool: never ours to stop."""
    label = job.labels.get(JOB, "")
    return bool(label) and (label, region) not in declared and not job.has_ended and job.state != CANCELLING


def _stack_props(props: dict[str, Any], region: str) -> dict[str, Any]:
    """The stack's identity in `region`, as the providers' functions take it; lines about
    the stack itself name it where a job file would be."""
    return {"job_file": f"stack {props['stack']}", "region": region, "project": props["project"],
            "pulumi_project": props["pulumi_project"], "stack": props["stack"], "stack_id": props.get("stack_id")}
