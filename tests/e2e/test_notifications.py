"""End to end: a webhook on 127.0.0.1 receives exactly one message per change, across runs, a run
killed while it was telling and a run in which the webhook failed; after a success, `status` shows
what the job billed, from Vertex's own data statistics, beside its estimate.

The emulator reads the data sets from a Cloud Storage emulator, so a malformed one fails its job
when it starts and a good one gives data statistics counted from its lines, as Vertex does.
"""

from __future__ import annotations

import json
import re

from tests.e2e.test_model_catalogue import providers_command
from tests.e2e.test_tuning_jobs import flash_job, jobs_named, state_of
from tests.support.polling import wait_for
from tests.support.webhook_server import WebhookServer

PRICE = 4.0
PRICES = (f"models:\n  gemini-3.5-flash:\n    perMillionTrainingTokens: {PRICE}\n    sources: [our contract]\n"
          "    checked: 2026-12-01\n")
EXAMPLE = {"contents": [{"role": "user", "parts": [{"text": "My invoice is wrong " * 20}]},
                        {"role": "model", "parts": [{"text": "billing"}]}]}


def test_a_webhook_gets_one_message_per_change_across_runs_and_a_killed_run(
    start_emulator, make_project, storage_emulator
):
    bucket = storage_emulator.client().bucket("e2e-datasets")
    bucket.blob("train.jsonl").upload_from_string("\n".join(json.dumps(EXAMPLE) for _ in range(40)) + "\n")
    bucket.blob("broken.jsonl").upload_from_string("not json\n")
    emulator = start_emulator(job_seconds=30, quota=5, cancel_seconds=0, storage_url=storage_emulator.url)
    project = make_project(emulator)
    project.write_file("prices.yaml", PRICES)
    good = {"trainingDataset": "gs://e2e-datasets/train.jsonl"}
    project.write_job("quick", **flash_job(**good, serving={"displayName": "quick"}))
    project.write_job("broken", **flash_job(trainingDataset="gs://e2e-datasets/broken.jsonl"))
    project.write_job("slow", **flash_job(**good, maxDuration="2s"))

    with WebhookServer() as webhook:
        project.run("config", "set", "--secret", "gemini-tuning:notify", json.dumps([webhook.url]))
        # Run 1 submits; nothing has happened yet.
        project.up()
        wait_for(lambda: jobs_named(emulator, "broken"), lambda jobs: state_of(jobs[0]) == "FAILED", timeout=60)
        # Run 2 sees the failure, and cancels the slow job at its deadline (and fails for that, once).
        second = project.up(check=False)
        told_by_second = webhook.texts()
        wait_for(lambda: jobs_named(emulator, "quick"), lambda jobs: state_of(jobs[0]) == "SUCCEEDED", timeout=120)

        # A run killed while it tells the success: the webhook holds the message without answering.
        webhook.answer = "stall"
        killed = project.start("up", "--yes", "--skip-preview")
        wait_for(lambda: webhook.stalled or killed.poll() is not None, timeout=120)
        project.kill(killed)
        webhook.release()
        project.run("cancel", "--yes")
        # A failing webhook never fails the update: one line, and the messages wait.
        webhook.answer = "fail"
        failing = project.up()
        webhook.answer = "ok"
        # The next run tells what the killed and the failed runs could not; later runs tell nothing again.
        project.up()
        project.up()
        last = project.run("up", "--yes", "--skip-preview", "--expect-no-changes", check=False)
        status = providers_command(project, "status", "--stack", "test")
        state = project.run("stack", "export").stdout

    assert second.returncode != 0 and "jobs/slow.yaml: us-central1: cancelled at its deadline" in second.stdout
    assert len(told_by_second) == 2
    assert webhook.stalled, "the killed run was telling the success when it was killed"
    assert re.search(r"warning: notify: webhook 1 of gemini-tuning:notify \(http://127\.0\.0\.1/…\): HTTP 500 "
                     r"Internal Server Error; \d message\(s\) kept for the next run", failing.stdout), failing.stdout
    texts = webhook.texts()
    [quick] = jobs_named(emulator, "quick")
    [broken] = jobs_named(emulator, "broken")
    stack = "gemini-tuning (stack test)"
    assert sorted(texts) == sorted([
        f"{stack}: broken in us-central1 FAILED: INVALID_ARGUMENT: {broken.error.message.rstrip('.')}. Job file: "
        "jobs/broken.yaml; "
        f"Vertex job: {broken.name}.",
        next(t for t in texts if t.startswith(f"{stack}: slow in us-central1 was cancelled at its deadline: it ran ")),
        next(t for t in texts if t.startswith(f"{stack}: quick in us-central1 SUCCEEDED. Tuned model: "
                                              f"{quick.tuned_model.model}. Billed: ")),
        f"{stack}: quick in us-central1: the serving endpoint promoted {quick.tuned_model.model}: it now takes all "
        "traffic. Job file: jobs/quick.yaml.",
    ]), texts
    assert last.returncode == 0, last.stdout + last.stderr
    # The webhook's URL is a secret: encrypted in the state, never in outputs or logs.
    secret = webhook.url.rsplit("/", 1)[1]
    assert secret not in state and secret not in second.stdout + last.stdout + json.dumps(project.outputs())

    # What the job billed: Vertex's billable tokens (one pass over the data set) x the epochs, at the price.
    stats = quick.tuning_data_stats.supervised_tuning_data_stats
    epochs = quick.supervised_tuning_spec.hyper_parameters.epoch_count
    training = stats.total_billable_token_count * epochs
    assert stats.total_billable_token_count > 0 and epochs == 2
    output = project.job_output("quick")
    assert (output["billableTokens"], output["epochs"], output["trainingTokens"]) == (
        stats.total_billable_token_count, epochs, training)
    assert output["cost"] == round(training * PRICE / 1e6, 2)
    [row] = [line for line in status.stdout.splitlines() if line.startswith("quick ")]
    assert f"{training:,} tokens, ${training * PRICE / 1e6:,.2f}" in row
    assert f"Billed: {training:,} training tokens ({stats.total_billable_token_count:,} x 2 epochs)" in next(
        t for t in texts if "SUCCEEDED" in t)
