"""The scheduled function reads its webhook URL from Secrets Manager (moto) with its role, once per
container, and never from its environment; errors name the secret, never the URL.

https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets.html
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from monitor import aws
from monitor.alerts import SNS_CHANNEL, WEBHOOK_CHANNEL
from monitor.config import ConfigError
from moto import mock_aws

from tests.support.uptime_aws import TABLE_NAME, TOPIC_ARN, use_fake_credentials

HOOK = "https://hooks.example.com/services/T0/B0/the-token"


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    use_fake_credentials(monkeypatch)
    monkeypatch.setenv("TABLE_NAME", TABLE_NAME)
    monkeypatch.setenv("TOPIC_ARN", TOPIC_ARN)
    aws.dependencies.cache_clear()
    with mock_aws():
        yield boto3.client("secretsmanager")
    aws.dependencies.cache_clear()


def test_the_webhook_comes_from_its_secret_and_is_read_once(secrets, monkeypatch):
    arn = secrets.create_secret(Name="uptime-webhook", SecretString=HOOK)["ARN"]
    monkeypatch.setenv("WEBHOOK_SECRET_ARN", arn)

    deps = aws.dependencies()
    assert deps.config.webhook_url == HOOK
    assert set(deps.publishers) == {SNS_CHANNEL, WEBHOOK_CHANNEL}
    assert HOOK not in repr(deps)
    # Cached for the container's life: gone from Secrets Manager, still known.
    secrets.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    assert aws.dependencies().config.webhook_url == HOOK


def test_a_url_in_the_environment_is_not_a_webhook(secrets, monkeypatch):
    monkeypatch.setenv("WEBHOOK_URL", HOOK)

    deps = aws.dependencies()
    assert deps.config.webhook_url is None
    assert set(deps.publishers) == {SNS_CHANNEL}


def test_a_missing_secret_is_named(secrets, monkeypatch):
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:uptime-webhook-AbCdEf"
    monkeypatch.setenv("WEBHOOK_SECRET_ARN", arn)

    with pytest.raises(
        ConfigError, match="WEBHOOK_SECRET_ARN=.*uptime-webhook-AbCdEf.*cannot be read"
    ):
        aws.dependencies()


def test_a_refused_url_in_the_secret_is_never_shown(secrets, monkeypatch):
    inside = "ftp://hooks.example.com/the-token"
    arn = secrets.create_secret(Name="uptime-webhook", SecretString=inside)["ARN"]
    monkeypatch.setenv("WEBHOOK_SECRET_ARN", arn)

    with pytest.raises(ConfigError) as error:
        aws.dependencies()
    assert "WEBHOOK_SECRET_ARN='[secret]'" in str(error.value)
    assert "the-token" not in str(error.value)
