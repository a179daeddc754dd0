"""End to end: a pull request's plan, the stacks it affects, and the apply and status commands CI runs."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
import shutil
import subprocess
import sys

import pytest
import yaml

from tests.e2e.test_faults import problems_of_failed_run
from tests.e2e.test_tuning_jobs import flash_job, jobs_named, state_of, vertex_jobs
from tests.support.polling import wait_for
from tests.support.pulumi_project import REPO_ROOT

QUESTIONS = [f"Ticket {i}: my invoice number {i * 7} is wrong again" for i in range(40)]


def git(project, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=project.dir, capture_output=True, text=True, check=True,
                          env={**project.env, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}).stdout


def providers_command(project, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "providers", *args], cwd=project.dir, env=project.env,
                          capture_output=True, text=True, timeout=600)


def training_data() -> tuple[str, int]:
    """A local data set and its tokens, estimated as documented: 4 characters a token per example."""
    lines, tokens = [], 0
    for question in QUESTIONS:
        lines.append(json.dumps({"contents": [{"role": "user", "parts": [{"text": question}]},
                                              {"role": "model", "parts": [{"text": "billing"}]}]}))
        tokens += math.ceil((len(question) + len("billing")) / 4)
    return "\n".join(lines) + "\n", tokens


@pytest.fixture
def reviewed(start_emulator, make_project):
    """A stack whose state is main's jobs, and a branch that changes them as a pull request would."""
    emulator = start_emulator(quota=10)
    project = make_project(emulator)
    project.run("config", "set", "gemini-tuning:datasetBucket", "e2e-datasets")
    two_regions = {"regions": ["us-central1", "europe-west4"]}
    for name in ("kept", "removed", "broken"):
        project.write_job(name, **flash_job())
    project.write_job("edited", **flash_job(**two_regions))
    # A job whose file name is not its name.
    project.write_raw_job("unparsed-file.yaml", yaml.safe_dump({"name": "unparsed", **flash_job()}))
    project.up()
    git(project, "init", "--quiet", "--initial-branch=main")
    git(project, "add", ".")
    git(project, "commit", "--quiet", "-m", "main's jobs")

    git(project, "checkout", "--quiet", "-b", "pull-request")
    data, tokens = training_data()
    project.write_file("data/train.jsonl", data)
    project.write_job("added", **flash_job(trainingDataset="data/train.jsonl", **two_regions,
                                           hyperParameters={"epochCount": 3}))
    project.write_job("edited", **flash_job(**two_regions, hyperParameters={"epochCount": 5}))
    project.remove_job("removed")
    project.write_job("broken", **flash_job(hyperParameters={"adapterSize": 99}))
    project.write_job("legacy", **flash_job(baseModel="gemini-2.5-flash"))  # retired on 2026-10-20
    project.write_raw_job("unparsed-file.yaml", "name: unparsed\nbaseModel: [gemini-2.5-flash\n")
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", "the pull request")
    return emulator, project, tokens


