"""A local Vertex AI emulator for offline demos and tests.

A real gRPC server that the unmodified google-cloud-aiplatform v1 clients talk
to over a plaintext channel. It serves supervised tuning jobs
(GenAiTuningService), the models a finished job registers (ModelService), the
endpoints that serve them, with deployments and traffic splits
(EndpointService), and the long-running operations that change endpoints and
models (Operations), with Vertex AI's validation, per-project concurrent-job
quota (with Google's error details), job states and asynchronous cancelling,
names resources with project numbers as Vertex AI does, and keeps everything
in one JSON state file.

Layers, bottom up:
    clock, store, names, projects, errors   plumbing: time, persisted state, names, project numbers
    base_models, availability, quota        the table of base models and regions; which a project may
                                            still tune on a day; quota errors
    validation, filters, paging, traffic    request checks, list mechanics, traffic splits
    operations, listing, datasets           long-running operations, List methods, data set checks
    tuning_lifecycle, deployments, world    how jobs, endpoints and models change
    *_service, rpc                          the API methods and their gRPC glue
    faults, rpc_log, server, __main__       fault injection, the call log, the server, the CLI

Run it with `python -m emulator --help`; embed it with `emulator.server.build_server`.
"""
