"""Alert state machine: one message when a site goes down, one when it recovers, none between;
one when its TLS certificate comes within the warning window, one when it is renewed.

A message is first made pending for every channel (SNS, the webhook), then published to each.
A channel that fails keeps the message pending for the next run; the others are not sent it
again. A down alert that never got out is followed, once the site recovers, by a recovery
message that says how long the site was down, so every channel learns of the outage.
"""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from monitor.checks import CheckResult, HttpChecker
from monitor.ssrf import ResolutionFailed, TargetRefused

logger = logging.getLogger(__name__)

Publisher = Callable[[str], None]
SNS_CHANNEL = "sns"
WEBHOOK_CHANNEL = "webhook"


class SiteStatus(StrEnum):
    UNKNOWN = "unknown"
    UP = "up"
    DOWN = "down"


class NotificationKind(StrEnum):
    DOWN = "down"
    RECOVERED = "recovered"
    CERT_EXPIRING = "cert_expiring"
    CERT_RENEWED = "cert_renewed"


class PublishFailed(Exception):
    """The alert could not be handed to a channel. The message never holds a secret."""


@dataclass(frozen=True)
class PendingNotification:
    kind: NotificationKind
    message: str
    # The channels it has not reached yet.
    channels: frozenset[str]


@dataclass(frozen=True)
class SiteState:
    url: str
    status: SiteStatus = SiteStatus.UNKNOWN
    consecutive_failures: int = 0
    # Channels told the site is down and not yet told it recovered.
    alerted: frozenset[str] = frozenset()
    pending: tuple[PendingNotification, ...] = ()
    # The first failed check of the current run of failures.
    down_since: datetime | None = None
    # True from the expiry warning until the certificate is renewed.
    cert_warned: bool = False
    last_checked_at: datetime | None = None
    last_latency_ms: float | None = None
    last_outcome: str | None = None
    last_detail: str | None = None
    last_reason: str | None = None
    # The stored item's version, for conditional writes (0: never stored).
    version: int = 0


@dataclass(frozen=True)
class AlertPolicy:
    """When and whom to tell."""

    failure_threshold: int
    channels: frozenset[str] = frozenset({SNS_CHANNEL})
    # Named in every message, so a text says which deployment is talking.
    stack: str = ""
    # Warn when the certificate expires within this many days; 0 = never.
    cert_expiry_days: int = 0


@dataclass(frozen=True)
class Delivery:
    sent: int = 0
    kept_pending: int = 0


