"""The data set checker: each kind of bad data is reported with its line and what is allowed."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from providers.datasets.lines import MIME_TYPES, ExampleChecker
from providers.datasets.check import DatasetProblem, DatasetReport, check_dataset, validation_share_problem
from providers.jobfile.catalogue import tool_catalogue

MODELS = tool_catalogue().models


def replace(rules, **changes):
    """A catalogue row with other limits."""
    return rules.model_copy(update=changes)

FLASH = "gemini-3.5-flash"
CURRENT = FLASH
RETIRED = "gemini-1.5-flash-002"
"""Smaller limits than today's models: 32,000 tokens per example, 256 validation examples."""
UNPUBLISHED = "gemini-3.5-flash-lite"
TEXT_ONLY = "gemini-1.0-pro-002"


def turn(role: str, *parts: dict) -> dict:
    return {"role": role, "parts": list(parts)}


def text(value: str) -> dict:
    return {"text": value}


def file(mime: str, uri: str = "gs://acme/media/cat.png") -> dict:
    return {"fileData": {"mimeType": mime, "fileUri": uri}}


def example(*turns: dict) -> dict:
    return {"contents": list(turns) or [turn("user", text("My invoice is wrong")), turn("model", text("billing"))]}


GOOD = example()
SYSTEM = {"role": "system", "parts": [text("You are a classifier.")]}


def jsonl(*lines) -> bytes:
    """Lines as a JSONL file: bytes and str are taken as they are, other values dumped as JSON."""
    def encode(line):
        if isinstance(line, bytes):
            return line
        return (line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)).encode()
    return b"".join(encode(line) + b"\n" for line in lines)


def check(tmp_path: Path, data: bytes | None, **options) -> DatasetReport:
    path = tmp_path / "x.jsonl"
    if data is not None:
        path.write_bytes(data)
    options.setdefault("model", FLASH)
    options.setdefault("kind", "training")
    return check_dataset(path, shown_name="x.jsonl", **options)


