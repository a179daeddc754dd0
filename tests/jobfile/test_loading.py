"""The job file's rules: each mistake is reported with its file, field and what is allowed."""

from __future__ import annotations

import pytest

from providers.jobfile.loading import load_job_file, load_jobs, parse_job
from providers.jobfile.problems import JobFileError

VALID = {
    "name": "support-triage",
    "baseModel": "gemini-3.5-flash",
    "trainingDataset": "gs://acme/train.jsonl",
}


def problems_of(data) -> list[str]:
    """The errors of a job file holding `data`, checked for every stack it belongs to."""
    with pytest.raises(JobFileError) as caught:
        load_jobs(_folder_with(data), root=_ROOT)
    return [str(p) for p in caught.value.problems]


_ROOT = None


@pytest.fixture(autouse=True)
def _scratch_root(tmp_path):
    global _ROOT
    _ROOT = tmp_path


def _folder_with(data: dict, name: str = "x.yaml"):
    import yaml

    jobs = _ROOT / "jobs"
    jobs.mkdir(exist_ok=True)
    (jobs / name).write_text(yaml.safe_dump(data))
    return jobs


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
        ({"baseModel": "gemini-3.5-flsh"}, "jobs/x.yaml: baseModel: 'gemini-3.5-flsh' is not a base model this tool knows. Did you mean 'gemini-3.5-flash'? Known: gemini-3.5-flash, gemini-3.5-flash-lite, gemini-3.1-flash-lite (retired: gemini-2.5-pro, gemini-2.5-flash, gemini-2.5-flash-lite, gemini-2.0-flash-001, gemini-2.0-flash-lite-001, gemini-1.5-pro-002, gemini-1.5-flash-002, gemini-1.0-pro-002). For a model Google added since this release, add its row to models.yaml at the repository's root"),
        ({"baseModel": "gemini-2.5-pro", "hyperParameters": {"adapterSize": 16}}, "jobs/x.yaml: hyperParameters.adapterSize: 16 is not supported for gemini-2.5-pro; allowed: 1, 2, 4, 8"),
        ({"baseModel": "gemini-2.0-flash-lite-001", "hyperParameters": {"adapterSize": 16}}, "jobs/x.yaml: hyperParameters.adapterSize: 16 is not supported for gemini-2.0-flash-lite-001; allowed: 1, 2, 4, 8"),
        ({"hyperParameters": {"adapterSize": 32}}, "jobs/x.yaml: hyperParameters.adapterSize: 32 is not supported for gemini-3.5-flash; allowed: 1, 2, 4, 8, 16"),
        ({"baseModel": "gemini-1.5-pro-002", "hyperParameters": {"adapterSize": 8}}, "jobs/x.yaml: hyperParameters.adapterSize: 8 is not supported for gemini-1.5-pro-002; allowed: 1, 4"),
        ({"baseModel": "gemini-1.0-pro-002", "hyperParameters": {"adapterSize": 4}}, "allowed: none (leave it unset)"),
        ({"hyperParameters": {"epochCount": 0}}, "jobs/x.yaml: hyperParameters.epochCount: Input should be greater than 0"),
        ({"hyperParameters": {"epochCount": "4"}}, "jobs/x.yaml: hyperParameters.epochCount: Input should be a valid integer"),
        ({"hyperParameters": {"learningRateMultiplier": 0}}, "hyperParameters.learningRateMultiplier: Input should be greater than 0"),
        ({"regions": ["us-centrall"]}, "jobs/x.yaml: regions.0: 'us-centrall' is not a supported tuning region of gemini-3.5-flash. Did you mean 'us-central1'? Allowed: europe-west4, us-central1"),
        ({"baseModel": "gemini-2.5-flash", "regions": ["us-centrall"]}, "jobs/x.yaml: regions.0: 'us-centrall' is not a supported tuning region. Did you mean 'us-central1'? Allowed: asia-east1"),
        ({"regions": ["us-central1", "us-central1"]}, "jobs/x.yaml: regions.1: 'us-central1' is listed twice"),
        ({"regions": []}, "jobs/x.yaml: regions: List should have at least 1 item"),
        ({"trainingDataset": "train.txt"}, "jobs/x.yaml: trainingDataset: 'train.txt': training_dataset_uri should be a GCS object of type JSONL (gs://BUCKET/OBJECT.jsonl), or write the path of a .jsonl file in the repository"),
        ({"trainingDataset": "gs://acme/train.csv"}, "jobs/x.yaml: trainingDataset: 'gs://acme/train.csv': training_dataset_uri should be a GCS object of type JSONL"),
        ({"validationDataset": "s3://a/b.jsonl"}, "jobs/x.yaml: validationDataset: 's3://a/b.jsonl': validation_dataset_uri should be a GCS object of type JSONL"),
        ({"encryptionSpec": {"kmsKeyName": "my-key"}}, "jobs/x.yaml: encryptionSpec.kmsKeyName: 'my-key' is not a Cloud KMS key name: write projects/PROJECT/locations/REGION/keyRings/RING/cryptoKeys/KEY"),
        ({"baseModel": "gemini-3.5-flash-lite", "regions": ["us-central1", "europe-west4"], "encryptionSpec": {"kmsKeyName": "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"}}, "jobs/x.yaml: encryptionSpec.kmsKeyName: the key is in us-central1, but Vertex AI needs a key in the job's own region (europe-west4); for a job in several regions write locations/{region}"),
        ({"encryptionSpec": {}}, "jobs/x.yaml: encryptionSpec.kmsKeyName: required key is missing"),
        ({"serviceAccount": "tuner"}, "jobs/x.yaml: serviceAccount: 'tuner' is not a service account e-mail address"),
        ({"labels": {"Team": "a"}}, "jobs/x.yaml: labels.Team: a label key is 1-63 lowercase letters"),
        ({"labels": {"team": "A B"}}, "jobs/x.yaml: labels.team: 'A B': a label value is at most 63"),
        ({"labels": {"gt-job": "x"}}, "jobs/x.yaml: labels.gt-job: keys starting with 'gt-' are reserved"),
        ({"labels": {f"k{i}": "v" for i in range(60)}}, "jobs/x.yaml: labels: 60 labels; at most 59 fit"),
        ({"stacks": []}, "jobs/x.yaml: stacks: List should have at least 1 item"),
        ({"stacks": ["prod/eu"]}, "jobs/x.yaml: stacks.0: String should match pattern"),
        ({"overrides": {"prod": {"name": "other"}}}, "jobs/x.yaml: overrides.prod.name: unknown key"),
        ({"overrides": {"prod": {"regions": ["mars-1"]}}}, "jobs/x.yaml (stack prod): overrides.prod.regions.0: 'mars-1' is not a supported tuning region"),
        ({"overrides": {"prod": {"hyperParameters": {"epochs": 2}}}}, "jobs/x.yaml: overrides.prod.hyperParameters.epochs: unknown key; did you mean 'epochCount'?"),
        ({"tunedModelDisplayName": "x" * 129}, "jobs/x.yaml: tunedModelDisplayName: String should have at most 128 characters"),
    ],
)
def test_each_mistake_names_file_field_and_what_is_allowed(change, expected):
    problems = problems_of({**VALID, **change})
    assert any(p.startswith(expected) or expected in p for p in problems), problems


