"""The tuning-job dynamic provider: one Vertex AI supervised tuning job per job file and region.

Vertex AI has no update and no delete for tuning jobs, so:
- any change to the job's essence replaces it: the old job is cancelled first (Vertex
  cancels asynchronously; a CANCELLING job keeps its quota slot for a while), then the new
  one is submitted;
- `create` submits and returns within the call's budget, never waiting for training;
- a job that finds the concurrent tuning-job quota full is WAITING_FOR_QUOTA, a state of
  ours with no Vertex job yet, and a later `pulumi up` submits it (its diff reports a
  change, so that run calls `update`);
- a job that continues another job's tuned model (`continueFrom: {job}`) is
  WAITING_FOR_SOURCE, likewise with no Vertex job, until that job has succeeded: its
  source's tuned model comes in as an input (`source_model`, from the source's TuningJob in
  the same region, so the engine orders the two), and is part of its essence
  (`pre_tuned_model`). When the source is replaced, the job keeps the model it continued
  from until the source's new version has succeeded; then its essence changes, and it is
  replaced like any job whose essence changed;
- before every submission attempt the provider looks for a job carrying this resource's
  labels and adopts it, so a lost answer or a killed run never pays for a second job;
  transient answers are retried that way while the budget lasts;
- a submission over the job's budget (`maxEstimatedCost`) or, alone, the stack's, or with
  no estimate where a budget applies, is refused before anything is sent, in the words of
  `StackBudget` (which checks the run's new submissions together first, but counts as kept
  a job whose spec Vertex holds, so never sees what `--replace` submits);
- a submission Vertex refuses, or that gets no answer in time, is NOT_SUBMITTED: the
  reason is in `status_message`, the program fails the run with it, and the next
  `pulumi up` tries again;
- a new submission (a first submit, or a replace) on a retired base model is refused
  before anything is sent: by `check`, which sees the old inputs and so tells a new
  submission from a job it keeps, before a replace's delete cancels the old job; and
  again before any CreateTuningJob (a job that waited for quota). A job already
  submitted on a retired model stays tracked. The base model's catalogue row comes in as
  an input (`base_model_rules`), since a job repository's models.yaml may give it;
- `read` (refresh) only observes; `delete` cancels a job that has not ended. The endpoints
  Vertex deploys tuned models to are the business of the job's `TuningHistory`;
- a job still active past its deadline (`maxDuration`, counted from its submission, see
  `providers.resources.deadlines`) is seen by `diff` in what the refresh read, and its
  `update` cancels it and records `deadline_exceeded` (or records the cancel the stack's
  sweep made first, `deadline_cancels`, see `providers.resources.stack_sweep`): the line of
  that run's `failure`
  fails the run once; later reads keep the record (so the job is not submitted again and
  `status` says why it ended) but no failure. The deadline is an input of its own, not part
  of the essence: changing it never replaces the job;
- the outputs carry what Vertex reports about billing once it has read the data set
  (`billable_tokens`: one pass over the data set, and `epochs`) and when the job entered
  its state (`state_since`);
- `pulumi up --replace URN` deletes the resource and creates it again with the same labels:
  the create never adopts a job whose resource this process deleted, so it submits a new
  one (see `_released`).

The provider object is pickled into the state: it holds nothing but code. Settings come
from the resource's inputs, the environment and the stack's config (`configure`).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)
from pulumi.runtime.rpc import UNKNOWN

from providers.gcp import errors
from providers.gcp.budget import Budget, backoff
from providers.gcp.ownership import stable_key, tuning_job_labels
from providers.gcp.names import same_resource
from providers.gcp.vertex import TuningJobRequest, TuningJobView, VertexClient
from providers.jobfile import durations, retirement
from providers.jobfile.catalogue import Catalogue, ModelRules, tool_catalogue
from providers.jobfile.fields import field_name
from providers.jobfile.loading import parse_job
from providers.jobfile.problems import JobFileError
from providers.jobfile.schema import JobSpec
from providers.resources import deadlines, stack_config
from providers.resources.cost_budgets import Submission, refusals
from providers.resources.essence import (
    ESSENCE_KEYS,
    OPTIONAL_ESSENCE_KEYS,
    essence_of,
    replacement_reasons,
    spec_hash,
)
from providers.resources.reporting import ReportedError, problem_line
from providers.resources.stack_guard import refused_moves

WAITING_FOR_QUOTA = "WAITING_FOR_QUOTA"
"""Ours: the concurrent tuning-job quota is full; no Vertex job yet. Never Vertex's QUEUED."""
NOT_SUBMITTED = "NOT_SUBMITTED"
"""Ours: Vertex refused the submission or did not answer; `status_message` says why."""
WAITING_FOR_SOURCE = "WAITING_FOR_SOURCE"
"""Ours: the job it continues has not succeeded yet; no Vertex job yet."""
_FIRST_RELEASE_WAITING = "QUEUED"
"""The first release's name for WAITING_FOR_QUOTA; ours only where no Vertex job is recorded."""
CANCELLING = "JOB_STATE_CANCELLING"
SUCCEEDED = "SUCCEEDED"
"""A Vertex job's state as the `state` output names it."""

