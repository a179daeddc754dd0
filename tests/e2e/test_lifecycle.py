"""End to end: the tuning lifecycle through the real `pulumi` CLI, the tool's commands and the emulator.

- A job that continues another (`continueFrom: {job}`) waits, with no Vertex job, until its
  source has succeeded, and is then submitted with `pre_tuned_model` set to the source's
  tuned model; when the source is replaced it keeps that model until the new version has
  succeeded, and then the plan shows it moving on (old -> new) and `up` replaces it.
- A continuing job with no Vertex job yet (waiting for quota) whose source is replaced is not
  submitted on the model the source is replacing: it waits for the new version, and the plan
  says so. Edited in one commit with its source, it is paid for once, on the new version.
- Two gated jobs whose evaluations score on either side of the gate: one serves, the other
  is HELD with its score in the outputs, and its endpoint serves nothing it did not pass.
- A chosen checkpoint (`serving.checkpoint: best`) is what the serving endpoint deploys.
- The stack's webhook is told each change once: the successes, the promotion, the model held.

Evaluation during tuning is documented for the Gemini 2.5 models in us-central1 only, and
those retired on 2026-10-20: the gated jobs run on gemini-2.5-flash on 2026-09-01 ("today"
for the tool and the emulator), before Google blocked new access to it.
"""

from __future__ import annotations

import json

from providers.gcp.names import same_resource
from tests.e2e.test_model_catalogue import providers_command
from tests.e2e.test_tuning_jobs import flash_job, jobs_named, state_of, vertex_jobs
from tests.support.polling import wait_for
from tests.support.rpc_log import TUNING_SERVICE, RpcLog, by_method
from tests.support.webhook_server import WebhookServer

REGION = "us-central1"
EVALUATED_DAY = "2026-09-01"


def succeeded(emulator, job: str, count: int = 1) -> list:
    """The job's Vertex jobs, once `count` of them exist and the newest has succeeded."""
    return wait_for(lambda: jobs_named(emulator, job),
                    lambda jobs: len(jobs) == count and state_of(jobs[-1]) == "SUCCEEDED", timeout=60)


def test_a_continuing_job_waits_for_its_source_and_continues_its_tuned_model(start_emulator, make_project, tmp_path):
    rpc_log = RpcLog(tmp_path / "rpc.jsonl")
    # The source trains for an hour, until the emulator is started again with shorter jobs.
    emulator = start_emulator(job_seconds=3600, quota=3, rpc_log=rpc_log.path)
    project = make_project(emulator)
    project.write_job("triage", **flash_job(regions=[REGION]))
    project.write_job("triage-more", continueFrom={"job": "triage"}, regions=[REGION],
                      trainingDataset="gs://acme/more.jsonl", hyperParameters={"epochCount": 1})

    planned = json.loads(providers_command(project, "plan", "--stack", "test", "--format", "json").stdout)
    project.up()

    assert {c["job"]: c["action"] for c in planned["changes"]} == {"triage": "submit",
                                                                   "triage-more": "wait for source"}
    assert [job.labels["gt-job"] for job in vertex_jobs(emulator)] == ["triage"]
    waiting = project.job_output("triage-more", REGION)
    assert waiting["state"] == "WAITING_FOR_SOURCE" and waiting["vertexJob"] == ""
    assert "waiting for job triage to succeed in us-central1" in waiting["statusMessage"]
    assert waiting["baseModel"] == "gemini-3.5-flash"  # the source's rules

    # While the source trains, `up` still submits nothing for the continuing job.
    rpc_log.mark()
    project.up()
    assert by_method(rpc_log.calls_since_mark(), TUNING_SERVICE)["CreateTuningJob"] == 0

    emulator = start_emulator(job_seconds=4, quota=3, rpc_log=rpc_log.path, on_state_of=emulator)
    project.use_emulator(emulator)
    [source] = succeeded(emulator, "triage")
    project.up()

    [continued] = jobs_named(emulator, "triage-more")
    assert same_resource(continued.pre_tuned_model.tuned_model_name, source.tuned_model.model)
    assert continued.base_model == ""
    assert same_resource(project.job_output("triage-more", REGION)["continuesFrom"], source.tuned_model.model)

    # The source is replaced: the continuing job keeps what it continued from while the new version trains...
    project.write_job("triage", **flash_job(regions=[REGION], hyperParameters={"epochCount": 3}))
    project.up()
    assert [job.name for job in jobs_named(emulator, "triage-more")] == [continued.name]
    # Promise 1: not cancelled (to be paid for again once the source's new version succeeds).
    assert project.job_output("triage-more", REGION)["vertexJob"] == continued.name
    assert state_of(emulator.tuning_client().get_tuning_job(name=continued.name)) not in ("CANCELLING", "CANCELLED")
    # ...and moves on once it has succeeded: the plan says so, and `up` replaces it.
    _, replacement = succeeded(emulator, "triage", count=2)
    planned = json.loads(providers_command(project, "plan", "--stack", "test", "--format", "json").stdout)
    [moving] = [c for c in planned["changes"] if c["job"] == "triage-more"]
    assert moving["action"] == "replace"
    [why] = moving["why"]
    assert why["field"] == "continueFrom"
    assert same_resource(why["old"], source.tuned_model.model)
    assert same_resource(why["new"], replacement.tuned_model.model)
    project.up()
    latest = jobs_named(emulator, "triage-more")[-1]
    assert same_resource(latest.pre_tuned_model.tuned_model_name, replacement.tuned_model.model)


