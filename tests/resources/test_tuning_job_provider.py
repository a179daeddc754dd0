"""The tuning-job provider's verbs against the emulator, without the Pulumi engine.

These pin down the paid-job guarantees at the provider boundary: adopt instead of
resubmitting, retry only what is safe, wait on the concurrent-job quota and fail on any
other, cancel on delete, observe on read, report every refusal in one line.
"""

from __future__ import annotations

import json

import pytest

from providers.resources import deadlines
from providers.resources.reporting import ReportedError
from providers.resources.tuning_job import NOT_SUBMITTED, WAITING_FOR_QUOTA, TuningJobProvider
from tests.support.polling import wait_for

SPEC = {"name": "triage", "baseModel": "gemini-3.5-flash", "trainingDataset": "gs://b/t.jsonl",
        "hyperParameters": {"adapterSize": 8}}
STACK_ID = "0123456789ab"


def inputs(region: str = "us-central1", **changes) -> dict:
    news = {
        "job_file": "jobs/triage.yaml", "spec_json": json.dumps({**SPEC, **changes}),
        "job_name": SPEC["name"], "project": "p", "region": region,
        "pulumi_project": "gemini-tuning", "stack": "dev", "stack_id": STACK_ID,
        "allow_project_change": "",
    }
    result = TuningJobProvider().check({}, news)
    assert result.failures == []
    return result.inputs


def all_jobs(emulator, region="us-central1"):
    return list(emulator.tuning_client().list_tuning_jobs(parent=f"projects/p/locations/{region}"))


def test_create_submits_with_labels_carrying_the_stack_and_the_stable_key(start):
    emulator = start(job_seconds=600)
    props = inputs(labels={"team": "support"})

    result = TuningJobProvider().create(props)

    [job] = all_jobs(emulator)
    assert result.id == f"dev/triage/us-central1/{props['spec_hash']}"
    assert result.outs["vertex_job_name"] == job.name
    assert dict(job.labels) == {"team": "support", "gt-managed-by": "gemini-tuning", "gt-stack": "dev",
                                "gt-stack-id": STACK_ID, "gt-job": "triage", "gt-spec": props["spec_hash"]}
    assert job.supervised_tuning_spec.hyper_parameters.adapter_size.name == "ADAPTER_SIZE_EIGHT"
    # Vertex names the job with the project number, as the real service does.
    assert job.name.split("/")[1].isdecimal()


def test_encryption_key_and_service_account_reach_vertex(start):
    emulator = start(job_seconds=600)
    key = "projects/p/locations/{region}/keyRings/r/cryptoKeys/k"

    # gemini-3.5-flash takes no customer-managed key; Google publishes nothing on -lite's.
    TuningJobProvider().create(inputs(baseModel="gemini-3.5-flash-lite", hyperParameters={},
                                      encryptionSpec={"kmsKeyName": key},
                                      serviceAccount="tuner@p.iam.gserviceaccount.com"))

    [job] = all_jobs(emulator)
    assert job.encryption_spec.kms_key_name == "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"
    assert job.service_account == "tuner@p.iam.gserviceaccount.com"


def test_create_adopts_a_job_submitted_by_an_earlier_run(start):
    emulator = start(job_seconds=600)
    first = TuningJobProvider().create(inputs())

    second = TuningJobProvider().create(inputs())

    assert len(all_jobs(emulator)) == 1
    assert second.outs["vertex_job_name"] == first.outs["vertex_job_name"]


def test_a_job_of_another_stack_with_the_same_names_is_not_adopted(start):
    emulator = start(job_seconds=600, quota=2)
    other = TuningJobProvider().create({**inputs(), "stack_id": "another-stack-id"})

    mine = TuningJobProvider().create(inputs())

    assert len(all_jobs(emulator)) == 2
    assert mine.outs["vertex_job_name"] != other.outs["vertex_job_name"]


def test_create_whose_answer_was_lost_adopts_the_job_it_submitted(start):
    emulator = start(job_seconds=600, faults=["deadline_exceeded:CreateTuningJob:1:after"])

    result = TuningJobProvider().create(inputs())

    [job] = all_jobs(emulator)
    assert result.outs["vertex_job_name"] == job.name


@pytest.mark.parametrize("fault", [[], ["deadline_exceeded:CreateTuningJob:1:after"]],
                         ids=["earlier-run", "lost-answer"])
