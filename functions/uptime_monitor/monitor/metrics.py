"""CloudWatch metrics as Embedded Metric Format (EMF) log lines: stdout only, no API calls.

Lambda sends stdout to CloudWatch Logs, which extracts a metric from every member that a
document's `_aws.CloudWatchMetrics` directives name. Per check: `Up` (1 or 0) and, when a
response arrived, `Latency` in milliseconds, both with the dimension `Site` (the URL).
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from monitor.checks import CheckResult

DEFAULT_NAMESPACE = "UptimeMonitor"
SITE_DIMENSION = "Site"
UP_METRIC = "Up"
LATENCY_METRIC = "Latency"

LineWriter = Callable[[str], None]


def epoch_milliseconds(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def check_metrics_document(
    result: CheckResult, *, namespace: str, timestamp: datetime
) -> dict[str, Any]:
    """One EMF document for one check result."""
    metric_definitions: list[dict[str, str]] = [{"Name": UP_METRIC, "Unit": "Count"}]
    document: dict[str, Any] = {
        SITE_DIMENSION: result.url,
        UP_METRIC: 1 if result.up else 0,
        "Outcome": result.outcome.value,
    }
    if result.latency_ms is not None:
        metric_definitions.append({"Name": LATENCY_METRIC, "Unit": "Milliseconds"})
        document[LATENCY_METRIC] = result.latency_ms
    if result.status_code is not None:
        document["StatusCode"] = result.status_code
    document["_aws"] = {
        "Timestamp": epoch_milliseconds(timestamp),
        "CloudWatchMetrics": [
            {
                "Namespace": namespace,
                "Dimensions": [[SITE_DIMENSION]],
                "Metrics": metric_definitions,
            }
        ],
    }
    return document


_stdout_lock = threading.Lock()


def print_line(line: str) -> None:
    """One whole line to stdout; concurrent checks never interleave their lines."""
    with _stdout_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def emit_check_metrics(
    result: CheckResult,
    *,
    namespace: str,
    timestamp: datetime,
    write: LineWriter = print_line,
) -> None:
    document = check_metrics_document(result, namespace=namespace, timestamp=timestamp)
    write(json.dumps(document, separators=(",", ":"), ensure_ascii=False))
