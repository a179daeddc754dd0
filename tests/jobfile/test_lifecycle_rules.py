"""The job-file language of the tuning lifecycle: continuing jobs, checkpoints, evaluation and gates.

Every refusal names the file, the field and what is allowed, and is paired with its control
(the same files made valid pass), so a refusal can only come from the rule it is about.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from providers.jobfile.lineage import in_order
from providers.jobfile.loading import load_jobs
from providers.jobfile.problems import JobFileError
from providers.stack.preflight import check_stack, validate_jobs
from providers.stack.settings import StackSettings

SOURCE = {"name": "triage", "baseModel": "gemini-3.5-flash", "regions": ["us-central1"],
          "trainingDataset": "gs://acme/train.jsonl"}
MORE = {"name": "more", "continueFrom": {"job": "triage"}, "regions": ["us-central1"],
        "trainingDataset": "gs://acme/more.jsonl"}
EVALUATION = {"metrics": ["rouge_1"], "outputUriPrefix": "gs://acme/evaluations"}
EVALUATED = {"name": "gated", "baseModel": "gemini-2.5-flash", "regions": ["us-central1"],
             "trainingDataset": "gs://acme/train.jsonl", "evaluation": EVALUATION,
             "serving": {"promoteWhen": {"metric": "rouge_1", "atLeast": 0.5}}}
KEY = "projects/acme/locations/{region}/keyRings/tuning/cryptoKeys/jobs"


@pytest.fixture(autouse=True)
def _before_the_2_5_models_retired(monkeypatch):
    """Evaluation is documented for the 2.5 models only: test them while they were offered."""
    monkeypatch.setenv("GEMINI_TUNING_TODAY", "2026-09-01")


def repository(tmp_path: Path, *jobs: dict, models_yaml: str | None = None) -> Path:
    root = tmp_path / f"repo-{len(list(tmp_path.iterdir()))}"
    (root / "jobs").mkdir(parents=True)
    for job in jobs:
        (root / "jobs" / f"{job['name']}.yaml").write_text(yaml.safe_dump(job))
    if models_yaml is not None:
        (root / "models.yaml").write_text(models_yaml)
    return root


def problems(tmp_path: Path, *jobs: dict, models_yaml: str | None = None, default_region: str = "") -> list[str]:
    root = repository(tmp_path, *jobs, models_yaml=models_yaml)
    report = validate_jobs(root / "jobs", root, default_region=default_region)
    return [str(p) for p in report.problems]


def test_a_continuing_job_follows_its_sources_base_model(tmp_path):
    loaded = load_jobs(repository(tmp_path, SOURCE, MORE, {**MORE, "name": "even-more",
                                                           "continueFrom": {"job": "more"}}) / "jobs")
    assert {job.spec.name: job.base_model for job in loaded.jobs} == {
        "triage": "gemini-3.5-flash", "more": "gemini-3.5-flash", "even-more": "gemini-3.5-flash"}
    # Its model's rules hold: gemini-3.5-flash takes no adapter size 32.
    assert problems(tmp_path, SOURCE, {**MORE, "hyperParameters": {"adapterSize": 32}}) == [
        "jobs/more.yaml: hyperParameters.adapterSize: 32 is not supported for gemini-3.5-flash (the base model "
        "of the model it continues); allowed: 1, 2, 4, 8, 16"]


def test_a_model_named_outright_is_not_known_offline_and_vertex_decides(tmp_path):
    named = {**MORE, "continueFrom": {"model": "projects/acme/locations/us-central1/models/42@3", "checkpoint": 2},
             "hyperParameters": {"adapterSize": 32}}
    root = repository(tmp_path, named)
    [job] = load_jobs(root / "jobs").jobs
    assert job.base_model is None and job.spec.continue_from.checkpoint == "2"
    assert validate_jobs(root / "jobs", root).problems == []


@pytest.mark.parametrize(("jobs", "expected"), [
    pytest.param([{**SOURCE, "name": "both", "continueFrom": {"job": "triage"}}, SOURCE],
                 "jobs/both.yaml: continueFrom: a job tunes a base model or continues a tuned model, not both: "
                 "remove baseModel", id="both"),
    pytest.param([{k: v for k, v in SOURCE.items() if k != "baseModel"}],
                 "jobs/triage.yaml: baseModel: required key is missing (or give continueFrom", id="neither"),
    pytest.param([{**MORE, "continueFrom": {}}, SOURCE],
                 "jobs/more.yaml: continueFrom: give one of job (a job of this stack, whose tuned model it "
                 "continues) or model (projects/P/locations/L/models/M@VERSION)", id="no-source"),
    pytest.param([MORE], "jobs/more.yaml: continueFrom.job: 'triage' is not a job of this stack; a job continues "
                         "the tuned model of one of its jobs: more", id="missing"),
    pytest.param([{**MORE, "continueFrom": {"job": "other"}}, {**MORE, "name": "other", "continueFrom": {"job": "more"}}],
                 "jobs/more.yaml: continueFrom.job: a cycle: more → other → more. A chain of continued jobs starts "
                 "from a job with a baseModel", id="cycle"),
    pytest.param([{**MORE, "regions": ["us-central1", "europe-west4"]}, SOURCE],
                 "jobs/more.yaml: regions: triage (jobs/triage.yaml) tunes in us-central1 only, so there is no tuned "
                 "model of it to continue in europe-west4", id="region"),
    pytest.param([{**MORE, "continueFrom": {"model": "projects/acme/locations/europe-west4/models/42"}}],
                 "jobs/more.yaml: continueFrom.model: the model is in europe-west4, but the job runs in "
                 "us-central1", id="model-region"),
    pytest.param([{**MORE, "continueFrom": {"job": "legacy"}, "encryptionSpec": {"kmsKeyName": KEY}},
                  {**SOURCE, "name": "legacy", "baseModel": "gemini-2.5-pro"}],
                 "jobs/more.yaml: encryptionSpec.kmsKeyName: Vertex AI continues a tuned model only with the "
                 "customer-managed key its tuning job used: legacy (jobs/legacy.yaml) uses none (Google-managed "
                 "encryption), this job projects/acme/locations/us-central1/keyRings/tuning/cryptoKeys/jobs",
                 id="key"),
    pytest.param([{**MORE, "continueFrom": {"job": "old"}}, {**SOURCE, "name": "old", "baseModel": "gemini-2.0-flash-001"}],
                 "jobs/more.yaml: continueFrom: Google does not document that gemini-2.0-flash-001 continues tuning "
                 "of its tuned models (it does for gemini-2.5-pro, gemini-3.1-flash-lite, gemini-3.5-flash)",
                 id="no-continuous-tuning"),
    pytest.param([MORE, {**SOURCE, "hyperParameters": {"adapterSize": 3}}],
                 "jobs/more.yaml: continueFrom.job: 'triage' has problems (see jobs/triage.yaml); nothing of a chain "
                 "of continued jobs is submitted until they are fixed", id="broken-source"),
])
def test_what_a_continuing_job_may_continue_from(tmp_path, jobs, expected):
    found = problems(tmp_path, *jobs)
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize("jobs", [
    pytest.param([MORE, SOURCE], id="source"),
    pytest.param([{**MORE, "regions": None}, {**SOURCE, "regions": None}], id="both-in-the-stacks-region"),
    pytest.param([{**MORE, "continueFrom": {"job": "legacy"}, "encryptionSpec": {"kmsKeyName": KEY}},
                  {**SOURCE, "name": "legacy", "baseModel": "gemini-2.5-pro", "encryptionSpec": {"kmsKeyName": KEY}}],
                 id="same-key"),
    pytest.param([{**MORE, "continueFrom": {"model": "projects/acme/locations/us-central1/models/42"}}], id="model"),
])
def test_the_same_continuing_jobs_made_valid_pass(tmp_path, jobs):
    assert problems(tmp_path, *[{k: v for k, v in job.items() if v is not None} for job in jobs]) == []


def test_a_source_in_the_stacks_region_is_compared_with_the_stacks_region(tmp_path):
    source = {k: v for k, v in SOURCE.items() if k != "regions"}
    elsewhere = {**MORE, "regions": ["europe-west4"]}
    assert problems(tmp_path, source, elsewhere) == []  # the stack's region is not known to `validate`
    assert problems(tmp_path, source, elsewhere, default_region="us-central1") == [
        "jobs/more.yaml: regions: triage (jobs/triage.yaml) tunes in us-central1 only, so there is no tuned model "
        "of it to continue in europe-west4: a continuing job runs in its source's regions"]


def test_a_source_of_another_stack_is_not_this_stacks(tmp_path):
    root = repository(tmp_path, {**SOURCE, "stacks": ["staging"]}, {**MORE, "stacks": ["dev"]})
    found = [str(p) for p in validate_jobs(root / "jobs", root, stack="dev").problems]
    assert found == ["jobs/more.yaml: continueFrom.job: 'triage' is not a job of this stack; a job continues the "
                     "tuned model of one of its jobs: more"]
    found = [str(p) for p in validate_jobs(root / "jobs", root, known_stacks=["dev", "staging"]).problems]
    assert found == ["jobs/more.yaml (stack dev): continueFrom.job: 'triage' is not a job of this stack (its file, "
                     "jobs/triage.yaml, belongs to other stacks)"]


def test_jobs_are_declared_after_the_job_they_continue():
    from providers.jobfile.schema import JobSpec

    specs = {job["name"]: JobSpec.model_validate(job) for job in (
        {**MORE, "name": "a", "continueFrom": {"job": "b"}}, {**MORE, "name": "b"}, SOURCE, {**SOURCE, "name": "c"})}
    assert in_order(specs) == ("c", "triage", "b", "a")


@pytest.mark.parametrize(("job", "expected"), [
    pytest.param({**EVALUATED, "baseModel": "gemini-3.5-flash"},
                 "jobs/gated.yaml: evaluation: Google documents no evaluation during tuning for gemini-3.5-flash (it "
                 "does for gemini-2.5-flash (us-central1), gemini-2.5-flash-lite (us-central1), gemini-2.5-pro "
                 "(us-central1)): remove evaluation, or, if Vertex AI offers it to your project, give "
                 "gemini-3.5-flash's row evaluationRegions in models.yaml", id="not-documented"),
    pytest.param({**EVALUATED, "regions": ["europe-west4"]},
                 "jobs/gated.yaml: evaluation: gemini-2.5-flash evaluates while tuning in us-central1 only, not in "
                 "europe-west4", id="region"),
    pytest.param({**EVALUATED, "evaluation": {**EVALUATION, "metrics": ["rouge_1", "rouge_l", "bleu"]}},
                 "jobs/gated.yaml: evaluation.metrics: rouge_1 and rouge_l are both ROUGE scores, which Vertex AI "
                 "reports without the metric's name: ask for one metric of a kind", id="two-of-a-kind"),
    pytest.param({**EVALUATED, "evaluation": {**EVALUATION, "metrics": ["pointwise"]}},
                 "jobs/gated.yaml: evaluation.metrics.0: Input should be 'bleu', 'exact_match', 'rouge_1'",
                 id="unknown-metric"),
    pytest.param({**EVALUATED, "evaluation": {**EVALUATION, "outputUriPrefix": "/tmp/out"}},
                 "jobs/gated.yaml: evaluation.outputUriPrefix: String should match pattern", id="prefix"),
    pytest.param({k: v for k, v in EVALUATED.items() if k != "evaluation"},
                 "jobs/gated.yaml: serving.promoteWhen: a gate reads the job's evaluation scores: add evaluation "
                 "(metrics: [rouge_1], outputUriPrefix: gs://...), or remove promoteWhen", id="gate-without-evaluation"),
    pytest.param({**EVALUATED, "serving": {"promoteWhen": {"metric": "bleu"}}},
                 "jobs/gated.yaml: serving.promoteWhen.metric: 'bleu' is not one of evaluation.metrics (rouge_1)",
                 id="gate-metric"),
    pytest.param({**EVALUATED, "serving": {"promoteWhen": {"metric": "rouge_1", "atLeast": 1.5}}},
                 "jobs/gated.yaml: serving.promoteWhen.atLeast: Input should be less than or equal to 1",
                 id="gate-range"),
    pytest.param({**EVALUATED, "serving": {"checkpoint": "best"}},
                 "jobs/gated.yaml: serving.checkpoint: best is the checkpoint with the best score of "
                 "serving.promoteWhen.metric: add promoteWhen", id="best-without-gate"),
    pytest.param({**EVALUATED, "exportLastCheckpointOnly": True, "serving": {"checkpoint": 2}},
                 "jobs/gated.yaml: serving.checkpoint: checkpoint '2': with exportLastCheckpointOnly the job keeps "
                 "its last checkpoint only", id="id-without-checkpoints"),
    pytest.param({**EVALUATED, "baseModel": "gemini-1.5-flash-002", "evaluation": None, "serving": None,
                  "exportLastCheckpointOnly": True},
                 "jobs/gated.yaml: exportLastCheckpointOnly: Google does not document that gemini-1.5-flash-002 saves "
                 "intermediate checkpoints", id="no-checkpoints"),
])
def test_evaluation_checkpoints_and_gates_where_the_model_offers_them(tmp_path, job, expected):
    found = problems(tmp_path, {k: v for k, v in job.items() if v is not None})
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize("job", [
    pytest.param(EVALUATED, id="gate"),
    pytest.param({**EVALUATED, "serving": {"checkpoint": "best", "promoteWhen": {"metric": "rouge_1"}}}, id="best"),
    pytest.param({**EVALUATED, "serving": {"checkpoint": 2}}, id="id"),
    pytest.param({**EVALUATED, "exportLastCheckpointOnly": True,
                  "evaluation": {**EVALUATION, "metrics": ["rouge_1", "bleu", "exact_match"]}}, id="kinds"),
])
def test_the_same_made_valid_passes(tmp_path, job):
    assert problems(tmp_path, job) == []


def test_a_repository_whose_project_has_evaluation_offers_it_in_models_yaml(tmp_path):
    on_3_5 = {**EVALUATED, "baseModel": "gemini-3.5-flash"}
    row = ("models:\n  gemini-3.5-flash:\n    evaluationRegions: [us-central1]\n"
           "    sources: ['our account team, 2026-11-30']\n    checked: 2026-11-30\n")
    assert problems(tmp_path, on_3_5, models_yaml=row) == []


def test_evaluation_in_the_stacks_region_is_checked_against_it(tmp_path):
    root = repository(tmp_path, {k: v for k, v in EVALUATED.items() if k != "regions"})

    def stack_problems(region: str) -> list[str]:
        settings = StackSettings("gemini-tuning", "dev", "0123456789ab", "acme", region, "", False,
                                 root / "jobs", True)
        return [str(p) for p in check_stack(settings, root).problems]

    assert stack_problems("us-central1") == []
    assert stack_problems("europe-west4") == [
        "jobs/gated.yaml: evaluation: no regions, so the stack's gcp:region: gemini-2.5-flash evaluates while "
        "tuning in us-central1 only, not in europe-west4: tune it there, or remove evaluation"]


def test_every_problem_of_a_chain_is_reported_at_once(tmp_path):
    with pytest.raises(JobFileError) as caught:
        load_jobs(repository(tmp_path, {**MORE, "hyperParameters": {"adapterSize": 3},
                                        "regions": ["us-central1", "europe-west4"]}, SOURCE) / "jobs")
    assert [p.field for p in caught.value.problems] == ["regions", "hyperParameters.adapterSize"]


def test_a_job_of_every_stack_is_a_source_for_a_job_of_one_stack(tmp_path):
    """Before any stack exists, a file without `stacks:` is checked for any stack at all."""
    assert problems(tmp_path, SOURCE, {**MORE, "stacks": ["dev"]}) == []
    found = problems(tmp_path, {**SOURCE, "hyperParameters": {"adapterSize": 3}}, {**MORE, "stacks": ["dev"]})
    assert found[1] == ("jobs/more.yaml (stack dev): continueFrom.job: 'triage' has problems (see jobs/triage.yaml); "
                        "nothing of a chain of continued jobs is submitted until they are fixed")
