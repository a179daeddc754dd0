"""A continuing job at the tuning-job provider: it waits for its source, then continues its tuned model.

Against the emulator, without the Pulumi engine: the provider's verbs as the engine calls
them, with the inputs the program gives a job that continues another (`continueFrom`).
"""

from __future__ import annotations

import json

from pulumi.runtime.rpc import UNKNOWN

from providers.jobfile.catalogue import tool_catalogue
from providers.resources import tuning_job
from providers.resources.tuning_job import (
    NOT_SUBMITTED,
    WAITING_FOR_QUOTA,
    WAITING_FOR_SOURCE,
    TuningJobProvider,
    base_model_row,
)
from tests.resources.test_tuning_job_provider import all_jobs, inputs
from tests.support.polling import wait_for

MORE = {"name": "more", "continueFrom": {"job": "triage"}, "trainingDataset": "gs://b/more.jsonl",
        "hyperParameters": {"epochCount": 1}}
M1, M2 = "projects/p/locations/us-central1/models/1@1", "projects/p/locations/us-central1/models/2@1"
JOB = "projects/p/locations/us-central1/tuningJobs/1"


def continuing(source_model: str, olds: dict | None = None, source_name: str = "job triage",
               extra: dict | None = None, **changes) -> dict:
    """The checked inputs of job `more`, whose source's TuningJob reports `source_model`
    (`extra`: more inputs, such as the sweep's `retired_at`)."""
    news = {
        "job_file": "jobs/more.yaml", "spec_json": json.dumps({**MORE, **changes}), "job_name": "more",
        "project": "p", "region": "us-central1", "pulumi_project": "gemini-tuning", "stack": "dev",
        "stack_id": "0123456789ab", "source_name": source_name, "source_model": source_model,
        "source_state": "RUNNING" if not source_model else "SUCCEEDED",
        "base_model_rules": base_model_row("gemini-3.5-flash", tool_catalogue().models["gemini-3.5-flash"],
                                           "providers/jobfile/catalogue.yaml"),
        **(extra or {}),
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
    """Promise 1: a running continuing job is not cancelled when its source is edited."""
    recorded_inputs = continuing(M1)  # what check is given: the old inputs, no outputs
    submitted = {**recorded_inputs, "state": "RUNNING", "vertex_job_name": "projects/p/locations/l/tuningJobs/1"}
    provider = TuningJobProvider()

    # The source is replaced and trains again: its tuned model is "" (or unknown in a preview).
    for training in ("", UNKNOWN):
        kept = continuing(training, olds=recorded_inputs)
        assert kept["pre_tuned_model"] == M1
        assert provider.diff("id", submitted, kept).changes is False
    # The new version succeeded: the job moves on to it.
    moved = continuing(M2, olds=submitted)
    assert provider.diff("id", submitted, moved).replaces == ["pre_tuned_model"]
    # Another source altogether: nothing is kept of the old one.
    assert "pre_tuned_model" not in continuing("", olds=submitted, source_name="job other",
                                               continueFrom={"job": "other"})


def test_a_job_with_no_vertex_job_waits_for_its_sources_new_version_instead_of_continuing_the_old(monkeypatch):
    """Promise 1. The job recorded M1 but has no Vertex job to keep: it waited for quota, its
    submission was refused, or the stack's sweep cancelled it and its file declares it again.
    The source is replaced and trains. Submitting on M1 now would be replaced (paid again) as
    soon as the source's new version succeeds: the job waits for that version instead."""
    sent = []
    monkeypatch.setattr(tuning_job, "_submit_or_adopt", lambda props, budget: sent.append(props) or {
        "state": "RUNNING", "vertex_job_name": JOB})
    provider = TuningJobProvider()
    retired = {"retired_at": "2026-12-02T00:00:00+00:00"}
    for state, vertex_job, extra in ((WAITING_FOR_QUOTA, "", {}), (NOT_SUBMITTED, "", {}),
                                     ("CANCELLED", JOB, retired)):
        olds = {**continuing(M1), "state": state, "vertex_job_name": vertex_job,
                "create_time": "2026-12-01T00:00:00+00:00" if vertex_job else ""}
        news = continuing("", olds=olds, extra=extra)  # the source's new version trains

        # Check sees the old inputs only: the job keeps M1 (a running one must), and is not
        # submitted on it; it waits.
        assert provider.diff("id", olds, news).replaces == [], state
        created = provider.create(continuing("", extra=extra))
        updated = provider.update("id", olds, news)
        assert sent == [], f"{state}: submitted continuing {sent[0].get('pre_tuned_model')} while the source retrains"
        assert created.outs["state"] == updated.outs["state"] == WAITING_FOR_SOURCE, state
        # The new version succeeded: a replace, whose delete cancels any twin a lost answer left.
        moved = continuing(M2, olds=news, extra=extra)
        assert provider.diff("id", {**news, **updated.outs}, moved).replaces == ["pre_tuned_model"], state


def test_a_checkpoint_of_the_source_is_part_of_what_it_continues(start):
    emulator = start(job_seconds=1)
    TuningJobProvider().create(inputs(hyperParameters={"epochCount": 2}))
    [source] = wait_for(lambda: all_jobs(emulator), lambda jobs: jobs[0].tuned_model.model, timeout=30)

    TuningJobProvider().create(continuing(source.tuned_model.model, continueFrom={"job": "triage", "checkpoint": 1}))

    [job] = [j for j in all_jobs(emulator) if j.labels["gt-job"] == "more"]
    assert (job.pre_tuned_model.tuned_model_name, job.pre_tuned_model.checkpoint_id) == (source.tuned_model.model, "1")


def test_a_tuned_model_its_source_reports_before_it_succeeded_is_not_continued(monkeypatch):
    """Promise 1. Vertex deploys checkpoints while a job tunes, and a job may end
    PARTIALLY_SUCCEEDED: a source's tuned model counts only once the source SUCCEEDED.
    Submitting on it earlier continues a model that is not the source's result."""
    sent = []
    monkeypatch.setattr(tuning_job, "_submit_or_adopt", lambda props, budget: sent.append(props) or {
        "state": "RUNNING", "vertex_job_name": JOB})
    provider = TuningJobProvider()
    for state in ("RUNNING", "PARTIALLY_SUCCEEDED", UNKNOWN):
        news = continuing(M1, extra={"source_state": state})
        assert "pre_tuned_model" not in news, state
        created = provider.create(news)
        # Inputs as a run checked them before: the state alone decides.
        created_anyway = provider.create({**continuing(M1), "source_state": state})
        assert sent == [], f"submitted while the source job is {state}"
        assert created.outs["state"] == created_anyway.outs["state"] == WAITING_FOR_SOURCE, state
    # A job that keeps its Vertex job keeps what it continued while the source's next version runs.
    submitted = {**continuing(M1), "state": "RUNNING", "vertex_job_name": JOB}
    kept = continuing(M2, olds=submitted, extra={"source_state": "RUNNING"})
    assert kept["pre_tuned_model"] == M1
    assert provider.diff("id", submitted, kept).changes is False
    # Once it succeeded, the job continues it.
    assert provider.create(continuing(M1)).outs["state"] == "RUNNING"
    assert [s["pre_tuned_model"] for s in sent] == [M1]


def test_naming_the_continued_model_by_project_id_or_number_is_the_same_job():
    """Promise 1. Vertex names models with the project number; a job file may name the same
    model by project id, or switch from `continueFrom.job` to `continueFrom.model` naming it."""
    by_number = "projects/123456789012/locations/us-central1/models/1@1"
    by_id = "projects/p/locations/us-central1/models/1@1"
    submitted = {**continuing(by_number), "state": "SUCCEEDED", "vertex_job_name": JOB}
    moved = continuing(by_id, olds=submitted, source_name=by_id, continueFrom={"model": by_id})

    assert TuningJobProvider().diff("id", submitted, moved).changes is False
    assert moved["spec_hash"] == submitted["spec_hash"]
    # Another model is another job.
    assert TuningJobProvider().diff("id", submitted, continuing(M2, olds=submitted)).replaces == ["pre_tuned_model"]