def test_a_missing_required_key_is_named():
    assert problems_of({"name": "a"}) == [
        "jobs/x.yaml: baseModel: required key is missing (or give continueFrom, to continue tuning a tuned model)",
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
        (jobs / file_name).write_text("name: triage\nbaseModel: gemini-2.5-flash\ntrainingDataset: gs://b/t.jsonl\n")
    with pytest.raises(JobFileError) as caught:
        load_jobs(jobs, root=tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        "jobs/b.yaml: name: 'triage' is already the name of jobs/a.yaml; job names are unique"
    ]


def test_every_broken_file_in_the_folder_is_reported(tmp_path):
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    (jobs / "a.yaml").write_text("name: a\n")
    (jobs / "b.yml").write_text("name: b\nbaseModel: gemini-2.5-flash\ntrainingDataset: gs://b/t.jsonl\nfoo: 1\n")
    with pytest.raises(JobFileError) as caught:
        load_jobs(jobs, root=tmp_path)
    assert {p.file for p in caught.value.problems} == {"jobs/a.yaml", "jobs/b.yml"}


def test_the_sample_jobs_are_valid():
    from tests.support.pulumi_project import REPO_ROOT

    loaded = load_jobs(REPO_ROOT / "jobs", root=REPO_ROOT)
    assert {j.base_model for j in loaded.jobs} == {"gemini-3.5-flash", "gemini-3.1-flash-lite"}
    assert [j.spec.continue_from.job for j in loaded.jobs if j.spec.continue_from] == ["support-triage"]
    assert loaded.warnings == []
    # The demo's gate needs the demo's models.yaml row (Google documents no evaluation for 3.5 Flash).
    assert loaded.catalogue.origin("gemini-3.5-flash") == "models.yaml"


def test_a_retired_model_is_a_warning_not_an_error():
    loaded = load_jobs(_folder_with({**VALID, "baseModel": "gemini-1.5-flash-002"}), root=_ROOT)

    assert [j.spec.base_model for j in loaded.jobs] == ["gemini-1.5-flash-002"]
    assert [str(w) for w in loaded.warnings] == [
        "jobs/x.yaml: baseModel: gemini-1.5-flash-002 retired on 2025-09-24: a job already submitted on it "
        "stays tracked, but a new submission (a first submit, an edit that replaces the job, or --replace) "
        "is refused, and its tuned models stopped serving with it. Move the job to gemini-3.5-flash."
    ]
    assert {w.severity for w in loaded.warnings} == {"warning"}


def test_a_key_in_each_region_is_written_with_a_region_placeholder():
    spec = parse_job({**VALID, "baseModel": "gemini-3.5-flash-lite", "regions": ["us-central1", "europe-west4"],
                      "encryptionSpec": {"kmsKeyName": "projects/p/locations/{region}/keyRings/r/cryptoKeys/k"},
                      "serviceAccount": "tuner@acme.iam.gserviceaccount.com"}, "jobs/x.yaml")
    assert spec.encryption_spec.kms_key_name.endswith("/locations/{region}/keyRings/r/cryptoKeys/k")
    assert spec.service_account == "tuner@acme.iam.gserviceaccount.com"


STACKED = {**VALID, "regions": ["us-central1"], "hyperParameters": {"epochCount": 2, "adapterSize": 4},
           "stacks": ["staging", "prod"],
           "overrides": {"prod": {"regions": ["us-central1", "europe-west4"],
                                  "trainingDataset": "gs://acme/full.jsonl",
                                  "hyperParameters": {"epochCount": 5}}}}


def test_each_stack_sees_the_job_with_its_overrides():
    folder = _folder_with(STACKED)

    [staging] = load_jobs(folder, root=_ROOT, stack="staging").jobs
    [prod] = load_jobs(folder, root=_ROOT, stack="prod").jobs

    assert (staging.spec.regions, staging.spec.training_dataset) == (["us-central1"], "gs://acme/train.jsonl")
    assert (prod.spec.regions, prod.spec.training_dataset) == (["us-central1", "europe-west4"], "gs://acme/full.jsonl")
    # Mappings merge: prod keeps the job's adapter size and changes the epochs.
    assert (prod.spec.hyper_parameters.epoch_count, prod.spec.hyper_parameters.adapter_size) == (5, 4)
    assert (prod.stack, staging.stack) == ("prod", "staging")


def test_a_job_belongs_only_to_the_stacks_it_names():
    folder = _folder_with({**STACKED, "stacks": ["staging"], "overrides": {}})

    assert [j.spec.name for j in load_jobs(folder, root=_ROOT, stack="staging").jobs] == ["support-triage"]
    assert load_jobs(folder, root=_ROOT, stack="prod").jobs == []
    # Without `stacks:` a job belongs to every stack.
    assert len(load_jobs(_folder_with(VALID), root=_ROOT, stack="prod").jobs) == 1


def test_validating_every_stack_names_the_stack_whose_view_is_wrong_and_reports_shared_problems_once():
    folder = _folder_with({**STACKED, "hyperParameters": {"adapterSize": 32},
                           "overrides": {"prod": {"baseModel": "gemini-2.5-pro"}}})

    with pytest.raises(JobFileError) as caught:
        load_jobs(folder, root=_ROOT, known_stacks=["staging", "prod"])

    assert [str(p) for p in caught.value.problems] == [
        "jobs/x.yaml (stack staging): hyperParameters.adapterSize: 32 is not supported for gemini-3.5-flash; allowed: 1, 2, 4, 8, 16",
        "jobs/x.yaml (stack prod): hyperParameters.adapterSize: 32 is not supported for gemini-2.5-pro; allowed: 1, 2, 4, 8",
    ]
    with pytest.raises(JobFileError) as caught:
        load_jobs(_folder_with({**VALID, "regions": ["mars-1"]}), root=_ROOT, known_stacks=["staging", "prod"])
    assert [str(p) for p in caught.value.problems] == [
        "jobs/x.yaml: regions.0: 'mars-1' is not a supported tuning region of gemini-3.5-flash. Allowed: europe-west4, us-central1"
    ]


def test_an_override_for_a_stack_that_does_not_exist_is_a_warning():
    loaded = load_jobs(_folder_with({**VALID, "overrides": {"prdo": {"regions": ["europe-west4"]}}}),
                       root=_ROOT, known_stacks=["staging", "prod"])

    assert [str(w) for w in loaded.warnings] == [
        "jobs/x.yaml: overrides.prdo: there is no stack 'prdo' (no Pulumi.prdo.yaml)"]
    # Its view is still checked: the stack may be about to be made.
    assert sorted(j.stack for j in loaded.jobs) == ["prdo", "prod", "staging"]
