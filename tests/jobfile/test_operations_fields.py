"""`maxDuration` and `maxEstimatedCost` in job files: what they accept, and their mistakes named."""

from __future__ import annotations

import pytest
import yaml

from providers.jobfile import durations
from providers.jobfile.loading import load_jobs, parse_job
from providers.jobfile.problems import JobFileError

VALID = {"name": "triage", "baseModel": "gemini-3.5-flash", "trainingDataset": "gs://acme/train.jsonl"}


@pytest.mark.parametrize(("written", "seconds", "shown"), [
    ("6h", 21600, "6h"), ("90m", 5400, "1h30m"), ("1h30m", 5400, "1h30m"), ("45s", 45, "45s"),
    ("2h0m5s", 7205, "2h5s"), ("72h", 259200, "72h"),
])
def test_durations_are_whole_hours_minutes_and_seconds(written, seconds, shown):
    assert durations.seconds(written) == seconds
    assert durations.shown(seconds) == shown
    assert parse_job({**VALID, "maxDuration": written}, "jobs/x.yaml").max_duration == written


@pytest.mark.parametrize(("written", "expected"), [
    ("6 hours", "jobs/x.yaml: maxDuration: '6 hours' is not a duration: write whole hours, minutes or seconds, "
                "largest unit first, e.g. 6h, 90m, 1h30m, 45s"),
    ("1.5h", "jobs/x.yaml: maxDuration: '1.5h' is not a duration"),
    ("30m1h", "jobs/x.yaml: maxDuration: '30m1h' is not a duration"),
    ("0h", "jobs/x.yaml: maxDuration: '0h' is no time at all: a deadline is longer than 0s"),
    (6, "jobs/x.yaml: maxDuration: Input should be a valid string (got 6)"),
])
def test_a_wrong_duration_names_the_file_the_field_and_what_is_allowed(written, expected):
    with pytest.raises(JobFileError) as caught:
        parse_job({**VALID, "maxDuration": written}, "jobs/x.yaml")
    assert [str(p) for p in caught.value.problems][0].startswith(expected)


@pytest.mark.parametrize(("written", "expected"), [
    (0, "jobs/x.yaml: maxEstimatedCost: Input should be greater than 0 (got 0)"),
    ("20", "jobs/x.yaml: maxEstimatedCost: Input should be a valid number (got '20')"),
])
def test_a_job_budget_is_an_amount_above_zero(written, expected):
    assert parse_job({**VALID, "maxEstimatedCost": 20}, "jobs/x.yaml").max_estimated_cost == 20.0
    assert parse_job({**VALID, "maxEstimatedCost": 12.5}, "jobs/x.yaml").max_estimated_cost == 12.5
    with pytest.raises(JobFileError) as caught:
        parse_job({**VALID, "maxEstimatedCost": written}, "jobs/x.yaml")
    assert [str(p) for p in caught.value.problems] == [expected]


def test_a_stack_overrides_the_deadline_and_the_budget_and_its_mistakes_name_it(tmp_path):
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    (jobs / "x.yaml").write_text(yaml.safe_dump({
        **VALID, "maxDuration": "6h", "maxEstimatedCost": 50,
        "overrides": {"prod": {"maxDuration": "12h", "maxEstimatedCost": 200}, "dev": {"maxDuration": "0s"}}}))

    prod = load_jobs(jobs, tmp_path, stack="prod", known_stacks=["prod", "dev"]).jobs[0].spec
    with pytest.raises(JobFileError) as caught:
        load_jobs(jobs, tmp_path, stack="dev", known_stacks=["prod", "dev"])

    assert (prod.max_duration, prod.max_estimated_cost) == ("12h", 200.0)
    assert [str(p) for p in caught.value.problems] == [
        "jobs/x.yaml: overrides.dev.maxDuration: '0s' is no time at all: a deadline is longer than 0s"]