def test_a_continuing_job_waiting_for_quota_waits_for_the_version_its_source_is_training(start_emulator, make_project):
    """Promise 1: submitted on the source's old model, it would be replaced (paid again) as soon
    as the source's new version succeeded."""
    emulator = start_emulator(job_seconds=3, quota=1)
    project = make_project(emulator)
    project.write_job("triage", **flash_job(regions=[REGION]))
    project.up()
    [source] = succeeded(emulator, "triage")
    # Jobs train for an hour from now on; "busy" takes the project's one quota slot.
    emulator = start_emulator(job_seconds=3600, quota=1, on_state_of=emulator)
    project.use_emulator(emulator)
    project.write_job("busy", **flash_job(regions=[REGION]))
    project.up()
    project.write_job("triage-more", continueFrom={"job": "triage"}, regions=[REGION],
                      trainingDataset="gs://acme/more.jsonl", hyperParameters={"epochCount": 1})
    project.up()
    assert project.job_output("triage-more", REGION)["state"] == "WAITING_FOR_QUOTA"

    # The source is edited: its new version waits for quota too, then the quota grows.
    project.write_job("triage", **flash_job(regions=[REGION], hyperParameters={"epochCount": 3}))
    planned = json.loads(providers_command(project, "plan", "--stack", "test", "--format", "json").stdout)
    project.up()
    emulator = start_emulator(job_seconds=3600, quota=3, on_state_of=emulator)
    project.use_emulator(emulator)
    project.up()

    assert [state_of(job) != "SUCCEEDED" for job in jobs_named(emulator, "triage")] == [False, True]  # it trains
    assert [job.pre_tuned_model.tuned_model_name for job in jobs_named(emulator, "triage-more")] == [], (
        f"submitted continuing {source.tuned_model.model}, which its source is replacing")
    assert {c["job"]: c["action"] for c in planned["changes"]}["triage-more"] == "wait for source"
    assert project.job_output("triage-more", REGION)["state"] == "WAITING_FOR_SOURCE"


def test_a_source_and_its_continuing_job_edited_together_pay_for_the_continuing_job_once(start_emulator, make_project):
    """Through the engine, the continuing job's replacement is checked with no old inputs, so it
    keeps nothing of the source's old model: it waits for the new version."""
    emulator = start_emulator(job_seconds=3, quota=3)
    project = make_project(emulator)
    more = dict(continueFrom={"job": "triage"}, regions=[REGION], hyperParameters={"epochCount": 1})
    project.write_job("triage", **flash_job(regions=[REGION]))
    project.write_job("triage-more", **more, trainingDataset="gs://acme/more.jsonl")
    project.up()
    succeeded(emulator, "triage")
    project.up()
    succeeded(emulator, "triage-more")

    project.write_job("triage", **flash_job(regions=[REGION], hyperParameters={"epochCount": 3}))
    project.write_job("triage-more", **more, trainingDataset="gs://acme/more-q4.jsonl")
    project.up()
    assert project.job_output("triage-more", REGION)["state"] == "WAITING_FOR_SOURCE"
    _, replacement = succeeded(emulator, "triage", count=2)
    project.up()

    continuing = jobs_named(emulator, "triage-more")
    assert len(continuing) == 2
    assert same_resource(continuing[-1].pre_tuned_model.tuned_model_name, replacement.tuned_model.model)


