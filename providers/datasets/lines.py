"""One line of a tuning data set: is it a valid example for the model, and how big is it?

`ExampleChecker.check(line)` parses one JSONL line and returns the problems found (each
names the JSON path and what is allowed), the example's estimated token count and how
many file parts (image, audio, document) it holds. The accepted shape is Google's
documented tuning schema: `contents` (a list of user/model turns whose parts are `text`
or `fileData`) and an optional `systemInstruction`.

Two paths apply the same rules. `measure_line` is the fast one, a yes or no (with the
sizes when yes): msgspec decodes the line into typed structs, which checks keys, types,
roles and non-empty lists in C, and a short Python pass checks the rest (one kind per
part, MIME types, gs:// URIs, the order of roles) while summing the text. A line it
rejects is parsed again into Python objects by pydantic_core and walked by
`shape_problems`, which says what is wrong.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType
from pydantic_core import from_json

from providers.jobfile.catalogue import MODALITIES, DatasetLimits
from providers.datasets.tokens import CHARACTERS_PER_TOKEN, FILE_PART_TOKENS, estimate_tokens

MIME_TYPES: dict[str, str] = {
    "image/png": "image",
    "image/jpeg": "image",
    "image/webp": "image",
    "audio/aac": "audio",
    "audio/x-aac": "audio",
    "audio/flac": "audio",
    "audio/mp3": "audio",
    "audio/m4a": "audio",
    "audio/mpeg": "audio",
    "audio/mpga": "audio",
    "audio/mp4": "audio",
    "audio/ogg": "audio",
    "audio/opus": "audio",
    "audio/pcm": "audio",
    "audio/wav": "audio",
    "audio/webm": "audio",
    "application/pdf": "document",
    "text/plain": "document",
}
"""Each MIME type a `fileData` part may have, and the modality it belongs to.

