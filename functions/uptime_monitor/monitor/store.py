"""DynamoDB persistence: one table, on-demand.

Keys (both strings): pk = "SITE#<url>"; sk = "STATE" for a site's alert state, and
sk = "CHECK#<UTC ISO timestamp>" for one check's history item. History items carry
`expires_at` (epoch seconds, a number) for DynamoDB's TTL to delete them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.alerts import NotificationKind, PendingNotification, SiteState, SiteStatus
from monitor.checks import CheckResult

STATE_SORT_KEY = "STATE"
CHECK_SORT_KEY_PREFIX = "CHECK#"
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


@dataclass(frozen=True)
class UptimeWindow:
    checks: int
    up: int

    @property
    def percent(self) -> float | None:
        return None if self.checks == 0 else round(100.0 * self.up / self.checks, 3)


class SiteStore:
    """Reads and writes site state and check history with a boto3 DynamoDB client."""

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

    def save_state(self, state: SiteState) -> None:
        self._client.put_item(TableName=self._table_name, Item=state_to_item(state))

    def record_check(self, result: CheckResult, checked_at: datetime) -> None:
        self._client.put_item(
            TableName=self._table_name,
            Item=history_item(result, checked_at, checked_at + self._history_ttl),
        )

    def uptime_since(self, url: str, since: datetime, until: datetime) -> UptimeWindow:
        checks = up = 0
        request: dict[str, Any] = {
            "TableName": self._table_name,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :from AND :until",
            "ProjectionExpression": "#up",
            "ExpressionAttributeNames": {"#up": "up"},
            "ExpressionAttributeValues": {
                ":pk": {"S": site_partition_key(url)},
                ":from": {"S": check_sort_key(since)},
                ":until": {"S": check_sort_key(until)},
            },
        }
        while True:
            page = self._client.query(**request)
            for item in page.get("Items", []):
                checks += 1
                up += 1 if item.get("up", {}).get("BOOL") else 0
            last_key = page.get("LastEvaluatedKey")
            if not last_key:
                return UptimeWindow(checks=checks, up=up)
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
    return item


def state_to_item(state: SiteState) -> AttributeMap:
    item: AttributeMap = {
        **_key(state.url, STATE_SORT_KEY),
        "url": {"S": state.url},
        "status": {"S": state.status.value},
        "consecutive_failures": _number(state.consecutive_failures),
        "alerted": {"BOOL": state.alerted},
    }
    if state.pending is not None:
        item["pending_kind"] = {"S": state.pending.kind.value}
        item["pending_message"] = {"S": state.pending.message}
    if state.last_checked_at is not None:
        item["last_checked_at"] = {"S": format_timestamp(state.last_checked_at)}
    if state.last_latency_ms is not None:
        item["last_latency_ms"] = _number(state.last_latency_ms)
    if state.last_outcome is not None:
        item["last_outcome"] = {"S": state.last_outcome}
    if state.last_detail:
        item["last_detail"] = {"S": state.last_detail}
    return item


def state_from_item(url: str, item: AttributeMap) -> SiteState:
    pending = None
    if "pending_kind" in item:
        pending = PendingNotification(
            NotificationKind(item["pending_kind"]["S"]), item["pending_message"]["S"]
        )
    return SiteState(
        url=url,
        status=SiteStatus(item["status"]["S"]),
        consecutive_failures=int(item["consecutive_failures"]["N"]),
        alerted=bool(item["alerted"]["BOOL"]),
        pending=pending,
        last_checked_at=_optional_timestamp(item, "last_checked_at"),
        last_latency_ms=float(item["last_latency_ms"]["N"]) if "last_latency_ms" in item else None,
        last_outcome=item.get("last_outcome", {}).get("S"),
        last_detail=item.get("last_detail", {}).get("S"),
    )


def _optional_timestamp(item: AttributeMap, name: str) -> datetime | None:
    return parse_timestamp(item[name]["S"]) if name in item else None
