"""Label filters of List requests, parsed and matched; and the mode in which they find nothing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from google.cloud.aiplatform_v1 import Endpoint

from emulator.errors import InvalidArgument
from emulator.filters import LabelFilter, LabelTerm
from tests.emulator.builders import PARENT, tuning_job
from tests.support.emulator_process import EmulatorProcess


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("", ()),
        ("   ", ()),
        ('labels.team="nlp"', (LabelTerm("team", "nlp"),)),
        ("labels.team=nlp", (LabelTerm("team", "nlp"),)),
        ('labels.team = "nlp"', (LabelTerm("team", "nlp"),)),
        ('labels.team=""', (LabelTerm("team", ""),)),
        ('labels.note="say \\"hi\\" \\\\ bye"', (LabelTerm("note", 'say "hi" \\ bye'),)),
        ('labels.note="a AND b"', (LabelTerm("note", "a AND b"),)),
        ("labels.team:*", (LabelTerm("team", None),)),
        ("labels.équipe=données", (LabelTerm("équipe", "données"),)),
        ('labels.a=1 AND labels.b-c="2"  AND labels.d:*',
         (LabelTerm("a", "1"), LabelTerm("b-c", "2"), LabelTerm("d", None))),
    ],
)
def test_supported_filters_parse(text: str, terms: tuple[LabelTerm, ...]) -> None:
    assert LabelFilter.parse(text).terms == terms


@pytest.mark.parametrize(
    "text",
    ["labels.team", "team=nlp", "labels.a=1 OR labels.b=2", "labels.a=1 and labels.b=2", "labels.a=1 AND",
     "labels.a=1 labels.b=2", 'labels.a="open', "NOT labels.a=1", "labels.a:nlp"],
)
def test_unsupported_filters_are_invalid_arguments(text: str) -> None:
    with pytest.raises(InvalidArgument, match="Unsupported filter"):
        LabelFilter.parse(text)


@pytest.mark.parametrize(
    ("text", "labels", "matches"),
    [
        ("", {}, True),
        ("labels.a=1", {"a": "1"}, True),
        ("labels.a=1", {"a": "2"}, False),
        ("labels.a=1", {}, False),
        ("labels.a:*", {"a": ""}, True),
        ("labels.a:*", {"b": "1"}, False),
        ("labels.a=1 AND labels.b=2", {"a": "1", "b": "2", "c": "3"}, True),
        ("labels.a=1 AND labels.b=2", {"a": "1"}, False),
    ],
)
def test_filters_match_labels(text: str, labels: dict[str, str], matches: bool) -> None:
    assert LabelFilter.parse(text).matches(labels) is matches


label_keys = st.from_regex(r"[a-z][a-z0-9_-]{0,20}", fullmatch=True)
label_values = st.text(max_size=20)


def quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@settings(max_examples=60, database=None, deadline=None)
@given(st.dictionaries(label_keys, label_values, min_size=1, max_size=5))
def test_a_filter_for_exactly_some_labels_matches_them(labels: dict[str, str]) -> None:
    text = " AND ".join(f"labels.{key}={quoted(value)}" for key, value in labels.items())

    parsed = LabelFilter.parse(text)

    assert parsed.terms == tuple(LabelTerm(key, value) for key, value in labels.items())
    assert parsed.matches(labels)
    first = next(iter(labels))
    assert not parsed.matches({**labels, first: labels[first] + "x"})


def test_with_label_filters_finding_nothing_a_label_filter_lists_nothing_and_no_filter_everything(tmp_path) -> None:
    # The mode in which the tool must not trust an empty filtered listing (a Vertex that
    # reads `labels.gt-stack-id` differently): it still finds its resources by listing all.
    with EmulatorProcess(tmp_path / "state.json", quota=2, label_filters_find_nothing=True) as emulator:
        tuning, endpoints = emulator.tuning_client(), emulator.endpoint_client()
        job = tuning.create_tuning_job(parent=PARENT, tuning_job=tuning_job(labels={"gt-stack-id": "s1"}))
        endpoints.create_endpoint(parent=PARENT, endpoint=Endpoint(display_name="e", labels={"gt-stack-id": "s1"})).result(
            timeout=30)

        assert list(tuning.list_tuning_jobs(request={"parent": PARENT, "filter": 'labels.gt-stack-id="s1"'})) == []
        assert list(endpoints.list_endpoints(request={"parent": PARENT, "filter": "labels.gt-stack-id:*"})) == []
        assert [j.name for j in tuning.list_tuning_jobs(parent=PARENT)] == [job.name]
        assert len(list(endpoints.list_endpoints(parent=PARENT))) == 1
