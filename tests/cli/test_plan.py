"""The plan from a preview's steps: what `pulumi up` would refuse is shown refused, not submitted.

`make_plan` takes the checks `validate --stack` runs and the steps of `pulumi preview
--json`; these tests give it steps as the preview writes them (the end-to-end plan runs in
tests/e2e/test_gitops.py).
"""

from __future__ import annotations

import json

import pytest

from providers.cli.plan import REFUSED, as_markdown, make_plan
from providers.stack.preflight import validate_jobs

TUNING_JOB = "gemini-tuning:index:Job$pulumi-python:dynamic/gemini-tuning:TuningJob"


def step(op: str, job: str, model: str, old_model: str | None = None, state: str = "RUNNING") -> dict:
    inputs = {"job_name": job, "region": "us-central1", "base_model": model, "training_dataset_uri": "gs://b/t.jsonl",
              "epoch_count": 0}
    old = ({"inputs": {**inputs, "base_model": old_model or model}, "outputs": {"state": state}}
           if op != "create" else None)
    return {"op": op, "urn": f"urn:pulumi:test::gemini-tuning::{TUNING_JOB}::{job}-us-central1",
            "newState": {"inputs": inputs}, "oldState": old}


@pytest.fixture
def report(tmp_path, monkeypatch):
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    for name, model in (("fresh", "gemini-2.5-flash"), ("kept", "gemini-2.5-flash"), ("moved", "gemini-3.5-flash"),
                        ("edited", "gemini-2.5-pro")):
        (jobs / f"{name}.yaml").write_text(json.dumps(
            {"name": name, "baseModel": model, "trainingDataset": "gs://b/t.jsonl", "regions": ["us-central1"]}))
    monkeypatch.chdir(tmp_path)
    return lambda: validate_jobs(jobs, tmp_path, stack="test")


def test_a_new_submission_on_a_retired_model_is_planned_as_refused_with_date_and_successor(report):
    steps = [step("create", "fresh", "gemini-2.5-flash"),
             step("replace", "edited", "gemini-2.5-pro", state="SUCCEEDED"),
             step("replace", "moved", "gemini-3.5-flash", old_model="gemini-2.5-flash")]

    plan = make_plan("test", report(), steps, broken=set())

    actions = {c.job: c.action for c in plan.changes}
    assert actions == {"fresh": REFUSED, "edited": REFUSED, "moved": "replace", "kept": "keep"}
    assert [str(p) for p in plan.problems] == [
        "jobs/edited.yaml: baseModel: gemini-2.5-pro retired on 2026-10-20: Vertex AI takes no new tuning jobs on "
        "it, so this new submission (a first submit or a replace) is refused before anything is sent. Move the job "
        "to gemini-3.5-flash.",
        "jobs/fresh.yaml: baseModel: gemini-2.5-flash retired on 2026-10-20: Vertex AI takes no new tuning jobs on "
        "it, so this new submission (a first submit or a replace) is refused before anything is sent. Move the job "
        "to gemini-3.5-flash.",
    ]
    assert not plan.ok
    assert "| fresh | us-central1 | **refused** |" in as_markdown(plan)
    # A job that stays as it is on a retired model is only warned of.
    assert [w.file for w in plan.warnings if "retired on 2026-10-20" in w.message] == [
        "jobs/edited.yaml", "jobs/fresh.yaml", "jobs/kept.yaml"]


def test_before_the_retirement_the_same_steps_are_planned_as_submissions(report, monkeypatch):
    monkeypatch.setenv("GEMINI_TUNING_TODAY", "2026-10-20")

    plan = make_plan("test", report(), [step("create", "fresh", "gemini-2.5-flash")], broken=set())

    assert [(c.job, c.action) for c in plan.changes if c.job == "fresh"] == [("fresh", "submit")]
    assert plan.problems == []


def test_a_local_data_sets_tokens_times_epochs_are_priced_where_google_publishes_a_price(tmp_path, monkeypatch):
    from providers.cli.pricing import price_table

    monkeypatch.setenv("GEMINI_TUNING_TODAY", "2026-09-01")  # gemini-2.5-flash is still offered, and priced
    (tmp_path / "jobs").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.jsonl").write_text(json.dumps(
        {"contents": [{"role": "user", "parts": [{"text": "x" * 400}]}, {"role": "model", "parts": [{"text": "y" * 4}]}]})
        + "\n")
    (tmp_path / "jobs" / "priced.yaml").write_text(json.dumps(
        {"name": "priced", "baseModel": "gemini-2.5-flash", "trainingDataset": "data/train.jsonl",
         "regions": ["us-central1"], "hyperParameters": {"epochCount": 3}}))
    monkeypatch.chdir(tmp_path)
    created = step("create", "priced", "gemini-2.5-flash")
    created["newState"]["inputs"]["epoch_count"] = 3

    [change] = make_plan("test", validate_jobs(tmp_path / "jobs", tmp_path, stack="test"), [created], broken=set()).changes

    assert (change.action, change.training_tokens) == ("submit", 101 * 3)
    assert change.cost == pytest.approx(101 * 3 * price_table().per_million_training_tokens["gemini-2.5-flash"] / 1e6)