BROKEN = [
    pytest.param(jsonl(GOOD, '{"contents": ['), {}, "x.jsonl: line 2: not valid JSON: EOF while parsing a list", id="bad-json"),
    pytest.param(jsonl(GOOD, '{"contents": [],}'), {}, "x.jsonl: line 2: not valid JSON: trailing comma (column 17); each line must be one complete JSON object", id="trailing-comma"),
    pytest.param(jsonl(GOOD, [GOOD]), {}, "x.jsonl: line 2: an example must be a JSON object with 'contents', got a list", id="list-not-object"),
    pytest.param(jsonl(GOOD, '"hello"'), {}, "x.jsonl: line 2: an example must be a JSON object with 'contents', got a string", id="string-not-object"),
    pytest.param(jsonl(GOOD, {"systemInstruction": SYSTEM}), {}, "x.jsonl: line 2: missing 'contents': each example needs its turns under 'contents'", id="missing-contents"),
    pytest.param(jsonl(GOOD, {"content": GOOD["contents"]}), {}, "x.jsonl: line 2: unknown key 'content'; did you mean 'contents'? Allowed: contents, systemInstruction", id="unknown-key-did-you-mean"),
    pytest.param(jsonl(GOOD, {"messages": [], **GOOD}), {}, "x.jsonl: line 2: unknown key 'messages'; did you mean 'contents'? Allowed: contents, systemInstruction", id="openai-messages"),
    pytest.param(jsonl(GOOD, {"contents": {"role": "user"}}), {}, "x.jsonl: line 2: contents: must be a non-empty list of turns, got an object", id="contents-not-list"),
    pytest.param(jsonl(GOOD, {"contents": []}), {}, "x.jsonl: line 2: contents: must be a non-empty list of turns, got an empty list", id="contents-empty"),
    pytest.param(jsonl(GOOD, example("hi", turn("model", text("x")))), {}, "x.jsonl: line 2: contents[0]: a turn must be an object with 'role' and 'parts', got a string", id="turn-not-object"),
    pytest.param(jsonl(GOOD, example(turn("user", text("a")), turn("assistant", text("b")))), {}, "x.jsonl: line 2: contents[1].role: 'assistant' is not allowed; did you mean 'model'? Allowed: user, model", id="role-assistant"),
    pytest.param(jsonl(GOOD, example(turn("system", text("be brief")), turn("user", text("a")), turn("model", text("b")))), {}, "x.jsonl: line 2: contents[0].role: 'system' is not a turn role; put the system prompt under 'systemInstruction'", id="role-system"),
    pytest.param(jsonl(GOOD, example({"parts": [text("a")]}, turn("model", text("b")))), {}, "x.jsonl: line 2: contents[0].role: missing; allowed: user, model", id="role-missing"),
    pytest.param(jsonl(GOOD, example({"role": "user", "content": "a"}, turn("model", text("b")))), {}, "x.jsonl: line 2: contents[0]: unknown key 'content'; did you mean 'parts'? Allowed: role, parts", id="turn-content-key"),
    pytest.param(jsonl(GOOD, example(turn("user"), turn("model", text("b")))), {}, "x.jsonl: line 2: contents[0].parts: must be a non-empty list of parts, got an empty list", id="empty-parts"),
    pytest.param(jsonl(GOOD, example(turn("user", {"text": 7}), turn("model", text("b")))), {}, "x.jsonl: line 2: contents[0].parts[0].text: must be a string, got a number", id="text-not-string"),
    pytest.param(jsonl(GOOD, example(turn("user", {**text("a"), **file("image/png")}), turn("model", text("b")))), {}, "x.jsonl: line 2: contents[0].parts[0]: has both 'text' and 'fileData'; a part holds exactly one of: text, fileData", id="text-and-file-data"),
    pytest.param(jsonl(GOOD, example(turn("user", {"inlineData": {"mimeType": "image/png", "data": "iVBO"}}), turn("model", text("b")))), {}, "x.jsonl: line 2: contents[0].parts[0]: 'inlineData' is not in the tuning data schema; a part holds exactly one of: text, fileData (upload the file to Cloud Storage and use fileData)", id="inline-data"),
    pytest.param(jsonl(GOOD, example(turn("user", {"functionCall": {}}), turn("model", text("b")))), {}, "x.jsonl: line 2: contents[0].parts[0]: unknown key 'functionCall'; Allowed: text, fileData", id="unknown-part-kind"),
    pytest.param(jsonl(GOOD, example(turn("user", file("image/png", "https://acme.com/cat.png")), turn("model", text("b")))), {}, "x.jsonl: line 2: contents[0].parts[0].fileData.fileUri: 'https://acme.com/cat.png' is not a gs://BUCKET/OBJECT URI", id="non-gs-uri"),
    pytest.param(jsonl(GOOD, example(turn("user", file("image/png", "gs://acme")), turn("model", text("b")))), {}, "x.jsonl: line 2: contents[0].parts[0].fileData.fileUri: 'gs://acme' is not a gs://BUCKET/OBJECT URI", id="gs-uri-without-object"),
    pytest.param(jsonl(GOOD, example(turn("user", {"fileData": {"fileUri": "gs://a/b.png"}}), turn("model", text("b")))), {}, "x.jsonl: line 2: contents[0].parts[0].fileData.mimeType: missing; a MIME type string is required", id="mime-missing"),
    pytest.param(jsonl(GOOD, example(turn("user", file("image/png")), turn("model", text("b")))), {"model": TEXT_ONLY}, "x.jsonl: line 2: contents[0].parts[0].fileData: gemini-1.0-pro-002 tunes on text only; use text parts", id="image-on-text-only-model"),
    pytest.param(jsonl(GOOD, example(turn("user", file("image/gif")), turn("model", text("b")))), {}, "x.jsonl: line 2: contents[0].parts[0].fileData.mimeType: 'image/gif' is not accepted; gemini-3.5-flash accepts: application/pdf, audio/aac,", id="mime-not-accepted"),
    pytest.param(jsonl(GOOD, example(turn("user", file("image/jpg")), turn("model", text("b")))), {}, "x.jsonl: line 2: contents[0].parts[0].fileData.mimeType: 'image/jpg' is not accepted; did you mean 'image/jpeg'?", id="mime-did-you-mean"),
    pytest.param(jsonl(GOOD, example(turn("user", file("audio/mpeg")), turn("model", text("b")))), {"rules": replace(MODELS[FLASH], modalities=frozenset({"text", "image"}))}, "x.jsonl: line 2: contents[0].parts[0].fileData.mimeType: audio/mpeg is audio; gemini-3.5-flash tunes on image, text only", id="modality-not-tuned"),
    pytest.param(jsonl(GOOD, example(turn("user", text("a")), turn("model", text("b")), turn("user", text("c")))), {}, "x.jsonl: line 2: contents: the last turn must be the model's answer (role 'model'), got role 'user'", id="last-turn-user"),
    pytest.param(jsonl(GOOD, example(turn("model", text("b")))), {}, "x.jsonl: line 2: contents: needs at least one 'user' turn before the model's answer", id="no-user-turn"),
    pytest.param(jsonl(GOOD, example(turn("user", text("x" * 128_001)), turn("model", text("b")))), {"model": RETIRED}, "x.jsonl: line 2: about 32,001 tokens (estimated); gemini-1.5-flash-002 allows at most 32,000 per example", id="too-many-tokens"),
    pytest.param(jsonl(GOOD, example(turn("user", *[file("image/png")] * 4, text("x" * 124_000)), turn("model", text("b")))), {"model": RETIRED}, "x.jsonl: line 2: about 32,033 tokens (estimated); gemini-1.5-flash-002 allows at most 32,000 per example", id="too-many-tokens-with-images"),
    pytest.param(jsonl(*[GOOD] * 257), {"kind": "validation", "model": RETIRED}, "x.jsonl: 257 examples; a validation set for gemini-1.5-flash-002 may have at most 256", id="validation-257"),
    pytest.param(b"", {}, "x.jsonl: empty file; a data set needs at least one example", id="empty-file"),
    pytest.param(b"\n\n", {}, "x.jsonl: holds no examples; a data set needs at least one", id="only-blank-lines"),
    pytest.param(jsonl(GOOD, "", GOOD), {}, "x.jsonl: line 2: empty line; each line must hold one JSON example", id="blank-line-in-middle"),
    pytest.param(jsonl(GOOD, GOOD) + b"\n", {}, "x.jsonl: line 3: empty line; each line must hold one JSON example", id="blank-line-at-end"),
    pytest.param(jsonl(GOOD, b'{"contents": "caf\xe9"}'), {}, "x.jsonl: line 2: not valid UTF-8: byte 0xe9 at column 18; a JSONL file must be UTF-8 encoded", id="latin-1-byte"),
    pytest.param(b"\xef\xbb\xbf" + jsonl(GOOD), {}, "x.jsonl: starts with a UTF-8 byte order mark; save the file as UTF-8 without BOM", id="utf8-bom"),
    pytest.param(jsonl(GOOD).decode().encode("utf-16"), {}, "x.jsonl: is UTF-16 encoded (it starts with a UTF-16 byte order mark); save it as UTF-8", id="utf16"),
    pytest.param(jsonl(GOOD, {**GOOD, "systemInstruction": {"parts": [file("application/pdf")]}}), {}, "x.jsonl: line 2: systemInstruction.parts[0]: a system instruction takes text parts only, got 'fileData'", id="system-file-data"),
    pytest.param(jsonl(GOOD, {**GOOD, "systemInstruction": "Be brief."}), {}, "x.jsonl: line 2: systemInstruction: must be an object with 'parts', got a string", id="system-not-object"),
    pytest.param(jsonl(GOOD, {**GOOD, "systemInstruction": {"role": "system"}}), {}, "x.jsonl: line 2: systemInstruction.parts: missing; a list of text parts is required", id="system-without-parts"),
    pytest.param(jsonl(GOOD, GOOD), {"rules": replace(MODELS[FLASH], max_training_file_bytes=100)}, "x.jsonl: 256 bytes; a training file for gemini-3.5-flash may have at most 100 bytes", id="training-file-too-big"),
    pytest.param(jsonl(GOOD, example(turn("user", text("x" * 1000)), turn("model", text("b")))), {"rules": replace(MODELS[FLASH], max_tokens_per_example=10)}, "x.jsonl: line 2: 1,103 bytes long; an example within gemini-3.5-flash's 10-token limit fits in 640 bytes", id="line-too-long"),
    pytest.param(None, {}, "x.jsonl: file not found", id="missing-file"),
]


