"""The serving-endpoint dynamic provider: a Vertex endpoint per job and region that outlives jobs.

Applications call the serving endpoint; its name never changes. It serves the tuned model
of the job's newest version once that version has succeeded:
- while a replacement job trains, traffic stays on the model it already serves;
- a new model gets all traffic at once, or `canaryPercent` first (changing it moves the
  share) and the rest once the job file drops `canaryPercent` (promotion); only then is
  the old model undeployed;
- removing the job (or its `serving:` block) keeps the endpoint unless the file said
  `deletionPolicy: delete` (the program also sets Pulumi's `retain_on_delete` then);
- `serving.checkpoint` picks the checkpoint of the tuned model it deploys
  (`DeployedModel.checkpoint_id`), and `serving.promoteWhen` holds a new tuned model back
  until its evaluation passes the gate (`providers.resources.promotion`): a HELD endpoint
  keeps serving what it serves, and says why in `held`. The scores of what it deploys are
  recorded (`model_scores`), so a later gate can ask a new model to beat them.

The endpoint carries the stack's labels and the job's own `labels`; labels others put on it
(billing, policy) stay. Endpoints made before stacks had ids get the id label on their next
update.

Serving rests on an assumption: Google documents that a tuned model is deployed to an
endpoint of its own, and deploying it to another endpoint (DeployModel) only through API
fields. Should Vertex refuse (INVALID_ARGUMENT), the refusal is reported once, nothing
already serving is touched, and the same model is not tried again (`refused_model`).

Every call does a bounded amount of work (see `providers.gcp.budget`): an operation
still running when the budget ends is recorded in `pending_operation` and finished by the
next `pulumi up`.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import pulumi
from pulumi.dynamic import ConfigureRequest, CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult
from pulumi.runtime.rpc import UNKNOWN

from providers.gcp import errors
from providers.gcp.budget import Budget
from providers.gcp.ownership import serving_labels
from providers.gcp.names import same_resource, split_checkpoint
from providers.gcp.operations import OperationFailed, finished
from providers.gcp.vertex import EndpointView, VertexClient, new_resource_id
from providers.jobfile.fields import field_name
from providers.jobfile.schema import JobSpec
from providers.resources import promotion, stack_config
from providers.resources.endpoints import empty_and_delete_endpoint
from providers.resources.reporting import ReportedError, problem_line
from providers.resources.traffic import Deploy, SetTraffic, next_step

OBSERVED_KEYS = ("endpoint_name", "status", "serving_model", "traffic_split",
                 "deployed_models", "pending_operation", "creating_endpoint", "deploying_model",
                 "error", "refused_model", "failure", "gate", "held", "model_scores")
"""`creating_endpoint` and `deploying_model` ({"id", "model"}) hold the ids of ours a request
was sent with until its result is seen, so a later run repeats the request with the same id
(Vertex answers ALREADY_EXISTS) instead of making a second endpoint or deploying twice."""
_MAPPING_KEYS = ("traffic_split", "deployed_models", "deploying_model", "held", "model_scores")
# A plan needs at most: deploy, undeploy idle models, promote. More means Vertex keeps
# answering differently from what was asked; stop rather than loop.
_MAX_STEPS_PER_CALL = 6
# Inputs whose change needs a new endpoint; the others are applied to the existing one.
REPLACE_KEYS = ("project", "region")
UPDATE_KEYS = ("tuned_model", "canary_percent", "deletion_policy", "labels")
# Inputs added since; absent from the state of endpoints made before, where they meant this.
UPDATE_KEYS_SINCE = {"checkpoint": promotion.DEFAULT, "promote_when": None}

_CHECKPOINT_FIELD = field_name(JobSpec, "serving", "checkpoint")
WAITING_FOR_TUNING = "WAITING_FOR_TUNING"
UPDATING = "UPDATING"
CANARY = "CANARY"
SERVING = "SERVING"
DEPLOY_REFUSED = "DEPLOY_REFUSED"
HELD = "HELD"
"""A new tuned model did not pass the job's gate: the endpoint keeps serving what it serves."""

