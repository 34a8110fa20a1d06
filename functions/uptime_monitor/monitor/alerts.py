"""Alert state machine: one message when a site goes down, one when it recovers, none between.

A message is first made pending, then published. A failed publish leaves it pending, so the next
run retries it; the state is saved either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from monitor.checks import CheckResult

logger = logging.getLogger(__name__)

Publisher = Callable[[str], None]


class SiteStatus(StrEnum):
    UNKNOWN = "unknown"
    UP = "up"
    DOWN = "down"


class NotificationKind(StrEnum):
    DOWN = "down"
    RECOVERED = "recovered"


class PublishFailed(Exception):
    """The alert could not be handed to the notification service."""


class DeliveryResult(StrEnum):
    NOTHING_PENDING = "nothing_pending"
    SENT = "sent"
    KEPT_PENDING = "kept_pending"


@dataclass(frozen=True)
class PendingNotification:
    kind: NotificationKind
    message: str


@dataclass(frozen=True)
class SiteState:
    url: str
    status: SiteStatus = SiteStatus.UNKNOWN
    consecutive_failures: int = 0
    # True once a down alert has been delivered, until its recovery message is delivered.
    alerted: bool = False
    pending: PendingNotification | None = None
    last_checked_at: datetime | None = None
    last_latency_ms: float | None = None
    last_outcome: str | None = None
    last_detail: str | None = None


def down_message(url: str) -> str:
    return f"website {url} is down"


def recovered_message(url: str) -> str:
    return f"website {url} is up again"


def apply_check(
    state: SiteState, result: CheckResult, checked_at: datetime, failure_threshold: int
) -> SiteState:
    """The state after one check result; queues a notification on a change worth telling."""
    observed = replace(
        state,
        last_checked_at=checked_at,
        last_latency_ms=result.latency_ms,
        last_outcome=result.outcome.value,
        last_detail=result.detail,
    )
    if result.up:
        return _after_success(observed)
    return _after_failure(observed, failure_threshold)


def _after_success(state: SiteState) -> SiteState:
    recovered = replace(state, status=SiteStatus.UP, consecutive_failures=0)
    if state.alerted:
        return replace(
            recovered,
            pending=PendingNotification(NotificationKind.RECOVERED, recovered_message(state.url)),
        )
    # A down alert that never got out is withdrawn: nobody was told, so nothing to take back.
    return replace(recovered, pending=None)


def _after_failure(state: SiteState, failure_threshold: int) -> SiteState:
    failing = replace(state, consecutive_failures=state.consecutive_failures + 1)
    if failing.consecutive_failures < failure_threshold or state.status is SiteStatus.DOWN:
        return failing
    down = replace(failing, status=SiteStatus.DOWN)
    if state.alerted:
        # The recovery was never delivered: as far as anyone knows the site is still down.
        return replace(down, pending=None)
    return replace(
        down, pending=PendingNotification(NotificationKind.DOWN, down_message(state.url))
    )


def deliver_pending(state: SiteState, publish: Publisher) -> tuple[SiteState, DeliveryResult]:
    """Publishes the pending notification; on failure it stays pending for the next run."""
    pending = state.pending
    if pending is None:
        return state, DeliveryResult.NOTHING_PENDING
    try:
        publish(pending.message)
    except PublishFailed as error:
        logger.warning(
            "%s alert for %s kept pending for the next run: %s", pending.kind, state.url, error
        )
        return state, DeliveryResult.KEPT_PENDING
    alerted = pending.kind is NotificationKind.DOWN
    return replace(state, pending=None, alerted=alerted), DeliveryResult.SENT


class SnsPublisher:
    """Publishes alerts to an SNS topic (its SMS subscriptions text the on-call phone)."""

    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def __call__(self, message: str) -> None:
        try:
            self._client.publish(TopicArn=self._topic_arn, Message=message)
        except (ClientError, BotoCoreError) as error:
            raise PublishFailed(f"SNS Publish failed: {error}") from error
