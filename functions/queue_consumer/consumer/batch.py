"""Process a batch of SQS records and report which ones failed.

The notes' consumer busy-polls `queue.receive_messages()` in a `while 1` loop, prints
`json.loads(message.body)["Message"]` and deletes every message. Here Lambda's event source
mapping long-polls the queue and hands the function a batch; the function answers with
`batchItemFailures`, so Lambda deletes the messages that were processed and only the failed ones
return to the queue (and, after maxReceiveCount receives, to its dead-letter queue).
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

LOGGER = logging.getLogger(__name__)


class NotAnSnsEnvelope(ValueError):
    """A record whose body is not the JSON envelope SNS delivers with raw delivery off."""


def sns_message(body: str) -> str:
    """The `Message` of the SNS envelope in an SQS body (raw message delivery off)."""
    try:
        envelope = json.loads(body)
    except json.JSONDecodeError as error:
        raise NotAnSnsEnvelope(f"body is not JSON: {error}") from error
    if not isinstance(envelope, dict) or not isinstance(envelope.get("Message"), str):
        raise NotAnSnsEnvelope("body has no string 'Message' (is raw message delivery on?)")
    return envelope["Message"]


def log_message(message: str) -> None:
    """The notes' processing: show the message."""
    LOGGER.info("message: %s", message)


def process_batch(
    records: Iterable[Mapping[str, Any]], handle: Callable[[str], None] = log_message
) -> dict[str, list[dict[str, str]]]:
    """Handle each record's message; the ids of the records that failed, as Lambda expects."""
    failures = []
    for record in records:
        try:
            handle(sns_message(record["body"]))
        except Exception:  # noqa: BLE001 - any failure returns this one record to the queue
            LOGGER.exception("message %s failed", record.get("messageId"))
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