_REFUSAL_HELP = (
    "Vertex AI refused to deploy the tuned model to the job's serving endpoint. The serving "
    "feature relies on DeployModel accepting tuned Gemini models, which Google documents only "
    "through API fields; the tuned model still serves from its own endpoint (tunedModelEndpoint), "
    "the serving endpoint keeps what it served, and this model is not tried again"
)


class ServingEndpointProvider(ResourceProvider):
    """Dynamic provider for `ServingEndpoint`; see the module docstring."""

    def configure(self, req: ConfigureRequest) -> None:
        stack_config.configure(req.config)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in REPLACE_KEYS if olds.get(key) != news.get(key)]
        if replaces:
            return DiffResult(changes=True, replaces=replaces, stables=[])
        changed = any(olds.get(key) != news.get(key) for key in UPDATE_KEYS) or any(
            (olds.get(key) or default) != (news.get(key) or default) for key, default in UPDATE_KEYS_SINCE.items())
        return DiffResult(changes=changed or _unfinished(olds, news), replaces=[], stables=[])

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = _reconcile(props, {})
        return CreateResult(f"{props['stack']}/{props['job_name']}/{props['region']}/serving",
                            {**props, **outs})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({**news, **_reconcile(news, olds)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        name = props.get("endpoint_name")
        if not name:
            return ReadResult(id_, {**props, "failure": ""})
        try:
            vertex = _client(props, Budget())
            owner = stack_config.owner(props)
            endpoint = vertex.stack_listing(owner.labels).endpoint(name) if owner.stack_id else None
            endpoint = endpoint or vertex.get_endpoint(name)
        except errors.NotFoundError:
            return ReadResult(None, {})
        except errors.VertexError as exc:
            raise ReportedError(problem_line(props, "reading the serving endpoint", exc)) from None
        observed = _observed(endpoint, props, props.get("pending_operation") or "",
                             props.get("error") or "", props.get("refused_model") or "")
        return ReadResult(id_, {**props, **observed, "failure": ""})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        delete_serving_endpoint(props, Budget())


class ServingEndpoint(Resource, module="gemini-tuning", name="ServingEndpoint"):
    """The serving endpoint of one job in one region."""

    endpoint_name: pulumi.Output[str]
    status: pulumi.Output[str]
    error: pulumi.Output[str]
    failure: pulumi.Output[str]
    serving_model: pulumi.Output[str]
    traffic_split: pulumi.Output[dict]
    gate: pulumi.Output[str]
    held: pulumi.Output[dict]

    def __init__(self, resource_name: str, *, job_file: str, job_name: str, display_name: str,
                 canary_percent: int, deletion_policy: str, labels: dict[str, str],
                 tuned_model: pulumi.Input[str], project: str, region: str, pulumi_project: str,
                 stack: str, stack_id: str, checkpoint: str = promotion.DEFAULT,
                 checkpoints: pulumi.Input[list] | None = None, promote_when: dict | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        """`checkpoint` (`serving.checkpoint`) and `promote_when` (`serving.promoteWhen`) as the
        job file says; `checkpoints` the job's TuningJob output."""
        props = {
            "job_file": job_file, "job_name": job_name, "display_name": display_name,
            "canary_percent": canary_percent, "deletion_policy": deletion_policy,
            "labels": labels, "tuned_model": tuned_model, "project": project, "region": region,
            "pulumi_project": pulumi_project, "stack": stack, "stack_id": stack_id,
            # Only when set: the inputs of endpoints made by earlier releases stay as they were.
            **({"checkpoint": checkpoint} if checkpoint != promotion.DEFAULT else {}),
            **({"promote_when": promote_when} if promote_when else {}),
            "checkpoints": checkpoints,
            **{key: None for key in OBSERVED_KEYS},
        }
        super().__init__(ServingEndpointProvider(), resource_name, props, opts)


def delete_serving_endpoint(props: dict[str, Any], budget: Budget) -> str:
    """What removing the job or its `serving:` block asks for: with `deletionPolicy: delete`
    (never in a stack with protectServingEndpoints: the program records `retain` there), the
    endpoint emptied and deleted. Also called by the `StackSweep`. Returns the endpoint it
    deleted ("" if none); raises ReportedError, in one line, for what it could not do."""
    if props.get("deletion_policy") != "delete":
        return ""
    try:
        vertex = _client(props, budget)
        # No recorded name: its creation was still running; it may exist by now.
        endpoint = _existing_endpoint(vertex, props, props)
        if endpoint is not None and not empty_and_delete_endpoint(vertex, endpoint.name):
            raise ReportedError(problem_line(
                props, f"deleting the serving endpoint {endpoint.name}",
                "still being emptied when the call's time ran out; run `pulumi up` again to finish"))
    except errors.VertexError as exc:
        raise ReportedError(problem_line(props, "deleting the serving endpoint", exc)) from None
    return endpoint.name if endpoint is not None else ""


def _client(props: dict[str, Any], budget: Budget) -> VertexClient:
    return VertexClient(props["project"], props["region"], budget)


def _labels(props: dict[str, Any]) -> dict[str, str]:
    """The endpoint's labels: the job's own, then the tool's (which a job file cannot set)."""
    return {**(props.get("labels") or {}),
            **serving_labels(stack_config.owner(props), props["job_name"])}


def _merged_labels(current: dict[str, str], props: dict[str, Any], olds: dict[str, Any]) -> dict[str, str]:
    """The endpoint's labels after this update: ours as the job file says now, and the
    labels others put on it (a billing or policy tool) as they are. A label the job file
    had and no longer has goes."""
    dropped = set(olds.get("labels") or {}) - set(props.get("labels") or {})
    return {**{k: v for k, v in current.items() if k not in dropped}, **_labels(props)}


@dataclass(frozen=True)
class _Decision:
    """What the endpoint moves toward, and why not further."""

    desired: str
    """The model (or checkpoint) to serve; "" to change nothing."""
    candidate: promotion.Candidate | None
    """What of the job's newest tuned model it would serve."""
    held: dict[str, Any]
    """The candidate the gate holds back, its scores and why; {} when none is."""
    problem: str
    """A serving.checkpoint the tuned model does not have, said in one line; "" if none."""


def _decide(props: dict[str, Any], olds: dict[str, Any], deployed: dict[str, str],
            split: dict[str, int]) -> _Decision:
    """What to serve of the job's newest tuned model, given what the endpoint has deployed
    (id -> model) with `split` (id -> share): the chosen checkpoint, unless Vertex refused to
    deploy it, or it is new to the endpoint and the gate holds it back."""
    gate = promotion.Gate.of(props.get("promote_when"))
    new, problem = promotion.candidate(props.get("tuned_model") or "", props.get("checkpoints"),
                                       props.get("checkpoint") or promotion.DEFAULT, gate.metric if gate else "")
    if new is None:
        return _Decision("", None, {}, problem)
    if same_resource(new.name, olds.get("refused_model") or ""):
        return _Decision("", new, {}, "")
    # Deployed already (a canary, say): it passed the gate when it was deployed.
    if gate is not None and not any(same_resource(model, new.name) for model in deployed.values()):
        serving = _serving_now(deployed, split)
        why = promotion.held_because(gate, new, serving, _scores_of(serving, olds, props))
        if why is not None:
            return _Decision("", new, {"model": new.name, "checkpoint": new.checkpoint, "scores": new.scores,
                                       "reason": why, "serving": serving}, "")
    return _Decision(new.name, new, {}, "")


def _served(endpoint: EndpointView, props: dict[str, Any]) -> dict[str, str]:
    """The endpoint's deployed models (id -> name), the job's newest tuned model named as the
    tool deploys it: its default checkpoint as the model itself. The tool deploys the default
    with no checkpoint id; should Vertex report the id it filled in, the model must still be
    the one already serving, not a reason to deploy it again."""
    tuned_model = props.get("tuned_model") or ""
    checkpoints = props.get("checkpoints") if isinstance(props.get("checkpoints"), list) else []
    default = next((str(c.get("id")) for c in checkpoints if isinstance(c, dict) and c.get("default")), "")
    served = {}
    for deployed_id, name in endpoint.deployed_models.items():
        model, checkpoint_id = split_checkpoint(name)
        same_default = checkpoint_id and checkpoint_id == default and same_resource(model, tuned_model)
        served[deployed_id] = model if same_default else name
    return served


def _serving_now(deployed: dict[str, str], split: dict[str, int]) -> str:
    """The deployed model with the most traffic ("" when none has any)."""
    shares = {deployed[i]: share for i, share in split.items() if i in deployed and share}
    return max(shares, key=shares.get) if shares else ""


def _scores_of(model: str, olds: dict[str, Any], props: dict[str, Any]) -> dict[str, float]:
    """The evaluation scores of a deployed `model`: recorded when it was deployed, or, for a
    checkpoint of the job's newest tuned model, from the job's outputs."""
    recorded = next((scores for name, scores in (olds.get("model_scores") or {}).items()
                     if same_resource(name, model)), None)
    if recorded is not None:
        return dict(recorded)
    for checkpoint in props.get("checkpoints") if isinstance(props.get("checkpoints"), list) else []:
        option, _ = promotion.candidate(props.get("tuned_model") or "", props.get("checkpoints"),
                                        str(checkpoint.get("id")), "")
        if option is not None and same_resource(option.name, model):
            return option.scores
    return {}


def _unfinished(olds: dict[str, Any], news: dict[str, Any]) -> bool:
    if olds.get("pending_operation") or not olds.get("endpoint_name"):
        return True
    if UNKNOWN in (news.get("tuned_model"), news.get("checkpoints")):
        return True  # a preview before the job's outputs are known: what changes is not known either
    deployed = olds.get("deployed_models") or {}
    by_model = olds.get("traffic_split") or {}
    split = {i: by_model.get(m, 0) for i, m in deployed.items()}
    decision = _decide(news, olds, deployed, split)
    return next_step(deployed, split, decision.desired, int(news.get("canary_percent") or 0)) is not None


def _reconcile(props: dict[str, Any], olds: dict[str, Any]) -> dict[str, Any]:
    """Moves the endpoint toward what `props` asks for, within one call's budget."""
    # What the last call saw, for a call that fails before it sees anything new.
    recorded = {key: olds.get(key) or ({} if key in _MAPPING_KEYS else "") for key in OBSERVED_KEYS}
    refused = olds.get("refused_model") or ""
    try:
        return _reconcile_steps(_client(props, Budget()), props, olds, recorded, refused)
    except _StepFailed as exc:
        line = problem_line(props, exc.doing, exc.error)
        if exc.started:
            # A request that may have gone through: the next call follows it, never starts
            # it afresh.
            return {**recorded, "status": UPDATING, **exc.started, "error": line, "failure": line}
        return {**recorded, "error": line, "failure": line}
    except errors.VertexError as exc:
        line = problem_line(props, "updating the serving endpoint", exc)
        return {**recorded, "error": line, "failure": line}


class _StepFailed(Exception):
    """A step of `_reconcile_steps` failed: what it was doing, Vertex's error, and the
    outputs that record what it may have started (`pending_operation`, `creating_endpoint`,
    `deploying_model`)."""

    def __init__(self, doing: str, error: errors.VertexError, started: dict[str, Any]):
        super().__init__(doing)
        self.doing = doing
        self.error = error
        self.started = started


def _reconcile_steps(vertex: VertexClient, props: dict[str, Any], olds: dict[str, Any],
                     recorded: dict[str, Any], refused: str) -> dict[str, Any]:
    error = ""
    pending = olds.get("pending_operation")
    if pending:
        try:
            if not finished(vertex, pending):
                return {**recorded, "failure": ""}
        except (OperationFailed, errors.NotFoundError) as exc:
            # Report it and carry on from what the endpoint is now, or we never could.
            error = problem_line(props, f"finishing operation {pending}", exc)
    endpoint = _existing_endpoint(vertex, props, olds)
    if endpoint is None:
        name = olds.get("creating_endpoint") or vertex.endpoint_name(new_resource_id())
        with _doing("creating the serving endpoint", creating_endpoint=name):
            try:
                operation = vertex.create_endpoint(name.rsplit("/", 1)[1], props["display_name"], _labels(props))
            except errors.AlreadyExistsError:
                operation = ""  # an earlier run's request with this id went through
            if operation and not _follow(vertex, operation):
                return {**recorded, "status": UPDATING, "pending_operation": operation,
                        "creating_endpoint": name, "failure": ""}
            endpoint = _endpoint_named(vertex, name)
        if endpoint is None:
            # A request whose answer was lost is creating it: the next run looks for it.
            return {**recorded, "status": UPDATING, "pending_operation": "", "creating_endpoint": name,
                    "error": error, "failure": error}
        if not _is_ours(endpoint, props):
            # Vertex answered ALREADY_EXISTS for an id that someone else's endpoint has.
            line = problem_line(props, "creating the serving endpoint", errors.AlreadyExistsError(
                f"{endpoint.name} exists and does not carry this stack's labels, so it is not this "
                "stack's and is left as it is", "ALREADY_EXISTS"), "the next `pulumi up` creates it under a new id")
            return {**recorded, "creating_endpoint": "", "error": line, "failure": line}
    labels = _merged_labels(endpoint.labels, props, olds)
    if endpoint.labels != labels:
        with _doing(f"labelling {endpoint.name}"):
            endpoint = vertex.set_endpoint_labels(endpoint.name, labels)
    decision = _decide(props, olds, _served(endpoint, props), endpoint.traffic_split)
    if decision.problem:
        line = problem_line(props, f"choosing what {endpoint.name} serves", decision.problem,
                            f"fix {_CHECKPOINT_FIELD}; the endpoint keeps serving what it serves")
        return _observed(endpoint, props, "", line, refused, failure=line, olds=olds)
    desired = decision.desired
    for _ in range(_MAX_STEPS_PER_CALL):
        step = next_step(_served(endpoint, props), endpoint.traffic_split, desired,
                         int(props.get("canary_percent") or 0))
        if step is None:
            break
        if isinstance(step, SetTraffic):
            with _doing(f"moving traffic on {endpoint.name}"):
                endpoint = vertex.set_traffic_split(endpoint.name, step.traffic_split)
            continue
        deploying = None
        if isinstance(step, Deploy):
            deploying = _deploying(olds, step.model)
            with _doing(f"deploying {step.model} to {endpoint.name}", deploying_model=deploying):
                try:
                    operation = vertex.deploy_model(endpoint.name, deploying["id"], step.model,
                                                    props["display_name"], step.traffic_split)
                except errors.AlreadyExistsError:
                    operation = ""  # an earlier run's request with this id went through
                except errors.InvalidRequestError as exc:
                    if exc.status != "INVALID_ARGUMENT":
                        raise  # e.g. FAILED_PRECONDITION: the endpoint is busy; not a verdict on the model
                    line = problem_line(props, f"deploying {step.model} to {endpoint.name}",
                                        f"{exc}. {_REFUSAL_HELP}")
                    return _observed(endpoint, props, "", line, step.model, failure=line, olds=olds)
                if not operation:
                    # A request whose answer was lost started it: done, or still deploying
                    # (then the next run repeats it with the same id, which cannot deploy twice).
                    endpoint = vertex.get_endpoint(endpoint.name)
                    if deploying["id"] not in endpoint.deployed_models:
                        return _observed(endpoint, props, "", error, refused, failure=error,
                                         updating=True, deploying_model=deploying, olds=olds)
                    continue
                done = _follow(vertex, operation)
        else:
            with _doing(f"undeploying {step.deployed_model_id} from {endpoint.name}"):
                operation = vertex.undeploy_model(endpoint.name, step.deployed_model_id, step.traffic_split)
                done = not operation or _follow(vertex, operation)
        endpoint = vertex.get_endpoint(endpoint.name)
        if not done:
            return _observed(endpoint, props, operation, error, refused, failure=error, updating=True,
                             deploying_model=deploying, olds=olds)
    return _observed(endpoint, props, "", error, refused, failure=error, olds=olds)


@contextmanager
def _doing(what: str, **started: Any) -> Iterator[None]:
    """Names the step a Vertex error comes from, for its line; `started`: the outputs that
    record what the step may have started, should it fail."""
    try:
        yield
    except _StepFailed as exc:
        raise _StepFailed(what, exc.error, {**started, **exc.started}) from exc.error
    except errors.VertexError as exc:
        raise _StepFailed(what, exc, started) from exc


def _follow(vertex: VertexClient, operation: str) -> bool:
    """Polls an operation this call started (see `finished`). If polling itself fails, the
    operation is still running for all we know: its name goes with the error."""
    try:
        return finished(vertex, operation)
    except OperationFailed:
        raise
    except errors.VertexError as exc:
        raise _StepFailed("", exc, {"pending_operation": operation}) from exc


def _deploying(olds: dict[str, Any], model: str) -> dict[str, str]:
    """The id to deploy `model` with: the one an earlier run sent it with, if any."""
    earlier = olds.get("deploying_model") or {}
    if earlier.get("id") and same_resource(earlier.get("model") or "", model):
        return {"id": earlier["id"], "model": model}
    return {"id": new_resource_id(), "model": model}


def _endpoint_named(vertex: VertexClient, name: str) -> EndpointView | None:
    try:
        return vertex.get_endpoint(name)
    except errors.NotFoundError:
        return None


def _existing_endpoint(vertex: VertexClient, props: dict[str, Any],
                       olds: dict[str, Any]) -> EndpointView | None:
    """The endpoint this resource stands for: by the name the state records (endpoints made
    before stacks had ids carry no id), by the id of ours a create was sent with (only if it
    carries our labels: an id someone else's endpoint has is not ours), or by labels."""
    recorded = _endpoint_named(vertex, olds["endpoint_name"]) if olds.get("endpoint_name") else None
    if recorded is not None:
        return recorded
    creating = _endpoint_named(vertex, olds["creating_endpoint"]) if olds.get("creating_endpoint") else None
    if creating is not None and _is_ours(creating, props):
        return creating
    if not stack_config.owner(props).stack_id:
        return None  # made before stacks had ids: found by its recorded name only
    # Created by a run that died before recording it, or not created yet (then one is
    # created: an empty answer is confirmed).
    found = vertex.find_endpoints(serving_labels(stack_config.owner(props), props["job_name"]), confirm_empty=True)
    return found[0] if found else None


def _is_ours(endpoint: EndpointView, props: dict[str, Any]) -> bool:
    """Whether `endpoint` carries the labels this resource creates it with (its stack's id)."""
    return serving_labels(stack_config.owner(props), props["job_name"]).items() <= endpoint.labels.items()


def _observed(endpoint: EndpointView, props: dict[str, Any], pending: str, error: str,
              refused: str, failure: str = "", updating: bool = False,
              deploying_model: dict[str, str] | None = None, olds: dict[str, Any] | None = None) -> dict[str, Any]:
    """The outputs for `endpoint`; `updating`: an operation on it is still running;
    `deploying_model`: the deploy it runs, if this call started one; `olds`: what the last
    call recorded (default: `props`, as a read has it)."""
    olds = props if olds is None else olds
    deployed = _served(endpoint, props)
    by_model = {deployed[i]: share for i, share in endpoint.traffic_split.items() if i in deployed}
    decision = _decide(props, {**olds, "refused_model": refused}, deployed, endpoint.traffic_split)
    desired = decision.candidate.name if decision.candidate else ""
    serving_model = max(by_model, key=by_model.get) if by_model else ""
    share = next((s for model, s in by_model.items() if same_resource(model, desired)), None)
    if pending or updating:
        status = UPDATING
    elif refused and same_resource(refused, desired):
        status = DEPLOY_REFUSED
    elif decision.held:
        status = HELD
    elif share is None:
        status = WAITING_FOR_TUNING
    else:
        status = SERVING if share == 100 else CANARY if share else UPDATING
    gate = promotion.Gate.of(props.get("promote_when"))
    # The scores of what is deployed: recorded earlier, or the job's for its newest model.
    scores = {model: found for model in by_model if (found := _scores_of(model, olds, props))}
    return {
        "endpoint_name": endpoint.name,
        "status": status,
        "serving_model": serving_model,
        "traffic_split": by_model,
        "deployed_models": deployed,
        "pending_operation": pending,
        "creating_endpoint": "",
        "deploying_model": deploying_model or {},
        "error": error,
        "refused_model": refused,
        "failure": failure,
        "gate": gate.describe() if gate else "",
        "held": decision.held,
        "model_scores": scores,
    }
