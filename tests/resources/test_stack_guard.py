"""The stack guard: a changed GCP project or default region moves every job, so it must be meant."""

from __future__ import annotations

import pytest

from providers.resources.stack_guard import StackGuardProvider

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
