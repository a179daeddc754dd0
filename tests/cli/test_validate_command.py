"""`python -m providers validate`: every broken input gets its own clear message and exit 1.

Each case is a jobs folder holding one job file (and, where named, a local data set);
the command must name the file, the field or line, and what is allowed, without a
traceback and without touching Vertex AI.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from providers.cli.main import main
from tests.support.pulumi_project import REPO_ROOT

GOOD_JOB = "name: triage\nbaseModel: gemini-3.5-flash\ntrainingDataset: gs://acme/train.jsonl\n"
LOCAL_JOB = "name: triage\nbaseModel: {model}\ntrainingDataset: data/train.jsonl\n"


def turn(role: str, *parts: dict) -> dict:
    return {"role": role, "parts": list(parts) or [{"text": "hello"}]}


def line(**example) -> str:
    return json.dumps(example)


GOOD_LINE = line(contents=[turn("user"), turn("model")])

# (case id, job file text, expected message)
JOB_CASES = [
    ("unknown-key", GOOD_JOB + "epochs: 3\n", "jobs/triage.yaml: epochs: unknown key"),
    ("misspelt-key", GOOD_JOB.replace("baseModel", "basemodel"), "did you mean 'baseModel'?"),
    ("missing-training", "name: triage\nbaseModel: gemini-3.5-flash\n", "jobs/triage.yaml: trainingDataset: required key is missing"),
    ("missing-name", "baseModel: gemini-3.5-flash\ntrainingDataset: gs://a/b\n", "jobs/triage.yaml: name: required key is missing"),
    ("uppercase-name", GOOD_JOB.replace("name: triage", "name: Triage"), "name: 'Triage' is not allowed"),
    ("name-too-long", GOOD_JOB.replace("name: triage", "name: " + "a" * 41), "name: String should have at most 40 characters"),
    ("unknown-model", GOOD_JOB.replace("gemini-3.5-flash", "gemini-9"), "baseModel: 'gemini-9' is not a base model this tool knows"),
    ("pro-adapter-8", GOOD_JOB.replace("gemini-3.5-flash", "gemini-1.5-pro-002") + "hyperParameters: {adapterSize: 8}\n", "adapterSize: 8 is not supported for gemini-1.5-pro-002; allowed: 1, 4"),
    ("pro-adapter-16", GOOD_JOB.replace("gemini-3.5-flash", "gemini-1.5-pro-002") + "hyperParameters: {adapterSize: 16}\n", "adapterSize: 16 is not supported for gemini-1.5-pro-002; allowed: 1, 4"),
    ("flash-adapter-2", GOOD_JOB.replace("gemini-3.5-flash", "gemini-1.5-flash-002") + "hyperParameters: {adapterSize: 2}\n", "allowed: 1, 4, 8, 16"),
    ("text-model-adapter", GOOD_JOB.replace("gemini-3.5-flash", "gemini-1.0-pro-002") + "hyperParameters: {adapterSize: 4}\n", "allowed: none (leave it unset)"),
    ("zero-epochs", GOOD_JOB + "hyperParameters: {epochCount: 0}\n", "epochCount: Input should be greater than 0"),
    ("negative-epochs", GOOD_JOB + "hyperParameters: {epochCount: -2}\n", "epochCount: Input should be greater than 0"),
    ("string-epochs", GOOD_JOB + "hyperParameters: {epochCount: '4'}\n", "epochCount: Input should be a valid integer"),
    ("zero-learning-rate", GOOD_JOB + "hyperParameters: {learningRateMultiplier: 0}\n", "learningRateMultiplier: Input should be greater than 0"),
    ("hyper-not-mapping", GOOD_JOB + "hyperParameters: 3\n", "hyperParameters: Input should be a valid dictionary"),
    ("unknown-hyper", GOOD_JOB + "hyperParameters: {batchSize: 3}\n", "hyperParameters.batchSize: unknown key"),
    ("unknown-serving-key", GOOD_JOB + "serving: {canary: 10}\n", "serving.canary: unknown key; did you mean 'canaryPercent'?"),
    ("canary-100", GOOD_JOB + "serving: {canaryPercent: 100}\n", "serving.canaryPercent: Input should be less than or equal to 99"),
    ("bad-deletion-policy", GOOD_JOB + "deletionPolicy: keep\n", "deletionPolicy: Input should be 'delete' or 'retain'"),
    ("unknown-region", GOOD_JOB + "regions: [mars-central1]\n", "regions.0: 'mars-central1' is not a supported tuning region"),
    ("duplicate-region", GOOD_JOB + "regions: [us-central1, us-central1]\n", "regions.1: 'us-central1' is listed twice"),
    ("empty-regions", GOOD_JOB + "regions: []\n", "regions: List should have at least 1 item"),
    ("region-not-list", GOOD_JOB + "regions: us-central1\n", "regions: Input should be a valid list"),
    ("http-dataset", GOOD_JOB.replace("gs://acme/train.jsonl", "https://acme/train.jsonl"), "'https://acme/train.jsonl': training_dataset_uri should be a GCS object of type JSONL"),
    ("bucket-only", GOOD_JOB.replace("gs://acme/train.jsonl", "gs://acme"), "'gs://acme': training_dataset_uri should be a GCS object of type JSONL"),
    ("csv-dataset", GOOD_JOB.replace("gs://acme/train.jsonl", "gs://acme/train.csv"), "'gs://acme/train.csv': training_dataset_uri should be a GCS object of type JSONL"),
    ("label-key-upper", GOOD_JOB + "labels: {Team: a}\n", "labels.Team: a label key is 1-63 lowercase letters"),
    ("label-value-space", GOOD_JOB + "labels: {team: 'a b'}\n", "labels.team: 'a b': a label value is at most 63"),
    ("label-value-long", GOOD_JOB + f"labels: {{team: {'a' * 64}}}\n", "a label value is at most 63"),
    ("label-reserved", GOOD_JOB + "labels: {gt-stack: x}\n", "labels.gt-stack: keys starting with 'gt-' are reserved"),
    ("display-name-long", GOOD_JOB + f"tunedModelDisplayName: {'x' * 129}\n", "tunedModelDisplayName: String should have at most 128"),
    ("empty-file", "", "jobs/triage.yaml: the file is empty"),
    ("list-file", "- name: triage\n", "jobs/triage.yaml: the file is a list"),
    ("scalar-file", "just words\n", "jobs/triage.yaml: the file is a str"),
    ("bad-yaml", "name: [triage\n", "jobs/triage.yaml: line 2, column 1: not valid YAML"),
    ("tab-indent", "name: triage\n\tbaseModel: x\n", "not valid YAML"),
    ("python-tag", "!!python/object/apply:os.system ['touch /tmp/pwned']\n", "not valid YAML: could not determine a constructor"),
    ("python-name-tag", GOOD_JOB + "description: !!python/name:os.system\n", "not valid YAML: could not determine a constructor"),
    ("absolute-path", GOOD_JOB.replace("gs://acme/train.jsonl", "/etc/passwd.jsonl"), "trainingDataset: '/etc/passwd.jsonl': write a path relative to the repository"),
    ("path-escape", GOOD_JOB.replace("gs://acme/train.jsonl", "../../etc/passwd.jsonl"), "trainingDataset: '../../etc/passwd.jsonl' is outside the repository"),
    ("missing-local-file", GOOD_JOB.replace("gs://acme/train.jsonl", "data/nope.jsonl"), "trainingDataset: 'data/nope.jsonl' does not exist"),
]

# (case id, data set lines, base model, expected message)
DATASET_CASES = [
    ("dataset-bad-json", ["{not json"], "gemini-3.5-flash", "data/train.jsonl: line 1:"),
    ("dataset-last-turn-user", [GOOD_LINE, line(contents=[turn("user")])], "gemini-3.5-flash", "data/train.jsonl: line 2: contents: the last turn must be the model's answer"),
    ("dataset-image-text-only-model", [line(contents=[turn("user", {"fileData": {"mimeType": "image/png", "fileUri": "gs://a/b.png"}}), turn("model")])], "gemini-1.0-pro-002", "data/train.jsonl: line 1:"),
    ("dataset-empty", [], "gemini-3.5-flash", "data/train.jsonl:"),
    ("dataset-wrong-role", [line(contents=[turn("assistant"), turn("model")])], "gemini-3.5-flash", "data/train.jsonl: line 1:"),
]


def run_validate(tmp_path, monkeypatch, capsys, job_text: str, data_lines=None) -> tuple[int, str]:
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    (jobs / "triage.yaml").write_text(job_text)
    if data_lines is not None:
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "train.jsonl").write_text("".join(l + "\n" for l in data_lines))
    monkeypatch.chdir(tmp_path)
    code = main(["validate", "jobs"])
    return code, capsys.readouterr().out


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in JOB_CASES], ids=[c[0] for c in JOB_CASES])
def test_a_broken_job_file_is_named_with_its_mistake(tmp_path, monkeypatch, capsys, text, expected):
    code, output = run_validate(tmp_path, monkeypatch, capsys, text)
    assert code == 1
    assert expected in output, output
    assert "Traceback" not in output


@pytest.mark.parametrize(("data", "model", "expected"), [c[1:] for c in DATASET_CASES],
                         ids=[c[0] for c in DATASET_CASES])
def test_a_broken_local_data_set_is_named_with_its_line(tmp_path, monkeypatch, capsys, data, model, expected):
    code, output = run_validate(tmp_path, monkeypatch, capsys, LOCAL_JOB.format(model=model), data)
    assert code == 1
    assert f"jobs/triage.yaml: trainingDataset: {expected}" in output, output


def test_a_job_file_that_is_not_utf8_is_refused(tmp_path, monkeypatch, capsys):
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "triage.yaml").write_bytes(b"name: \xff\xfe\n")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "jobs"]) == 1
    assert "jobs/triage.yaml: cannot read the file" in capsys.readouterr().out


def test_duplicate_names_are_reported_on_the_second_file(tmp_path, monkeypatch, capsys):
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "a.yaml").write_text(GOOD_JOB)
    (tmp_path / "jobs" / "b.yaml").write_text(GOOD_JOB)
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "jobs"]) == 1
    assert "jobs/b.yaml: name: 'triage' is already the name of jobs/a.yaml" in capsys.readouterr().out


def test_a_huge_job_file_is_refused_with_a_message(tmp_path, monkeypatch, capsys):
    code, output = run_validate(tmp_path, monkeypatch, capsys, GOOD_JOB + "description: " + "x" * 2_000_000 + "\n")
    assert code == 1
    assert "description: String should have at most 1000 characters" in output


def test_the_json_report_lists_each_problem_with_file_and_field(tmp_path, monkeypatch, capsys):
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "triage.yaml").write_text(GOOD_JOB + "epochs: 3\n")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "jobs", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert [(p["file"], p["field"]) for p in report["problems"]] == [("jobs/triage.yaml", "epochs")]


def test_the_repository_jobs_are_valid_and_the_command_exits_0_without_a_traceback():
    result = subprocess.run([sys.executable, "-m", "providers", "validate"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 valid, 0 with problems" in result.stdout


def test_the_command_line_prints_no_traceback_for_a_broken_file(tmp_path):
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "triage.yaml").write_text("!!python/object/apply:os.system ['true']\n")
    result = subprocess.run([sys.executable, "-m", "providers", "validate"], cwd=tmp_path,
                            env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "jobs/triage.yaml: line 1, column 1: not valid YAML" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_the_committed_json_schema_is_the_generated_one(capsys):
    assert main(["schema"]) == 0
    generated = json.loads(capsys.readouterr().out)
    committed = json.loads((REPO_ROOT / "schema" / "job.schema.json").read_text())
    assert generated == committed, "run: python -m providers schema > schema/job.schema.json"


def test_each_sample_job_names_the_schema_for_editors():
    for path in (REPO_ROOT / "jobs").glob("*.yaml"):
        assert path.read_text().startswith("# yaml-language-server: $schema=../schema/job.schema.json\n"), path


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=st.one_of(
    st.text(max_size=200),
    yaml_values.map(lambda v: json.dumps(v)),
    st.dictionaries(st.sampled_from(["name", "baseModel", "trainingDataset", "regions", "hyperParameters", "labels", "x"]),
                    yaml_values, max_size=6).map(lambda d: json.dumps(d)),
))
def test_random_yaml_never_crashes_the_loader(tmp_path, document):
    from providers.jobfile.loading import load_job_file
    from providers.jobfile.problems import JobFileError

    path = tmp_path / "random.yaml"
    path.write_bytes(document.encode("utf-8", "replace"))
    try:
        load_job_file(path, "jobs/random.yaml")
    except JobFileError as exc:
        assert all(str(p).startswith("jobs/random.yaml") for p in exc.problems)


STACKED_JOB = """name: triage
baseModel: gemini-3.5-flash
trainingDataset: gs://acme/train.jsonl
regions: [us-central1]
stacks: [staging, prod]
overrides:
  prod:
    regions: [us-central1, asia-east1]