def test_with_label_filters_finding_nothing_the_job_is_still_adopted_not_submitted_twice(start, fault):
    # A Vertex that reads `labels.gt-stack-id` in a filter differently would answer nothing.
    emulator = start(job_seconds=600, quota=2, faults=fault, label_filters_find_nothing=True)
    first = TuningJobProvider().create(inputs())

    second = TuningJobProvider().create(inputs())

    [job] = all_jobs(emulator)
    assert first.outs["vertex_job_name"] == second.outs["vertex_job_name"] == job.name


@pytest.mark.parametrize("fault", ["unavailable:CreateTuningJob:2", "resource_exhausted:CreateTuningJob:2",
                                   "internal:ListTuningJobs:2", "aborted:CreateTuningJob:1"])
def test_transient_answers_and_rate_limits_are_retried_and_submit_once(start, fault):
    emulator = start(job_seconds=600, faults=[fault])

    result = TuningJobProvider().create(inputs())

    [job] = all_jobs(emulator)
    assert result.outs["vertex_job_name"] == job.name and result.outs["failure"] == ""


def test_no_answer_within_the_budget_is_not_submitted_and_says_so_in_one_line(start, monkeypatch):
    monkeypatch.setenv("GEMINI_TUNING_CALL_BUDGET_SECONDS", "3")
    emulator = start(faults=["unavailable:CreateTuningJob:*"])

    result = TuningJobProvider().create(inputs())

    assert result.outs["state"] == NOT_SUBMITTED and result.outs["vertex_job_name"] == ""
    assert result.outs["failure"] == result.outs["status_message"]
    assert result.outs["status_message"].startswith(
        "jobs/triage.yaml: us-central1: submitting the tuning job: UNAVAILABLE: Injected fault")
    assert "\n" not in result.outs["status_message"]
    assert all_jobs(emulator) == []
    # The next `pulumi up` tries again.
    assert TuningJobProvider().diff(result.id, result.outs, inputs()).changes is True


def test_a_full_concurrent_job_quota_waits_and_a_later_update_submits(start):
    emulator = start(job_seconds=600, quota=1, cancel_seconds=0)
    running = TuningJobProvider().create(inputs(region="europe-west4"))

    waiting = TuningJobProvider().create(inputs())
    assert waiting.outs["state"] == WAITING_FOR_QUOTA and waiting.outs["vertex_job_name"] == ""
    assert "concurrent tuning-job quota" in waiting.outs["status_message"]
    assert waiting.outs["failure"] == ""
    assert all_jobs(emulator) == []

    TuningJobProvider().delete("id", running.outs)  # frees the slot
    updated = TuningJobProvider().update(waiting.id, waiting.outs, waiting.outs)
    [job] = all_jobs(emulator)
    assert updated.outs["vertex_job_name"] == job.name
    assert updated.outs["state"] in ("PENDING", "RUNNING")


def test_a_replacement_submitted_while_the_old_job_is_cancelling_waits_for_its_slot(start):
    emulator = start(job_seconds=600, quota=1, cancel_seconds=600)
    old = TuningJobProvider().create(inputs())

    TuningJobProvider().delete(old.id, old.outs)
    new = TuningJobProvider().create(inputs(hyperParameters={"epochCount": 5}))

    assert [j.state.name for j in all_jobs(emulator)] == ["JOB_STATE_CANCELLING"]
    assert new.outs["state"] == WAITING_FOR_QUOTA


def test_a_project_without_tuning_quota_fails_with_vertexs_message(start):
    emulator = start(job_seconds=600, project_quotas={"p": 0})

    result = TuningJobProvider().create(inputs())

    assert result.outs["state"] == NOT_SUBMITTED
    line = result.outs["status_message"]
    assert line.startswith("jobs/triage.yaml: us-central1: submitting the tuning job: RESOURCE_EXHAUSTED: Quota exceeded")
    assert line.endswith("ask for more Vertex AI tuning quota for the project (Quotas page of the console)")
    assert all_jobs(emulator) == []


def test_vertex_rejection_is_not_submitted_naming_the_job_file_and_region(start):
    start()
    props = inputs()
    props["adapter_size"] = 32  # past check: only Vertex can still say no

    result = TuningJobProvider().create(props)

    assert result.outs["state"] == NOT_SUBMITTED
    assert result.outs["status_message"] == (
        "jobs/triage.yaml: us-central1: submitting the tuning job: INVALID_ARGUMENT: The adapter size is "
        "not supported for this base model.; fix the job file (or the stack's settings) and run `pulumi up` again")


