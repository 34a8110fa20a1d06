"""DynamoDB persistence: one table, on-demand.

Keys (both strings): pk = "SITE#<url>"; sk = "STATE" for a site's alert state,
sk = "CHECK#<UTC ISO timestamp>" for one check's history item, and sk = "DAY#<YYYY-MM-DD>" for
a site's daily rollup (checks and up checks of that UTC day, added to atomically). History items
carry `expires_at` (epoch seconds, a number) for DynamoDB's TTL to delete them; rollups are kept
`ROLLUP_TTL` (for the 30-day uptime, and a year of history).

The state item carries a `version`: a write succeeds only if the item still has the version
that was read, so two overlapping runs can never overwrite each other's state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from monitor.alerts import (
    SNS_CHANNEL,
    NotificationKind,
    PendingNotification,
    SiteState,
    SiteStatus,
)
from monitor.checks import CheckResult

STATE_SORT_KEY = "STATE"
CHECK_SORT_KEY_PREFIX = "CHECK#"
DAY_SORT_KEY_PREFIX = "DAY#"
ROLLUP_TTL = timedelta(days=400)
TTL_ATTRIBUTE = "expires_at"
_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

AttributeMap = dict[str, dict[str, Any]]


def site_partition_key(url: str) -> str:
    return f"SITE#{url}"


def format_timestamp(moment: datetime) -> str:
    """Fixed-width UTC text, so sort keys order as the times they name."""
    return moment.astimezone(UTC).strftime(_TIMESTAMP_FORMAT)


def parse_timestamp(text: str) -> datetime:
    return datetime.strptime(text, _TIMESTAMP_FORMAT).replace(tzinfo=UTC)


def check_sort_key(moment: datetime) -> str:
    return f"{CHECK_SORT_KEY_PREFIX}{format_timestamp(moment)}"


def day_sort_key(day: date) -> str:
    return f"{DAY_SORT_KEY_PREFIX}{day.isoformat()}"


class StateConflict(Exception):
    """Another run wrote the site's state after this one read it."""


@dataclass(frozen=True)
class UptimeWindow:
    checks: int
    up: int

    @property
    def percent(self) -> float | None:
        return None if self.checks == 0 else round(100.0 * self.up / self.checks, 3)


def sum_windows(windows: Iterable[UptimeWindow]) -> UptimeWindow:
    counted = list(windows)
    return UptimeWindow(
        checks=sum(window.checks for window in counted), up=sum(window.up for window in counted)
    )


@dataclass(frozen=True)
class CheckPoint:
    """One check of the history, as the status page draws it."""

    checked_at: datetime
    up: bool
    latency_ms: float | None