"""


def stacked_project(tmp_path, monkeypatch, text: str = STACKED_JOB) -> None:
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "triage.yaml").write_text(text)
    for stack in ("dev", "staging", "prod"):
        (tmp_path / f"Pulumi.{stack}.yaml").write_text("config: {}\n")
    monkeypatch.chdir(tmp_path)


def test_validate_checks_every_stacks_view_and_names_the_stack(tmp_path, monkeypatch, capsys):
    stacked_project(tmp_path, monkeypatch)

    assert main(["validate"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "jobs/triage.yaml (stack prod): overrides.prod.regions.1: "
        "'asia-east1' is not a supported tuning region of gemini-3.5-flash. Allowed: europe-west4, us-central1",
        "1 job file(s) in jobs: 0 valid, 1 with problems (1 problem(s))",
    ]
    assert main(["validate", "--stack", "staging"]) == 0
    capsys.readouterr()
    assert main(["validate", "--stack", "prod", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    [problem] = report["problems"]
    assert report["stack"] == "prod"
    assert problem == {"file": "jobs/triage.yaml", "stack": "", "field": "overrides.prod.regions.1",
                       "message": "'asia-east1' is not a supported tuning region of gemini-3.5-flash. "
                                  "Allowed: europe-west4, us-central1",
                       "severity": "error"}


def test_warnings_are_shown_but_do_not_fail_validation(tmp_path, monkeypatch, capsys):
    stacked_project(tmp_path, monkeypatch, GOOD_JOB.replace("gemini-3.5-flash", "gemini-2.5-flash")
                    + "overrides: {qa: {regions: [europe-west4]}}\n")

    assert main(["validate"]) == 0
    output = capsys.readouterr().out
    assert "warning: jobs/triage.yaml: baseModel: gemini-2.5-flash retired on 2026-10-20" in output
    assert "warning: jobs/triage.yaml: overrides.qa: there is no stack 'qa' (no Pulumi.qa.yaml)" in output
