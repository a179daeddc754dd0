"""Notifications: each change a run sees becomes one message per webhook, told once, kept while a
webhook fails; the ledger in the resource's outputs, never a webhook's URL."""

from __future__ import annotations

import dataclasses
import json

import pytest

from providers.gcp.budget import Budget
from providers.resources.events import Observation, events
from providers.resources.notifications import Ledger, StackNotificationsProvider, deliver, record
from providers.webhooks.post import webhook_id
from tests.support.raw_server import RawServer
from tests.support.webhook_server import WebhookServer

JOB = "projects/1/locations/us-central1/tuningJobs/77"
MODEL_1 = "projects/1/locations/us-central1/models/5@1"
MODEL_2 = "projects/1/locations/us-central1/models/5@2"


def seen(**fields) -> Observation:
    return Observation(**{"job": "triage", "region": "us-central1", "job_file": "jobs/triage.yaml", "vertex_job": JOB,
                          "tracked_since": "2026-12-04T10:00:00+00:00", **fields})


def test_a_success_tells_the_tuned_model_what_it_billed_and_the_estimate_beside_it():
    [event] = events(seen(state="SUCCEEDED", tuned_model=MODEL_1, billable_tokens=400_000, epochs=3, cost=4.8,
                          estimated_cost=5.1), "prod", [])

    assert event.key == "triage/us-central1/77/succeeded"
    assert event.text == (
        f"gemini-tuning (stack prod): triage in us-central1 SUCCEEDED. Tuned model: {MODEL_1}. Billed: 1,200,000 "
        "training tokens (400,000 x 3 epochs), $4.80 by the price table; estimated $5.10 before submission. "
        f"Job file: jobs/triage.yaml; Vertex job: {JOB}.")


def test_a_failure_tells_vertexs_error_and_a_cancel_at_the_deadline_its_time_and_limit():
    [failed] = events(seen(state="FAILED", error="INVALID_ARGUMENT: Dataset validation failed"), "prod", [])
    [deadline] = events(seen(state="CANCELLING", deadline={"vertex_job": JOB, "ran_seconds": 7 * 3600 + 60,
                                                           "limit_seconds": 6 * 3600}), "prod", [])

    assert failed.text.startswith("gemini-tuning (stack prod): triage in us-central1 FAILED: INVALID_ARGUMENT: "
                                  "Dataset validation failed.")
    assert deadline.key == "triage/us-central1/77/deadline"
    assert deadline.text.startswith("gemini-tuning (stack prod): triage in us-central1 was cancelled at its deadline: "
                                    "it ran 7h1m since it was submitted, over its maxDuration of 6h.")
    assert events(seen(state="RUNNING"), "prod", []) == []


def test_serving_changes_are_a_promotion_a_rollback_or_a_model_held_back():
    serving = {"serving_status": "SERVING", "state": "SUCCEEDED", "tuned_model": MODEL_2}
    [first] = [e for e in events(seen(**serving, serving_model=MODEL_1), "prod", []) if e.kind != "succeeded"]
    [promoted] = [e for e in events(seen(**serving, serving_model=MODEL_2), "prod", [MODEL_1]) if e.kind != "succeeded"]
    [rolled] = [e for e in events(seen(**serving, serving_model=MODEL_1), "prod", [MODEL_1, MODEL_2])
                if e.kind != "succeeded"]
    [held] = [e for e in events(seen(state="SUCCEEDED", tuned_model=MODEL_2, serving_status="HELD",
                                     serving_model=MODEL_1, serving_message="rouge_1 0.41 is below 0.5"), "prod", [])
              if e.kind != "succeeded"]

    assert (first.kind, promoted.kind, rolled.kind, held.kind) == ("promoted", "promoted", "rolled back", "held")
    endpoint = "gemini-tuning (stack prod): triage in us-central1: the serving endpoint"
    assert promoted.text.startswith(f"{endpoint} promoted {MODEL_2} in place of {MODEL_1}: it now takes all traffic.")
    assert rolled.text.startswith(f"{endpoint} rolled back to {MODEL_1}, which it served before {MODEL_2}")
    assert held.text.startswith(f"{endpoint} HELD {MODEL_2} back: rouge_1 0.41 is below 0.5; it keeps serving {MODEL_1}.")
    assert events(seen(**serving, serving_model=MODEL_2), "prod", [MODEL_1, MODEL_2]) == [
        e for e in events(seen(**serving, serving_model=MODEL_2), "prod", []) if e.kind == "succeeded"]