@pytest.mark.parametrize(("data", "options", "expected"), BROKEN)
def test_each_broken_data_set_names_the_line_and_what_is_allowed(tmp_path, data, options, expected):
    report = check(tmp_path, data, **options)
    shown = [str(problem) for problem in report.problems]
    assert not report.ok
    assert any(problem.startswith(expected) for problem in shown), shown


def test_a_directory_is_reported_not_read(tmp_path):
    report = check_dataset(tmp_path, FLASH, "training", shown_name="data")
    assert [str(p) for p in report.problems] == ["data: is a directory, not a JSONL file"]


def test_a_line_with_several_mistakes_reports_each():
    checker = ExampleChecker(FLASH, MODELS[FLASH])
    line = jsonl(example(turn("User", {"text": "a", "fileData": {}}), turn("model", file("image/gif", "s3://a/b"))))
    problems, _, _ = checker.check(line.strip())
    assert problems == [
        "contents[0].role: 'User' is not allowed; did you mean 'user'? Allowed: user, model",
        "contents[0].parts[0]: has both 'text' and 'fileData'; a part holds exactly one of: text, fileData",
        "contents[1].parts[0].fileData.mimeType: 'image/gif' is not accepted; gemini-3.5-flash accepts: "
        + ", ".join(sorted(MIME_TYPES)),
        "contents[1].parts[0].fileData.fileUri: 's3://a/b' is not a gs://BUCKET/OBJECT URI",
        "contents: needs at least one 'user' turn before the model's answer",
    ]


