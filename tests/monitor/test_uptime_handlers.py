"""The Lambda entry points with a Lambda-like environment, API Gateway REST events and moto."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from monitor import aws, http_handler, scheduled_handler
from moto import mock_aws

from tests.support.uptime_aws import (
    TABLE_NAME,
    TOPIC_ARN,
    create_sms_topic,
    create_table,
    published_messages,
    use_fake_credentials,
)
from tests.support.uptime_servers import LoopbackHTTPServer, respond, serve


@pytest.fixture
def server() -> Iterator[LoopbackHTTPServer]:
    with serve({"/": respond(200)}) as running:
        yield running


@pytest.fixture
def lambda_environment(
    monkeypatch: pytest.MonkeyPatch, server: LoopbackHTTPServer
) -> Iterator[Any]:
    use_fake_credentials(monkeypatch)
    monkeypatch.setenv("TABLE_NAME", TABLE_NAME)
    monkeypatch.setenv("TOPIC_ARN", TOPIC_ARN)
    monkeypatch.setenv("SITES", json.dumps([f"http://127.0.0.1:{server.port}/"]))
    monkeypatch.setenv("FAILURE_THRESHOLD", "1")
    monkeypatch.setenv("HISTORY_TTL_HOURS", "24")
    monkeypatch.setenv("STACK_NAME", "dev")
    aws.dependencies.cache_clear()
    http_handler.wsgi_handler.cache_clear()
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        create_table(dynamodb)
        create_sms_topic(boto3.client("sns"))
        yield dynamodb
    aws.dependencies.cache_clear()
    http_handler.wsgi_handler.cache_clear()


def rest_api_event(method: str, path: str, body: str | None = None, **headers: str) -> dict:
    """An API Gateway REST API (payload v1) Lambda proxy event."""
    all_headers = {"Host": "abc123.execute-api.us-east-1.amazonaws.com", **headers}
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/dev{path}",
            "stage": "dev",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "203.0.113.9"},
        },
        "body": body,
        "isBase64Encoded": False,
    }


def scheduled_event() -> dict:
    return {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": "2024-05-01T12:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/uptime"],
        "detail": {},
    }


def response_body(response: dict) -> str:
    body = response["body"]
    return base64.b64decode(body).decode() if response.get("isBase64Encoded") else body


def test_http_handler_serves_the_status_api(lambda_environment: Any):
    response = http_handler.handler(rest_api_event("GET", "/api/status"), None)

    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is False
    assert json.loads(response_body(response))["sites"][0]["status"] == "unknown"


def test_http_handler_ping_refuses_loopback_in_lambda(
    lambda_environment: Any, server: LoopbackHTTPServer
):
    event = rest_api_event(
        "POST",
        "/ping",
        f"domain=http://127.0.0.1:{server.port}/",
        **{"Content-Type": "application/x-www-form-urlencoded"},
    )

    response = http_handler.handler(event, None)

    assert response["statusCode"] == 400
    assert "loopback" in json.loads(response_body(response))["error"]
    assert server.log.paths == []


def test_scheduled_handler_checks_records_and_alerts(
    lambda_environment: Any, server: LoopbackHTTPServer
):
    before = int(time.time())

    summary = scheduled_handler.handler(scheduled_event(), None)

    # The environment's guard refuses loopback, so the loopback site counts as down.
    assert summary == {
        "checked": 1,
        "up": 0,
        "down": 1,
        "alerts_sent": 1,
        "alerts_pending": 0,
        "errors": 0,
    }
    assert server.log.paths == []
    assert published_messages() == [
        f"website http://127.0.0.1:{server.port}/ is down: "
        "refused: loopback address 127.0.0.1 (stack dev)"
    ]
    items = lambda_environment.scan(TableName=TABLE_NAME)["Items"]
    history = [item for item in items if item["sk"]["S"].startswith("CHECK#")]
    expires_at = int(history[0]["expires_at"]["N"])
    assert before + 24 * 3600 <= expires_at <= int(time.time()) + 24 * 3600
    assert history[0]["outcome"] == {"S": "blocked"}


def test_the_scheduled_entry_point_never_imports_flask():
    source = Path(__file__).resolve().parents[2] / "functions" / "uptime_monitor"
    probe = "import sys, monitor.scheduled_handler; print(sorted({'flask', 'jinja2', 'werkzeug'} & set(sys.modules)))"

    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=source, capture_output=True, text=True, check=True
    )

    assert loaded.stdout.strip() == "[]"
