"""What both entry points share: settings and AWS clients, built on first use, then reused.

Clients come from botocore, which the Lambda runtime provides: the monitor needs only
DynamoDB, SNS and (with a webhook) Secrets Manager clients, and botocore imports in less than
half the time boto3 takes. The webhook URL is read from its secret once per container.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import botocore.session

from monitor.alerts import (
    SNS_CHANNEL,
    WEBHOOK_CHANNEL,
    Publisher,
    SnsPublisher,
    WebhookPublisher,
)
from monitor.config import MonitorConfig, checker_for
from monitor.secrets import with_webhook
from monitor.store import SiteStore


@dataclass(frozen=True)
class Dependencies:
    config: MonitorConfig
    store: SiteStore
    # The alert channels by name: SNS always, the webhook when one is configured.
    publishers: dict[str, Publisher]


@functools.cache
def dependencies() -> Dependencies:
    session = botocore.session.get_session()
    config = with_webhook(MonitorConfig.from_environ(), session.create_client)
    return Dependencies(
        config=config,
        store=SiteStore(session.create_client("dynamodb"), config.table_name, config.history_ttl),
        publishers=publishers_for(config, session.create_client("sns")),
    )


def publishers_for(config: MonitorConfig, sns_client: object) -> dict[str, Publisher]:
    publishers: dict[str, Publisher] = {SNS_CHANNEL: SnsPublisher(sns_client, config.topic_arn)}
    if config.webhook_url is not None:
        publishers[WEBHOOK_CHANNEL] = WebhookPublisher(checker_for(config), config.webhook_url)
    return publishers