def test_problems_beyond_max_reported_are_counted_not_listed(tmp_path):
    report = check(tmp_path, jsonl(*["[]"] * 30, GOOD), max_reported=5)
    assert [p.line for p in report.problems] == [1, 2, 3, 4, 5]
    assert report.problem_count == 30
    assert report.example_count == 31


def test_file_level_problems_are_listed_before_line_problems(tmp_path):
    report = check(tmp_path, jsonl(*["[]"] * 300), kind="validation", max_reported=3, model=RETIRED)
    assert report.problems[0] == DatasetProblem("x.jsonl", None, "300 examples; a validation set for gemini-1.5-flash-002 may have at most 256")
    assert [p.line for p in report.problems[1:]] == [1, 2]
    assert report.problem_count == 301


def test_valid_text_data_set_passes(tmp_path):
    question = 'Straße, 請求書, naïve "quoted"\nnewline'
    lines = [
        {"systemInstruction": SYSTEM, **GOOD},
        example(turn("user", text("Hi")), turn("model", text("Hello!")), turn("user", text("Bill?")), turn("model", text("billing"))),
        example(turn("user", text(question)), turn("model", text("x" * 400))),
    ]
    report = check(tmp_path, jsonl(*lines).replace(b"\n", b"\r\n"), model=TEXT_ONLY)
    assert report.ok, report.problems
    assert (report.example_count, report.problem_count) == (3, 0)
    assert report.max_example_tokens == math.ceil((len(question) + 400) / 4)


def test_valid_multimodal_data_set_passes_on_flash(tmp_path):
    lines = [
        example(turn("user", file("image/png"), text("What is shown?")), turn("model", text("A cat."))),
        example(turn("user", file("audio/mpeg", "gs://acme/a.mp3"), file("application/pdf", "gs://acme/d.pdf"), text("Sum up")), turn("model", text("ok"))),
        {"systemInstruction": {"parts": [text("Be brief.")]}, **GOOD},
    ]
    data = jsonl(*lines)[:-1]  # a missing newline at the end is fine too
    report = check(tmp_path, data, kind="validation")
    assert report.ok, report.problems
    assert report.example_count == 3
    assert report.max_example_tokens == 960 + 258 + 2  # audio, one PDF page, 8 characters
    assert report.size_bytes == len(data)


