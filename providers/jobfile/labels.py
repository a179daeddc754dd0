"""Google Cloud's label rules, and the label keys this tool reserves for itself.

Vertex AI allows 64 labels per resource, keys and values of at most 64 characters; GCP's
general rule says 63, so this tool stays within 63. The tool's own labels (which stack
and job a resource belongs to) start with `gt-` and must fit beside the user's.
"""

from __future__ import annotations

import hashlib
import re

MAX_LABELS = 64
MAX_LENGTH = 63
LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")

RESERVED_PREFIX = "gt-"
MANAGED_BY = "gt-managed-by"
STACK = "gt-stack"
STACK_ID = "gt-stack-id"
JOB = "gt-job"
SPEC = "gt-spec"
ROLE = "gt-role"
TOOL_LABELS_PER_RESOURCE = 5
"""The most labels the tool puts on one resource (a tuning job or an endpoint)."""
USER_LABEL_ROOM = MAX_LABELS - TOOL_LABELS_PER_RESOURCE


def label_problems(labels: dict[str, str]) -> list[tuple[str, str]]:
    """(field path, message) for each of a job file's labels that Vertex or this tool refuses."""
    problems = []
    if len(labels) > USER_LABEL_ROOM:
        problems.append(("labels", f"{len(labels)} labels; at most {USER_LABEL_ROOM} fit beside the tool's own"))
    for key, value in labels.items():
        if key.startswith(RESERVED_PREFIX):
            problems.append((f"labels.{key}", f"keys starting with '{RESERVED_PREFIX}' are reserved for this tool"))
        elif not LABEL_KEY.match(key):
            problems.append((
                f"labels.{key}",
                f"a label key is 1-{MAX_LENGTH} lowercase letters, digits, '_' or '-', starting with a letter",
            ))
        if not LABEL_VALUE.match(value):
            problems.append((
                f"labels.{key}",
                f"{value!r}: a label value is at most {MAX_LENGTH} lowercase letters, digits, '_' or '-'",
            ))
    return problems


def label_value(text: str) -> str:
    """Folds any text into a valid label value (lowercase, [a-z0-9_-], at most 63).

    Text that had to change gets a short hash of the original, so `Dev` and `dev`, or
    `prod.eu` and `prod-eu`, never share labels (and so never adopt each other's jobs).
    """
    folded = re.sub(r"[^a-z0-9_-]", "-", text.lower())
    if folded == text and len(text) <= MAX_LENGTH:
        return text
    return f"{folded[:54]}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
