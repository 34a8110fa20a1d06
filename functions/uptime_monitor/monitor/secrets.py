"""The webhook URL from Secrets Manager: read with the function's role on first use, then kept.

The URL holds a token, so it never sits in the function's environment (anyone allowed
lambda:GetFunctionConfiguration could read it there), in an error or in a log line.
https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets.html
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from monitor.config import WEBHOOK_SOURCE, ConfigError, MonitorConfig


def read_secret_text(client: Any, secret_arn: str) -> str:
    """The secret's current text; ConfigError naming the secret (never its value)."""
    try:
        response = client.get_secret_value(SecretId=secret_arn)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "error")
        raise ConfigError(WEBHOOK_SOURCE, secret_arn, f"cannot be read ({code})") from None
    except BotoCoreError as error:
        raise ConfigError(
            WEBHOOK_SOURCE, secret_arn, f"cannot be read ({type(error).__name__})"
        ) from None
    text = (response.get("SecretString") or "").strip()
    if not text:
        raise ConfigError(WEBHOOK_SOURCE, secret_arn, "holds no text")
    return text


def with_webhook(config: MonitorConfig, client_factory: Any) -> MonitorConfig:
    """`config` with its webhook URL read from its secret (unchanged without one)."""
    if config.webhook_secret_arn is None:
        return config
    url = read_secret_text(client_factory("secretsmanager"), config.webhook_secret_arn)
    return replace(config, webhook_url=url)
