"""The job file's rules: each mistake is reported with its file, field and what is allowed."""

from __future__ import annotations

import pytest

from providers.jobfile.loading import load_job_file, load_jobs, parse_job
from providers.jobfile.problems import JobFileError

VALID = {
    "name": "support-triage",
    "baseModel": "gemini-1.5-flash-002",
    "trainingDataset": "gs://acme/train.jsonl",
}


def problems_of(data) -> list[str]:
    with pytest.raises(JobFileError) as caught:
        parse_job(data, "jobs/x.yaml")
    return [str(p) for p in caught.value.problems]


def test_a_minimal_job_is_valid_and_takes_defaults():
    spec = parse_job(VALID, "jobs/x.yaml")
    assert spec.regions is None
    assert spec.hyper_parameters.adapter_size is None
    assert spec.labels == {}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"baseModell": "x"}, "jobs/x.yaml: baseModell: unknown key; did you mean 'baseModel'?"),
        ({"hyperParameters": {"epochs": 3}}, "jobs/x.yaml: hyperParameters.epochs: unknown key; did you mean 'epochCount'?"),
        ({"name": "Support_Triage"}, "jobs/x.yaml: name: 'Support_Triage' is not allowed: use lowercase letters"),
        ({"baseModel": "gemini-1.5-flash"}, "jobs/x.yaml: baseModel: 'gemini-1.5-flash' is not a supported base model. Did you mean 'gemini-1.5-flash-002'?"),
        ({"baseModel": "gemini-1.5-pro-002", "hyperParameters": {"adapterSize": 8}}, "jobs/x.yaml: hyperParameters.adapterSize: 8 is not supported for gemini-1.5-pro-002; allowed: 1, 4"),
        ({"hyperParameters": {"adapterSize": 2}}, "jobs/x.yaml: hyperParameters.adapterSize: 2 is not supported for gemini-1.5-flash-002; allowed: 1, 4, 8, 16"),
        ({"baseModel": "gemini-1.0-pro-002", "hyperParameters": {"adapterSize": 4}}, "allowed: none (leave it unset)"),
        ({"hyperParameters": {"epochCount": 0}}, "jobs/x.yaml: hyperParameters.epochCount: Input should be greater than 0"),
        ({"hyperParameters": {"epochCount": "4"}}, "jobs/x.yaml: hyperParameters.epochCount: Input should be a valid integer"),
        ({"hyperParameters": {"learningRateMultiplier": 0}}, "hyperParameters.learningRateMultiplier: Input should be greater than 0"),
        ({"regions": ["us-centrall"]}, "jobs/x.yaml: regions.0: 'us-centrall' is not a supported tuning region. Did you mean 'us-central1'?"),
        ({"regions": ["us-central1", "us-central1"]}, "jobs/x.yaml: regions.1: 'us-central1' is listed twice"),
        ({"regions": []}, "jobs/x.yaml: regions: List should have at least 1 item"),
        ({"trainingDataset": "train.txt"}, "jobs/x.yaml: trainingDataset: 'train.txt' is neither a gs://BUCKET/OBJECT URI nor a path to a .jsonl file"),
        ({"validationDataset": "s3://a/b.jsonl"}, "jobs/x.yaml: validationDataset: 's3://a/b.jsonl' is neither a gs://BUCKET/OBJECT URI nor a path"),
        ({"labels": {"Team": "a"}}, "jobs/x.yaml: labels.Team: a label key is 1-63 lowercase letters"),
        ({"labels": {"team": "A B"}}, "jobs/x.yaml: labels.team: 'A B': a label value is at most 63"),
        ({"labels": {"gt-job": "x"}}, "jobs/x.yaml: labels.gt-job: keys starting with 'gt-' are reserved"),
        ({"labels": {f"k{i}": "v" for i in range(61)}}, "jobs/x.yaml: labels: 61 labels; at most 60 fit"),
        ({"tunedModelDisplayName": "x" * 129}, "jobs/x.yaml: tunedModelDisplayName: String should have at most 128 characters"),
    ],
)
def test_each_mistake_names_file_field_and_what_is_allowed(change, expected):
    problems = problems_of({**VALID, **change})
    assert any(p.startswith(expected) or expected in p for p in problems), problems


def test_a_missing_required_key_is_named():
    assert problems_of({"name": "a"}) == [
        "jobs/x.yaml: baseModel: required key is missing",
        "jobs/x.yaml: trainingDataset: required key is missing",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "jobs/x.yaml: the file is empty; a job file is a mapping of job fields"),
        ("- a\n- b\n", "jobs/x.yaml: the file is a list; a job file is a mapping of job fields"),
        ("name: [unclosed\n", "jobs/x.yaml: line 2, column 1: not valid YAML"),
        ("!!python/object/apply:os.system ['true']\n", "jobs/x.yaml: line 1, column 1: not valid YAML: could not determine a constructor"),
    ],
)
def test_files_that_are_not_job_mappings_are_refused(tmp_path, text, expected):
    path = tmp_path / "x.yaml"
    path.write_text(text)
    with pytest.raises(JobFileError) as caught:
        load_job_file(path, "jobs/x.yaml")
    assert str(caught.value).startswith(expected)


def test_names_are_unique_across_the_jobs_folder(tmp_path):
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    for file_name in ("a.yaml", "b.yaml"):
        (jobs / file_name).write_text("name: triage\nbaseModel: gemini-1.5-flash-002\ntrainingDataset: gs://b/t.jsonl\n")
    with pytest.raises(JobFileError) as caught:
        load_jobs(jobs, root=tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        "jobs/b.yaml: name: 'triage' is already the name of jobs/a.yaml; job names are unique"
    ]


def test_every_broken_file_in_the_folder_is_reported(tmp_path):
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    (jobs / "a.yaml").write_text("name: a\n")
    (jobs / "b.yml").write_text("name: b\nbaseModel: gemini-1.5-flash-002\ntrainingDataset: gs://b/t\nfoo: 1\n")
    with pytest.raises(JobFileError) as caught:
        load_jobs(jobs, root=tmp_path)
    assert {p.file for p in caught.value.problems} == {"jobs/a.yaml", "jobs/b.yml"}


def test_the_sample_jobs_are_valid():
    from tests.support.pulumi_project import REPO_ROOT

    loaded = load_jobs(REPO_ROOT / "jobs", root=REPO_ROOT)
    assert {j.spec.base_model for j in loaded} == {"gemini-1.5-flash-002", "gemini-1.5-pro-002"}
    assert len({tuple(j.spec.regions) for j in loaded}) == 2
