"""`python -m providers plan --stack NAME [--format markdown|json] [--output FILE]`.

What `pulumi up` would do to a stack, why, and what it would cost, for a reviewer: it runs
the checks `validate --stack` runs and `pulumi preview --json` for the stack, and renders
per job and region the action (submit, replace, cancel, cancel at its deadline, keep,
refused, wait for quota, wait for source: a continuing job whose source has not succeeded),
why (the fields that change, old -> new; a job continuing one the plan replaces is noted as
replaced later, when its source's new version succeeds), the base model, the data set and
its size, the estimated billable training tokens and their estimated cost as the program
estimated them for the preview (`providers.stack.estimates`: a local data set's estimated
tokens x epochs; a gs:// data set's are unknown until Vertex reads it, unless a budget asked
for its size), each job's deadline, what a replaced job really billed, and every validation
problem. A broken job file's resources are shown as not planned, not as cancelled: nothing
is applied until it is fixed. A new submission on a retired base model, or over a budget, is
shown as refused, as `pulumi up` would refuse it. Markdown is for a pull-request comment,
JSON for other tools. Exits 1 when validation fails (or something is refused), 2 when Pulumi
cannot preview.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from providers.cli.pulumi_cli import PulumiFailed, preview
from providers.jobfile import durations, retirement
from providers.jobfile.fields import field_name
from providers.jobfile.prices import PriceTable
from providers.jobfile.problems import JobFileError, Problem
from providers.jobfile.schema import JobSpec
from providers.resources import deadlines
from providers.resources.essence import ESSENCE_KEYS, JOB_FILE_FIELDS, OPTIONAL_ESSENCE_KEYS
from providers.resources.promotion import DEFAULT, Gate
from providers.resources.cost_budgets import Submission, refusals
from providers.resources.tuning_job import awaits_source, stopped_by_the_sweep, swept_at_deadline
from providers.stack.estimates import shown_size
from providers.stack.preflight import CheckedJob, ValidationReport, validate_jobs
from providers.stack.settings import BUDGET_KEY, known_stacks, stack_config

TUNING_JOB_TYPE = "pulumi-python:dynamic/gemini-tuning:TuningJob"
SERVING_TYPE = "pulumi-python:dynamic/gemini-tuning:ServingEndpoint"
SWEEP_TYPE = "pulumi-python:dynamic/gemini-tuning:StackSweep"
_ACTIVE_STATES = {"QUEUED", "PENDING", "RUNNING", "PAUSED", "UPDATING", "CANCELLING"}
_WAITING_STATES = {"WAITING_FOR_QUOTA", "NOT_SUBMITTED", "QUEUED"}
_PAYING_ACTIONS = {"submit", "replace", "wait for quota"}
REFUSED = "refused"
"""A new submission on a retired model, or over a budget: `pulumi up` refuses it before anything is sent."""
CANCEL_AT_DEADLINE = "cancel at its deadline"
WAIT_FOR_SOURCE = "wait for source"
"""A continuing job whose source has not succeeded yet: nothing is submitted for it now."""


@dataclass
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass
class Dataset:
    uri: str
    local_path: str = ""
    bytes: int | None = None
    examples: int | None = None
    tokens: int | None = None
    """Estimated tokens of one pass over the data set."""


@dataclass
class Change:
    job: str
    region: str
    action: str
    why: list[FieldChange] = field(default_factory=list)
    note: str = ""
    base_model: str = ""
    dataset: Dataset | None = None
    training_tokens: int | None = None
    tokens_note: str = ""
    cost: float | None = None
    serving: str = ""
    deadline: str = ""
    """The job's maxDuration, and for a job training now when it runs out."""


@dataclass
class Plan:
    stack: str
    changes: list[Change]
    problems: list[Problem]
    warnings: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for change in self.changes:
            counts[change.action] = counts.get(change.action, 0) + 1
        return counts

    def total_cost(self) -> tuple[float, bool]:
        """The sum of the known costs, and whether any paying change's cost is unknown."""
        paying = [c for c in self.changes if c.action in _PAYING_ACTIONS]
        return sum(c.cost or 0.0 for c in paying), any(c.cost is None for c in paying)


