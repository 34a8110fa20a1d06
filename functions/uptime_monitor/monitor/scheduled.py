"""A scheduled run: check every site at once (bounded), then update state, alert, emit metrics."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from monitor.alerts import DeliveryResult, Publisher, apply_check, deliver_pending
from monitor.checks import Checker, CheckResult, Site
from monitor.config import MonitorConfig, checker_for
from monitor.metrics import LineWriter, emit_check_metrics, print_line
from monitor.store import SiteStore

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RunSummary:
    checked: int = 0
    up: int = 0
    down: int = 0
    alerts_sent: int = 0
    alerts_pending: int = 0
    errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def run_checks(
    config: MonitorConfig,
    *,
    store: SiteStore,
    publish: Publisher,
    checker: Checker | None = None,
    write_metrics: LineWriter = print_line,
    now: Clock = utc_now,
) -> RunSummary:
    """Check every site and record it, a bounded number of sites at a time.

    Each worker takes a site through its whole run (check, metrics, state, alert, history), so
    the storage round trips overlap as much as the checks do.
    """
    checker = checker or checker_for(config)

    def check_and_record(site: Site) -> dict[str, int]:
        result = checker.check(site)
        return _record(config, store, publish, result, now(), write_metrics)

    summary = RunSummary()
    for counts in for_each_concurrently(config.sites, check_and_record, config.max_workers):
        summary = _count(summary, **(counts if counts is not None else {"errors": 1}))
    logger.info("uptime run: %s", summary.as_dict())
    return summary


def for_each_concurrently(
    sites: Sequence[Site], work: Callable[[Site], T], max_workers: int
) -> list[T | None]:
    """`work(site)` for every site, at most `max_workers` at once; results in site order.

    A site whose work raises gets None (and a logged traceback); the others carry on.
    """
    if not sites:
        return []
    with ThreadPoolExecutor(max_workers=min(max_workers, len(sites))) as pool:
        futures = [pool.submit(work, site) for site in sites]
        results: list[T | None] = []
        for site, future in zip(sites, futures, strict=True):
            try:
                results.append(future.result())
            except Exception:  # noqa: BLE001 - one broken site must not stop the others
                logger.exception("check of %s crashed", site.url)
                results.append(None)
        return results


def _record(
    config: MonitorConfig,
    store: SiteStore,
    publish: Publisher,
    result: CheckResult,
    checked_at: datetime,
    write_metrics: LineWriter,
) -> dict[str, int]:
    """Metrics, state transition, alert delivery and history for one result; counts for it."""
    counts = {"checked": 1, "up": int(result.up), "down": int(not result.up)}
    emit_check_metrics(
        result, namespace=config.metrics_namespace, timestamp=checked_at, write=write_metrics
    )
    try:
        state = store.load_state(result.url)
        state = apply_check(state, result, checked_at, config.failure_threshold)
        state, delivery = deliver_pending(state, publish)
        store.save_state(state)
        store.record_check(result, checked_at)
    except (ClientError, BotoCoreError):
        logger.exception("could not record the check of %s", result.url)
        return {**counts, "errors": 1}
    return {
        **counts,
        "alerts_sent": int(delivery is DeliveryResult.SENT),
        "alerts_pending": int(delivery is DeliveryResult.KEPT_PENDING),
    }


def _count(summary: RunSummary, **increments: int) -> RunSummary:
    totals = summary.as_dict()
    for name, increment in increments.items():
        totals[name] += increment
    return RunSummary(**totals)
