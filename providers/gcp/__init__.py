"""Google Cloud access: everything that talks to Vertex AI or Cloud Storage.

clients      the only place that builds clients (emulator or regional endpoint), shared per process
budget       one time budget per provider call, and the backoff between attempts
vertex       the Vertex AI calls (retried while transient), plain views, the shared listing
names        whether two resource names name one resource (project id or number)
operations   polling long-running operations within a call's deadline
storage      uploading local data sets to Cloud Storage
ownership    the labels that say which stack and job own a Vertex resource; resource ids
errors       the project's error tree, classified by whether a retry helps
"""
