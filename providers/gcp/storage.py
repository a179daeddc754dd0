"""The only module that talks to Cloud Storage: uploads local data sets once, and reads
the size of a gs:// data set for a cost estimate.

google-cloud-storage honours STORAGE_EMULATOR_HOST natively, so tests and the demo use
a local GCS emulator through the same code path as real Cloud Storage. It retries
transient answers itself (its DEFAULT_RETRY), here for as long as one provider call's
budget (`providers.gcp.budget`); whatever still fails is raised as the project's errors
with what to do about it in Cloud Storage.
"""

from __future__ import annotations

import google.auth.exceptions
from google.api_core import exceptions as core_exceptions

from providers.gcp import errors
from providers.gcp.budget import Budget
from providers.gcp.clients import storage_client


def split_uri(uri: str) -> tuple[str, str]:
    """`gs://bucket/object/name` -> ("bucket", "object/name")."""
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    return bucket, name


def upload_if_missing(local_path: str, uri: str, project: str) -> bool:
    """Uploads `local_path` to `uri` unless the object exists; True if it uploaded.

    Object names are content-addressed, so an existing object already holds these bytes.
    """
    from google.cloud.storage.retry import DEFAULT_RETRY  # loaded on the first upload only, as the client is

    bucket_name, object_name = split_uri(uri)
    retry = DEFAULT_RETRY.with_timeout(Budget().seconds)
    try:
        blob = storage_client(project).bucket(bucket_name).blob(object_name)
        if blob.exists(retry=retry):
            return False
        # Another run may upload the same bytes at the same time: first writer wins.
        blob.upload_from_filename(local_path, if_generation_match=0, retry=retry)
        return True
    except core_exceptions.PreconditionFailed:
        return False
    except core_exceptions.RetryError as exc:
        error = errors.TransientError(f"no answer from Cloud Storage ({exc.message}; last: {exc.cause})",
                                      "UNAVAILABLE")
        raise _with_storage_advice(error, bucket_name) from exc
    except core_exceptions.GoogleAPICallError as exc:
        raise _with_storage_advice(errors.from_google(exc), bucket_name) from exc
    except google.auth.exceptions.GoogleAuthError as exc:
        error = errors.AccessError(f"cannot authenticate to Cloud Storage: {exc}", "UNAUTHENTICATED")
        raise _with_storage_advice(error, bucket_name) from exc
    except OSError as exc:
        raise errors.PermanentError(f"cannot upload {local_path} to {uri}: {exc}") from exc


def object_size(uri: str, project: str) -> int:
    """The size in bytes of the Cloud Storage object `uri`; the project's errors if it cannot be read
    (NotFoundError when it does not exist)."""
    from google.cloud.storage.retry import DEFAULT_RETRY

    bucket_name, object_name = split_uri(uri)
    retry = DEFAULT_RETRY.with_timeout(Budget().seconds)
    try:
        blob = storage_client(project).bucket(bucket_name).get_blob(object_name, retry=retry)
    except core_exceptions.RetryError as exc:
        raise _with_storage_advice(errors.TransientError(
            f"no answer from Cloud Storage ({exc.message}; last: {exc.cause})", "UNAVAILABLE"), bucket_name) from exc
    except core_exceptions.GoogleAPICallError as exc:
        raise _with_reading_advice(errors.from_google(exc), bucket_name) from exc
    except google.auth.exceptions.GoogleAuthError as exc:
        raise _with_reading_advice(errors.AccessError(f"cannot authenticate to Cloud Storage: {exc}",
                                                      "UNAUTHENTICATED"), bucket_name) from exc
    if blob is None:
        raise errors.NotFoundError(f"{uri} does not exist in Cloud Storage", "NOT_FOUND")
    return int(blob.size or 0)


def _with_reading_advice(error: errors.VertexError, bucket: str) -> errors.VertexError:
    if isinstance(error, errors.AccessError):
        error.advice = (f"grant the identity running Pulumi roles/storage.objectViewer on gs://{bucket}, "
                        "or sign in: gcloud auth application-default login")
        return error
    return _with_storage_advice(error, bucket)


_STORAGE_ADVICE = {
    # The object's absence was checked first, so NOT_FOUND on the upload is the bucket's.
    errors.NotFoundError: "the bucket does not exist: create it (gcloud storage buckets create gs://{bucket}) "
                          "or name another with `pulumi config set gemini-tuning:datasetBucket BUCKET`",
    errors.AccessError: "grant the identity running Pulumi roles/storage.objectCreator and "
                        "roles/storage.objectViewer on gs://{bucket}, or sign in: "
                        "gcloud auth application-default login",
    errors.TransientError: "Cloud Storage did not answer in time; run `pulumi up` again",
}


def _with_storage_advice(error: errors.VertexError, bucket: str) -> errors.VertexError:
    """`error` with what to do about it in Cloud Storage (its classes' advice is Vertex AI's)."""
    for kind, advice in _STORAGE_ADVICE.items():
        if isinstance(error, kind):
            error.advice = advice.format(bucket=bucket)
    return error
