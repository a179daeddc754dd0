"""`python -m providers validate` holds each job to its model's catalogue row, and says where the row is from.

Each refusal is paired with its control: the same file made valid is accepted, so a
refusal can only come from the rule it is about. A job repository's `models.yaml` adds or
overrides rows; its mistakes are named like a job file's. Retirement is a warning here
(`validate` cannot know whether a job is new); refusing a new submission is the
provider's (tests/resources/test_retired_models.py) and the plan's.
"""

from __future__ import annotations

import json

import pytest

from providers.cli.main import main

JOB = {"name": "triage", "baseModel": "gemini-3.5-flash", "trainingDataset": "gs://acme/train.jsonl"}
LOCAL = {**JOB, "trainingDataset": "data/train.jsonl"}
GOOD_LINE = json.dumps({"contents": [{"role": "user", "parts": [{"text": "My invoice is wrong"}]},
                                     {"role": "model", "parts": [{"text": "billing"}]}]})
KEY = "projects/acme/locations/{region}/keyRings/tuning/cryptoKeys/jobs"
NEW_MODEL_ROW = """models:
  gemini-4-argon:
    released: 2026-10-13
    retires: 2027-10-13
    successor: null
    modalities: [text]
    adapterSizes: [1, 2]
    maxTokensPerExample: 65536
    maxTrainingFileBytes: 1073741824
    maxTrainingExamples: 3
    maxValidationExamples: 2
    tuningRegions: [us-central1]
    cmek: false
    sources: ["https://example.com/our-account-team's-mail-of-2026-11-30"]
    checked: 2026-11-30
"""


def validate(tmp_path, monkeypatch, capsys, job: dict, *, models_yaml: str | None = None,
             training: int | None = None, validation: int | None = None, today: str | None = None,
             extra: tuple[str, ...] = ()) -> tuple[int, str]:
    """Runs `validate` in a fresh repository holding one job file (and what else is named)."""
    repo = tmp_path / f"repo-{len(list(tmp_path.iterdir()))}"
    (repo / "jobs").mkdir(parents=True)
    (repo / "jobs" / "triage.yaml").write_text(json.dumps(job))
    if models_yaml is not None:
        (repo / "models.yaml").write_text(models_yaml)
    for name, count in (("train", training), ("validation", validation)):
        if count is not None:
            (repo / "data").mkdir(exist_ok=True)
            (repo / "data" / f"{name}.jsonl").write_text((GOOD_LINE + "\n") * count)
    if today:
        monkeypatch.setenv("GEMINI_TUNING_TODAY", today)
    monkeypatch.chdir(repo)
    code = main(["validate", *extra])
    return code, capsys.readouterr().out


# (case id, refused job, what validate says, the same job made valid)
REFUSED_WITH_CONTROL = [
    ("3x-region", {**JOB, "regions": ["us-central1", "asia-east1"]},
     "jobs/triage.yaml: regions.1: 'asia-east1' is not a supported tuning region of gemini-3.5-flash. "
     "Allowed: europe-west4, us-central1",
     {**JOB, "regions": ["us-central1", "europe-west4"]}),
    ("3x-lite-region", {**JOB, "baseModel": "gemini-3.1-flash-lite", "regions": ["us-east4"]},
     "jobs/triage.yaml: regions.0: 'us-east4' is not a supported tuning region of gemini-3.1-flash-lite",
     {**JOB, "baseModel": "gemini-3.1-flash-lite", "regions": ["europe-west4"]}),
    ("3x-cmek", {**JOB, "encryptionSpec": {"kmsKeyName": KEY}},
     "jobs/triage.yaml: encryptionSpec: gemini-3.5-flash does not support customer-managed encryption keys (CMEK)",
     JOB),
    ("3x-lite-cmek", {**JOB, "baseModel": "gemini-3.1-flash-lite", "encryptionSpec": {"kmsKeyName": KEY}},
     "jobs/triage.yaml: encryptionSpec: gemini-3.1-flash-lite does not support customer-managed encryption keys",
     {**JOB, "baseModel": "gemini-3.1-flash-lite"}),
    ("3x-adapter-size", {**JOB, "hyperParameters": {"adapterSize": 32}},
     "jobs/triage.yaml: hyperParameters.adapterSize: 32 is not supported for gemini-3.5-flash; allowed: 1, 2, 4, 8, 16",
     {**JOB, "hyperParameters": {"adapterSize": 2}}),
    ("2.5-pro-adapter-size", {**JOB, "baseModel": "gemini-2.5-pro", "hyperParameters": {"adapterSize": 16}},
     "jobs/triage.yaml: hyperParameters.adapterSize: 16 is not supported for gemini-2.5-pro; allowed: 1, 2, 4, 8",
     {**JOB, "baseModel": "gemini-2.5-pro", "hyperParameters": {"adapterSize": 8}}),
    ("unknown-model", {**JOB, "baseModel": "gemini-4-argon"},
     "jobs/triage.yaml: baseModel: 'gemini-4-argon' is not a base model this tool knows. Did you mean",
     JOB),
]


