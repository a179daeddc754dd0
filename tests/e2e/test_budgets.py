"""End to end: new submissions over a budget are refused by `plan`, `preview` and `up` before anything
is sent to Vertex AI (the emulator's RPC log shows no CreateTuningJob), naming the job, the estimate,
the budget and how the estimate was made; a gs:// data set is counted by its size in Cloud Storage."""

from __future__ import annotations

import json

from tests.e2e.test_model_catalogue import providers_command
from tests.e2e.test_tuning_jobs import flash_job, jobs_named, wait_until_ended
from tests.support.rpc_log import TUNING_SERVICE, RpcLog, by_method

PRICES = ("models:\n  gemini-3.5-flash:\n    perMillionTrainingTokens: 4\n    sources: [our contract]\n"
          "    checked: 2026-12-01\n")
# 4,000,000 bytes in Cloud Storage: 1,000,000 tokens at one per 4 bytes, x 2 epochs, at $4 per 1M: $8.
HOW = ("gs://e2e-datasets/big.jsonl: 3.8 MiB in Cloud Storage, counted as 1,000,000 tokens (one per 4 bytes, JSON "
       "included: an over-estimate) x 2 epochs = 2,000,000 training tokens x $4.00 per 1M training tokens "
       "(prices.yaml, checked 2026-12-01)")
JOB_REFUSAL = (f"jobs/big.yaml: us-central1: maxEstimatedCost: estimated at $8.00, over the job's budget of $5.00 "
               f"({HOW}); nothing was sent to Vertex AI")


def big_job(**fields) -> dict:
    return flash_job(trainingDataset="gs://e2e-datasets/big.jsonl", **fields)


def test_new_submissions_over_a_budget_are_refused_before_anything_is_sent_to_vertex(
    start_emulator, make_project, storage_emulator, tmp_path
):
    storage_emulator.client().bucket("e2e-datasets").blob("big.jsonl").upload_from_string("x" * 4_000_000)
    rpc_log = RpcLog(tmp_path / "rpc.jsonl")
    emulator = start_emulator(quota=5, rpc_log=rpc_log.path)
    project = make_project(emulator)
    project.use_storage(storage_emulator.url, "e2e-datasets")
    project.write_file("prices.yaml", PRICES)

    # One job over its own budget.
    project.write_job("big", **big_job(maxEstimatedCost=5))
    preview = project.run("preview", check=False)
    up = project.up(check=False)
    planned = providers_command(project, "plan", "--stack", "test", "--format", "json")
    calls = by_method(rpc_log.calls_since_mark(), TUNING_SERVICE)

    assert preview.returncode != 0 and up.returncode != 0
    for result in (preview, up):
        output = result.stdout + result.stderr
        assert f"has a problem: {JOB_REFUSAL}" in output and "Traceback" not in output
    assert calls["CreateTuningJob"] == 0 and jobs_named(emulator, "big") == []
    plan = json.loads(planned.stdout)
    assert planned.returncode == 1
    assert [(c["job"], c["action"], c["estimatedCost"]) for c in plan["changes"]] == [("big", "refused", 8.0)]
    assert [f"{p['file']}: {p['message']}" for p in plan["problems"]] == [JOB_REFUSAL]

    # Within its budget it is submitted; the stack's budget then holds the next run's new submissions together.
    project.write_job("big", **big_job(maxEstimatedCost=10))
    project.up()
    project.run("config", "set", "gemini-tuning:maxEstimatedCost", "10")
    project.write_job("also", **big_job())
    project.write_job("again", **big_job())
    rpc_log.mark()
    refused = project.up(check=False)
    calls = by_method(rpc_log.calls_since_mark(), TUNING_SERVICE)

    assert [j.labels["gt-job"] for j in jobs_named(emulator, "big")] == ["big"]
    assert refused.returncode != 0
    # The job already submitted is not counted again; the two new ones are.
    assert ("Pulumi.test.yaml: gemini-tuning:maxEstimatedCost: the 2 new submission(s) of this run are estimated at "
            f"$16.00 together, over the stack's budget of $10.00: again in us-central1 $8.00 ({HOW}); also in "
            f"us-central1 $8.00 ({HOW}); nothing was sent to Vertex AI") in refused.stdout
    assert calls["CreateTuningJob"] == 0

    # A model without a price cannot be held to a budget: refused, unless the repository prices it.
    project.remove_job("again")
    project.write_job("also", **big_job(baseModel="gemini-3.1-flash-lite"))
    rpc_log.mark()
    unpriced = project.up(check=False)
    project.write_file("prices.yaml", PRICES + PRICES.split("\n", 1)[1].replace("gemini-3.5-flash",
                                                                                "gemini-3.1-flash-lite"))
    priced = project.up(check=False)
    calls = by_method(rpc_log.calls_since_mark(), TUNING_SERVICE)

    assert unpriced.returncode != 0
    assert ("Pulumi.test.yaml: gemini-tuning:maxEstimatedCost: jobs/also.yaml in us-central1 has no estimate to hold "
            "against the stack's budget of $10.00: gs://e2e-datasets/big.jsonl: 3.8 MiB in Cloud Storage, counted as "
            "1,000,000 tokens (one per 4 bytes, JSON included: an over-estimate) x 2 epochs = 2,000,000 training "
            "tokens; gemini-3.1-flash-lite has no price in providers/jobfile/prices.yaml or the repository's "
            "prices.yaml; nothing was sent to Vertex AI") in unpriced.stdout
    assert priced.returncode == 0, priced.stdout + priced.stderr
    assert calls["CreateTuningJob"] == 1 and len(jobs_named(emulator, "also")) == 1


def test_up_replace_is_held_to_the_jobs_budget_by_the_submission_before_anything_is_sent(
    start_emulator, make_project, storage_emulator, tmp_path
):
    storage_emulator.client().bucket("e2e-datasets").blob("big.jsonl").upload_from_string("x" * 4_000_000)
    rpc_log = RpcLog(tmp_path / "rpc.jsonl")
    emulator = start_emulator(job_seconds=2, quota=5, rpc_log=rpc_log.path)
    project = make_project(emulator)
    project.use_storage(storage_emulator.url, "e2e-datasets")
    project.write_file("prices.yaml", PRICES)
    project.write_job("big", **big_job(maxEstimatedCost=10))  # estimated at $8.00: within
    project.up()
    [first] = wait_until_ended(emulator)
    # The budget lowered below the estimate: nothing new, so nothing refused.
    project.write_job("big", **big_job(maxEstimatedCost=5))
    project.up()
    urn = next(s["urn"] for s in project.preview_steps() if s["urn"].endswith("::big-us-central1"))

    # StackBudget sees Vertex's job with this spec (nothing new); the re-created resource
    # never adopts it and would submit a new $8.00 training.
    rpc_log.mark()
    replaced = project.run("up", "--yes", "--skip-preview", "--replace", urn, check=False)
    calls = by_method(rpc_log.calls_since_mark(), TUNING_SERVICE)

    output = replaced.stdout + replaced.stderr
    assert replaced.returncode != 0 and JOB_REFUSAL in output and "Traceback" not in output
    assert calls["CreateTuningJob"] == 0 and [j.name for j in jobs_named(emulator, "big")] == [first.name]
    # The next run pays nothing either: it finds the job it had and keeps it.
    rpc_log.mark()
    project.up()
    assert by_method(rpc_log.calls_since_mark(), TUNING_SERVICE)["CreateTuningJob"] == 0
    assert project.job_output("big")["vertexJob"] == first.name
