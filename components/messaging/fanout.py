"""`Fanout`: the notes' pub/sub (lesson 21), an SNS topic fanned out to SQS queues, each drained
by a Lambda consumer.

What it builds:
- an SNS topic encrypted with `alias/aws/sns` (see `messaging_parts` for the key choices);
- per subscriber queue: a dead-letter queue (14 days' retention), the queue itself (SQS-managed
  SSE, long polling, the notes' settings made explicit, a redrive policy with
  `max_receive_count`), a queue policy that admits SNS for this topic only (`aws:SourceArn`)
  and denies requests without TLS, a subscription with raw message delivery off (the consumer
  reads the SNS envelope's `Message`, as the notes' consumer does);
- per queue a consumer function (`functions/queue_consumer`) whose role may only receive,
  delete and read the attributes of its queue and write its log group, and an event source
  mapping that reports partial batch failures, so only failed messages return to the queue;
- alarms on the dead-letter queue's depth and on the age of the queue's oldest message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import pulumi
import pulumi_aws as aws

from components.common.alarms import threshold_alarm
from components.common.outputs import Export, register_declared_outputs
from components.common.owner import Owner
from components.common.shared import check_bounds, check_log_retention_days
from components.common.topics import encrypted_topic, subscription
from components.lambdas.function import FunctionSpec, check_function_name, lambda_function
from components.lambdas.packaging import BUILD_DIR, PROJECT_DIR, build_function_archive
from components.lambdas.zips import Archive
from components.messaging.parts import (
    LONG_POLL_SECONDS,
    MAX_DELAY_SECONDS,
    MAX_FUNCTION_TIMEOUT_SECONDS,
    MAX_MESSAGE_BYTES,
    MAX_RECEIVE_COUNT,
    MAX_RETENTION_SECONDS,
    MAX_VISIBILITY_TIMEOUT_SECONDS,
    MIN_MESSAGE_BYTES,
    MIN_RETENTION_SECONDS,
    VISIBILITY_TO_TIMEOUT_RATIO,
    dead_letter_alarm,
    encrypted_queue,
    queue_metric,
)

CONSUMER_DIR = PROJECT_DIR / "functions" / "queue_consumer"
CONSUMER_HANDLER = "consumer.handler.handler"
CONSUMER_QUEUE_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
MAX_BATCH_SIZE = 10  # a standard queue's batch without a batching window
# The bounds of FanoutArgs' integer fields: the Args check them, the settings read config in them.
FANOUT_BOUNDS = {
    "max_receive_count": (1, MAX_RECEIVE_COUNT),
    "consumer_timeout_seconds": (1, MAX_FUNCTION_TIMEOUT_SECONDS),
    "visibility_timeout_seconds": (0, MAX_VISIBILITY_TIMEOUT_SECONDS),
    "retention_seconds": (MIN_RETENTION_SECONDS, MAX_RETENTION_SECONDS),
    "max_message_bytes": (MIN_MESSAGE_BYTES, MAX_MESSAGE_BYTES),
    "delay_seconds": (0, MAX_DELAY_SECONDS),
    "batch_size": (1, MAX_BATCH_SIZE),
}
_QUEUE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class FanoutArgs:
    """Inputs of `Fanout`; the defaults are the SQS console's, which the notes keep, except the
    receive wait (20 s long polling instead of the notes' busy polling)."""

    # Subscriber queues by short name (the notes' `sub`).
    queue_names: tuple[str, ...] = ("sub",)
    max_receive_count: int = 5
    consumer_timeout_seconds: int = 30
    visibility_timeout_seconds: int = 180
    retention_seconds: int = 345_600  # 4 days
    max_message_bytes: int = MAX_MESSAGE_BYTES
    delay_seconds: int = 0
    batch_size: int = 10
    # Alarm when the oldest message has waited this long.
    oldest_message_alarm_seconds: int = 900
    log_retention_days: int = 90
    memory_mb: int = 128
    source_dir: Path | str = CONSUMER_DIR
    build_dir: Path | str = BUILD_DIR
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.queue_names:
            raise ValueError("queue_names: at least one subscriber queue is needed")
        for queue_name in self.queue_names:
            if (reason := check_queue_name(queue_name)) is not None:
                raise ValueError(f"queue_names: {queue_name!r} {reason}")
        if len(set(self.queue_names)) != len(self.queue_names):
            raise ValueError(f"queue_names: {list(self.queue_names)!r} repeats a name")
        check_bounds(self, FANOUT_BOUNDS)
        needed = VISIBILITY_TO_TIMEOUT_RATIO * self.consumer_timeout_seconds
        if self.visibility_timeout_seconds < needed:
            raise ValueError(
                f"visibility_timeout_seconds: {self.visibility_timeout_seconds} is below "
                f"{VISIBILITY_TO_TIMEOUT_RATIO} x consumer_timeout_seconds "
                f"({self.consumer_timeout_seconds}) = {needed}"
            )
        if self.oldest_message_alarm_seconds < 60:
            raise ValueError(
                f"oldest_message_alarm_seconds: {self.oldest_message_alarm_seconds} must be at "
                "least 60"
            )
        check_log_retention_days(self.log_retention_days)


def check_queue_name(queue_name: str) -> str | None:
    if _QUEUE_NAME.match(queue_name):
        return None
    return "must be 1 to 40 lowercase letters, digits and hyphens"


def consumer_statements(queue_arn: pulumi.Input[str]) -> list[dict]:
    """What the event source mapping does with the consumer's role: receive, delete, and read
    the attributes of its own queue (SQS-managed SSE needs no KMS permission)."""
    return [
        {
            "Sid": "ConsumeOwnQueue",
            "Effect": "Allow",
            "Action": list(CONSUMER_QUEUE_ACTIONS),
            "Resource": queue_arn,
        }
    ]


class Fanout(pulumi.ComponentResource):
    """An encrypted SNS topic, its SQS subscriber queues with dead-letter queues, consumers."""

    topic_arn: Annotated[pulumi.Output[str], Export("fanoutTopicArn")]
    queue_urls: dict[str, pulumi.Output[str]]
    dead_letter_queue_urls: dict[str, pulumi.Output[str]]
    consumer_function_names: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: FanoutArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:fanout:Fanout", name, None, opts)
        stack = pulumi.get_stack()
        function_names = {queue: f"{name}-{queue}-{stack}" for queue in args.queue_names}
        for function_name in function_names.values():
            check_function_name(function_name, "queue_names (with the component and stack)")
        archive = build_function_archive(args.source_dir, args.build_dir)
        owner = Owner(self, args.tags)
        topic = encrypted_topic(f"{name}-topic", owner, display_name=f"{name} fan-out")
        self.topic_arn = topic.arn
        self.queue_urls, self.dead_letter_queue_urls, self.consumer_function_names = {}, {}, {}
        for queue_name in args.queue_names:
            prefix = f"{name}-{queue_name}"
            dead_letters = encrypted_queue(
                f"{prefix}-dlq", owner, message_retention_seconds=MAX_RETENTION_SECONDS
            )
            queue = encrypted_queue(
                f"{prefix}-queue",
                owner,
                topic_arn=topic.arn,
                visibility_timeout_seconds=args.visibility_timeout_seconds,
                message_retention_seconds=args.retention_seconds,
                max_message_size=args.max_message_bytes,
                delay_seconds=args.delay_seconds,
                receive_wait_time_seconds=LONG_POLL_SECONDS,
                redrive_policy=dead_letters.arn.apply(
                    lambda arn: json.dumps(
                        {"deadLetterTargetArn": arn, "maxReceiveCount": args.max_receive_count}
                    )
                ),
            )
            # The consumer reads the SNS envelope (body["Message"]), as in the notes.
            subscription(
                f"{prefix}-subscription",
                topic,
                "sqs",
                queue.arn,
                parent=self,
                raw_message_delivery=False,
            )
            function = self._consumer(
                prefix, function_names[queue_name], queue, archive=archive, args=args
            )
            self._alarms(prefix, owner, queue, dead_letters, args)
            self.queue_urls[queue_name] = queue.url
            self.dead_letter_queue_urls[queue_name] = dead_letters.url
            self.consumer_function_names[queue_name] = function.name
        register_declared_outputs(self)

    def _consumer(
        self,
        prefix: str,
        function_name: str,
        queue: aws.sqs.Queue,
        *,
        archive: Archive,
        args: FanoutArgs,
    ) -> aws.lambda_.Function:
        function = lambda_function(
            f"{prefix}-consumer",
            FunctionSpec(
                function_name=function_name,
                handler=CONSUMER_HANDLER,
                archive=archive,
                statements=consumer_statements(queue.arn),
                memory_mb=args.memory_mb,
                timeout_seconds=args.consumer_timeout_seconds,
                log_retention_days=args.log_retention_days,
                tags=args.tags,
            ),
            parent=self,
        ).function
        aws.lambda_.EventSourceMapping(
            f"{prefix}-consumer-mapping",
            event_source_arn=queue.arn,
            function_name=function.arn,
            batch_size=args.batch_size,
            # Only the failed messages of a batch return to the queue.
            function_response_types=["ReportBatchItemFailures"],
            # The function depends on its role policy, so the mapping starts once it may poll.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[function]),
        )
        return function

    def _alarms(
        self,
        prefix: str,
        owner: Owner,
        queue: aws.sqs.Queue,
        dead_letters: aws.sqs.Queue,
        args: FanoutArgs,
    ) -> None:
        dead_letter_alarm(
            f"{prefix}-dlq-depth-alarm",
            owner,
            dead_letters,
            description=f"Messages of {prefix} failed {args.max_receive_count} times and wait "
            "in the dead-letter queue (docs/runbooks.md: replay the dead-letter queue)",
        )
        threshold_alarm(
            f"{prefix}-oldest-message-alarm",
            owner,
            queue_metric(queue, "ApproximateAgeOfOldestMessage"),
            threshold=args.oldest_message_alarm_seconds,
            description=f"The oldest message of {prefix} has waited "
            f"{args.oldest_message_alarm_seconds} s: the consumer is failing or too slow",
        )

    def queue_exports(self) -> dict[str, pulumi.Input[str]]:
        """The stack outputs of each queue (`sub`): `fanoutSubQueueUrl`,
        `fanoutSubDeadLetterQueueUrl` (the runbook's replay needs both)."""
        outputs: dict[str, pulumi.Input[str]] = {}
        for queue_name, url in self.queue_urls.items():
            label = "".join(part.capitalize() for part in queue_name.split("-"))
            outputs[f"fanout{label}QueueUrl"] = url
            outputs[f"fanout{label}DeadLetterQueueUrl"] = self.dead_letter_queue_urls[queue_name]
        return outputs
