"""Rules a job must meet beyond its shape: its model's row, regions, keys, labels, gates.

`check(spec, catalogue, today)` returns (field path, message, severity) findings; a job is
valid when none of them is an error. What a model accepts comes from its catalogue row
(`providers.jobfile.catalogue`): adapter sizes, tuning regions, customer-managed keys; a
figure the row leaves null is not checked (Vertex AI decides). The lifecycle features
(evaluation, continuous tuning, checkpoints) are used only where the row offers them. A
model near or past its retirement is a warning (`providers.jobfile.retirement`): stacks
hold jobs on retired models, and only a new submission on one is refused, by the provider
that submits it. A continuing job follows its source's base model (`model_findings`, once
`providers.jobfile.lineage` knows it).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from datetime import date

from providers.jobfile import retirement
from providers.jobfile.catalogue import REPOSITORY_FILE, Catalogue
from providers.jobfile.evaluation import kind_of
from providers.jobfile.fields import field_name
from providers.jobfile.labels import label_problems
from providers.jobfile.problems import Severity
from providers.jobfile.schema import BEST_CHECKPOINT, DEFAULT_CHECKPOINT, JobSpec

Finding = tuple[str, str, Severity]
_KIND_NAMES = {"rouge": "ROUGE", "bleu": "BLEU", "exact_match": "exact-match"}
BASE_MODEL, CONTINUE_FROM = field_name(JobSpec, "base_model"), field_name(JobSpec, "continue_from")
SOURCE_MISSING: Finding = (BASE_MODEL, f"required key is missing (or give {CONTINUE_FROM}, to continue tuning a "
                                       "tuned model)", "error")
REGION_PLACEHOLDER = "{region}"
_KEY_LOCATION = re.compile(r"/locations/([^/]+)/")


def check(spec: JobSpec, catalogue: Catalogue, today: date) -> list[Finding]:
    """What one file says, checked: the job's own rules, and its base model's.

    A continuing job (`continueFrom`) follows its source's base model, which only the other
    files tell (`providers.jobfile.lineage`): its model rules are `model_findings`, run
    once the source is known.
    """
    findings = job_findings(spec)
    if spec.continue_from is None and spec.base_model is not None:
        findings += model_findings(spec, spec.base_model, catalogue, today)
    return findings


def job_findings(spec: JobSpec) -> list[Finding]:
    """The rules any job meets whatever its model: one source of weights, gates that read an
    evaluation, one metric of a kind, labels, a key in the job's region."""
    findings: list[Finding] = []
    if spec.base_model is None and spec.continue_from is None:
        findings.append(SOURCE_MISSING)
    elif spec.base_model is not None and spec.continue_from is not None:
        findings.append((CONTINUE_FROM, f"a job tunes a base model or continues a tuned model, not both: remove "
                                        f"{BASE_MODEL} (a continuing job follows its source's base model)", "error"))
    if spec.continue_from is not None and (spec.continue_from.job is None) == (spec.continue_from.model is None):
        findings.append((CONTINUE_FROM, "give one of job (a job of this stack, whose tuned model it continues) "
                                        "or model (projects/P/locations/L/models/M@VERSION)", "error"))
    findings.extend(_evaluation_findings(spec))
    findings.extend(key_region_problems(spec, spec.regions or []))
    findings.extend((field, message, "error") for field, message in label_problems(spec.labels))
    return findings