class SiteStore:
    """Reads and writes site state, check history and daily rollups with a DynamoDB client."""

    def __init__(self, client: Any, table_name: str, history_ttl: timedelta) -> None:
        self._client = client
        self._table_name = table_name
        self._history_ttl = history_ttl

    def load_state(self, url: str) -> SiteState:
        response = self._client.get_item(
            TableName=self._table_name,
            Key=_key(url, STATE_SORT_KEY),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return SiteState(url=url) if item is None else state_from_item(url, item)

    def save_state(self, state: SiteState) -> SiteState:
        """Writes the state if nobody wrote it since it was read; the state as stored (its
        next version). Raises StateConflict otherwise."""
        stored = replace(state, version=state.version + 1)
        request: dict[str, Any] = {
            "TableName": self._table_name,
            "Item": state_to_item(stored),
            "ExpressionAttributeNames": {"#version": "version"},
        }
        if state.version == 0:
            request["ConditionExpression"] = "attribute_not_exists(#version)"
        else:
            request["ConditionExpression"] = "#version = :read"
            request["ExpressionAttributeValues"] = {":read": _number(state.version)}
        try:
            self._client.put_item(**request)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise StateConflict(state.url) from None
            raise
        return stored

    def record_check(self, result: CheckResult, checked_at: datetime) -> None:
        """The check's history item, and its count in the day's rollup."""
        self._client.put_item(
            TableName=self._table_name,
            Item=history_item(result, checked_at, checked_at + self._history_ttl),
        )
        day = checked_at.astimezone(UTC).date()
        self._client.update_item(
            TableName=self._table_name,
            Key=_key(result.url, day_sort_key(day)),
            UpdateExpression="ADD #checks :one, #up :up SET #expires = :expires",
            ExpressionAttributeNames={"#checks": "checks", "#up": "up", "#expires": TTL_ATTRIBUTE},
            ExpressionAttributeValues={
                ":one": _number(1),
                ":up": _number(int(result.up)),
                ":expires": _number(int((checked_at + ROLLUP_TTL).timestamp())),
            },
        )

    def checks_between(self, url: str, since: datetime, until: datetime) -> list[CheckPoint]:
        """The site's checks in the window, oldest first."""
        items = self._query(
            url,
            check_sort_key(since),
            check_sort_key(until),
            {"#up": "up", "#sk": "sk", "#latency": "latency_ms"},
        )
        return [
            CheckPoint(
                checked_at=parse_timestamp(item["sk"]["S"].removeprefix(CHECK_SORT_KEY_PREFIX)),
                up=bool(item.get("up", {}).get("BOOL")),
                latency_ms=float(item["latency_ms"]["N"]) if "latency_ms" in item else None,
            )
            for item in items
        ]

    def uptime_since(self, url: str, since: datetime, until: datetime) -> UptimeWindow:
        points = self.checks_between(url, since, until)
        return UptimeWindow(checks=len(points), up=sum(point.up for point in points))

    def daily_rollups(self, url: str, first_day: date, last_day: date) -> dict[date, UptimeWindow]:
        """Checks and up checks of each UTC day from first_day to last_day that has any."""
        items = self._query(
            url,
            day_sort_key(first_day),
            day_sort_key(last_day),
            {"#sk": "sk", "#checks": "checks", "#up": "up"},
        )
        return {
            date.fromisoformat(item["sk"]["S"].removeprefix(DAY_SORT_KEY_PREFIX)): UptimeWindow(
                checks=int(item["checks"]["N"]), up=int(item["up"]["N"])
            )
            for item in items
        }

    def daily_uptime(self, url: str, first_day: date, last_day: date) -> UptimeWindow:
        """Checks and up checks of the UTC days from first_day to last_day, from the rollups."""
        return sum_windows(self.daily_rollups(url, first_day, last_day).values())

    def _query(
        self, url: str, first_key: str, last_key: str, names: dict[str, str]
    ) -> list[AttributeMap]:
        """Every item of the site with a sort key between the two, in order, all pages."""
        request: dict[str, Any] = {
            "TableName": self._table_name,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :from AND :until",
            "ProjectionExpression": ", ".join(names),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {
                ":pk": {"S": site_partition_key(url)},
                ":from": {"S": first_key},
                ":until": {"S": last_key},
            },
        }
        items: list[AttributeMap] = []
        while True:
            page = self._client.query(**request)
            items.extend(page.get("Items", []))
            last_key = page.get("LastEvaluatedKey")
            if not last_key:
                return items
            request["ExclusiveStartKey"] = last_key


def _key(url: str, sort_key: str) -> AttributeMap:
    return {"pk": {"S": site_partition_key(url)}, "sk": {"S": sort_key}}


def _number(value: float | int) -> dict[str, str]:
    # Fixed-point text: DynamoDB numbers carry no exponent surprises, and latencies are in ms.
    return {"N": f"{value:.3f}" if isinstance(value, float) else str(value)}


def history_item(result: CheckResult, checked_at: datetime, expires_at: datetime) -> AttributeMap:
    item: AttributeMap = {
        **_key(result.url, check_sort_key(checked_at)),
        "url": {"S": result.url},
        "checked_at": {"S": format_timestamp(checked_at)},
        "up": {"BOOL": result.up},
        "outcome": {"S": result.outcome.value},
        TTL_ATTRIBUTE: _number(int(expires_at.timestamp())),
    }
    if result.latency_ms is not None:
        item["latency_ms"] = _number(result.latency_ms)
    if result.status_code is not None:
        item["status_code"] = _number(result.status_code)
    if result.reason:
        item["reason"] = {"S": result.reason}
    return item


def state_to_item(state: SiteState) -> AttributeMap:
    item: AttributeMap = {
        **_key(state.url, STATE_SORT_KEY),
        "url": {"S": state.url},
        "status": {"S": state.status.value},
        "consecutive_failures": _number(state.consecutive_failures),
        "alerted_channels": {"L": [{"S": channel} for channel in sorted(state.alerted)]},
        "pending": {"L": [{"M": _notification_item(n)} for n in state.pending]},
        "cert_warned": {"BOOL": state.cert_warned},
        "version": _number(state.version),
    }
    optional: dict[str, str | None] = {
        "down_since": _optional_text(state.down_since),
        "last_checked_at": _optional_text(state.last_checked_at),
        "last_outcome": state.last_outcome,
        "last_detail": state.last_detail or None,
        "last_reason": state.last_reason or None,
    }
    item.update({name: {"S": value} for name, value in optional.items() if value is not None})
    if state.last_latency_ms is not None:
        item["last_latency_ms"] = _number(state.last_latency_ms)
    return item


def _notification_item(notification: PendingNotification) -> AttributeMap:
    return {
        "kind": {"S": notification.kind.value},
        "message": {"S": notification.message},
        "channels": {"L": [{"S": channel} for channel in sorted(notification.channels)]},
    }


def state_from_item(url: str, item: AttributeMap) -> SiteState:
    return SiteState(
        url=url,
        status=SiteStatus(item["status"]["S"]),
        consecutive_failures=int(item["consecutive_failures"]["N"]),
        alerted=_alerted(item),
        pending=_pending(item),
        down_since=_optional_timestamp(item, "down_since"),
        cert_warned=bool(item.get("cert_warned", {}).get("BOOL")),
        last_checked_at=_optional_timestamp(item, "last_checked_at"),
        last_latency_ms=float(item["last_latency_ms"]["N"]) if "last_latency_ms" in item else None,
        last_outcome=item.get("last_outcome", {}).get("S"),
        last_detail=item.get("last_detail", {}).get("S"),
        last_reason=item.get("last_reason", {}).get("S"),
        version=int(item["version"]["N"]) if "version" in item else 0,
    )


def _alerted(item: AttributeMap) -> frozenset[str]:
    if "alerted_channels" in item:
        return frozenset(value["S"] for value in item["alerted_channels"]["L"])
    # Items written before the webhook channel: `alerted` told whether SNS had been told.
    return frozenset({SNS_CHANNEL}) if item.get("alerted", {}).get("BOOL") else frozenset()


def _pending(item: AttributeMap) -> tuple[PendingNotification, ...]:
    if "pending" in item:
        return tuple(
            PendingNotification(
                NotificationKind(entry["M"]["kind"]["S"]),
                entry["M"]["message"]["S"],
                frozenset(value["S"] for value in entry["M"]["channels"]["L"]),
            )
            for entry in item["pending"]["L"]
        )
    if "pending_kind" in item:  # written before the webhook channel, for SNS
        kind = NotificationKind(item["pending_kind"]["S"])
        return (PendingNotification(kind, item["pending_message"]["S"], frozenset({SNS_CHANNEL})),)
    return ()


def _optional_text(moment: datetime | None) -> str | None:
    return None if moment is None else format_timestamp(moment)


def _optional_timestamp(item: AttributeMap, name: str) -> datetime | None:
    return parse_timestamp(item[name]["S"]) if name in item else None
