"""The workflows' `paths` filters let through every change that affects a stack.

What affects a stack is what `python -m providers stacks --changed-since` maps to one
(`providers.cli.stacks`): the program, the stacks' settings, job files, and local data sets
(`.jsonl` files anywhere in the repository). Each file of a small repository is changed in
turn, the command's own function says which stacks the change affects, and every change
that affects one must start both the plan of a pull request and the deploy of a merge; a
change that gets no plan would reach the stacks unseen.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from providers.cli.stacks import affected_stacks
from tests.gitops.workflows import workflows

STACKS = ["prod", "staging"]
FILES = {
    "Pulumi.yaml": "name: gemini-tuning\n",
    "Pulumi.staging.yaml": "config:\n  gcp:project: s\n",
    "Pulumi.prod.yaml": "config:\n  gcp:project: p\n",
    "__main__.py": "# the program\n",
    "requirements.txt": "pulumi\n",
    "providers/resources/job.py": "# the tool\n",
    "jobs/triage.yaml": "name: triage\nbaseModel: gemini-2.5-flash\ntrainingDataset: data/support/train.jsonl\n",
    "jobs/summaries.yml": "name: summaries\nbaseModel: gemini-2.5-flash\ntrainingDataset: eval.jsonl\n"
                                 "stacks: [prod]\n",
    "data/support/train.jsonl": "{}\n",
    "eval.jsonl": "{}\n",
    "README.md": "words\n",
    "docs/architecture.md": "words\n",
}
ADDED = {"jobs/new.yaml": "name: new\nbaseModel: gemini-2.5-flash\ntrainingDataset: gs://b/t.jsonl\n"}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=root,
                   check=True, capture_output=True)


def matches(pattern: str, path: str) -> bool:
    """GitHub's filter pattern syntax: `**` any characters, `*` any but `/`, `?` one but `/`."""
    expression = "".join(".*" if part == "**" else "[^/]*" if part == "*" else "[^/]" if part == "?"
                         else re.escape(part) for part in re.split(r"(\*\*|\*|\?)", pattern))
    return re.fullmatch(expression, path) is not None


def filtered_out_by(path: str) -> list[str]:
    """The workflows whose `paths` filter does not let a change of `path` through."""
    documents = workflows()
    filters = {"plan.yml": documents["plan.yml"]["on"]["pull_request"]["paths"],
               "deploy.yml": documents["deploy.yml"]["on"]["push"]["paths"]}
    return [name for name, patterns in filters.items() if not any(matches(p, path) for p in patterns)]


@pytest.fixture(scope="module")
def repository(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("repository")
    for path, text in FILES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "main")
    return root


CHANGES = [(path, "edited") for path in FILES] + [(path, "deleted") for path in FILES if path.endswith(
    (".yaml", ".yml", ".jsonl"))] + [(path, "added") for path in ADDED]


@pytest.mark.parametrize(("path", "change"), CHANGES, ids=[f"{change} {path}" for path, change in CHANGES])
def test_every_change_that_affects_a_stack_starts_the_plan_and_the_deploy(repository, path, change):
    target = repository / path
    if change == "edited":
        target.write_text(target.read_text() + "\n")
    elif change == "deleted":
        target.unlink()
    else:
        target.write_text(ADDED[path])
    try:
        affected = affected_stacks(repository, "main", Path("jobs"), STACKS)
    finally:
        git(repository, "checkout", "--quiet", "--", ".")
        git(repository, "clean", "--quiet", "-fd")

    if path in ("README.md", "docs/architecture.md"):
        assert affected == set(), "the repository's other files affect nothing"
        return
    assert affected, f"{change} {path} should affect a stack"
    assert filtered_out_by(path) == [], f"a change of {path} affects {sorted(affected)} but starts no run there"


@pytest.mark.parametrize(("pattern", "path", "expected"), [
    ("**.jsonl", "data/support/train.jsonl", True), ("**.jsonl", "eval.jsonl", True),
    ("jobs/**", "jobs/a/b.yml", True), ("Pulumi.*.yaml", "Pulumi.prod.yaml", True),
    ("Pulumi.*.yaml", "nested/Pulumi.prod.yaml", False), ("providers/**", "providersx/a.py", False),
    ("__main__.py", "tools/__main__.py", False),
])
def test_the_filter_syntax_as_github_reads_it(pattern, path, expected):
    assert matches(pattern, path) is expected