def format_duration(duration: timedelta) -> str:
    """`45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`."""
    seconds = max(int(duration.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else f"{seconds} s"


def _suffix(policy: AlertPolicy) -> str:
    return f" (stack {policy.stack})" if policy.stack else ""


def down_message(url: str, reason: str, policy: AlertPolicy) -> str:
    return f"website {url} is down: {reason}{_suffix(policy)}"


def recovered_message(url: str, down_for: timedelta, reason: str, policy: AlertPolicy) -> str:
    return (
        f"website {url} is up again after {format_duration(down_for)} down "
        f"(was: {reason}){_suffix(policy)}"
    )


def certificate_message(
    url: str, expires_at: datetime, now: datetime, renewed: bool, policy: AlertPolicy
) -> str:
    days = (expires_at - now).days
    when = f"expires in {days} day{'' if days == 1 else 's'} ({expires_at:%Y-%m-%d})"
    news = f"renewed, {when}" if renewed else when
    return f"website {url}: TLS certificate {news}{_suffix(policy)}"


def apply_check(
    state: SiteState, result: CheckResult, checked_at: datetime, policy: AlertPolicy
) -> SiteState:
    """The state after one check result; queues a notification on a change worth telling."""
    observed = replace(
        state,
        last_checked_at=checked_at,
        last_latency_ms=result.latency_ms,
        last_outcome=result.outcome.value,
        last_detail=result.detail,
        last_reason=result.reason,
    )
    if result.up:
        observed = _after_success(state, observed, checked_at, policy)
    else:
        observed = _after_failure(observed, checked_at, policy)
    return _after_certificate(observed, result, checked_at, policy)


def _after_success(
    before: SiteState, state: SiteState, checked_at: datetime, policy: AlertPolicy
) -> SiteState:
    recovered = replace(state, status=SiteStatus.UP, consecutive_failures=0, down_since=None)
    if before.status is not SiteStatus.DOWN:
        return recovered
    # Every channel hears of the recovery, also one whose down alert never got out: it learns
    # from this message that the site was down, and for how long.
    down_for = checked_at - (before.down_since or checked_at)
    message = recovered_message(state.url, down_for, before.last_reason or "down", policy)
    pending = _without(state.pending, NotificationKind.DOWN)
    notification = PendingNotification(NotificationKind.RECOVERED, message, policy.channels)
    return replace(recovered, pending=(*pending, notification))


def _after_failure(state: SiteState, checked_at: datetime, policy: AlertPolicy) -> SiteState:
    failing = replace(
        state,
        consecutive_failures=state.consecutive_failures + 1,
        down_since=state.down_since or checked_at,
    )
    if failing.consecutive_failures < policy.failure_threshold or state.status is SiteStatus.DOWN:
        return failing
    # A channel whose recovery message never got out still believes the site is down.
    pending = _without(state.pending, NotificationKind.RECOVERED)
    unaware = policy.channels - state.alerted
    if unaware:
        message = down_message(state.url, state.last_reason or "down", policy)
        pending = (*pending, PendingNotification(NotificationKind.DOWN, message, unaware))
    return replace(failing, status=SiteStatus.DOWN, pending=pending)


def _after_certificate(
    state: SiteState, result: CheckResult, checked_at: datetime, policy: AlertPolicy
) -> SiteState:
    """One warning when the certificate comes within the window, one notice when renewed."""
    expires_at = result.cert_expires_at
    if policy.cert_expiry_days <= 0 or expires_at is None:
        return state
    expiring = expires_at - checked_at < timedelta(days=policy.cert_expiry_days)
    if expiring == state.cert_warned:
        return state
    message = certificate_message(state.url, expires_at, checked_at, not expiring, policy)
    if expiring:
        kind, channels = NotificationKind.CERT_EXPIRING, policy.channels
        pending = _without(state.pending, NotificationKind.CERT_RENEWED)
    else:
        # Only channels that got the warning need to hear of the renewal.
        kind, channels = (
            NotificationKind.CERT_RENEWED,
            policy.channels - _waiting_for(state.pending, NotificationKind.CERT_EXPIRING),
        )
        pending = _without(state.pending, NotificationKind.CERT_EXPIRING)
    if channels:
        pending = (*pending, PendingNotification(kind, message, channels))
    return replace(state, cert_warned=expiring, pending=pending)


def _without(
    pending: tuple[PendingNotification, ...], kind: NotificationKind
) -> tuple[PendingNotification, ...]:
    return tuple(notification for notification in pending if notification.kind is not kind)


def _waiting_for(pending: tuple[PendingNotification, ...], kind: NotificationKind) -> frozenset:
    return frozenset().union(*(n.channels for n in pending if n.kind is kind))


def deliver_pending(
    state: SiteState, publishers: Mapping[str, Publisher]
) -> tuple[SiteState, Delivery]:
    """Publishes each pending notification to each channel it has not reached; a channel that
    fails keeps it pending for the next run. A channel no longer configured is dropped."""
    alerted = set(state.alerted)
    still_pending: list[PendingNotification] = []
    sent = kept = 0
    for notification in state.pending:
        waiting: set[str] = set()
        for channel in sorted(notification.channels & set(publishers)):
            try:
                publishers[channel](notification.message)
            except PublishFailed as error:
                logger.warning(
                    "%s alert for %s kept pending on %s: %s",
                    notification.kind,
                    state.url,
                    channel,
                    error,
                )
                waiting.add(channel)
                continue
            sent += 1
            if notification.kind is NotificationKind.DOWN:
                alerted.add(channel)
            elif notification.kind is NotificationKind.RECOVERED:
                alerted.discard(channel)
        if waiting:
            kept += 1
            still_pending.append(replace(notification, channels=frozenset(waiting)))
    delivered = replace(state, pending=tuple(still_pending), alerted=frozenset(alerted))
    return delivered, Delivery(sent=sent, kept_pending=kept)


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


class WebhookPublisher:
    """Posts alerts to an incoming webhook as Slack-compatible JSON (`{"text": ...}`), through
    the SSRF guard like any check. The URL holds a token: no error or log line names it."""

    def __init__(self, checker: HttpChecker, url: str) -> None:
        self._checker = checker
        self._url = url

    def __repr__(self) -> str:
        return "WebhookPublisher(url=[secret])"

    def __call__(self, message: str) -> None:
        body = json.dumps({"text": message}).encode("utf-8")
        try:
            status = self._checker.post(self._url, body, "application/json")
        except TargetRefused as error:
            raise PublishFailed(f"webhook refused: {error.reason}") from None
        except ResolutionFailed:
            raise PublishFailed("webhook host did not resolve") from None
        except (OSError, http.client.HTTPException) as error:
            raise PublishFailed(f"webhook failed: {type(error).__name__}") from None
        if not 200 <= status < 300:
            raise PublishFailed(f"webhook answered HTTP {status}")