def model_findings(spec: JobSpec, model: str | None, catalogue: Catalogue, today: date) -> list[Finding]:
    """The rules of `model`: the job's base model, or for a continuing job its source's.

    None: the model is not known before Vertex reads the source (`continueFrom.model`);
    then only what holds for any model is checked, and Vertex decides the rest.
    """
    findings: list[Finding] = []
    rules = catalogue.rules(model) if model is not None else None
    where = BASE_MODEL if spec.continue_from is None else CONTINUE_FROM
    if model is not None and rules is None:
        findings.append((where, unknown_model(model, catalogue, today), "error"))
    elif rules is not None:
        through = "" if spec.continue_from is None else " (the base model of the model it continues)"
        if (note := retirement.warning(model, rules, today)) is not None:
            findings.append((where, note, "warning"))
        size = spec.hyper_parameters.adapter_size
        if size is not None and rules.adapter_sizes is not None and size not in rules.adapter_sizes:
            allowed = ", ".join(map(str, rules.adapter_sizes)) or "none (leave it unset)"
            findings.append((
                field_name(JobSpec, "hyper_parameters", "adapter_size"),
                f"{size} is not supported for {_named(model, catalogue)}{through}; allowed: {allowed}",
                "error",
            ))
        if spec.encryption_spec is not None and rules.cmek is False:
            findings.append((
                field_name(JobSpec, "encryption_spec"),
                f"{_named(model, catalogue)}{through} does not support customer-managed encryption keys "
                "(CMEK): remove encryptionSpec, or tune a model that supports them",
                "error",
            ))
        findings.extend(_feature_findings(spec, model, catalogue))
    regions = field_name(JobSpec, "regions")
    for index, region in enumerate(spec.regions or ()):
        if spec.regions.index(region) != index:
            findings.append((f"{regions}.{index}", f"{region!r} is listed twice", "error"))
        elif (problem := region_problem(model or "", region, catalogue)) is not None:
            findings.append((f"{regions}.{index}", problem, "error"))
        elif model is not None and (problem := evaluation_problem(spec, model, region, catalogue)) is not None:
            findings.append((field_name(JobSpec, "evaluation"), problem, "error"))
    return list(dict.fromkeys(findings))  # once, however many regions say the same


def evaluation_problem(spec: JobSpec, model: str, region: str, catalogue: Catalogue) -> str | None:
    """Why the job cannot evaluate while tuning `model` in `region`; None if it can (or asks for no evaluation)."""
    rules = catalogue.rules(model)
    if spec.evaluation is None or rules is None or region in (rules.evaluation_regions or ()):
        return None
    if rules.evaluation_regions:
        return (f"{_named(model, catalogue)} evaluates while tuning in {', '.join(rules.evaluation_regions)} only, "
                f"not in {region}: tune it there, or remove evaluation")
    offered = ", ".join(f"{m} ({', '.join(catalogue.models[m].evaluation_regions)})"
                        for m in catalogue.offering("evaluation_regions")) or "no model"
    return (f"Google documents no evaluation during tuning for {_named(model, catalogue)} (it does for {offered}): "
            f"remove evaluation, or, if Vertex AI offers it to your project, give {model}'s row "
            f"evaluationRegions in {REPOSITORY_FILE}")


def _feature_findings(spec: JobSpec, model: str, catalogue: Catalogue) -> list[Finding]:
    """Continuous tuning and checkpoints, where the model's row offers them."""
    rules = catalogue.models[model]
    findings: list[Finding] = []
    if spec.continue_from is not None and not rules.continuous_tuning:
        findings.append((CONTINUE_FROM, _not_offered(
            model, catalogue, "continuous_tuning", "continues tuning of its tuned models", "continuousTuning"), "error"))
    wants = [(field_name(JobSpec, "export_last_checkpoint_only"), spec.export_last_checkpoint_only)]
    if spec.serving is not None:
        wants.append((field_name(JobSpec, "serving", "checkpoint"), spec.serving.checkpoint != DEFAULT_CHECKPOINT))
    if spec.continue_from is not None:
        wants.append((field_name(JobSpec, "continue_from", "checkpoint"), spec.continue_from.checkpoint is not None))
    for field, wanted in wants:
        if wanted and not rules.checkpoints:
            findings.append((field, _not_offered(model, catalogue, "checkpoints", "saves intermediate checkpoints",
                                                 "checkpoints"), "error"))
    return findings


def _not_offered(model: str, catalogue: Catalogue, feature: str, what: str, key: str) -> str:
    offered = ", ".join(catalogue.offering(feature)) or "no model"
    return (f"Google does not document that {_named(model, catalogue)} {what} (it does for {offered}); "
            f"if Vertex AI offers it to your project, set {key} in {model}'s row in {REPOSITORY_FILE}")


