"""`Stream`: the notes' Kinesis lesson (22), a Kinesis data stream read by a Firehose delivery
stream into an encrypted S3 bucket, with the notes' gaps closed.

What it builds:
- a Kinesis data stream, provisioned (the notes' one shard) or on-demand, retention 24 h by
  default and at most 8,760 h, encrypted with the given customer managed key (the notes' stream
  said `"EncryptionType": "NONE"`);
- a Firehose delivery stream reading that stream into the bucket under
  `data/YYYY/MM/DD/HH/` (errors under `errors/<error type>/YYYY/MM/DD/HH/`), with explicit
  buffering, GZIP, error logging to its own CloudWatch log group and SSE-KMS with the key:
  with a KMS key in its S3 encryption configuration Firehose asks S3 for SSE-KMS
  (`x-amz-server-side-encryption: aws:kms`), which is the header the bucket's policy demands
  of an SSE-KMS bucket; without one it sends no header and the bucket would refuse the objects.
  https://docs.aws.amazon.com/firehose/latest/APIReference/API_KMSEncryptionConfig.html
- Firehose's role (trusted by Firehose for this account only): read this stream, decrypt it
  with the key through Kinesis, write and abort uploads under the two prefixes of the bucket,
  encrypt with the key through S3 for this bucket only, and put its error logs, following
  https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html
  S3's encryption context names the object, or the bucket when the bucket uses an S3 Bucket
  Key (as every SSE-KMS `EncryptedBucket` does): the role's KMS condition names what S3 sends,
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-bucket-key.html
- alarms on the stream's iterator age (Firehose falls behind) and on delivery freshness
  (the oldest record not yet in S3).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Literal, Protocol

import pulumi
import pulumi_aws as aws

from components.common.alarms import Metric, threshold_alarm
from components.common.iam import service_role
from components.common.logs import retained_log_group
from components.common.outputs import Export, register_declared_outputs
from components.common.owner import Owner
from components.common.shared import check_bounds, check_log_retention_days, check_one_of
from components.common.tags import named_tags

StreamMode = Literal["PROVISIONED", "ON_DEMAND"]
STREAM_MODES: tuple[StreamMode, ...] = ("PROVISIONED", "ON_DEMAND")
FIREHOSE_SERVICE = "firehose.amazonaws.com"
# https://docs.aws.amazon.com/streams/latest/dev/kinesis-extended-retention.html
MIN_RETENTION_HOURS = 24
MAX_RETENTION_HOURS = 8_760
# Buffering hints for an S3 destination: 1 to 128 MiB, 0 to 900 seconds.
# https://docs.aws.amazon.com/firehose/latest/APIReference/API_BufferingHints.html
MIN_BUFFER_MB = 1
MAX_BUFFER_MB = 128
MAX_BUFFER_SECONDS = 900
# How much longer than the buffer interval the settings let the freshness alarm wait at least.
FRESHNESS_MARGIN_SECONDS = 300
# The bounds of StreamArgs' integer fields: the Args check them, the settings read config in them.
STREAM_BOUNDS = {
    "retention_hours": (MIN_RETENTION_HOURS, MAX_RETENTION_HOURS),
    "buffer_size_mb": (MIN_BUFFER_MB, MAX_BUFFER_MB),
    "buffer_interval_seconds": (0, MAX_BUFFER_SECONDS),
}
DATA_PREFIX = "data/"
ERROR_PREFIX = "errors/"
DELIVERY_PREFIX = DATA_PREFIX + "!{timestamp:yyyy/MM/dd/HH}/"
ERROR_OUTPUT_PREFIX = ERROR_PREFIX + "!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/"
LOG_STREAM_NAME = "S3Delivery"
STREAM_READ_ACTIONS = (
    "kinesis:DescribeStream",
    "kinesis:GetShardIterator",
    "kinesis:GetRecords",
    "kinesis:ListShards",
)
BUCKET_ACTIONS = ("s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads")
OBJECT_ACTIONS = ("s3:PutObject", "s3:AbortMultipartUpload")
S3_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")


class HasArn(Protocol):
    """A resource the stream writes to or encrypts with, known by its ARN."""

    @property
    def arn(self) -> pulumi.Output[str]: ...


class DeliveryBucket(HasArn, Protocol):
    """The bucket the stream delivers into (an `EncryptedBucket`)."""

    @property
    def bucket_key_enabled(self) -> bool: ...


@dataclass(frozen=True)
class StreamArgs:
    """Inputs of `Stream`: the notes' stream (one provisioned shard, 24 h) made explicit."""

    mode: StreamMode = "PROVISIONED"
    # Shards of a provisioned stream (the notes' one); unused on demand.
    shard_count: int = 1
    retention_hours: int = MIN_RETENTION_HOURS
    # Firehose's defaults, which the notes keep, now written down.
    buffer_size_mb: int = 5
    buffer_interval_seconds: int = 300
    # Alarm when records wait this long in the stream before Firehose reads them.
    iterator_age_alarm_seconds: int = 600
    # Alarm when the oldest record not yet in S3 is this old (at least the buffer interval).
    freshness_alarm_seconds: int = 900
    log_retention_days: int = 90
    # Wiring: the destination bucket (an SSE-KMS `EncryptedBucket` with `key_arn`) and the key.
    bucket_arn: pulumi.Input[str] = ""
    key_arn: pulumi.Input[str] = ""
    # The bucket uses an S3 Bucket Key: S3 asks KMS with the bucket's ARN as the context.
    bucket_key: bool = True
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_one_of("mode", self.mode, STREAM_MODES)
        if self.shard_count < 1:
            raise ValueError(f"shard_count: {self.shard_count!r} must be at least 1")
        check_bounds(self, STREAM_BOUNDS)
        if self.iterator_age_alarm_seconds < 60:
            raise ValueError(
                f"iterator_age_alarm_seconds: {self.iterator_age_alarm_seconds!r} must be at "
                "least 60"
            )
        if self.freshness_alarm_seconds <= self.buffer_interval_seconds:
            raise ValueError(
                f"freshness_alarm_seconds: {self.freshness_alarm_seconds!r} must exceed "
                f"buffer_interval_seconds ({self.buffer_interval_seconds}): records wait that "
                "long in the buffer by design"
            )
        check_log_retention_days(self.log_retention_days)

    def wired(self, bucket: DeliveryBucket, key: HasArn) -> StreamArgs:
        """These Args, delivering into `bucket` (SSE-KMS with `key`)."""
        return replace(
            self, bucket_arn=bucket.arn, key_arn=key.arn, bucket_key=bucket.bucket_key_enabled
        )


