"""The plan from a preview's steps: what `pulumi up` would refuse is shown refused, not submitted.

`make_plan` takes the checks `validate --stack` runs and the steps of `pulumi preview
--json`; these tests give it steps as the preview writes them (the end-to-end plan runs in
tests/e2e/test_gitops.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

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


def test_the_plan_shows_the_estimate_the_program_made_for_its_preview(report):
    created = step("create", "fresh", "gemini-3.5-flash")
    created["newState"]["inputs"]["estimate"] = {
        "tokens_per_epoch": 101.0, "epochs": 3.0, "training_tokens": 303.0, "cost": 0.0015, "how": "data: ...",
        "local_path": "data/train.jsonl", "dataset_bytes": 1500.0, "dataset_examples": 1.0}

    plan = make_plan("test", report(), [created], broken=set())

    [change] = [c for c in plan.changes if c.job == "fresh"]
    assert (change.action, change.training_tokens, change.cost) == ("submit", 303, 0.0015)
    assert (change.dataset.local_path, change.dataset.bytes, change.dataset.examples) == ("data/train.jsonl", 1500, 1)
    assert "| fresh | us-central1 | **submit** |" in as_markdown(plan)
    assert "303 (101 x 3 epochs)" in as_markdown(plan)


def _with_estimate(created: dict, cost: float) -> dict:
    created["newState"]["inputs"]["estimate"] = {"tokens_per_epoch": 1000, "epochs": 2, "training_tokens": 2000,
                                                 "cost": cost, "how": f"how {cost}"}
    return created


def test_new_submissions_over_the_stacks_budget_are_planned_as_refused_with_estimates_and_budget(report):
    steps = [_with_estimate(step("create", "fresh", "gemini-3.5-flash"), 30.0),
             _with_estimate(step("replace", "edited", "gemini-3.5-flash"), 25.0)]

    plan = make_plan("test", report(), steps, broken=set(), stack_budget=50.0)

    assert {c.job: c.action for c in plan.changes} == {"fresh": REFUSED, "edited": REFUSED, "kept": "keep",
                                                        "moved": "keep"}
    assert [str(p) for p in plan.problems] == [
        "Pulumi.test.yaml: gemini-tuning:maxEstimatedCost: the 2 new submission(s) of this run are estimated at "
        "$55.00 together, over the stack's budget of $50.00: edited in us-central1 $25.00 (how 25.0); fresh in "
        "us-central1 $30.00 (how 30.0); nothing was sent to Vertex AI"]
    assert make_plan("test", report(), steps, broken=set(), stack_budget=60.0).problems == []


def test_an_ended_job_counts_against_the_budget_only_when_the_sweep_cancelled_it_and_it_is_submitted_again(report):
    def ended(job: str, created: str, retired: str) -> dict:
        updated = _with_estimate(step("update", job, "gemini-3.5-flash", state="CANCELLED"), 30.0)
        updated["oldState"]["outputs"].update(vertex_job_name="projects/p/locations/us-central1/tuningJobs/7",
                                              create_time=created)
        updated["newState"]["inputs"]["retired_at"] = retired
        return updated

    # `fresh` left its file, the sweep cancelled its job, and it is back; `edited` was cancelled
    # (at its deadline, say) after the sweep once retired it: the provider keeps that one as it is.
    steps = [ended("fresh", "2026-12-01T10:00:00+00:00", "2026-12-02T10:00:00+00:00"),
             ended("edited", "2026-12-03T10:00:00+00:00", "2026-12-02T10:00:00+00:00")]

    plan = make_plan("test", report(), steps, broken=set(), stack_budget=20.0)

    assert {c.job: c.action for c in plan.changes if c.job in ("fresh", "edited")} == {"fresh": REFUSED,
                                                                                      "edited": "keep"}
    assert [str(p) for p in plan.problems] == [
        "Pulumi.test.yaml: gemini-tuning:maxEstimatedCost: the 1 new submission(s) of this run are estimated at "
        "$30.00 together, over the stack's budget of $20.00: fresh in us-central1 $30.00 (how 30.0); nothing was "
        "sent to Vertex AI"]


def test_a_job_over_its_own_budget_is_refused_alone(tmp_path, monkeypatch):
    (tmp_path / "jobs").mkdir()
    for name, budget in (("cheap", 10.0), ("dear", 100.0)):
        (tmp_path / "jobs" / f"{name}.yaml").write_text(json.dumps(
            {"name": name, "baseModel": "gemini-3.5-flash", "trainingDataset": "gs://b/t.jsonl",
             "regions": ["us-central1"], "maxEstimatedCost": budget}))
    monkeypatch.chdir(tmp_path)
    steps = [_with_estimate(step("create", "cheap", "gemini-3.5-flash"), 30.0),
             _with_estimate(step("create", "dear", "gemini-3.5-flash"), 30.0)]

    plan = make_plan("test", validate_jobs(tmp_path / "jobs", tmp_path, stack="test"), steps, broken=set())

    assert {c.job: c.action for c in plan.changes} == {"cheap": REFUSED, "dear": "submit"}
    assert [str(p) for p in plan.problems] == [
        "jobs/cheap.yaml: us-central1: maxEstimatedCost: estimated at $30.00, over the job's budget of $10.00 "
        "(how 30.0); nothing was sent to Vertex AI"]


def test_a_job_past_its_deadline_is_planned_as_cancelled_and_every_job_shows_its_deadline(report):
    created = (datetime.now(UTC) - timedelta(hours=7)).isoformat()
    overdue = step("update", "kept", "gemini-3.5-flash")
    overdue["newState"]["inputs"]["max_duration_seconds"] = 6 * 3600
    overdue["oldState"]["outputs"].update(vertex_job_name="projects/1/locations/us-central1/tuningJobs/9",
                                          create_time=created)

    plan = make_plan("test", report(), [overdue], broken=set())

    [change] = [c for c in plan.changes if c.job == "kept"]
    assert change.action == "cancel at its deadline"
    assert change.note.startswith("cancels projects/1/locations/us-central1/tuningJobs/9: it has run 7h")
    assert change.note.endswith("over its maxDuration of 6h")
    assert change.deadline.startswith("6h (runs out ")
    assert "| kept | us-central1 | **cancel at its deadline** |" in as_markdown(plan)


def test_a_replace_shows_what_the_job_it_replaces_really_billed(report):
    replaced = step("replace", "moved", "gemini-3.5-flash", old_model="gemini-2.5-flash", state="SUCCEEDED")
    replaced["oldState"]["outputs"].update(vertex_job_name="projects/1/locations/us-central1/tuningJobs/7",
                                           billable_tokens=400_000.0, epochs=3.0)

    plan = make_plan("test", report(), [replaced], broken=set())

    [change] = [c for c in plan.changes if c.job == "moved"]
    assert change.action == "replace"
    assert change.note == ("the job it replaces, projects/1/locations/us-central1/tuningJobs/7, really billed "
                           "1,200,000 training tokens, $6.00")


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


def test_a_job_the_sweep_cancelled_at_its_deadline_is_not_planned_as_kept(report):
    """A refusal held back the tuning job's update in the run whose sweep cancelled `kept` at
    its deadline: the next plan shows the cancel its `up` reports (and fails with), not "keep"."""
    name = "projects/1/locations/us-central1/tuningJobs/9"
    created = (datetime.now(UTC) - timedelta(hours=7)).isoformat()
    recorded = step("update", "kept", "gemini-3.5-flash", state="CANCELLED")
    recorded["newState"]["inputs"].update(max_duration_seconds=6 * 3600, deadline_cancels={name: {
        "job": "kept", "region": "us-central1", "ran_seconds": 6 * 3600 + 60, "limit_seconds": 6 * 3600,
        "at": datetime.now(UTC).isoformat()}})
    recorded["oldState"]["outputs"].update(vertex_job_name=name, create_time=created, deadline_exceeded={})

    plan = make_plan("test", report(), [recorded], broken=set())

    [change] = [c for c in plan.changes if c.job == "kept"]
    assert change.action == "cancel at its deadline"
