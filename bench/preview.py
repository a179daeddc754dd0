"""What `pulumi preview` and a no-change `pulumi up` cost at N jobs, against no-op baselines.

    python bench/preview.py [N] [--runs 3] [--dir DIR]

N (default 200) generated job files in 3 regions (tests/support/generated_jobs.py: one
region each, every third job of a region serving) go into a scratch copy of the project
(tests/support/pulumi_project.py) on a fresh emulator started with --rpc-log. Setting up
runs `pulumi up`, waits until every job has succeeded, and runs `pulumi up` again so the
serving endpoints serve: after that nothing is left to do. Two baselines, made in the same
scratch folder with bench/noop_program (the same Pulumi.yaml, so refresh is on), laid out
from the project's recorded state:

    flat         N no-op dynamic resources (issue 11's baseline)
    same graph   the resources the project registers, each a no-op without inputs: a
                 component per job with one under it per TuningJob, TuningHistory and
                 ServingEndpoint
    same inputs  the same graph, each no-op with its real counterpart's recorded inputs,
                 and taking the same inputs from its siblings' outputs (a TuningHistory
                 takes three of its TuningJob's); its outputs are its inputs, so its state
                 is somewhat smaller than the project's. What the Pulumi engine and SDK
                 spend on this is the floor: the project minus it is what the tool adds.

Then, --runs times, in turn (project, flat, same graph, same inputs, project, ...) so that
a drift in the machine's speed touches all, each is timed from start to exit as a user
runs it:

    preview       pulumi preview                           (refresh, then the program)
    no-change up  pulumi up --yes --expect-no-changes      (preview, then the update)

It prints the median seconds, the median of the paired ratios project/baseline, and the
Vertex calls of each project run by method from the emulator's RPC log (a baseline makes
none). Issue 11's goals: preview within 1.2x and no-change up within 1.3x of the baseline,
at most 2 tuning-job calls per region on a no-change up.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from providers.resources.job import JOB_TYPE  # noqa: E402
from tests.support.emulator_process import EmulatorProcess  # noqa: E402
from tests.support.generated_jobs import REGIONS, vertex_jobs, write_generated_jobs  # noqa: E402
from tests.support.polling import wait_for  # noqa: E402
from tests.support.pulumi_project import PulumiProject  # noqa: E402
from tests.support.rpc_log import ENDPOINT_SERVICE, TUNING_SERVICE, RpcLog, by_method  # noqa: E402

GCP_PROJECT = "e2e-project"  # what PulumiProject configures
BASELINE_PROGRAM = REPO_ROOT / "bench" / "noop_program"
SETUP_TIMEOUT_SECONDS = 3600
PROVIDER_KEY = "__provider"
COMMANDS = {
    "preview": ("preview",),
    "no-change up": ("up", "--yes", "--expect-no-changes"),
}


def layouts(project: PulumiProject, count: int) -> dict[str, dict]:
    """The baselines' layouts (see bench/noop_program), from the project's recorded state."""
    resources = json.loads(project.run("stack", "export").stdout)["deployment"]["resources"]
    names = {r["urn"]: r["urn"].rsplit("::", 1)[1] for r in resources}
    graph, inputs = [], []
    for component in (r for r in resources if r["type"] == JOB_TYPE):
        children = [r for r in resources if r.get("parent") == component["urn"]]
        graph.append([{"name": names[child["urn"]]} for child in children])
        siblings = {child["urn"] for child in children}
        inputs.append([_same_inputs(child, names, siblings) for child in children])
    return {"flat": {"resources": count}, "same graph": {"components": graph},
            "same inputs": {"components": inputs}}


def _same_inputs(resource: dict, names: dict[str, str], siblings: set[str]) -> dict:
    """A no-op child with `resource`'s inputs, taking the same ones from its siblings' outputs
    (those it takes from the stack's own resources, the sweep's, as recorded values)."""
    depends = {key: names[urns[0]] for key, urns in resource.get("propertyDependencies", {}).items()
               if urns and key != PROVIDER_KEY and urns[0] in siblings}
    return {"name": names[resource["urn"]], "depends": depends,
            "inputs": {key: value for key, value in resource["inputs"].items()
                       if key != PROVIDER_KEY and key not in depends}}


def set_up(workdir: Path, count: int, emulator: EmulatorProcess) -> dict[str, PulumiProject]:
    project = PulumiProject(workdir / "project", emulator.host)
    jobs = write_generated_jobs(project, count)
    started = time.monotonic()
    project.run("up", "--yes", "--skip-preview", timeout=SETUP_TIMEOUT_SECONDS)
    wait_for(lambda: vertex_jobs(emulator, GCP_PROJECT),
             lambda found: len(found) == count and all(j.state.name == "JOB_STATE_SUCCEEDED" for j in found),
             timeout=SETUP_TIMEOUT_SECONDS, interval=2)
    project.run("up", "--yes", "--skip-preview", timeout=SETUP_TIMEOUT_SECONDS)  # the serving endpoints
    print(f"set up {count} jobs in {len(REGIONS)} regions ({sum(j.serving for j in jobs)} serving) "
          f"in {time.monotonic() - started:.0f} s", flush=True)

    projects = {"project": project}
    for name, layout in layouts(project, count).items():
        baseline = projects[name] = PulumiProject(workdir / name.replace(" ", "-"), emulator.host,
                                                  program=BASELINE_PROGRAM)
        baseline.write_file("layout.json", json.dumps(layout))
        baseline.run("up", "--yes", "--skip-preview", timeout=SETUP_TIMEOUT_SECONDS)
    return projects


def timed(project: PulumiProject, args: tuple[str, ...]) -> float:
    started = time.perf_counter()
    result = project.run(*args, check=False, timeout=SETUP_TIMEOUT_SECONDS)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"pulumi {' '.join(args)} failed in {project.dir}:\n{result.stdout}\n{result.stderr}")
    return seconds


def describe_calls(calls: list[dict]) -> str:
    counts = {**by_method(calls, TUNING_SERVICE), **by_method(calls, ENDPOINT_SERVICE)}
    others = Counter(call["method"] for call in calls if call["service"] not in (TUNING_SERVICE, ENDPOINT_SERVICE))
    return ", ".join(f"{method} {n}" for method, n in sorted({**counts, **others}.items())) or "none"


def measure(projects: dict[str, PulumiProject], log: RpcLog, runs: int) -> None:
    seconds: dict[tuple[str, str], list[float]] = {}
    calls: dict[str, set[str]] = {command: set() for command in COMMANDS}
    tuning_calls: dict[str, list[int]] = {command: [] for command in COMMANDS}
    for run in range(runs):
        for command, args in COMMANDS.items():
            for name, project in projects.items():
                log.mark()
                seconds.setdefault((command, name), []).append(timed(project, args))
                made = log.calls_since_mark()
                if name == "project":
                    calls[command].add(describe_calls(made))
                    tuning_calls[command].append(sum(by_method(made, TUNING_SERVICE).values()))
                elif made:
                    raise SystemExit(f"the {name} baseline called Vertex: {describe_calls(made)}")
        print(f"run {run + 1} of {runs} done", flush=True)

    baselines = [name for name in projects if name != "project"]
    print(f"\nmedian seconds over {runs} runs; ratio = median of the paired ratios project/baseline")
    print(f"{'':14}{'project':>9}" + "".join(f"{name:>12}{'ratio':>7}" for name in baselines))
    for command in COMMANDS:
        mine = seconds[(command, "project")]
        row = f"{command:14}{statistics.median(mine):9.1f}"
        for name in baselines:
            theirs = seconds[(command, name)]
            ratio = statistics.median(a / b for a, b in zip(mine, theirs))
            row += f"{statistics.median(theirs):12.1f}{ratio:7.2f}"
        print(row)
    print("\nVertex calls of each project run (from the emulator's RPC log):")
    for command in COMMANDS:
        print(f"  {command}: {' | '.join(sorted(calls[command]))}")
        worst = max(tuning_calls[command])
        print(f"    tuning-job calls: {worst} in {len(REGIONS)} regions, {worst / len(REGIONS):.1f} per region")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("jobs", nargs="?", type=int, default=200, help="job files to generate (default 200)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each command and project (default 3)")
    parser.add_argument("--dir", type=Path, help="scratch folder (default: a new temporary one)")
    args = parser.parse_args()
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="bench-preview-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"scratch folder: {workdir}", flush=True)
    log_path = workdir / "rpc.jsonl"
    with EmulatorProcess(workdir / "emulator-state.json", job_seconds=2, quota=args.jobs,
                         rpc_log=log_path) as emulator:
        projects = set_up(workdir, args.jobs, emulator)
        measure(projects, RpcLog(log_path), args.runs)


if __name__ == "__main__":
    main()
