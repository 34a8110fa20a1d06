"""The alert state machine, alone and publishing to moto's SNS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from monitor.alerts import (
    DeliveryResult,
    NotificationKind,
    PublishFailed,
    SiteState,
    SiteStatus,
    SnsPublisher,
    apply_check,
    deliver_pending,
)
from monitor.checks import CheckResult, Outcome
from moto import mock_aws

from tests.uptime_aws import (
    TOPIC_ARN,
    create_sms_topic,
    published_messages,
    use_fake_credentials,
)

URL = "https://shop.example.com/"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def up() -> CheckResult:
    return CheckResult(URL, Outcome.UP, "HTTP 200", latency_seconds=0.05, status_code=200)


def down() -> CheckResult:
    return CheckResult(URL, Outcome.TIMEOUT, "timed out")


class RecordingPublisher:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[str] = []

    def __call__(self, message: str) -> None:
        if self.failures:
            self.failures -= 1
            raise PublishFailed("SNS is down")
        self.sent.append(message)


def run(results: list[CheckResult], publish: RecordingPublisher, threshold: int = 2) -> SiteState:
    state = SiteState(URL)
    for minute, result in enumerate(results):
        state = apply_check(state, result, T0 + timedelta(minutes=minute), threshold)
        state, _delivery = deliver_pending(state, publish)
    return state


def test_new_site_that_is_up_sends_nothing():
    publish = RecordingPublisher()

    state = run([up(), up()], publish)

    assert state.status is SiteStatus.UP
    assert publish.sent == []


def test_failures_below_threshold_send_nothing():
    publish = RecordingPublisher()

    state = run([up(), down(), up(), down()], publish, threshold=2)

    assert state.status is SiteStatus.UP
    assert publish.sent == []


def test_repeated_failures_alert_once_and_recovery_once():
    publish = RecordingPublisher()

    state = run([up(), down(), down(), down(), down(), up(), up()], publish, threshold=2)

    assert publish.sent == [f"website {URL} is down", f"website {URL} is up again"]
    assert state.status is SiteStatus.UP
    assert state.alerted is False
    assert state.consecutive_failures == 0


def test_down_at_first_check_alerts_with_threshold_one():
    publish = RecordingPublisher()

    state = run([down()], publish, threshold=1)

    assert publish.sent == [f"website {URL} is down"]
    assert state.alerted is True


def test_failed_publish_keeps_the_alert_pending_and_the_next_run_sends_it():
    publish = RecordingPublisher(failures=1)
    state = SiteState(URL)

    state = apply_check(state, down(), T0, failure_threshold=1)
    state, first = deliver_pending(state, publish)
    state = apply_check(state, down(), T0 + timedelta(minutes=1), failure_threshold=1)
    state, second = deliver_pending(state, publish)

    assert first is DeliveryResult.KEPT_PENDING
    assert second is DeliveryResult.SENT
    assert publish.sent == [f"website {URL} is down"]
    assert state.pending is None and state.alerted is True


def test_undelivered_down_alert_is_withdrawn_when_the_site_recovers():
    publish = RecordingPublisher(failures=1)

    state = run([down(), up()], publish, threshold=1)

    assert publish.sent == []
    assert state.pending is None
    assert state.alerted is False


def test_undelivered_recovery_is_withdrawn_when_the_site_goes_down_again():
    publish = RecordingPublisher()
    state = run([down()], publish, threshold=1)
    publish.failures = 1

    state = apply_check(state, up(), T0 + timedelta(minutes=1), 1)
    state, delivery = deliver_pending(state, publish)
    assert delivery is DeliveryResult.KEPT_PENDING
    assert state.pending is not None and state.pending.kind is NotificationKind.RECOVERED
    state = apply_check(state, down(), T0 + timedelta(minutes=2), 1)
    state, delivery = deliver_pending(state, publish)

    assert delivery is DeliveryResult.NOTHING_PENDING
    assert publish.sent == [f"website {URL} is down"]
    assert state.status is SiteStatus.DOWN and state.alerted is True


def test_check_details_are_kept_on_the_state():
    state = apply_check(SiteState(URL), up(), T0, failure_threshold=2)

    assert state.last_checked_at == T0
    assert state.last_latency_ms == 50.0
    assert state.last_outcome == "up"
    assert state.last_detail == "HTTP 200"


@pytest.fixture
def sns(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    use_fake_credentials(monkeypatch)
    with mock_aws():
        yield boto3.client("sns")


def test_sns_publisher_publishes_to_the_topic(sns: object):
    create_sms_topic(sns)

    SnsPublisher(sns, TOPIC_ARN)("website https://shop.example.com/ is down")

    assert published_messages() == ["website https://shop.example.com/ is down"]


def test_sns_publisher_turns_a_missing_topic_into_publish_failed(sns: object):
    with pytest.raises(PublishFailed) as failed:
        SnsPublisher(sns, TOPIC_ARN)("website https://shop.example.com/ is down")

    assert "SNS Publish failed" in str(failed.value)