From Vertex AI's image, audio and document understanding pages; the audio list joins
the Gemini 1.5 page's (audio/aac, audio/opus) and today's (audio/x-aac, audio/ogg).
"""

TOP_KEYS = ("contents", "systemInstruction")
TURN_KEYS = ("role", "parts")
SYSTEM_KEYS = ("role", "parts")
ROLES = ("user", "model")
PART_KINDS = ("text", "fileData")
FILE_DATA_KEYS = ("mimeType", "fileUri")

# Keys and roles of other chat formats (OpenAI's above all) that people convert from.
_KEY_HINTS = {"messages": "contents", "content": "parts", "system": "systemInstruction"}
_ROLE_HINTS = {"assistant": "model", "bot": "model", "ai": "model", "human": "user"}

_JSON_POSITION = re.compile(r" at line \d+ column (\d+)$")
# An example within the token limit is far shorter: 4 characters per token, and a
# character takes at most 12 bytes as a JSON escape (a surrogate pair), with room for
# markup. Lines beyond this are skipped unread so memory stays bounded.
_BYTES_PER_TOKEN_BOUND = CHARACTERS_PER_TOKEN * 12 + 16

_MISSING = object()


class _Strict(Struct, forbid_unknown_fields=True, rename="camel", gc=False):
    """The valid shape as msgspec structs, so that decoding a line also checks it in C.

    gc=False: these hold only strings and each other, never a cycle, and a GC pass
    over millions of tracked objects per file would cost time for nothing.
    """


class _FileData(_Strict):
    mime_type: str
    file_uri: str


class _TextPart(_Strict):
    text: str

    # Not a field: lets `measure_line` read text-only and mixed parts alike.
    file_data = UNSET


class _Part(_Strict):
    # Exactly one of the two is checked in `measure_line`: msgspec has no untagged unions.
    text: str | UnsetType = UNSET
    file_data: _FileData | UnsetType = UNSET


class _System(_Strict):
    parts: Annotated[list[_TextPart], Meta(min_length=1)]
    role: str | None = None


class _Turn(_Strict):
    role: Literal["user", "model"]
    parts: Annotated[list[_Part], Meta(min_length=1)]


class _TextTurn(_Strict):
    role: Literal["user", "model"]
    parts: Annotated[list[_TextPart], Meta(min_length=1)]


class _Example(_Strict):
    contents: Annotated[list[_Turn], Meta(min_length=1)]
    system_instruction: _System | UnsetType = UNSET


class _TextExample(_Strict):
    contents: Annotated[list[_TextTurn], Meta(min_length=1)]
    system_instruction: _System | UnsetType = UNSET


_DECODERS = {False: msgspec.json.Decoder(_Example), True: msgspec.json.Decoder(_TextExample)}
"""Decoders for models that take file parts (False) and text-only models (True)."""


class ExampleChecker:
    """Checks lines against one base model's rules."""

    def __init__(self, model: str, rules: DatasetLimits) -> None:
        self.model = model
        self.rules = rules
        # A limit the model's row leaves unknown is not checked: Vertex decides.
        self.max_tokens = rules.max_tokens_per_example or sys.maxsize
        self.max_line_bytes = (rules.max_tokens_per_example * _BYTES_PER_TOKEN_BOUND
                               if rules.max_tokens_per_example else None)
        self.modalities = tuple(rules.modalities) if rules.modalities is not None else MODALITIES
        self._mime_tokens = {
            mime: FILE_PART_TOKENS[modality]
            for mime, modality in MIME_TYPES.items()
            if modality in self.modalities
        }
        self._text_only = not self._mime_tokens
        self._decode = _DECODERS[self._text_only].decode

    def check(self, line: bytes) -> tuple[list[str], int, int]:
        """Problems with one line (empty if it is a valid example), its estimated tokens and file parts."""
        measured = self.measure_line(line)
        if measured is None:
            try:
                example = from_json(line, allow_inf_nan=False, cache_strings="keys")
            except ValueError as exc:
                return [_json_problem(line, exc)], 0, 0
            problems, tokens, file_parts = self.shape_problems(example)
        else:
            problems = []
            tokens, file_parts = measured
        if tokens > self.max_tokens:
            problems.append(
                f"about {tokens:,} tokens (estimated); {self.model} allows at most "
                f"{self.rules.max_tokens_per_example:,} per example"
            )
        return problems, tokens, file_parts

    def measure_line(self, line: bytes) -> tuple[int, int] | None:
        """(estimated tokens, file parts) of a line holding an example of valid shape; None if not.

        The fast path for a 1 GB file, where nearly every line is valid: it only says
        yes or no, and `shape_problems` (the same rules) explains a no. The two must agree.
        msgspec decodes the line into typed structs and checks keys, types, roles and
        non-empty lists in C; what it cannot express is checked here.
        """
        try:
            example = self._decode(line)
        except msgspec.DecodeError:  # ValidationError is a DecodeError
            return None
        contents = example.contents
        if contents[-1].role != "model" or (
            contents[0].role != "user" and all(turn.role == "model" for turn in contents)
        ):
            return None
        characters = 0
        system = example.system_instruction
        if system is not UNSET:
            for part in system.parts:
                characters += len(part.text)
        mime_tokens = self._mime_tokens
        file_tokens = file_parts = 0
        try:
            for turn in contents:
                for part in turn.parts:
                    file_data = part.file_data
                    if file_data is UNSET:
                        # len(UNSET) raises TypeError: a part with neither key.
                        characters += len(part.text)
                    elif (
                        part.text is UNSET
                        and (tokens := mime_tokens.get(file_data.mime_type)) is not None
                        and _is_gcs_uri(file_data.file_uri)
                    ):
                        file_tokens += tokens
                        file_parts += 1
                    else:
                        return None
        except TypeError:
            return None
        return estimate_tokens(characters, file_tokens), file_parts

    def measure_valid(self, example: object) -> tuple[int, int] | None:
        """`measure_line` for an example already parsed from JSON."""
        return self.measure_line(json.dumps(example).encode())

    def shape_problems(self, example: object) -> tuple[list[str], int, int]:
        """Every rule of shape the example breaks, its estimated tokens so far and its file parts.

        A part holding only a `fileData` object counts as a file part even when what it
        holds is wrong (MIME type, URI, a text-only model): the example still carries a file.
        """
        if type(example) is not dict:
            return [f"an example must be a JSON object with 'contents', got {_kind(example)}"], 0, 0
        problems: list[str] = []
        for key in example:
            if key not in TOP_KEYS:
                problems.append(_unknown_key("", key, TOP_KEYS, _KEY_HINTS))
        characters = 0
        system = example.get("systemInstruction", _MISSING)
        if system is not _MISSING:
            characters += self._check_system(system, problems)
        contents = example.get("contents", _MISSING)
        if contents is _MISSING:
            problems.append("missing 'contents': each example needs its turns under 'contents'")
            return problems, estimate_tokens(characters), 0
        text, file_tokens, file_parts = self._check_contents(contents, problems)
        return problems, estimate_tokens(characters + text, file_tokens), file_parts

    def line_too_long(self, size: int) -> str:
        return (
            f"{size:,} bytes long; an example within {self.model}'s "
            f"{self.rules.max_tokens_per_example:,}-token limit fits in {self.max_line_bytes:,} bytes"
        )

    def _check_contents(self, contents: object, problems: list[str]) -> tuple[int, int, int]:
        if type(contents) is not list or not contents:
            got = "an empty list" if contents == [] else _kind(contents)
            problems.append(f"contents: must be a non-empty list of turns, got {got}")
            return 0, 0, 0
        characters = file_tokens = file_parts = 0
        has_user = False
        role = None
        for index, turn in enumerate(contents):
            if type(turn) is not dict:
                problems.append(
                    f"contents[{index}]: a turn must be an object with 'role' and 'parts', "
                    f"got {_kind(turn)}"
                )
                role = None
                continue
            if len(turn) != 2 or "role" not in turn or "parts" not in turn:
                self._check_turn_keys(index, turn, problems)
            role = turn.get("role", _MISSING)
            if role == "user":
                has_user = True
            elif role != "model":
                if role is not _MISSING:
                    problems.append(_role_problem(index, role))
                role = None
            parts = turn.get("parts", _MISSING)
            if parts is not _MISSING:
                text, tokens, files = self._check_parts(f"contents[{index}]", parts, problems)
                characters += text
                file_tokens += tokens
                file_parts += files
        if role == "user":
            problems.append(
                "contents: the last turn must be the model's answer (role 'model'), "
                "got role 'user'"
            )
        if not has_user:
            problems.append("contents: needs at least one 'user' turn before the model's answer")
        return characters, file_tokens, file_parts

    def _check_turn_keys(self, index: int, turn: dict, problems: list[str]) -> None:
        where = f"contents[{index}]"
        for key in turn:
            if key not in TURN_KEYS:
                problems.append(_unknown_key(where, key, TURN_KEYS, _KEY_HINTS))
        if "role" not in turn:
            problems.append(f"{where}.role: missing; allowed: {', '.join(ROLES)}")
        if "parts" not in turn:
            problems.append(f"{where}.parts: missing; a turn needs a non-empty list of parts")

    def _check_parts(self, where: str, parts: object, problems: list[str]) -> tuple[int, int, int]:
        if type(parts) is not list or not parts:
            got = "an empty list" if parts == [] else _kind(parts)
            problems.append(f"{where}.parts: must be a non-empty list of parts, got {got}")
            return 0, 0, 0
        characters = file_tokens = file_parts = 0
        for index, part in enumerate(parts):
            if type(part) is dict and len(part) == 1:
                text = part.get("text", _MISSING)
                if type(text) is str:
                    characters += len(text)
                    continue
                file_data = part.get("fileData", _MISSING)
                if type(file_data) is dict:
                    file_tokens += self._check_file_data(f"{where}.parts[{index}]", file_data, problems)
                    file_parts += 1
                    continue
            self._part_problem(f"{where}.parts[{index}]", part, False, problems)
        return characters, file_tokens, file_parts

    def _check_file_data(self, where: str, file_data: dict, problems: list[str]) -> int:
        where = f"{where}.fileData"
        if self._text_only:
            problems.append(f"{where}: {self.model} tunes on text only; use text parts")
            return 0
        for key in file_data:
            if key not in FILE_DATA_KEYS:
                problems.append(_unknown_key(where, key, FILE_DATA_KEYS, {}))
        tokens = 0
        mime = file_data.get("mimeType", _MISSING)
        if type(mime) is not str:
            problems.append(f"{where}.mimeType: {_missing_or_kind(mime)}; a MIME type string is required")
        elif mime in self._mime_tokens:
            tokens = self._mime_tokens[mime]
        else:
            problems.append(f"{where}.mimeType: {self._mime_problem(mime)}")
        uri = file_data.get("fileUri", _MISSING)
        if type(uri) is not str:
            problems.append(f"{where}.fileUri: {_missing_or_kind(uri)}; a gs://BUCKET/OBJECT URI is required")
        elif not _is_gcs_uri(uri):
            problems.append(f"{where}.fileUri: {_shorten(uri)!r} is not a gs://BUCKET/OBJECT URI")
        return tokens

    def _mime_problem(self, mime: str) -> str:
        modality = MIME_TYPES.get(mime)
        if modality is not None:
            allowed = ", ".join(sorted(self.modalities))
            return f"{mime} is {modality}; {self.model} tunes on {allowed} only"
        accepted = tuple(sorted(self._mime_tokens))
        hint = _close_match(mime, accepted, cutoff=0.85)
        did_you_mean = f"; did you mean {hint!r}?" if hint else ";"
        return f"{_shorten(mime)!r} is not accepted{did_you_mean} {self.model} accepts: {', '.join(accepted)}"

    def _check_system(self, system: object, problems: list[str]) -> int:
        if type(system) is not dict:
            problems.append(
                f"systemInstruction: must be an object with 'parts', got {_kind(system)}"
            )
            return 0
        for key in system:
            if key not in SYSTEM_KEYS:
                problems.append(_unknown_key("systemInstruction", key, SYSTEM_KEYS, _KEY_HINTS))
        role = system.get("role")
        if role is not None and type(role) is not str:
            problems.append(
                f"systemInstruction.role: must be a string (its value is ignored), got {_kind(role)}"
            )
        parts = system.get("parts", _MISSING)
        if parts is _MISSING:
            problems.append("systemInstruction.parts: missing; a list of text parts is required")
            return 0
        if type(parts) is not list or not parts:
            got = "an empty list" if parts == [] else _kind(parts)
            problems.append(f"systemInstruction.parts: must be a non-empty list of text parts, got {got}")
            return 0
        characters = 0
        for index, part in enumerate(parts):
            if type(part) is dict and len(part) == 1 and type(part.get("text")) is str:
                characters += len(part["text"])
            else:
                self._part_problem(f"systemInstruction.parts[{index}]", part, True, problems)
        return characters

    def _part_problem(self, where: str, part: object, in_system: bool, problems: list[str]) -> None:
        kinds = ("text",) if in_system or self._text_only else PART_KINDS
        allowed = ", ".join(kinds)
        if type(part) is not dict:
            wanted = " or ".join(repr(kind) for kind in kinds)
            problems.append(f"{where}: a part must be an object with {wanted}, got {_kind(part)}")
            return
        if not part:
            problems.append(f"{where}: empty part; a part holds exactly one of: {allowed}")
            return
        for key in part:
            if key == "inlineData":
                upload = "" if len(kinds) == 1 else " (upload the file to Cloud Storage and use fileData)"
                problems.append(
                    f"{where}: 'inlineData' is not in the tuning data schema; a part holds "
                    f"exactly one of: {allowed}{upload}"
                )
            elif key == "fileData" and in_system:
                problems.append(f"{where}: a system instruction takes text parts only, got 'fileData'")
            elif key == "fileData" and self._text_only:
                problems.append(f"{where}.fileData: {self.model} tunes on text only; use text parts")
            elif key not in PART_KINDS:
                problems.append(_unknown_key(where, key, kinds, {}))
        present = [key for key in part if key in PART_KINDS]
        if len(present) > 1 and len(kinds) > 1:
            problems.append(
                f"{where}: has both 'text' and 'fileData'; a part holds exactly one of: {allowed}"
            )
        elif "text" in part and type(part["text"]) is not str:
            problems.append(f"{where}.text: must be a string, got {_kind(part['text'])}")
        elif "fileData" in part and len(kinds) > 1 and type(part["fileData"]) is not dict:
            problems.append(
                f"{where}.fileData: must be an object with mimeType and fileUri, "
                f"got {_kind(part['fileData'])}"
            )