def s3_encryption_context(bucket_arn: str, prefixes: list[str], bucket_key: bool) -> dict:
    """The condition on what S3 passes to KMS as aws:s3:arn: the bucket's ARN with an S3 Bucket
    Key, else the objects' (under the delivery prefixes)."""
    if bucket_key:
        return {"StringEquals": {"kms:EncryptionContext:aws:s3:arn": bucket_arn}}
    return {"StringLike": {"kms:EncryptionContext:aws:s3:arn": prefixes}}


def firehose_policy_document(
    *,
    stream_arn: str,
    bucket_arn: str,
    key_arn: str,
    log_stream_arn: str,
    region: str,
    bucket_key: bool = True,
) -> dict[str, Any]:
    """Exactly what the delivery does: read the stream, write the two prefixes, use the key
    through Kinesis (for this stream) and S3 (for this bucket), log delivery errors."""
    prefixes = [f"{bucket_arn}/{DATA_PREFIX}*", f"{bucket_arn}/{ERROR_PREFIX}*"]
    via_s3 = {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}
    context = s3_encryption_context(bucket_arn, prefixes, bucket_key)
    condition = {
        operator: {**via_s3.get(operator, {}), **context.get(operator, {})}
        for operator in (*via_s3, *context)
    }
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadTheStream",
                "Effect": "Allow",
                "Action": list(STREAM_READ_ACTIONS),
                "Resource": stream_arn,
            },
            {
                "Sid": "DecryptTheStream",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": key_arn,
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": f"kinesis.{region}.amazonaws.com",
                        "kms:EncryptionContext:aws:kinesis:arn": stream_arn,
                    }
                },
            },
            {
                "Sid": "LocateTheBucket",
                "Effect": "Allow",
                "Action": list(BUCKET_ACTIONS),
                "Resource": bucket_arn,
            },
            {
                "Sid": "WriteThePrefixes",
                "Effect": "Allow",
                "Action": list(OBJECT_ACTIONS),
                "Resource": prefixes,
            },
            {
                "Sid": "EncryptForTheBucket",
                "Effect": "Allow",
                "Action": list(S3_KEY_ACTIONS),
                "Resource": key_arn,
                "Condition": condition,
            },
            {
                "Sid": "LogDeliveryErrors",
                "Effect": "Allow",
                "Action": "logs:PutLogEvents",
                "Resource": log_stream_arn,
            },
        ],
    }


