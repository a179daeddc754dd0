"""The essence decides what is the same paid job; the diff replaces on any essence change."""

from __future__ import annotations

import pytest

from providers.resources.essence import ESSENCE_KEYS, JOB_FILE_FIELDS, OPTIONAL_ESSENCE_KEYS, essence_of, spec_hash
from providers.gcp.ownership import Owner, tuning_job_labels
from providers.jobfile.loading import parse_job
from providers.resources.tuning_job import WAITING_FOR_QUOTA, TuningJobProvider

BASE = {"name": "triage", "baseModel": "gemini-1.5-flash-002", "trainingDataset": "gs://b/t.jsonl"}
KEY = "projects/p/locations/{region}/keyRings/r/cryptoKeys/k"
# spec_hash of BASE as the first release computed it (its providers.essence, run on BASE).
FIRST_RELEASE_HASH = "5e6e260fa7ca9168"


@pytest.fixture(autouse=True)
def _in_the_first_releases_time(monkeypatch):
    """BASE is a job of the first release, on a model since retired: these tests are about
    the essence and the diff, so they run on a day it was offered (retirement: test_retirement.py)."""
    monkeypatch.setenv("GEMINI_TUNING_TODAY", "2025-01-01")


def essence(region: str = "us-central1", **changes):
    spec = parse_job({**BASE, **changes}, "jobs/triage.yaml")
    return essence_of(spec, region)


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
        {"encryptionSpec": {"kmsKeyName": KEY}},
        {"serviceAccount": "tuner@p.iam.gserviceaccount.com"},
    ],
)
def test_any_change_to_what_defines_the_job_changes_its_hash(changes):
    assert spec_hash(essence(**changes)) != spec_hash(essence())


def test_regions_are_not_part_of_the_essence():
    assert essence(regions=["us-central1"]) == essence(regions=["europe-west4", "us-central1"])


def test_a_regional_key_is_resolved_for_each_region():
    assert essence("europe-west4", encryptionSpec={"kmsKeyName": KEY})["kms_key_name"] == (
        "projects/p/locations/europe-west4/keyRings/r/cryptoKeys/k")


def test_a_job_of_the_first_release_keeps_its_essence_and_hash():
    # Computed by the first release (commit c0aa5db) for BASE: the keys added since are
    # absent unless set, so the job is not replaced after the upgrade.
    assert essence() == {
        "base_model": "gemini-1.5-flash-002", "training_dataset_uri": "gs://b/t.jsonl",
        "validation_dataset_uri": "", "epoch_count": 0, "adapter_size": 8,
        "learning_rate_multiplier": 1.0, "tuned_model_display_name": "triage", "description": "",
        "labels": {},
    }
    assert spec_hash(essence()) == FIRST_RELEASE_HASH


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


def test_a_renamed_file_is_recorded_without_touching_the_job():
    old = {**checked(), "state": "RUNNING", "job_file": "jobs/old-name.yaml", "vertex_job_name": "j"}
    renamed = TuningJobProvider().diff("id", old, checked(hyperParameters={"adapterSize": 8}))
    updated = TuningJobProvider().update("id", old, checked())
    unchanged = TuningJobProvider().diff("id", {**old, "job_file": "jobs/triage.yaml"}, checked())
    assert renamed.changes is True and renamed.replaces == []
    assert updated.outs["job_file"] == "jobs/triage.yaml" and updated.outs["vertex_job_name"] == "j"
    assert unchanged.changes is False


def test_diff_asks_for_an_update_while_the_job_waits_for_quota():
    result = TuningJobProvider().diff("id", {**checked(), "state": WAITING_FOR_QUOTA, "vertex_job_name": ""},
                                      checked())
    assert result.changes is True and result.replaces == []


def test_adding_an_encryption_key_or_service_account_replaces_the_job():
    old = {**checked(), "state": "RUNNING"}
    assert TuningJobProvider().diff("id", old, checked(encryptionSpec={"kmsKeyName": KEY})).replaces == ["kms_key_name"]
    assert TuningJobProvider().diff("id", old, checked(serviceAccount="a@p.iam.gserviceaccount.com")).replaces == [
        "service_account"]


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

    labels = tuning_job_labels(Owner("gemini-tuning", "prod", "0123456789ab"), "triage", "0123456789abcdef")
    assert labels == {"gt-managed-by": "gemini-tuning", "gt-stack": "prod", "gt-stack-id": "0123456789ab",
                      "gt-job": "triage", "gt-spec": "0123456789abcdef"}
    folded = [tuning_job_labels(Owner("p", stack, "0123456789ab"), "triage", "0")["gt-stack"]
              for stack in ("Dev", "dev", "prod.eu", "prod-eu", "x" * 80)]
    assert len(set(folded)) == len(folded)
    assert all(re.fullmatch(r"[a-z0-9_-]{1,63}", value) for value in folded)


