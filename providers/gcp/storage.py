"""The only module that talks to Cloud Storage: uploads local data sets once.

google-cloud-storage honours STORAGE_EMULATOR_HOST natively, so tests and the demo use
a local GCS emulator through the same code path as real Cloud Storage.
"""

from __future__ import annotations

import google.auth.exceptions
from google.api_core import exceptions as core_exceptions

from providers.gcp import errors
from providers.gcp.clients import storage_client


def split_uri(uri: str) -> tuple[str, str]:
    """`gs://bucket/object/name` -> ("bucket", "object/name")."""
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    return bucket, name


def upload_if_missing(local_path: str, uri: str, project: str) -> bool:
    """Uploads `local_path` to `uri` unless the object exists; True if it uploaded.

    Object names are content-addressed, so an existing object already holds these bytes.
    """
    bucket_name, object_name = split_uri(uri)
    try:
        blob = storage_client(project).bucket(bucket_name).blob(object_name)
        if blob.exists():
            return False
        # Another run may upload the same bytes at the same time: first writer wins.
        blob.upload_from_filename(local_path, if_generation_match=0)
        return True
    except core_exceptions.PreconditionFailed:
        return False
    except core_exceptions.GoogleAPICallError as exc:
        raise errors.from_google(exc) from exc
    except google.auth.exceptions.GoogleAuthError as exc:
        raise errors.PermanentError(f"cannot authenticate to Cloud Storage: {exc}") from exc
    except OSError as exc:
        raise errors.PermanentError(f"cannot upload {local_path} to {uri}: {exc}") from exc
