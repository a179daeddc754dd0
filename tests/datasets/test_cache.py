"""The data set cache: an unchanged file is read once; any change that matters reads it again.

Whether a file was read is seen from outside the tool, through Python's `open` audit event
(the `opens` fixture); the checker and the hashing run for real.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import pytest

from providers.cli.main import main
from providers.datasets import check as check_module
from providers.datasets.cache import FOLDER, SETTLED_NS, DatasetCache
from providers.datasets.check import check_dataset
from providers.jobfile.catalogue import tool_catalogue
from providers.stack.preflight import validate_jobs
from providers.stack.uploads import submitted_spec
from tests.support.pulumi_project import REPO_ROOT

CURRENT = "gemini-3.5-flash"
RETIRED = "gemini-1.5-flash-002"
TEXT_ONLY = "gemini-1.0-pro-002"
GOOD = {"contents": [{"role": "user", "parts": [{"text": "My invoice is wrong"}]},
                     {"role": "model", "parts": [{"text": "billing"}]}]}
IMAGE = {"contents": [{"role": "user", "parts": [{"fileData": {"mimeType": "image/png", "fileUri": "gs://a/b.png"}}]},
                      {"role": "model", "parts": [{"text": "a cat"}]}]}
AN_HOUR_NS = 3600 * 10**9


def jsonl(*examples) -> bytes:
    return b"".join(json.dumps(example).encode() + b"\n" for example in examples)


def settle(path: Path, age_ns: int = AN_HOUR_NS) -> None:
    """Dates the file's last write back, as for a file not edited in the last seconds."""
    then = time.time_ns() - age_ns
    os.utime(path, ns=(then, then))


def write_settled(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    settle(path)
    return path


@pytest.fixture
def data(tmp_path) -> Path:
    return write_settled(tmp_path / "data" / "train.jsonl", jsonl(GOOD, IMAGE, GOOD))


@pytest.fixture
def cache(tmp_path) -> DatasetCache:
    return DatasetCache(tmp_path / "cache")


def entries(cache: DatasetCache) -> list[Path]:
    return sorted(cache.directory.glob("*.json"))


def test_an_unchanged_file_is_checked_and_hashed_once(data, cache, opens):
    first = cache.check(data, CURRENT, "training", shown_name="data/train.jsonl")
    digest = cache.sha256(data)
    assert opens.count(data) >= 2
    opens.clear()

    assert cache.check(data, CURRENT, "training", shown_name="data/train.jsonl") == first
    assert cache.sha256(data) == digest == hashlib.sha256(data.read_bytes()).hexdigest()
    opens.clear()  # the line above read the file itself
    assert cache.check(data, CURRENT, "training", shown_name="data/train.jsonl") == first
    assert cache.sha256(data) == digest
    assert opens.count(data) == 0
    assert first == check_dataset(data, CURRENT, "training", shown_name="data/train.jsonl")
    assert (first.example_count, first.multimodal_examples) == (3, 1)


def test_a_cached_report_names_the_file_as_each_job_file_writes_it(data, cache, opens):
    write_settled(data, jsonl(GOOD, {"contents": []}))
    cache.check(data, CURRENT, "training", shown_name="data/train.jsonl")
    opens.clear()
    again = cache.check(data, CURRENT, "training", shown_name="./data/../data/train.jsonl")
    assert opens.count(data) == 0
    assert [str(p) for p in again.problems] == [
        "./data/../data/train.jsonl: line 2: contents: must be a non-empty list of turns, got an empty list"
    ]


def test_validate_twice_reads_the_data_set_only_the_first_time(tmp_path, monkeypatch, capsys, opens):
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "triage.yaml").write_text(
        f"name: triage\nbaseModel: {RETIRED}\ntrainingDataset: data/train.jsonl\nvalidationDataset: data/val.jsonl\n")
    train = write_settled(tmp_path / "data" / "train.jsonl", jsonl(GOOD, IMAGE))
    validation = write_settled(tmp_path / "data" / "val.jsonl", jsonl(*[GOOD] * 257))
    monkeypatch.chdir(tmp_path)

    assert main(["validate", "jobs"]) == 1
    first = capsys.readouterr().out
    assert "jobs/triage.yaml: validationDataset: data/val.jsonl: 257 examples; a validation set for" in first
    assert opens.count(train) and opens.count(validation)
    opens.clear()
    assert main(["validate", "jobs"]) == 1
    assert capsys.readouterr().out == first
    assert (opens.count(train), opens.count(validation)) == (0, 0)
    assert (tmp_path / FOLDER).is_dir()