def test_a_file_checked_in_parallel_gives_the_same_report(tmp_path):
    lines = [GOOD] * 400
    lines[2] = "[]"
    lines[250] = example(turn("model", text("b")))
    lines[398] = ""
    for at in (0, 140, 260, 399):  # one in each of the three ranges, and the last line
        lines[at] = example(turn("user", file("image/png"), text("What?")), turn("model", text("A cat.")))
    data = jsonl(*lines)
    serial = check(tmp_path, data, workers=1)
    parallel = check(tmp_path, data, workers=3)
    assert [str(p) for p in parallel.problems] == [
        "x.jsonl: line 3: an example must be a JSON object with 'contents', got a list",
        "x.jsonl: line 251: contents: needs at least one 'user' turn before the model's answer",
        "x.jsonl: line 399: empty line; each line must hold one JSON example",
    ]
    good = math.ceil(len("My invoice is wrong" "billing") / 4)
    image = 258 + math.ceil(len("What?" "A cat.") / 4)
    # 393 good lines, 4 with an image, "[]" counts 0, the model-only example 1 ("b")
    assert (parallel.total_tokens, parallel.multimodal_examples) == (393 * good + 4 * image + 1, 4)
    assert parallel == serial


def test_totals_count_every_example_and_each_one_with_file_parts_once(tmp_path):
    lines = [
        example(turn("user", text("abcde")), turn("model", text("xyz"))),
        example(turn("user", file("image/png"), text("What?")), turn("model", text("A cat."))),
        example(turn("user", file("audio/mpeg", "gs://a/b.mp3"), file("application/pdf", "gs://a/c.pdf")), turn("model", text("ok"))),
        {"systemInstruction": {"parts": [text("Be brief.")]}, **example(turn("user", text("Hi")), turn("model", text("Hello")))},
    ]
    report = check(tmp_path, jsonl(*lines))
    assert report.ok, report.problems
    # 8 characters; 11 and an image; 2, audio and a PDF page; 16
    assert report.total_tokens == 2 + (3 + 258) + (1 + 960 + 258) + 4
    assert report.multimodal_examples == 2
    assert report.max_example_tokens == 1 + 960 + 258


# --- per-model limits -----------------------------------------------------------------------

IMAGE_EXAMPLE = example(turn("user", file("image/png"), text("What is shown?")), turn("model", text("A cat.")))

# Each model's limits as Google states them: tokens per example, validation examples,
# examples in a text-only training file, in a training file with file parts (None: none stated).
LIMIT_FIELDS = ("model", "tokens", "validation", "text_training", "multimodal_training")
MODEL_LIMITS = [
    pytest.param(CURRENT, 131_072, 5_000, 10_000_000, 300_000, id="current"),
    pytest.param(RETIRED, 32_000, 256, None, None, id="retired"),
]
@pytest.mark.parametrize(LIMIT_FIELDS, MODEL_LIMITS)
def test_the_catalogue_holds_each_models_stated_limits(model, tokens, validation, text_training, multimodal_training):
    rules = MODELS[model]
    assert (rules.max_tokens_per_example, rules.max_validation_examples) == (tokens, validation)
    assert (rules.max_training_examples, rules.max_multimodal_training_examples) == (text_training, multimodal_training)


@pytest.mark.parametrize(LIMIT_FIELDS, MODEL_LIMITS)
def test_an_example_over_the_models_token_limit_is_reported_with_that_limit(tmp_path, model, tokens, validation, text_training, multimodal_training):
    at_limit = example(turn("user", text("x" * 4 * tokens)), turn("model", text("")))
    over = example(turn("user", text("x" * (4 * tokens + 1))), turn("model", text("")))
    report = check(tmp_path, jsonl(at_limit, over), model=model)
    assert [str(p) for p in report.problems] == [
        f"x.jsonl: line 2: about {tokens + 1:,} tokens (estimated); {model} allows at most {tokens:,} per example"
    ]


