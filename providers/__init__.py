"""gemini-tuning: supervised tuning jobs for Gemini on Vertex AI, declared in job files.

Packages, each depending only on those listed after it (checked by import-linter, see
`.importlinter` and docs/architecture.md):

    cli         `python -m providers validate | schema | plan | status | stacks`
    resources   the Pulumi resources: TuningJob, TuningHistory, ServingEndpoint, the Job
                component, their pure planning (essence, traffic), one-line problem reports
    stack       one stack's settings and the checks run before anything is submitted
    gcp         Google Cloud access: the only client builder, calls, errors, operations,
                the labels that say who owns a resource
    datasets    checking local data sets: locating, line checks, scanning, token estimates
    jobfile     the job-file language: schema, model catalogue, per-model and label rules,
                loading

`providers/tuning_job.py` and `providers/serving_endpoint.py` only keep the import paths
that state written by the first release refers to.
"""
