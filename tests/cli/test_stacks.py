"""`python -m providers stacks`: the stacks a change affects."""

from __future__ import annotations

import subprocess

import pytest

from providers.cli.main import main

JOB = "name: {name}\nbaseModel: gemini-2.5-flash\ntrainingDataset: {data}\n"


def git(root, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=root,
                   check=True, capture_output=True)


@pytest.fixture
def repository(tmp_path, monkeypatch):
    for stack, config in (("dev", 'gemini-tuning:useEmulator: "true"'), ("staging", "gcp:project: s"),
                          ("prod", "gcp:project: p")):
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(f"config:\n  {config}\n")
    (tmp_path / "Pulumi.yaml").write_text("name: gemini-tuning\n")
    (tmp_path / "jobs").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.jsonl").write_text("{}\n")
    (tmp_path / "jobs" / "everywhere.yaml").write_text(JOB.format(name="everywhere", data="gs://b/t.jsonl"))
    (tmp_path / "jobs" / "staged.yaml").write_text(
        JOB.format(name="staged", data="data/train.jsonl") + "stacks: [staging]\n")
    git(tmp_path, "init", "--quiet", "--initial-branch=main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "--quiet", "-m", "main")
    git(tmp_path, "checkout", "--quiet", "-b", "change")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def affected(capsys, *args: str) -> list[str]:
    assert main(["stacks", *args]) == 0
    return capsys.readouterr().out.split()


@pytest.mark.parametrize(("change", "expected"), [
    (lambda root: (root / "jobs" / "staged.yaml").write_text(
        JOB.format(name="staged", data="gs://b/t.jsonl") + "stacks: [staging]\n"), ["staging"]),
    (lambda root: (root / "jobs" / "staged.yaml").write_text(
        JOB.format(name="staged", data="data/train.jsonl") + "stacks: [staging, prod]\n"), ["prod", "staging"]),
    (lambda root: (root / "jobs" / "staged.yaml").unlink(), ["staging"]),
    (lambda root: (root / "jobs" / "everywhere.yaml").write_text("name: [broken\n"), ["prod", "staging"]),
    (lambda root: (root / "data" / "train.jsonl").write_text("{}\n{}\n"), ["staging"]),
    (lambda root: (root / "Pulumi.prod.yaml").write_text("config:\n  gcp:project: q\n"), ["prod"]),
    (lambda root: (root / "__main__.py").write_text("# changed\n"), ["prod", "staging"]),
    (lambda root: (root / "README.md").write_text("words\n"), []),
], ids=["job-in-staging", "promoted-to-prod", "deleted-job", "broken-job", "local-data", "stack-config",
        "program", "nothing"])
def test_a_change_affects_the_stacks_its_files_belong_to(repository, capsys, change, expected):
    change(repository)
    assert affected(capsys, "--changed-since", "main") == expected


def test_emulator_stacks_are_left_out_unless_asked_for(repository, capsys):
    assert affected(capsys) == ["prod", "staging"]
    assert affected(capsys, "--include-emulator") == ["dev", "prod", "staging"]


def test_an_unknown_ref_is_an_error_not_an_empty_answer(repository, capsys):
    assert main(["stacks", "--changed-since", "no-such-branch"]) == 2
    assert "stacks: git merge-base no-such-branch HEAD" in capsys.readouterr().err
