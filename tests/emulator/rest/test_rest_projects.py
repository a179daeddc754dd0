"""Project numbers over REST: every name handed out carries the number, as on Vertex AI; URLs may use id or number."""

from __future__ import annotations

import re

import pytest

from tests.emulator.builders import NUMBERED_PARENT, PARENT, PROJECT, PROJECT_NUMBERS
from tests.emulator.conftest import JOB_SECONDS
from tests.emulator.rest.conftest import RestEmulator
from tests.emulator.rest.test_rest_endpoints import finish_over_rest
from tests.emulator.rest.test_rest_tuning_jobs import DOCUMENTED_BODY

NAMED_BY_NUMBER = re.compile(rf"projects/{PROJECT_NUMBERS[PROJECT]}/locations/us-central1/.+")


def by_id(name: str) -> str:
    """`name` with its project given by id, as a user who knows only the id would write it."""
    return name.replace(NUMBERED_PARENT, PARENT)


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
def test_every_name_handed_out_over_rest_carries_the_project_number(rest: RestEmulator, version: str) -> None:
    created = rest.http.post(f"{version}/{PARENT}/tuningJobs", DOCUMENTED_BODY).json
    rest.local.advance(JOB_SECONDS)
    job = rest.http.get(f"{version}/{by_id(created['name'])}").json
    model = rest.http.get(f"{version}/{by_id(job['tunedModel']['model'])}").json
    creating = rest.http.post(f"{version}/{PARENT}/endpoints", {"displayName": "canary"}).json
    endpoint = finish_over_rest(rest, creating, version)["response"]
    deploying = rest.http.post(f"{version}/{by_id(endpoint['name'])}:deployModel",
                               {"deployedModel": {"model": by_id(model["name"])}}).json
    deployed = finish_over_rest(rest, deploying, version)["response"]["deployedModel"]

    handed_out = [
        created["name"], job["name"], job["experiment"], job["tunedModel"]["model"], job["tunedModel"]["endpoint"],
        model["name"], *(ref["endpoint"] for ref in model["deployedModels"]),
        creating["name"], endpoint["name"], deploying["name"], deployed["model"],
        *(listed["name"] for listed in rest.http.get(f"{version}/{PARENT}/tuningJobs").json["tuningJobs"]),
        *(listed["name"] for listed in rest.http.get(f"{version}/{PARENT}/models").json["models"]),
        *(listed["name"] for listed in rest.http.get(f"{version}/{PARENT}/endpoints").json["endpoints"]),
    ]
    assert len(handed_out) == 17  # gemini-3.5-flash keeps a checkpoint per epoch (2), each with an endpoint
    assert [name for name in handed_out if not NAMED_BY_NUMBER.fullmatch(name)] == []


def test_a_url_may_name_the_project_by_id_or_by_number(rest: RestEmulator) -> None:
    name = rest.http.post(f"v1/{NUMBERED_PARENT}/tuningJobs", DOCUMENTED_BODY).json["name"]

    assert rest.http.get(f"v1/{by_id(name)}").json == rest.http.get(f"v1/{name}").json
    assert rest.http.get(f"v1/{PARENT}/tuningJobs").json == rest.http.get(f"v1/{NUMBERED_PARENT}/tuningJobs").json
    assert rest.http.post(f"v1/{by_id(name)}:cancel").status == 200
    assert rest.http.get(f"v1/{name}").json["state"] == "JOB_STATE_CANCELLING"