def test_a_field_added_to_the_essence_later_does_not_replace_recorded_jobs():
    old = {**checked(), "state": "SUCCEEDED"}
    del old["description"]  # as if recorded before `description` joined the essence
    assert TuningJobProvider().diff("id", old, checked()).replaces == []


# A value for each job-file field that differs from BASE's, as a user would write it.
OTHER_VALUES = {
    "baseModel": "gemini-1.5-pro-002", "trainingDataset": "gs://b/other.jsonl",
    "validationDataset": "gs://b/v.jsonl", "hyperParameters.epochCount": 3,
    "hyperParameters.adapterSize": 4, "hyperParameters.learningRateMultiplier": 0.5,
    "tunedModelDisplayName": "other", "description": "other", "labels": {"team": "other"},
    "encryptionSpec.kmsKeyName": KEY, "serviceAccount": "a@p.iam.gserviceaccount.com",
    "exportLastCheckpointOnly": True, "evaluation": {"metrics": ["bleu"], "outputUriPrefix": "gs://b/eval"},
    "continueFrom.checkpoint": "2",
}
# A continuing job, and the tuned models of the jobs it may continue.
CONTINUING = {"name": "more", "continueFrom": {"job": "triage"}, "trainingDataset": "gs://b/t.jsonl"}
SOURCE_MODELS = {"triage": "projects/p/locations/us-central1/models/1@1",
                 "other": "projects/p/locations/us-central1/models/2@1"}


def continuing_essence(**changes) -> dict:
    spec = parse_job({**CONTINUING, **changes}, "jobs/more.yaml")
    return essence_of(spec, "us-central1", SOURCE_MODELS[spec.continue_from.job])


@pytest.mark.parametrize("key", [*ESSENCE_KEYS, *OPTIONAL_ESSENCE_KEYS])
def test_each_essence_key_names_the_job_file_field_it_comes_from(key):
    # The plan's "why" shows JOB_FILE_FIELDS[key]: writing that field must change that key.
    field = JOB_FILE_FIELDS[key]
    if field == "continueFrom":
        # Its value is the tuned model of the job the field names.
        before, after = continuing_essence(), continuing_essence(continueFrom={"job": "other"})
        assert {k for k in after if before.get(k) != after[k]} == {key}
        return
    head, _, leaf = field.rpartition(".")
    change = {head: {leaf: OTHER_VALUES[field]}} if head else {field: OTHER_VALUES[field]}
    if head == "continueFrom":
        before, after = continuing_essence(), continuing_essence(continueFrom={"job": "triage", **change[head]})
    elif field in ("exportLastCheckpointOnly", "evaluation"):
        # BASE's model has neither checkpoints nor evaluation.
        before, after = essence(baseModel="gemini-2.5-flash"), essence(baseModel="gemini-2.5-flash", **change)
    else:
        before, after = essence(), essence(**change)
    # Another base model brings its own default adapter size (8 for BASE's, none for the other).
    expected = {key, "adapter_size"} if key == "base_model" else {key}
    assert {k for k in after if before.get(k) != after[k]} == expected


def test_a_catalogue_row_that_learns_a_default_adapter_size_does_not_replace_a_running_job():
    # Google publishes the default it already used for a model; a job repository's models.yaml
    # (or the next release's catalogue) writes it down. No job file changed: the same Vertex job.
    import json

    from providers.jobfile.catalogue import tool_catalogue
    from providers.resources.tuning_job import base_model_row

    row = tool_catalogue().models["gemini-3.5-flash"]
    assert row.default_adapter_size is None

    def checked(olds: dict, rules) -> dict:
        return TuningJobProvider().check(olds, {
            "job_file": "jobs/triage.yaml", "job_name": "triage", "project": "p", "region": "us-central1",
            "pulumi_project": "gemini-tuning", "stack": "dev", "stack_id": "0123456789ab",
            "spec_json": json.dumps({"name": "triage", "baseModel": "gemini-3.5-flash",
                                     "trainingDataset": "gs://b/t.jsonl"}),
            "base_model_rules": base_model_row("gemini-3.5-flash", rules, "models.yaml")}).inputs

    recorded = {**checked({}, row), "vertex_job_name": "projects/p/locations/us-central1/tuningJobs/1",
                "state": "RUNNING"}
    documented = checked(recorded, row.model_copy(update={"default_adapter_size": 4}))

    assert TuningJobProvider().diff("id", recorded, documented).replaces == []
    assert documented["spec_hash"] == recorded["spec_hash"]
