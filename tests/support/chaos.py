"""One chaos trial: `pulumi up` of several served jobs in several regions, with seeded random faults.

Shared by `bench/chaos.py` (many seeds, a success figure) and `tests/e2e/test_faults.py`
(a few seeds, what must always hold). A trial:

1. starts an emulator answering a share of every call with a fault (`--fault
   CODE:*:PERCENT% --fault-seed SEED`), tuning jobs training `job_seconds`;
2. `submit`: one `pulumi up` of `jobs` job files, each in every region of `regions`, each
   with a serving endpoint: every tuning job should be submitted and every serving
   endpoint created (waiting for its tuned model);
3. waits until every tuning job has succeeded (asking the emulator);
4. `serve`: one `pulumi up` that should deploy each tuned model to its serving endpoint;
5. after each stage that did not reach its goal in one run, more `pulumi up`s (at most
   `extra_runs`) to see whether it converges (serving is not tried if submitting did not).

A stage *succeeds* when its one `pulumi up` exits 0 and the stack's outputs show the
stage's goal reached. What must hold in every trial whatever the faults: no duplicate
tuning job (at most one per job, region and spec) and no duplicate serving endpoint (at
most one per job and region), no Python traceback in any output, and convergence.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from google.api_core import exceptions as core_exceptions
from google.api_core.retry import Retry, if_exception_type

from tests.support.emulator_process import EmulatorProcess
from tests.support.polling import wait_for
from tests.support.pulumi_project import PulumiProject

PROJECT_ID = "e2e-project"
DEFAULT_REGIONS = ("us-central1", "europe-west4", "asia-northeast1")
TRACEBACK = "Traceback (most recent call last)"
# The checks ask the emulator through the same faults; they retry them (never the tool's calls).
_CHECK_RETRY = Retry(predicate=if_exception_type(
    core_exceptions.ServiceUnavailable, core_exceptions.DeadlineExceeded, core_exceptions.InternalServerError,
    core_exceptions.Aborted, core_exceptions.TooManyRequests, core_exceptions.ResourceExhausted),
    initial=0.05, maximum=0.5, timeout=60)


@dataclass(frozen=True)
class ChaosSettings:
    jobs: int = 6
    regions: tuple[str, ...] = DEFAULT_REGIONS
    percent: float = 30.0
    code: str = "unavailable"
    when: str = "before"
    """The faults' WHEN: `before` (the request is not handled) or `after` (handled, answer lost)."""
    job_seconds: float = 5.0
    extra_runs: int = 3
    operation_seconds: float = 2.0
    """Vertex finishes an operation on its own, also one whose starter lost the answer."""

    @property
    def faults(self) -> tuple[str, ...]:
        return (f"{self.code}:*:{self.percent:g}%:{self.when}",)


@dataclass
class Run:
    stage: str
    returncode: int
    output: str
    seconds: float

    @property
    def has_traceback(self) -> bool:
        return TRACEBACK in self.output


@dataclass
class Trial:
    seed: int
    runs: list[Run] = field(default_factory=list)
    stage_succeeded: dict[str, bool] = field(default_factory=dict)
    """Whether the stage's first `pulumi up` reached its goal."""
    stage_converged: dict[str, bool] = field(default_factory=dict)
    """Whether the stage's goal was reached within its first run and the extra ones."""
    duplicate_jobs: list[str] = field(default_factory=list)
    duplicate_endpoints: list[str] = field(default_factory=list)
    rpc_log: str = ""

    @property
    def succeeded(self) -> bool:
        return bool(self.stage_succeeded) and all(self.stage_succeeded.values())

    @property
    def converged(self) -> bool:
        return bool(self.stage_converged) and all(self.stage_converged.values())

    @property
    def tracebacks(self) -> int:
        return sum(run.has_traceback for run in self.runs)


def diagnostics(output: str) -> list[str]:
    """The `error:` lines of the Diagnostics section of a pulumi command's output."""
    section = output.partition("\nDiagnostics:\n")[2].split("\nOutputs:\n")[0].split("\nResources:\n")[0]
    return [line.strip().removeprefix("error: ") for line in section.splitlines()
            if line.strip().startswith("error: ")]


RUN_SUMMARY = re.compile(r"\d+ problem\(s\)(; nothing was submitted| with Vertex AI; see above\..*)"
                         r"|an unhandled error occurred: .*|update failed")
"""What the program says after the problems' lines, and Pulumi after a failed program."""


def problems(output: str) -> list[str]:
    """The problems a pulumi command's output reports, sorted, the run's summary lines left out."""
    return sorted(line for line in diagnostics(output) if not RUN_SUMMARY.fullmatch(line))


def job_names(settings: ChaosSettings) -> list[str]:
    return [f"chaos-{i}" for i in range(settings.jobs)]


