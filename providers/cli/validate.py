"""`python -m providers validate [JOBS_DIR] [--stack NAME] [--json]`: every check before submission.

Runs the checks `pulumi preview` runs (job files, per-model rules, local data sets), with
no call to Google, for every stack a job belongs to, or for one (`--stack`): each problem
names the file, the stack whose view has it when not every view does, and the field.
Exits 0 when all are valid (warnings allowed), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from providers.stack.preflight import validate_jobs
from providers.stack.settings import known_stacks


def add_parser(commands) -> None:
    validate = commands.add_parser("validate", help="check job files and their local data sets")
    validate.add_argument("jobs_dir", nargs="?", default="jobs", type=Path)
    validate.add_argument("--stack", default="", help="check the jobs as this stack sees them (default: every stack)")
    validate.add_argument("--json", action="store_true", help="machine-readable report for CI")
    validate.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    root = Path.cwd()
    report = validate_jobs(args.jobs_dir, root, stack=args.stack, known_stacks=known_stacks(root))
    print(json.dumps(report.as_json(), indent=2) if args.json else report.as_text())
    return 0 if report.ok else 1
