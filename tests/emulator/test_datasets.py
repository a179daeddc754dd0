"""What the emulator, like Vertex, rejects in a data set it reads from Cloud Storage, and when."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Iterator

import pytest
from google.cloud.aiplatform_v1 import JobState, SupervisedHyperParameters, SupervisedTuningSpec, TuningJob
from google.rpc import code_pb2

from emulator.datasets import dataset_problem, examples_problem
from emulator.tuning_lifecycle import DEFAULT_CANCEL_DELAY, CancelOutcome
from tests.emulator.builders import PARENT, tuning_job
from tests.emulator.conftest import JOB_SECONDS, LocalEmulator, StartLocal
from tests.support.storage_emulator import StorageEmulatorProcess

GOOD = json.dumps({"contents": [{"role": "user", "parts": [{"text": "q"}]},
                                {"role": "model", "parts": [{"text": "a"}]}]}).encode()
# Two examples whose counts are worked out by hand in test_a_running_job_reports_the_statistics_of_its_data_set.
COUNTED = [
    json.dumps({"systemInstruction": {"role": "system", "parts": [{"text": "You are a classifier."}]},
                "contents": [{"role": "user", "parts": [{"text": "My invoice is wrong"}]},
                             {"role": "model", "parts": [{"text": "billing"}]}]}).encode(),
    json.dumps({"contents": [{"role": "user", "parts": [{"text": "hello there"}]},
                             {"role": "model", "parts": [{"text": "hi"}]},
                             {"role": "user", "parts": [{"text": "abcdefgh"},
                                                        {"fileData": {"mimeType": "image/png",
                                                                      "fileUri": "gs://b/i.png"}}]},
                             {"role": "model", "parts": [{"text": "done"}]}]}).encode(),
]
BUCKET = "datasets"
STARTS_AT = timedelta(seconds=JOB_SECONDS / 10)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([GOOD, GOOD], None),
        ([GOOD, b"", GOOD], None),
        ([], "the dataset has no examples."),
        ([b"\n"], "the dataset has no examples."),
        ([GOOD, b"{oops"], "line 2: not valid JSON."),
        ([b"[1, 2]"], "line 1: an example needs a non-empty 'contents' list."),
        ([b'{"contents": []}'], "line 1: an example needs a non-empty 'contents' list."),
        ([b'{"contents": [{"role": "assistant", "parts": [{"text": "a"}]}]}'], "line 1: each turn needs a role of 'user' or 'model'."),
        ([b'{"contents": [{"role": "model", "parts": []}]}'], "line 1: each turn needs a non-empty 'parts' list."),
        ([b'{"contents": [{"role": "user", "parts": [{"text": "q"}]}]}'], "line 1: the last turn must be the model's response."),
    ],
)
def test_examples_problem(lines, expected):
    assert examples_problem(lines) == expected


def test_without_a_storage_emulator_data_sets_are_not_read(monkeypatch):
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    assert dataset_problem("gs://bucket/missing.jsonl") is None


@pytest.fixture(scope="module")
def storage() -> Iterator[StorageEmulatorProcess]:
    emulator = StorageEmulatorProcess(bucket=BUCKET).start()
    bucket = emulator.client().bucket(BUCKET)
    bucket.blob("good.jsonl").upload_from_string(GOOD + b"\n")
    bucket.blob("bad.jsonl").upload_from_string(GOOD + b'\n{"contents": []}\n')
    bucket.blob("counted.jsonl").upload_from_string(b"\n".join(COUNTED) + b"\n")
    yield emulator
    emulator.stop()


@pytest.fixture
def reading(storage: StorageEmulatorProcess, monkeypatch: pytest.MonkeyPatch, start_local: StartLocal) -> LocalEmulator:
    """An emulator that reads data sets from the Cloud Storage emulator."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", storage.url)
    return start_local(quota=5)


def job_on(local: LocalEmulator, training: str, validation: str = "") -> TuningJob:
    spec = SupervisedTuningSpec(training_dataset_uri=f"gs://{BUCKET}/{training}",
                                validation_dataset_uri=validation and f"gs://{BUCKET}/{validation}")
    return local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job(supervised_tuning_spec=spec))


@pytest.mark.parametrize(
    ("training", "validation", "message"),
    [
        ("bad.jsonl", "", f"Dataset validation failed for gs://{BUCKET}/bad.jsonl: "
                          "line 2: an example needs a non-empty 'contents' list."),
        ("missing.jsonl", "", f"Failed to read the dataset gs://{BUCKET}/missing.jsonl: the object does not exist."),
        ("good.jsonl", "bad.jsonl", f"Dataset validation failed for gs://{BUCKET}/bad.jsonl: "
                                    "line 2: an example needs a non-empty 'contents' list."),
    ],
    ids=["malformed", "missing", "bad-validation-set"],
)
def test_a_job_with_a_bad_data_set_fails_when_it_would_start(
    reading: LocalEmulator, training: str, validation: str, message: str
) -> None:
    created = job_on(reading, training, validation)
    assert created.state == JobState.JOB_STATE_PENDING and "error" not in created
    reading.advance(STARTS_AT.total_seconds() - 0.001)
    assert reading.tuning.get_tuning_job(name=created.name) == created

    reading.advance(0.001)
    failed = reading.tuning.get_tuning_job(name=created.name)

    assert failed.state == JobState.JOB_STATE_FAILED
    assert (failed.error.code, failed.error.message) == (code_pb2.INVALID_ARGUMENT, message)
    assert failed.end_time == failed.update_time == created.create_time + STARTS_AT
    assert "start_time" not in failed and "tuned_model" not in failed


