"""The state file: atomic saves, rollback on failure, readable after restarts."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import (
    DeleteEndpointRequest,
    DeleteOperationMetadata,
    Endpoint,
    Model,
    SupervisedTuningDataStats,
    TuningJob,
)
from google.protobuf import any_pb2

from emulator import operations
from emulator.clock import ManualClock
from emulator.deployments import DELETE_ENDPOINT
from emulator.store import FIRST_ID, JobPlan, PendingOperation, StateFileError, Store
from tests.emulator.builders import NUMBERED_PARENT, tuning_job
from tests.emulator.conftest import StartLocal


def job_named(resource_id: str) -> TuningJob:
    job = tuning_job()
    job.name = f"{NUMBERED_PARENT}/tuningJobs/{resource_id}"
    return job


def test_a_new_store_writes_no_file_until_asked(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.json")
    assert not store.path.exists()

    store.create_file()

    assert json.loads(store.path.read_text())["next_id"] == FIRST_ID


def test_a_committed_transaction_is_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with Store(path).transaction() as state:
        job = job_named(state.new_id())
        state.tuning_jobs.put(job)

    with Store(path).transaction() as reloaded:
        assert reloaded.tuning_jobs.get(job.name) == job
        assert int(reloaded.new_id()) == FIRST_ID + 1


def test_a_failed_transaction_leaves_memory_and_disk_unchanged(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.json")
    store.create_file()
    before = store.path.read_bytes()

    with pytest.raises(RuntimeError), store.transaction() as state:
        state.tuning_jobs.put(job_named(state.new_id()))
        raise RuntimeError("request failed half way")

    assert store.path.read_bytes() == before
    with store.transaction() as state:
        assert len(state.tuning_jobs) == 0
        assert int(state.new_id()) == FIRST_ID


def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "state.json")
    store.create_file()
    before = store.path.read_bytes()

    def broken_replace(source: str, target: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"), store.transaction() as state:
        state.tuning_jobs.put(job_named(state.new_id()))
    monkeypatch.undo()

    assert store.path.read_bytes() == before
    assert [path.name for path in tmp_path.iterdir()] == ["state.json"]
    with store.transaction() as state:
        assert len(state.tuning_jobs) == 0


def test_reading_without_changes_does_not_rewrite_the_file(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.json")
    store.create_file()
    written = store.path.stat().st_mtime_ns
    os.utime(store.path, ns=(written - 10**9, written - 10**9))

    with store.transaction() as state:
        state.tuning_jobs.get(f"{NUMBERED_PARENT}/tuningJobs/1")

    assert store.path.stat().st_mtime_ns == written - 10**9


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "cannot read state file"),
        ("[]", "format_version 2 expected"),
        ('{"format_version": 3, "next_id": 1, "collections": {}}', "format_version 2 expected"),
        ('{"format_version": 1, "next_id": 1, "collections": {}}', "older emulator.*by project number.*Delete it"),
        ('{"format_version": 2, "collections": {}}', "next_id"),
        ('{"format_version": 2, "next_id": 1, "collections": {"widgets": {}}}', "unknown or malformed collection"),
        ('{"format_version": 2, "next_id": 1, "collections": {"tuning_jobs": {"x": {"state": "NO_SUCH_STATE"}}}}',
         "record 'x' is damaged"),
        ('{"format_version": 2, "next_id": 1, "collections": {"pending_operations": {"o": {"name": "o"}}}}',
         "record 'o' is damaged"),
        ('{"format_version": 2, "next_id": 1, "collections": {"pending_operations": {"o": {"name": "o", '
         '"kind": "DeleteEndpoint", "polls": -1, "request": {}}}}}', "record 'o' is damaged"),
        ('{"format_version": 2, "next_id": 1, "collections": {"pending_operations": {"o": {"name": "o", '
         '"kind": "DeleteEndpoint", "polls": 0, "request": {"@type": "type.googleapis.com/no.Such"}}}}}',
         "record 'o' is damaged"),
        ('{"format_version": 2, "next_id": 1, "collections": {"job_plans": {"j": {"name": "j"}}}}',
         "record 'j' is damaged"),
        ('{"format_version": 2, "next_id": 1, "collections": {"job_plans": {"j": {"name": "j", "data_problem": "", '
         '"cancel_requested_time": "yesterday"}}}}', "record 'j' is damaged"),
        ('{"format_version": 2, "next_id": 1, "collections": {"job_plans": {"j": {"name": "j", "data_problem": "", '
         '"cancel_requested_time": "2025-01-01T00:00:00"}}}}', "record 'j' is damaged"),
    ],
)
def test_a_damaged_state_file_is_refused_at_startup(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(content)

    with pytest.raises(StateFileError, match=message):
        Store(path)


@pytest.mark.parametrize(
    "stats", [None, SupervisedTuningDataStats(tuning_dataset_example_count=2, tuning_step_count=4)])
def test_a_job_plan_survives_a_reload(tmp_path: Path, stats: SupervisedTuningDataStats | None) -> None:
    path = tmp_path / "state.json"
    plan = JobPlan(name=job_named("1").name, data_problem="line 1: not valid JSON.",
                   cancel_requested_time=datetime(2025, 1, 1, 12, 0, 0, 123456, tzinfo=UTC), data_stats=stats)
    with Store(path).transaction() as state:
        state.job_plans.put(plan)

    with Store(path).transaction() as reloaded:
        assert reloaded.job_plans.get(plan.name) == plan


def test_model_versions_are_kept_apart_and_a_file_keyed_by_model_name_is_read(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    name = f"{NUMBERED_PARENT}/models/5"
    with Store(path).transaction() as state:
        state.models.put(Model(name=name, version_id="1", display_name="first"))
        state.models.put(Model(name=name, version_id="2", display_name="second"))
    document = json.loads(path.read_text())
    assert sorted(document["collections"]["models"]) == [f"{name}@1", f"{name}@2"]
    # The emulator of the earlier release keyed each model (it had version 1 only) by its name.
    document["collections"]["models"] = {name: document["collections"]["models"][f"{name}@1"]}
    path.write_text(json.dumps(document))

    with Store(path).transaction() as reloaded:
        assert reloaded.models.get(f"{name}@1") == Model(name=name, version_id="1", display_name="first")
        assert len(reloaded.models) == 1


def test_a_pending_operation_and_a_removal_survive_a_reload(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    request = any_pb2.Any()
    request.Pack(DeleteEndpointRequest.pb(DeleteEndpointRequest(name=f"{NUMBERED_PARENT}/endpoints/7")))
    pending = PendingOperation(
        name=f"{NUMBERED_PARENT}/endpoints/7/operations/8", kind="DeleteEndpoint", request=request, polls=1
    )
    with Store(path).transaction() as state:
        state.pending_operations.put(pending)
        state.tuning_jobs.put(job_named("1"))
    with Store(path).transaction() as state:
        state.tuning_jobs.remove(f"{NUMBERED_PARENT}/tuningJobs/1")

    with Store(path).transaction() as reloaded:
        assert reloaded.pending_operations.get(pending.name) == pending
        assert len(reloaded.tuning_jobs) == 0


def test_a_pending_operation_in_the_state_file_is_completed_by_the_server_that_loads_it(
    tmp_path: Path, start_local: StartLocal
) -> None:
    path = tmp_path / "state.json"
    clock = ManualClock()
    endpoint = Endpoint(name=f"{NUMBERED_PARENT}/endpoints/7", display_name="served")
    with Store(path).transaction() as state:
        state.endpoints.put(endpoint)
        operation = operations.start(
            state, DELETE_ENDPOINT, endpoint.name, DeleteEndpointRequest(name=endpoint.name), now=clock.now(),
            polls_needed=1,
        )
    local = start_local(state_file=path, operation_polls=1, clock=clock)
    assert local.endpoints.get_endpoint(name=endpoint.name) == endpoint

    served = local.operations.get_operation(name=operation.name)

    assert served.name.startswith(f"{endpoint.name}/operations/")
    assert served.done
    assert served.metadata.Is(DeleteOperationMetadata.pb().DESCRIPTOR)
    with pytest.raises(exceptions.NotFound):
        local.endpoints.get_endpoint(name=endpoint.name)