@pytest.mark.parametrize(LIMIT_FIELDS, MODEL_LIMITS)
def test_a_validation_set_over_the_models_limit_is_reported_with_that_limit(tmp_path, model, tokens, validation, text_training, multimodal_training):
    assert check(tmp_path, jsonl(GOOD) * validation, model=model, kind="validation").ok
    report = check(tmp_path, jsonl(GOOD) * (validation + 1), model=model, kind="validation")
    assert [str(p) for p in report.problems] == [
        f"x.jsonl: {validation + 1:,} examples; a validation set for {model} may have at most {validation:,}"
    ]


SMALL_LIMITS = replace(MODELS[CURRENT], max_training_examples=3, max_multimodal_training_examples=2)


@pytest.mark.parametrize(("lines", "kind", "rules", "expected"), [
    pytest.param([GOOD] * 3, "training", SMALL_LIMITS, [], id="text-at-limit"),
    pytest.param([GOOD] * 4, "training", SMALL_LIMITS, ["x.jsonl: 4 examples; a text-only training file for gemini-3.5-flash may have at most 3"], id="text-over"),
    pytest.param([GOOD, IMAGE_EXAMPLE], "training", SMALL_LIMITS, [], id="multimodal-at-limit"),
    pytest.param([GOOD, IMAGE_EXAMPLE, GOOD], "training", SMALL_LIMITS, ["x.jsonl: 3 examples, 1 of them with image, audio or document parts; a training file with such parts for gemini-3.5-flash may have at most 2 examples"], id="multimodal-over"),
    pytest.param([IMAGE_EXAMPLE] * 5, "training", replace(SMALL_LIMITS, max_multimodal_training_examples=None), [], id="multimodal-no-limit"),
    pytest.param([GOOD] * 5, "training", replace(SMALL_LIMITS, max_training_examples=None), [], id="text-no-limit"),
    pytest.param([IMAGE_EXAMPLE] * 5, "validation", SMALL_LIMITS, [], id="validation-ignores-training-limits"),
])
def test_training_example_limits_count_every_example_and_switch_on_any_file_part(tmp_path, lines, kind, rules, expected):
    report = check(tmp_path, jsonl(*lines), model=CURRENT, kind=kind, rules=rules)
    assert [str(p) for p in report.problems] == expected


def test_a_model_whose_limits_google_does_not_publish_is_left_to_vertex(tmp_path):
    # gemini-3.5-flash-lite: no tokens per example, no modalities published.
    rules = MODELS[UNPUBLISHED]
    assert (rules.max_tokens_per_example, rules.modalities) == (None, None)
    huge = example(turn("user", text("x" * 4 * 200_000)), turn("model", text("y")))
    audio = example(turn("user", file("audio/mpeg")), turn("model", text("b")))
    report = check(tmp_path, jsonl(GOOD, huge, audio, IMAGE_EXAMPLE), model=UNPUBLISHED)
    assert report.ok and report.max_example_tokens > 200_000
    # Its published limits still hold.
    assert check(tmp_path, jsonl(GOOD) * 3, model=UNPUBLISHED, kind="validation",
                 rules=replace(rules, max_validation_examples=2)).problem_count == 1


@pytest.mark.parametrize(("validation", "training", "expected"), [
    pytest.param(1_000, 10, None, id="at-most-1000-any-share"),
    pytest.param(1_001, 3_337, None, id="within-30-percent"),
    pytest.param(1_001, 3_336, "1,001 examples; with more than 1,000 validation examples, gemini-3.5-flash allows at most 30% of the training file's 3,336 examples (1,000)", id="over-30-percent"),
    pytest.param(5_000, 100_000, None, id="large-training-set"),
])
def test_a_validation_set_of_more_than_1000_examples_is_held_to_30_percent_of_training(validation, training, expected):
    assert validation_share_problem(validation, training, CURRENT, MODELS[CURRENT]) == expected


def test_the_validation_share_rule_is_not_applied_where_google_states_none():
    assert validation_share_problem(250, 10, RETIRED, MODELS[RETIRED]) is None


