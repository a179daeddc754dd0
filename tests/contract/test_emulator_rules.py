"""The emulator's copy of Vertex AI's rules against the tool's own, difference by difference.

The model catalogue is compared row by row: ids, adapter sizes, tuning regions, customer-
managed keys, retirement dates and the lifecycle (continuous tuning, checkpoints, where
evaluation runs; the emulator's `lifecycle_rules`) (the tool's own rows only: a job repository's models.yaml
describes Google for that repository, not the emulator). The emulator keeps its own tables on purpose: it stands in for Google, not for this tool,
so a mistake in the tool's tables must not be hidden by the same mistake in the emulator.
Every difference between the two is listed in DELIBERATE_DIFFERENCES with its reason: an
accidental difference fails this test, and so does a listed one that no longer exists.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from google.cloud.aiplatform_v1 import JobState, SupervisedHyperParameters

from emulator import base_models as emulator_rules
from emulator import lifecycle_rules
from emulator import tuning_lifecycle
from emulator import validation as emulator_validation
from emulator.errors import InvalidArgument
from providers.gcp.vertex import TERMINAL_STATES
from providers.jobfile import labels as tool_labels
from providers.jobfile.catalogue import tool_catalogue
from providers.jobfile.schema import JobSpec

_CUT_OFF_LIST = (
    "Google's list of models with continuous tuning breaks off after Gemini 2.5 Pro in every stored "
    "copy. The emulator assumes the other 2.5 models follow (it stands in for Vertex, which would "
    "answer for them); the tool offers a feature only where Google documents it, so a job file is "
    "not accepted for what Vertex may refuse (a job repository's models.yaml can offer it)."
)
DELIBERATE_DIFFERENCES = {
    "label characters": (
        "Vertex (and so the emulator) accepts international lowercase letters in labels; the "
        "tool accepts only a-z, 0-9, '_' and '-', GCP's portable subset, so labels work "
        "everywhere they are copied (billing exports, other services)."
    ),
    "model gemini-2.5-flash: continuous tuning": _CUT_OFF_LIST,
    "model gemini-2.5-flash-lite: continuous tuning": _CUT_OFF_LIST,
}

_ADAPTER_SIZE_NUMBERS = {
    SupervisedHyperParameters.AdapterSize.ADAPTER_SIZE_ONE: 1,
    SupervisedHyperParameters.AdapterSize.ADAPTER_SIZE_TWO: 2,
    SupervisedHyperParameters.AdapterSize.ADAPTER_SIZE_FOUR: 4,
    SupervisedHyperParameters.AdapterSize.ADAPTER_SIZE_EIGHT: 8,
    SupervisedHyperParameters.AdapterSize.ADAPTER_SIZE_SIXTEEN: 16,
    SupervisedHyperParameters.AdapterSize.ADAPTER_SIZE_THIRTY_TWO: 32,
}
# Label texts that tell the two label rules apart, if they differ.
_LABEL_SAMPLES = ("team", "cost-center_2", "équipe", "été", "x" * 63, "x" * 64, "Team", "a.b", "")


def differences() -> set[str]:
    found = set()
    catalogue = tool_catalogue()
    models = catalogue.models
    if catalogue.tuning_regions != emulator_rules.TUNING_REGIONS:
        found.add("tuning regions")
    for model in set(models) | set(emulator_rules.BASE_MODELS):
        if model not in models:
            found.add(f"model {model}: only the emulator knows it")
            continue
        if model not in emulator_rules.BASE_MODELS:
            found.add(f"model {model}: only the tool knows it")
            continue
        tool, emulator = models[model], emulator_rules.BASE_MODELS[model]
        emulator_sizes = (None if emulator.adapter_sizes is None
                          else {_ADAPTER_SIZE_NUMBERS[size] for size in emulator.adapter_sizes})
        if (None if tool.adapter_sizes is None else set(tool.adapter_sizes)) != emulator_sizes:
            found.add(f"model {model}: adapter sizes")
        if catalogue.regions_of(model) != (emulator.tuning_regions or emulator_rules.TUNING_REGIONS):
            found.add(f"model {model}: tuning regions")
        if tool.cmek != emulator.cmek:
            found.add(f"model {model}: customer-managed keys")
        if tool.retires != ("retired" if emulator.retired_without_date else emulator.retires):
            found.add(f"model {model}: retirement")
        lifecycle = lifecycle_rules.lifecycle_of(model)
        if bool(tool.continuous_tuning) != lifecycle.continuous_tuning:
            found.add(f"model {model}: continuous tuning")
        if bool(tool.checkpoints) != lifecycle.checkpoints:
            found.add(f"model {model}: checkpoints")
        if set(tool.evaluation_regions or ()) != (set(lifecycle_rules.EVALUATION_REGIONS) if lifecycle.evaluation
                                                 else set()):
            found.add(f"model {model}: evaluation regions")
    if tool_labels.MAX_LABELS != emulator_validation.MAX_LABELS:
        found.add("label count")
    if tool_labels.MAX_LENGTH != emulator_validation.MAX_LABEL_LENGTH:
        found.add("label length")
    if any(_tool_accepts_label(text) != _emulator_accepts_label(text) for text in _LABEL_SAMPLES):
        found.add("label characters")
    if _max_length(JobSpec, "tuned_model_display_name") != emulator_validation.MAX_DISPLAY_NAME_LENGTH:
        found.add("display name length")
    emulator_terminal = {
        state.name for state in JobState
        if state not in tuning_lifecycle.ACTIVE_STATES and state != JobState.JOB_STATE_UNSPECIFIED
    }
    if set(TERMINAL_STATES) != emulator_terminal:
        found.add("terminal job states")
    return found


def test_every_difference_between_the_emulator_and_the_tool_is_deliberate():
    assert differences() == set(DELIBERATE_DIFFERENCES)


def test_the_comparison_sees_a_difference_in_the_tables(monkeypatch):
    monkeypatch.setattr(emulator_validation, "MAX_LABELS", emulator_validation.MAX_LABELS - 1)
    assert "label count" in differences()


@pytest.mark.parametrize(("support", "difference"), [
    (lifecycle_rules.LifecycleSupport(continuous_tuning=True, checkpoints=True, evaluation=True),
     "model gemini-3.5-flash: evaluation regions"),
    (lifecycle_rules.LifecycleSupport(continuous_tuning=True), "model gemini-3.5-flash: checkpoints"),
    (lifecycle_rules.LifecycleSupport(checkpoints=True), "model gemini-3.5-flash: continuous tuning"),
])
def test_the_comparison_sees_a_difference_in_the_lifecycle(monkeypatch, support, difference):
    monkeypatch.setattr(lifecycle_rules, "LIFECYCLE", {**lifecycle_rules.LIFECYCLE, "gemini-3.5-flash": support})
    assert differences() == {*DELIBERATE_DIFFERENCES, difference}


@pytest.mark.parametrize(("change", "difference"), [
    ({"cmek": True}, "model gemini-3.5-flash: customer-managed keys"),
    ({"tuning_regions": None}, "model gemini-3.5-flash: tuning regions"),
    ({"retires": date(2027, 5, 20)}, "model gemini-3.5-flash: retirement"),
    ({"adapter_sizes": None}, "model gemini-3.5-flash: adapter sizes"),
])
def test_the_comparison_sees_a_difference_in_a_models_row(monkeypatch, change, difference):
    rows = dict(emulator_rules.BASE_MODELS)
    rows["gemini-3.5-flash"] = dataclasses.replace(rows["gemini-3.5-flash"], **change)
    monkeypatch.setattr(emulator_rules, "BASE_MODELS", rows)
    assert differences() == {*DELIBERATE_DIFFERENCES, difference}


def _tool_accepts_label(text: str) -> bool:
    return bool(tool_labels.LABEL_KEY.match(text)) and bool(tool_labels.LABEL_VALUE.match(text))


def _emulator_accepts_label(text: str) -> bool:
    try:
        emulator_validation.check_labels({text: text})
    except InvalidArgument:
        return False
    return True


def _max_length(model, field: str) -> int:
    return next(m.max_length for m in model.model_fields[field].metadata if hasattr(m, "max_length"))
