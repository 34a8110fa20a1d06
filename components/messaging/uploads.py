"""`UploadPipeline`: the notes' S3 trigger (Lambda lessons): an object created in the media
bucket under a prefix invokes a function, whose result is published to a topic with an e-mail
subscription; with the notes' gap closed, the trigger points at a published version through
the `live` alias, never at `$LATEST`.

What it builds:
- the function (`functions/upload_processor`), published as a version on every code change,
  and the alias `live` on that version; S3's notification targets the alias ARN;
- a Lambda permission for S3 on the alias only, scoped by the bucket's ARN and this account;
- the bucket's one notification configuration (S3 keeps one per bucket, so this component
  owns it): `s3:ObjectCreated:*` under the prefix;
- asynchronous invocation config on the alias: retries and maximum event age as settings, on
  success Lambda publishes the invocation record to the topic (the notes' e-mail), on failure
  it sends the event to an SQS dead-letter queue (SQS-managed SSE, TLS only);
- the role: read objects under the prefix only (and decrypt with the bucket's key when it is
  SSE-KMS), publish to the topic (with `alias/aws/sns`), send to the dead-letter queue, write
  its log group. The function writes nothing to the bucket.
- an alarm on the dead-letter queue's depth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Protocol

import pulumi
import pulumi_aws as aws

from components.common.outputs import Export, register_declared_outputs
from components.common.owner import Owner
from components.common.shared import check_bounds, check_log_retention_days, check_optional_email
from components.common.topics import SNS_MANAGED_KEY_ALIAS, encrypted_topic, subscription
from components.lambdas.function import (
    FunctionAlias,
    FunctionSpec,
    check_function_name,
    lambda_function,
)
from components.lambdas.packaging import BUILD_DIR, PROJECT_DIR, build_function_archive
from components.messaging.parts import (
    MAX_FUNCTION_TIMEOUT_SECONDS,
    MAX_RETENTION_SECONDS,
    dead_letter_alarm,
    encrypted_queue,
)

PROCESSOR_DIR = PROJECT_DIR / "functions" / "upload_processor"
PROCESSOR_HANDLER = "uploads.handler.handler"
ALIAS_NAME = "live"
S3_SERVICE = "s3.amazonaws.com"
# Asynchronous invocation: 0 to 2 retries, events 60 s to 6 h old.
# https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html
MAX_RETRY_ATTEMPTS = 2
MIN_EVENT_AGE_SECONDS = 60
MAX_EVENT_AGE_SECONDS = 21_600
# The bounds of UploadPipelineArgs' integer fields: the Args check them, the settings read config
# in them.
UPLOAD_BOUNDS = {
    "retry_attempts": (0, MAX_RETRY_ATTEMPTS),
    "max_event_age_seconds": (MIN_EVENT_AGE_SECONDS, MAX_EVENT_AGE_SECONDS),
    "timeout_seconds": (1, MAX_FUNCTION_TIMEOUT_SECONDS),
}
_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*/$")


def check_upload_prefix(prefix: str) -> str | None:
    """Why `prefix` cannot start the pipeline, or None."""
    if not prefix:
        return (
            "would trigger the pipeline for every object written to the bucket, its own "
            "output and other writers' included; give a folder like uploads/"
        )
    if not _PREFIX.match(prefix):
        return "must be a folder like uploads/ (no leading /, ends with /, safe characters)"
    return None


class UploadBucket(Protocol):
    """The bucket whose uploads the pipeline processes (an `EncryptedBucket` offers it)."""

    @property
    def arn(self) -> pulumi.Output[str]: ...
    @property
    def bucket_id(self) -> pulumi.Output[str]: ...
    @property
    def kms_key_arn(self) -> pulumi.Input[str] | None: ...


@dataclass(frozen=True)
class UploadPipelineArgs:
    """Inputs of `UploadPipeline`."""

    prefix: str = "uploads/"
    retry_attempts: int = MAX_RETRY_ATTEMPTS
    max_event_age_seconds: int = 3_600
    # Subscribed to the topic (AWS asks it to confirm); None = none.
    notify_email: str | None = None
    timeout_seconds: int = 30
    memory_mb: int = 128
    log_retention_days: int = 90
    source_dir: Path | str = PROCESSOR_DIR
    build_dir: Path | str = BUILD_DIR
    # Wiring: the media bucket, and its KMS key when it is SSE-KMS.
    bucket_arn: pulumi.Input[str] = ""
    bucket_id: pulumi.Input[str] = ""
    bucket_kms_key_arn: pulumi.Input[str] | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (reason := check_upload_prefix(self.prefix)) is not None:
            raise ValueError(f"prefix: {self.prefix!r} {reason}")
        check_bounds(self, UPLOAD_BOUNDS)
        check_optional_email("notify_email", self.notify_email)
        check_log_retention_days(self.log_retention_days)

    def wired(self, bucket: UploadBucket) -> UploadPipelineArgs:
        """These Args, processing uploads to `bucket` (and using its key when SSE-KMS)."""
        return replace(
            self,
            bucket_arn=bucket.arn,
            bucket_id=bucket.bucket_id,
            bucket_kms_key_arn=bucket.kms_key_arn,
        )


def processor_statements(
    *,
    uploads_arn: pulumi.Input[str],
    topic_arn: pulumi.Input[str],
    topic_key_arn: pulumi.Input[str],
    queue_arn: pulumi.Input[str],
    bucket_kms_key_arn: pulumi.Input[str] | None,
) -> list[dict[str, Any]]:
    """What the function and its destinations do with its role; `uploads_arn` is
    `<bucket ARN>/<prefix>*`."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadUploads",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": uploads_arn,
        },
        {
            "Sid": "PublishResults",
            "Effect": "Allow",
            "Action": "sns:Publish",
            "Resource": topic_arn,
        },
        {
            "Sid": "EncryptResults",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": topic_key_arn,
        },
        {
            "Sid": "SendFailedEvents",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
        },
    ]
    if bucket_kms_key_arn is not None:
        statements.append(
            {
                "Sid": "DecryptUploads",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": bucket_kms_key_arn,
            }
        )
    return statements


