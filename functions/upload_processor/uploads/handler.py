"""Lambda entry point of the upload pipeline, invoked by S3 through the `live` alias."""

from __future__ import annotations

from typing import Any

import boto3

from uploads.events import summarise

_S3 = boto3.client("s3")


def read(bucket: str, key: str, length: int) -> bytes:
    response = _S3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{length - 1}")
    return response["Body"].read()


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    # A failure raises: Lambda retries, then sends the event to the dead-letter destination.
    return summarise(event, read)
