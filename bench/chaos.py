"""How `pulumi up` fares when Vertex AI answers a share of all calls with a fault, over many seeds.

    python bench/chaos.py [--seeds 20] [--first-seed 1] [--jobs 6] [--regions R1,R2,R3]
                          [--percent 30] [--code unavailable] [--when before|after]
                          [--job-seconds 5] [--extra-runs 3] [--keep DIR]

For each seed, one trial (tests/support/chaos.py): an emulator with
`--fault CODE:*:PERCENT%:WHEN --fault-seed SEED` (every tuning, endpoint and operation
method) and `--operation-seconds 2` (Vertex finishes an operation on its own, also one
whose starter lost the answer), `--jobs` job files each tuned in every region of `--regions` with a serving
endpoint, and the real `pulumi` CLI:

    submit   one `pulumi up`: every tuning job submitted, every serving endpoint created
    serve    once the jobs have succeeded, one `pulumi up`: every serving endpoint serves
             its job's tuned model with all traffic

A stage succeeds when its one `pulumi up` exits 0 with its goal reached; a stage that
did not gets up to --extra-runs more `pulumi up`s (converged: reached within them).
Printed: a line per seed, then the single-run success figures, convergence, duplicate
tuning jobs (more than one per job, region and spec) and serving endpoints (more than
one per job and region), runs whose output holds a Python traceback, how many calls the
emulator answered with the fault, and the problems the failed runs reported. Exit code 1
if any duplicate, traceback or non-convergence was seen.

`--when before` (the default) fails a call without handling it; `--when after` handles it
and loses the answer (did my create go through?), so the tool has to find out.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

from tests.support.chaos import DEFAULT_REGIONS, ChaosSettings, Trial, problems, run_trial  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=6, help="job files, each tuned in every region")
    parser.add_argument("--regions", default=",".join(DEFAULT_REGIONS))
    parser.add_argument("--percent", type=float, default=30.0, help="share of calls that fail")
    parser.add_argument("--code", default="unavailable", help="the fault's gRPC status")
    parser.add_argument("--when", choices=("before", "after"), default="before")
    parser.add_argument("--job-seconds", type=float, default=5.0, help="how long a tuning job trains")
    parser.add_argument("--extra-runs", type=int, default=3, help="more `pulumi up`s for a stage that failed")
    parser.add_argument("--keep", type=Path, help="keep each trial's folder under DIR")
    args = parser.parse_args()

    settings = ChaosSettings(jobs=args.jobs, regions=tuple(args.regions.split(",")), percent=args.percent,
                             code=args.code, when=args.when, job_seconds=args.job_seconds,
                             extra_runs=args.extra_runs)
    print(f"faults: {' '.join(settings.faults)}; {settings.jobs} job files x {len(settings.regions)} regions "
          f"({', '.join(settings.regions)}), each served; seeds {args.first_seed}..{args.first_seed + args.seeds - 1}")
    trials = []
    started = time.monotonic()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        workdir = Path(tempfile.mkdtemp(prefix=f"chaos-{seed}-", dir=args.keep))
        try:
            trial = run_trial(workdir, seed, settings)
        finally:
            if args.keep is None:
                shutil.rmtree(workdir, ignore_errors=True)
        trials.append(trial)
        print(_trial_line(trial), flush=True)
    print(_summary(trials, time.monotonic() - started))
    broken = any(t.duplicate_jobs or t.duplicate_endpoints or t.tracebacks or not t.converged for t in trials)
    return 1 if broken else 0


def _trial_line(trial: Trial) -> str:
    runs = " ".join(f"{run.stage}={'ok' if run.returncode == 0 else 'failed'}({run.seconds:.0f}s)"
                    for run in trial.runs)
    faults, calls = _faults(trial)
    notes = [f"{len(trial.duplicate_jobs)} duplicate jobs"] * bool(trial.duplicate_jobs)
    notes += [f"{len(trial.duplicate_endpoints)} duplicate endpoints"] * bool(trial.duplicate_endpoints)
    notes += [f"{trial.tracebacks} tracebacks"] * bool(trial.tracebacks)
    verdict = "succeeded" if trial.succeeded else "converged" if trial.converged else "DID NOT CONVERGE"
    return (f"seed {trial.seed:3}: {verdict:16} {runs}; {faults}/{calls} calls faulted"
            + (f"; {', '.join(notes)}" if notes else ""))


def _faults(trial: Trial) -> tuple[int, int]:
    statuses = [json.loads(line)["status"] for line in trial.rpc_log.splitlines()]
    return sum(status != "OK" for status in statuses), len(statuses)


def _summary(trials: list[Trial], seconds: float) -> str:
    count = len(trials)
    stages = {stage for t in trials for stage in t.stage_succeeded}
    lines = ["", f"{count} seeds in {seconds / 60:.1f} min"]
    for stage in sorted(stages, key=["submit", "serve"].index):
        ok = sum(t.stage_succeeded.get(stage, False) for t in trials)
        lines.append(f"  {stage:7} succeeded in one `pulumi up`: {ok}/{count} ({100 * ok / count:.0f}%)")
    ok = sum(t.succeeded for t in trials)
    lines.append(f"  both stages in one `pulumi up` each: {ok}/{count} ({100 * ok / count:.0f}%)")
    converged = sum(t.converged for t in trials)
    lines.append(f"  converged within the extra runs: {converged}/{count}")
    lines.append(f"  duplicate tuning jobs: {sum(len(t.duplicate_jobs) for t in trials)}; "
                 f"duplicate serving endpoints: {sum(len(t.duplicate_endpoints) for t in trials)}")
    lines.append(f"  runs with a Python traceback: {sum(t.tracebacks for t in trials)} "
                 f"of {sum(len(t.runs) for t in trials)}")
    faults = [_faults(t) for t in trials]
    lines.append(f"  calls answered with the fault: {sum(f for f, _ in faults)} of {sum(c for _, c in faults)}")
    reported = Counter(_shape(line) for t in trials for run in t.runs if run.returncode
                       for line in problems(run.output))
    if reported:
        lines.append("  problems the failed runs reported (job file, region and ids left out):")
        lines += [f"    {n:3} x {shape}" for shape, n in reported.most_common(10)]
    return "\n".join(lines)


def _shape(line: str) -> str:
    """A problem line without what differs between jobs: file, region, resource names."""
    words = line.split(": ", 2)[-1].split()
    return " ".join("..." if "/" in word else word for word in words)[:200]


if __name__ == "__main__":
    sys.exit(main())
