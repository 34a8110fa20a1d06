"""DynamoDB persistence of site state and check history, on moto."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from monitor.alerts import (
    SNS_CHANNEL,
    WEBHOOK_CHANNEL,
    NotificationKind,
    PendingNotification,
    SiteState,
    SiteStatus,
)
from monitor.checks import CheckResult, Outcome
from monitor.store import (
    CheckPoint,
    SiteStore,
    StateConflict,
    UptimeWindow,
    format_timestamp,
    parse_timestamp,
)
from moto import mock_aws

from tests.support.uptime_aws import TABLE_NAME, create_table, use_fake_credentials

URL = "https://shop.example.com/"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(hours=48)


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    use_fake_credentials(monkeypatch)
    with mock_aws():
        client = boto3.client("dynamodb")
        create_table(client)
        yield client


@pytest.fixture
def store(dynamodb: Any) -> SiteStore:
    return SiteStore(dynamodb, TABLE_NAME, TTL)


def result(up: bool, url: str = URL) -> CheckResult:
    if up:
        return CheckResult(url, Outcome.UP, "HTTP 200", latency_seconds=0.1234567, status_code=200)
    return CheckResult(url, Outcome.CONNECTION_REFUSED, "refused")


def test_unknown_site_has_the_initial_state(store: SiteStore):
    assert store.load_state(URL) == SiteState(URL)


def test_state_round_trips(store: SiteStore):
    state = SiteState(
        url=URL,
        status=SiteStatus.DOWN,
        consecutive_failures=3,
        alerted=frozenset({SNS_CHANNEL}),
        pending=(
            PendingNotification(
                NotificationKind.DOWN, f"website {URL} is down", frozenset({WEBHOOK_CHANNEL})
            ),
        ),
        down_since=T0 - timedelta(minutes=10),
        cert_warned=True,
        last_checked_at=T0,
        last_latency_ms=123.457,
        last_outcome="timeout",
        last_detail="timed out",
        last_reason="timeout after 10 s",
    )

    stored = store.save_state(state)

    assert stored.version == 1
    assert store.load_state(URL) == stored


def test_a_write_based_on_a_stale_read_is_refused(store: SiteStore):
    first_read = store.load_state(URL)
    second_read = store.load_state(URL)
    store.save_state(replace(first_read, status=SiteStatus.DOWN))

    with pytest.raises(StateConflict):
        store.save_state(replace(second_read, status=SiteStatus.UP))

    latest = store.load_state(URL)
    assert latest.status is SiteStatus.DOWN
    store.save_state(replace(latest, status=SiteStatus.UP))
    assert store.load_state(URL).version == 2


def test_a_state_item_written_before_versions_and_channels_is_read(store: SiteStore, dynamodb: Any):
    dynamodb.put_item(
        TableName=TABLE_NAME,
        Item={
            "pk": {"S": f"SITE#{URL}"},
            "sk": {"S": "STATE"},
            "status": {"S": "down"},
            "consecutive_failures": {"N": "2"},
            "alerted": {"BOOL": False},
            "pending_kind": {"S": "down"},
            "pending_message": {"S": "website x is down"},
        },
    )

    state = store.load_state(URL)

    assert state.version == 0 and state.alerted == frozenset()
    assert state.pending == (
        PendingNotification(NotificationKind.DOWN, "website x is down", frozenset({SNS_CHANNEL})),
    )
    assert store.save_state(state).version == 1


def test_state_item_uses_the_documented_keys(store: SiteStore, dynamodb: Any):
    store.save_state(SiteState(URL, status=SiteStatus.UP))

    item = dynamodb.get_item(
        TableName=TABLE_NAME, Key={"pk": {"S": f"SITE#{URL}"}, "sk": {"S": "STATE"}}
    )["Item"]

    assert item["status"] == {"S": "up"}


def test_history_items_carry_the_ttl_attribute(store: SiteStore, dynamodb: Any):
    store.record_check(result(up=True), T0)

    items = dynamodb.query(
        TableName=TABLE_NAME,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :check)",
        ExpressionAttributeValues={":pk": {"S": f"SITE#{URL}"}, ":check": {"S": "CHECK#"}},
    )["Items"]

    assert len(items) == 1
    item = items[0]
    assert item["sk"] == {"S": "CHECK#2024-05-01T12:00:00.000000Z"}
    assert item["expires_at"] == {"N": str(int((T0 + TTL).timestamp()))}
    assert item["up"] == {"BOOL": True}
    assert item["latency_ms"] == {"N": "123.457"}
    assert item["status_code"] == {"N": "200"}
    assert item["outcome"] == {"S": "up"}


def test_uptime_counts_only_the_site_and_the_window(store: SiteStore):
    store.record_check(result(up=False), T0 - timedelta(hours=25))
    for minute, up in enumerate([True, True, True, False]):
        store.record_check(result(up), T0 - timedelta(hours=23) + timedelta(minutes=minute))
    store.record_check(result(up=False, url="https://other.example.com/"), T0)

    window = store.uptime_since(URL, T0 - timedelta(hours=24), T0)

    assert window == UptimeWindow(checks=4, up=3)
    assert window.percent == 75.0


def test_recent_checks_come_oldest_first_with_their_latency(store: SiteStore):
    store.record_check(result(up=True), T0 - timedelta(minutes=2))
    store.record_check(result(up=False), T0 - timedelta(minutes=1))

    points = store.checks_between(URL, T0 - timedelta(hours=1), T0)

    assert points == [
        CheckPoint(T0 - timedelta(minutes=2), True, 123.457),
        CheckPoint(T0 - timedelta(minutes=1), False, None),
    ]


def test_daily_rollups_count_checks_per_utc_day_beyond_the_history_ttl(
    store: SiteStore, dynamodb: Any
):
    for days_ago, ups in ((40, [False]), (20, [True, False]), (3, [True, True]), (0, [True])):
        for minute, up in enumerate(ups):
            store.record_check(result(up), T0 - timedelta(days=days_ago, minutes=minute))
    day = dynamodb.get_item(
        TableName=TABLE_NAME, Key={"pk": {"S": f"SITE#{URL}"}, "sk": {"S": "DAY#2024-04-28"}}
    )["Item"]

    assert day["checks"] == {"N": "2"} and day["up"] == {"N": "2"}
    assert int(day["expires_at"]["N"]) > (T0 + timedelta(days=365)).timestamp()
    today = T0.date()
    assert store.daily_uptime(URL, today - timedelta(days=6), today) == UptimeWindow(3, 3)
    assert store.daily_uptime(URL, today - timedelta(days=29), today) == UptimeWindow(5, 4)


def test_uptime_without_history_is_unknown(store: SiteStore):
    window = store.uptime_since(URL, T0 - timedelta(hours=24), T0)

    assert window.checks == 0
    assert window.percent is None


class SmallPages:
    """A DynamoDB client whose queries return two items per page."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.pages = 0

    def query(self, **request: Any) -> Any:
        self.pages += 1
        return self._client.query(Limit=2, **request)

    def put_item(self, **request: Any) -> Any:
        return self._client.put_item(**request)

    def update_item(self, **request: Any) -> Any:
        return self._client.update_item(**request)


def test_uptime_reads_every_page(dynamodb: Any):
    paged = SmallPages(dynamodb)
    store = SiteStore(paged, TABLE_NAME, TTL)
    for minute in range(5):
        store.record_check(result(up=minute != 0), T0 - timedelta(minutes=minute))

    window = store.uptime_since(URL, T0 - timedelta(hours=24), T0)

    assert window == UptimeWindow(checks=5, up=4)
    assert paged.pages >= 3


def test_timestamps_are_fixed_width_utc():
    moment = datetime(2024, 5, 1, 14, 0, 0, 5, tzinfo=UTC)

    assert format_timestamp(moment) == "2024-05-01T14:00:00.000005Z"
    assert parse_timestamp(format_timestamp(moment)) == moment
