"""The stack's budgets: new submissions over a budget are refused in `check`, before anything is sent;
which submissions are new is read from Vertex (jobs this stack would adopt are not new)."""

from __future__ import annotations

import json
from dataclasses import replace

from providers.resources.cost_budgets import Submission, refusals
from providers.resources.stack_budget import StackBudgetProvider, new_submissions
from providers.resources.tuning_job import TuningJobProvider, stopped_by_the_sweep
from providers.resources import deadlines
from tests.resources.test_tuning_job_provider import STACK_ID, all_jobs, inputs
from tests.support.polling import wait_for

NOTHING = "nothing was sent to Vertex AI"


def submission(job: str, cost: float, budget: float = 0.0, spec: str = "s") -> Submission:
    return Submission(job, f"jobs/{job}.yaml", "us-central1", spec, {"cost": cost, "how": f"how {job}"}, budget)


def test_a_job_over_its_own_budget_is_refused_naming_the_job_the_estimate_the_budget_and_how():
    assert refusals([submission("triage", 12.4, budget=10), submission("cheap", 2.0, budget=10)], 0, "Pulumi.p.yaml") == [
        ("max_estimated_cost", "jobs/triage.yaml: us-central1: maxEstimatedCost: estimated at $12.40, over the job's "
                               f"budget of $10.00 (how triage); {NOTHING}")]


def test_the_new_submissions_of_a_run_together_are_held_to_the_stacks_budget():
    new = [submission("a", 20.0), submission("b", 15.0)]

    assert refusals(new, 40.0, "Pulumi.prod.yaml") == []
    assert refusals(new, 30.0, "Pulumi.prod.yaml") == [
        ("submissions", "Pulumi.prod.yaml: gemini-tuning:maxEstimatedCost: the 2 new submission(s) of this run are "
                        "estimated at $35.00 together, over the stack's budget of $30.00: a in us-central1 $20.00 (how "
                        f"a); b in us-central1 $15.00 (how b); {NOTHING}")]


def test_without_an_estimate_a_budget_cannot_be_checked_and_the_submission_is_refused():
    unknown = submission("a", -1.0, budget=50)

    assert [line for _, line in refusals([unknown], 100.0, "Pulumi.prod.yaml")] == [
        f"jobs/a.yaml: us-central1: maxEstimatedCost: no estimate to hold against the job's budget of $50.00: how a; "
        f"{NOTHING}",
        f"Pulumi.prod.yaml: gemini-tuning:maxEstimatedCost: jobs/a.yaml in us-central1 has no estimate to hold against "
        f"the stack's budget of $100.00: how a; {NOTHING}"]
    assert refusals([submission("a", -1.0)], 0, "Pulumi.prod.yaml") == []  # no budget, nothing to check


def budget_inputs(stack_budget: float, *submissions: Submission) -> dict:
    return {"stack": "dev", "project": "p", "pulumi_project": "gemini-tuning", "stack_id": STACK_ID,
            "max_estimated_cost": stack_budget, "submissions": [s.as_input() for s in submissions]}


def test_check_counts_only_what_vertex_does_not_hold_for_this_stack_and_refuses_before_anything_is_sent(start):
    emulator = start(job_seconds=600, quota=5, rpc_log=None)
    running = TuningJobProvider().create(inputs()).outs  # submitted by an earlier run
    spec = running["spec_hash"]
    kept = Submission("triage", "jobs/triage.yaml", "us-central1", spec, {"cost": 30.0, "how": "how triage"})
    fresh = Submission("summaries", "jobs/summaries.yaml", "us-central1", "0123", {"cost": 30.0, "how": "how new"})

    within = StackBudgetProvider().check({}, budget_inputs(40.0, kept, fresh))
    over = StackBudgetProvider().check({}, budget_inputs(40.0, kept, fresh, Submission(
        "triage", "jobs/triage.yaml", "europe-west4", spec, {"cost": 30.0, "how": "how eu"})))
    planned = StackBudgetProvider().check({}, {**budget_inputs(1.0, fresh), "plan_preview": True})

    assert within.failures == []
    [failure] = over.failures
    assert failure.property == ""  # Pulumi then prints the line alone
    assert failure.reason.startswith("Pulumi.dev.yaml: gemini-tuning:maxEstimatedCost: the 2 new submission(s) of this "
                                     "run are estimated at $60.00 together, over the stack's budget of $40.00: "
                                     "summaries in us-central1 $30.00 (how new); triage in europe-west4 $30.00")
    assert planned.failures == []  # the plan shows it in its table
    assert len(list(emulator.tuning_client().list_tuning_jobs(parent="projects/p/locations/us-central1"))) == 1