class UploadPipeline(pulumi.ComponentResource):
    """S3 upload -> `live` alias of a published version -> result by SNS, failures to SQS."""

    topic_arn: Annotated[pulumi.Output[str], Export("uploadTopicArn")]
    dead_letter_queue_url: Annotated[pulumi.Output[str], Export("uploadDeadLetterQueueUrl")]
    function_name: Annotated[pulumi.Output[str], Export("uploadFunctionName")]
    alias_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: UploadPipelineArgs, opts: pulumi.ResourceOptions | None = None
    ):
        if not args.bucket_arn or not args.bucket_id:
            raise ValueError("bucket_arn, bucket_id: an UploadPipeline needs its bucket")
        super().__init__("platform:upload_pipeline:UploadPipeline", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        function_name = f"{name}-{pulumi.get_stack()}"
        check_function_name(function_name, "the component's name (with the stack)")
        archive = build_function_archive(args.source_dir, args.build_dir)
        owner = Owner(self, args.tags)
        topic = encrypted_topic(f"{name}-topic", owner, display_name="Uploads")
        if args.notify_email is not None:
            subscription(f"{name}-email", topic, "email", args.notify_email, parent=self)
        dead_letters = encrypted_queue(
            f"{name}-dlq", owner, message_retention_seconds=MAX_RETENTION_SECONDS
        )
        invoke = pulumi.InvokeOutputOptions(parent=self)
        topic_key = aws.kms.get_alias_output(name=SNS_MANAGED_KEY_ALIAS, opts=invoke)
        statements = processor_statements(
            uploads_arn=pulumi.Output.concat(args.bucket_arn, "/", args.prefix, "*"),
            topic_arn=topic.arn,
            topic_key_arn=topic_key.target_key_arn,
            queue_arn=dead_letters.arn,
            bucket_kms_key_arn=args.bucket_kms_key_arn,
        )
        built = lambda_function(
            name,
            FunctionSpec(
                function_name=function_name,
                handler=PROCESSOR_HANDLER,
                archive=archive,
                statements=statements,
                memory_mb=args.memory_mb,
                timeout_seconds=args.timeout_seconds,
                log_retention_days=args.log_retention_days,
                alias=FunctionAlias(
                    ALIAS_NAME, "What S3 invokes: a published version, never $LATEST"
                ),
                tags=args.tags,
            ),
            parent=self,
        )
        function, alias = built.function, built.alias
        assert alias is not None  # the spec asks for one
        aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-invoke-config",
            function_name=function.name,
            qualifier=alias.name,
            maximum_retry_attempts=args.retry_attempts,
            maximum_event_age_in_seconds=args.max_event_age_seconds,
            destination_config={
                "on_success": {"destination": topic.arn},
                "on_failure": {"destination": dead_letters.arn},
            },
            opts=child,
        )
        account = aws.get_caller_identity_output(opts=invoke).account_id
        permission = aws.lambda_.Permission(
            f"{name}-permission",
            action="lambda:InvokeFunction",
            function=function.name,
            qualifier=alias.name,
            principal=S3_SERVICE,
            source_arn=args.bucket_arn,
            source_account=account,
            opts=child,
        )
        aws.s3.BucketNotification(
            f"{name}-notification",
            bucket=args.bucket_id,
            lambda_functions=[
                {
                    "lambda_function_arn": alias.arn,
                    "events": ["s3:ObjectCreated:*"],
                    "filter_prefix": args.prefix,
                }
            ],
            # S3 checks that it may invoke the alias when the notification is saved.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )
        dead_letter_alarm(
            f"{name}-dlq-depth-alarm",
            owner,
            dead_letters,
            description=f"Uploads under {args.prefix} failed after {args.retry_attempts} "
            "retries and wait in the dead-letter queue",
        )
        self.topic_arn = topic.arn
        self.dead_letter_queue_url = dead_letters.url
        self.function_name = function.name
        self.alias_arn = alias.arn
        register_declared_outputs(self)
