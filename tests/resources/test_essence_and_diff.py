"""The essence decides what is the same paid job; the diff replaces on any essence change."""

from __future__ import annotations

import pytest

from providers.resources.essence import essence_of, spec_hash
from providers.gcp.identity import tuning_job_labels
from providers.jobfile.loading import parse_job
from providers.resources.tuning_job import QUEUED, TuningJobProvider

BASE = {"name": "triage", "baseModel": "gemini-1.5-flash-002", "trainingDataset": "gs://b/t.jsonl"}


def essence(**changes):
    return essence_of(parse_job({**BASE, **changes}, "jobs/triage.yaml"))


def test_defaults_are_filled_so_writing_them_out_is_the_same_job():
    assert essence() == essence(hyperParameters={"adapterSize": 8, "learningRateMultiplier": 1.0},
                                tunedModelDisplayName="triage")
    assert spec_hash(essence()) == spec_hash(essence(hyperParameters={"adapterSize": 8}))


@pytest.mark.parametrize(
    "changes",
    [
        {"hyperParameters": {"epochCount": 5}},
        {"hyperParameters": {"adapterSize": 4}},
        {"trainingDataset": "gs://b/other.jsonl"},
        {"validationDataset": "gs://b/v.jsonl"},
        {"baseModel": "gemini-1.5-pro-002"},
        {"description": "new words"},
        {"labels": {"team": "x"}},
    ],
)
def test_any_change_to_what_defines_the_job_changes_its_hash(changes):
    assert spec_hash(essence(**changes)) != spec_hash(essence())


def test_regions_are_not_part_of_the_essence():
    assert essence(regions=["us-central1"]) == essence(regions=["europe-west4", "us-central1"])


def checked(**changes) -> dict:
    import json

    inputs = {"job_file": "jobs/triage.yaml", "spec_json": json.dumps({**BASE, **changes}),
              "project": "p", "region": "us-central1"}
    result = TuningJobProvider().check({}, inputs)
    assert result.failures == []
    return result.inputs


def test_diff_replaces_on_an_essence_change_and_deletes_the_old_job_first():
    old = {**checked(), "state": "RUNNING"}
    result = TuningJobProvider().diff("id", old, checked(hyperParameters={"epochCount": 5}))
    assert result.changes is True
    assert result.replaces == ["epoch_count"]
    assert result.delete_before_replace is True


def test_diff_reports_nothing_when_only_the_file_changed_but_not_the_essence():
    old = {**checked(), "state": "RUNNING", "job_file": "jobs/old-name.yaml"}
    result = TuningJobProvider().diff("id", old, checked(hyperParameters={"adapterSize": 8}))
    assert result.changes is False and result.replaces == []


def test_diff_asks_for_an_update_while_the_job_waits_for_quota():
    result = TuningJobProvider().diff("id", {**checked(), "state": QUEUED}, checked())
    assert result.changes is True and result.replaces == []


def test_check_reports_the_job_files_mistakes_as_check_failures():
    import json

    inputs = {"job_file": "jobs/triage.yaml", "spec_json": json.dumps({**BASE, "hyperParameters": {"adapterSize": 3}})}
    failures = TuningJobProvider().check({}, inputs).failures
    assert [(f.property, f.reason) for f in failures] == [(
        "hyperParameters.adapterSize",
        "jobs/triage.yaml: hyperParameters.adapterSize: 3 is not supported for gemini-1.5-flash-002; allowed: 1, 4, 8, 16",
    )]


def test_managed_labels_fit_vertex_label_rules_and_keep_names_apart():
    import re

    labels = tuning_job_labels("gemini-tuning", "prod", "triage", "0123456789abcdef")
    assert labels == {"gt-managed-by": "gemini-tuning", "gt-stack": "prod",
                      "gt-job": "triage", "gt-spec": "0123456789abcdef"}
    folded = [tuning_job_labels("p", stack, "triage", "0")["gt-stack"]
              for stack in ("Dev", "dev", "prod.eu", "prod-eu", "x" * 80)]
    assert len(set(folded)) == len(folded)
    assert all(re.fullmatch(r"[a-z0-9_-]{1,63}", value) for value in folded)


def test_a_field_added_to_the_essence_later_does_not_replace_recorded_jobs():
    old = {**checked(), "state": "SUCCEEDED"}
    del old["description"]  # as if recorded before `description` joined the essence
    assert TuningJobProvider().diff("id", old, checked()).replaces == []
