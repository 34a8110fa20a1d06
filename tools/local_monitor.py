"""The uptime monitor's Flask app on this machine: an in-process moto DynamoDB table seeded with a
day of sample checks (and 30 days of daily rollups), no AWS account needed.

`make run-monitor` serves it on 127.0.0.1:5000 (`python -m tools.run_monitor`); the browser
test of the status page serves the same app.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from components.lambdas.packaging import PROJECT_DIR

# The function's package, imported the way Lambda imports it: from the root of its archive.
sys.path.insert(0, str(PROJECT_DIR / "functions" / "uptime_monitor"))

import boto3  # noqa: E402
from flask import Flask  # noqa: E402
from monitor.alerts import AlertPolicy, SiteState, apply_check  # noqa: E402
from monitor.app import create_app  # noqa: E402
from monitor.checks import CheckResult, Outcome, Site  # noqa: E402
from monitor.config import MonitorConfig  # noqa: E402
from monitor.store import SiteStore, day_sort_key, site_partition_key  # noqa: E402
from moto import mock_aws  # noqa: E402

from tools.monitor_table import create_table  # noqa: E402

REGION = "us-east-1"
TABLE_NAME = "uptime-local"
TOPIC_ARN = f"arn:aws:sns:{REGION}:123456789012:uptime-local"
INTERVAL = timedelta(minutes=5)
HISTORY = timedelta(hours=24)
ROLLUP_DAYS = 30
# Sample sites and what happened to them in the last day.
STEADY = "https://www.example.com/"
OUTAGE = "https://shop.example.com/health"
DOWN_NOW = "https://api.example.net/status"
SLOW = "https://blog.example.org/"
SAMPLE_SITES = (STEADY, OUTAGE, DOWN_NOW, SLOW)


def sample_result(url: str, ago: timedelta, step: int) -> CheckResult:
    """What the check of `url` found `ago` before now (deterministic)."""
    phase = SAMPLE_SITES.index(url)
    wave = math.sin(step / (3.0 + phase) + phase) * math.cos(step / 11.0)
    if url == OUTAGE and timedelta(hours=3) <= ago < timedelta(hours=3, minutes=40):
        return CheckResult(url, Outcome.SERVER_ERROR, "HTTP 503", 0.09, 503, "status 503")
    if url == DOWN_NOW and ago < timedelta(minutes=15):
        return CheckResult(url, Outcome.TIMEOUT, "timed out", reason="timeout after 10 s")
    base = {STEADY: 0.085, OUTAGE: 0.14, DOWN_NOW: 0.21, SLOW: 0.62}[url]
    latency = base * (1 + 0.3 * wave + (0.7 if (step + 5 * phase) % 23 == 0 else 0))
    return CheckResult(url, Outcome.UP, "HTTP 200", latency, 200, "status 200")


def seed(
    store: SiteStore, client: Any, now: datetime, progress: Callable[[str], None] | None = None
) -> None:
    """A day of checks every 5 minutes for each sample site, their states, and daily rollups
    for the 29 days before (as the scheduled function would have written them)."""
    policy = AlertPolicy(failure_threshold=2)
    steps = int(HISTORY / INTERVAL)
    for number, url in enumerate(SAMPLE_SITES, start=1):
        if progress is not None:
            progress(
                f"Seeding sample data: site {number}/{len(SAMPLE_SITES)} {url} "
                f"({steps} checks, {ROLLUP_DAYS - 1} daily rollups)..."
            )
        state = SiteState(url)
        for step in range(steps, 0, -1):
            ago = step * INTERVAL - timedelta(minutes=1)
            result = sample_result(url, ago, step)
            store.record_check(result, now - ago)
            state = apply_check(state, result, now - ago, policy)
        store.save_state(state)
        for days_ago in range(1, ROLLUP_DAYS):
            checks = 288
            up = checks - (3 if url == SLOW and days_ago % 9 == 0 else 0)
            _add_rollup(client, url, (now - timedelta(days=days_ago)).date(), checks, up)


def _add_rollup(client: Any, url: str, day: date, checks: int, up: int) -> None:
    client.update_item(
        TableName=TABLE_NAME,
        Key={"pk": {"S": site_partition_key(url)}, "sk": {"S": day_sort_key(day)}},
        UpdateExpression="ADD #checks :checks, #up :up",
        ExpressionAttributeNames={"#checks": "checks", "#up": "up"},
        ExpressionAttributeValues={":checks": {"N": str(checks)}, ":up": {"N": str(up)}},
    )


@contextmanager
def local_monitor(
    now: datetime | None = None, progress: Callable[[str], None] | None = None
) -> Iterator[Flask]:
    """The Flask app over a seeded moto table; AWS is never contacted while the block runs.

    With `now`, the app's clock stands still at that moment (for tests and screenshots);
    `progress` is told each slow step (seeding takes seconds)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "local")
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_table(client, TABLE_NAME)
        store = SiteStore(client, TABLE_NAME, timedelta(hours=48))
        seeded_at = now or datetime.now(UTC)
        seed(store, client, seeded_at, progress)
        config = MonitorConfig(
            table_name=TABLE_NAME,
            topic_arn=TOPIC_ARN,
            sites=tuple(Site(url) for url in SAMPLE_SITES),
            stack_name="local",
        )
        if now is None:
            yield create_app(config, store=store)
        else:
            yield create_app(config, store=store, now=lambda: now)
