"""The `filter` of List requests: label terms joined by AND.

Supported terms (AIP-160 syntax, the subset Vertex AI users write for labels):

    labels.KEY="VALUE"   label KEY is set to VALUE (quotes allow any text; \\" and \\\\ escape)
    labels.KEY=VALUE     the same, for values without spaces or quotes
    labels.KEY:*         label KEY is set, to anything

Terms are joined by ` AND `. Anything else answers INVALID_ARGUMENT rather
than being ignored, so a filter never silently matches more than asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from emulator.errors import InvalidArgument

__all__ = ["LabelFilter", "LabelTerm"]

_TERM = re.compile(
    r"""labels\.(?P<key>[\w-]+)\s*
        (?: =\s*(?: "(?P<quoted>(?:[^"\\]|\\.)*)" | (?P<bare>[^\s"]+) )
          | (?P<exists>:\s*\*) )
        \s*""",
    re.VERBOSE,
)
_AND = re.compile(r"AND\s+")
_ESCAPE = re.compile(r"\\(.)")
_SUPPORTED = 'supported terms are labels.KEY="VALUE", labels.KEY=VALUE and labels.KEY:*, joined by AND'


@dataclass(frozen=True)
class LabelTerm:
    """One condition: label `key` equals `value`, or exists when `value` is None."""

    key: str
    value: str | None

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.key not in labels:
            return False
        return self.value is None or labels[self.key] == self.value


@dataclass(frozen=True)
class LabelFilter:
    """All terms must hold; no terms match everything."""

    terms: tuple[LabelTerm, ...]
    finds_nothing: bool = False
    """Set (`--label-filters-find-nothing`): terms match nothing, as a Vertex that read a
    hyphenated label key differently would answer; no terms still match everything."""

    @classmethod
    def parse(cls, text: str, *, find_nothing: bool = False) -> LabelFilter:
        terms: list[LabelTerm] = []
        position = len(text) - len(text.lstrip())
        while position < len(text):
            if terms:
                separator = _AND.match(text, position)
                if separator is None:
                    raise _unsupported(text, position)
                position = separator.end()
            match = _TERM.match(text, position)
            if match is None:
                raise _unsupported(text, position)
            terms.append(_term(match))
            position = match.end()
        return cls(tuple(terms), finds_nothing=find_nothing)

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.terms and self.finds_nothing:
            return False
        return all(term.matches(labels) for term in self.terms)


def _term(match: re.Match[str]) -> LabelTerm:
    if match["exists"]:
        return LabelTerm(match["key"], None)
    if match["quoted"] is not None:
        return LabelTerm(match["key"], _ESCAPE.sub(r"\1", match["quoted"]))
    return LabelTerm(match["key"], match["bare"])


def _unsupported(text: str, position: int) -> InvalidArgument:
    return InvalidArgument(f"Unsupported filter {text!r} at {text[position:]!r}: {_SUPPORTED}.")