def run_trial(workdir: Path, seed: int, settings: ChaosSettings = ChaosSettings()) -> Trial:
    """One trial in `workdir` (which must be empty); see the module docstring."""
    trial = Trial(seed)
    rpc_log = workdir / "rpc.log"
    emulator = EmulatorProcess(
        workdir / "emulator-state.json", job_seconds=settings.job_seconds,
        quota=10 * settings.jobs * len(settings.regions), faults=settings.faults, fault_seed=seed, rpc_log=rpc_log,
        operation_seconds=settings.operation_seconds,
    )
    with emulator:
        project = PulumiProject(workdir, emulator.host)
        try:
            for name in job_names(settings):
                # gemini-3.5-flash-lite: Google lists no tuning regions of its own for it, so any three do.
                project.write_job(name, baseModel="gemini-3.5-flash-lite", trainingDataset="gs://acme/train.jsonl",
                                  regions=list(settings.regions), serving={"displayName": name})
            _stage(trial, project, "submit", settings, lambda: _submitted(project, settings))
            if trial.stage_converged["submit"]:  # else the jobs may never all succeed
                _wait_until_tuned(emulator, settings)
                _stage(trial, project, "serve", settings, lambda: _serving(project, emulator, settings))
            # An endpoint created twice shows once every operation started has finished.
            wait_for(lambda: (vertex_endpoints(emulator, settings), emulator.pending_operations())[1],
                     lambda pending: pending == 0, timeout=settings.operation_seconds + 60, interval=0.5)
            trial.duplicate_jobs, trial.duplicate_endpoints = duplicates(emulator, settings)
        finally:
            project.close()
    trial.rpc_log = rpc_log.read_text() if rpc_log.exists() else ""
    return trial


def _stage(trial: Trial, project: PulumiProject, stage: str, settings: ChaosSettings, reached) -> None:
    for attempt in range(1 + settings.extra_runs):
        started = time.monotonic()
        result = project.up(check=False)
        trial.runs.append(Run(stage if not attempt else f"{stage}+{attempt}", result.returncode,
                              result.stdout + result.stderr, time.monotonic() - started))
        done = result.returncode == 0 and reached()
        if not attempt:
            trial.stage_succeeded[stage] = done
        if done:
            trial.stage_converged[stage] = True
            return
    trial.stage_converged[stage] = False


def _summary(project: PulumiProject) -> dict:
    return project.outputs().get("jobs", {})


def _submitted(project: PulumiProject, settings: ChaosSettings) -> bool:
    """Every job submitted in every region, every serving endpoint created."""
    jobs = _summary(project)
    return all(
        jobs.get(name, {}).get(region, {}).get("vertexJob")
        and jobs[name][region].get("servingEndpoint")
        for name in job_names(settings) for region in settings.regions
    )


def _serving(project: PulumiProject, emulator: EmulatorProcess, settings: ChaosSettings) -> bool:
    """Every serving endpoint serves its job's tuned model with all traffic."""
    jobs = _summary(project)
    for name in job_names(settings):
        for region in settings.regions:
            out = jobs.get(name, {}).get(region, {})
            if out.get("servingStatus") != "SERVING" or not out.get("tunedModel"):
                return False
            endpoint = emulator.endpoint_client().get_endpoint(name=out["servingEndpoint"], retry=_CHECK_RETRY)
            models = {d.id: f"{d.model}@{d.model_version_id}" for d in endpoint.deployed_models}
            if {models.get(i): share for i, share in endpoint.traffic_split.items()} != {out["tunedModel"]: 100}:
                return False
    return True


def vertex_jobs(emulator: EmulatorProcess, settings: ChaosSettings) -> list:
    client = emulator.tuning_client()
    return [job for region in settings.regions
            for job in client.list_tuning_jobs(parent=f"projects/{PROJECT_ID}/locations/{region}",
                                               retry=_CHECK_RETRY)]


def vertex_endpoints(emulator: EmulatorProcess, settings: ChaosSettings) -> list:
    client = emulator.endpoint_client()
    return [endpoint for region in settings.regions
            for endpoint in client.list_endpoints(parent=f"projects/{PROJECT_ID}/locations/{region}",
                                                  retry=_CHECK_RETRY)]


def duplicates(emulator: EmulatorProcess, settings: ChaosSettings) -> tuple[list[str], list[str]]:
    """More than one tuning job per job, region and spec; more than one serving endpoint per job and region."""
    jobs = Counter((j.labels.get("gt-job"), j.name.split("/")[3], j.labels.get("gt-spec"))
                   for j in vertex_jobs(emulator, settings))
    serving = Counter((e.labels.get("gt-job"), e.name.split("/")[3])
                      for e in vertex_endpoints(emulator, settings) if e.labels.get("gt-role") == "serving")
    return ([f"{key}: {count} jobs" for key, count in jobs.items() if count > 1],
            [f"{key}: {count} serving endpoints" for key, count in serving.items() if count > 1])


def _wait_until_tuned(emulator: EmulatorProcess, settings: ChaosSettings) -> None:
    expected = settings.jobs * len(settings.regions)
    wait_for(lambda: vertex_jobs(emulator, settings),
             lambda jobs: len(jobs) >= expected and all(j.state.name == "JOB_STATE_SUCCEEDED" for j in jobs),
             timeout=settings.job_seconds + 120, interval=0.5)