def add_parser(commands) -> None:
    plan = commands.add_parser("plan", help="what `pulumi up` would do to a stack, why, and what it costs")
    plan.add_argument("--stack", required=True)
    plan.add_argument("--format", choices=("markdown", "json"), default="markdown")
    plan.add_argument("--output", type=Path, help="write the plan here instead of standard output")
    plan.add_argument("--jobs-dir", type=Path, default=Path("jobs"))
    plan.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    root = Path.cwd()
    report = validate_jobs(args.jobs_dir, root, stack=args.stack, known_stacks=known_stacks(root))
    try:
        steps = preview(args.stack, root)["steps"]
    except PulumiFailed as exc:
        print(f"plan: `pulumi preview` of stack {args.stack!r} failed:\n{exc}", file=sys.stderr)
        return 2
    config = stack_config(root, args.stack)
    plan = make_plan(args.stack, report, steps, broken_jobs(report), config.get("gcp:region", ""),
                     stack_budget=_amount(config.get(BUDGET_KEY)))
    text = json.dumps(as_json(plan, report.prices), indent=2) if args.format == "json" else as_markdown(plan)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0 if plan.ok else 1


def broken_jobs(report: ValidationReport) -> set[str]:
    """The files with errors, and the job names that can be read from them (`name:`). A job
    is matched by the file its resources record (`job_file`), so one whose file no longer
    parses is found too, whatever its name; by name when the file was renamed as well."""
    broken = set()
    for file in {p.file for p in report.problems}:
        broken.add(file)
        try:
            data = yaml.safe_load(Path(file).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            broken.add(data["name"])
    return broken


def _amount(value: object) -> float:
    try:
        return max(0.0, float(value)) if value is not None else 0.0
    except (TypeError, ValueError):
        return 0.0  # `validate` and the program report it


def make_plan(stack: str, report: ValidationReport, steps: list[dict], broken: set[str],
              default_region: str = "", stack_budget: float = 0.0) -> Plan:
    checked = {job.spec.name: job for job in report.jobs}
    serving = {_job_and_region(step): _serving_action(step)
               for step in steps if _type(step) == SERVING_TYPE and step["op"] != "refresh"}
    changes, estimates = [], {}
    for step in steps:
        if _type(step) == TUNING_JOB_TYPE and step["op"] != "refresh":
            change, estimate = _change(step, checked, broken, report.prices)
            changes.append(change)
            estimates[(change.job, change.region)] = estimate
    declared = {(name, region) for name, job in checked.items() for region in (job.spec.regions or [default_region])}
    changes += [change for step in steps if _type(step) == SWEEP_TYPE
                for change in _swept(step, declared | {(c.job, c.region) for c in changes})]
    # Pulumi's preview lists no step for what stays as it is.
    planned = {(c.job, c.region) for c in changes}
    changes += [Change(job=name, region=region, action="keep", base_model=job.base_model or job.spec.base_model or "")
                for name, job in checked.items() for region in (job.spec.regions or [default_region])
                if (name, region) not in planned]
    _warn_of_later_replacements(changes, checked)
    # The gate shows even where the endpoint has nothing to do in this run.
    rules = {_job_and_region(step): serving_rules(((step.get("newState") or step.get("oldState") or {})
                                                    .get("inputs") or {}))
             for step in steps if _type(step) == SERVING_TYPE}
    for change in changes:
        change.serving = serving.get((change.job, change.region), "") or rules.get((change.job, change.region), "")
        if change.job in checked and checked[change.job].spec.max_duration and not change.deadline:
            change.deadline = checked[change.job].spec.max_duration
    changes.sort(key=lambda c: (c.job, c.region))
    problems = report.problems + _refusals(changes, report)
    problems += _over_budget(changes, report, estimates, stack_budget, stack)
    return Plan(stack, changes, problems, report.warnings)


def _over_budget(changes: list[Change], report: ValidationReport, estimates: dict[tuple[str, str], dict],
                 stack_budget: float, stack: str) -> list[Problem]:
    """The new submissions the stack's budgets refuse, as `StackBudget` refuses them in `pulumi up`."""
    checked = {job.spec.name: job for job in report.jobs}
    new = [Submission(c.job, checked[c.job].file, c.region, "", estimates.get((c.job, c.region)) or {},
                      checked[c.job].spec.max_estimated_cost or 0.0)
           for c in changes if c.action in _PAYING_ACTIONS and c.job in checked]
    problems = []
    for field, line in refusals(new, stack_budget, f"Pulumi.{stack}.yaml"):
        refused = [c for c in changes if c.action in _PAYING_ACTIONS and (
            field == "submissions" or line.startswith(f"{checked[c.job].file}: {c.region}: "))]
        for change in refused:
            change.action, change.note = REFUSED, "over budget (see the problems below)"
        file, _, message = line.partition(": ")
        problems.append(Problem(file, "", message))
    return problems


def _warn_of_later_replacements(changes: list[Change], checked: dict[str, CheckedJob]) -> None:
    """Notes on each job that continues one this plan replaces (down the chain): nothing
    changes for it now, but once its source's new version succeeds a later `pulumi up`
    replaces it to continue that version, a new paid job."""
    sources = {name: job.spec.continue_from.job for name, job in checked.items()
               if job.spec.continue_from is not None and job.spec.continue_from.job}
    replaced = {(c.job, c.region) for c in changes if c.action == "replace"}
    found = True
    while found:
        found = False
        for change in changes:
            source = sources.get(change.job)
            if change.action != "keep" or source is None or (source, change.region) not in replaced \
                    or (change.job, change.region) in replaced:
                continue
            replaced.add((change.job, change.region))
            change.note = "; ".join(filter(None, [change.note, (
                f"replaced by a later `pulumi up`, tuned and paid for again: it continues {source}, which is "
                f"replaced, and follows {source}'s new tuned model once that succeeds")]))
            found = True


def _swept(step: dict, known: set[tuple[str, str]]) -> list[Change]:
    """The stack's running jobs that no job file declares and that no resource of the stack
    tracks (left by a killed run, or by state edited by hand), which the sweep cancels."""
    if step["op"] != "update":
        return []
    running = ((step.get("oldState") or {}).get("outputs") or {}).get("undeclared_running") or []
    return [Change(job=job["job"], region=job["region"], action="cancel",
                   note=f"cancels {job['name']}, which no job file declares")
            for job in running if (job["job"], job["region"]) not in known]


def _refusals(changes: list[Change], report: ValidationReport) -> list[Problem]:
    """Each new submission on a retired model, refused as the provider refuses it."""
    try:
        on = retirement.today()
    except JobFileError as exc:
        return exc.problems
    files = {job.spec.name: job.file for job in report.jobs}
    refused: dict[tuple[str, str], Problem] = {}
    for change in changes:
        rules = report.catalogue.rules(change.base_model)
        if change.action not in _PAYING_ACTIONS or rules is None:
            continue
        if (why := retirement.submission_refusal(change.base_model, rules, on)) is None:
            continue
        change.action, change.note, change.cost = REFUSED, why, None
        file = files.get(change.job, change.job)
        refused[(file, why)] = Problem(file, field_name(JobSpec, "base_model"), why)
    return list(refused.values())


def _change(step: dict, checked: dict[str, CheckedJob], broken: set[str], prices: PriceTable) -> tuple[Change, dict]:
    """The change a tuning job's step makes, and the estimate the program made for it."""
    old = (step.get("oldState") or {})
    new = (step.get("newState") or {})
    inputs = new.get("inputs") or old.get("inputs") or {}
    old_outputs = old.get("outputs") or {}
    job, region = _job_and_region(step)
    # A continuing job sends no base model: it follows its source's.
    base_model = inputs.get("base_model") or (checked[job].base_model if job in checked else "") or ""
    change = Change(job=job, region=region, action=_action(step["op"], old_outputs, inputs),
                    base_model=base_model, deadline=_deadline(inputs, old_outputs))
    if broken & {job, inputs.get("job_file")} and step["op"] in ("delete", "delete-replaced", "discard"):
        change.action = "not planned"
        change.note = "the job file has problems (see below); nothing is applied until they are fixed"
        return change, {}
    if change.action == "replace":
        old_inputs = old.get("inputs") or {}
        keys = step.get("replaceReasons") or [*ESSENCE_KEYS, *OPTIONAL_ESSENCE_KEYS]
        change.why = [FieldChange(JOB_FILE_FIELDS.get(k, k), old_inputs.get(k, ""), inputs.get(k, ""))
                      for k in keys if old_inputs.get(k, "") != inputs.get(k, "")]
        notes = [f"cancels {old_outputs.get('vertex_job_name', 'the running job')} first"
                 if old_outputs.get("state") in _ACTIVE_STATES else ""]
        replaced = _replaced_cost(old_inputs.get("base_model") or base_model, old_outputs, prices)
        change.note = "; ".join(part for part in (*notes, replaced) if part)
    elif change.action == "cancel":
        change.note = f"cancels {old_outputs.get('vertex_job_name', '')}; Vertex keeps the job's record"
    elif change.action == CANCEL_AT_DEADLINE:
        ran = deadlines.ran_for(old_outputs, deadlines.now()) or 0
        change.note = (f"cancels {old_outputs.get('vertex_job_name', '')}: it has run {durations.shown(ran)} since it "
                       f"was submitted, over its {deadlines.MAX_DURATION_FIELD} of "
                       f"{durations.shown(deadlines.limit_of(inputs))}")
    elif change.action == "wait for quota":
        change.note = old_outputs.get("status_message", "")
    elif change.action == WAIT_FOR_SOURCE:
        change.note = (f"submitted once {inputs.get('source_name')} has succeeded in {region}, continuing its "
                       "tuned model")
    if inputs.get("source_name") and change.action in ("submit", "replace"):
        continues = (f"continues {inputs['pre_tuned_model']}" if not awaits_source(inputs) else
                     f"then waits for {inputs['source_name']} to succeed in {region}, and continues its new tuned model")
        change.note = "; ".join(filter(None, [change.note, continues]))
    estimate = inputs.get("estimate") or {}
    if change.action in _PAYING_ACTIONS:
        _estimate(change, inputs, estimate)
    return change, estimate


def _deadline(inputs: dict, old_outputs: dict) -> str:
    """`6h`, and for a job training now, when it runs out."""
    limit = deadlines.limit_of(inputs)
    if not limit:
        return ""
    created = deadlines.parse_time(old_outputs.get("create_time"))
    if created is None or old_outputs.get("state") not in deadlines.ACTIVE_STATES:
        return durations.shown(limit)
    ends = datetime.fromtimestamp(created.timestamp() + limit, UTC)
    return f"{durations.shown(limit)} (runs out {ends:%Y-%m-%d %H:%M} UTC)"


def _replaced_cost(base_model: str, old_outputs: dict, prices: PriceTable) -> str:
    """What the job a replace leaves behind (on `base_model`) really billed, as Vertex counted it."""
    name = old_outputs.get("vertex_job_name")
    if not name:
        return ""
    tokens, cost = prices.billed(base_model, old_outputs.get("billable_tokens"), old_outputs.get("epochs"))
    if tokens is None:
        return f"the job it replaces, {name}, has billed nothing Vertex reports yet"
    shown = f"${cost:,.2f}" if cost is not None else "no price for its model"
    return f"the job it replaces, {name}, really billed {tokens:,} training tokens, {shown}"


def _action(op: str, old_outputs: dict, inputs: dict) -> str:
    # A continuing job without its source's current tuned model waits for it (`tuning_job.WAITING_FOR_SOURCE`).
    waits_for_source = awaits_source(inputs)
    if op == "create":
        return WAIT_FOR_SOURCE if waits_for_source else "submit"
    if op in ("replace", "create-replacement", "delete-replaced"):
        # Nothing running to cancel, and nothing submitted before the source's new version succeeded.
        if waits_for_source and old_outputs.get("state") not in _ACTIVE_STATES:
            return WAIT_FOR_SOURCE
        waited = old_outputs.get("state") == "WAITING_FOR_SOURCE" and not old_outputs.get("vertex_job_name")
        return "submit" if waited else "replace"
    if op == "delete":
        return "cancel" if old_outputs.get("state") in _ACTIVE_STATES else "forget (ended)"
    if op == "update" and old_outputs.get("state") == "WAITING_FOR_SOURCE" and not old_outputs.get("vertex_job_name"):
        return WAIT_FOR_SOURCE if waits_for_source else "submit"
    if op == "update" and stopped_by_the_sweep(old_outputs, inputs):
        # Cancelled by the sweep when it left its file, declared again: submitted anew.
        return WAIT_FOR_SOURCE if waits_for_source else "submit"
    if op == "update" and old_outputs.get("state") in _WAITING_STATES and not old_outputs.get("vertex_job_name"):
        if waits_for_source:
            return WAIT_FOR_SOURCE
        return "wait for quota" if old_outputs.get("state") != "NOT_SUBMITTED" else "submit"
    if op == "update" and (deadlines.overdue(old_outputs, deadlines.limit_of(inputs), deadlines.now()) is not None
                           or swept_at_deadline(old_outputs, inputs) is not None):
        # The second: the sweep cancelled it while a refusal held its update back; `up` reports it.
        return CANCEL_AT_DEADLINE
    return "keep"


def _estimate(change: Change, inputs: dict, estimate: dict) -> None:
    """The data set, tokens and cost as the program estimated them (`Estimate.as_input`)."""
    def count(key: str) -> int | None:
        return int(estimate.get(key) or 0) or None  # Pulumi carries numbers as floats

    tokens, epochs = count("tokens_per_epoch") or 0, count("epochs") or 0
    change.dataset = Dataset(uri=inputs.get("training_dataset_uri", ""), local_path=estimate.get("local_path") or "",
                             bytes=count("dataset_bytes"), examples=count("dataset_examples"), tokens=tokens or None)
    if not tokens:
        change.tokens_note = "unknown until Vertex reads the data set"
    elif not epochs:
        change.tokens_note = (f"{tokens:,} per epoch; Vertex chooses the epochs "
                              "(set hyperParameters.epochCount for an estimate)")
    else:
        change.training_tokens = tokens * epochs
        change.tokens_note = f"{tokens:,} x {epochs} epochs"
    cost = estimate.get("cost")
    change.cost = float(cost) if isinstance(cost, (int, float)) and cost >= 0 else None


def _serving_action(step: dict) -> str:
    op = step["op"]
    if op == "delete":
        policy = ((step.get("oldState") or {}).get("outputs") or {}).get("deletion_policy")
        return "delete serving endpoint" if policy == "delete" else "stop managing serving endpoint (kept)"
    action = {"create": "create serving endpoint",
              "update": "update serving endpoint (deploy, move traffic or promote)",
              "replace": "replace serving endpoint",
              "create-replacement": "replace serving endpoint"}.get(op, "")
    return "; ".join(filter(None, [action, serving_rules(((step.get("newState") or {}).get("inputs") or {}))]))


def serving_rules(inputs: dict) -> str:
    """The checkpoint a serving endpoint deploys and the gate a new model passes, in words."""
    gate = Gate.of(inputs.get("promote_when"))
    checkpoint = inputs.get("checkpoint") or DEFAULT
    parts = [f"serves checkpoint {checkpoint}"] if checkpoint != DEFAULT else []
    if gate is not None:
        parts.append(f"gate: a new tuned model serves only with {gate.describe()}, else HELD")
    return "; ".join(parts)


def _type(step: dict) -> str:
    return step["urn"].rsplit("::", 2)[-2].rsplit("$", 1)[-1]


def _job_and_region(step: dict) -> tuple[str, str]:
    inputs = (step.get("newState") or {}).get("inputs") or (step.get("oldState") or {}).get("inputs") or {}
    return inputs.get("job_name", ""), inputs.get("region", "")


def as_json(plan: Plan, prices: PriceTable | None = None) -> dict:
    """`prices`: the table the estimates were priced with, to show where each price comes from."""
    total, unknown = plan.total_cost()
    used = {c.base_model for c in plan.changes if c.cost is not None}
    rows = {model: row for model in sorted(used) if prices and (row := prices.price(model))}
    return {
        "stack": plan.stack,
        "ok": plan.ok,
        "counts": plan.counts(),
        "estimatedCost": {"amount": round(total, 2), "currency": "USD", "incomplete": unknown,
                          "prices": {model: {"perMillionTrainingTokens": row.per_million_training_tokens,
                                             "file": prices.origins[model], "checked": str(row.checked),
                                             "sources": row.sources} for model, row in rows.items()}},
        "changes": [_change_json(change) for change in plan.changes],
        "problems": [_problem_json(p) for p in plan.problems],
        "warnings": [_problem_json(p) for p in plan.warnings],
    }


def _change_json(change: Change) -> dict:
    data = asdict(change)
    return {
        "job": change.job, "region": change.region, "action": change.action,
        "why": data["why"], "note": change.note, "baseModel": change.base_model,
        "dataset": ({"uri": change.dataset.uri, "localPath": change.dataset.local_path,
                     "bytes": change.dataset.bytes, "examples": change.dataset.examples,
                     "tokensPerEpoch": change.dataset.tokens} if change.dataset else None),
        "estimatedTrainingTokens": change.training_tokens, "tokensNote": change.tokens_note,
        "estimatedCost": None if change.cost is None else round(change.cost, 2),
        "serving": change.serving, "deadline": change.deadline,
    }


def _problem_json(problem: Problem) -> dict:
    return {"file": problem.file, "stack": problem.stack, "field": problem.field,
            "message": problem.message, "severity": problem.severity}


def as_markdown(plan: Plan) -> str:
    total, unknown = plan.total_cost()
    counts = ", ".join(f"{n} {action}" for action, n in sorted(plan.counts().items())) or "no jobs"
    cost = f"${total:,.2f}" + (" plus what is not known yet" if unknown else "")
    lines = [f"**Stack `{plan.stack}`**: {counts}. Estimated cost of the training it starts: {cost} "
             "(an estimate: token counts are estimated; prices from providers/jobfile/prices.yaml and the "
             "repository's prices.yaml, each with its source and the date it was checked).", ""]
    if plan.changes:
        lines += ["| Job | Region | Action | Why | Base model | Data set | Est. training tokens | Est. cost "
                  "| Deadline |",
                  "|---|---|---|---|---|---|---|---|---|"]
        lines += [_row(change) for change in plan.changes]
        lines.append("")
    if plan.problems:
        lines += ["**Problems**: nothing is applied until they are fixed.", ""]
        lines += [f"- {_escape(str(p))}" for p in plan.problems] + [""]
    if plan.warnings:
        lines += ["**Warnings**", ""] + [f"- {_escape(str(w))}" for w in plan.warnings] + [""]
    return "\n".join(lines).rstrip()


def _row(change: Change) -> str:
    why = "; ".join(f"{c.field}: {_short(c.old)} → {_short(c.new)}" for c in change.why)
    why = "; ".join(part for part in (why, change.note, change.serving) if part)
    dataset = "-"
    if change.dataset:
        dataset = change.dataset.local_path or change.dataset.uri
        if change.dataset.bytes is not None:
            examples = f", {change.dataset.examples:,} examples" if change.dataset.examples is not None else ""
            dataset += f" ({shown_size(change.dataset.bytes)}{examples})"
    tokens = (f"{change.training_tokens:,} ({change.tokens_note})" if change.training_tokens is not None
              else change.tokens_note or "-")
    cost = "-" if change.action not in (*_PAYING_ACTIONS, REFUSED) else (
        f"${change.cost:,.2f}" if change.cost is not None else "unknown")
    cells = [change.job, change.region, f"**{change.action}**", why or "-", change.base_model or "-",
             dataset, tokens, cost, change.deadline or "-"]
    return "| " + " | ".join(_escape(cell) for cell in cells) + " |"


def _short(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
    return f"`{text if len(text) <= 60 else text[:57] + '...'}`" if text else "(unset)"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
