"""`status` rows: beside each tuned model, the date it retires with its base model."""

from __future__ import annotations

import re
from datetime import date

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
    assert row[:5] == ("old", "us-central1", "SUCCEEDED", "-", "models/42@1")