@pytest.mark.parametrize(("refused", "said", "control"), [c[1:] for c in REFUSED_WITH_CONTROL],
                         ids=[c[0] for c in REFUSED_WITH_CONTROL])
def test_each_rule_refuses_naming_file_and_field_and_its_control_is_accepted(
        tmp_path, monkeypatch, capsys, refused, said, control):
    code, output = validate(tmp_path, monkeypatch, capsys, refused)
    assert code == 1 and said in output, output
    code, output = validate(tmp_path, monkeypatch, capsys, control)
    assert code == 0, output
    assert said not in output


def test_what_google_does_not_publish_is_left_to_vertex(tmp_path, monkeypatch, capsys):
    # gemini-3.5-flash-lite: no adapter sizes, tuning regions or CMEK support published.
    code, output = validate(tmp_path, monkeypatch, capsys, {
        **JOB, "baseModel": "gemini-3.5-flash-lite", "regions": ["asia-east1"],
        "hyperParameters": {"adapterSize": 32}, "encryptionSpec": {"kmsKeyName": KEY}})
    assert code == 0, output


@pytest.mark.parametrize(("training", "validation", "said"), [
    pytest.param(3_000, 1_001, "jobs/triage.yaml: validationDataset: data/validation.jsonl: 1,001 examples; with "
                 "more than 1,000 validation examples, gemini-3.5-flash allows at most 30% of the training "
                 "file's 3,000 examples (900)", id="over-30-percent"),
    pytest.param(20_000, 5_001, "jobs/triage.yaml: validationDataset: data/validation.jsonl: 5,001 examples; a "
                 "validation set for gemini-3.5-flash may have at most 5,000", id="over-5000"),
])
def test_a_validation_set_is_held_to_5000_examples_and_30_percent_of_training(
        tmp_path, monkeypatch, capsys, training, validation, said):
    job = {**LOCAL, "validationDataset": "data/validation.jsonl"}
    code, output = validate(tmp_path, monkeypatch, capsys, job, training=training, validation=validation)
    assert code == 1 and said in output, output
    # Controls: 1,000 validation examples against any training set; 30% of it exactly.
    assert validate(tmp_path, monkeypatch, capsys, job, training=10, validation=1_000)[0] == 0
    assert validate(tmp_path, monkeypatch, capsys, job, training=training,
                    validation=min(5_000, int(training * 0.3)))[0] == 0


def test_a_row_in_models_yaml_makes_a_new_model_valid_with_its_limits_enforced(tmp_path, monkeypatch, capsys):
    argon = {**LOCAL, "baseModel": "gemini-4-argon", "regions": ["us-central1"]}

    code, output = validate(tmp_path, monkeypatch, capsys, argon, models_yaml=NEW_MODEL_ROW, training=3)
    assert code == 0, output
    assert "model gemini-4-argon: row from models.yaml (checked 2026-11-30)" in output

    for job, training, said in [
        ({**argon, "hyperParameters": {"adapterSize": 4}}, 3,
         "jobs/triage.yaml: hyperParameters.adapterSize: 4 is not supported for gemini-4-argon (row in "
         "models.yaml); allowed: 1, 2"),
        ({**argon, "regions": ["europe-west4"]}, 3,
         "jobs/triage.yaml: regions.0: 'europe-west4' is not a supported tuning region of gemini-4-argon "
         "(row in models.yaml). Allowed: us-central1"),
        (argon, 4, "jobs/triage.yaml: trainingDataset: data/train.jsonl: 4 examples; a text-only training file "
                   "for gemini-4-argon may have at most 3"),
    ]:
        code, output = validate(tmp_path, monkeypatch, capsys, job, models_yaml=NEW_MODEL_ROW, training=training)
        assert code == 1 and said in output, output

    code, output = validate(tmp_path, monkeypatch, capsys, argon, training=3, extra=("--json",))
    assert code == 1 and "'gemini-4-argon' is not a base model this tool knows" in output


def test_validate_says_which_file_each_models_row_came_from(tmp_path, monkeypatch, capsys):
    code, output = validate(tmp_path, monkeypatch, capsys, JOB, models_yaml=NEW_MODEL_ROW, extra=("--json",))
    assert code == 0
    assert json.loads(output)["models"] == {"gemini-3.5-flash": {
        "file": "providers/jobfile/catalogue.yaml", "checked": "2026-12-04",
        "sources": json.loads(output)["models"]["gemini-3.5-flash"]["sources"]}}
    assert all(s.startswith("https://") for s in json.loads(output)["models"]["gemini-3.5-flash"]["sources"])