def test_a_running_job_no_job_file_declares_is_planned_as_cancelled_by_the_sweep(report):
    # A killed run left "ghost" training, untracked; the last refresh saw it, so the sweep cancels it.
    ghost = {"name": "projects/p/locations/us-central1/tuningJobs/7", "job": "ghost", "region": "us-central1"}
    declared_too = {"name": "projects/p/locations/us-central1/tuningJobs/8", "job": "kept", "region": "us-central1"}
    sweep = {"op": "update", "urn": "urn:pulumi:test::gemini-tuning::pulumi-python:dynamic/gemini-tuning:StackSweep"
                                    "::stack-sweep",
             "oldState": {"outputs": {"undeclared_running": [ghost, declared_too]}}, "newState": {"inputs": {}}}

    plan = make_plan("test", report(), [step("create", "moved", "gemini-3.5-flash"), sweep], broken=set())

    [swept] = [c for c in plan.changes if c.job == "ghost"]
    assert (swept.region, swept.action) == ("us-central1", "cancel")
    assert ghost["name"] in swept.note
    assert [c.action for c in plan.changes if c.job == "kept"] == ["keep"]
    assert "| ghost | us-central1 | **cancel** |" in as_markdown(plan)


def continuing_step(state: str, **new_inputs) -> dict:
    """A replace of job `moved`, as a job continuing `fresh` that recorded `fresh`'s old model,
    in `state`; `fresh` is replaced and trains (its tuned model is "")."""
    replaced = step("replace", "moved", "", state=state)
    replaced["oldState"]["inputs"].update(source_name="job fresh",
                                          pre_tuned_model="projects/p/locations/us-central1/models/1@1")
    replaced["newState"]["inputs"].update(source_name="job fresh", source_model="", **new_inputs)
    return replaced


def test_a_continuing_job_with_no_vertex_job_whose_source_retrains_is_planned_as_waiting_for_it(report):
    [waiting] = [c for c in make_plan("test", report(), [continuing_step("WAITING_FOR_QUOTA")], broken=set()).changes
                 if c.job == "moved"]
    # A running job whose own file changed too is replaced: cancelled now, submitted once its source succeeded.
    [replaced] = [c for c in make_plan("test", report(), [continuing_step("RUNNING", training_dataset_uri="gs://b/u.jsonl")],
                                       broken=set()).changes if c.job == "moved"]

    assert (waiting.action, waiting.note) == (
        "wait for source", "submitted once job fresh has succeeded in us-central1, continuing its tuned model")
    assert replaced.action == "replace"
    assert replaced.note.endswith("then waits for job fresh to succeed in us-central1, and continues its new tuned model")


def test_the_jobs_continuing_a_replaced_job_are_planned_as_replaced_later(tmp_path, monkeypatch):
    """A source edited alone: its continuing jobs keep their Vertex jobs in this run, but once
    its new version succeeds they are replaced to continue it, paid again. The reviewer sees it."""
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    for name, spec in (("fresh", {"baseModel": "gemini-3.5-flash"}), ("more", {"continueFrom": {"job": "fresh"}}),
                       ("most", {"continueFrom": {"job": "more"}}), ("other", {"baseModel": "gemini-3.5-flash"})):
        (jobs / f"{name}.yaml").write_text(json.dumps(
            {"name": name, **spec, "trainingDataset": "gs://b/t.jsonl", "regions": ["us-central1"]}))
    monkeypatch.chdir(tmp_path)

    plan = make_plan("test", validate_jobs(jobs, tmp_path, stack="test"),
                     [step("replace", "fresh", "gemini-3.5-flash", state="SUCCEEDED")], broken=set())

    actions = {c.job: (c.action, c.note) for c in plan.changes}
    assert actions["more"] == ("keep", "replaced by a later `pulumi up`, tuned and paid for again: it continues "
                                       "fresh, which is replaced, and follows fresh's new tuned model once that succeeds")
    assert actions["most"][0] == "keep" and "it continues more, which is replaced" in actions["most"][1]
    assert actions["other"] == ("keep", "")
    assert "tuned and paid for again" in as_markdown(plan)


def test_a_job_that_waited_for_its_source_is_planned_as_a_submission_once_the_source_succeeded(report):
    """It kept the source's old model while waiting (it had waited for quota): the new model is a
    replace for Pulumi, whose delete cancels any twin a lost answer left; for the reviewer, a submit."""
    new_model = "projects/p/locations/us-central1/models/1@2"
    moving = continuing_step("WAITING_FOR_SOURCE", pre_tuned_model=new_model, source_state="SUCCEEDED")
    moving["newState"]["inputs"]["source_model"] = new_model

    [change] = [c for c in make_plan("test", report(), [moving], broken=set()).changes if c.job == "moved"]

    assert (change.action, change.note) == ("submit", f"continues {new_model}")
