"""The platform's asynchronous systems (seed 002, lessons 21 and 22 and the Lambda lessons),
wired to the buckets the program already has: the SNS -> SQS fan-out, the Kinesis -> Firehose
stream into its own SSE-KMS bucket (logging into the access-log bucket), and the upload
pipeline on the media bucket."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pulumi

from components.encryption_key import EncryptionKey
from components.fanout import Fanout
from components.settings import Settings
from components.storage import EncryptedBucket
from components.stream import Stream
from components.upload_pipeline import UploadPipeline


def messaging_systems(
    settings: Settings, log_bucket: EncryptedBucket, content_buckets: Mapping[str, EncryptedBucket]
) -> list[dict[str, pulumi.Input[str]]]:
    """Create the three systems; their stack outputs."""
    messaging = settings.messaging
    fanout = Fanout("platform-fanout", messaging.fanout)
    key = EncryptionKey("platform-stream-key", messaging.stream_key)
    stream_bucket = EncryptedBucket(
        "platform-stream",
        replace(settings.buckets.stream, access_log_bucket=log_bucket, kms_key_arn=key.arn),
    )
    stream = Stream(
        "platform-stream",
        replace(messaging.stream, bucket_arn=stream_bucket.arn, key_arn=key.arn),
    )
    media = content_buckets["media"]
    uploads = UploadPipeline(
        "platform-uploads",
        replace(
            messaging.uploads,
            bucket_arn=media.arn,
            bucket_id=media.bucket_id,
            bucket_kms_key_arn=settings.buckets.content["media"].kms_key_arn,
        ),
    )
    return [
        fanout.exports(),
        stream.exports(),
        stream_bucket.exports("stream"),
        uploads.exports(),
    ]
