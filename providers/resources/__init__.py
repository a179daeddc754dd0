"""The Pulumi resources and their pure planning.

job                the `gemini-tuning:index:Job` component: one per job file
tuning_job         the TuningJob dynamic provider: one Vertex tuning job per job and region
tuning_history     the TuningHistory dynamic provider: a job's earlier versions in a region
stack_config       what the providers take from the stack's config (emulator guard, stack id)
reporting          one clear line per problem, without a traceback
serving_endpoint   the ServingEndpoint dynamic provider: a stable endpoint per job and region
essence            desired state: the fields that define a Vertex tuning job
traffic            traffic planning for endpoints (pure functions)
endpoints          emptying and deleting an endpoint (shared by both providers)
"""
