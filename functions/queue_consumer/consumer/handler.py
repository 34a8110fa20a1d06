"""Lambda entry point of the queue consumer (an SQS event source mapping with
ReportBatchItemFailures)."""

from __future__ import annotations

import logging
from typing import Any

from consumer.batch import process_batch

logging.getLogger().setLevel(logging.INFO)


def handler(event: dict[str, Any], context: object) -> dict[str, list[dict[str, str]]]:
    return process_batch(event.get("Records", []))
