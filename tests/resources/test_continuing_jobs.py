"""A continuing job at the tuning-job provider: it waits for its source, then continues its tuned model.

Against the emulator, without the Pulumi engine: the provider's verbs as the engine calls
them, with the inputs the program gives a job that continues another (`continueFrom`).
"""

from __future__ import annotations

import json

from pulumi.runtime.rpc import UNKNOWN

from providers.jobfile.catalogue import tool_catalogue
from providers.resources.tuning_job import WAITING_FOR_SOURCE, TuningJobProvider, base_model_row
from tests.resources.test_tuning_job_provider import all_jobs, inputs
from tests.support.polling import wait_for

MORE = {"name": "more", "continueFrom": {"job": "triage"}, "trainingDataset": "gs://b/more.jsonl",
        "hyperParameters": {"epochCount": 1}}
M1, M2 = "projects/p/locations/us-central1/models/1@1", "projects/p/locations/us-central1/models/2@1"


def continuing(source_model: str, olds: dict | None = None, source_name: str = "job triage", **changes) -> dict:
    """The checked inputs of job `more`, whose source's TuningJob reports `source_model`."""
    news = {
        "job_file": "jobs/more.yaml", "spec_json": json.dumps({**MORE, **changes}), "job_name": "more",
        "project": "p", "region": "us-central1", "pulumi_project": "gemini-tuning", "stack": "dev",
        "stack_id": "0123456789ab", "source_name": source_name, "source_model": source_model,
        "source_state": "RUNNING" if not source_model else "SUCCEEDED",
        "base_model_rules": base_model_row("gemini-3.5-flash", tool_catalogue().models["gemini-3.5-flash"],
                                           "providers/jobfile/catalogue.yaml"),
    }
    result = TuningJobProvider().check(olds or {}, news)
    assert result.failures == []
    return result.inputs


def test_a_continuing_job_waits_for_its_source_with_no_vertex_job(start):
    emulator = start(job_seconds=600)

    created = TuningJobProvider().create(continuing(""))
    again = continuing("", olds=created.outs)
    diff = TuningJobProvider().diff(created.id, created.outs, again)
    updated = TuningJobProvider().update(created.id, created.outs, again)

    assert all_jobs(emulator) == []
    assert created.outs["state"] == updated.outs["state"] == WAITING_FOR_SOURCE
    assert created.outs["status_message"] == ("waiting for job triage to succeed in us-central1 (it is RUNNING); a "
                                              "later `pulumi up` submits this job with its tuned model")
    # Every run tries again (an update), and there is nothing to replace.
    assert (diff.changes, diff.replaces) == (True, [])
    assert "pre_tuned_model" not in created.outs


def test_once_its_source_succeeded_it_continues_the_sources_tuned_model(start):
    emulator = start(job_seconds=1)
    TuningJobProvider().create(inputs())
    [source] = wait_for(lambda: all_jobs(emulator), lambda jobs: jobs[0].tuned_model.model, timeout=30)
    waiting = TuningJobProvider().create(continuing(""))

    news = continuing(source.tuned_model.model, olds=waiting.outs)
    updated = TuningJobProvider().update(waiting.id, waiting.outs, news)

    [job] = [j for j in all_jobs(emulator) if j.labels["gt-job"] == "more"]
    assert job.pre_tuned_model.tuned_model_name == source.tuned_model.model
    assert (job.base_model, job.tuned_model_display_name) == ("", "")  # Vertex: the source's, so its next version
    assert job.labels["gt-spec"] == news["spec_hash"] == updated.outs["spec_hash"]
    assert updated.outs["continued_from"] == source.tuned_model.model


def test_it_keeps_the_model_it_continued_until_its_sources_next_version_exists():
    submitted = {**continuing(M1), "state": "RUNNING", "vertex_job_name": "projects/p/locations/l/tuningJobs/1"}
    provider = TuningJobProvider()

    # The source is replaced and trains again: its tuned model is "" (or unknown in a preview).
    for training in ("", UNKNOWN):
        kept = continuing(training, olds=submitted)
        assert kept["pre_tuned_model"] == M1
        assert provider.diff("id", submitted, kept).changes is False
    # The new version succeeded: the job moves on to it.
    moved = continuing(M2, olds=submitted)
    assert provider.diff("id", submitted, moved).replaces == ["pre_tuned_model"]
    # Another source altogether: nothing is kept of the old one.
    assert "pre_tuned_model" not in continuing("", olds=submitted, source_name="job other",
                                               continueFrom={"job": "other"})


def test_a_checkpoint_of_the_source_is_part_of_what_it_continues(start):
    emulator = start(job_seconds=1)
    TuningJobProvider().create(inputs(hyperParameters={"epochCount": 2}))
    [source] = wait_for(lambda: all_jobs(emulator), lambda jobs: jobs[0].tuned_model.model, timeout=30)

    TuningJobProvider().create(continuing(source.tuned_model.model, continueFrom={"job": "triage", "checkpoint": 1}))

    [job] = [j for j in all_jobs(emulator) if j.labels["gt-job"] == "more"]
    assert (job.pre_tuned_model.tuned_model_name, job.pre_tuned_model.checkpoint_id) == (source.tuned_model.model, "1")