def test_each_change_is_told_once_across_runs_and_a_failing_webhook_keeps_it_for_the_next_run():
    with WebhookServer() as good, WebhookServer() as bad:
        bad.answer = "fail"
        webhooks = [good.url, bad.url]
        ids = [webhook_id(url) for url in webhooks]
        ledger = Ledger()
        for observed in ([seen(state="RUNNING")], [seen(state="SUCCEEDED", tuned_model=MODEL_1)],
                         [seen(state="SUCCEEDED", tuned_model=MODEL_1)]):
            delivery = deliver(record(ledger, observed, "prod", ids), webhooks, Budget(30))
            ledger = delivery.ledger
        bad.answer = "ok"
        again = deliver(record(ledger, [seen(state="SUCCEEDED", tuned_model=MODEL_1)], "prod", ids), webhooks,
                        Budget(30))

    assert len(good.texts()) == 1 and good.texts()[0].startswith("gemini-tuning (stack prod): triage in us-central1 "
                                                                 "SUCCEEDED.")
    assert len(bad.refused) == 2  # tried by both runs that saw it, never delivered
    assert delivery.undelivered == [
        "notify: webhook 2 of gemini-tuning:notify (http://127.0.0.1/…): HTTP 500 Internal Server Error; 1 "
        "message(s) kept for the next run"]
    assert bad.texts() == good.texts() and again.undelivered == [] and again.delivered == 1
    assert again.ledger.pending == {ids[0]: [], ids[1]: []}


def test_a_webhook_answering_broken_http_fails_neither_the_update_nor_makes_the_others_hear_twice():
    def news_of(webhooks: list[str], state: str) -> dict:
        return {"stack": "prod", "webhooks": webhooks, "observations": [
            dataclasses.asdict(seen(state=state, error="INTERNAL: x"))]}

    provider = StackNotificationsProvider()
    with WebhookServer() as good, RawServer(b"garbage\r\n\r\n") as broken:
        webhooks = [good.url, broken.url]
        outputs = provider.create(news_of(webhooks, "RUNNING")).outs
        # Two runs, each from the outputs the last update saved (a failed update saves none).
        for _ in range(2):
            outputs = provider.update("prod/notifications", outputs, news_of(webhooks, "FAILED")).outs

    assert len(good.texts()) == 1 and " FAILED" in good.texts()[0]
    assert broken.requests == 2  # tried by each run, kept for the next
    assert outputs["undelivered"] and outputs["undelivered"][0].startswith(
        "notify: webhook 2 of gemini-tuning:notify (http://127.0.0.1/…): ")


def test_the_first_run_records_what_an_earlier_release_saw_without_telling_it():
    earlier = seen(state="SUCCEEDED", tuned_model=MODEL_1, tracked_since="", serving_status="SERVING",
                   serving_model=MODEL_1)
    ours = seen(job="new", state="FAILED", error="INVALID_ARGUMENT: x")

    ledger = record(Ledger(), [earlier, ours], "prod", ["w"], told=lambda o: bool(o.tracked_since))

    assert [message["key"] for message in ledger.pending["w"]] == ["new/us-central1/77/failed"]
    assert set(ledger.seen["triage/us-central1"]) == {"triage/us-central1/77/succeeded",
                                                      f"triage/us-central1/serving/-->{MODEL_1}"}
    # A webhook added later gets the changes from then on, not what was told before it.
    later = record(ledger, [earlier, ours], "prod", ["w", "v"])
    assert later.pending["v"] == []


