"""Command line: `python -m providers validate [JOBS_DIR] [--json]` and `python -m providers schema`.

`validate` runs every check `pulumi preview` runs, with no call to Vertex AI, and exits 0
when all job files are valid, 1 otherwise. `schema` prints the job file's JSON Schema.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from providers.jobfile.schema import json_schema
from providers.stack.preflight import validate_jobs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m providers")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check job files and their local data sets")
    validate.add_argument("jobs_dir", nargs="?", default="jobs", type=Path)
    validate.add_argument("--json", action="store_true", help="machine-readable report for CI")
    commands.add_parser("schema", help="print the job file's JSON Schema")
    args = parser.parse_args(argv)

    if args.command == "schema":
        print(json.dumps(json_schema(), indent=2))
        return 0
    report = validate_jobs(args.jobs_dir, Path.cwd())
    print(json.dumps(report.as_json(), indent=2) if args.json else report.as_text())
    return 0 if report.ok else 1

