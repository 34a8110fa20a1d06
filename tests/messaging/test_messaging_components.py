"""The three messaging systems as the dev stack plans them under mocks: wiring, the roles'
exact actions and resources, and the resource policies judged by the evaluator
(tests/iam_eval.py).

AWS facts relied on:
- SNS delivers into SQS-managed SSE queues; the AWS-managed key alias/aws/sqs would need a key
  policy change that is impossible:
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#compatibility-with-aws-services
- Lambda asks for a visibility timeout of at least six times the function timeout:
  https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
- With a KMS key in its S3 encryption configuration, Firehose has S3 encrypt with SSE-KMS
  (header x-amz-server-side-encryption: aws:kms); NoEncryption sends no header:
  https://docs.aws.amazon.com/firehose/latest/APIReference/API_KMSEncryptionConfig.html
  https://docs.aws.amazon.com/firehose/latest/APIReference/API_EncryptionConfiguration.html
- Firehose's role: https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html
- S3 notifications to an alias, permissions by source ARN and account:
  https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from components.messaging.fanout import FanoutArgs
from components.messaging.stream import (
    DELIVERY_PREFIX,
    ERROR_OUTPUT_PREFIX,
    Stream,
    StreamArgs,
    firehose_policy_document,
)
from components.messaging.uploads import UploadPipeline, UploadPipelineArgs
from tests.support.iam_eval import Request, allowed_by, denied_by, put_object
from tools.offline import ACCOUNT_ID, Plan, PlannedResource, ProgramFailed, run_program

REGION = "us-east-1"
SNS = "sns.amazonaws.com"


@pytest.fixture(scope="module")
def plan(stack_plan) -> Plan:
    return stack_plan("dev")


def named(plan: Plan, name: str) -> PlannedResource:
    return plan.named(name)


def document(resource: PlannedResource, key: str = "policy") -> dict[str, Any]:
    return json.loads(resource.inputs[key])


def role_statements(plan: Plan, policy_name: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in document(named(plan, policy_name))["Statement"]}


# --- fan-out ----------------------------------------------------------------------------------


def test_the_queue_has_sse_sqs_long_polling_the_notes_settings_and_a_dead_letter_queue(plan):
    queue = named(plan, "platform-fanout-sub-queue").inputs
    dead_letters = named(plan, "platform-fanout-sub-dlq")
    assert queue["sqsManagedSseEnabled"] is True and "kmsMasterKeyId" not in queue
    assert queue["receiveWaitTimeSeconds"] == 20
    assert queue["messageRetentionSeconds"] == 4 * 24 * 3600
    assert queue["maxMessageSize"] == 262_144
    assert queue["delaySeconds"] == 0
    consumer = named(plan, "platform-fanout-sub-consumer-function").inputs
    assert queue["visibilityTimeoutSeconds"] >= 6 * consumer["timeout"]
    assert json.loads(queue["redrivePolicy"]) == {
        "deadLetterTargetArn": dead_letters.outputs["arn"],
        "maxReceiveCount": 5,
    }
    assert dead_letters.inputs["sqsManagedSseEnabled"] is True
    assert dead_letters.inputs["messageRetentionSeconds"] == 14 * 24 * 3600


def test_the_topic_is_encrypted_and_delivers_the_envelope(plan):
    topic = named(plan, "platform-fanout-topic")
    assert topic.inputs["kmsMasterKeyId"] == "alias/aws/sns"
    subscription = named(plan, "platform-fanout-sub-subscription").inputs
    assert subscription["protocol"] == "sqs"
    assert subscription["topic"] == topic.outputs["arn"]
    assert subscription["endpoint"] == named(plan, "platform-fanout-sub-queue").outputs["arn"]
    assert subscription["rawMessageDelivery"] is False


def test_the_queue_policy_admits_only_this_topic_and_only_over_tls(plan):
    queue_arn = named(plan, "platform-fanout-sub-queue").outputs["arn"]
    topic_arn = named(plan, "platform-fanout-topic").outputs["arn"]
    policy = document(named(plan, "platform-fanout-sub-queue-policy"))

    def send(source_arn: str, tls: bool = True, service: str | None = SNS) -> Request:
        context = {"aws:SourceArn": source_arn, "aws:SecureTransport": str(tls).lower()}
        return Request("sqs:SendMessage", queue_arn, context, service)

    assert allowed_by(policy, send(topic_arn)) and not denied_by(policy, send(topic_arn))
    other_topic = topic_arn.replace("platform-fanout-topic", "someone-elses-topic")
    assert not allowed_by(policy, send(other_topic))
    assert denied_by(policy, send(topic_arn, tls=False)) == ["DenyInsecureTransport"]
    dead_letter_policy = document(named(plan, "platform-fanout-sub-dlq-policy"))
    assert [s["Sid"] for s in dead_letter_policy["Statement"]] == ["DenyInsecureTransport"]


def test_the_consumer_may_only_receive_delete_and_read_attributes_of_its_queue(plan):
    queue_arn = named(plan, "platform-fanout-sub-queue").outputs["arn"]
    logs = named(plan, "platform-fanout-sub-consumer-logs").outputs["arn"]
    statements = role_statements(plan, "platform-fanout-sub-consumer-policy")
    assert statements == {
        "WriteOwnLogGroupOnly": {
            "Sid": "WriteOwnLogGroupOnly",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [logs, f"{logs}:*"],
        },
        "ConsumeOwnQueue": {
            "Sid": "ConsumeOwnQueue",
            "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            "Resource": queue_arn,
        },
    }


def test_the_event_source_mapping_reports_partial_batch_failures(plan):
    mapping = named(plan, "platform-fanout-sub-consumer-mapping").inputs
    function = named(plan, "platform-fanout-sub-consumer-function")
    assert mapping["eventSourceArn"] == named(plan, "platform-fanout-sub-queue").outputs["arn"]
    assert mapping["functionName"] == function.outputs["arn"]
    assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert function.inputs["handler"] == "consumer.handler.handler"


def test_alarms_watch_the_dead_letter_depth_and_the_oldest_message(plan):
    dead_letters = named(plan, "platform-fanout-sub-dlq").outputs["name"]
    queue = named(plan, "platform-fanout-sub-queue").outputs["name"]
    depth = named(plan, "platform-fanout-sub-dlq-depth-alarm").inputs
    oldest = named(plan, "platform-fanout-sub-oldest-message-alarm").inputs
    assert (depth["metricName"], depth["dimensions"], depth["threshold"]) == (
        "ApproximateNumberOfMessagesVisible",
        {"QueueName": dead_letters},
        1,
    )
    assert (oldest["metricName"], oldest["dimensions"]) == (
        "ApproximateAgeOfOldestMessage",
        {"QueueName": queue},
    )


# --- stream -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stream_parts(plan) -> dict[str, str]:
    bucket = next(
        b
        for b in plan.of_type("aws:s3/bucket:Bucket")
        if b.inputs["bucketPrefix"] == "platform-dev-stream-"
    )
    return {
        "bucket": bucket.outputs["arn"],
        "bucket_urn": bucket.urn,
        "key": named(plan, "platform-stream-key-key").outputs["arn"],
        "stream": named(plan, "platform-stream-stream").outputs["arn"],
        "logs": named(plan, "platform-stream-delivery-logs").outputs["arn"],
    }


def test_the_stream_is_kms_encrypted_with_the_notes_shard_and_retention(plan, stream_parts):
    stream = named(plan, "platform-stream-stream").inputs
    assert stream["encryptionType"] == "KMS" and stream["kmsKeyId"] == stream_parts["key"]
    assert stream["retentionPeriod"] == 24 and stream["shardCount"] == 1
    assert stream["streamModeDetails"] == {"streamMode": "PROVISIONED"}


def test_firehose_reads_the_stream_into_dated_prefixes_gzip_sse_kms_with_error_logs(
    plan, stream_parts
):
    delivery = named(plan, "platform-stream-delivery").inputs
    role_arn = named(plan, "platform-stream-delivery-role").outputs["arn"]
    assert delivery["kinesisSourceConfiguration"] == {
        "kinesisStreamArn": stream_parts["stream"],
        "roleArn": role_arn,
    }
    s3 = delivery["extendedS3Configuration"]
    assert s3["bucketArn"] == stream_parts["bucket"]
    assert s3["prefix"] == DELIVERY_PREFIX == "data/!{timestamp:yyyy/MM/dd/HH}/"
    assert s3["errorOutputPrefix"] == ERROR_OUTPUT_PREFIX
    assert (s3["bufferingSize"], s3["bufferingInterval"]) == (5, 300)
    assert s3["compressionFormat"] == "GZIP"
    assert s3["kmsKeyArn"] == stream_parts["key"]
    assert s3["cloudwatchLoggingOptions"]["enabled"] is True


def test_the_delivery_role_is_exactly_the_documented_policy_for_this_stream_bucket_and_key(
    plan, stream_parts
):
    policy = document(named(plan, "platform-stream-delivery-policy"))
    assert policy == firehose_policy_document(
        stream_arn=stream_parts["stream"],
        bucket_arn=stream_parts["bucket"],
        key_arn=stream_parts["key"],
        log_stream_arn=f"{stream_parts['logs']}:log-stream:S3Delivery",
        region=REGION,
    )
    trust = document(named(plan, "platform-stream-delivery-role"), "assumeRolePolicy")
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": ACCOUNT_ID}}


def test_the_delivery_role_writes_only_under_its_two_prefixes_and_encrypts_for_its_bucket(
    plan, stream_parts
):
    """The bucket uses an S3 Bucket Key, so S3 asks KMS with the bucket's ARN as the encryption
    context, never the object's: https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-bucket-key.html
    (tests/permissions judges the whole path with the IAM simulator)."""
    policy = document(named(plan, "platform-stream-delivery-policy"))
    bucket, key = stream_parts["bucket"], stream_parts["key"]
    written = f"{bucket}/data/2026/11/30/14/platform-stream-dev-1-2026-11-30-14-00-00-abc.gz"
    for object_arn, allowed in (
        (written, True),
        (f"{bucket}/errors/processing-failed/2026/11/30/14/x", True),
        (f"{bucket}/elsewhere/x", False),
        ("arn:aws:s3:::another-bucket/data/x", False),
    ):
        assert bool(allowed_by(policy, put_object(object_arn, sse="aws:kms"))) is allowed
    for context, allowed in ((bucket, True), ("arn:aws:s3:::another-bucket", False)):
        via_s3 = {
            "kms:ViaService": f"s3.{REGION}.amazonaws.com",
            "kms:EncryptionContext:aws:s3:arn": context,
        }
        encrypt = Request("kms:GenerateDataKey", key, via_s3)
        assert bool(allowed_by(policy, encrypt)) is allowed
    directly = Request("kms:GenerateDataKey", key, {})
    assert not allowed_by(policy, directly)


def test_firehose_delivery_meets_the_bucket_policy_and_unencrypted_uploads_are_still_refused(
    plan, stream_parts
):
    bucket_policy = next(
        document(p)
        for p in plan.of_type("aws:s3/bucketPolicy:BucketPolicy")
        if stream_parts["bucket_urn"] in p.property_dependencies["bucket"]
    )
    written = f"{stream_parts['bucket']}/data/2026/11/30/14/records.gz"
    # What Firehose sends with a KMS key in its S3 configuration: SSE-KMS, over TLS.
    assert denied_by(bucket_policy, put_object(written, sse="aws:kms")) == []
    # What it would send with NoEncryption (no header), and what anyone else might try.
    assert "DenyUnencryptedObjectUploads" in denied_by(bucket_policy, put_object(written))
    assert "DenyIncorrectEncryptionHeader" in denied_by(
        bucket_policy, put_object(written, sse="AES256")
    )
    assert "DenyInsecureTransport" in denied_by(
        bucket_policy, put_object(written, sse="aws:kms", tls=False)
    )
    encryption = next(
        e
        for e in plan.of_type(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        )
        if e.inputs["bucket"] == stream_parts["bucket"].removeprefix("arn:aws:s3:::")
    )
    default = encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": stream_parts["key"]}


def test_stream_alarms_watch_iterator_age_and_delivery_freshness(plan):
    age = named(plan, "platform-stream-iterator-age-alarm").inputs
    freshness = named(plan, "platform-stream-freshness-alarm").inputs
    assert age["metricName"] == "GetRecords.IteratorAgeMilliseconds"
    assert age["dimensions"] == {"StreamName": "platform-stream-dev"}
    assert freshness["metricName"] == "DeliveryToS3.DataFreshness"
    assert freshness["dimensions"] == {"DeliveryStreamName": "platform-stream-dev"}
    assert freshness["threshold"] > 300  # beyond the buffer interval


# --- upload pipeline --------------------------------------------------------------------------


def test_s3_invokes_the_live_alias_of_a_published_version_never_latest(plan):
    function = named(plan, "platform-uploads-function")
    alias = named(plan, "platform-uploads-alias")
    assert function.inputs["publish"] is True
    assert alias.inputs["name"] == "live"
    assert alias.inputs["functionVersion"] == function.outputs["version"] != "$LATEST"
    (notification,) = plan.of_type("aws:s3/bucketNotification:BucketNotification")
    media = plan.exports["mediaBucketName"]
    assert notification.inputs["bucket"] == media
    assert notification.inputs["lambdaFunctions"] == [
        {
            "lambdaFunctionArn": alias.outputs["arn"],
            "events": ["s3:ObjectCreated:*"],
            "filterPrefix": "uploads/",
        }
    ]
    permission = named(plan, "platform-uploads-permission")
    assert permission.inputs == {
        "action": "lambda:InvokeFunction",
        "function": function.outputs["name"],
        "qualifier": "live",
        "principal": "s3.amazonaws.com",
        "sourceArn": f"arn:aws:s3:::{media}",
        "sourceAccount": ACCOUNT_ID,
    }
    assert permission.urn in notification.dependencies


def test_results_go_to_the_topic_and_failures_to_the_dead_letter_queue(plan):
    config = named(plan, "platform-uploads-invoke-config").inputs
    assert config["qualifier"] == "live"
    assert (config["maximumRetryAttempts"], config["maximumEventAgeInSeconds"]) == (2, 3600)
    assert config["destinationConfig"] == {
        "onSuccess": {"destination": named(plan, "platform-uploads-topic").outputs["arn"]},
        "onFailure": {"destination": named(plan, "platform-uploads-dlq").outputs["arn"]},
    }
    assert named(plan, "platform-uploads-topic").inputs["kmsMasterKeyId"] == "alias/aws/sns"
    assert named(plan, "platform-uploads-dlq").inputs["sqsManagedSseEnabled"] is True


def test_the_upload_role_reads_only_the_prefix_and_reaches_only_its_destinations(plan):
    media = plan.exports["mediaBucketName"]
    statements = role_statements(plan, "platform-uploads-policy")
    statements.pop("WriteOwnLogGroupOnly")
    topic_key = statements["EncryptResults"]["Resource"]
    assert topic_key.startswith(f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/")
    assert statements == {
        "ReadUploads": {
            "Sid": "ReadUploads",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{media}/uploads/*",
        },
        "PublishResults": {
            "Sid": "PublishResults",
            "Effect": "Allow",
            "Action": "sns:Publish",
            "Resource": named(plan, "platform-uploads-topic").outputs["arn"],
        },
        "EncryptResults": {
            "Sid": "EncryptResults",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": topic_key,
        },
        "SendFailedEvents": {
            "Sid": "SendFailedEvents",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": named(plan, "platform-uploads-dlq").outputs["arn"],
        },
    }


# --- Args refuse what AWS (or the design) would refuse, naming the argument -------------------


@pytest.mark.parametrize(
    ("make", "names"),
    [
        (lambda: FanoutArgs(max_receive_count=0), "max_receive_count: 0"),
        (
            lambda: FanoutArgs(consumer_timeout_seconds=60, visibility_timeout_seconds=300),
            "visibility_timeout_seconds: 300 is below 6 x consumer_timeout_seconds (60) = 360",
        ),
        (lambda: FanoutArgs(retention_seconds=59), "retention_seconds: 59"),
        (lambda: FanoutArgs(queue_names=("Sub",)), "queue_names: 'Sub'"),
        (lambda: FanoutArgs(queue_names=()), "queue_names"),
        (lambda: StreamArgs(retention_hours=8761), "retention_hours: 8761"),
        (lambda: StreamArgs(buffer_size_mb=129), "buffer_size_mb: 129"),
        (lambda: StreamArgs(mode="SERVERLESS"), "mode: 'SERVERLESS'"),  # type: ignore[arg-type]
        (
            lambda: StreamArgs(buffer_interval_seconds=900, freshness_alarm_seconds=900),
            "freshness_alarm_seconds: 900",
        ),
        (lambda: UploadPipelineArgs(prefix=""), "prefix: '' would trigger the pipeline"),
        (lambda: UploadPipelineArgs(retry_attempts=3), "retry_attempts: 3"),
        (lambda: UploadPipelineArgs(max_event_age_seconds=21_601), "max_event_age_seconds"),
        (lambda: UploadPipelineArgs(log_retention_days=45), "log_retention_days: 45"),
    ],
)
def test_args_refuse_bad_values_naming_the_argument(make, names):
    with pytest.raises(ValueError, match=re.escape(names)):
        make()


def test_a_stream_or_pipeline_without_its_bucket_is_refused_before_anything_is_created():
    with pytest.raises(ProgramFailed) as failed:
        run_program("dev", program=lambda: Stream("s", StreamArgs()))
    assert "bucket_arn, key_arn" in str(failed.value.__cause__)
    assert failed.value.plan.resources == []
    with pytest.raises(ProgramFailed) as failed:
        run_program("dev", program=lambda: UploadPipeline("u", UploadPipelineArgs()))
    assert "bucket_arn, bucket_id" in str(failed.value.__cause__)
    assert failed.value.plan.resources == []


def test_with_an_sse_kms_media_bucket_the_upload_role_may_decrypt_with_that_key_only():
    plan = run_program("dev", config_overrides={"bucketSseAlgorithm": "aws:kms"})
    key = named(plan, "platform-media-key").outputs["arn"]
    statements = role_statements(plan, "platform-uploads-policy")
    assert statements["DecryptUploads"] == {
        "Sid": "DecryptUploads",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": key,
    }
    assert "DecryptUploads" not in role_statements(run_program("dev"), "platform-uploads-policy")
