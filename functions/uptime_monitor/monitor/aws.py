"""What both entry points share: settings and AWS clients, built on first use, then reused.

Clients come from botocore, which the Lambda runtime provides: the monitor needs only
DynamoDB and SNS clients, and botocore imports in less than half the time boto3 takes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import botocore.session

from monitor.alerts import SnsPublisher
from monitor.config import MonitorConfig
from monitor.store import SiteStore


@dataclass(frozen=True)
class Dependencies:
    config: MonitorConfig
    store: SiteStore
    publisher: SnsPublisher


@functools.cache
def dependencies() -> Dependencies:
    config = MonitorConfig.from_environ()
    session = botocore.session.get_session()
    return Dependencies(
        config=config,
        store=SiteStore(session.create_client("dynamodb"), config.table_name, config.history_ttl),
        publisher=SnsPublisher(session.create_client("sns"), config.topic_arn),
    )
