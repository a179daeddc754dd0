"""What the emulator, like Vertex, rejects in a data set it reads from Cloud Storage."""

from __future__ import annotations

import json

import pytest

from emulator.datasets import dataset_problem, examples_problem

GOOD = json.dumps({"contents": [{"role": "user", "parts": [{"text": "q"}]},
                                {"role": "model", "parts": [{"text": "a"}]}]}).encode()


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
