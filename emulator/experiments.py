"""The Vertex AI Experiment a tuning job reports (`TuningJob.experiment`).

Vertex names, for each running tuning job, an Experiment: a Vertex ML Metadata context
(`projects/P/locations/L/metadataStores/default/contexts/ID`) of schema
`system.Experiment`, which the Vertex AI SDK looks up with MetadataService.GetContext
(`vertexai.tuning.sft`'s `job.refresh()` does, for its experiment link). The emulator keeps
no metadata store: a job's experiment exists from the moment the job is RUNNING, and its
context is made from the job when asked for (`experiment_context`).
"""

from __future__ import annotations

from google.cloud.aiplatform_v1 import Context, TuningJob
from google.protobuf import struct_pb2

from emulator import names

__all__ = ["EXPERIMENT_SCHEMA_TITLE", "experiment_context", "experiment_of"]

EXPERIMENT_SCHEMA_TITLE = "system.Experiment"
_SCHEMA_VERSION = "0.0.1"
_CONTEXT_PREFIX = "tuning-experiment-"


def experiment_of(job_name: str) -> str:
    """The name of the experiment of tuning job `job_name`."""
    location = names.parse_child(job_name, "tuningJobs")
    return f"{location.name}/metadataStores/default/contexts/{_CONTEXT_PREFIX}{job_name.rsplit('/', 1)[1]}"


def experiment_context(job: TuningJob) -> Context:
    """The metadata context of `job`'s experiment, as GetContext answers it."""
    metadata = struct_pb2.Struct()
    metadata.update({"experiment_deleted": False})
    return Context(
        name=job.experiment,
        display_name=job.experiment.rsplit("/", 1)[1],
        schema_title=EXPERIMENT_SCHEMA_TITLE,
        schema_version=_SCHEMA_VERSION,
        metadata=metadata,
        create_time=job.start_time,
        update_time=job.start_time,
    )
