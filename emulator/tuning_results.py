"""What a tuning job leaves behind when it succeeds: a model version, its checkpoints and endpoints, evaluations.

As Vertex AI does it:
- the tuned model is registered in the Model Registry: version 1 of a new model, or, for
  a job that continues tuning a model (`pre_tuned_model`) and gives no other tuned model
  display name, the next version of that same model (`M@V+1`, see `emulator.model_registry`);
- with intermediate checkpoints (the default for models that have them, see
  `emulator.checkpoints`), each checkpoint is deployed to an endpoint of its own and listed
  in `tuned_model.checkpoints`; the last one is the model's default checkpoint and its
  endpoint is `tuned_model.endpoint`. With `export_last_checkpoint_only` only the last
  checkpoint is kept (on the model), and `tuned_model.checkpoints` stays empty: Vertex
  fills it only "for tuning jobs that enable intermediate checkpoints". Models without
  checkpoints get one endpoint and no checkpoint ids;
- with an `evaluation_config`, one evaluation run per checkpoint (`emulator.evaluation`).
Every endpoint and the model carry the job's labels and customer-managed key. Everything
is created the moment the job succeeds; Vertex deploys intermediate checkpoints while the
job still runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from google.cloud.aiplatform_v1 import (
    Checkpoint,
    DeployedModel,
    DeployedModelRef,
    Endpoint,
    Model,
    TunedModel,
    TunedModelCheckpoint,
    TuningJob,
)

from emulator import model_registry, names
from emulator.checkpoints import PlannedCheckpoint, plan_checkpoints
from emulator.data_stats import epochs_of, steps_per_epoch
from emulator.errors import NotFound
from emulator.evaluation import EvaluationScores, evaluation_runs
from emulator.lifecycle_rules import lifecycle_of
from emulator.base_models import base_model_id
from emulator.store import State

__all__ = ["base_model_of", "register_results"]

_FIRST_VERSION = "1"


def base_model_of(job: TuningJob) -> str:
    """The base model a job tunes: its own, or, for continuous tuning, its source's."""
    return job.base_model or job.pre_tuned_model.base_model


def register_results(state: State, job: TuningJob, at: datetime, scores: EvaluationScores) -> None:
    """Register what job `job`, succeeding at `at`, produced, and record it in the job's output fields."""
    location = names.parse_child(job.name, "tuningJobs")
    base_model = base_model_of(job)
    target = _target_model(state, job, base_model)
    model_name = target.name or location.child("models", state.new_id())
    spec = job.supervised_tuning_spec
    support = lifecycle_of(base_model)
    intermediate = support.checkpoints and not spec.export_last_checkpoint_only
    planned = plan_checkpoints(epochs_of(job), _steps_per_epoch(job), intermediate=intermediate) \
        if support.checkpoints else []
    # One endpoint per checkpoint with intermediate checkpoints, else one for the model.
    served: list[PlannedCheckpoint | None] = list(planned) if intermediate else [planned[-1] if planned else None]
    endpoints = [_endpoint(location.child("endpoints", state.new_id()), state.new_id(), model_name,
                           target.version_id, checkpoint, job, target.display_name, at)
                 for checkpoint in served]

    model = Model(
        name=model_name,
        version_id=target.version_id,
        display_name=target.display_name,
        labels=dict(job.labels),
        create_time=target.create_time or at,
        update_time=at,
        version_create_time=at,
        version_update_time=at,
        deployed_models=[DeployedModelRef(endpoint=endpoint.name, deployed_model_id=endpoint.deployed_models[0].id)
                         for endpoint in endpoints],
        checkpoints=[Checkpoint(checkpoint_id=c.checkpoint_id, epoch=c.epoch, step=c.step) for c in planned],
        default_checkpoint_id=planned[-1].checkpoint_id if planned else "",
    )
    if "encryption_spec" in job:
        model.encryption_spec = job.encryption_spec
    model_registry.add_version(state, model)
    for endpoint in endpoints:
        state.endpoints.put(endpoint)

    job.tuned_model = TunedModel(
        model=f"{model_name}@{target.version_id}",
        endpoint=endpoints[-1].name,
        checkpoints=[
            TunedModelCheckpoint(checkpoint_id=checkpoint.checkpoint_id, epoch=checkpoint.epoch,
                                 step=checkpoint.step, endpoint=endpoint.name)
            for checkpoint, endpoint in zip(planned, endpoints)
        ] if intermediate else [],
    )
    if "evaluation_config" in spec:
        job.evaluate_dataset_runs = evaluation_runs(
            job.name, target.display_name, spec.evaluation_config,
            [checkpoint.checkpoint_id for checkpoint in planned] or [""],
            iter(state.new_id, None), scores, dataset_uri=spec.validation_dataset_uri,
        )


@dataclass(frozen=True)
class _Target:
    """Where the tuned model goes: a model name ("" for a new model), its version, display name and birth."""

    name: str
    version_id: str
    display_name: str
    create_time: datetime | None = None


def _target_model(state: State, job: TuningJob, base_model: str) -> _Target:
    if "pre_tuned_model" in job:
        try:
            source = model_registry.resolve(state, job.pre_tuned_model.tuned_model_name)
        except NotFound:
            source = None  # deleted since the job was created: the tuned model starts a model of its own
        if source is not None and job.tuned_model_display_name in ("", source.display_name):
            latest = model_registry.versions(state, source.name)[-1]
            return _Target(source.name, str(int(latest.version_id) + 1), source.display_name, source.create_time)
        if source is not None:
            return _Target("", _FIRST_VERSION, job.tuned_model_display_name)
    return _Target("", _FIRST_VERSION, job.tuned_model_display_name or base_model_id(base_model))


def _steps_per_epoch(job: TuningJob) -> int:
    steps = job.tuning_data_stats.supervised_tuning_data_stats.tuning_step_count
    examples = job.tuning_data_stats.supervised_tuning_data_stats.tuning_dataset_example_count
    return steps // epochs_of(job) if steps else steps_per_epoch(examples)


def _endpoint(
    name: str, deployed_model_id: str, model_name: str, version_id: str, checkpoint: PlannedCheckpoint | None,
    job: TuningJob, display_name: str, at: datetime,
) -> Endpoint:
    endpoint = Endpoint(
        name=name,
        display_name=display_name,
        labels=dict(job.labels),
        create_time=at,
        update_time=at,
        deployed_models=[
            DeployedModel(
                id=deployed_model_id,
                model=model_name,
                model_version_id=version_id,
                display_name=display_name,
                create_time=at,
                checkpoint_id=checkpoint.checkpoint_id if checkpoint else "",
            )
        ],
        traffic_split={deployed_model_id: 100},
    )
    if "encryption_spec" in job:
        endpoint.encryption_spec = job.encryption_spec
    return endpoint
