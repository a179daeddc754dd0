"""Local data sets: JSONL files inside the repository that a job names instead of a gs:// URI.

A local data set is addressed by its content: it is uploaded as
`gs://BUCKET/datasets/SHA256/FILE` (BUCKET: the stack's `gemini-tuning:datasetBucket`),
so the job's essence carries the content hash and changed data means a new job. The
hash and the check report come from `providers.datasets.cache` while the file is unchanged.
Paths must stay inside the repository: absolute paths and paths that leave it (also
through symbolic links) are refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from providers.datasets.cache import UNCACHED, DatasetCache
from providers.datasets.check import DatasetReport
from providers.jobfile.catalogue import DatasetLimits
from providers.jobfile.fields import field_name
from providers.jobfile.schema import JobSpec

# (job-file key, JobSpec attribute, kind of data set)
DATASET_FIELDS = tuple((field_name(JobSpec, attribute), attribute, kind) for attribute, kind in (
    ("training_dataset", "training"),
    ("validation_dataset", "validation"),
))


def is_local(reference: str) -> bool:
    return not reference.startswith("gs://")


@dataclass(frozen=True)
class LocalDataset:
    field: str
    """The job file's key: trainingDataset or validationDataset."""
    kind: str
    """training or validation."""
    shown: str
    """The path as the job file writes it."""
    path: Path
    """The resolved file, inside the repository."""
    cache: DatasetCache = field(default=UNCACHED, compare=False, repr=False)
    """Where its digest and check reports are kept while it is unchanged."""

    def sha256(self) -> str:
        return self.cache.sha256(self.path)

    def check(self, model: str, rules: DatasetLimits | None = None) -> DatasetReport:
        """Is it fit to tune `model` (whose row is `rules`) on, as the kind of data set it is
        (problems name it as shown)."""
        return self.cache.check(self.path, model, self.kind, shown_name=self.shown, rules=rules)

    def uri(self, bucket: str, sha256: str) -> str:
        return f"gs://{bucket}/datasets/{sha256}/{self.path.name}"


def locate(shown: str, root: Path) -> Path:
    """The data set file for `shown`; ValueError saying what is wrong if it is not allowed."""
    if Path(shown).is_absolute():
        raise ValueError(f"{shown!r}: write a path relative to the repository, or a gs:// URI")
    root = root.resolve()
    path = (root / shown).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"{shown!r} is outside the repository; local data sets must be inside it")
    if not path.is_file():
        raise ValueError(f"{shown!r} does not exist (paths are relative to the repository root)")
    return path
