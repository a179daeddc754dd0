"""An estimate of a tuning example's size in tokens, made without Gemini's tokenizer.

How it is made: text counts one token per 4 characters, rounded up over the whole
example (system instruction and every turn); that is Google's documented rule of thumb
for Gemini ("a token is about 4 characters; 100 tokens are about 60-80 English words").
Each `fileData` part adds a fixed count, because a gs:// URI does not tell how long the
file is: an image counts 258 tokens (Gemini 1.5's documented cost of one image); audio
counts 960, an assumed 30 seconds at the documented 32 tokens per second; a document
(PDF or plain text) counts 258, an assumed single page at the documented 258 tokens per
PDF page. How far off it can be: for English prose, within about 20% either way; text
in non-Latin scripts (Chinese, Japanese, Korean, Thai, ...) often takes a token per one
or two characters, and source code, numbers and identifiers also split finer, so there
the real count can be two to four times the estimate. File parts are the larger risk: a
ten-minute recording is 19,200 tokens and a 50-page PDF about 12,900, which the fixed
assumptions do not see. So the check catches examples that are clearly too long; one
estimated just over the limit may in fact fit, and one that passes may still be too
long if it holds long media or much non-Latin text. Vertex AI truncates such examples
(its tuning statistics count them in `total_truncated_example_count`). For an exact
figure, send the example to Vertex AI's CountTokens API.
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
