"""The job-file language: what a `jobs/*.yaml` file may say, and loading it into a `JobSpec`.

catalogue   the base models Vertex AI tunes, their limits, the tuning regions
labels      Google Cloud's label rules and the keys this tool reserves
schema      the strict, typed `JobSpec` (pydantic) and its JSON Schema
rules       per-model and per-region rules beyond the schema's shape
problems    `Problem` (file, field, message) and `JobFileError`
loading     `yaml.safe_load`, schema, rules, unique names, for one file or a folder
"""
