"""`python -m providers status [--stack NAME] [--format text|markdown|json] [--no-refresh]`.

Every job of a stack as Vertex AI holds it now: the stack is refreshed first (`pulumi
refresh --run-program`, so its outputs follow Vertex), then one row per job and region is
printed from the stack's `jobs` output: state and for how long the job has been in it,
base model (and the model a continuing job continues), tuned model, serving endpoint and
its traffic split, what it billed, and what the tool says about it (why a job waits, why a
gate holds a new model back, with its scores). A tuned model shares its base model's
retirement date (Google), so beside each tuned model stands that date, from the catalogue
(with the repository's models.yaml). What a job billed is Vertex's billable tokens (one pass
over the data set) times the epochs, priced by the price table, beside the estimate made
before it was submitted. A job that has stayed in its state longer than its deadline
(`maxDuration`) allows is flagged as stuck. Exits 1 when a job FAILED (or could not be
submitted), so a scheduled run fails loudly; 2 when Pulumi cannot be asked.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from pathlib import Path

from providers.cli.pulumi_cli import PulumiFailed, refresh, stack_outputs
from providers.jobfile import durations, retirement
from providers.jobfile.catalogue import Catalogue, load_catalogue
from providers.jobfile.problems import JobFileError
from providers.resources import deadlines

FAILED_STATES = frozenset({"FAILED", "EXPIRED", "NOT_SUBMITTED"})
FINISHED_STATES = frozenset({"SUCCEEDED", "CANCELLED", "PARTIALLY_SUCCEEDED", *FAILED_STATES})
COLUMNS = ("job", "region", "state", "for", "base model", "tuned model", "serving", "billed", "message")
STUCK = "stuck"
"""In the `for` cell: the job has stayed in its state longer than its deadline allows."""


def add_parser(commands) -> None:
    status = commands.add_parser("status", help="every job's state, tuned model and serving endpoint")
    status.add_argument("--stack", default="", help="default: the selected stack")
    status.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    status.add_argument("--no-refresh", action="store_true", help="show the outputs of the last run")
    status.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    root = Path.cwd()
    try:
        if not args.no_refresh:
            refresh(args.stack, root)
        jobs = stack_outputs(args.stack, root).get("jobs") or {}
    except PulumiFailed as exc:
        print(f"status: {exc}", file=sys.stderr)
        return 2
    try:
        on = retirement.today()
    except JobFileError as exc:
        print(f"status: {exc}", file=sys.stderr)
        return 2
    rows = table(jobs, load_catalogue(root), on, deadlines.now())
    if args.format == "json":
        print(json.dumps({"jobs": jobs, "failed": [f"{r[0]}/{r[1]}" for r in rows if r[2] in FAILED_STATES],
                          "stuck": [f"{r[0]}/{r[1]}" for r in rows if STUCK in r[3]]}, indent=2))
    else:
        print(as_markdown(rows) if args.format == "markdown" else as_text(rows))
    return 1 if any(row[2] in FAILED_STATES for row in rows) else 0


def table(jobs: dict, catalogue: Catalogue, on: date, at: datetime | None = None) -> list[tuple[str, ...]]:
    """One row per job and region (`COLUMNS`); `on` the day retirements are judged by, `at` the time
    the time in state is counted to (default: now)."""
    at = at or deadlines.now()
    return [(job, region, out.get("state") or "-", _in_state(out, at), _base_model(out, catalogue, on),
             _last(out.get("tunedModel")), _serving(out), _billed(out),
             out.get("statusMessage") or out.get("servingError") or _held(out) or out.get("history") or "")
            for job, regions in sorted(jobs.items()) for region, out in sorted(regions.items())]


def _in_state(out: dict, at: datetime) -> str:
    """How long the job has been in its state, flagged when longer than its deadline allows."""
    recorded = {"state": out.get("state"), "create_time": out.get("createTime"), "state_since": out.get("stateSince")}
    held = deadlines.in_state_for(recorded, at)
    if held is None:
        return "-"
    shown = durations.shown(held)
    try:
        limit = durations.seconds(out.get("maxDuration") or "")
    except ValueError:
        limit = 0
    if deadlines.stuck(recorded, limit, at):
        return f"{shown} ({STUCK}: over its {out['maxDuration']} deadline)"
    return shown


def _billed(out: dict) -> str:
    """Vertex's billable tokens times the epochs and their cost, beside the estimate."""
    estimate = _number(out.get("estimatedCost"))
    beside = f" (est. ${estimate:,.2f})" if estimate is not None else ""
    tokens, cost = _number(out.get("trainingTokens")), _number(out.get("cost"))
    if tokens:
        priced = f", ${cost:,.2f}" if cost is not None else ", no price"
        # Google does not say what a job that did not finish bills: at most the whole training.
        bound = "" if out.get("state") == "SUCCEEDED" else "up to "
        return f"{bound}{int(tokens):,} tokens{priced}{beside}"
    if per_epoch := _number(out.get("billableTokens")):
        return f"{int(per_epoch):,} tokens per epoch{beside}"
    return f"-{beside}"


def _number(value: object) -> float | None:
    """A number of the outputs; None for what is absent, or unknown (a run that failed records
    unknown values as placeholders)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _base_model(out: dict, catalogue: Catalogue, on: date) -> str:
    """The base model, and for a tuned model the date it retires with its base model; for a
    continuing job, the model it continues."""
    model = out.get("baseModel") or ""
    rules = catalogue.rules(model)
    continued = f" via {_last(out['continuesFrom'])}" if out.get("continuesFrom") else ""
    if not model or not out.get("tunedModel") or rules is None:
        return (model or "-") + continued
    return f"{model} ({retirement.retirement_text(rules, on)}){continued}"


def _held(out: dict) -> str:
    """Why the serving endpoint holds the job's new tuned model back, with its scores."""
    held = out.get("held") or {}
    if not held:
        return ""
    scores = ", ".join(f"{metric} {score:g}" for metric, score in (held.get("scores") or {}).items())
    return (f"held {_last(held.get('model'))}" + (f" ({scores})" if scores else "") + f": {held.get('reason')}; "
            f"gate: {out.get('servingGate')}")


def as_text(rows: list[tuple[str, ...]]) -> str:
    table_rows = [COLUMNS, *rows]
    widths = [max(len(row[i]) for row in table_rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in table_rows]
    unfinished = [row for row in rows if row[2] not in FINISHED_STATES]
    if unfinished:
        lines.append(f"\n{len(unfinished)} of {len(rows)} job(s) still waiting or training: "
                     "a later `pulumi up` carries them on.")
    stuck = [f"{row[0]} in {row[1]}" for row in rows if STUCK in row[3]]
    if stuck:
        lines.append(f"Stuck, in the same state for longer than the deadline allows: {', '.join(stuck)}.")
    return "\n".join(lines)


def as_markdown(rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") or "-" for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _last(name: str | None) -> str:
    """`projects/P/locations/L/models/M@1` -> `models/M@1`: the part people tell apart."""
    return "/".join(name.split("/")[-2:]) if name else "-"


def _serving(out: dict) -> str:
    if "servingEndpoint" not in out:
        return "-"
    split = ", ".join(f"{_last(model)} {share}%" for model, share in (out.get("trafficSplit") or {}).items())
    return f"{out.get('servingStatus') or '-'} {_last(out.get('servingEndpoint'))}" + (f" ({split})" if split else "")