# A job in one of these states is the job this resource wants; adopting it costs nothing.
ADOPTABLE_STATES = frozenset({
    "JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED",
    "JOB_STATE_PAUSED", "JOB_STATE_UPDATING",
})
_FIRST_BACKOFF, _LONGEST_BACKOFF = 1.0, 10.0
_released: set[tuple[str, str]] = set()
"""The Vertex jobs (name, create time) whose resource this process deleted. One `pulumi up`
runs in one provider process, and a replace with the same spec (`--replace`) deletes the
resource, then creates it with the same labels: adopting one of these would hand back the
finished job the user asked to run again. A run killed in between forgets them, and the
next run adopts (no job is paid for twice; run `--replace` again)."""
_released_lock = threading.Lock()
_UNKNOWN_MODEL_ADVICE = ("Vertex AI does not offer the base model to this project in this region (Google "
                         "answers so for retired models): move the job to a current model")

OBSERVED_KEYS = (
    "vertex_job_name", "state", "tuned_model", "tuned_model_endpoint", "error",
    "create_time", "start_time", "end_time", "status_message", "failure", "checkpoints", "continued_from",
    "update_time", "billable_tokens", "epochs", "state_since",
)
"""Where the job stands in Vertex: filled by create, update and read. `failure` is the
problem of the last create or update, in one line; a read clears it. Keys added since the
first release (`update_time` onwards) are absent from older states until their next read."""
TRACKED_KEY = "tracked_since"
"""When this release first submitted, adopted or waited for the job: "" (or absent, before
their next read) for jobs that only an earlier release tracked, so their history is not told
as news (notifications)."""
DEADLINE_KEY = "deadline_exceeded"
"""{vertex_job, ran_seconds, limit_seconds, at} once this job was cancelled at its deadline, else {}."""
UPDATE_KEYS = ("job_file", "stack_id")
"""Settings of ours that change without touching the Vertex job; recorded by `update`, so
that messages name the file as it is now."""


def awaiting_submission(outputs: dict[str, Any]) -> bool:
    """Whether the resource has no Vertex job yet and the next `pulumi up` should submit it."""
    return not outputs.get("vertex_job_name") and outputs.get("state") in (
        WAITING_FOR_QUOTA, NOT_SUBMITTED, _FIRST_RELEASE_WAITING, WAITING_FOR_SOURCE)


def stopped_by_the_sweep(olds: dict[str, Any], news: dict[str, Any]) -> bool:
    """Whether the recorded job was cancelled because its job (or region) left its file, and
    the file declares it again: the stack's sweep retired it (`retired_at`) after the job was
    created, and Pulumi had not deleted the resource yet (every run since failed). Then the job
    is submitted again, as it would be had Pulumi deleted the resource and created it anew."""
    return cancelled_by_the_sweep(olds.get("state") or "", olds.get("create_time") or "", news.get("retired_at"))


def cancelled_by_the_sweep(state: str, create_time: str, retired_at: object) -> bool:
    """Whether a Vertex job in `state` (Vertex's name or ours), created at `create_time`, was
    cancelled by the stack's sweep, which last retired its job and region at `retired_at`:
    such a job, declared again, is the one ended job the provider submits again."""
    if state.removeprefix("JOB_STATE_") not in ("CANCELLED", "CANCELLING"):
        return False
    try:
        return datetime.fromisoformat(create_time) < datetime.fromisoformat(retired_at)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False  # never retired, or not known in a preview