def _evaluation_findings(spec: JobSpec) -> list[Finding]:
    """An evaluation asks for one metric of each kind; a gate reads one of the job's metrics."""
    findings: list[Finding] = []
    metrics_field = field_name(JobSpec, "evaluation", "metrics")
    metrics = spec.evaluation.metrics if spec.evaluation is not None else []
    by_kind: dict[str, list[str]] = {}
    for metric in metrics:
        by_kind.setdefault(kind_of(metric), []).append(metric)
    for kind, named in by_kind.items():
        if len(named) > 1:
            findings.append((metrics_field, f"{', '.join(named[:-1])} and {named[-1]} are "
                                            f"{'both' if len(named) == 2 else 'all'} {_KIND_NAMES[kind]} scores, "
                                            "which Vertex AI reports without the metric's name: ask for one "
                                            "metric of a kind", "error"))
    serving = spec.serving
    gate = serving.promote_when if serving is not None else None
    if gate is not None and spec.evaluation is None:
        findings.append((field_name(JobSpec, "serving", "promote_when"),
                         f"a gate reads the job's evaluation scores: add evaluation (metrics: [{gate.metric}], "
                         "outputUriPrefix: gs://...), or remove promoteWhen", "error"))
    elif gate is not None and gate.metric not in metrics:
        findings.append((field_name(JobSpec, "serving", "promote_when", "metric"),
                         f"{gate.metric!r} is not one of {metrics_field} ({', '.join(metrics)})", "error"))
    if serving is not None and serving.checkpoint == BEST_CHECKPOINT and gate is None:
        findings.append((field_name(JobSpec, "serving", "checkpoint"),
                         "best is the checkpoint with the best score of serving.promoteWhen.metric: add "
                         "promoteWhen (its metric alone is enough), or serve default or a checkpoint id", "error"))
    if (serving is not None and serving.checkpoint not in (DEFAULT_CHECKPOINT, BEST_CHECKPOINT)
            and spec.export_last_checkpoint_only):
        findings.append((field_name(JobSpec, "serving", "checkpoint"),
                         f"checkpoint {serving.checkpoint!r}: with exportLastCheckpointOnly the job keeps its last "
                         "checkpoint only; serve default or best, or remove exportLastCheckpointOnly", "error"))
    return findings


def region_problem(model: str, region: str, catalogue: Catalogue) -> str | None:
    """Why `model` cannot tune in `region`; None if it can (or the model is unknown: said elsewhere)."""
    if catalogue.rules(model) is None:
        return None if region in catalogue.known_regions() else not_allowed(
            region, catalogue.known_regions(), "tuning region")
    allowed = catalogue.regions_of(model)
    if region in allowed:
        return None
    if catalogue.rules(model).tuning_regions is None:
        return not_allowed(region, allowed, "tuning region")
    return not_allowed(region, allowed, f"tuning region of {_named(model, catalogue)}")


def key_for_region(kms_key_name: str, region: str) -> str:
    """The key a job uses in `region`: `{region}` in the key's location stands for it."""
    return kms_key_name.replace(REGION_PLACEHOLDER, region)


def unknown_model(name: str, catalogue: Catalogue, today: date) -> str:
    current = [m for m, rules in catalogue.models.items() if not retirement.is_retired(rules, today)]
    retired = [m for m, rules in catalogue.models.items() if retirement.is_retired(rules, today)]
    close = catalogue.closest(name)
    hint = f" Did you mean {close!r}?" if close else ""
    return (
        f"{name!r} is not a base model this tool knows.{hint} Known: {', '.join(current)} "
        f"(retired: {', '.join(retired)}). For a model Google added since this release, add its "
        f"row to {REPOSITORY_FILE} at the repository's root (see the README, \"Models\")."
    )


def not_allowed(value: str, allowed: Iterable[str], what: str) -> str:
    choices = sorted(allowed)
    close = difflib.get_close_matches(value, choices, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"{value!r} is not a supported {what}.{hint} Allowed: {', '.join(choices)}"


def key_region_problems(spec: JobSpec, regions: list[str]) -> list[Finding]:
    """A customer-managed key must be in the job's region: one key name for each region it runs in."""
    if spec.encryption_spec is None or not regions:
        return []
    location = _KEY_LOCATION.search(spec.encryption_spec.kms_key_name)
    if location is None or location[1] == REGION_PLACEHOLDER:
        return []
    others = [region for region in regions if region != location[1]]
    if not others:
        return []
    return [(
        field_name(JobSpec, "encryption_spec", "kms_key_name"),
        f"the key is in {location[1]}, but Vertex AI needs a key in the job's own region "
        f"({', '.join(others)}); for a job in several regions write locations/{REGION_PLACEHOLDER} "
        "and keep a key of that name in each region",
        "error",
    )]


def _named(model: str, catalogue: Catalogue) -> str:
    """The model, and the repository's models.yaml when its row comes from there."""
    return f"{model} (row in {REPOSITORY_FILE})" if catalogue.origin(model) == REPOSITORY_FILE else model
