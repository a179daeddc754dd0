"""Prints the stack's `jobs` output (JSON on stdin) as a table: one row per job and region.

An optional argument is printed after the table while any job has not finished yet.
"""

import json
import sys

COLUMNS = ("job", "region", "state", "tuned model", "tuned-model endpoint", "serving endpoint")
FINISHED = {"SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED", "PARTIALLY_SUCCEEDED"}


def rows(jobs: dict) -> list[tuple[str, ...]]:
    return [
        (job, region, o["state"], o["tunedModel"] or "-", o["tunedModelEndpoint"] or "-", serving(o))
        for job, regions in sorted(jobs.items())
        for region, o in sorted(regions.items())
    ]


def serving(output: dict) -> str:
    if "servingEndpoint" not in output:
        return "-"
    endpoint_id = (output["servingEndpoint"] or "").rsplit("/", 1)[-1] or "?"
    split = ", ".join(f"{model.rsplit('/', 1)[-1]} {share}%"
                      for model, share in (output.get("trafficSplit") or {}).items())
    return f"{output['servingStatus']} endpoints/{endpoint_id}" + (f" ({split})" if split else "")


def main() -> None:
    job_rows = rows(json.load(sys.stdin))
    table = [COLUMNS, *job_rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    unfinished = [row for row in job_rows if row[2] not in FINISHED]
    if unfinished and len(sys.argv) > 1:
        print(f"\n{len(unfinished)} job(s) still queued or training. {sys.argv[1]}")


if __name__ == "__main__":
    main()