class TuningJobProvider(ResourceProvider):
    """Dynamic provider for `TuningJob`. See the module docstring for the contract."""

    def configure(self, req: ConfigureRequest) -> None:
        stack_config.configure(req.config)

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        job_file = news.get("job_file", "job file")
        if refused := refused_moves(olds, news):
            # The stack's guard may be new (an upgrade): this job's own state knows better.
            return CheckResult(news, [CheckFailure(key, message) for key, message in refused])
        try:
            catalogue, model = _catalogue(news)
            spec = parse_job(json.loads(news.get("spec_json") or "null"), job_file, catalogue)
            on = retirement.today()
        except JobFileError as exc:
            return CheckResult(news, [
                CheckFailure(problem.field or "spec", str(problem)) for problem in exc.problems
            ])
        rules = catalogue.rules(model) if model else None
        essence = essence_of(spec, news["region"], _continued_from(olds, news))
        checked = {**news, **essence, "spec_hash": spec_hash(essence)}
        # No old inputs, or ones the job differs from, mean a new Vertex job: a first submit or a replace.
        refusal = rules and retirement.submission_refusal(model, rules, on)
        # A plan's preview shows the refusal itself, beside the rest of the plan.
        if refusal and (not olds or replacement_reasons(olds, checked)) and not news.get("plan_preview"):
            where = field_name(JobSpec, "base_model" if spec.continue_from is None else "continue_from")
            return CheckResult(checked, [CheckFailure("base_model", f"{job_file}: {where}: {refusal}")])
        return CheckResult(checked, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = replacement_reasons(olds, news)
        if olds.get("state") == WAITING_FOR_SOURCE and not olds.get("vertex_job_name") and not (
                replaces and olds.get("pre_tuned_model")):
            # Nothing to cancel, and the next update submits it if its source has succeeded.
            # One that kept a model (it had waited for quota, say) is replaced instead: the
            # delete cancels any twin a lost answer left on that model.
            return DiffResult(changes=True, replaces=[], stables=[])
        if replaces:
            return DiffResult(changes=True, replaces=replaces, stables=[], delete_before_replace=True)
        changed = any(olds.get(key) != news.get(key) for key in UPDATE_KEYS)
        overdue = deadlines.overdue(olds, deadlines.limit_of(news), deadlines.now()) is not None
        return DiffResult(changes=changed or awaiting_submission(olds) or stopped_by_the_sweep(olds, news) or overdue
                          or swept_at_deadline(olds, news) is not None, replaces=[], stables=[])

    def create(self, props: dict[str, Any]) -> CreateResult:
        if awaits_source(props):
            return CreateResult(_key(props), _recorded({**props, **_waiting_for_source(props), **_tracked()}))
        return CreateResult(_key(props), _recorded({**props, **_submit_or_adopt(props, Budget()), **_tracked()}))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if awaiting_submission(olds) or stopped_by_the_sweep(olds, news):
            if awaits_source(news):
                return UpdateResult(_recorded({**news, **_waiting_for_source(news, olds), **_tracked(olds)}))
            return UpdateResult(_recorded({**news, **_submit_or_adopt(news, Budget(), olds), **_tracked(olds)}))
        recorded = {**{key: olds.get(key) for key in (*OBSERVED_KEYS, DEADLINE_KEY, TRACKED_KEY)}, "failure": ""}
        if (swept := swept_at_deadline(olds, news)) is not None:
            return UpdateResult(_recorded({**news, **recorded, **_record_deadline_cancel(olds, news, swept)}))
        if deadlines.overdue(olds, deadlines.limit_of(news), deadlines.now()) is not None:
            return UpdateResult(_recorded({**news, **recorded, **_cancel_at_deadline(olds, news)}))
        # Only settings of ours changed: the Vertex job stays as it is.
        return UpdateResult(_recorded({**news, **recorded}))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            job = _current_job(_client(props, Budget()), props, shared_listing=True)
        except errors.VertexError as exc:
            raise ReportedError(problem_line(props, "reading the tuning job", exc)) from None
        if job is None:
            if awaiting_submission(props):
                return ReadResult(id_, _recorded({**props, "failure": ""}))
            # Vertex never deletes tuning jobs: the recorded one is gone from this project.
            return ReadResult(None, {})
        return ReadResult(id_, _recorded({**props, **_observed(job, props.get(DEADLINE_KEY))}))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        try:
            vertex = _client(props, Budget())
            # The recorded job, and any twin a lost answer left with the same labels.
            jobs = {job.name: job for job in (_current_job(vertex, props, shared_listing=False),
                                              *_labelled(vertex, props)) if job is not None}
            for job in jobs.values():
                if not (job.has_ended or job.state == CANCELLING):
                    cancel(vertex, job)
            with _released_lock:
                _released.update((job.name, job.create_time) for job in jobs.values())
        except errors.VertexError as exc:
            raise ReportedError(problem_line(props, "cancelling the tuning job", exc)) from None


class TuningJob(Resource, module="gemini-tuning", name="TuningJob"):
    """One supervised tuning job of one job file, in one region."""

    base_model: pulumi.Output[str]
    vertex_job_name: pulumi.Output[str]
    state: pulumi.Output[str]
    tuned_model: pulumi.Output[str]
    tuned_model_endpoint: pulumi.Output[str]
    error: pulumi.Output[str]
    status_message: pulumi.Output[str]
    failure: pulumi.Output[str]
    spec_hash: pulumi.Output[str]
    checkpoints: pulumi.Output[list]
    """The tuned model's checkpoints: id, epoch, step, endpoint, default, scores."""
    continued_from: pulumi.Output[str]
    create_time: pulumi.Output[str]
    state_since: pulumi.Output[str]
    billable_tokens: pulumi.Output[int]
    epochs: pulumi.Output[int]
    deadline_exceeded: pulumi.Output[dict]
    tracked_since: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        job_file: str,
        spec: dict[str, Any],
        project: str,
        region: str,
        pulumi_project: str,
        stack: str,
        stack_id: str,
        allow_project_change: str = "",
        allow_region_change: str = "",
        base_model_rules: str = "",
        plan_preview: bool = False,
        source: ContinuedSource | None = None,
        retired_at: pulumi.Input[str] = "",
        max_duration_seconds: int = 0,
        deadline_cancels: pulumi.Input[dict] | None = None,
        estimate: dict[str, Any] | None = None,
        max_estimated_cost: float = 0.0,
        stack_max_estimated_cost: float = 0.0,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """`allow_project_change`, `allow_region_change`: the stack's allowances
        (`StackGuard.allowances`), for the check of a move of this job;
        `base_model_rules`: the catalogue row of the base model whose rules the job follows,
        as JSON (`base_model_row`); `plan_preview`: the preview of `python -m providers plan`,
        which reports a refused submission in the plan instead of failing (it never applies
        anything); `source`: what a continuing job continues; `retired_at`: when the stack's
        sweep last retired this job in this region (`StackSweep.retired_at`; see
        `stopped_by_the_sweep`).;
        `max_duration_seconds`: the job's deadline (0: none); `deadline_cancels`: the
        stack's sweep's cancels of this job at its deadline (`StackSweep.deadline_cancels_of`),
        which this resource records and reports as its own (see `_swept_at_deadline`); `estimate`: the estimated
        cost of one training (`providers.stack.estimates.Estimate.as_input`), for the plan,
        the outputs and the budgets; `max_estimated_cost`, `stack_max_estimated_cost`: the
        job's budget and the stack's (0: none), which a submission is refused over
        (`_over_budget`)."""
        props: dict[str, Any] = {
            "job_file": job_file,
            # JSON keeps integers integers; Pulumi would carry them as floats.
            "spec_json": json.dumps(spec, sort_keys=True),
            "job_name": spec["name"],
            "project": project,
            "region": region,
            "pulumi_project": pulumi_project,
            "stack": stack,
            "stack_id": stack_id,
            "allow_project_change": allow_project_change,
            "allow_region_change": allow_region_change,
            "base_model_rules": base_model_rules,
            "retired_at": retired_at,
            **({"plan_preview": True} if plan_preview else {}),
            # Only on continuing jobs: the state of jobs made by earlier releases stays as it was.
            **({"source_name": source.name, "source_model": source.model, "source_state": source.state}
               if source is not None else {}),
            "max_duration_seconds": max_duration_seconds,
            **({"deadline_cancels": deadline_cancels} if deadline_cancels is not None else {}),
            **({"estimate": estimate} if estimate else {}),
            # Only where set: the state of jobs without budgets stays as it was.
            **({"max_estimated_cost": max_estimated_cost} if max_estimated_cost else {}),
            **({"stack_max_estimated_cost": stack_max_estimated_cost} if stack_max_estimated_cost else {}),
            "spec_hash": None,
            DEADLINE_KEY: None,
            TRACKED_KEY: None,
            **{key: None for key in ESSENCE_KEYS},
            **{key: None for key in OBSERVED_KEYS},
        }
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(delete_before_replace=True)
        )
        super().__init__(TuningJobProvider(), resource_name, props, opts)