def test_the_plan_shows_submits_replacements_cancels_problems_tokens_and_cost(reviewed):
    emulator, project, tokens = reviewed
    jobs_before = len(vertex_jobs(emulator))

    affected = providers_command(project, "stacks", "--changed-since", "main", "--include-emulator")
    as_json = providers_command(project, "plan", "--stack", "test", "--format", "json")
    as_markdown = providers_command(project, "plan", "--stack", "test")

    assert affected.stdout.split() == ["test"]
    assert as_json.returncode == 1 and as_markdown.returncode == 1, as_json.stderr  # validation failed
    plan = json.loads(as_json.stdout)
    actions = {(c["job"], c["region"]): c for c in plan["changes"]}
    assert {key: c["action"] for key, c in actions.items()} == {
        ("added", "europe-west4"): "submit", ("added", "us-central1"): "submit",
        ("broken", "us-central1"): "not planned",
        ("edited", "europe-west4"): "replace", ("edited", "us-central1"): "replace",
        ("kept", "us-central1"): "keep",
        ("legacy", "us-central1"): "refused",
        ("removed", "us-central1"): "cancel",
        ("unparsed", "us-central1"): "not planned",
    }
    assert actions[("edited", "us-central1")]["why"] == [
        {"field": "hyperParameters.epochCount", "old": 2, "new": 5}]
    added = actions[("added", "us-central1")]
    assert added["dataset"]["localPath"] == "data/train.jsonl"
    assert added["dataset"]["examples"] == len(QUESTIONS)
    assert added["dataset"]["tokensPerEpoch"] == tokens
    assert added["estimatedTrainingTokens"] == tokens * 3
    # Google publishes no tuning price for gemini-3.5-flash yet: the cost is unknown, not zero.
    assert added["estimatedCost"] is None and plan["estimatedCost"]["incomplete"] is True
    assert actions[("kept", "us-central1")]["estimatedCost"] is None
    assert [(p["file"], p["field"], p["message"]) for p in plan["problems"] if p["file"] != "jobs/unparsed-file.yaml"] == [
        ("jobs/broken.yaml", "hyperParameters.adapterSize", "99 is not supported for gemini-3.5-flash; allowed: 1, 2, 4, 8, 16"),
        ("jobs/legacy.yaml", "baseModel", "gemini-2.5-flash retired on 2026-10-20: Vertex AI takes no new tuning jobs "
         "on it, so this new submission (a first submit or a replace) is refused before anything is sent. Move the "
         "job to gemini-3.5-flash.")]
    assert {p["file"] for p in plan["problems"]} == {"jobs/broken.yaml", "jobs/legacy.yaml", "jobs/unparsed-file.yaml"}
    # Nothing planned has a price: no price rows are shown, and the total is incomplete.
    assert plan["estimatedCost"]["prices"] == {}

    markdown = as_markdown.stdout
    assert "| added | us-central1 | **submit** |" in markdown
    assert "hyperParameters.epochCount: `2` → `5`" in markdown
    assert "| removed | us-central1 | **cancel** |" in markdown
    assert "| broken | us-central1 | **not planned** |" in markdown
    assert "- jobs/broken.yaml: hyperParameters.adapterSize: 99 is not supported" in markdown
    assert "| legacy | us-central1 | **refused** |" in markdown
    assert f"{tokens * 3:,} ({tokens:,} x 3 epochs)" in markdown
    # A plan changes nothing.
    assert len(vertex_jobs(emulator)) == jobs_before


def test_the_ci_plan_scripts_write_one_comment_for_the_affected_stacks(reviewed, tmp_path):
    _, project, tokens = reviewed
    shutil.copytree(REPO_ROOT / "scripts", project.dir / "scripts")
    # A job repository's own CI plans its emulator stack too.
    environment = {**project.env, "GEMINI_TUNING_EMULATOR_STACKS": "include",
                   "GITHUB_OUTPUT": str(tmp_path / "outputs")}
    comment = tmp_path / "comment.md"

    affected = subprocess.run(["scripts/ci/affected-stacks.sh", "main", "test"], cwd=project.dir, env=environment,
                              capture_output=True, text=True, timeout=120)
    planned = subprocess.run(["scripts/ci/plan.sh", "main", str(comment)], cwd=project.dir, env=environment,
                             capture_output=True, text=True, timeout=600)

    assert affected.returncode == 0 and affected.stdout.strip() == '["test"]', affected.stderr
    assert (tmp_path / "outputs").read_text() == 'stacks=["test"]\n'
    assert planned.returncode == 1, planned.stderr  # validation fails, and the plan says why
    text = comment.read_text()
    assert "### Stack `test`" in text
    assert "| added | us-central1 | **submit** |" in text
    assert "- jobs/broken.yaml: hyperParameters.adapterSize: 99 is not supported" in text


def test_status_shows_the_stacks_states_and_fails_when_a_job_failed(start_emulator, make_project,
                                                                    storage_emulator):
    emulator = start_emulator(job_seconds=60, quota=5, storage_url=storage_emulator.url)
    project = make_project(emulator)
    bucket = storage_emulator.client().bucket(storage_emulator.bucket)
    bucket.blob("bad.jsonl").upload_from_string("{}\n")
    bucket.blob("good.jsonl").upload_from_string(training_data()[0])
    project.write_job("good", **flash_job(trainingDataset=f"gs://{storage_emulator.bucket}/good.jsonl"))
    project.up()

    healthy = providers_command(project, "status", "--stack", "test", "--format", "json")
    project.write_job("bad", **flash_job(trainingDataset=f"gs://{storage_emulator.bucket}/bad.jsonl"))
    project.up()
    wait_for(lambda: {j.labels["gt-job"]: j.state.name for j in vertex_jobs(emulator)},
             lambda states: states["bad"] == "JOB_STATE_FAILED", timeout=30)
    failed = providers_command(project, "status", "--stack", "test")

    assert healthy.returncode == 0, healthy.stderr
    shown = json.loads(healthy.stdout)["jobs"]
    assert shown["good"]["us-central1"]["state"] in ("PENDING", "RUNNING")
    assert failed.returncode == 1
    outputs = project.outputs()["jobs"]
    rows = {line.split()[0]: line.split()[2] for line in failed.stdout.splitlines()[1:] if line.strip()
            and not line.startswith(("job ", "1 of"))}
    assert rows == {job: regions["us-central1"]["state"] for job, regions in outputs.items()}
    assert rows["bad"] == "FAILED"