def test_a_stack_without_webhooks_keeps_no_ledger_and_the_first_run_with_some_tells_only_what_comes_after():
    news = {"stack": "prod", "webhooks": [], "observations": [
        {"job": "triage", "region": "us-central1", "vertex_job": JOB, "state": "SUCCEEDED", "tracked_since": "t"}]}
    provider = StackNotificationsProvider()
    created = provider.create(news)

    assert not provider.diff(created.id, created.outs, news).changes
    with WebhookServer() as webhook:
        news["webhooks"] = [webhook.url]
        assert provider.diff(created.id, created.outs, news).changes
        first = provider.update(created.id, created.outs, news).outs
        news["observations"].append({"job": "other", "region": "us-central1", "vertex_job": JOB, "state": "FAILED",
                                     "error": "INTERNAL: x", "tracked_since": "t"})
        second = provider.update(created.id, first, news).outs

    assert created.outs["ledger"] == {"seen": {}, "served": {}, "pending": {}}
    assert first["delivered"] == 0
    assert "triage/us-central1/77/succeeded" in first["ledger"]["seen"]["triage/us-central1"]
    assert second["delivered"] == 1 and webhook.texts()[0].startswith(
        "gemini-tuning (stack prod): other in us-central1 FAILED: INTERNAL: x.")


def test_the_provider_keeps_the_ledger_in_its_outputs_and_never_a_webhooks_url():
    with WebhookServer() as webhook:
        news = {"stack": "prod", "webhooks": [webhook.url],
                "observations": [{"job": "triage", "region": "us-central1", "job_file": "jobs/triage.yaml",
                                  "vertex_job": JOB, "state": "RUNNING", "tracked_since": "t",
                                  "billable_tokens": 0.0, "epochs": 0.0, "cost": -1.0, "estimated_cost": -1.0}]}
        provider = StackNotificationsProvider()
        created = provider.create(news)
        assert not provider.diff(created.id, created.outs, news).changes
        news["observations"][0].update(state="SUCCEEDED", tuned_model=MODEL_1, billable_tokens=10.0, epochs=2.0)
        assert provider.diff(created.id, created.outs, news).changes
        updated = provider.update(created.id, created.outs, news)
        assert not provider.diff(created.id, updated.outs, news).changes

    assert webhook.texts()[0].startswith("gemini-tuning (stack prod): triage in us-central1 SUCCEEDED.")
    assert "Billed: 20 training tokens (10 x 2 epochs), no price for the model." in webhook.texts()[0]
    assert updated.outs["delivered"] == 1 and updated.outs["undelivered"] == []
    assert "secret-path-of-the-webhook" not in json.dumps([created.outs, updated.outs])


def test_a_preview_whose_jobs_change_may_have_something_to_tell_and_never_fails():
    from pulumi.output import UNKNOWN

    news = {"stack": "prod", "webhooks": ["https://hooks.example.com/x"], "observations": [
        {"job": "triage", "region": "us-central1", "vertex_job": JOB, "state": "SUCCEEDED", "tracked_since": "t"}]}
    olds = {**news, "webhook_ids": [webhook_id("https://hooks.example.com/x")],
            "ledger": record(Ledger(), [Observation.from_input(news["observations"][0])], "prod",
                             [webhook_id("https://hooks.example.com/x")]).as_output()}
    olds["ledger"]["pending"] = {webhook_id("https://hooks.example.com/x"): []}

    # Everything known and told: nothing to do; a job's resources changing (its observation unknown): maybe.
    assert not StackNotificationsProvider().diff("prod/notifications", olds, news).changes
    assert StackNotificationsProvider().diff("prod/notifications", olds, {**news, "observations": [
        *news["observations"], UNKNOWN]}).changes
