"""Lambda entry point of the upload pipeline, invoked by S3 through the `live` alias.

The S3 client is created on first use, not at import, so a cold import pays only for this
module; and it comes from botocore (which the Lambda runtime provides, as boto3 is built on it),
without boto3's resource layer and s3transfer, so the first read pays less too.
"""

from __future__ import annotations

import functools
from typing import Any

from uploads.events import summarise


@functools.cache
def s3_client() -> Any:
    import botocore.session  # noqa: PLC0415 - on first use: most of a cold import

    return botocore.session.get_session().create_client("s3")


def read(bucket: str, key: str, length: int) -> bytes:
    response = s3_client().get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{length - 1}")
    return response["Body"].read()


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    # A failure raises: Lambda retries, then sends the event to the dead-letter destination.
    return summarise(event, read)