@pytest.mark.parametrize(("recorded", "resubmitted"), [
    ({"state": "QUEUED", "vertex_job_name": "projects/1/locations/us-central1/tuningJobs/7"}, False),
    ({"state": "QUEUED", "vertex_job_name": ""}, True),  # the first release's own waiting state
    ({"state": WAITING_FOR_QUOTA, "vertex_job_name": ""}, True),
    ({"state": "RUNNING", "vertex_job_name": "projects/1/locations/us-central1/tuningJobs/7"}, False),
])
def test_a_job_vertex_itself_queues_is_never_submitted_again(recorded, resubmitted):
    props = inputs()
    assert TuningJobProvider().diff("id", {**props, **recorded}, props).changes is resubmitted


def test_read_observes_and_delete_cancels_a_running_job_asynchronously(start):
    emulator = start(job_seconds=600, cancel_seconds=1)
    created = TuningJobProvider().create(inputs())

    TuningJobProvider().delete(created.id, created.outs)
    cancelling = TuningJobProvider().read(created.id, created.outs)
    cancelled = wait_for(lambda: TuningJobProvider().read(created.id, created.outs),
                         lambda r: r.outs["state"] == "CANCELLED", timeout=30)

    assert cancelling.outs["state"] in ("CANCELLING", "CANCELLED")
    assert cancelled.outs["state"] == "CANCELLED"
    assert [j.state.name for j in all_jobs(emulator)] == ["JOB_STATE_CANCELLED"]


def test_delete_of_a_finished_or_waiting_job_changes_nothing(start):
    emulator = start(job_seconds=600, cancel_seconds=0)
    created = TuningJobProvider().create(inputs())
    emulator.tuning_client().cancel_tuning_job(name=created.outs["vertex_job_name"])

    TuningJobProvider().delete(created.id, created.outs)
    TuningJobProvider().delete("waiting", {**inputs(region="europe-west4"), "state": WAITING_FOR_QUOTA,
                                           "vertex_job_name": ""})

    assert [j.state.name for j in all_jobs(emulator)] == ["JOB_STATE_CANCELLED"]
    assert all_jobs(emulator, "europe-west4") == []


def test_a_refused_cancel_fails_the_delete_in_one_line(start):
    start(job_seconds=600, faults=["permission_denied:CancelTuningJob:*"])
    created = TuningJobProvider().create(inputs())

    with pytest.raises(ReportedError) as refused:
        TuningJobProvider().delete(created.id, created.outs)

    assert str(refused.value).startswith(
        "jobs/triage.yaml: us-central1: cancelling the tuning job: PERMISSION_DENIED: Injected fault")
    assert "roles/aiplatform.user" in str(refused.value)


def test_read_finds_a_job_recorded_by_project_id_in_a_listing_named_by_project_number(start):
    emulator = start(job_seconds=600)
    created = TuningJobProvider().create(inputs())
    number_form = created.outs["vertex_job_name"]
    id_form = "projects/p/" + number_form.split("/", 2)[2]

    read = TuningJobProvider().read(created.id, {**created.outs, "vertex_job_name": id_form})

    assert read.id == created.id and read.outs["state"] in ("PENDING", "RUNNING")
    assert read.outs["vertex_job_name"] == number_form


def test_read_of_a_job_vertex_does_not_know_drops_the_resource(start):
    start()
    props = {**inputs(), "state": "RUNNING",
             "vertex_job_name": "projects/p/locations/us-central1/tuningJobs/999"}

    assert TuningJobProvider().read("id", props).id is None


def test_delete_cancels_a_twin_that_a_lost_answer_left_with_the_same_labels(start):
    emulator = start(job_seconds=600, quota=2, cancel_seconds=0)
    created = TuningJobProvider().create(inputs())
    job = emulator.tuning_client().get_tuning_job(name=created.outs["vertex_job_name"])
    job.name = ""
    emulator.tuning_client().create_tuning_job(parent="projects/p/locations/us-central1", tuning_job=job)

    TuningJobProvider().delete(created.id, created.outs)

    assert [j.state.name for j in all_jobs(emulator)] == ["JOB_STATE_CANCELLED", "JOB_STATE_CANCELLED"]


