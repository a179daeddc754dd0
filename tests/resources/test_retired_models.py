"""A new submission on a retired model is refused before anything is sent; a job already submitted stays.

The tuning-job provider's `check` sees the old inputs: none (a first submit) or inputs the
job differs from (a replace, whose delete would cancel the old job first) make a new
submission, refused with the file, the field, the date and the successor. A job it keeps
is not refused. A job that waited for quota is refused where it would be submitted; the
emulator's RPC log shows that no CreateTuningJob was sent.
"""

from __future__ import annotations

import json

import pytest

from providers.jobfile.catalogue import ModelRules, tool_catalogue
from providers.resources.tuning_job import NOT_SUBMITTED, WAITING_FOR_QUOTA, TuningJobProvider, base_model_row
from tests.support.rpc_log import TUNING_SERVICE, RpcLog, by_method

RETIRED = "gemini-2.5-flash"
SPEC = {"name": "triage", "baseModel": RETIRED, "trainingDataset": "gs://b/t.jsonl"}
REFUSAL = ("jobs/triage.yaml: baseModel: gemini-2.5-flash retired on 2026-10-20: Vertex AI takes no new tuning "
           "jobs on it, so this new submission (a first submit or a replace) is refused before anything is "
           "sent. Move the job to gemini-3.5-flash.")


def news(rules: str = "", **changes) -> dict:
    return {"job_file": "jobs/triage.yaml", "spec_json": json.dumps({**SPEC, **changes}), "job_name": "triage",
            "project": "p", "region": "us-central1", "pulumi_project": "gemini-tuning", "stack": "dev",
            "stack_id": "0123456789ab", "base_model_rules": rules}


def checked_before_retirement(monkeypatch, **changes) -> dict:
    """The inputs as recorded when the job was submitted, before its model retired."""
    monkeypatch.setenv("GEMINI_TUNING_TODAY", "2026-08-01")
    result = TuningJobProvider().check({}, news(**changes))
    monkeypatch.setenv("GEMINI_TUNING_TODAY", "2026-12-04")
    assert result.failures == []
    return result.inputs


def test_a_first_submission_on_a_retired_model_is_refused_by_check(monkeypatch):
    failures = TuningJobProvider().check({}, news()).failures
    assert [(f.property, f.reason) for f in failures] == [("base_model", REFUSAL)]
    # Control: the day before it retired, the same job goes ahead.
    monkeypatch.setenv("GEMINI_TUNING_TODAY", "2026-10-20")
    assert TuningJobProvider().check({}, news()).failures == []


def test_a_job_already_submitted_on_a_retired_model_is_kept(monkeypatch):
    recorded = checked_before_retirement(monkeypatch)
    assert TuningJobProvider().check(recorded, news()).failures == []
    # A setting of ours that changes without touching the Vertex job is no new submission either.
    assert TuningJobProvider().check(recorded, {**news(), "job_file": "jobs/renamed.yaml"}).failures == []


def test_an_edit_that_would_replace_a_job_on_a_retired_model_is_refused(monkeypatch):
    recorded = checked_before_retirement(monkeypatch)
    failures = TuningJobProvider().check(recorded, news(hyperParameters={"epochCount": 5})).failures
    assert [f.reason for f in failures] == [REFUSAL]
    moved = TuningJobProvider().check(recorded, news(baseModel="gemini-3.5-flash"))
    assert moved.failures == [] and moved.inputs["base_model"] == "gemini-3.5-flash"


def test_the_plans_preview_reports_the_refusal_in_the_plan_instead_of_failing():
    assert TuningJobProvider().check({}, {**news(), "plan_preview": True}).failures == []


def test_the_row_the_program_passes_is_the_one_held_to(monkeypatch):
    # A repository's models.yaml extended gemini-2.5-flash: its row travels with the resource.
    extended = tool_catalogue().models[RETIRED].model_copy(update={"retires": __import__("datetime").date(2027, 1, 31)})
    assert TuningJobProvider().check({}, news(rules=base_model_row(RETIRED, extended, "models.yaml"))).failures == []
    # And a model only models.yaml knows is checked against that row.
    argon = ModelRules.model_validate({"adapterSizes": [1, 2], "sources": ["ours"], "checked": "2026-11-30"})
    result = TuningJobProvider().check({}, news(rules=base_model_row("gemini-4-argon", argon, "models.yaml"), baseModel="gemini-4-argon",
                                                hyperParameters={"adapterSize": 4}))
    assert [f.reason for f in result.failures] == [
        "jobs/triage.yaml: hyperParameters.adapterSize: 4 is not supported for gemini-4-argon (row in models.yaml); "
        "allowed: 1, 2"]


@pytest.fixture
def logged(start, tmp_path):
    log = tmp_path / "rpc.jsonl"
    return start(job_seconds=600, quota=1, rpc_log=log), RpcLog(log)


def test_a_job_that_waited_for_quota_is_not_submitted_once_its_model_retired(monkeypatch, logged):
    emulator, log = logged
    recorded = checked_before_retirement(monkeypatch)
    waiting = {**recorded, "state": WAITING_FOR_QUOTA, "vertex_job_name": ""}
    log.mark()

    result = TuningJobProvider().update("id", waiting, recorded)

    assert result.outs["state"] == NOT_SUBMITTED
    assert result.outs["failure"] == "jobs/triage.yaml: us-central1: submitting the tuning job: " + REFUSAL.split(
        "baseModel: ", 1)[1]
    assert by_method(log.calls_since_mark(), TUNING_SERVICE)["CreateTuningJob"] == 0
    assert list(emulator.tuning_client().list_tuning_jobs(parent="projects/p/locations/us-central1")) == []


def test_a_forced_replace_of_a_job_on_a_retired_model_submits_nothing(monkeypatch, logged):
    # `pulumi up --replace` passes check (nothing changed) and deletes first; create refuses.
    emulator, log = logged
    recorded = checked_before_retirement(monkeypatch)
    log.mark()

    result = TuningJobProvider().create(recorded)

    assert result.outs["state"] == NOT_SUBMITTED and REFUSAL.split("baseModel: ", 1)[1] in result.outs["failure"]
    assert by_method(log.calls_since_mark(), TUNING_SERVICE)["CreateTuningJob"] == 0