def test_an_unknown_model_or_kind_is_a_programming_error(tmp_path):
    with pytest.raises(ValueError, match="'gemini-9' is not a supported base model; allowed: gemini-1.0-pro-002"):
        check_dataset(tmp_path / "x.jsonl", "gemini-9", "training")
    with pytest.raises(ValueError, match="kind 'test' is not one of: training, validation"):
        check_dataset(tmp_path / "x.jsonl", FLASH, "test")


# --- properties -------------------------------------------------------------------------

_json_leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8)
_any_json = st.recursive(
    _json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _sometimes_wrong(valid, wrong=_any_json):
    """Mostly the valid shape; one time in twenty, something else in its place."""
    return st.integers(0, 19).flatmap(lambda roll: wrong if roll == 0 else valid)


_text_part = st.fixed_dictionaries({"text": _sometimes_wrong(st.text(max_size=30))})
_file_part = st.fixed_dictionaries({
    "fileData": _sometimes_wrong(st.fixed_dictionaries(
        {
            "mimeType": _sometimes_wrong(st.sampled_from(sorted(MIME_TYPES)), st.sampled_from(["image/gif", "IMAGE/PNG"]) | _any_json),
            "fileUri": _sometimes_wrong(st.just("gs://a/b.png"), st.sampled_from(["gs://a/", "gs://a", "https://a/b"]) | _any_json),
        },
    ), st.fixed_dictionaries({"displayName": st.text(max_size=3)}, optional={"mimeType": st.just("image/png")})),
})
_odd_part = st.fixed_dictionaries({}, optional={"text": _any_json, "fileData": _any_json, "inlineData": _any_json, "video": _any_json})
_part = _sometimes_wrong(_text_part | _file_part, _odd_part | _any_json)


def _turn(role):
    return _sometimes_wrong(
        st.fixed_dictionaries({
            "role": _sometimes_wrong(st.just(role), st.sampled_from(["assistant", "system", "User", "model", "user"]) | _any_json),
            "parts": _sometimes_wrong(st.lists(_part, min_size=1, max_size=3), st.just([]) | _any_json),
        }),
        st.fixed_dictionaries({}, optional={"role": st.just(role), "parts": st.lists(_part, max_size=1), "content": _any_json}),
    )


_contents = _sometimes_wrong(
    st.lists(st.tuples(_turn("user"), _turn("model")), min_size=1, max_size=2).map(lambda pairs: [t for pair in pairs for t in pair]),
    st.lists(_turn("user") | _turn("model") | _any_json, max_size=3),
)
_system = st.fixed_dictionaries(
    {"parts": _sometimes_wrong(st.lists(_text_part, min_size=1, max_size=2), st.lists(_part, max_size=2) | _any_json)},
    optional={"role": _sometimes_wrong(st.just("system"))},
)
_example = _sometimes_wrong(
    st.fixed_dictionaries({"contents": _contents}, optional={"systemInstruction": _sometimes_wrong(_system)}),
    st.fixed_dictionaries({}, optional={"contents": _contents, "tools": _any_json, "messages": _any_json}) | _any_json,
)


@settings(max_examples=400, deadline=None)
@given(example=_example, model=st.sampled_from(sorted(MODELS)))
def test_the_fast_path_accepts_exactly_what_the_full_check_accepts(example, model):
    checker = ExampleChecker(model, MODELS[model])
    fast = checker.measure_valid(example)
    problems, tokens, file_parts = checker.shape_problems(example)
    assert (fast is not None) == (problems == []), problems
    if fast is not None:
        assert fast == (tokens, file_parts)
    assert checker.check(json.dumps(example).encode())[0] == problems


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.binary(max_size=40) | _example.map(lambda e: json.dumps(e).encode()), max_size=6))
def test_any_bytes_give_a_report_never_an_exception(tmp_path, lines):
    path = tmp_path / "random.jsonl"
    path.write_bytes(b"\n".join(lines))
    report = check_dataset(path, FLASH, "validation", max_reported=3, workers=1)
    assert isinstance(report, DatasetReport)
    assert len(report.problems) <= 3 <= report.problem_count or len(report.problems) == report.problem_count