@dataclass(frozen=True)
class ContinuedSource:
    """What a continuing job continues, as its TuningJob takes it."""

    name: str
    """For messages: `job NAME`, or the tuned model named in the job file."""
    model: pulumi.Input[str]
    """The tuned model: the source job's TuningJob output in the same region ("" until it
    has succeeded), or the model named in the job file."""
    state: pulumi.Input[str] = ""
    """The source job's state, for messages."""


def base_model_row(model: str, rules: ModelRules, origin: str) -> str:
    """The catalogue row of `model` as the `base_model_rules` input carries it."""
    return json.dumps({"model": model, "origin": origin, "rules": rules.model_dump(mode="json", by_alias=True)},
                      sort_keys=True)


def _catalogue(props: dict[str, Any]) -> tuple[Catalogue, str | None]:
    """The tool's catalogue with the row of the base model whose rules the job follows, as
    the program found it (models.yaml included), and that model: the job's own, its source's
    for a continuing job; None when not known (a continued `continueFrom.model`). Rows
    recorded before they named their model are the job's `baseModel`'s."""
    catalogue = tool_catalogue()
    row = json.loads(props.get("base_model_rules") or "null")
    spec = json.loads(props.get("spec_json") or "null")
    own = spec.get("baseModel") if isinstance(spec, dict) and isinstance(spec.get("baseModel"), str) else None
    model = row.get("model", own) if row else own
    if not row or model is None:
        return catalogue, model
    return catalogue.with_row(model, ModelRules.model_validate(row["rules"]), row["origin"]), model