@pytest.mark.parametrize(("models_yaml", "said", "fixed"), [
    pytest.param(NEW_MODEL_ROW.replace("adapterSizes:", "adapterSize:"),
                 "models.yaml: models.gemini-4-argon.adapterSize: unknown key; did you mean 'adapterSizes'?",
                 NEW_MODEL_ROW, id="unknown-key"),
    pytest.param(NEW_MODEL_ROW.replace("    checked: 2026-11-30\n", ""),
                 "models.yaml: models.gemini-4-argon.checked: required key is missing", NEW_MODEL_ROW, id="no-date"),
    pytest.param(NEW_MODEL_ROW.replace("maxTrainingExamples: 3", "maxTrainingExamples: '3'"),
                 "models.yaml: models.gemini-4-argon.maxTrainingExamples: Input should be a valid integer",
                 NEW_MODEL_ROW, id="string-for-number"),
    pytest.param(NEW_MODEL_ROW.replace("successor: null", "successor: gemini-5"),
                 "models.yaml: models.gemini-4-argon.successor: 'gemini-5' is not a model of the catalogue",
                 NEW_MODEL_ROW, id="unknown-successor"),
    pytest.param("models:\n  gemini-3.5-flash:\n    adapterSizes: [1, 2]\n",
                 "models.yaml: models.gemini-3.5-flash: a row that overrides the tool's row for gemini-3.5-flash "
                 "gives its own sources and checked",
                 "models:\n  gemini-3.5-flash:\n    adapterSizes: [1, 2, 4, 8, 16]\n"
                 "    sources: [our own test]\n    checked: 2026-12-01\n", id="override-without-source"),
    pytest.param("gemini-4-argon: {}\n", "models.yaml: models: models.yaml holds `models:`", NEW_MODEL_ROW,
                 id="no-models-key"),
])
def test_a_mistake_in_models_yaml_names_the_file_and_field(tmp_path, monkeypatch, capsys, models_yaml, said, fixed):
    code, output = validate(tmp_path, monkeypatch, capsys, JOB, models_yaml=models_yaml)
    assert code == 1 and said in output, output
    assert validate(tmp_path, monkeypatch, capsys, JOB, models_yaml=fixed)[0] == 0


def test_a_row_in_models_yaml_overrides_the_tools_key_by_key(tmp_path, monkeypatch, capsys):
    # Google extended gemini-2.5-flash, say: the repository says so before the tool's next release.
    extended = ("models:\n  gemini-2.5-flash:\n    retires: 2027-01-31\n"
                "    sources: [Google's mail to our account of 2026-12-01]\n    checked: 2026-12-01\n")
    job = {**JOB, "baseModel": "gemini-2.5-flash", "hyperParameters": {"adapterSize": 16}}

    code, output = validate(tmp_path, monkeypatch, capsys, job, models_yaml=extended)

    assert code == 0, output
    assert "model gemini-2.5-flash: row from models.yaml (checked 2026-12-01)" in output
    assert ("warning: jobs/triage.yaml: baseModel: gemini-2.5-flash retires on 2027-01-31 (in 58 days): "
            "since 2026-12-31" not in output)
    assert ("warning: jobs/triage.yaml: baseModel: gemini-2.5-flash retires on 2027-01-31 (in 58 days): from "
            "2026-12-31 Google blocks new access to it for tuning") in output


@pytest.mark.parametrize(("today", "said"), [
    pytest.param("2026-08-20", None, id="61-days-before"),
    pytest.param("2026-08-21", "warning: jobs/triage.yaml: baseModel: gemini-2.5-flash retires on 2026-10-20 "
                 "(in 60 days): from 2026-09-20 Google blocks new access to it for tuning, and its tuned models "
                 "stop serving with it. Move the job to gemini-3.5-flash.", id="60-days-before"),
    pytest.param("2026-09-20", "warning: jobs/triage.yaml: baseModel: gemini-2.5-flash retires on 2026-10-20 "
                 "(in 30 days): since 2026-09-20 Google blocks new access to it for tuning (a project that has "
                 "not tuned it before is refused)", id="tuning-blocked"),
    pytest.param("2026-10-20", "retires on 2026-10-20 (in 0 days)", id="last-day"),
    pytest.param("2026-10-21", "warning: jobs/triage.yaml: baseModel: gemini-2.5-flash retired on 2026-10-20: "
                 "a job already submitted on it stays tracked, but a new submission (a first submit, an edit "
                 "that replaces the job, or --replace) is refused", id="retired"),
])
def test_a_job_near_or_past_its_models_retirement_is_warned_with_the_date_and_successor(
        tmp_path, monkeypatch, capsys, today, said):
    code, output = validate(tmp_path, monkeypatch, capsys, {**JOB, "baseModel": "gemini-2.5-flash"}, today=today)
    assert code == 0, output
    warnings = [line for line in output.splitlines() if line.startswith("warning:")]
    if said is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and said in warnings[0], warnings


def test_a_today_that_is_not_a_date_is_named(tmp_path, monkeypatch, capsys):
    code, output = validate(tmp_path, monkeypatch, capsys, JOB, today="tomorrow")
    assert code == 1
    assert "GEMINI_TUNING_TODAY: 'tomorrow' is not a date: write YYYY-MM-DD" in output