@settings(max_examples=300, deadline=None)
@given(example=_example, model=st.sampled_from(sorted(MODELS)), ascii_only=st.booleans(), compact=st.booleans())
def test_the_fast_path_on_a_line_agrees_with_the_full_check_however_the_json_is_written(example, model, ascii_only, compact):
    checker = ExampleChecker(model, MODELS[model])
    line = json.dumps(example, ensure_ascii=ascii_only, separators=(",", ":") if compact else None).encode()
    fast = checker.measure_line(line)
    problems, tokens, file_parts = checker.shape_problems(json.loads(line))
    assert (fast is not None) == (problems == []), problems
    if fast is not None:
        assert fast == (tokens, file_parts)


_TURNS = '[{"role":"user","parts":[{"text":"a"}]},{"role":"model","parts":[{"text":"b"}]}]'


# (line, problems expected (each a prefix), whether the fast path accepts it). The one
# disagreement allowed: the fast path may reject a line the full check passes (a valid
# duplicate key after an invalid one), which costs time, never a wrong report.
@pytest.mark.parametrize(("line", "expected", "fast"), [
    pytest.param('{"contents":%s,"contents":[]}' % _TURNS, ["contents: must be a non-empty list of turns, got an empty list"], False, id="duplicate-key-last-wins"),
    pytest.param('{"contents":[],"contents":%s}' % _TURNS, [], False, id="duplicate-key-last-valid"),
    pytest.param('{"cont\\u0065nts":%s}' % _TURNS, [], True, id="escaped-key"),
    pytest.param('{"contents":%s} \r\n' % _TURNS, [], True, id="trailing-whitespace"),
    pytest.param('{"systemInstruction":{"role":null,"parts":[{"text":"x"}]},"contents":%s}' % _TURNS, [], True, id="system-role-null"),
    pytest.param('{"systemInstruction":null,"contents":%s}' % _TURNS, ["systemInstruction: must be an object with 'parts', got null"], False, id="system-null"),
    pytest.param('{"systemInstruction":{"role":1,"parts":[{"text":"x"}]},"contents":%s}' % _TURNS, ["systemInstruction.role: must be a string (its value is ignored), got a number"], False, id="system-role-number"),
    pytest.param('{"contents":[{"role":"user","parts":[{"text":null}]},{"role":"model","parts":[{"text":"b"}]}]}', ["contents[0].parts[0].text: must be a string, got null"], False, id="text-null"),
    pytest.param('{"contents":[{"role":"user","parts":[{}]},{"role":"model","parts":[{"text":"b"}]}]}', ["contents[0].parts[0]: empty part; a part holds exactly one of: text, fileData"], False, id="empty-part"),
    pytest.param('{"contents":[{"role":"user","parts":[{"fileData":null}]},{"role":"model","parts":[{"text":"b"}]}]}', ["contents[0].parts[0].fileData: must be an object with mimeType and fileUri, got null"], False, id="file-data-null"),
    pytest.param('{"contents":[{"role":"user","parts":[{"text":"\\ud800"}]},{"role":"model","parts":[{"text":"b"}]}]}', ["not valid JSON: "], False, id="lone-surrogate"),
    pytest.param('{"contents":[{"role":"user","parts":[{"text":"a\tb"}]},{"role":"model","parts":[{"text":"b"}]}]}', ["not valid JSON: "], False, id="raw-control-character"),
])
def test_lines_json_dumps_would_not_write_get_the_right_verdict_on_both_paths(line, expected, fast):
    checker = ExampleChecker(FLASH, MODELS[FLASH])
    problems, _, _ = checker.check(line.encode())
    assert len(problems) == len(expected) and all(p.startswith(e) for p, e in zip(problems, expected)), problems
    assert (checker.measure_line(line.encode()) is not None) == fast


def test_a_valid_example_padded_past_the_line_limit_is_still_too_long(tmp_path):
    rules = replace(MODELS[FLASH], max_tokens_per_example=10)
    line = json.dumps(GOOD).encode() + b" " * 700 + b"\n"
    report = check(tmp_path, line, rules=rules)
    assert [str(p) for p in report.problems] == [
        f"x.jsonl: line 1: {len(line):,} bytes long; an example within gemini-3.5-flash's 10-token limit fits in 640 bytes"
    ]
