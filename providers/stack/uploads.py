"""Local data sets become Cloud Storage objects: the URIs a job is submitted with, and the upload.

A local data set is addressed by its content (`gs://BUCKET/datasets/SHA256/FILE`), so the
job's essence carries the content hash and changed data means a new job. Uploads happen
on `pulumi up` only, before the job is submitted; `preview` computes the URIs alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from providers.gcp.errors import VertexError
from providers.gcp.storage import upload_if_missing
from providers.jobfile.problems import Problem
from providers.stack.preflight import CheckedJob


@dataclass(frozen=True)
class Upload:
    """One local data set and the object it is uploaded to."""

    field: str
    path: str
    uri: str


def submitted_spec(job: CheckedJob, bucket: str) -> tuple[dict, list[Upload]]:
    """The job file as Vertex sees it (local data sets replaced by their URIs), and the uploads."""
    spec = job.spec.model_dump(by_alias=True, exclude_unset=True)
    uploads = []
    for dataset in job.local_datasets:
        uri = dataset.uri(bucket, dataset.sha256())
        spec[dataset.field] = uri
        uploads.append(Upload(dataset.field, str(dataset.path), uri))
    return spec, uploads


def upload(job: CheckedJob, uploads: list[Upload], project: str) -> list[Problem]:
    """Uploads what is not in Cloud Storage yet; a problem per upload that failed."""
    problems = []
    for item in uploads:
        try:
            upload_if_missing(item.path, item.uri, project)
        except VertexError as exc:
            problems.append(Problem(job.file, item.field, f"uploading to {item.uri}: {exc}; {exc.advice}"))
    return problems