class Stream(pulumi.ComponentResource):
    """A KMS-encrypted Kinesis stream delivered by Firehose, GZIP and SSE-KMS, into a bucket."""

    stream_name: Annotated[pulumi.Output[str], Export("streamName")]
    stream_arn: pulumi.Output[str]
    delivery_stream_name: Annotated[pulumi.Output[str], Export("deliveryStreamName")]

    def __init__(self, name: str, args: StreamArgs, opts: pulumi.ResourceOptions | None = None):
        if not args.bucket_arn or not args.key_arn:
            raise ValueError("bucket_arn, key_arn: a Stream needs its bucket and its key")
        super().__init__("platform:stream:Stream", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        owner = Owner(self, args.tags)
        stack = pulumi.get_stack()
        provisioned = args.mode == "PROVISIONED"
        stream = aws.kinesis.Stream(
            f"{name}-stream",
            name=f"{name}-{stack}",
            retention_period=args.retention_hours,
            shard_count=args.shard_count if provisioned else None,
            stream_mode_details={"stream_mode": args.mode},
            encryption_type="KMS",
            kms_key_id=args.key_arn,
            shard_level_metrics=["IncomingBytes", "IteratorAgeMilliseconds"],
            tags=named_tags(args.tags, f"{name}-stream"),
            opts=child,
        )
        log_group = retained_log_group(
            f"{name}-delivery-logs",
            owner,
            name=f"/aws/kinesisfirehose/{name}-{stack}",
            retention_days=args.log_retention_days,
        )
        log_stream = aws.cloudwatch.LogStream(
            f"{name}-delivery-log-stream",
            name=LOG_STREAM_NAME,
            log_group_name=log_group.name,
            opts=child,
        )
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        role = service_role(
            f"{name}-delivery-role",
            owner,
            FIREHOSE_SERVICE,
            description=f"Firehose delivery of {name}-{stack} into its bucket",
            conditions={"StringEquals": {"sts:ExternalId": account_id.account_id}},
        )
        log_stream_arn = pulumi.Output.concat(log_group.arn, ":log-stream:", LOG_STREAM_NAME)
        policy = aws.iam.RolePolicy(
            f"{name}-delivery-policy",
            role=role.id,
            policy=pulumi.Output.all(
                stream.arn, args.bucket_arn, args.key_arn, log_stream_arn, region
            ).apply(
                lambda values: pulumi.Output.json_dumps(
                    firehose_policy_document(
                        stream_arn=values[0],
                        bucket_arn=values[1],
                        key_arn=values[2],
                        log_stream_arn=values[3],
                        region=values[4],
                        bucket_key=args.bucket_key,
                    )
                )
            ),
            opts=child,
        )
        delivery = aws.kinesis.FirehoseDeliveryStream(
            f"{name}-delivery",
            name=f"{name}-{stack}",
            destination="extended_s3",
            kinesis_source_configuration={"kinesis_stream_arn": stream.arn, "role_arn": role.arn},
            extended_s3_configuration={
                "role_arn": role.arn,
                "bucket_arn": args.bucket_arn,
                "prefix": DELIVERY_PREFIX,
                "error_output_prefix": ERROR_OUTPUT_PREFIX,
                "buffering_size": args.buffer_size_mb,
                "buffering_interval": args.buffer_interval_seconds,
                "compression_format": "GZIP",
                # SSE-KMS: Firehose sends x-amz-server-side-encryption: aws:kms (see above).
                "kms_key_arn": args.key_arn,
                "cloudwatch_logging_options": {
                    "enabled": True,
                    "log_group_name": log_group.name,
                    "log_stream_name": log_stream.name,
                },
            },
            tags=named_tags(args.tags, f"{name}-delivery"),
            # The role must be allowed to read the stream before Firehose starts reading.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        threshold_alarm(
            f"{name}-iterator-age-alarm",
            owner,
            Metric(
                "AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", {"StreamName": stream.name}
            ),
            threshold=args.iterator_age_alarm_seconds * 1000,
            description=f"Records wait over {args.iterator_age_alarm_seconds} s in "
            f"{name}-{stack} before Firehose reads them",
        )
        threshold_alarm(
            f"{name}-freshness-alarm",
            owner,
            Metric(
                "AWS/Firehose", "DeliveryToS3.DataFreshness", {"DeliveryStreamName": delivery.name}
            ),
            threshold=args.freshness_alarm_seconds,
            description=f"Records of {name}-{stack} are not in S3 after "
            f"{args.freshness_alarm_seconds} s (see the delivery log group for errors)",
        )
        self.stream_name = stream.name
        self.stream_arn = stream.arn
        self.delivery_stream_name = delivery.name
        register_declared_outputs(self)
