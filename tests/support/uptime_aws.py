"""moto-backed DynamoDB table and SNS topic for the uptime monitor tests."""

from __future__ import annotations

from typing import Any

import pytest
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from tools.monitor_table import create_table as create_monitor_table

REGION = "us-east-1"
TABLE_NAME = "uptime-test"
TOPIC_NAME = "uptime-alerts"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{DEFAULT_ACCOUNT_ID}:{TOPIC_NAME}"
PHONE_NUMBER = "+15555550123"


def use_fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)


def create_table(client: Any, name: str = TABLE_NAME) -> None:
    create_monitor_table(client, name)


def create_sms_topic(client: Any) -> str:
    arn = client.create_topic(Name=TOPIC_NAME)["TopicArn"]
    client.subscribe(TopicArn=arn, Protocol="sms", Endpoint=PHONE_NUMBER)
    return arn


def published_messages() -> list[str]:
    topic = sns_backends[DEFAULT_ACCOUNT_ID][REGION].topics.get(TOPIC_ARN)
    return [] if topic is None else [message for _id, message, *_ in topic.sent_notifications]
