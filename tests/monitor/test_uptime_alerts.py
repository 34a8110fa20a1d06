"""The alert state machine, alone and publishing to moto's SNS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from monitor.alerts import (
    SNS_CHANNEL,
    WEBHOOK_CHANNEL,
    AlertPolicy,
    Delivery,
    NotificationKind,
    PublishFailed,
    SiteState,
    SiteStatus,
    SnsPublisher,
    apply_check,
    deliver_pending,
    format_duration,
)
from monitor.checks import CheckResult, Outcome
from moto import mock_aws

from tests.support.uptime_aws import (
    TOPIC_ARN,
    create_sms_topic,
    published_messages,
    use_fake_credentials,
)

URL = "https://shop.example.com/"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
DOWN = f"website {URL} is down: timeout after 10 s (stack dev)"


def up(expires_at: datetime | None = None) -> CheckResult:
    return CheckResult(
        URL,
        Outcome.UP,
        "HTTP 200",
        latency_seconds=0.05,
        status_code=200,
        reason="status 200",
        cert_expires_at=expires_at,
    )


def down() -> CheckResult:
    return CheckResult(URL, Outcome.TIMEOUT, "timed out", reason="timeout after 10 s")


def recovered(minutes: int) -> str:
    return (
        f"website {URL} is up again after {minutes} min down (was: timeout after 10 s) (stack dev)"
    )


class RecordingPublisher:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[str] = []

    def __call__(self, message: str) -> None:
        if self.failures:
            self.failures -= 1
            raise PublishFailed("SNS is down")
        self.sent.append(message)


def policy(
    threshold: int = 2, channels: tuple[str, ...] = (SNS_CHANNEL,), **more: int
) -> AlertPolicy:
    return AlertPolicy(threshold, frozenset(channels), stack="dev", **more)


def run(
    results: list[CheckResult],
    publish: RecordingPublisher,
    threshold: int = 2,
    state: SiteState | None = None,
    start: int = 0,
) -> SiteState:
    state = state or SiteState(URL)
    for minute, result in enumerate(results, start=start):
        state = apply_check(state, result, T0 + timedelta(minutes=minute), policy(threshold))
        state, _delivery = deliver_pending(state, {SNS_CHANNEL: publish})
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


def test_down_and_recovery_alert_once_each_with_the_reason_stack_and_downtime():
    publish = RecordingPublisher()

    state = run([up(), down(), down(), down(), down(), up(), up()], publish, threshold=2)

    # Down from the first failed check (minute 1) to the first good one (minute 5).
    assert publish.sent == [DOWN, recovered(4)]
    assert state.status is SiteStatus.UP
    assert state.alerted == frozenset()
    assert state.consecutive_failures == 0
    assert state.down_since is None


def test_down_at_first_check_alerts_with_threshold_one():
    publish = RecordingPublisher()

    state = run([down()], publish, threshold=1)

    assert publish.sent == [DOWN]
    assert state.alerted == {SNS_CHANNEL}


def test_failed_publish_keeps_the_alert_pending_and_the_next_run_sends_it():
    publish = RecordingPublisher(failures=1)
    state = SiteState(URL)

    state = apply_check(state, down(), T0, policy(1))
    state, first = deliver_pending(state, {SNS_CHANNEL: publish})
    state = apply_check(state, down(), T0 + timedelta(minutes=1), policy(1))
    state, second = deliver_pending(state, {SNS_CHANNEL: publish})

    assert first == Delivery(sent=0, kept_pending=1)
    assert second == Delivery(sent=1, kept_pending=0)
    assert publish.sent == [DOWN]
    assert state.pending == () and state.alerted == {SNS_CHANNEL}


def test_an_undelivered_down_alert_is_followed_by_a_recovery_that_tells_of_the_outage():
    publish = RecordingPublisher(failures=2)

    state = run([down(), down(), up()], publish, threshold=1)

    # Delivery failed at minutes 0 and 1; at minute 2 it works, and the site is up again.
    assert publish.sent == [recovered(2)]
    assert state.pending == ()
    assert state.alerted == frozenset()


def test_undelivered_recovery_is_withdrawn_when_the_site_goes_down_again():
    publish = RecordingPublisher()
    state = run([down()], publish, threshold=1)
    publish.failures = 1

    state = run([up()], publish, threshold=1, state=state, start=1)
    assert [n.kind for n in state.pending] == [NotificationKind.RECOVERED]
    state = run([down()], publish, threshold=1, state=state, start=2)

    assert publish.sent == [DOWN]
    assert state.pending == ()
    assert state.status is SiteStatus.DOWN and state.alerted == {SNS_CHANNEL}


def test_a_failing_channel_does_not_make_the_others_repeat_themselves():
    sms, webhook = RecordingPublisher(), RecordingPublisher(failures=2)
    publishers = {SNS_CHANNEL: sms, WEBHOOK_CHANNEL: webhook}
    both = policy(1, (SNS_CHANNEL, WEBHOOK_CHANNEL))
    state = SiteState(URL)

    for minute in range(3):
        state = apply_check(state, down(), T0 + timedelta(minutes=minute), both)
        state, _delivery = deliver_pending(state, publishers)

    assert sms.sent == [DOWN]
    assert webhook.sent == [DOWN]
    assert state.alerted == {SNS_CHANNEL, WEBHOOK_CHANNEL}


def test_certificate_expiry_warns_once_per_crossing_and_tells_of_the_renewal():
    publish = RecordingPublisher()
    soon, later = T0 + timedelta(days=5, hours=1), T0 + timedelta(days=90, hours=1)
    warn = policy(2, cert_expiry_days=14)
    state = SiteState(URL)

    for minute, expires_at in enumerate([later, soon, soon, soon, later, later]):
        state = apply_check(state, up(expires_at), T0 + timedelta(minutes=minute), warn)
        state, _delivery = deliver_pending(state, {SNS_CHANNEL: publish})

    assert publish.sent == [
        f"website {URL}: TLS certificate expires in 5 days (2024-05-06) (stack dev)",
        f"website {URL}: TLS certificate renewed, expires in 90 days (2024-07-30) (stack dev)",
    ]


def test_certificate_warnings_are_off_with_zero_days():
    publish = RecordingPublisher()

    state = run([up(T0 + timedelta(hours=1))], publish)

    assert publish.sent == [] and state.cert_warned is False


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (42, "42 s"),
        (600, "10 min"),
        (3 * 3600 + 300, "3 h 5 min"),
        (2 * 86400 + 4 * 3600, "2 d 4 h"),
    ],
)
def test_durations_read_as_a_person_would_say_them(seconds: int, text: str):
    assert format_duration(timedelta(seconds=seconds)) == text


def test_check_details_are_kept_on_the_state():
    state = apply_check(SiteState(URL), up(), T0, policy())

    assert state.last_checked_at == T0
    assert state.last_latency_ms == 50.0
    assert state.last_outcome == "up"
    assert state.last_detail == "HTTP 200"
    assert state.last_reason == "status 200"


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
