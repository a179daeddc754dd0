"""The emulator's copy of Vertex AI's rules against the tool's own, difference by difference.

The emulator keeps its own tables on purpose: it stands in for Google, not for this tool,
so a mistake in the tool's tables must not be hidden by the same mistake in the emulator.
Every difference between the two is listed in DELIBERATE_DIFFERENCES with its reason: an
accidental difference fails this test, and so does a listed one that no longer exists.
"""

from __future__ import annotations

from google.cloud.aiplatform_v1 import JobState, SupervisedHyperParameters

from emulator import base_models as emulator_rules
from emulator import tuning_lifecycle
from emulator import validation as emulator_validation
from emulator.errors import InvalidArgument
from providers.gcp.vertex import TERMINAL_STATES
from providers.jobfile import labels as tool_labels
from providers.jobfile.catalogue import MODELS, TUNING_REGIONS
from providers.jobfile.schema import JobSpec

DELIBERATE_DIFFERENCES = {
    "label characters": (
        "Vertex (and so the emulator) accepts international lowercase letters in labels; the "
        "tool accepts only a-z, 0-9, '_' and '-', GCP's portable subset, so labels work "
        "everywhere they are copied (billing exports, other services)."
    ),
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
    if set(TUNING_REGIONS) != set(emulator_rules.TUNING_REGIONS):
        found.add("tuning regions")
    for model in set(MODELS) | set(emulator_rules.BASE_MODELS):
        if model not in MODELS:
            found.add(f"model {model}: only the emulator knows it")
        elif model not in emulator_rules.BASE_MODELS:
            found.add(f"model {model}: only the tool knows it")
        elif set(MODELS[model].adapter_sizes) != {
            _ADAPTER_SIZE_NUMBERS[size] for size in emulator_rules.BASE_MODELS[model].adapter_sizes
        }:
            found.add(f"model {model}: adapter sizes")
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