def test_the_upload_uri_comes_from_the_cache_and_follows_the_content(tmp_path, opens):
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "triage.yaml").write_text(
        f"name: triage\nbaseModel: {CURRENT}\ntrainingDataset: data/train.jsonl\n")
    train = write_settled(tmp_path / "data" / "train.jsonl", jsonl(GOOD))

    def uri() -> str:
        report = validate_jobs(tmp_path / "jobs", tmp_path)
        assert report.ok, report.problems
        spec, uploads = submitted_spec(report.jobs[0], "bucket")
        assert uploads[0].uri == spec["trainingDataset"]
        return spec["trainingDataset"]

    first = uri()
    assert first == f"gs://bucket/datasets/{hashlib.sha256(train.read_bytes()).hexdigest()}/train.jsonl"
    opens.clear()
    assert uri() == first
    assert opens.count(train) == 0
    write_settled(train, jsonl(GOOD, GOOD))
    assert uri() == f"gs://bucket/datasets/{hashlib.sha256(train.read_bytes()).hexdigest()}/train.jsonl" != first


def test_a_rewritten_file_is_read_again(data, cache, opens):
    first = cache.check(data, CURRENT, "training")
    digest = cache.sha256(data)
    data.write_bytes(jsonl(GOOD, {"contents": []}))
    settle(data, age_ns=2 * AN_HOUR_NS)
    opens.clear()
    second = cache.check(data, CURRENT, "training")
    assert opens.count(data) > 0
    assert (first.ok, second.ok) == (True, False)
    assert cache.sha256(data) == hashlib.sha256(data.read_bytes()).hexdigest() != digest


