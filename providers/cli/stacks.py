"""`python -m providers stacks [--changed-since REF] [--json] [--include-emulator]`.

The stacks a change affects, for CI to plan or update just those: every stack with a
`Pulumi.<stack>.yaml` (emulator stacks only with `--include-emulator`, or with
GEMINI_TUNING_EMULATOR_STACKS=include, for a job repository whose own CI plans on the
emulator), or with
`--changed-since REF`, those the files changed since REF's merge base with HEAD
(committed or not) touch:
- the program (`Pulumi.yaml`, `__main__.py`, `providers/`, `requirements.txt`): every stack;
- `Pulumi.<stack>.yaml`: that stack;
- a job file: the stacks it belongs to before and after the change (`stacks:`, or every
  stack when it names none);
- a local data set: the stacks of the job files that name it.
Prints one stack per line (nothing when none is affected), or a JSON list. Exits 2 when
git cannot tell what changed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from providers.jobfile.loading import JOB_FILE_PATTERNS, job_file_paths
from providers.stack.settings import STACK_FILE, known_stacks, stack_config

PROGRAM_FILES = ("Pulumi.yaml", "__main__.py", "requirements.txt")
EMULATOR_STACKS_VARIABLE = "GEMINI_TUNING_EMULATOR_STACKS"
PROGRAM_FOLDERS = ("providers/",)


class GitFailed(Exception):
    pass


def add_parser(commands) -> None:
    stacks = commands.add_parser("stacks", help="the stacks a change affects")
    stacks.add_argument("--changed-since", metavar="REF", help="only stacks that files changed since REF touch")
    stacks.add_argument("--json", action="store_true", help="a JSON list")
    stacks.add_argument("--include-emulator", action="store_true",
                        default=os.environ.get(EMULATOR_STACKS_VARIABLE) == "include",
                        help=f"also emulator stacks (useEmulator); also {EMULATOR_STACKS_VARIABLE}=include")
    stacks.add_argument("--jobs-dir", type=Path, default=Path("jobs"))
    stacks.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    root = Path.cwd()
    candidates = [s for s in known_stacks(root) if args.include_emulator or not is_emulator_stack(root, s)]
    try:
        affected = candidates if not args.changed_since else sorted(
            set(candidates) & affected_stacks(root, args.changed_since, args.jobs_dir, candidates))
    except GitFailed as exc:
        print(f"stacks: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(affected) if args.json else "\n".join(affected), end="\n" if affected or args.json else "")
    return 0


def is_emulator_stack(root: Path, stack: str) -> bool:
    config = stack_config(root, stack)
    return str(config.get("gemini-tuning:useEmulator", "")).lower() == "true"


def affected_stacks(root: Path, ref: str, jobs_dir: Path, every: list[str]) -> set[str]:
    base = _git(root, "merge-base", ref, "HEAD").strip()
    changed = [line for line in _git(root, "diff", "--name-only", base, "--").splitlines() if line]
    changed += [line for line in _git(root, "ls-files", "--others", "--exclude-standard").splitlines() if line]
    affected: set[str] = set()
    jobs_prefix = jobs_dir.as_posix().rstrip("/") + "/"
    for path in changed:
        if path in PROGRAM_FILES or path.startswith(PROGRAM_FOLDERS):
            return set(every)
        if match := STACK_FILE.fullmatch(path):
            affected.add(match["stack"])
        elif path.startswith(jobs_prefix) and any(Path(path).match(p) for p in JOB_FILE_PATTERNS):
            before = _git(root, "show", f"{base}:{path}", missing_ok=True)
            after = (root / path).read_text(encoding="utf-8") if (root / path).exists() else None
            affected |= _stacks_of(before, every) | _stacks_of(after, every)
    changed_data = {path for path in changed if path.endswith(".jsonl")}
    for job_file in job_file_paths(root / jobs_dir):
        text = job_file.read_text(encoding="utf-8")
        if any(path in text for path in changed_data):
            affected |= _stacks_of(text, every)
    return affected


def _stacks_of(text: str | None, every: list[str]) -> set[str]:
    """The stacks a job file's text belongs to; every stack when it names none or cannot be read."""
    if text is None:
        return set()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return set(every)
    stacks = data.get("stacks") if isinstance(data, dict) else None
    if not isinstance(stacks, list):
        return set(every)
    return {s for s in stacks if isinstance(s, str)}


def _git(root: Path, *args: str, missing_ok: bool = False) -> str | None:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        if missing_ok:
            return None
        raise GitFailed(f"git {' '.join(args)}: {result.stderr.strip() or result.returncode}")
    return result.stdout
