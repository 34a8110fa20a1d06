"""Read the S3 event that invokes the function and summarise the uploaded objects.

The notes' function reads the uploaded text file and prints it; its result is what Lambda's
on-success destination publishes to the topic (the e-mail of the notes). Object keys arrive
URL-encoded (spaces as `+`) in S3 event notifications, so they are decoded before use.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

# How much of an object the function reads (and reports): the notes upload small text files.
PREVIEW_BYTES = 1024


@dataclass(frozen=True)
class Upload:
    bucket: str
    key: str
    size: int


class NotAnUploadEvent(ValueError):
    """An event without S3 ObjectCreated records."""


def uploads(event: Mapping[str, Any]) -> list[Upload]:
    """The objects an S3 notification event reports as created."""
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        raise NotAnUploadEvent("the event has no Records")
    found = []
    for record in records:
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            raise NotAnUploadEvent(f"unexpected event {record.get('eventName')!r}")
        s3 = record["s3"]
        found.append(
            Upload(
                bucket=s3["bucket"]["name"],
                key=unquote_plus(s3["object"]["key"]),
                size=int(s3["object"].get("size", 0)),
            )
        )
    return found


def summarise(
    event: Mapping[str, Any], read: Callable[[str, str, int], bytes]
) -> dict[str, list[dict[str, Any]]]:
    """Each uploaded object with the start of its content (`read(bucket, key, length)`)."""
    return {
        "objects": [
            {
                "bucket": upload.bucket,
                "key": upload.key,
                "size": upload.size,
                "preview": read(upload.bucket, upload.key, PREVIEW_BYTES).decode(
                    "utf-8", errors="replace"
                ),
            }
            for upload in uploads(event)
        ]
    }