def test_an_ended_job_is_no_new_submission_unless_the_sweep_cancelled_it_as_the_provider_submits_only_that(start):
    emulator = start(job_seconds=600, cancel_seconds=0, quota=5)
    news = {**inputs(), "max_duration_seconds": 1}
    provider = TuningJobProvider()
    created = provider.create(news)
    overdue = wait_for(lambda: provider.read(created.id, created.outs).outs,
                       lambda outs: deadlines.overdue(outs, 1, deadlines.now()) is not None, timeout=10)
    cancelled = provider.update(created.id, overdue, news).outs  # at its deadline
    ended = wait_for(lambda: provider.read(created.id, cancelled).outs, lambda outs: outs["state"] == "CANCELLED",
                     timeout=10)
    kept = Submission("triage", "jobs/triage.yaml", "us-central1", news["spec_hash"], {"cost": 30.0, "how": "how"})
    fresh = Submission("summaries", "jobs/summaries.yaml", "us-central1", "0123", {"cost": 30.0, "how": "how new"})
    # The sweep retired the job (its file was removed) after it was created; the file is back.
    after = deadlines.now().isoformat()
    swept = replace(kept, retired_at=after)
    before = replace(kept, retired_at="2020-01-01T00:00:00+00:00")

    # The provider resubmits the ended job only in the sweep's case; the budget counts just that.
    assert not provider.diff(created.id, ended, news).changes
    assert provider.diff(created.id, ended, {**news, "retired_at": after}).changes
    assert stopped_by_the_sweep(ended, {"retired_at": after})
    assert [s.job for s in new_submissions(budget_inputs(40.0), [kept, fresh])] == ["summaries"]
    assert [s.job for s in new_submissions(budget_inputs(40.0), [before, fresh])] == ["summaries"]
    assert [s.job for s in new_submissions(budget_inputs(40.0), [swept, fresh])] == ["triage", "summaries"]
    assert StackBudgetProvider().check({}, budget_inputs(40.0, kept, fresh)).failures == []
    # Without an estimate, the ended job no longer refuses every later run.
    assert StackBudgetProvider().check({}, budget_inputs(40.0, replace(kept, estimate={}), fresh)).failures == []
    assert len(StackBudgetProvider().check({}, budget_inputs(40.0, swept, fresh)).failures) == 1
    assert len(all_jobs(emulator)) == 1


def test_a_replace_is_held_to_the_budgets_by_the_submission_itself_in_the_budgets_words(start):
    """`pulumi up --replace`: StackBudget sees Vertex's job with the spec and counts nothing new,
    the delete releases that job, and the create would submit a new one that no budget saw."""
    emulator = start(job_seconds=600, quota=5)
    provider = TuningJobProvider()
    budgeted = {**inputs(), "estimate": {"cost": 8.0, "how": "how triage"}}
    first = provider.create(budgeted)
    provider.delete(first.id, first.outs)
    kept = Submission("triage", "jobs/triage.yaml", "us-central1", budgeted["spec_hash"], budgeted["estimate"], 5.0)
    assert new_submissions(budget_inputs(0.0), [kept]) == []  # what StackBudget cannot see

    over_its_own = provider.create({**budgeted, "max_estimated_cost": 5.0}).outs
    over_the_stacks = provider.create({**budgeted, "stack_max_estimated_cost": 6.0}).outs
    unknown = provider.create({**budgeted, "estimate": {"cost": -1, "how": "no price"},
                               "stack_max_estimated_cost": 100.0}).outs

    assert len(all_jobs(emulator)) == 1  # nothing sent
    assert [o["state"] for o in (over_its_own, over_the_stacks, unknown)] == ["NOT_SUBMITTED"] * 3
    assert over_its_own["failure"] == over_its_own["status_message"] == refusals([kept], 0, "Pulumi.dev.yaml")[0][1]
    assert over_its_own["failure"] == ("jobs/triage.yaml: us-central1: maxEstimatedCost: estimated at $8.00, over "
                                       f"the job's budget of $5.00 (how triage); {NOTHING}")
    assert over_the_stacks["failure"].startswith("Pulumi.dev.yaml: gemini-tuning:maxEstimatedCost: the 1 new "
                                                 "submission(s) of this run are estimated at $8.00 together, over "
                                                 "the stack's budget of $6.00")
    assert unknown["failure"] == ("Pulumi.dev.yaml: gemini-tuning:maxEstimatedCost: jobs/triage.yaml in us-central1 "
                                  f"has no estimate to hold against the stack's budget of $100.00: no price; {NOTHING}")
    within = provider.create({**budgeted, "max_estimated_cost": 10.0, "stack_max_estimated_cost": 10.0}).outs
    assert within["vertex_job_name"] not in ("", first.outs["vertex_job_name"])  # the replace itself goes on
    assert len(all_jobs(emulator)) == 2


