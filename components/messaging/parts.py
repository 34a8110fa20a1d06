"""Parts the messaging components share (`Fanout`, `Stream`, `UploadPipeline`): AWS's limits
for SQS, the queue policy documents (plain data, evaluated by the tests), encrypted queues (topics
are `components.common.topics`) and the CloudWatch alarms on a queue.

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
from typing import Any

import pulumi
import pulumi_aws as aws

from components.common.alarms import Metric, threshold_alarm
from components.common.owner import Owner

SNS_SERVICE = "sns.amazonaws.com"
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
    owner: Owner,
    *,
    topic_arn: pulumi.Output[str] | None = None,
    **settings: Any,
) -> aws.sqs.Queue:
    """A queue with SQS-managed SSE and its queue policy (`<resource_name>-policy`)."""
    queue = aws.sqs.Queue(
        resource_name,
        sqs_managed_sse_enabled=True,
        tags=owner.tags_for(resource_name),
        opts=owner.opts,
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
        opts=owner.opts,
    )
    return queue


def queue_metric(queue: aws.sqs.Queue, metric_name: str) -> Metric:
    """An `AWS/SQS` metric of `queue` (its `Maximum`)."""
    return Metric("AWS/SQS", metric_name, {"QueueName": queue.name})


def dead_letter_alarm(
    resource_name: str, owner: Owner, dead_letters: aws.sqs.Queue, *, description: str
) -> aws.cloudwatch.MetricAlarm:
    """An alarm as soon as one message waits in a dead-letter queue."""
    return threshold_alarm(
        resource_name,
        owner,
        queue_metric(dead_letters, "ApproximateNumberOfMessagesVisible"),
        threshold=1,
        description=description,
    )
