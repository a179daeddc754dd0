"""End to end: a model's retirement through the real `pulumi` CLI, the tool's commands and the emulator.

"Today" is GEMINI_TUNING_TODAY for the tool and `--today` for the emulator. Before
gemini-2.5-flash retires (2026-10-20) a job on it is warned of in validate, plan and
preview, and submitted; after, a new submission on it (a new file, or an edit that would
replace the job) is refused before anything is sent, and the emulator's RPC log shows no
CreateTuningJob and no CancelTuningJob; the jobs already submitted stay tracked, with a
warning, and `status` shows the retirement beside their tuned models.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.e2e.test_tuning_jobs import flash_job, jobs_named, state_of, vertex_jobs
from tests.support.polling import wait_for
from tests.support.rpc_log import TUNING_SERVICE, RpcLog, by_method

BEFORE, AFTER = "2026-09-01", "2026-12-04"
NEAR = ("jobs/{job}.yaml: baseModel: gemini-2.5-flash retires on 2026-10-20 (in 49 days): from 2026-09-20 Google "
        "blocks new access to it for tuning, and its tuned models stop serving with it. Move the job to "
        "gemini-3.5-flash.")
REFUSED = ("jobs/{job}.yaml: baseModel: gemini-2.5-flash retired on 2026-10-20: Vertex AI takes no new tuning jobs "
           "on it, so this new submission (a first submit or a replace) is refused before anything is sent. Move "
           "the job to gemini-3.5-flash.")
KEPT = "jobs/{job}.yaml: baseModel: gemini-2.5-flash retired on 2026-10-20: a job already submitted on it stays tracked"


def legacy_job(**fields) -> dict:
    return flash_job(baseModel="gemini-2.5-flash", **fields)


def providers_command(project, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "providers", *args], cwd=project.dir, env=project.env,
                          capture_output=True, text=True, timeout=600)


def test_a_retiring_model_warns_and_once_retired_refuses_new_submissions_but_keeps_its_jobs(
    start_emulator, make_project, tmp_path
):
    rpc_log = RpcLog(tmp_path / "rpc.jsonl")
    # Before the retirement: one job trains to the end, one is still training at the retirement.
    emulator = start_emulator(job_seconds=3, quota=5, today=BEFORE, rpc_log=rpc_log.path)
    project = make_project(emulator)
    project.env["GEMINI_TUNING_TODAY"] = BEFORE
    project.write_job("done", **legacy_job())
    validated = providers_command(project, "validate", "--stack", "test")
    preview = project.run("preview")
    project.up()
    wait_for(lambda: jobs_named(emulator, "done"), lambda jobs: state_of(jobs[0]) == "SUCCEEDED", timeout=60)
    emulator = start_emulator(job_seconds=36000, quota=5, today=BEFORE, rpc_log=rpc_log.path, on_state_of=emulator)
    project.use_emulator(emulator)
    project.write_job("running", **legacy_job())
    planned = providers_command(project, "plan", "--stack", "test", "--format", "json")
    project.up()

    assert validated.returncode == 0 and f"warning: {NEAR.format(job='done')}" in validated.stdout
    assert f"warning: {NEAR.format(job='done')}" in preview.stdout
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert {(c["job"], c["action"]) for c in plan["changes"]} == {("done", "keep"), ("running", "submit")}
    assert {w["message"] for w in plan["warnings"]} == {NEAR.format(job="x").split(": ", 2)[2]}
    assert sorted((j.labels["gt-job"], state_of(j)) for j in vertex_jobs(emulator)) == [
        ("done", "SUCCEEDED"), ("running", "PENDING")]

    # After the retirement: Vertex refuses the model (the emulator, as of --today), and so does the tool first.
    emulator = start_emulator(job_seconds=36000, quota=5, today=AFTER, rpc_log=rpc_log.path, on_state_of=emulator)
    project.use_emulator(emulator)
    project.env["GEMINI_TUNING_TODAY"] = AFTER
    project.write_job("fresh", **legacy_job())
    rpc_log.mark()
    preview = project.run("preview", check=False)
    up = project.up(check=False)
    planned = providers_command(project, "plan", "--stack", "test", "--format", "json")
    project.remove_job("fresh")
    project.write_job("running", **legacy_job(hyperParameters={"epochCount": 5}))
    replaced = project.up(check=False)
    calls = by_method(rpc_log.calls_since_mark(), TUNING_SERVICE)

    for result, job in ((preview, "fresh"), (up, "fresh"), (replaced, "running")):
        output = result.stdout + result.stderr
        assert result.returncode != 0 and REFUSED.format(job=job) in output, output
        assert "Traceback" not in output
    assert [(c["job"], c["action"]) for c in json.loads(planned.stdout)["changes"] if c["job"] == "fresh"] == [
        ("fresh", "refused")]
    assert (calls["CreateTuningJob"], calls["CancelTuningJob"]) == (0, 0)
    assert sorted((j.labels["gt-job"], state_of(j)) for j in vertex_jobs(emulator)) == [
        ("done", "SUCCEEDED"), ("running", "PENDING")]  # not cancelled: PENDING for its first hour

    # The jobs already submitted stay tracked: their files are valid, with a warning.
    project.write_job("running", **legacy_job())
    kept = project.up()
    second = project.run("up", "--yes", "--skip-preview", "--expect-no-changes")
    status = providers_command(project, "status", "--stack", "test", "--no-refresh")

    assert all(f"warning: {KEPT.format(job=job)}" in kept.stdout for job in ("done", "running")), kept.stdout
    assert second.returncode == 0
    assert project.job_output("running")["state"] == "PENDING"
    done = next(line for line in status.stdout.splitlines() if line.startswith("done "))
    assert "gemini-2.5-flash (retired 2026-10-20)" in done, status.stdout
    assert by_method(rpc_log.calls_since_mark(), TUNING_SERVICE)["CreateTuningJob"] == 0


def test_a_row_in_the_repositorys_models_yaml_reaches_the_provider(start_emulator, make_project):
    # Google extended gemini-2.5-flash for this project, say: the repository's models.yaml says so.
    emulator = start_emulator()
    project = make_project(emulator)
    project.write_job("triage", **legacy_job(hyperParameters={"adapterSize": 16}))
    refused = project.up(check=False)
    project.write_file("models.yaml", "models:\n  gemini-2.5-flash:\n    retires: 2027-01-31\n"
                                      "    sources: [our account team's mail of 2026-12-01]\n    checked: 2026-12-01\n")
    submitted = project.up()

    assert refused.returncode != 0 and REFUSED.format(job="triage") in refused.stdout + refused.stderr
    assert "gemini-2.5-flash retires on 2027-01-31 (in 58 days)" in submitted.stdout
    assert [state_of(j) for j in jobs_named(emulator, "triage")] == ["PENDING"]
