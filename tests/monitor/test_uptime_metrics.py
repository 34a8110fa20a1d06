"""EMF log lines: JSON documents that follow CloudWatch's embedded metric format specification."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from monitor.checks import CheckResult, Outcome
from monitor.metrics import emit_check_metrics

WHEN = datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=UTC)
CLOUDWATCH_UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
    "Terabits/Second", "Count/Second", "None",
}  # fmt: skip


def assert_valid_emf(document: dict[str, Any]) -> None:
    """The rules of the EMF specification that a document can break."""
    metadata = document["_aws"]
    assert set(metadata) <= {"Timestamp", "CloudWatchMetrics"}
    assert isinstance(metadata["Timestamp"], int) and not isinstance(metadata["Timestamp"], bool)
    directives = metadata["CloudWatchMetrics"]
    assert isinstance(directives, list) and directives
    for directive in directives:
        assert set(directive) == {"Namespace", "Dimensions", "Metrics"}
        assert isinstance(directive["Namespace"], str) and 1 <= len(directive["Namespace"]) <= 255
        assert isinstance(directive["Dimensions"], list) and directive["Dimensions"]
        for dimension_set in directive["Dimensions"]:
            assert len(dimension_set) <= 30
            for key in dimension_set:
                assert isinstance(document[key], str), f"dimension {key} must be a string member"
                assert 1 <= len(document[key]) <= 1024
        assert 1 <= len(directive["Metrics"]) <= 100
        for definition in directive["Metrics"]:
            assert set(definition) <= {"Name", "Unit", "StorageResolution"}
            value = document[definition["Name"]]
            assert isinstance(value, int | float) and not isinstance(value, bool)
            assert definition.get("Unit", "None") in CLOUDWATCH_UNITS


def emitted(result: CheckResult) -> tuple[str, dict[str, Any]]:
    lines: list[str] = []
    emit_check_metrics(result, namespace="UptimeMonitor", timestamp=WHEN, write=lines.append)
    assert len(lines) == 1
    return lines[0], json.loads(lines[0])


def test_up_check_emits_up_and_latency():
    result = CheckResult("https://shop.example.com/", Outcome.UP, "HTTP 200", 0.1234567, 200)

    line, document = emitted(result)

    assert "\n" not in line
    assert_valid_emf(document)
    assert document["_aws"] == {
        "Timestamp": 1714564800250,
        "CloudWatchMetrics": [
            {
                "Namespace": "UptimeMonitor",
                "Dimensions": [["Site"]],
                "Metrics": [
                    {"Name": "Up", "Unit": "Count"},
                    {"Name": "Latency", "Unit": "Milliseconds"},
                ],
            }
        ],
    }
    assert document["Site"] == "https://shop.example.com/"
    assert document["Up"] == 1
    assert document["Latency"] == 123.457
    assert document["StatusCode"] == 200
    assert document["Outcome"] == "up"


def test_failed_check_without_response_emits_up_zero_and_no_latency():
    result = CheckResult("https://shop.example.com/", Outcome.TIMEOUT, "timed out")

    _line, document = emitted(result)

    assert_valid_emf(document)
    assert document["Up"] == 0
    assert "Latency" not in document
    assert [m["Name"] for m in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]] == ["Up"]


def test_server_error_emits_latency_of_the_failed_response():
    result = CheckResult("https://shop.example.com/", Outcome.SERVER_ERROR, "HTTP 503", 0.5, 503)

    _line, document = emitted(result)

    assert_valid_emf(document)
    assert document["Up"] == 0
    assert document["Latency"] == 500.0
