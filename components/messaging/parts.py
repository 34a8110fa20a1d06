"""Parts the messaging components share (`Fanout`, `Stream`, `UploadPipeline`): AWS's limits
for SQS, the queue policy documents (plain data, evaluated by the tests), encrypted queues and
topics, and the CloudWatch alarms on a queue.

Encryption choices, from AWS's documentation:
- Queues use SQS-managed SSE (`sqs_managed_sse_enabled`): SNS and Lambda deliver into such a
  queue without any key policy, whereas the AWS-managed key `alias/aws/sqs` has a key policy
  nobody can edit that does not let SNS (or S3, EventBridge) encrypt into it.
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#compatibility-with-aws-services
- Topics use the AWS-managed key `alias/aws/sns`: every publisher here is a principal of this
  account (never an AWS service such as CloudWatch), which that key admits through SNS.
  https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from components.common.shared import check_log_retention
from components.common.tags import named_tags

SNS_SERVICE = "sns.amazonaws.com"
SNS_MANAGED_KEY_ALIAS = "alias/aws/sns"
# SQS quotas (SetQueueAttributes): retention 60 s..14 days, delay 0..900 s, visibility
# 0..12 h, long polling 0..20 s, maxReceiveCount 1..1,000, size 1,024 bytes..1 MiB; but SNS
# publishes messages of at most 256 KiB (https://docs.aws.amazon.com/general/latest/gr/sns.html),
# so a fan-out queue's maximum size stops at 262,144 bytes, the notes' (and SQS's) default.
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
MIN_RETENTION_SECONDS = 60
MAX_RETENTION_SECONDS = 1_209_600
MAX_DELAY_SECONDS = 900
MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200
MIN_MESSAGE_BYTES = 1_024
MAX_MESSAGE_BYTES = 262_144
LONG_POLL_SECONDS = 20
MAX_RECEIVE_COUNT = 1_000
# Lambda's guidance for SQS event sources: a visibility timeout of at least six times the
# function's timeout. https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
VISIBILITY_TO_TIMEOUT_RATIO = 6
# Lambda's longest timeout.
MAX_FUNCTION_TIMEOUT_SECONDS = 900


def check_between(argument: str, value: int, low: int, high: int) -> None:
    """Raise `ValueError` naming `argument` unless `low <= value <= high`."""
    if not low <= value <= high:
        raise ValueError(f"{argument}: {value!r} must be between {low} and {high}")


def check_log_retention_days(days: int) -> None:
    if (reason := check_log_retention(days)) is not None:
        raise ValueError(f"log_retention_days: {days!r} {reason}")


def deny_insecure_transport(queue_arn: str) -> dict[str, Any]:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sqs:*",
        "Resource": queue_arn,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def queue_policy_document(queue_arn: str, topic_arn: str | None = None) -> dict[str, Any]:
    """Deny every request without TLS; with `topic_arn`, let SNS deliver from that topic only."""
    statements = [deny_insecure_transport(queue_arn)]
    if topic_arn is not None:
        statements.append(
            {
                "Sid": "AllowDeliveryFromTheTopic",
                "Effect": "Allow",
                "Principal": {"Service": SNS_SERVICE},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def encrypted_queue(
    resource_name: str,
    *,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    topic_arn: pulumi.Output[str] | None = None,
    **settings: Any,
) -> aws.sqs.Queue:
    """A queue with SQS-managed SSE and its queue policy (`<resource_name>-policy`)."""
    queue = aws.sqs.Queue(
        resource_name,
        sqs_managed_sse_enabled=True,
        tags=named_tags(tags, resource_name),
        opts=pulumi.ResourceOptions(parent=parent),
        **settings,
    )
    document = (
        pulumi.Output.all(queue.arn, topic_arn).apply(
            lambda arns: json.dumps(queue_policy_document(arns[0], arns[1]))
        )
        if topic_arn is not None
        else queue.arn.apply(lambda arn: json.dumps(queue_policy_document(arn)))
    )
    aws.sqs.QueuePolicy(
        f"{resource_name}-policy",
        queue_url=queue.url,
        policy=document,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return queue


def encrypted_topic(
    resource_name: str, *, tags: Mapping[str, str], parent: pulumi.Resource, display_name: str
) -> aws.sns.Topic:
    return aws.sns.Topic(
        resource_name,
        display_name=display_name,
        kms_master_key_id=SNS_MANAGED_KEY_ALIAS,
        tags=named_tags(tags, resource_name),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def dead_letter_alarm(
    resource_name: str,
    dead_letters: aws.sqs.Queue,
    *,
    description: str,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.cloudwatch.MetricAlarm:
    """An alarm as soon as one message waits in a dead-letter queue."""
    return threshold_alarm(
        resource_name,
        description=description,
        namespace="AWS/SQS",
        metric_name="ApproximateNumberOfMessagesVisible",
        dimensions={"QueueName": dead_letters.name},
        threshold=1,
        tags=tags,
        parent=parent,
    )


def threshold_alarm(
    resource_name: str,
    *,
    description: str,
    namespace: str,
    metric_name: str,
    dimensions: Mapping[str, pulumi.Input[str]],
    threshold: float,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    statistic: str = "Maximum",
    period_seconds: int = 300,
) -> aws.cloudwatch.MetricAlarm:
    """An alarm when the metric reaches `threshold` in one period (missing data is fine)."""
    return aws.cloudwatch.MetricAlarm(
        resource_name,
        alarm_description=description,
        namespace=namespace,
        metric_name=metric_name,
        dimensions=dict(dimensions),
        statistic=statistic,
        period=period_seconds,
        evaluation_periods=1,
        threshold=threshold,
        comparison_operator="GreaterThanOrEqualToThreshold",
        treat_missing_data="notBreaching",
        tags=named_tags(tags, resource_name),
        opts=pulumi.ResourceOptions(parent=parent),
    )