def _continued_from(olds: dict[str, Any], news: dict[str, Any]) -> str:
    """The tuned model a continuing job starts from: its source's, once the source succeeded.

    While the same source's newer version trains (its model is "", not known in a preview,
    or reported before the source succeeded), the job keeps the model it started from, so
    that a running job is not replaced (cancelled, and paid for again) until that version
    exists. Check sees the old inputs only, not whether a Vertex job is kept: a job with
    none (it waited for quota, was refused, or was cancelled by the stack's sweep and is
    declared again) is not submitted on that model but waits for the new version
    (`awaits_source`); once that succeeds, the model changes and the job is replaced, whose
    delete cancels any twin a lost answer left.

    The model recorded before is kept as it was spelled when it names the same model (the
    project by number or by id; `continueFrom.job` or `.model`): the same job, same spec hash."""
    source = _succeeded_source(news)
    recorded = olds.get("pre_tuned_model") or ""
    if source:
        return recorded if same_resource(recorded, source) else source
    if news.get("source_name") and olds.get("source_name") == news.get("source_name"):
        return recorded
    return ""


def awaits_source(props: dict[str, Any]) -> bool:
    """Whether a continuing job with no Vertex job yet must wait instead of being submitted:
    its source has not succeeded, or what it would continue is not the source's current
    tuned model (the source's next version trains)."""
    if not props.get("source_name"):
        return False
    return not same_resource(props.get("pre_tuned_model") or "", _succeeded_source(props))


def _succeeded_source(props: dict[str, Any]) -> str:
    """The source's tuned model, if the source is a job that succeeded or a model the job file
    names (no state); "" otherwise. A running job's tuned model (Vertex deploys checkpoints
    while a job tunes), or a partly succeeded one's, is not yet what the job continues."""
    source = props.get("source_model")
    if not isinstance(source, str) or source == UNKNOWN or props.get("source_state") not in ("", None, SUCCEEDED):
        return ""
    return source


def _waiting_for_source(props: dict[str, Any], olds: dict[str, Any] | None = None) -> dict[str, Any]:
    state = props.get("source_state")
    now = f"it is {state}" if isinstance(state, str) and state and state != UNKNOWN else "it has no tuned model yet"
    ended = ("FAILED", "CANCELLED", "PARTIALLY_SUCCEEDED", NOT_SUBMITTED)
    advice = ("; fix it, and the job follows its next success" if state in ended
              else "; a later `pulumi up` submits this job with its tuned model")
    return {**_unsubmitted(WAITING_FOR_SOURCE, olds),
            "status_message": f"waiting for {props['source_name']} to succeed in {props['region']} ({now}){advice}"}


