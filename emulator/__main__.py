"""python -m emulator: run the Vertex AI emulator until SIGTERM or SIGINT.

Prints `listening on 127.0.0.1:PORT` as the first line on stdout once it is
serving and, with --rest-port, `rest on http://127.0.0.1:PORT` as the second;
everything else (warnings, errors) goes to stderr.
"""

from __future__ import annotations

import argparse
import logging
import math
import signal
import sys
import threading
from datetime import date, timedelta
from typing import Sequence

from emulator.clock import SystemClock
from emulator.evaluation import EvaluationScores, ScoreRule
from emulator.faults import DEFAULT_FAULT_SEED, Fault, UnknownMethodError
from emulator.projects import ProjectNumbers, is_project_number
from emulator.rpc_log import RpcLog
from emulator.server import HOST, build_server
from emulator.store import StateFileError, Store
from emulator.tuning_lifecycle import DEFAULT_CANCEL_DELAY, CancelOutcome
from emulator.world import DEFAULT_OPERATION_POLLS, Settings, World

_SHUTDOWN_GRACE_SECONDS = 2.0
_SIGNAL_CHECK_SECONDS = 0.2

_EPILOG = """\
projects:
  Resource names carry project numbers, as on Vertex AI: a job created under
  projects/my-project/locations/us-central1 is named projects/NUMBER/locations/...
  Requests may name a project by id or by number. NUMBER is the one given by
  --project-number, otherwise a stable 12-digit number derived from the id.

quota:
  --quota and --project-quota limit the tuning jobs a project may have active
  (QUEUED, PENDING, RUNNING, CANCELLING, ...) at once, across all its regions and
  base models. Over the limit, CreateTuningJob answers RESOURCE_EXHAUSTED with a
  google.rpc.ErrorInfo (reason RESOURCE_QUOTA_EXCEEDED, metadata quota_metric
  aiplatform.googleapis.com/concurrent_tuning_jobs, quota_limit_value Q) and a
  QuotaFailure; a RESOURCE_EXHAUSTED fault carries reason RATE_LIMIT_EXCEEDED.

fault injection (--fault, repeatable):
  CODE:METHOD[:COUNT[:WHEN]]
    CODE    gRPC status name, any case: unavailable, deadline_exceeded, internal, ...
    METHOD  method name (CreateTuningJob), Service/Method (GenAiTuningService/CreateTuningJob,
            the service with or without its package), Service/* for every method of a
            service, or * for every served method, GetOperation and List calls included
    COUNT   how many of the next matching calls fail (default 1), * for every one, or a
            percentage (30%): each matching call fails with that probability, drawn from
            a generator seeded by --fault-seed, so the same calls fail on every run
    WHEN    before (default): fail without handling the request
            after: handle the request, then answer the error anyway
            hang: handle the request, then hold the answer until the client
                  gives up (a client killed meanwhile never learns it went through)
  Faults are tried in the order given; the first that fires answers the call.
  * and Service/* include polling (GetOperation) and listing calls; to spare them,
  give one --fault per method instead.
  examples:
    --fault unavailable:CreateTuningJob:2        the next 2 creates answer UNAVAILABLE
    --fault deadline_exceeded:CreateTuningJob:1:after
                                                 the next create happens, but the
                                                 client sees DEADLINE_EXCEEDED
    --fault internal:GetTuningJob:*              every get answers INTERNAL
    --fault unavailable:*:30%                    3 in 10 calls of any method fail
    --fault resource_exhausted:GenAiTuningService/*:10%
                                                 tuning calls hit a rate limit now and then

evaluation scores (--evaluation-score, repeatable):
  NAME[@CHECKPOINT]:METRIC=VALUE
    NAME        the tuned model's display name, or * for any
    CHECKPOINT  a checkpoint id ("1", "2", ...), or * (the default) for every one
    METRIC      bleu, exact_match, rouge_1 ... rouge_9, rouge_l, rouge_l_sum, rouge (a
                rouge_spec without rouge_type) or pointwise
    VALUE       a score from 0 to 1
  The most specific rule wins (NAME@CHECKPOINT, then NAME, then *@CHECKPOINT, then *),
  the last given among equals. Scores no rule sets are made up: the same on every run,
  different for each job, metric and checkpoint.
  examples:
    --evaluation-score 'support-triage:rouge_1=0.72'
    --evaluation-score 'support-triage@2:rouge_1=0.81'   checkpoint 2 is the best
    --evaluation-score '*:exact_match=0.5'

rpc log (--rpc-log FILE):
  one JSON line per call, appended and flushed as each call ends:
    {"method": "CreateTuningJob", "service": "google.cloud.aiplatform.v1.GenAiTuningService",
     "status": "OK", "time": "2025-01-01T12:00:00.000000Z"}
  status is what the client saw (injected faults included; DEADLINE_EXCEEDED or
  CANCELLED if it gave up first); time is when the call ended, RFC 3339 in UTC.
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="emulator: %(levelname)s %(message)s")

    try:
        projects = ProjectNumbers(dict(args.project_number))
    except ValueError as error:
        parser.error(f"--project-number: {error}")
    project_quotas = {projects.number(project): quota for project, quota in args.project_quota}
    try:
        store = Store(args.state)
    except StateFileError as error:
        parser.error(f"--state: {error}")
    settings = Settings(
        job_duration=timedelta(seconds=args.job_seconds),
        tuning_job_quota=args.quota,
        operation_polls=args.operation_polls,
        operation_duration=None if args.operation_seconds is None else timedelta(seconds=args.operation_seconds),
        cancel_delay=timedelta(seconds=args.cancel_seconds),
        cancel_outcome=CancelOutcome(args.cancel_outcome),
        projects=projects,
        project_quotas=project_quotas,
        refuse_tuned_model_deploy=args.refuse_tuned_model_deploy,
        refuse_retired_models=args.refuse_retired_models,
        label_filters_find_nothing=args.label_filters_find_nothing,
        today=args.today,
        evaluation_scores=EvaluationScores(tuple(args.evaluation_score)),
        evaluation_offered_for=frozenset(args.offer_evaluation),
    )
    rpc_log = None
    if args.rpc_log:
        try:
            rpc_log = RpcLog(args.rpc_log)
        except OSError as error:
            parser.error(f"--rpc-log: cannot open {args.rpc_log}: {error}")
    try:
        server = build_server(
            World(store, SystemClock(), settings),
            port=args.port,
            faults=args.fault,
            fault_seed=args.fault_seed,
            rpc_log=rpc_log,
        )
    except UnknownMethodError as error:
        parser.error(f"--fault: {error}")
    except RuntimeError as error:
        print(f"emulator: cannot listen on {HOST}:{args.port}: {error}", file=sys.stderr)
        return 1
    rest = None
    if args.rest_port is not None:
        # Imported only when asked for: it loads the v1beta1 types, which take a second.
        from emulator.rest import build_rest_server

        try:
            rest = build_rest_server(server.address, port=args.rest_port)
        except OSError as error:
            print(f"emulator: cannot listen on {HOST}:{args.rest_port}: {error}", file=sys.stderr)
            server.grpc_server.stop(grace=None)
            return 1
    try:
        store.create_file()
    except OSError as error:
        parser.error(f"--state: cannot create {args.state}: {error}")

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server.grpc_server.start()
    if rest is not None:
        rest.start()
    print(f"listening on {server.address}", flush=True)
    if rest is not None:
        print(f"rest on {rest.url}", flush=True)
    # Wait in short steps: a signal that reaches one of gRPC's threads only marks itself
    # pending, and the main thread runs the handler when it next runs Python code.
    while not stop.wait(timeout=_SIGNAL_CHECK_SECONDS):
        pass
    if rest is not None:
        rest.stop()
    server.grpc_server.stop(grace=_SHUTDOWN_GRACE_SECONDS).wait()
    if rpc_log is not None:
        rpc_log.close()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description="A local Vertex AI emulator (GenAiTuningService, ModelService, EndpointService, "
        "Operations) for the google-cloud-aiplatform v1 clients over a plaintext gRPC channel and, with "
        "--rest-port, for REST clients (google-genai, curl). See emulator/README.md.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=_port, default=0, help="TCP port on 127.0.0.1; 0 (default) picks a free one")
    parser.add_argument(
        "--rest-port",
        type=_port,
        metavar="PORT",
        help="also serve Vertex AI's REST API (/v1/ and /v1beta1/) on 127.0.0.1:PORT; 0 picks a free one",
    )
    parser.add_argument(
        "--state", required=True, metavar="FILE", help="JSON file holding all state; created if missing"
    )
    parser.add_argument(
        "--job-seconds",
        type=_positive_seconds,
        default=60.0,
        metavar="S",
        help="how long a tuning job trains before it succeeds (default 60); it is PENDING for the first tenth",
    )
    parser.add_argument(
        "--cancel-seconds",
        type=_non_negative_seconds,
        default=DEFAULT_CANCEL_DELAY.total_seconds(),
        metavar="S",
        help="how long a cancelled job stays CANCELLING, holding its quota slot, before it has ended "
        f"(default {DEFAULT_CANCEL_DELAY.total_seconds():g}; 0: at once)",
    )
    parser.add_argument(
        "--cancel-outcome",
        choices=[outcome.value for outcome in CancelOutcome],
        default=CancelOutcome.CANCELLED.value,
        help="how a cancelled job ends: CANCELLED (default), or SUCCEEDED with its tuned model and "
        "endpoint, as Vertex AI says may happen after a cancel request",
    )
    parser.add_argument(
        "--quota",
        type=_non_negative_int,
        default=1,
        metavar="Q",
        help="concurrent tuning jobs a project may have, across all its locations (default 1)",
    )
    parser.add_argument(
        "--project-quota",
        type=_project_quota,
        action="append",
        default=[],
        metavar="PROJECT=Q",
        help="concurrent tuning jobs of one project, by id or number, instead of --quota "
        "(0: the project may not tune); repeatable",
    )
    parser.add_argument(
        "--project-number",
        type=_project_number,
        action="append",
        default=[],
        metavar="ID=NUMBER",
        help="the project number of project ID, used in resource names; repeatable "
        "(default: a stable 12-digit number derived from the id)",
    )
    parser.add_argument(
        "--operation-polls",
        type=_non_negative_int,
        default=DEFAULT_OPERATION_POLLS,
        metavar="N",
        help="GetOperation calls after which a long-running operation (CreateEndpoint, DeployModel, "
        f"DeleteModel, ...) is done and its effect visible (default {DEFAULT_OPERATION_POLLS}; "
        "0: done when started)",
    )
    parser.add_argument(
        "--operation-seconds",
        type=_non_negative_seconds,
        default=None,
        metavar="S",
        help="also finish a long-running operation once S seconds have passed on the clock since it "
        "started, polled or not, as Vertex does (default: only --operation-polls finishes it)",
    )
    parser.add_argument(
        "--refuse-tuned-model-deploy",
        action="store_true",
        help="DeployModel answers INVALID_ARGUMENT for a model that a tuning job produced: it is "
        "served only from the endpoint its job deployed it to",
    )
    parser.add_argument(
        "--today",
        type=_day,
        metavar="YYYY-MM-DD",
        help="the day base models are judged by: CreateTuningJob answers NOT_FOUND for a model retired "
        "before it and, in the month before a model retires, for one the project never tuned, as Vertex "
        "does; by default every model is accepted",
    )
    parser.add_argument(
        "--refuse-retired-models",
        action="store_true",
        help="as --today, with the clock's date",
    )
    parser.add_argument(
        "--label-filters-find-nothing",
        action="store_true",
        help="List requests whose filter names labels (labels.KEY=...) find nothing, as a Vertex AI "
        "that read a hyphenated label key differently would; an empty filter still lists everything",
    )
    parser.add_argument(
        "--evaluation-score",
        type=_evaluation_score,
        action="append",
        default=[],
        metavar="NAME[@CHECKPOINT]:METRIC=VALUE",
        help="the score (0 to 1) evaluations during tuning report for METRIC of the tuned model whose display "
        "name is NAME (* for any), at checkpoint CHECKPOINT (default: every one); repeatable; see below",
    )
    parser.add_argument(
        "--offer-evaluation",
        action="append",
        default=[],
        metavar="MODEL",
        help="also take an evaluation_config (in the evaluation regions) for tuning jobs on base model MODEL, "
        "which Google documents evaluation during tuning for only on the Gemini 2.5 models; for demos, and "
        "for job repositories whose project Vertex offers it to; repeatable",
    )
    parser.add_argument(
        "--fault",
        type=_fault,
        action="append",
        default=[],
        metavar="CODE:METHOD[:COUNT[:WHEN]]",
        help="make calls fail; repeatable; see below",
    )
    parser.add_argument(
        "--fault-seed",
        type=int,
        default=DEFAULT_FAULT_SEED,
        metavar="N",
        help=f"seed of the random generator of percentage faults (default {DEFAULT_FAULT_SEED})",
    )
    parser.add_argument("--rpc-log", metavar="FILE", help="append one JSON line per call to FILE; see below")
    return parser


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date YYYY-MM-DD, got {text!r}") from None


def _port(text: str) -> int:
    if not text.isdecimal() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, got {text!r}")
    return int(text)


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        return math.nan
    return seconds if math.isfinite(seconds) else math.nan


def _positive_seconds(text: str) -> float:
    seconds = _seconds(text)
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return seconds


def _non_negative_seconds(text: str) -> float:
    seconds = _seconds(text)
    if not seconds >= 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, got {text!r}")
    return seconds


def _non_negative_int(text: str) -> int:
    if not text.isdecimal():
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}")
    return int(text)


def _pair(text: str, shape: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    if not (key and equals and value):
        raise argparse.ArgumentTypeError(f"must look like {shape}, got {text!r}")
    return key, value


def _project_number(text: str) -> tuple[str, str]:
    project_id, number = _pair(text, "ID=NUMBER")
    if is_project_number(project_id):
        raise argparse.ArgumentTypeError(f"{project_id!r} is a number, not a project id: ids start with a letter")
    if not is_project_number(number):
        raise argparse.ArgumentTypeError(f"{number!r} is not a project number: digits, not starting with 0")
    return project_id, number


def _project_quota(text: str) -> tuple[str, int]:
    project, quota = _pair(text, "PROJECT=Q")
    if not quota.isdecimal():
        raise argparse.ArgumentTypeError(f"the quota must be a whole number >= 0, got {text!r}")
    return project, int(quota)


def _evaluation_score(text: str) -> ScoreRule:
    try:
        return ScoreRule.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _fault(text: str) -> Fault:
    try:
        return Fault.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


if __name__ == "__main__":
    sys.exit(main())
