"""The pack's messaging rules: unencrypted queues, topics, streams and delivery streams are
blocked (mandatory); queues without a dead-letter queue and event source mappings without
failure handling are reported (advisory). Directly, and through the analyzer protocol with
insecure twins built from the real components and raw resources.

AWS facts the rules follow (cited in policies/platform_rules/messaging.py):
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html
https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html
https://docs.aws.amazon.com/streams/latest/dev/what-is-sse.html
https://docs.aws.amazon.com/firehose/latest/dev/encryption.html
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
"""

from __future__ import annotations

from collections.abc import Iterator

import pulumi_aws as aws
import pytest

from components.messaging.fanout import Fanout, FanoutArgs
from tests.support.policy_support import (
    UNKNOWN,
    exemption_messages_for,
    resource,
    run_resource_policy,
    run_stack_policy,
    urn,
)
from tools.offline import run_program
from tools.policy_gate import PolicyAnalyzer, run_gate

QUEUE = "aws:sqs/queue:Queue"
TOPIC = "aws:sns/topic:Topic"
STREAM = "aws:kinesis/stream:Stream"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"


@pytest.mark.parametrize(
    ("props", "blocked"),
    [
        ({}, False),  # SQS's default since October 2022: SSE-SQS
        ({"sqsManagedSseEnabled": False}, True),
        ({"sqsManagedSseEnabled": False, "kmsMasterKeyId": ""}, True),
        ({"kmsMasterKeyId": ""}, False),
        ({"sqsManagedSseEnabled": True}, False),
        ({"kmsMasterKeyId": "alias/orders"}, False),
        ({"sqsManagedSseEnabled": UNKNOWN}, False),
    ],
)
def test_a_queue_needs_sse_sqs_or_a_key(props, blocked):
    messages = [
        m for m, _ in run_stack_policy("sqs-queue-encrypted", [resource(QUEUE, "orders", props)])
    ]
    assert bool(messages) is blocked
    if blocked:
        assert "orders" in messages[0] and "sqs_managed_sse_enabled=True" in messages[0]


@pytest.mark.parametrize(
    ("props", "blocked"),
    [
        ({}, True),
        ({"kmsMasterKeyId": "alias/aws/sns"}, False),
        ({"kmsMasterKeyId": UNKNOWN}, False),
    ],
)
def test_a_topic_needs_a_key(props, blocked):
    assert bool(run_resource_policy("sns-topic-encrypted", TOPIC, props, name="pub")) is blocked


def test_no_topic_is_exempt_by_default_and_a_configured_exemption_is_reported():
    # The uptime monitor's alert topic has a key of its own now: no default exemption.
    blocked = run_resource_policy("sns-topic-encrypted", TOPIC, {}, name="uptime-monitor-alerts")
    assert blocked and "no server-side encryption" in blocked[0]
    assert exemption_messages_for(urn(TOPIC, "uptime-monitor-alerts")) == []
    # A team's own exemption still suppresses the block, and is reported.
    config = {"exemptions": [{"resource": "lab-topic", "reason": "lab, ticket 9"}]}
    assert (
        run_resource_policy("sns-topic-encrypted", TOPIC, {}, name="lab-topic", config=config) == []
    )
    (report,) = exemption_messages_for(urn(TOPIC, "lab-topic"))
    assert "lab-topic is exempt" in report and "ticket 9" in report


@pytest.mark.parametrize(
    ("props", "blocked"),
    [
        ({}, True),
        ({"encryptionType": "NONE"}, True),  # the notes' stream
        ({"encryptionType": "KMS"}, True),
        ({"encryptionType": "KMS", "kmsKeyId": "alias/aws/kinesis"}, False),
        ({"encryptionType": UNKNOWN, "kmsKeyId": "k"}, False),
    ],
)
def test_a_kinesis_stream_needs_kms(props, blocked):
    assert bool(run_resource_policy("kinesis-stream-encrypted", STREAM, props)) is blocked


S3_WITH_KEY = {"bucketArn": "arn:aws:s3:::b", "roleArn": "r", "kmsKeyArn": "arn:aws:kms:k"}
S3_WITHOUT_KEY = {"bucketArn": "arn:aws:s3:::b", "roleArn": "r"}
FROM_STREAM = {"kinesisStreamArn": "arn:aws:kinesis:s", "roleArn": "r"}


