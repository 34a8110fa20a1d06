"""The bucket section of the stack config: the `EncryptedBucket` Args of the access-log bucket
and of the content buckets (media, code) that log into it.

Bucket names start with project and stack, so the log bucket can name exactly whose logs it
accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.config.reader import Reader, in_range
from components.data.bucket_args import (
    SSE_ALGORITHMS,
    CorsRule,
    EncryptedBucketArgs,
    SseAlgorithm,
    check_cors_origin,
    check_kms_key_arn,
)
from components.data.bucket_grants import CLOUDFRONT_SERVICE
from components.data.keys import EncryptionKeyArgs

KEYS = (
    "bucketSseAlgorithm",
    "bucketKmsKeyArn",
    "bucketCorsAllowedOrigins",
    "noncurrentVersionExpirationDays",
    "bucketForceDestroy",
)
CONTENT_ROLES = ("media", "code", "maintenance")
# Buckets the edge serves through CloudFront Origin Access Control (components/edge.py).
SERVED_BY_CLOUDFRONT = ("media", "maintenance")
# The bucket the stream's Firehose delivers into (SSE-KMS with the stream's key, wired later).
STREAM_ROLE = "stream"
# Where the web tier's load balancer writes its access logs in the log bucket.
LOAD_BALANCER_LOG_PREFIX = "load-balancer"


@dataclass(frozen=True)
class BucketSettings:
    """The log bucket's Args, and each content bucket's Args by role (their `access_log_bucket`
    is wired to the log bucket by the program)."""

    access_logs: EncryptedBucketArgs
    content: dict[str, EncryptedBucketArgs]
    stream: EncryptedBucketArgs
    # The customer managed key of the Kinesis stream and of the bucket Firehose writes to.
    stream_key: EncryptionKeyArgs


def parse(reader: Reader) -> BucketSettings:
    defaults = EncryptedBucketArgs()
    algorithm: SseAlgorithm = reader.choice(
        "bucketSseAlgorithm", defaults.sse_algorithm, SSE_ALGORITHMS
    )
    _refuse_kms_key_arn(reader, algorithm)
    origins = reader.string_list("bucketCorsAllowedOrigins")
    for origin in origins:
        if (reason := check_cors_origin(origin)) is not None:
            reader.problem("bucketCorsAllowedOrigins", origin, reason)
    expiration_days = reader.integer(
        "noncurrentVersionExpirationDays",
        defaults.noncurrent_version_expiration_days,
        in_range(1, 3650),
    )
    # dev only: `pulumi destroy` empties the buckets (every object version) instead of stopping.
    force_destroy = reader.boolean("bucketForceDestroy", defaults.force_destroy)
    prefix = f"{reader.project}-{reader.stack}"
    access_logs = EncryptedBucketArgs(
        bucket_prefix=f"{prefix}-logs-",
        access_log_source_prefixes=tuple(
            f"{prefix}-{role}-" for role in (*CONTENT_ROLES, STREAM_ROLE)
        ),
        load_balancer_log_prefix=LOAD_BALANCER_LOG_PREFIX,
        sse_algorithm="AES256",  # S3 log delivery supports SSE-S3 only
        noncurrent_version_expiration_days=expiration_days,
        force_destroy=force_destroy,
    )
    # Browsers load WordPress media from the media bucket (lesson 14); code is not served.
    media_cors = (CorsRule(allowed_origins=origins),) if origins else ()
    content = {
        role: EncryptedBucketArgs(
            bucket_prefix=f"{prefix}-{role}-",
            # The maintenance page is public content; SSE-S3 needs no KMS grant for CloudFront.
            sse_algorithm="AES256" if role == "maintenance" else algorithm,
            # SSE-KMS: each content bucket makes its own key, which can admit CloudFront.
            own_key=role != "maintenance" and algorithm == "aws:kms",
            noncurrent_version_expiration_days=expiration_days,
            cors_rules=media_cors if role == "media" else (),
            force_destroy=force_destroy,
            service_readers=(CLOUDFRONT_SERVICE,) if role in SERVED_BY_CLOUDFRONT else (),
        )
        for role in CONTENT_ROLES
    }
    stream = EncryptedBucketArgs(
        bucket_prefix=f"{prefix}-{STREAM_ROLE}-",
        sse_algorithm="aws:kms",
        noncurrent_version_expiration_days=expiration_days,
        force_destroy=force_destroy,
    )
    return BucketSettings(
        access_logs=access_logs,
        content=content,
        stream=stream,
        stream_key=EncryptionKeyArgs(description="Kinesis stream and Firehose bucket"),
    )


def _refuse_kms_key_arn(reader: Reader, algorithm: SseAlgorithm) -> None:
    """bucketKmsKeyArn cannot work: CloudFront reads the media bucket through Origin Access
    Control and must be let decrypt in the key's policy, which the stack cannot change on a key
    it does not own; with aws:kms each content bucket makes a key of its own that admits it.
    https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html"""
    key_arn = reader.optional("bucketKmsKeyArn")
    if key_arn is None:
        return
    if (reason := check_kms_key_arn(key_arn)) is not None:
        reader.problem("bucketKmsKeyArn", key_arn, reason)
    elif algorithm != "aws:kms":
        reader.problem("bucketKmsKeyArn", key_arn, "is only used with bucketSseAlgorithm aws:kms")
    else:
        reader.problem(
            "bucketKmsKeyArn",
            key_arn,
            "cannot encrypt the media bucket: CloudFront serves it through Origin Access Control "
            "and must be let decrypt in that key's policy, which this stack does not manage; "
            "leave it empty, and with bucketSseAlgorithm aws:kms each content bucket gets a key "
            "of its own that lets this distribution decrypt",
        )
