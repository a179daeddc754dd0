"""`python -m providers COMMAND`: the commands people and CI run.

    validate   check job files and local data sets, no cloud calls (exit 1 on problems)
    plan       what `pulumi up` would do to a stack, why, and what it would cost
    status     every job's state, tuned model and serving endpoint (exit 1 when one FAILED)
    stacks     the stacks a change affects
    schema     print the job file's JSON Schema
"""

from __future__ import annotations

import argparse
import json

from providers.cli import plan, stacks, status, validate
from providers.jobfile.schema import json_schema


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m providers")
    commands = parser.add_subparsers(dest="command", required=True)
    for command in (validate, plan, status, stacks):
        command.add_parser(commands)
    commands.add_parser("schema", help="print the job file's JSON Schema").set_defaults(run=_schema)
    args = parser.parse_args(argv)
    return args.run(args)


def _schema(_args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(), indent=2))
    return 0