def gated_job(**fields) -> dict:
    """A job on gemini-2.5-flash that evaluates rouge_1 and serves a model only from 0.5 on."""
    return flash_job(baseModel="gemini-2.5-flash", regions=[REGION], validationDataset="gs://acme/validation.jsonl",
                     evaluation={"metrics": ["rouge_1"], "outputUriPrefix": "gs://acme/evaluations"},
                     serving={"promoteWhen": {"metric": "rouge_1", "atLeast": 0.5}, **fields.pop("serving", {})},
                     **fields)


def test_gated_jobs_serve_only_what_passes_and_the_chosen_checkpoint_is_deployed(start_emulator, make_project):
    emulator = start_emulator(job_seconds=4, quota=3, today=EVALUATED_DAY, evaluation_scores=(
        "good:rouge_1=0.7", "good@1:rouge_1=0.9",   # checkpoint 1 of 2 is the best
        "poor:rouge_1=0.3"))
    project = make_project(emulator)
    project.env["GEMINI_TUNING_TODAY"] = EVALUATED_DAY
    project.write_job("good", **gated_job(serving={"checkpoint": "best"}))
    project.write_job("poor", **gated_job())

    with WebhookServer() as webhook:
        project.run("config", "set", "--secret", "gemini-tuning:notify", json.dumps([webhook.url]))
        planned = providers_command(project, "plan", "--stack", "test").stdout
        project.up()
        succeeded(emulator, "good"), succeeded(emulator, "poor")
        project.up()
        project.up()

    assert "gate: a new tuned model serves only with a rouge_1 score of at least 0.5, else HELD" in planned
    good, poor = project.job_output("good", REGION), project.job_output("poor", REGION)
    # Each checkpoint's scores, from the job's evaluation runs.
    assert [(c["id"], c["scores"]) for c in good["checkpoints"]] == [("1", {"rouge_1": 0.9}), ("2", {"rouge_1": 0.7})]
    assert good["servingStatus"] == "SERVING" and good["held"] == {}
    best = f"{good['tunedModel']}#checkpoint=1"
    assert good["trafficSplit"] == {best: 100}
    endpoint = emulator.endpoint_client().get_endpoint(name=good["servingEndpoint"])
    [deployed] = endpoint.deployed_models
    assert (deployed.checkpoint_id, same_resource(f"{deployed.model}@{deployed.model_version_id}",
                                                  good["tunedModel"])) == ("1", True)

    assert poor["servingStatus"] == "HELD"
    assert poor["held"]["scores"] == {"rouge_1": 0.3}
    assert poor["held"]["reason"] == "its rouge_1 score is 0.3, below 0.5"
    assert same_resource(poor["held"]["model"], poor["tunedModel"])
    assert poor["trafficSplit"] == {}
    assert not emulator.endpoint_client().get_endpoint(name=poor["servingEndpoint"]).deployed_models
    status = providers_command(project, "status", "--stack", "test", "--no-refresh").stdout
    assert "held models/" in status and "(rouge_1 0.3): its rouge_1 score is 0.3, below 0.5" in status
    # A held endpoint is settled: nothing to do until the job or its gate changes.
    settled = project.run("preview", "--expect-no-changes", check=False)
    assert settled.returncode == 0, settled.stdout
    # The webhook was told each change once: both successes, the promotion, and the model held back.
    told = sorted(text.split(": ", 1)[1].split(" Job file")[0].split(". Tuned model")[0] for text in webhook.texts())
    assert told == [
        f"good in {REGION} SUCCEEDED",
        f"good in {REGION}: the serving endpoint promoted {best}: it now takes all traffic.",
        f"poor in {REGION} SUCCEEDED",
        f"poor in {REGION}: the serving endpoint HELD {poor['held']['model']} back: its rouge_1 score is 0.3, below "
        "0.5.",
    ], webhook.texts()