def _role_problem(index: int, role: object) -> str:
    where = f"contents[{index}].role"
    allowed = ", ".join(ROLES)
    if role is None:
        return f"{where}: null; allowed: {allowed}"
    if type(role) is not str:
        return f"{where}: must be a string, got {_kind(role)}; allowed: {allowed}"
    if role == "system":
        return f"{where}: 'system' is not a turn role; put the system prompt under 'systemInstruction'"
    hint = _ROLE_HINTS.get(role.lower()) or _close_match(role, ROLES)
    did_you_mean = f"; did you mean {hint!r}?" if hint else ""
    return f"{where}: {_shorten(role)!r} is not allowed{did_you_mean} Allowed: {allowed}"


def _unknown_key(where: str, key: str, allowed: tuple[str, ...], hints: dict[str, str]) -> str:
    hint = hints.get(key) if hints.get(key) in allowed else _close_match(key, allowed)
    did_you_mean = f"; did you mean {hint!r}?" if hint else ";"
    prefix = f"{where}: " if where else ""
    return f"{prefix}unknown key {_shorten(key)!r}{did_you_mean} Allowed: {', '.join(allowed)}"


def _close_match(word: str, choices: tuple[str, ...], cutoff: float = 0.6) -> str | None:
    folded = {choice.lower(): choice for choice in choices}
    if word.lower() in folded:
        return folded[word.lower()]
    close = difflib.get_close_matches(word, choices, n=1, cutoff=cutoff)
    return close[0] if close else None


def _json_problem(line: bytes, exc: ValueError) -> str:
    if line.startswith(b"\xef\xbb\xbf"):
        return "starts with a UTF-8 byte order mark; save the file as UTF-8 without BOM"
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as bad:
        return (
            f"not valid UTF-8: byte 0x{line[bad.start]:02x} at column {bad.start + 1}; "
            "a JSONL file must be UTF-8 encoded"
        )
    reason = str(exc)
    position = _JSON_POSITION.search(reason)
    if position:
        reason = f"{reason[: position.start()]} (column {position.group(1)})"
    return f"not valid JSON: {reason}; each line must be one complete JSON object"


def _is_gcs_uri(uri: str) -> bool:
    bucket, _, name = uri[5:].partition("/") if uri.startswith("gs://") else ("", "", "")
    return bool(bucket) and bool(name)


def _missing_or_kind(value: object) -> str:
    return "missing" if value is _MISSING else f"got {_kind(value)}"


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if type(value) is bool:
        return "a boolean"
    if type(value) in (int, float):
        return "a number"
    if type(value) is str:
        return "a string"
    if type(value) is list:
        return "a list"
    return "an object"


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
