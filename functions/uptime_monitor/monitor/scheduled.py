"""A scheduled run: check every site at once (bounded), then update state, alert, emit metrics."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from monitor.alerts import (
    AlertPolicy,
    Delivery,
    Publisher,
    apply_check,
    deliver_pending,
)
from monitor.checks import Checker, CheckResult, Site
from monitor.clock import Clock, utc_now
from monitor.config import MonitorConfig, checker_for
from monitor.metrics import LineWriter, emit_check_metrics, print_line
from monitor.store import SiteStore, StateConflict

logger = logging.getLogger(__name__)

T = TypeVar("T")
# Reads and conditional writes of one site's state before a run gives up on it.
MAX_STATE_ATTEMPTS = 3


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
    publishers: Mapping[str, Publisher],
    checker: Checker | None = None,
    write_metrics: LineWriter = print_line,
    now: Clock = utc_now,
) -> RunSummary:
    """Check every site and record it, a bounded number of sites at a time.

    Each worker takes a site through its whole run (check, metrics, state, alert, history), so
    the storage round trips overlap as much as the checks do.
    """
    checker = checker or checker_for(config)
    policy = config.alert_policy(frozenset(publishers))

    def check_and_record(site: Site) -> dict[str, int]:
        result = checker.check(site)
        checked_at = now()
        emit_check_metrics(
            result, namespace=config.metrics_namespace, timestamp=checked_at, write=write_metrics
        )
        return _record(store, policy, publishers, result, checked_at)

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
    store: SiteStore,
    policy: AlertPolicy,
    publishers: Mapping[str, Publisher],
    result: CheckResult,
    checked_at: datetime,
) -> dict[str, int]:
    """State transition, alert delivery and history for one result; counts for it."""
    counts = {"checked": 1, "up": int(result.up), "down": int(not result.up)}
    try:
        delivery = update_state(store, policy, publishers, result, checked_at)
        store.record_check(result, checked_at)
    except (ClientError, BotoCoreError, StateConflict):
        logger.exception("could not record the check of %s", result.url)
        return {**counts, "errors": 1}
    return {**counts, "alerts_sent": delivery.sent, "alerts_pending": delivery.kept_pending}


def update_state(
    store: SiteStore,
    policy: AlertPolicy,
    publishers: Mapping[str, Publisher],
    result: CheckResult,
    checked_at: datetime,
) -> Delivery:
    """Applies the result to the site's state with conditional writes, and sends what it queues.

    Runs may overlap (a slow run and the next). A write succeeds only on the version it read,
    so a run that lost the race reads the winner's state and applies its result to that; a
    result older than the stored state's last check is not applied at all. Notifications are
    written (claimed) before they are sent, so only the run that wrote them sends them.
    """
    for _attempt in range(MAX_STATE_ATTEMPTS):
        state = store.load_state(result.url)
        if state.last_checked_at is not None and state.last_checked_at >= checked_at:
            logger.info("%s: a later check already updated the state", result.url)
            return Delivery()
        try:
            claimed = store.save_state(apply_check(state, result, checked_at, policy))
        except StateConflict:
            continue
        if not claimed.pending:
            return Delivery()
        delivered, delivery = deliver_pending(claimed, publishers)
        try:
            store.save_state(delivered)
        except StateConflict:
            logger.warning(
                "%s: state changed while its alerts were sent; kept the newer one", result.url
            )
        return delivery
    raise StateConflict(result.url)


def _count(summary: RunSummary, **increments: int) -> RunSummary:
    totals = summary.as_dict()
    for name, increment in increments.items():
        totals[name] += increment
    return RunSummary(**totals)
