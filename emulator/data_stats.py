"""The statistics Vertex AI reports about a job's training data (`SupervisedTuningDataStats`).

Vertex reads the training data set once a job starts and reports, from then on, how many
examples it holds, how many tokens they are (`total_billable_token_count`: "Number of
billable tokens in the tuning dataset", one pass over the data; Google bills training
tokens as that times the epochs), how many tuning steps the job takes, and distributions
of the tokens per example. The emulator counts the same from the data set it read
(`DatasetTally`, fed by `emulator.datasets`); when it could not read the data set it
invents plausible figures seeded by the job id (`invented_stats`), the same on every look.

How tokens are counted, without Gemini's tokenizer: the text of an example's system
instruction and user turns is its input, the text of its model turns its output; each
counts one token per 4 characters, rounded up (Google's rule of thumb for Gemini: "a token
is about 4 characters"). A `fileData` part adds a fixed count by its MIME type, since a
gs:// URI does not tell how long the file is: an image 258 tokens, audio 960 (30 s at 32
tokens per second), video 2,630 (10 s at 263 tokens per second), anything else (PDF,
plain text) 258 (one page). An example's billable tokens are its input plus its output.
Characters (`total_tuning_character_count`, `total_billable_character_count`) are the
text's characters. No example is truncated or dropped.

Tuning steps: the epochs (`hyper_parameters.epoch_count`; 4 when unset, where Vertex
chooses from the data set's size) times the batches per epoch, at 16 examples a batch
(Vertex documents neither its batch size nor how it chooses the epochs).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any, Sequence

from google.cloud.aiplatform_v1 import (
    Content,
    SupervisedTuningDatasetDistribution,
    SupervisedTuningDataStats,
    TuningJob,
)

__all__ = [
    "CHARACTERS_PER_TOKEN",
    "DEFAULT_EPOCHS",
    "TRAINING_BATCH_SIZE",
    "DatasetTally",
    "epochs_of",
    "invented_stats",
    "steps_per_epoch",
]

CHARACTERS_PER_TOKEN = 4
TRAINING_BATCH_SIZE = 16
DEFAULT_EPOCHS = 4
SAMPLE_EXAMPLES = 3
"""How many examples' user turns `user_dataset_examples` shows."""

_FILE_PART_TOKENS = {"image/": 258, "audio/": 30 * 32, "video/": 10 * 263}
_OTHER_FILE_PART_TOKENS = 258


def epochs_of(job: TuningJob) -> int:
    """The epochs a job trains: as asked, or the emulator's choice when unset."""
    return job.supervised_tuning_spec.hyper_parameters.epoch_count or DEFAULT_EPOCHS


def steps_per_epoch(example_count: int) -> int:
    return max(1, math.ceil(example_count / TRAINING_BATCH_SIZE))


@dataclass
class DatasetTally:
    """Counts kept while reading a data set's examples, one `add` per example."""

    input_tokens: list[int] = field(default_factory=list)
    output_tokens: list[int] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)
    characters: int = 0
    samples: list[Content] = field(default_factory=list)

    def add(self, example: dict[str, Any]) -> None:
        """Count one example of valid shape (see `emulator.datasets`)."""
        turns = example["contents"]
        system = example.get("systemInstruction")
        input_parts = [*(system.get("parts", []) if isinstance(system, dict) else []),
                       *(part for turn in turns if turn["role"] == "user" for part in turn["parts"])]
        output_parts = [part for turn in turns if turn["role"] == "model" for part in turn["parts"]]
        input_characters, input_files = _measure(input_parts)
        output_characters, output_files = _measure(output_parts)
        self.input_tokens.append(_tokens(input_characters) + input_files)
        self.output_tokens.append(_tokens(output_characters) + output_files)
        self.messages.append(len(turns))
        self.characters += input_characters + output_characters
        if len(self.samples) < SAMPLE_EXAMPLES:
            user_text = [part["text"] for turn in turns if turn["role"] == "user"
                         for part in turn["parts"] if isinstance(part.get("text"), str)]
            self.samples.append(Content(role="user", parts=[{"text": text} for text in user_text]))

    @property
    def example_count(self) -> int:
        return len(self.messages)

    def stats(self, epochs: int) -> SupervisedTuningDataStats:
        """The statistics of the examples counted, for a job of `epochs` epochs."""
        billable = sum(self.input_tokens) + sum(self.output_tokens)
        return SupervisedTuningDataStats(
            tuning_dataset_example_count=self.example_count,
            total_tuning_character_count=self.characters,
            total_billable_character_count=self.characters,
            total_billable_token_count=billable,
            tuning_step_count=epochs * steps_per_epoch(self.example_count),
            user_input_token_distribution=_distribution(self.input_tokens),
            user_output_token_distribution=_distribution(self.output_tokens),
            user_message_per_example_distribution=_distribution(self.messages),
            user_dataset_examples=self.samples,
            total_truncated_example_count=0,
        )


def invented_stats(job_id: str, epochs: int) -> SupervisedTuningDataStats:
    """Plausible statistics for a data set the emulator could not read, seeded by the job's id."""
    rng = random.Random(job_id)
    examples = rng.randint(100, 2000)
    tokens_per_example = rng.randint(150, 900)
    return SupervisedTuningDataStats(
        tuning_dataset_example_count=examples,
        total_billable_token_count=examples * tokens_per_example,
        tuning_step_count=epochs * steps_per_epoch(examples),
        total_truncated_example_count=0,
    )


def _measure(parts: list[Any]) -> tuple[int, int]:
    """The text characters of `parts` and the tokens of their file parts."""
    characters = files = 0
    for part in parts:
        if not isinstance(part, dict):
            continue
        if isinstance(part.get("text"), str):
            characters += len(part["text"])
        file_data = part.get("fileData")
        if isinstance(file_data, dict):
            mime_type = str(file_data.get("mimeType", ""))
            files += next((tokens for prefix, tokens in _FILE_PART_TOKENS.items() if mime_type.startswith(prefix)),
                          _OTHER_FILE_PART_TOKENS)
    return characters, files


def _tokens(characters: int) -> int:
    return -(-characters // CHARACTERS_PER_TOKEN)


def _distribution(values: Sequence[int]) -> SupervisedTuningDatasetDistribution:
    ordered = sorted(values)
    total = sum(ordered)
    return SupervisedTuningDatasetDistribution(
        sum=total,
        billable_sum=total,
        min_=ordered[0],
        max_=ordered[-1],
        mean=total / len(ordered),
        median=_percentile(ordered, 50),
        p5=_percentile(ordered, 5),
        p95=_percentile(ordered, 95),
    )


def _percentile(ordered: Sequence[int], percent: float) -> float:
    # Nearest rank: the smallest value with at least `percent` % of the values at or below it.
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return float(ordered[rank - 1])
