"""The stack guard: a changed GCP project or default region moves every job, so it must be meant."""

from __future__ import annotations

import json

import pytest

from providers.resources.stack_guard import StackGuardProvider
from providers.resources.tuning_job import TuningJobProvider

RECORDED = {"stack": "prod", "project": "acme-prod", "default_region": "us-central1",
            "allow_project_change": "", "allow_region_change": ""}


@pytest.mark.parametrize(("change", "refused"), [
    ({"project": "acme-prod-2"}, ["project"]),
    ({"project": "acme-prod-2", "allow_project_change": "acme-prod-2"}, []),
    ({"project": "acme-prod-2", "allow_project_change": "acme-other"}, ["project"]),
    ({"default_region": "europe-west4"}, ["default_region"]),
    ({"default_region": "europe-west4", "allow_region_change": "europe-west4"}, []),
    ({"project": "x", "default_region": "europe-west4"}, ["project", "default_region"]),
    ({}, []),
])
def test_a_change_of_project_or_region_is_refused_unless_the_new_value_is_named(change, refused):
    result = StackGuardProvider().check(RECORDED, {**RECORDED, **change})
    assert [failure.property for failure in result.failures] == refused


def test_the_refusal_says_what_would_happen_and_the_command_that_allows_it():
    [failure] = StackGuardProvider().check(RECORDED, {**RECORDED, "project": "acme-prod-2"}).failures
    assert "would be cancelled and submitted again in 'acme-prod-2'" in failure.reason
    assert "`pulumi config set gemini-tuning:allowProjectChange acme-prod-2`" in failure.reason


def test_a_new_stack_has_nothing_to_compare_with():
    assert StackGuardProvider().check({}, RECORDED).failures == []


# A stack made by the first release has no guard in its state: the guard of its first run
# after the upgrade has nothing to compare with, so each tuning job compares its own state.

def job_inputs(project: str = "acme-prod", region: str = "us-central1", regions: list[str] | None = None,
               **allowed) -> dict:
    spec = {"name": "triage", "baseModel": "gemini-3.5-flash", "trainingDataset": "gs://b/t.jsonl",
            **({"regions": regions} if regions else {})}
    return {"job_file": "jobs/triage.yaml", "spec_json": json.dumps(spec), "job_name": "triage",
            "project": project, "region": region, "pulumi_project": "gemini-tuning", "stack": "prod",
            "stack_id": "0123456789ab", "allow_project_change": "", "allow_region_change": "", **allowed}


@pytest.mark.parametrize(("recorded", "now", "refused"), [
    pytest.param({}, {}, [], id="unchanged"),
    pytest.param({}, {"project": "acme-prod-2"}, ["project"], id="project"),
    pytest.param({}, {"project": "acme-prod-2", "allow_project_change": "acme-prod-2"}, [], id="project-allowed"),
])
def test_a_tuning_job_refuses_a_project_move_its_own_state_shows_unless_allowed(recorded, now, refused):
    olds = TuningJobProvider().check({}, job_inputs(**recorded)).inputs

    result = TuningJobProvider().check(olds, job_inputs(**now))

    assert [failure.property for failure in result.failures] == refused
    if refused:
        assert "would be cancelled and submitted again" in result.failures[0].reason


def test_a_new_tuning_job_has_nothing_to_compare_with():
    assert TuningJobProvider().check({}, job_inputs(project="anything")).failures == []