@pytest.mark.parametrize(
    ("props", "mentions"),
    [
        (
            {"destination": "extended_s3", "extendedS3Configuration": S3_WITHOUT_KEY},
            ["put to it directly"],
        ),
        (
            # S3 encrypts what it writes with SSE-S3 (tests/policies/test_aws_defaults.py).
            {
                "destination": "extended_s3",
                "kinesisSourceConfiguration": FROM_STREAM,
                "extendedS3Configuration": S3_WITHOUT_KEY,
            },
            [],
        ),
        (
            {
                "destination": "extended_s3",
                "serverSideEncryption": {"enabled": True},
                "extendedS3Configuration": S3_WITH_KEY,
            },
            [],
        ),
        (
            {
                "destination": "extended_s3",
                "kinesisSourceConfiguration": FROM_STREAM,
                "extendedS3Configuration": S3_WITH_KEY,
            },
            [],
        ),
    ],
)
def test_a_delivery_stream_encrypts_what_it_holds_and_writes(props, mentions):
    messages = run_resource_policy("firehose-encrypted", FIREHOSE, props, name="fh")
    assert bool(messages) is bool(mentions)
    for mention in mentions:
        assert mention in messages[0]


def test_a_queue_without_dead_letter_queue_is_reported_but_dead_letter_queues_are_not():
    dead_letters = resource(QUEUE, "dlq", {"sqsManagedSseEnabled": True})
    redrive = '{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:1:dlq", "maxReceiveCount": 5}'
    redriven = resource(
        QUEUE, "work", {"redrivePolicy": redrive}, depends={"redrivePolicy": [dead_letters]}
    )
    lonely = resource(QUEUE, "lonely", {"sqsManagedSseEnabled": True})
    found = run_stack_policy("sqs-queue-dead-letter-queue", [dead_letters, redriven, lonely])
    assert [urn_ for _, urn_ in found] == [urn(QUEUE, "lonely")]
    assert "no dead-letter queue" in found[0][0]


@pytest.mark.parametrize(
    ("props", "reported"),
    [
        ({}, True),
        ({"functionResponseTypes": ["ReportBatchItemFailures"]}, False),
        ({"destinationConfig": {"onFailure": {"destinationArn": "arn:aws:sqs:x"}}}, False),
    ],
)
def test_an_event_source_mapping_handles_failures(props, reported):
    messages = run_resource_policy("event-source-mapping-failure-handling", MAPPING, props)
    assert bool(messages) is reported


# --- through the analyzer protocol -------------------------------------------------------------


@pytest.fixture(scope="module")
def analyzer() -> Iterator[PolicyAnalyzer]:
    with PolicyAnalyzer() as started:
        yield started


def twin_unencrypted_queue() -> None:
    aws.sqs.Queue("twin-queue", sqs_managed_sse_enabled=False)


def twin_unencrypted_stream() -> None:
    # The notes' stream: one shard, 24 h, "EncryptionType": "NONE".
    aws.kinesis.Stream("twin-stream", shard_count=1, retention_period=24, encryption_type="NONE")


def twin_unencrypted_topic() -> None:
    aws.sns.Topic("twin-topic")


def twin_fanout_component() -> None:
    Fanout("twin", FanoutArgs())


@pytest.mark.parametrize(
    ("program", "policy", "resource_name"),
    [
        (twin_unencrypted_queue, "sqs-queue-encrypted", "twin-queue"),
        (twin_unencrypted_stream, "kinesis-stream-encrypted", "twin-stream"),
        (twin_unencrypted_topic, "sns-topic-encrypted", "twin-topic"),
    ],
)
def test_insecure_twins_are_blocked_through_the_analyzer(analyzer, program, policy, resource_name):
    result = run_gate(run_program("dev", program=program), analyzer)
    assert [(v.policy, v.resource_name) for v in result.mandatory] == [(policy, resource_name)]


def test_the_queue_twin_is_also_reported_for_its_missing_dead_letter_queue(analyzer):
    result = run_gate(run_program("dev", program=twin_unencrypted_queue), analyzer)
    assert [v.resource_name for v in result.by_policy("sqs-queue-dead-letter-queue")] == [
        "twin-queue"
    ]


def test_the_fanout_component_alone_passes_without_advice(analyzer):
    result = run_gate(run_program("dev", program=twin_fanout_component), analyzer)
    assert result.mandatory == []
    assert result.by_policy("sqs-queue-dead-letter-queue") == []
    assert result.by_policy("event-source-mapping-failure-handling") == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_stacks_plan_the_three_systems_with_no_mandatory_violation(analyzer, stack):
    plan = run_program(stack)
    for kind in (QUEUE, TOPIC, STREAM, FIREHOSE, MAPPING):
        assert plan.of_type(kind), kind
    result = run_gate(plan, analyzer)
    assert result.mandatory == [], result.render()
    assert result.by_policy("exemptions-used") == []
