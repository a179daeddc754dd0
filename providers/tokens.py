"""An estimate of a tuning example's token count, made without Gemini's tokenizer.

How the estimate is made: text counts one token per 4 characters, rounded up over the
whole example (system instruction and every turn), which is Google's documented rule of
thumb for Gemini ("a token is about 4 characters"). Each file part adds a fixed count,
because its length cannot be known from a gs:// URI without downloading the file: an
image counts 258 tokens (Gemini's documented cost of one image); an audio file counts
960 tokens, i.e. an assumed 30 seconds at the documented 32 tokens per second; a
document (PDF or plain text) counts 258 tokens, i.e. an assumed single page at the
documented 258 tokens per PDF page. How far off it can be: for English prose the text
estimate is usually within about 10-20% of the real count; text in non-Latin scripts
(Chinese, Japanese, Thai, Cyrillic, ...), source code, numbers and JSON-like text often
take more tokens per character, so the real count can be up to two or three times the
estimate there. File parts are fixed assumptions: a ten-minute recording is really
19,200 tokens and a 50-page PDF about 12,900, which the estimate does not see. The
estimate is therefore a floor for media-heavy examples: an example reported as over the
limit is over it; one near the limit, or with long audio or documents, may still be
truncated by Vertex AI (its tuning statistics report `total_truncated_example_count`).
For an exact count use Vertex AI's CountTokens API on the example.
"""

from __future__ import annotations

CHARACTERS_PER_TOKEN = 4

ASSUMED_AUDIO_SECONDS = 30
AUDIO_TOKENS_PER_SECOND = 32
ASSUMED_DOCUMENT_PAGES = 1
TOKENS_PER_DOCUMENT_PAGE = 258

FILE_PART_TOKENS: dict[str, int] = {
    "image": 258,
    "audio": ASSUMED_AUDIO_SECONDS * AUDIO_TOKENS_PER_SECOND,
    "document": ASSUMED_DOCUMENT_PAGES * TOKENS_PER_DOCUMENT_PAGE,
}
"""Tokens counted for one file part of each modality (see the module docstring)."""


def estimate_tokens(text_characters: int, file_part_tokens: int = 0) -> int:
    """Estimated tokens of an example with this much text and these file parts."""
    return -(-text_characters // CHARACTERS_PER_TOKEN) + file_part_tokens