def test_a_job_with_a_good_data_set_starts_running(reading: LocalEmulator) -> None:
    created = job_on(reading, "good.jsonl", "good.jsonl")

    reading.advance(STARTS_AT.total_seconds())

    assert reading.tuning.get_tuning_job(name=created.name).state == JobState.JOB_STATE_RUNNING


def test_the_verdict_on_a_data_set_survives_a_restart(
    reading: LocalEmulator, monkeypatch: pytest.MonkeyPatch, start_local: StartLocal
) -> None:
    created = job_on(reading, "bad.jsonl")
    monkeypatch.delenv("STORAGE_EMULATOR_HOST")

    restarted = start_local(state_file=reading.state_file, clock=reading.clock)
    restarted.advance(JOB_SECONDS)

    assert restarted.tuning.get_tuning_job(name=created.name).state == JobState.JOB_STATE_FAILED


@pytest.mark.parametrize(
    ("outcome", "state"),
    [(CancelOutcome.CANCELLED, JobState.JOB_STATE_CANCELLED), (CancelOutcome.SUCCEEDED, JobState.JOB_STATE_FAILED)],
)
def test_a_pending_job_with_a_bad_data_set_that_is_cancelled(
    storage: StorageEmulatorProcess, monkeypatch: pytest.MonkeyPatch, start_local: StartLocal,
    outcome: CancelOutcome, state: JobState,
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", storage.url)
    local = start_local(cancel_outcome=outcome)
    created = job_on(local, "bad.jsonl")
    local.tuning.cancel_tuning_job(name=created.name)

    local.advance(JOB_SECONDS)
    ended = local.tuning.get_tuning_job(name=created.name)

    # Cancelled before it ever read its data; or, the cancel coming to nothing, failed on it as it started.
    assert ended.state == state
    assert ended.end_time == created.create_time + DEFAULT_CANCEL_DELAY


def test_a_running_job_reports_the_statistics_of_its_data_set(reading: LocalEmulator) -> None:
    created = job_on(reading, "counted.jsonl", "good.jsonl")  # epochs unset: the emulator trains 4
    assert "tuning_data_stats" not in created

    reading.advance(STARTS_AT.total_seconds())
    stats = reading.tuning.get_tuning_job(name=created.name).tuning_data_stats.supervised_tuning_data_stats

    # Input: the system instruction and the user turns; output: the model turns; 4 characters a token,
    # rounded up per example and side; an image counts 258 tokens.
    # Example 1: input 21 + 19 characters -> 10 tokens, output 7 -> 2 tokens.
    # Example 2: input 11 + 8 characters -> 5 tokens + 258, output 2 + 4 -> 2 tokens.
    assert stats.tuning_dataset_example_count == 2
    assert stats.total_billable_token_count == 10 + 2 + 263 + 2
    assert stats.total_tuning_character_count == stats.total_billable_character_count == 47 + 25
    assert stats.tuning_step_count == 4, "4 epochs of one batch of 16"
    assert stats.total_truncated_example_count == 0
    inputs = stats.user_input_token_distribution
    assert (inputs.sum, inputs.billable_sum, inputs.min_, inputs.max_, inputs.mean) == (273, 273, 10, 263, 136.5)
    assert (inputs.median, inputs.p5, inputs.p95) == (10, 10, 263)
    assert stats.user_output_token_distribution.sum == 4
    messages = stats.user_message_per_example_distribution
    assert (messages.min_, messages.max_, messages.sum) == (2, 4, 6)
    assert [[part.text for part in example.parts] for example in stats.user_dataset_examples] == [
        ["My invoice is wrong"], ["hello there", "abcdefgh"]]


def test_the_statistics_count_the_epochs_in_steps_not_in_tokens(reading: LocalEmulator) -> None:
    spec = SupervisedTuningSpec(training_dataset_uri=f"gs://{BUCKET}/counted.jsonl",
                                hyper_parameters=SupervisedHyperParameters(epoch_count=7))
    created = reading.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job(supervised_tuning_spec=spec))

    reading.advance(STARTS_AT.total_seconds())
    stats = reading.tuning.get_tuning_job(name=created.name).tuning_data_stats.supervised_tuning_data_stats

    assert (stats.tuning_step_count, stats.total_billable_token_count) == (7, 277)


def test_the_statistics_read_survive_a_restart(
    reading: LocalEmulator, monkeypatch: pytest.MonkeyPatch, start_local: StartLocal
) -> None:
    created = job_on(reading, "counted.jsonl")
    monkeypatch.delenv("STORAGE_EMULATOR_HOST")

    restarted = start_local(state_file=reading.state_file, clock=reading.clock)
    restarted.advance(STARTS_AT.total_seconds())

    stats = restarted.tuning.get_tuning_job(name=created.name).tuning_data_stats.supervised_tuning_data_stats
    assert stats.tuning_dataset_example_count == 2 and stats.total_billable_token_count == 277


def test_without_a_storage_emulator_the_statistics_are_made_up_and_stable(
    monkeypatch: pytest.MonkeyPatch, start_local: StartLocal
) -> None:
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    local = start_local(quota=5)
    created = local.tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job())  # 3 epochs

    local.advance(STARTS_AT.total_seconds())
    stats = local.tuning.get_tuning_job(name=created.name).tuning_data_stats.supervised_tuning_data_stats
    local.advance(JOB_SECONDS)

    examples = stats.tuning_dataset_example_count
    assert 100 <= examples <= 2000
    assert stats.tuning_step_count == 3 * -(-examples // 16)
    assert stats.total_billable_token_count >= examples * 150
    assert local.tuning.get_tuning_job(name=created.name).tuning_data_stats.supervised_tuning_data_stats == stats