def test_a_stack_without_budgets_looks_nothing_up(start, tmp_path):
    start(rpc_log=tmp_path / "rpc.jsonl")

    result = StackBudgetProvider().check({}, budget_inputs(0.0, submission("a", -1.0)))

    assert result.failures == []
    assert not (tmp_path / "rpc.jsonl").exists() or (tmp_path / "rpc.jsonl").read_text() == ""
    assert json.loads(json.dumps(result.inputs))["submissions"][0]["job"] == "a"


def test_the_program_computes_the_spec_hash_the_tuning_jobs_check_gives():
    from providers.jobfile.catalogue import tool_catalogue
    from providers.resources.essence import submission_spec_hash
    from tests.resources.test_tuning_job_provider import SPEC

    # A key per region (gemini-3.5-flash takes none): each region's essence, and hash, differs.
    keyed = {"baseModel": "gemini-3.5-flash-lite", "hyperParameters": {},
             "encryptionSpec": {"kmsKeyName": "projects/p/locations/{region}/keyRings/r/cryptoKeys/k"}}
    hashes = {region: inputs(region, **keyed)["spec_hash"] for region in ("us-central1", "europe-west4")}

    assert len(set(hashes.values())) == 2
    for region, expected in hashes.items():
        assert submission_spec_hash({**SPEC, **keyed}, "jobs/triage.yaml", region, tool_catalogue()) == expected


def test_a_continuing_job_is_new_only_once_its_source_has_a_tuned_model_it_does_not_continue_yet(start):
    from providers.jobfile.catalogue import tool_catalogue
    from providers.jobfile.loading import parse_job
    from tests.resources.test_continuing_jobs import MORE, continuing
    from tests.support.polling import wait_for

    emulator = start(job_seconds=1, quota=5)
    source = TuningJobProvider().create(inputs()).outs
    triage = Submission("triage", "jobs/triage.yaml", "us-central1", source["spec_hash"], {"cost": 1.0, "how": "t"})
    more = Submission.of(parse_job(MORE, "jobs/more.yaml"), "jobs/more.yaml", MORE, "us-central1",
                         {"cost": 1.0, "how": "m"}, tool_catalogue())
    assert (more.source, more.spec_hash) == ("triage", "")

    # The source trains: nothing to continue yet, and the source itself exists: nothing is new.
    assert new_submissions(budget_inputs(1.5), [triage, more]) == []
    [done] = wait_for(lambda: all_jobs(emulator), lambda jobs: jobs[0].tuned_model.model, timeout=30)
    # The source succeeded: the continuing job would now be submitted, and counts.
    assert [s.job for s in new_submissions(budget_inputs(1.5), [triage, more])] == ["more"]
    assert len(StackBudgetProvider().check({}, budget_inputs(0.5, triage, more)).failures) == 1
    # ...and once it was submitted, continuing that model, it is not new any more.
    TuningJobProvider().create(continuing(done.tuned_model.model))
    assert new_submissions(budget_inputs(1.5), [triage, more]) == []


def all_jobs(emulator):
    return list(emulator.tuning_client().list_tuning_jobs(parent="projects/p/locations/us-central1"))
