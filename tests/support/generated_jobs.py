"""Many job files at once, for tests and benchmarks of what a run costs as jobs grow.

Jobs take the regions in turn, one region each; every third job of a region has a serving
endpoint. All train gemini-3.5-flash-lite (Google lists no tuning regions of its own for it, so all
three regions take it) on a gs:// data set, so nothing is uploaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

REGIONS = ("us-central1", "europe-west4", "asia-northeast1")


@dataclass(frozen=True)
class GeneratedJob:
    name: str
    region: str
    serving: bool


class JobWriter(Protocol):
    def write_job(self, name: str, **fields) -> object: ...


def write_generated_jobs(project: JobWriter, count: int) -> list[GeneratedJob]:
    """Writes `count` job files into `project` (a PulumiProject); returns what it wrote."""
    width = len(str(count - 1))
    jobs = [GeneratedJob(f"job-{index:0{width}d}", REGIONS[index % len(REGIONS)],
                         serving=(index // len(REGIONS)) % 3 == 0)
            for index in range(count)]
    for job in jobs:
        serving = {"serving": {"displayName": job.name}} if job.serving else {}
        project.write_job(job.name, baseModel="gemini-3.5-flash-lite", trainingDataset="gs://acme/train.jsonl",
                          hyperParameters={"epochCount": 2}, regions=[job.region], **serving)
    return jobs


def vertex_jobs(emulator, project_id: str) -> list:
    """Every tuning job the emulator holds in the generated jobs' regions."""
    client = emulator.tuning_client()
    return [job for region in REGIONS
            for job in client.list_tuning_jobs(parent=f"projects/{project_id}/locations/{region}")]
