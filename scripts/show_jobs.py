"""Prints the stack's `jobs` output (JSON on stdin) as a table: one row per job and region."""

import json
import sys

COLUMNS = ("job", "region", "state", "tuned model", "tuned-model endpoint")


def rows(jobs: dict) -> list[tuple[str, ...]]:
    return [
        (job, region, o["state"], o["tunedModel"] or "-", o["tunedModelEndpoint"] or "-")
        for job, regions in sorted(jobs.items())
        for region, o in sorted(regions.items())
    ]


def main() -> None:
    table = [COLUMNS, *rows(json.load(sys.stdin))]
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


if __name__ == "__main__":
    main()
