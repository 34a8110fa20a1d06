"""Lambda entry points: `monitor.handlers.http_handler` (API Gateway REST API, proxy events)
and `monitor.handlers.scheduled_handler` (EventBridge schedule).

Settings and AWS clients are built on first use and then reused by warm invocations.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from apig_wsgi import make_lambda_handler

from monitor.alerts import SnsPublisher
from monitor.app import create_app
from monitor.config import MonitorConfig
from monitor.scheduled import run_checks
from monitor.store import SiteStore

logging.getLogger("monitor").setLevel(logging.INFO)


@dataclass(frozen=True)
class Dependencies:
    config: MonitorConfig
    store: SiteStore
    publisher: SnsPublisher


@functools.cache
def dependencies() -> Dependencies:
    config = MonitorConfig.from_environ()
    return Dependencies(
        config=config,
        store=SiteStore(boto3.client("dynamodb"), config.table_name, config.history_ttl),
        publisher=SnsPublisher(boto3.client("sns"), config.topic_arn),
    )


@functools.cache
def wsgi_handler() -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    deps = dependencies()
    # REST API (v1) proxy events; the app serves only text, so no binary media types needed.
    return make_lambda_handler(create_app(deps.config, store=deps.store), binary_support=False)


def http_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return wsgi_handler()(event, context)


def scheduled_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    deps = dependencies()
    return run_checks(deps.config, store=deps.store, publish=deps.publisher).as_dict()