def _nothing_observed() -> dict[str, Any]:
    return {**{key: "" for key in OBSERVED_KEYS}, "checkpoints": [], "billable_tokens": 0, "epochs": 0}


def cancel(vertex: VertexClient, job: TuningJobView) -> None:
    """Asks Vertex to cancel `job` (asynchronous: it passes through CANCELLING)."""
    try:
        vertex.cancel_tuning_job(job.name)
    except errors.NotFoundError:
        return
    except errors.InvalidRequestError:
        # It ended, or another cancel got there first, between our look and this one.
        now = vertex.get_tuning_job(job.name)
        if not (now.has_ended or now.state == CANCELLING):
            raise


def _client(props: dict[str, Any], budget: Budget) -> VertexClient:
    return VertexClient(props["project"], props["region"], budget)


def _key(props: dict[str, Any]) -> str:
    return stable_key(props["stack"], props["job_name"], props["region"], props["spec_hash"])


def _labels(props: dict[str, Any]) -> dict[str, str]:
    return tuning_job_labels(stack_config.owner(props), props["job_name"], props["spec_hash"])


def _current_job(vertex: VertexClient, props: dict[str, Any], *, shared_listing: bool) -> TuningJobView | None:
    """The Vertex job this resource stands for, if any.

    `shared_listing`: for reads, take it from the region's listing of this stack's
    resources (one call for a whole refresh), falling back to a single read.
    """
    owner = stack_config.owner(props)
    listing = vertex.stack_listing(owner.labels) if shared_listing and owner.stack_id else None
    name = props.get("vertex_job_name")
    if name:
        job = listing.job(name) if listing else None
        if job is not None:
            return job
        try:
            return vertex.get_tuning_job(name)
        except errors.NotFoundError:
            return None
    # Waiting, or a run died between submitting and recording: look it up by its labels.
    if listing:
        labels = _labels(props)
        return _latest_adoptable([j for j in listing.jobs if labels.items() <= j.labels.items()])
    return _adoptable(vertex, props)


def _labelled(vertex: VertexClient, props: dict[str, Any], confirm_empty: bool = False) -> list[TuningJobView]:
    """The jobs carrying this resource's labels: none without the stack's id, whose labels
    another stack with the same names could carry too."""
    if not stack_config.owner(props).stack_id:
        return []
    return vertex.find_tuning_jobs(_labels(props), confirm_empty=confirm_empty)


def _adoptable(vertex: VertexClient, props: dict[str, Any]) -> TuningJobView | None:
    """The job to adopt instead of submitting one (looked for with an empty answer confirmed)."""
    return _latest_adoptable(_labelled(vertex, props, confirm_empty=True))


def _latest_adoptable(jobs: list[TuningJobView]) -> TuningJobView | None:
    candidates = sorted((j for j in _unreleased(jobs) if j.state in ADOPTABLE_STATES), key=lambda j: j.create_time)
    return candidates[-1] if candidates else None


def _unreleased(jobs: list[TuningJobView]) -> list[TuningJobView]:
    """`jobs` but those this process released (`pulumi up --replace`: never adopted again)."""
    with _released_lock:
        released = list(_released)
    return [j for j in jobs if not any(same_resource(j.name, name) and j.create_time == created
                                       for name, created in released)]


def _submit_or_adopt(props: dict[str, Any], budget: Budget, olds: dict[str, Any] | None = None) -> dict[str, Any]:
    """Adopts this resource's job, or submits it; retried while transient, within `budget`.
    `olds`: the outputs of a job that waited (for how long it has been waiting)."""
    pauses = backoff(_FIRST_BACKOFF, _LONGEST_BACKOFF)
    try:
        vertex = _client(props, budget)
        while True:
            try:
                # Looked up before every attempt: an earlier one may have gone through.
                jobs = _labelled(vertex, props, confirm_empty=True)
                job = _latest_adoptable(jobs)
                if job is None and (swept := _swept_twin(jobs, props)) is not None:
                    return _cancelled_at_deadline(props, *swept)
                if job is None:
                    if refusal := _refusal(props):
                        return _not_submitted(problem_line(props, "submitting the tuning job", refusal), olds)
                    if over := _over_budget(props):
                        return _not_submitted(over, olds)
                    job = vertex.create_tuning_job(_request(props))
                return _observed(job)
            except errors.QuotaFullError as exc:
                return _waiting(exc, olds)
            except errors.TransientError as exc:
                if isinstance(exc, errors.OutOfTimeError) or not budget.pause(next(pauses)):
                    raise
    except errors.NotFoundError as exc:
        return _not_submitted(problem_line(props, "submitting the tuning job", exc, _UNKNOWN_MODEL_ADVICE), olds)
    except errors.VertexError as exc:
        return _not_submitted(problem_line(props, "submitting the tuning job", exc), olds)


