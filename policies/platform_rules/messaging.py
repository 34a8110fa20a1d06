"""Rules on queues, topics and streams: encryption at rest (mandatory), dead-letter queues and
failure handling of event source mappings (advisory).

Each rule decides the way the service does, an omitted setting as the service's default:
- SQS: a queue is encrypted with SQS-managed SSE (`SqsManagedSseEnabled`) or a KMS key
  (`KmsMasterKeyId`). Since October 2022 SQS turns SSE-SQS on for a queue created without
  either attribute, and the provider then reports `sqsManagedSseEnabled: true` in the queue's
  state; a queue created with `SqsManagedSseEnabled` false and no key is unencrypted. The rule is
  a stack rule: at the update AnalyzeStack sees each queue's state after create, at a preview an
  unknown never blocks.
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html
  (documentation history, https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/history.html:
  "Server-side encryption (SSE) using SQS-owned encryption (SSE-SQS) by default", 2022)
- SNS: a topic is encrypted only with `KmsMasterKeyId` (no default encryption).
  https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html
- Kinesis: `EncryptionType` KMS with a key; NONE (the notes' stream, and the default) is
  unencrypted. https://docs.aws.amazon.com/streams/latest/dev/what-is-sse.html
- Firehose: records sent to it directly are encrypted at rest only with server-side
  encryption; records read from a Kinesis stream stay encrypted in that stream. What it writes to
  S3 is encrypted either way: with SSE-KMS when the S3 destination names a KMS key, otherwise by
  S3 itself, which encrypts every new object with SSE-S3 since January 5, 2023 (whether the
  bucket's own policy admits the writer's request is the S3 rules' question).
  https://docs.aws.amazon.com/firehose/latest/dev/encryption.html,
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingServerSideEncryption.html
- Lambda event source mappings: without `ReportBatchItemFailures` one bad record makes the
  whole batch fail and return; without an on-failure destination (stream sources) failed
  records are dropped when they expire.
  https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
An unknown value (a preview) never yields a violation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Policy

from platform_rules.framework import RuleSpec, Violation, resource_policy, stack_policy
from platform_rules.graph import Node, StackGraph
from platform_rules.values import as_list, is_unknown, truthy

QUEUE = "aws:sqs/queue:Queue"
TOPIC = "aws:sns/topic:Topic"
KINESIS_STREAM = "aws:kinesis/stream:Stream"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"


def _has_key(value: Any) -> bool | None:
    """True for a key id, False for none, None when unknown."""
    if is_unknown(value):
        return None
    return isinstance(value, str) and bool(value.strip())


def queue_encryption(node: Node) -> bool | None:
    """Whether SQS keeps the queue's messages encrypted (None: not known yet). An omitted
    `sqsManagedSseEnabled` is SQS's default, SSE-SQS on."""
    key = _has_key(node.get("kmsMasterKeyId"))
    if key is not False:
        return key
    managed = node.get("sqsManagedSseEnabled")
    return True if managed is None else truthy(managed)


def queues_encrypted_check(graph: StackGraph, settings: Mapping[str, Any]) -> Iterator[Violation]:
    for queue in graph.of_type(QUEUE):
        if queue_encryption(queue) is not False:
            continue
        yield Violation(
            queue.urn,
            queue.name,
            f"SQS queue {queue.name} has sqsManagedSseEnabled="
            f"{queue.get('sqsManagedSseEnabled')!r} and no KMS key: its messages are stored "
            "unencrypted (SQS encrypts by default only when the attribute is omitted). Set "
            "sqs_managed_sse_enabled=True (SNS and Lambda deliver into SSE-SQS queues) or "
            "kms_master_key_id to a customer managed key whose policy admits the senders; not "
            "alias/aws/sqs if SNS delivers into the queue.",
        )


def topic_encrypted_check(node: Node, settings: Mapping[str, Any]) -> Iterator[Violation]:
    if _has_key(node.get("kmsMasterKeyId")) is False:
        yield Violation(
            node.urn,
            node.name,
            f"SNS topic {node.name} has no server-side encryption. Set kms_master_key_id "
            "(alias/aws/sns when only this account's principals publish; a customer managed "
            "key whose policy admits the service when an AWS service such as CloudWatch does).",
        )


def kinesis_encrypted_check(node: Node, settings: Mapping[str, Any]) -> Iterator[Violation]:
    kind = node.get("encryptionType", "NONE")
    key = _has_key(node.get("kmsKeyId"))
    if is_unknown(kind) or key is None:
        return
    if kind != "KMS" or not key:
        yield Violation(
            node.urn,
            node.name,
            f"Kinesis stream {node.name} has encryptionType={kind!r} and "
            f"{'a' if key else 'no'} KMS key: its records are stored unencrypted. Set "
            "encryption_type='KMS' and kms_key_id (a customer managed key, or alias/aws/kinesis).",
        )


def firehose_encrypted_check(node: Node, settings: Mapping[str, Any]) -> Iterator[Violation]:
    problems = []
    from_stream = node.get("kinesisSourceConfiguration") or node.get("mskSourceConfiguration")
    if not from_stream:
        sse = node.get("serverSideEncryption") or {}
        enabled = None if is_unknown(sse) else truthy(sse.get("enabled", False))
        if enabled is False:
            problems.append(
                "records put to it directly are stored unencrypted (set "
                "server_side_encryption enabled=True)"
            )
    if problems:
        yield Violation(
            node.urn, node.name, f"Firehose delivery stream {node.name}: " + "; ".join(problems)
        )


