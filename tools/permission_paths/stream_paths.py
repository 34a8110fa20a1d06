"""Kinesis -> Firehose -> S3: the delivery role, the stream and its key, the bucket and its key.

- Firehose assumes its role (sts:ExternalId = the account), reads the stream, decrypts records
  through Kinesis (encryption context aws:kinesis:arn = the stream), writes under the delivery
  prefixes with SSE-KMS: https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html
- Kinesis' encryption context: https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html
- Firehose's SSE-KMS writes: https://docs.aws.amazon.com/firehose/latest/dev/encryption.html
- With an S3 Bucket Key the context is the bucket's ARN, not the object's:
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-bucket-key.html
"""

from __future__ import annotations

import re

from tools.permission_paths.kms import BUCKET_KEY_DOC, KMS_CONDITIONS_DOC, kms_path, via_service
from tools.permission_paths.model import OUTSIDE_ACCOUNT, Path, Role, other_arn, tls
from tools.permission_paths.plan_index import PlanIndex
from tools.permission_paths.resource_types import FIREHOSE

FIREHOSE_SERVICE = "firehose.amazonaws.com"
ACCESS_DOC = "https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html"
KINESIS_KMS_DOC = "https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html"
FIREHOSE_SSE_DOC = "https://docs.aws.amazon.com/firehose/latest/dev/encryption.html"
_TEMPLATE = re.compile(r"!\{[^}]*\}")


def sample_key(prefix: str, name: str) -> str:
    """An object key Firehose writes under a prefix with !{...} expressions."""
    filled = _TEMPLATE.sub(
        lambda m: "processing-failed" if "error" in m.group() else "2026/12/06/07", prefix
    )
    return f"{filled}{name}-1-2026-12-06-07-00-00-0123abcd.gz"


def firehose_paths(ix: PlanIndex) -> list[Path]:
    paths: list[Path] = []
    for delivery in ix.of_type(FIREHOSE):
        paths += _delivery_paths(ix, delivery.inputs, str(delivery.outputs["arn"]))
    return paths


def _delivery_paths(ix: PlanIndex, inputs: dict, delivery_arn: str) -> list[Path]:
    s3 = inputs["extendedS3Configuration"]
    delivery = ix.caller(ix.role_by_arn(s3["roleArn"]))
    bucket = ix.bucket_by_arn(s3["bucketArn"])
    assume = delivery.assumed_by(
        FIREHOSE_SERVICE,
        kind="firehose-assumes-role",
        title="Firehose assumes its delivery role",
        context={"sts:ExternalId": ix.account},
        docs=(ACCESS_DOC,),
    )
    paths = [
        assume.with_twins(
            assume.twin_external_id(OUTSIDE_ACCOUNT),
            assume.twin_caller("another service", "lambda.amazonaws.com"),
        )
    ]
    source = inputs.get("kinesisSourceConfiguration")
    if source:
        paths += _stream_paths(ix, source["kinesisStreamArn"], delivery)
    objects = [sample_key(s3["prefix"], inputs["name"])]
    if s3.get("errorOutputPrefix"):
        objects.append(sample_key(s3["errorOutputPrefix"], inputs["name"]))
    bucket_level = delivery.path(
        kind="firehose-locates-bucket",
        title="Firehose lists the stream bucket",
        actions=("s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"),
        resource=bucket.arn,
        context=tls(),
        resource_policy=bucket.policy,
        block_public_access=bucket.blocks_public_access,
        docs=(ACCESS_DOC,),
    )
    paths.append(
        bucket_level.with_twins(
            bucket_level.twin_context("no TLS", secure_transport="false"),
            delivery.another_role(bucket_level),
        )
    )
    key_arn = s3.get("kmsKeyArn")
    for key in objects:
        object_arn = f"{bucket.arn}/{key}"
        sse = {"s3:x-amz-server-side-encryption": "aws:kms" if key_arn else "AES256"}
        if key_arn:
            sse["s3:x-amz-server-side-encryption-aws-kms-key-id"] = key_arn
        put = delivery.path(
            kind="firehose-puts-objects",
            title=f"Firehose puts delivery objects under {key.split('/')[0]}/",
            actions=("s3:PutObject",),
            resource=object_arn,
            context=tls(**sse),
            resource_policy=bucket.policy,
            block_public_access=bucket.blocks_public_access,
            docs=(ACCESS_DOC, FIREHOSE_SSE_DOC),
        )
        paths.append(
            put.with_twins(
                put.twin_context("no encryption header", sse=None, sse_key=None),
                put.twin_context("no TLS", secure_transport="false"),
                delivery.another_role(put),
            )
        )
        if key_arn:
            paths.append(_bucket_key_path(ix, key_arn, bucket, object_arn, delivery))
    return paths


def _stream_paths(ix: PlanIndex, stream_arn: str, delivery: Role) -> list[Path]:
    stream = ix.stream_by_arn(stream_arn)
    read = delivery.path(
        kind="firehose-reads-stream",
        title="Firehose reads the Kinesis stream",
        actions=(
            "kinesis:DescribeStream",
            "kinesis:GetShardIterator",
            "kinesis:GetRecords",
            "kinesis:ListShards",
        ),
        resource=stream_arn,
        context=tls(),
        docs=(ACCESS_DOC,),
    )
    paths = [
        read.with_twins(
            read.twin_resource("another stream", other_arn(stream_arn)),
            delivery.another_role(read),
        )
    ]
    key_arn = stream.inputs.get("kmsKeyId")
    if key_arn:
        decrypt = kms_path(
            ix,
            kind="firehose-decrypts-stream",
            title="Firehose decrypts stream records (KMS through Kinesis)",
            caller=delivery,
            actions=("kms:Decrypt",),
            key_arn=key_arn,
            context=via_service(ix, "kinesis", kinesis_context=stream_arn),
            docs=(ACCESS_DOC, KINESIS_KMS_DOC, KMS_CONDITIONS_DOC),
        )
        paths.append(
            decrypt.with_twins(
                decrypt.twin_context(
                    "another stream's context", kinesis_context=other_arn(stream_arn)
                ),
                decrypt.twin_context(
                    "not through Kinesis", via_service=f"sqs.{ix.region}.amazonaws.com"
                ),
                delivery.another_role(decrypt),
            )
        )
    return paths


def _bucket_key_path(ix: PlanIndex, key_arn: str, bucket, object_arn: str, delivery: Role) -> Path:
    encrypt = kms_path(
        ix,
        kind="firehose-encrypts-objects",
        title="Firehose encrypts delivery objects (KMS through S3"
        + (", S3 Bucket Key: the bucket's ARN)" if bucket.bucket_key else ", the object's ARN)"),
        caller=delivery,
        actions=("kms:GenerateDataKey", "kms:Decrypt"),
        key_arn=key_arn,
        context=via_service(ix, "s3", s3_context=bucket.encryption_context(object_arn)),
        docs=(ACCESS_DOC, BUCKET_KEY_DOC, KMS_CONDITIONS_DOC),
    )
    return encrypt.with_twins(
        encrypt.twin_context("another bucket's context", s3_context=other_arn(bucket.arn)),
        encrypt.twin_context("not through S3", via_service=f"sqs.{ix.region}.amazonaws.com"),
        delivery.another_role(encrypt),
    )