def _tracked(olds: dict[str, Any] | None = None) -> dict[str, str]:
    return {TRACKED_KEY: (olds or {}).get(TRACKED_KEY) or deadlines.now().isoformat()}


def _recorded(outputs: dict[str, Any]) -> dict[str, Any]:
    """`outputs` with the records of ours always there: Pulumi drops an output that is None,
    and a preview reads a missing output as unknown, which would leave everything computed
    from it (the stack's notifications) unknown in every preview."""
    return {**outputs, DEADLINE_KEY: outputs.get(DEADLINE_KEY) or {}, TRACKED_KEY: outputs.get(TRACKED_KEY) or ""}


def _cancel_at_deadline(olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
    """Cancels a job found past its deadline (looked at again first), and reports it in one line."""
    limit = deadlines.limit_of(news)
    try:
        vertex = _client(news, Budget())
        job = vertex.get_tuning_job(olds["vertex_job_name"])
        ran = deadlines.overdue(_observed(job), limit, deadlines.now())
        if ran is None:
            return _observed(job)  # it ended, or is being cancelled, since the refresh
        cancel(vertex, job)
        job = vertex.get_tuning_job(job.name)
    except errors.VertexError as exc:
        line = problem_line(news, "cancelling the tuning job at its deadline", exc)
        return {"status_message": line, "failure": line}
    return _cancelled_at_deadline(news, job, {"ran_seconds": int(ran), "limit_seconds": limit,
                                              "at": deadlines.now().isoformat()})


def swept_at_deadline(olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any] | None:
    """The stack's sweep's cancel of this job's Vertex job at its deadline, which this
    resource has not recorded yet; None otherwise. The sweep acts first in every run, so a
    refusal elsewhere in the run does not keep the job training; this resource records the
    cancel as if it had made it, and reports it once."""
    name = olds.get("vertex_job_name")
    if not name or olds.get(DEADLINE_KEY):
        return None
    return _sweeps_cancel_of(news, name)


def _sweeps_cancel_of(props: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The sweep's record of its cancel of Vertex job `name` at its deadline, if it made one."""
    cancels = props.get("deadline_cancels")
    if not isinstance(cancels, dict):
        return None  # none, or not known in a preview
    return next((cancel for cancelled, cancel in cancels.items() if same_resource(cancelled, name)), None)


def _record_deadline_cancel(olds: dict[str, Any], news: dict[str, Any], swept: dict[str, Any]) -> dict[str, Any]:
    """The outputs of this resource's job, which the sweep cancelled at its deadline, and its one line."""
    try:
        job = _client(news, Budget()).get_tuning_job(olds["vertex_job_name"])
    except errors.VertexError as exc:
        line = problem_line(news, "reading the tuning job cancelled at its deadline", exc)
        return {"status_message": line, "failure": line}
    return _cancelled_at_deadline(news, job, swept)


def _cancelled_at_deadline(props: dict[str, Any], job: TuningJobView, swept: dict[str, Any]) -> dict[str, Any]:
    """The outputs of `job`, cancelled at its deadline (`swept`: how long it ran, the limit and
    when, as the sweep records it), with the one line."""
    ran, limit = swept.get("ran_seconds") or 0, swept.get("limit_seconds") or 0
    record = {"vertex_job": job.name, "ran_seconds": ran, "limit_seconds": limit, "at": swept.get("at") or ""}
    return {**_observed(job, record), DEADLINE_KEY: record, "failure": deadlines.cancelled_line(props, ran, limit)}


def _swept_twin(jobs: list[TuningJobView], props: dict[str, Any]) -> tuple[TuningJobView, dict[str, Any]] | None:
    """Among the jobs of this resource's spec, the latest the stack's sweep cancelled at its
    deadline (and this process did not release, `--replace`), with the sweep's record: a job a
    killed run submitted, past its deadline when the next run's sweep came first. It is this
    resource's job, ended: adopted and reported, never submitted again."""
    swept = [(job, cancel) for job in _unreleased(jobs) if (cancel := _sweeps_cancel_of(props, job.name)) is not None]
    return max(swept, key=lambda pair: pair[0].create_time) if swept else None


def _refusal(props: dict[str, Any]) -> str | None:
    """Why a new submission of this job is refused (its base model retired); None if it may go."""
    try:
        catalogue, model = _catalogue(props)
        rules = catalogue.rules(model) if model else None
        return rules and retirement.submission_refusal(model, rules, retirement.today())
    except JobFileError as exc:
        return str(exc)


def _over_budget(props: dict[str, Any]) -> str:
    """Why the budgets refuse submitting this job, in `StackBudget`'s words ("" if they do not).

    `StackBudget` holds a run's new submissions to the budgets, but counts as kept a job whose
    spec Vertex already holds; `pulumi up --replace` then submits anew (see `_released`). So the
    paying call itself checks this job against its own budget and, alone, the stack's."""
    submission = Submission(props["job_name"], props.get("job_file", "job file"), props["region"],
                            props.get("spec_hash") or "", dict(props.get("estimate") or {}),
                            float(props.get("max_estimated_cost") or 0))
    lines = refusals([submission], float(props.get("stack_max_estimated_cost") or 0), f"Pulumi.{props['stack']}.yaml")
    return "; ".join(line for _, line in lines)


def _request(props: dict[str, Any]) -> TuningJobRequest:
    return TuningJobRequest(
        base_model=props["base_model"],
        training_dataset_uri=props["training_dataset_uri"],
        validation_dataset_uri=props["validation_dataset_uri"],
        epoch_count=int(props["epoch_count"]),
        adapter_size=int(props["adapter_size"]),
        learning_rate_multiplier=float(props["learning_rate_multiplier"]),
        tuned_model_display_name=props["tuned_model_display_name"],
        description=props["description"],
        labels={**props["labels"], **_labels(props)},
        **{key: props[key] for key in OPTIONAL_ESSENCE_KEYS if props.get(key)},
    )


def _unsubmitted(state: str, olds: dict[str, Any] | None) -> dict[str, Any]:
    """The observed keys of a job with no Vertex job, in one of the tool's own states, with
    the time it entered that state (kept while it stays there)."""
    olds = olds or {}
    since = olds.get("state_since") if olds.get("state") == state and olds.get("state_since") else (
        deadlines.now().isoformat())
    return {**_nothing_observed(), "state": state, "state_since": since}


def _waiting(exc: errors.VertexError, olds: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        **_unsubmitted(WAITING_FOR_QUOTA, olds),
        "status_message": f"waiting for a free slot in the project's concurrent tuning-job quota "
                          f"({exc}); a later `pulumi up` submits it",
    }


def _not_submitted(line: str, olds: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**_unsubmitted(NOT_SUBMITTED, olds), "status_message": line, "failure": line}


def _observed(job: TuningJobView, deadline: dict[str, Any] | None = None) -> dict[str, Any]:
    """The outputs for `job`; `deadline`: the record of its cancel at the deadline, if any
    (its line stays the status message; the failure is reported by that run alone)."""
    state = job.state.removeprefix("JOB_STATE_")
    message = f"the tuning job failed: {job.error}" if state in ("FAILED", "EXPIRED") else ""
    if deadline and deadline.get("vertex_job") == job.name:
        message = (f"cancelled at its deadline: it ran {durations.shown(deadline.get('ran_seconds') or 0)}, over its "
                   f"{deadlines.MAX_DURATION_FIELD} of {durations.shown(deadline.get('limit_seconds') or 0)}"
                   + ("; Vertex finished it before the cancel took effect" if state == "SUCCEEDED" else ""))
    observed = {
        "vertex_job_name": job.name,
        "state": state,
        "tuned_model": job.tuned_model,
        "tuned_model_endpoint": job.tuned_model_endpoint,
        "error": job.error,
        "create_time": job.create_time,
        "start_time": job.start_time,
        "end_time": job.end_time,
        "status_message": message,
        "failure": "",
        "checkpoints": [dict(checkpoint) for checkpoint in job.checkpoints],
        "continued_from": job.continued_from,
        "update_time": job.update_time,
        "billable_tokens": job.billable_tokens,
        "epochs": job.epochs,
    }
    return {**observed, "state_since": deadlines.state_since(observed)}