def _redrive_target_missing(node: Node) -> bool | None:
    policy = node.get("redrivePolicy")
    if is_unknown(policy):
        return None
    if not policy:
        return True
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except json.JSONDecodeError:
            return True
    if not isinstance(policy, Mapping):
        return True
    target = policy.get("deadLetterTargetArn")
    return None if is_unknown(target) else not target


def dead_letter_queue_check(graph: StackGraph, settings: Mapping[str, Any]) -> Iterator[Violation]:
    """Queues without a redrive policy, other than the dead-letter queues themselves (queues
    another queue's redrive policy or a Lambda destination depends on)."""
    queues = graph.of_type(QUEUE)
    dead_letter_urns = {
        urn
        for source in [*queues, *graph.of_type(INVOKE_CONFIG, EVENT_SOURCE_MAPPING)]
        for key in ("redrivePolicy", "destinationConfig")
        for urn in source.depends_on(key)
    }
    for queue in queues:
        if queue.urn in dead_letter_urns:
            continue
        if _redrive_target_missing(queue):
            yield Violation(
                queue.urn,
                queue.name,
                f"SQS queue {queue.name} has no dead-letter queue: a message that keeps failing "
                "is received again and again until its retention ends, then lost. Give it a "
                "redrive_policy with deadLetterTargetArn and maxReceiveCount.",
            )


def event_source_failure_check(node: Node, settings: Mapping[str, Any]) -> Iterator[Violation]:
    types = node.get("functionResponseTypes")
    destination = node.get("destinationConfig") or {}
    if is_unknown(types) or is_unknown(destination):
        return
    reports = REPORT_BATCH_ITEM_FAILURES in as_list(types)
    on_failure = (destination.get("onFailure") or {}) if isinstance(destination, Mapping) else {}
    if reports or on_failure.get("destinationArn"):
        return
    yield Violation(
        node.urn,
        node.name,
        f"Event source mapping {node.name} neither reports partial batch failures nor has an "
        "on-failure destination: one bad record fails (and retries) its whole batch. Set "
        "function_response_types=['ReportBatchItemFailures'] (and return batchItemFailures), "
        "or destination_config on_failure for stream sources.",
    )


# --- the rules' declarations ------------------------------------------------------------------

QUEUE_ENCRYPTED = RuleSpec(
    name="sqs-queue-encrypted",
    description="SQS queues must have server-side encryption (SSE-SQS or a KMS key); a queue "
    "that omits both gets SQS's default, SSE-SQS.",
    level=EnforcementLevel.MANDATORY,
    remediation="Set sqs_managed_sse_enabled=True, or kms_master_key_id to a customer managed "
    "key whose key policy admits every sender (SNS cannot use alias/aws/sqs).",
    url="https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html",
)
TOPIC_ENCRYPTED = RuleSpec(
    name="sns-topic-encrypted",
    description="SNS topics must have server-side encryption (a KMS key).",
    level=EnforcementLevel.MANDATORY,
    remediation="Set kms_master_key_id: alias/aws/sns when only this account's principals "
    "publish, a customer managed key admitting the service when an AWS service publishes.",
    url="https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html",
)
STREAM_ENCRYPTED = RuleSpec(
    name="kinesis-stream-encrypted",
    description="Kinesis data streams must be encrypted with KMS.",
    level=EnforcementLevel.MANDATORY,
    remediation="Set encryption_type='KMS' and kms_key_id on aws.kinesis.Stream.",
    url="https://docs.aws.amazon.com/streams/latest/dev/what-is-sse.html",
)
FIREHOSE_ENCRYPTED = RuleSpec(
    name="firehose-encrypted",
    description="Firehose delivery streams must encrypt the records put to them directly (what "
    "they write to S3 is encrypted by S3's default, SSE-S3, or SSE-KMS with a key).",
    level=EnforcementLevel.MANDATORY,
    remediation="Read from an encrypted Kinesis stream or enable server_side_encryption.",
    url="https://docs.aws.amazon.com/firehose/latest/dev/encryption.html",
)
QUEUE_DEAD_LETTERS = RuleSpec(
    name="sqs-queue-dead-letter-queue",
    description="SQS queues should have a dead-letter queue (dead-letter queues excepted).",
    level=EnforcementLevel.ADVISORY,
    remediation="Add redrive_policy={deadLetterTargetArn, maxReceiveCount} with a second queue.",
    url="https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html",
)
MAPPING_FAILURES = RuleSpec(
    name="event-source-mapping-failure-handling",
    description="Lambda event source mappings should report partial batch failures or have an "
    "on-failure destination.",
    level=EnforcementLevel.ADVISORY,
    remediation="Set function_response_types=['ReportBatchItemFailures'] and return "
    "batchItemFailures, or destination_config on_failure (stream sources).",
    url="https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html",
)
RULES = (
    QUEUE_ENCRYPTED,
    TOPIC_ENCRYPTED,
    STREAM_ENCRYPTED,
    FIREHOSE_ENCRYPTED,
    QUEUE_DEAD_LETTERS,
    MAPPING_FAILURES,
)


def policies() -> list[Policy]:
    return [
        stack_policy(QUEUE_ENCRYPTED, queues_encrypted_check),
        resource_policy(TOPIC_ENCRYPTED, [TOPIC], topic_encrypted_check),
        resource_policy(STREAM_ENCRYPTED, [KINESIS_STREAM], kinesis_encrypted_check),
        resource_policy(FIREHOSE_ENCRYPTED, [FIREHOSE], firehose_encrypted_check),
        stack_policy(QUEUE_DEAD_LETTERS, dead_letter_queue_check),
        resource_policy(MAPPING_FAILURES, [EVENT_SOURCE_MAPPING], event_source_failure_check),
    ]
