"""`status` rows: beside each tuned model, the date it retires with its base model; how long each
job has been in its state (flagged past its deadline); what it billed beside its estimate."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from providers.cli.status import COLUMNS, as_text, table
from providers.jobfile.catalogue import tool_catalogue

TUNED = "projects/1/locations/us-central1/models/42@1"


def test_each_tuned_model_shows_its_base_models_retirement():
    jobs = {
        "legacy": {"us-central1": {"state": "SUCCEEDED", "baseModel": "gemini-2.5-flash", "tunedModel": TUNED,
                                   "servingEndpoint": "projects/1/locations/us-central1/endpoints/7",
                                   "servingStatus": "SERVING", "trafficSplit": {TUNED: 100}}},
        "current": {"europe-west4": {"state": "SUCCEEDED", "baseModel": "gemini-3.5-flash", "tunedModel": TUNED}},
        "training": {"us-central1": {"state": "RUNNING", "baseModel": "gemini-3.5-flash", "tunedModel": ""}},
        "lite": {"us-central1": {"state": "SUCCEEDED", "baseModel": "gemini-1.0-pro-002", "tunedModel": TUNED}},
    }

    rows = {row[0]: dict(zip(COLUMNS, row)) for row in table(jobs, tool_catalogue(), date(2026, 12, 4))}

    assert rows["legacy"]["base model"] == "gemini-2.5-flash (retired 2026-10-20)"
    assert rows["current"]["base model"] == "gemini-3.5-flash (retires 2027-05-19)"
    assert rows["training"]["base model"] == "gemini-3.5-flash"  # no tuned model yet
    assert rows["lite"]["base model"] == "gemini-1.0-pro-002 (retired, date not published)"
    text = as_text([tuple(row.values()) for row in rows.values()])
    assert re.search(r"^legacy .* gemini-2\.5-flash \(retired 2026-10-20\) +models/42@1 +SERVING", text, re.MULTILINE), text


def test_a_stack_recorded_before_base_models_were_exported_still_shows():
    [row] = table({"old": {"us-central1": {"state": "SUCCEEDED", "tunedModel": TUNED}}}, tool_catalogue(),
                  date(2026, 12, 4))
    # Recorded by an earlier release: no times, no billing; shown as unknown, not as zero.
    assert dict(zip(COLUMNS, row)) == {"job": "old", "region": "us-central1", "state": "SUCCEEDED", "for": "-",
                                       "base model": "-", "tuned model": "models/42@1", "serving": "-",
                                       "billed": "-", "message": ""}


AT = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _row(out: dict) -> dict:
    [row] = table({"job": {"us-central1": {"baseModel": "gemini-3.5-flash", **out}}}, tool_catalogue(),
                  date(2026, 12, 4), AT)
    return dict(zip(COLUMNS, row))


def test_each_job_shows_how_long_it_has_been_in_its_state_and_is_flagged_stuck_past_its_deadline():
    running = {"state": "RUNNING", "createTime": "2026-12-04T04:00:00+00:00", "stateSince": "2026-12-04T05:00:00+00:00"}

    assert _row(running)["for"] == "7h"
    assert _row({**running, "maxDuration": "8h"})["for"] == "7h"
    assert _row({**running, "maxDuration": "6h"})["for"] == "7h (stuck: over its 6h deadline)"
    # Waiting for quota, or being cancelled, for longer than the deadline allows: stuck too.
    waiting = {"state": "WAITING_FOR_QUOTA", "stateSince": "2026-12-04T11:30:00+00:00", "maxDuration": "20m"}
    assert _row(waiting)["for"] == "30m (stuck: over its 20m deadline)"
    # A job that ended is not stuck, however long ago.
    assert _row({"state": "SUCCEEDED", "stateSince": "2026-12-01T12:00:00+00:00", "maxDuration": "1h"})["for"] == "72h"
    text = as_text([tuple(_row({**running, "maxDuration": "6h"}).values())])
    assert text.endswith("Stuck, in the same state for longer than the deadline allows: job in us-central1.")


def test_what_a_job_billed_stands_beside_its_estimate():
    billed = {"state": "SUCCEEDED", "billableTokens": 500_000, "epochs": 3, "trainingTokens": 1_500_000, "cost": 12.0,
              "estimatedCost": 10.4}

    assert _row(billed)["billed"] == "1,500,000 tokens, $12.00 (est. $10.40)"
    assert _row({**billed, "cost": None, "estimatedCost": None})["billed"] == "1,500,000 tokens, no price"
    assert _row({"state": "SUCCEEDED", "billableTokens": 500_000, "epochs": 0, "trainingTokens": None,
                 "estimatedCost": None})["billed"] == "500,000 tokens per epoch"
    assert _row({"state": "RUNNING", "billableTokens": 0, "estimatedCost": 3.0})["billed"] == "- (est. $3.00)"
    assert _row({**billed, "state": "CANCELLED"})["billed"] == "up to 1,500,000 tokens, $12.00 (est. $10.40)"