def test_a_job_past_its_deadline_is_seen_by_diff_cancelled_by_update_reported_once_and_kept_ended(start):
    emulator = start(job_seconds=600, cancel_seconds=0)
    news = {**inputs(), "max_duration_seconds": 1}
    provider = TuningJobProvider()
    created = provider.create(news)
    [job] = all_jobs(emulator)
    wait_for(lambda: provider.read(created.id, created.outs).outs,
             lambda outs: deadlines.overdue(outs, 1, deadlines.now()) is not None, timeout=10)
    refreshed = provider.read(created.id, created.outs).outs

    seen = provider.diff(created.id, refreshed, news)
    updated = provider.update(created.id, refreshed, news).outs
    later = provider.read(created.id, updated).outs

    assert seen.changes and not seen.replaces
    assert not provider.diff(created.id, refreshed, {**news, "max_duration_seconds": 3600}).changes
    assert updated["failure"].startswith("jobs/triage.yaml: us-central1: cancelled at its deadline: it ran ")
    assert updated["failure"].endswith("over its maxDuration of 1s; it is not submitted again until its spec changes "
                                       "or `pulumi up --replace` asks for it")
    assert updated["deadline_exceeded"]["vertex_job"] == job.name
    assert updated["deadline_exceeded"]["limit_seconds"] == 1
    assert emulator.tuning_client().get_tuning_job(name=job.name).state.name in (
        "JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED")
    # Later runs: the record stays, the failure does not; nothing to do, nothing submitted.
    assert later["failure"] == "" and later["deadline_exceeded"] == updated["deadline_exceeded"]
    assert later["status_message"].startswith("cancelled at its deadline: it ran ")
    assert not provider.diff(created.id, later, news).changes
    assert [j.name for j in all_jobs(emulator)] == [job.name]


def test_billing_and_the_time_in_state_are_read_from_vertex(start):
    emulator = start(job_seconds=2)
    provider = TuningJobProvider()
    created = provider.create(inputs(hyperParameters={"epochCount": 3}))

    succeeded = wait_for(lambda: provider.read(created.id, created.outs).outs,
                         lambda outs: outs["state"] == "SUCCEEDED", timeout=30)

    [job] = all_jobs(emulator)
    stats = job.tuning_data_stats.supervised_tuning_data_stats
    assert succeeded["billable_tokens"] == stats.total_billable_token_count > 0
    assert succeeded["epochs"] == 3
    assert succeeded["state_since"] == succeeded["end_time"] != ""
    assert created.outs["tracked_since"]
    # Records of ours are always there, also empty: a preview reads a missing output as unknown.
    assert created.outs["deadline_exceeded"] == succeeded["deadline_exceeded"] == {}
    earlier_release = {key: value for key, value in created.outs.items()
                       if key not in ("tracked_since", "deadline_exceeded")}
    assert provider.read(created.id, earlier_release).outs["tracked_since"] == ""


@pytest.mark.parametrize(("state", "created", "retired", "again"), [
    ("CANCELLED", "2026-12-01T10:00:00+00:00", "2026-12-02T10:00:00+00:00", True),
    ("CANCELLING", "2026-12-01T10:00:00+00:00", "2026-12-02T10:00:00+00:00", True),
    # Cancelled after it trained again (someone's cancel, a deadline): not the sweep's doing.
    ("CANCELLED", "2026-12-03T10:00:00+00:00", "2026-12-02T10:00:00+00:00", False),
    # It succeeded despite the cancel: a tuned model worth keeping.
    ("SUCCEEDED", "2026-12-01T10:00:00+00:00", "2026-12-02T10:00:00+00:00", False),
    ("CANCELLED", "2026-12-01T10:00:00+00:00", "", False),  # never retired
    ("CANCELLED", "2026-12-01T10:00:00+00:00", "04da6b54-80e4-46f7-96ec-b56ff0331ba9", False),  # unknown in a preview
])
def test_a_job_the_sweep_cancelled_is_submitted_again_once_its_file_declares_it(state, created, retired, again):
    from providers.resources.tuning_job import stopped_by_the_sweep

    olds = {"vertex_job_name": "projects/p/locations/us-central1/tuningJobs/1", "state": state, "create_time": created}
    assert stopped_by_the_sweep(olds, {"retired_at": retired}) is again
    assert TuningJobProvider().diff("id", olds, {"retired_at": retired}).changes is again