def ci_checkout(project, origin) -> None:
    """Makes the project a checkout of main's newest commit, as CI makes one, with `origin`."""
    shutil.copytree(REPO_ROOT / "scripts", project.dir / "scripts")
    git(project, "init", "--quiet", "--bare", str(origin))
    git(project, "init", "--quiet", "--initial-branch=main")
    git(project, "remote", "add", "origin", str(origin))
    merge(project, "main's jobs")


def merge(project, message: str) -> None:
    """Commits the project's files to main and pushes them: a merge, as apply.sh sees it."""
    git(project, "add", "--all", ".")
    git(project, "commit", "--quiet", "--allow-empty", "-m", message)
    git(project, "push", "--quiet", "origin", "main")


def apply(project, summary) -> subprocess.CompletedProcess:
    return subprocess.run(["scripts/ci/apply.sh", "test", "main"], cwd=project.dir, capture_output=True,
                          text=True, env={**project.env, "GITHUB_STEP_SUMMARY": str(summary)}, timeout=600)


def test_the_ci_apply_script_updates_the_stack_and_writes_the_summary(start_emulator, make_project, tmp_path):
    emulator = start_emulator(quota=5)
    project = make_project(emulator)
    project.write_job("triage", **flash_job())
    summary = tmp_path / "summary.md"
    ci_checkout(project, tmp_path / "origin.git")

    applied = apply(project, summary)

    assert applied.returncode == 0, applied.stdout + applied.stderr
    [job] = vertex_jobs(emulator)
    assert "| triage | us-central1 | PENDING |" in summary.read_text() or (
        "| triage | us-central1 | RUNNING |" in summary.read_text())
    assert job.labels["gt-job"] == "triage"


def test_a_ci_apply_with_a_refused_job_still_stops_a_removed_job_and_one_past_its_deadline(
        start_emulator, make_project, tmp_path):
    """`pulumi up` previews first, and a refusal in a check (here a budget that cannot be
    checked) ends the preview before any step: apply.sh skips it, so the sweep still stops
    what the merge removed and what ran out of time. The deadline is reported once, in the
    first run after the refusal is fixed, and the job is not submitted again."""
    emulator = start_emulator(job_seconds=36000, quota=5, cancel_seconds=0)
    project = make_project(emulator)
    project.write_job("removed", **flash_job())
    project.write_job("slow", **flash_job(maxDuration="2s"))
    summary = tmp_path / "summary.md"
    ci_checkout(project, tmp_path / "origin.git")
    assert apply(project, summary).returncode == 0
    [slow] = jobs_named(emulator, "slow")
    wait_for(lambda: datetime.now(UTC) - slow.create_time, lambda ran: ran.total_seconds() > 3, timeout=30)

    project.remove_job("removed")
    project.write_job("pricey", **flash_job(maxEstimatedCost=5, hyperParameters={}))  # Vertex picks the epochs
    merge(project, "a job whose budget cannot be checked; another removed")
    refused = apply(project, summary)

    output = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "jobs/pricey.yaml: us-central1: maxEstimatedCost: no estimate" in output
    assert jobs_named(emulator, "pricey") == []
    assert [state_of(job) for job in jobs_named(emulator, "removed")] == ["CANCELLED"], output
    assert [state_of(job) for job in jobs_named(emulator, "slow")] == ["CANCELLED"], output

    project.remove_job("pricey")
    merge(project, "the refused job goes")
    reported = apply(project, summary)
    settled = apply(project, summary)

    deadline_line = "jobs/slow.yaml: us-central1: cancelled at its deadline: it ran "
    [reported_line] = problems_of_failed_run(reported)  # once, and nothing else
    assert reported_line.startswith(deadline_line), reported_line
    assert settled.returncode == 0, settled.stdout + settled.stderr
    assert deadline_line not in settled.stdout + settled.stderr
    assert [job.name for job in jobs_named(emulator, "slow")] == [slow.name]