def test_a_same_size_rewrite_that_restores_the_modification_time_is_still_seen(data, cache, opens):
    # What `cp -p`, `rsync -t` or `touch -r` leave: other bytes, same size, the old mtime.
    before = data.stat()
    cache.check(data, CURRENT, "training")
    digest = cache.sha256(data)
    changed = data.read_bytes().replace(b'"billing"', b'"bi\\ling"')
    assert len(changed) == before.st_size
    data.write_bytes(changed)
    os.utime(data, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (data.stat().st_size, data.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    opens.clear()
    assert not cache.check(data, CURRENT, "training").ok  # "\l" is not a JSON escape
    assert cache.sha256(data) == hashlib.sha256(changed).hexdigest() != digest
    assert opens.count(data) >= 2


def test_a_file_written_in_the_last_seconds_is_not_cached_yet(tmp_path, cache, opens):
    # Its next write could fall in the same timestamp tick and keep size and times.
    fresh = tmp_path / "fresh.jsonl"
    fresh.write_bytes(jsonl(GOOD))
    assert time.time_ns() - fresh.stat().st_mtime_ns < SETTLED_NS
    cache.check(fresh, CURRENT, "training")
    cache.sha256(fresh)
    opens.clear()
    cache.check(fresh, CURRENT, "training")
    cache.sha256(fresh)
    assert opens.count(fresh) >= 2
    assert entries(cache) == []


def test_a_file_that_changes_while_it_is_read_is_not_cached(data, cache, opens):
    opens.when_opened(data, lambda: settle(data, age_ns=3 * AN_HOUR_NS))
    cache.check(data, CURRENT, "training")
    opens.when_opened(data, lambda: settle(data, age_ns=4 * AN_HOUR_NS))
    cache.sha256(data)
    assert entries(cache) == []
    cache.check(data, CURRENT, "training")
    assert len(entries(cache)) == 1


@pytest.mark.parametrize(("first", "second", "second_ok"), [
    pytest.param({"model": CURRENT}, {"model": TEXT_ONLY}, False, id="model"),
    pytest.param({"model": CURRENT}, {"model": CURRENT, "rules": tool_catalogue().models[CURRENT].model_copy(update={"max_multimodal_training_examples": 2})}, False, id="rules"),
    pytest.param({"model": CURRENT, "kind": "training"}, {"model": RETIRED, "kind": "training"}, True, id="model-same-verdict"),
    pytest.param({"model": RETIRED, "kind": "training"}, {"model": RETIRED, "kind": "validation"}, True, id="kind"),
])
def test_another_model_rules_or_kind_is_checked_afresh(data, cache, opens, first, second, second_ok):
    first = {"kind": "training", **first}
    second = {"kind": "training", **second}
    assert cache.check(data, **first).ok
    opens.clear()
    report = cache.check(data, **second)
    assert opens.count(data) > 0
    assert report.ok is second_ok
    assert report == check_dataset(data, **second)
    opens.clear()
    cache.check(data, **first)
    cache.check(data, **second)
    assert opens.count(data) == 0  # each use keeps its own entry


def test_a_row_whose_dates_or_sources_change_keeps_its_cached_report(data, cache, opens):
    row = tool_catalogue().models[CURRENT]
    first = cache.check(data, CURRENT, "training", rules=row)
    opens.clear()
    rechecked = row.model_copy(update={"checked": date(2030, 1, 1), "retires": date(2030, 1, 1), "sources": ["x"]})
    assert cache.check(data, CURRENT, "training", rules=rechecked) == first
    assert opens.count(data) == 0


def test_a_new_checker_version_checks_afresh(data, cache, opens, monkeypatch):
    cache.check(data, CURRENT, "training")
    monkeypatch.setattr(check_module, "CHECKER_VERSION", check_module.CHECKER_VERSION + 1)
    opens.clear()
    cache.check(data, CURRENT, "training")
    assert opens.count(data) > 0


_CHECK_IN_CHILD = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path
    data, cache_dir = sys.argv[1:3]
    opened = []

    def audit(event, args):
        if event == "open" and isinstance(args[0], (str, os.PathLike)) and os.path.realpath(args[0]) == data:
            opened.append(args[0])

    sys.addaudithook(audit)
    from providers.datasets.cache import DatasetCache
    report = DatasetCache(Path(cache_dir)).check(Path(data), "gemini-3.5-flash", "training")
    print(json.dumps({"opened": len(opened), "ok": report.ok, "examples": report.example_count}))
""")


def check_in_child(package_root: Path, data: Path, cache: DatasetCache) -> dict:
    """A check by a fresh interpreter that imports `providers` from `package_root`."""
    result = subprocess.run(
        [sys.executable, "-c", _CHECK_IN_CHILD, os.path.realpath(data), str(cache.directory)],
        cwd=data.parent, env={**os.environ, "PYTHONPATH": str(package_root)},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_checker_edited_without_a_version_bump_checks_afresh(tmp_path, data, cache):
    copy = tmp_path / "copy"
    shutil.copytree(REPO_ROOT / "providers", copy / "providers", ignore=shutil.ignore_patterns("__pycache__"))
    assert check_in_child(REPO_ROOT, data, cache)["opened"] >= 1
    assert check_in_child(copy, data, cache)["opened"] == 0  # the same source elsewhere: the same checker
    lines = copy / "providers" / "datasets" / "lines.py"
    lines.write_text(lines.read_text() + "\n# an edit that forgot CHECKER_VERSION\n")
    again = check_in_child(copy, data, cache)
    assert again["opened"] > 0 and (again["ok"], again["examples"]) == (True, 3)


CORRUPTIONS = [
    pytest.param(lambda text: text[: len(text) // 2], id="cut-in-half"),
    pytest.param(lambda text: "", id="empty"),
    pytest.param(lambda text: "\udcff not json", id="not-json"),
    pytest.param(lambda text: text.replace('"value":', '"value":[1],"was":'), id="wrong-shape"),
    pytest.param(lambda text: text.replace('"example_count":3', '"example_count":"3"'), id="wrong-type"),
    pytest.param(lambda text: text.replace('"value":"', '"value":"beef'), id="not-a-digest"),
    pytest.param(lambda text: text.replace('"kind":"training"', '"kind":"validation"'), id="another-key"),
]


@pytest.mark.parametrize("corrupt", CORRUPTIONS)
def test_a_corrupt_entry_is_ignored_and_rewritten(data, cache, opens, corrupt):
    report = cache.check(data, CURRENT, "training")
    digest = cache.sha256(data)
    for entry in entries(cache):
        entry.write_bytes(corrupt(entry.read_text()).encode(errors="surrogateescape"))
    opens.clear()
    assert cache.check(data, CURRENT, "training") == report
    assert cache.sha256(data) == digest
    assert opens.count(data) > 0
    opens.clear()
    assert cache.check(data, CURRENT, "training") == report
    assert cache.sha256(data) == digest
    assert opens.count(data) == 0
    assert len(entries(cache)) == 2


def test_an_entry_that_cannot_be_read_is_ignored(data, cache, opens):
    report = cache.check(data, CURRENT, "training")
    [entry] = entries(cache)
    entry.unlink()
    entry.mkdir()  # reading it fails (as root, a mode would not stop the read)
    opens.clear()
    assert cache.check(data, CURRENT, "training") == report
    assert opens.count(data) > 0


def test_a_cache_folder_that_cannot_be_written_is_no_error(tmp_path, data):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder would be")
    cache = DatasetCache(blocked / "datasets")
    assert cache.check(data, CURRENT, "training").ok
    assert cache.sha256(data) == hashlib.sha256(data.read_bytes()).hexdigest()


def test_entries_of_an_older_state_of_the_file_are_removed(data, cache):
    cache.check(data, CURRENT, "training")
    cache.check(data, CURRENT, "validation")
    cache.sha256(data)
    assert len(entries(cache)) == 3
    write_settled(data, jsonl(GOOD))
    cache.check(data, CURRENT, "training")
    cache.sha256(data)
    names = [entry.name for entry in entries(cache)]
    assert len(names) == 3  # training and digest replaced; validation's left until next used
    assert sorted(name.split("-")[0] for name in names) == ["check", "check", "sha256"]


_WRITE_IN_CHILD = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from providers.datasets.cache import DatasetCache
    data, cache_dir, rounds = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    cache = DatasetCache(cache_dir)
    for _ in range(rounds):
        for entry in cache_dir.glob("*.json"):
            entry.unlink(missing_ok=True)  # so that each round computes and writes the entry
        cache.check(data, "gemini-2.5-flash", "training", max_reported=5000)
""")


def test_two_processes_writing_the_same_entry_never_leave_half_of_one(tmp_path, cache):
    # 2,000 problems listed: an entry of about 300 kB, written again and again by two processes.
    data = write_settled(tmp_path / "broken.jsonl", jsonl(*[{"contents": []}] * 2000))
    expected = check_dataset(data, CURRENT, "training", max_reported=5000)
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITE_IN_CHILD, str(data), str(cache.directory), "30"],
                         cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
        for _ in range(2)
    ]
    whole = 0
    deadline = time.monotonic() + 120
    while any(writer.poll() is None for writer in writers) and time.monotonic() < deadline:
        for entry in cache.directory.glob("*.json") if cache.directory.exists() else ():
            try:
                text = entry.read_text()
            except FileNotFoundError:
                continue  # removed by a writer between listing and reading
            value = json.loads(text)["value"]  # fails on half an entry
            assert value["problem_count"] == expected.problem_count
            whole += 1
    assert [writer.wait(timeout=60) for writer in writers] == [0, 0]
    assert whole > 0
    assert cache.check(data, CURRENT, "training", max_reported=5000) == expected
    assert [path.name for path in cache.directory.iterdir() if not path.name.endswith(".json")] == []


def test_two_processes_checking_at_once_agree_and_leave_one_entry(data, cache, opens):
    children = [
        subprocess.Popen([sys.executable, "-c", _CHECK_IN_CHILD, os.path.realpath(data), str(cache.directory)],
                         cwd=data.parent, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
                         stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [json.loads(child.communicate(timeout=60)[0]) for child in children]
    assert [output["examples"] for output in outputs] == [3, 3]
    assert len(entries(cache)) == 1
    opens.clear()
    assert cache.check(data, CURRENT, "training").example_count == 3
    assert opens.count(data) == 0
