"""A local Vertex AI emulator for offline demos and tests.

A real gRPC server that the unmodified google-cloud-aiplatform v1 clients talk
to over a plaintext channel. It serves supervised tuning jobs
(GenAiTuningService), continued from tuned models too, the model versions a
finished job registers with their checkpoints (ModelService), the endpoints
that serve them, with deployments and traffic splits (EndpointService), the
long-running operations that change endpoints and models (Operations) and the
experiments jobs name (MetadataService), with Vertex AI's validation,
per-project concurrent-job quota (with Google's error details), job states and
asynchronous cancelling, data statistics and evaluation runs, names resources
with project numbers as Vertex AI does, and keeps everything in one JSON state
file.

Layers, bottom up:
    clock, store, names, projects, errors   plumbing: time, persisted state, names, project numbers
    base_models, lifecycle_rules,           what Vertex accepts, per model and region; which models a
      availability, quota                     project may still tune on a day; quota errors
    validation, filters, paging, traffic    request checks, list mechanics, traffic splits
    operations, listing, model_registry     long-running operations, List methods, model versions
    data_stats, datasets, checkpoints,      data set checks and statistics, checkpoints, evaluation
      evaluation, experiments                 results, experiments
    continuous_tuning, tuning_results,      how jobs, endpoints and models change
      tuning_lifecycle, deployments, world
    *_service, rpc                          the API methods and their gRPC glue
    faults, rpc_log, server, __main__       fault injection, the call log, the server, the CLI

Run it with `python -m emulator --help`; embed it with `emulator.server.build_server`.
"""
