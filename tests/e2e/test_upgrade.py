"""Upgrading the tool never replaces a running job: stacks made by earlier releases upgrade in place.

`releases/first-release.tar.gz` is the first release's program and its pinned packages
(`git archive --format=tar.gz c0aa5db Pulumi.yaml __main__.py providers requirements.txt`),
`releases/previous-release.tar.gz` the release before this one (b732dc3), each run in a
virtualenv of its own as a user's earlier install would be. The first release's state names
its own resource types, places every resource at the top level and pickles the providers by
their old module paths; the previous release's holds jobs on models retired since. The
current checkout must take each over with nothing replaced, created, cancelled or deleted
in Vertex AI; on the previous release's stack, choosing a serving checkpoint afterwards
changes what the endpoints deploy and not the jobs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path

from tests.support.emulator_process import EmulatorProcess
from tests.support.polling import wait_for
from tests.support.pulumi_project import REPO_ROOT, REPO_VIRTUALENV, PulumiProject
from tests.support.webhook_server import WebhookServer

FIRST_RELEASE = Path(__file__).parent / "releases" / "first-release.tar.gz"
PREVIOUS_RELEASE = Path(__file__).parent / "releases" / "previous-release.tar.gz"
PROJECT_ID = "e2e-project"
REGIONS = ("us-central1", "europe-west4")
CHANGING_OPS = {"create", "replace", "create-replacement", "delete", "delete-replaced", "discard"}


def flash_job(**fields) -> dict:
    return {
        "baseModel": "gemini-1.5-flash-002",
        "trainingDataset": "gs://acme/train.jsonl",
        "hyperParameters": {"epochCount": 2},
        **fields,
    }


def vertex_world(emulator: EmulatorProcess) -> dict:
    """Every tuning job and endpoint the emulator holds, with what an upgrade must not change."""
    jobs, endpoints = emulator.tuning_client(), emulator.endpoint_client()
    world = {}
    for region in REGIONS:
        parent = f"projects/{PROJECT_ID}/locations/{region}"
        for job in jobs.list_tuning_jobs(parent=parent):
            world[job.name] = (job.state.name, job.tuned_model.model, job.tuned_model.endpoint)
        for endpoint in endpoints.list_endpoints(parent=parent):
            world[endpoint.name] = (
                sorted((d.id, d.model) for d in endpoint.deployed_models),
                dict(endpoint.traffic_split),
            )
    return world


def unpacked(archive: Path, target: Path) -> Path:
    with tarfile.open(archive) as opened:
        opened.extractall(target, filter="data")
    return target


def release_virtualenv(release: Path, target: Path) -> Path:
    """A virtualenv with a release's pinned packages (the first release's: pulumi-gcp among them).

    It sees the current virtualenv's packages through a .pth file, so pip installs only what
    the release pinned differently or the current release dropped; a release pinned as this
    one is runs with this one's virtualenv.
    """
    if (release / "requirements.txt").read_text() == (REPO_ROOT / "requirements.txt").read_text():
        return REPO_VIRTUALENV
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(target)], check=True)
    python = target / "bin" / "python"
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip()
    (Path(site_packages) / "current-release.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(release / "requirements.txt")], check=True)
    return target


def test_a_stack_made_by_the_first_release_upgrades_with_nothing_replaced(tmp_path):
    first_release = unpacked(FIRST_RELEASE, tmp_path / "first-release")
    first_release_packages = release_virtualenv(first_release, tmp_path / "first-release-venv")
    state = tmp_path / "emulator.json"

    # Made by the first release: two jobs that succeeded, one with serving endpoints...
    with EmulatorProcess(state, job_seconds=3, quota=5) as emulator:
        project = PulumiProject(tmp_path, emulator.host, program=first_release,
                                virtualenv=first_release_packages)
        project.write_job("triage", **flash_job(
            regions=list(REGIONS), serving={"displayName": "triage"}, deletionPolicy="delete"))
        project.write_job("summaries", **flash_job())
        project.up()
        wait_for(lambda: all(state_name == "JOB_STATE_SUCCEEDED"
                             for state_name, *_ in _jobs(vertex_world(emulator))), timeout=60)
        project.up()  # deploys the tuned models to the serving endpoints
    # ...and one still training when the checkout is upgraded.
    with EmulatorProcess(state, job_seconds=3600, quota=5) as emulator:
        project.env["VERTEX_AI_EMULATOR_HOST"] = emulator.host
        project.write_job("contracts", **flash_job())
        project.up()
        before = vertex_world(emulator)
        assert sorted(state_name for state_name, *_ in _jobs(before)) == [
            "JOB_STATE_PENDING", "JOB_STATE_SUCCEEDED", "JOB_STATE_SUCCEEDED", "JOB_STATE_SUCCEEDED"]

        project.use_program(REPO_ROOT, REPO_VIRTUALENV)
        steps = project.preview_steps()
        project.up()
        second = project.run("up", "--yes", "--skip-preview", "--expect-no-changes", check=False)
        after = vertex_world(emulator)

    # Nothing is replaced, created or deleted but what the first release did not have: the
    # components that group each job's resources, each job's history (which finds nothing
    # of a stack made before stack ids), the stack's guard, sweep, budget and notifications;
    # every resource moved under its job.
    changing = sorted((s["op"], s["urn"].rsplit("::", 2)[-2], s["urn"].rsplit("::", 1)[1])
                      for s in steps if s["op"] in CHANGING_OPS)
    history_type = "gemini-tuning:index:Job$pulumi-python:dynamic/gemini-tuning:TuningHistory"
    assert changing == sorted(
        [("create", "gemini-tuning:index:Job", job) for job in ("contracts", "summaries", "triage")]
        + [("create", "pulumi-python:dynamic/gemini-tuning:StackGuard", "stack-settings")]
        + [("create", "pulumi-python:dynamic/gemini-tuning:StackSweep", "stack-sweep")]
        + [("create", "pulumi-python:dynamic/gemini-tuning:StackBudget", "stack-budget"),
           ("create", "pulumi-python:dynamic/gemini-tuning:StackNotifications", "stack-notifications")]
        + [("create", history_type, f"{job}-{region}-history") for job, region in (
            ("contracts", "us-central1"), ("summaries", "us-central1"),
            ("triage", "us-central1"), ("triage", "europe-west4"))])
    resources = json.loads(project.run("stack", "export").stdout)["deployment"]["resources"]
    by_type = sorted((r["type"], r["urn"].rsplit("::", 1)[1], r.get("parent", "").rsplit("::", 1)[-1])
                     for r in resources if "dynamic" in r["type"]
                     and not r["type"].endswith(("TuningHistory", "StackGuard", "StackSweep", "StackBudget",
                                                 "StackNotifications")))
    assert by_type == [
        ("pulumi-python:dynamic/gemini-tuning:ServingEndpoint", f"triage-{region}-serving", "triage")
        for region in sorted(REGIONS)
    ] + sorted(
        ("pulumi-python:dynamic/gemini-tuning:TuningJob", f"{job}-{region}", job)
        for job, region in (("contracts", "us-central1"), ("summaries", "us-central1"),
                            ("triage", "us-central1"), ("triage", "europe-west4"))
    )
    assert after == before
    assert second.returncode == 0, second.stdout + second.stderr


def _jobs(world: dict) -> list[tuple]:
    return [value for name, value in world.items() if "/tuningJobs/" in name]


def test_a_stack_of_the_previous_release_on_a_model_retired_since_upgrades_with_nothing_replaced(tmp_path):
    """gemini-2.5-flash retired on 2026-10-20: jobs the previous release submitted on it stay, with a warning.

    The upgrade also sets a stack budget, deadlines and a webhook: the jobs already submitted are no
    new submissions (not refused, though their gs:// data sets have no estimate here), what the
    previous release saw is not announced, and their new outputs (billing, time in state) are read."""
    previous = unpacked(PREVIOUS_RELEASE, tmp_path / "previous-release")
    state = tmp_path / "emulator.json"
    retired_flash = {**flash_job(), "baseModel": "gemini-2.5-flash"}

    # Made by the previous release while the model was offered: a job that succeeded and serves...
    with EmulatorProcess(state, job_seconds=3, quota=5, today="2026-09-01") as emulator:
        project = PulumiProject(tmp_path, emulator.host, program=previous,
                                virtualenv=release_virtualenv(previous, tmp_path / "previous-release-venv"))
        project.env["GEMINI_TUNING_TODAY"] = "2026-09-01"
        project.write_job("triage", **retired_flash, regions=list(REGIONS), serving={"displayName": "triage"},
                          deletionPolicy="delete")
        project.up()
        wait_for(lambda: all(s == "JOB_STATE_SUCCEEDED" for s, *_ in _jobs(vertex_world(emulator))), timeout=60)
        project.up()  # deploys the tuned models to the serving endpoints
    # ...and one still training when the checkout is upgraded, after the model retired.
    with EmulatorProcess(state, job_seconds=3600, quota=5, today="2026-09-01") as emulator:
        project.use_emulator(emulator)
        project.write_job("contracts", **retired_flash)
        project.up()
    with EmulatorProcess(state, job_seconds=3600, quota=5, today="2026-12-04") as emulator, WebhookServer() as webhook:
        project.use_emulator(emulator)
        project.env["GEMINI_TUNING_TODAY"] = "2026-12-04"
        before = vertex_world(emulator)
        assert sorted(s for s, *_ in _jobs(before)) == [
            "JOB_STATE_PENDING", "JOB_STATE_SUCCEEDED", "JOB_STATE_SUCCEEDED"]

        project.use_program(REPO_ROOT, REPO_VIRTUALENV)
        project.run("config", "set", "gemini-tuning:maxEstimatedCost", "10")
        project.run("config", "set", "--secret", "gemini-tuning:notify", json.dumps([webhook.url]))
        project.write_job("contracts", **retired_flash, maxDuration="72h", maxEstimatedCost=1)
        steps = project.preview_steps()
        up = project.up()
        second = project.run("up", "--yes", "--skip-preview", "--expect-no-changes", check=False)
        after = vertex_world(emulator)

    # The stack's sweep, budget and notifications are new: nothing else is created, replaced or deleted.
    assert sorted((s["op"], s["urn"].rsplit("::", 1)[1]) for s in steps if s["op"] in CHANGING_OPS) == [
        ("create", "stack-budget"), ("create", "stack-notifications"), ("create", "stack-sweep")]
    assert webhook.texts() == []
    contracts = project.job_output("contracts")
    assert (contracts["state"], contracts["maxDuration"], contracts["deadlineExceeded"]) == ("PENDING", "72h", {})
    assert contracts["stateSince"] and contracts["billableTokens"] == 0 and contracts["cost"] is None
    assert project.job_output("triage", "us-central1")["billableTokens"] > 0
    assert after == before
    assert second.returncode == 0, second.stdout + second.stderr
    for job in ("triage", "contracts"):
        assert f"warning: jobs/{job}.yaml: baseModel: gemini-2.5-flash retired on 2026-10-20" in up.stdout
    assert [project.job_output("triage", region)["servingStatus"] for region in REGIONS] == ["SERVING", "SERVING"]
    # The jobs the previous release submitted show their checkpoints (one per epoch on gemini-2.5-flash).
    assert [c["id"] for c in project.job_output("triage", "us-central1")["checkpoints"]] == ["1", "2"]

    # Choosing a checkpoint is a serving decision: the endpoints deploy it, the jobs stay as they are
    # (a replace on the retired model would be refused).
    with EmulatorProcess(state, job_seconds=3600, quota=5, today="2026-12-04") as emulator:
        project.use_emulator(emulator)
        project.write_job("triage", **retired_flash, regions=list(REGIONS),
                          serving={"displayName": "triage", "checkpoint": 1}, deletionPolicy="delete")
        project.up()
        chosen = vertex_world(emulator)
    assert _jobs(chosen) == _jobs(before)
    for region in REGIONS:
        out = project.job_output("triage", region)
        assert out["trafficSplit"] == {f"{out['tunedModel']}#checkpoint=1": 100}


def test_a_stack_made_by_the_previous_release_upgrades_with_nothing_replaced_and_protect_lifted(tmp_path):
    # `releases/previous-release.tar.gz`: the release before this one, with the same pinned
    # packages. It protected the serving endpoints of stacks with protectServingEndpoints.
    previous = unpacked(PREVIOUS_RELEASE, tmp_path / "previous-release")
    with EmulatorProcess(tmp_path / "emulator.json", job_seconds=3600, quota=5, cancel_seconds=0) as emulator:
        project = PulumiProject(tmp_path, emulator.host, program=previous,
                                virtualenv=release_virtualenv(previous, tmp_path / "previous-release-venv"))
        project.run("config", "set", "gemini-tuning:protectServingEndpoints", "true")
        project.write_job("triage", **flash_job(baseModel="gemini-2.5-flash", serving={}))
        project.write_job("summaries", **flash_job(baseModel="gemini-2.5-flash"))
        project.up()
        before = vertex_world(emulator)
        [triage_job] = [job.name for job in emulator.tuning_client().list_tuning_jobs(
            parent=f"projects/{PROJECT_ID}/locations/us-central1") if job.labels["gt-job"] == "triage"]

        project.use_program(REPO_ROOT, REPO_VIRTUALENV)
        steps = project.preview_steps()
        project.up()
        second = project.run("up", "--yes", "--skip-preview", "--expect-no-changes", check=False)
        after = vertex_world(emulator)
        protected = [r["urn"] for r in json.loads(project.run("stack", "export").stdout)["deployment"]["resources"]
                     if r.get("protect")]
        # With protect lifted, removing a served job's file no longer fails every run.
        project.remove_job("triage")
        removed = project.up(check=False)
        triage_state = emulator.tuning_client().get_tuning_job(name=triage_job).state.name

    changing = sorted((s["op"], s["urn"].rsplit("::", 1)[1]) for s in steps if s["op"] in CHANGING_OPS)
    assert changing == [("create", "stack-budget"), ("create", "stack-notifications"), ("create", "stack-sweep")]
    assert after == before
    assert second.returncode == 0, second.stdout + second.stderr
    assert protected == []
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert triage_state == "JOB_STATE_CANCELLED"
