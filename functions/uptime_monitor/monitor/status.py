"""What the status page and the status API show: per site its state, recent checks (heartbeat
bar), latency (sparkline) and uptime over 24 h (raw checks), 7 and 30 days (daily rollups)."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from monitor.alerts import SiteStatus
from monitor.store import CheckPoint, SiteStore, UptimeWindow, sum_windows

UPTIME_WINDOW = timedelta(hours=24)
# Sites whose reports the page reads at once.
MAX_READERS = 16
# The long uptimes, in UTC days (today included), from the daily rollups.
WEEK_DAYS, LONG_DAYS = 7, 30
# Checks the heartbeat bar and the sparkline show (about 3 h 20 min at the default 5 min).
HEARTBEATS = 40
BEAT_WIDTH, BEAT_GAP, BEAT_HEIGHT = 6, 2, 28
SPARK_WIDTH, SPARK_HEIGHT = HEARTBEATS * (BEAT_WIDTH + BEAT_GAP) - BEAT_GAP, 32


@dataclass(frozen=True)
class Heartbeat:
    checked_at: str
    up: bool
    latency_ms: float | None


@dataclass(frozen=True)
class SiteReport:
    url: str
    status: str
    last_latency_ms: float | None
    last_checked_at: str | None
    last_checked_ago: str
    last_outcome: str | None
    last_reason: str | None
    uptime_24h_percent: float | None
    checks_24h: int
    uptime_7d_percent: float | None
    uptime_30d_percent: float | None
    heartbeats: tuple[Heartbeat, ...]


@dataclass(frozen=True)
class Overview:
    total: int
    down: int
    unknown: int

    @property
    def headline(self) -> str:
        if self.total == 0:
            return "No sites are monitored"
        if self.down:
            return f"{self.down} of {self.total} sites down"
        if self.unknown:
            return f"{self.total - self.unknown} of {self.total} sites up, {self.unknown} not checked yet"
        return f"All {self.total} sites up"


def relative_time(moment: datetime | None, now: datetime) -> str:
    """`just now`, `4 min ago`, `2 h ago`, `3 d ago`; `never` without a moment."""
    if moment is None:
        return "never"
    seconds = int((now - moment).total_seconds())
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def site_report(store: SiteStore, url: str, now: datetime) -> SiteReport:
    state = store.load_state(url)
    day_checks = store.checks_between(url, now - UPTIME_WINDOW, now)
    today = now.date()
    days = store.daily_rollups(url, today - timedelta(days=LONG_DAYS - 1), today)
    return SiteReport(
        url=url,
        status=state.status.value,
        last_latency_ms=state.last_latency_ms,
        last_checked_at=None
        if state.last_checked_at is None
        else state.last_checked_at.isoformat(),
        last_checked_ago=relative_time(state.last_checked_at, now),
        last_outcome=state.last_outcome,
        last_reason=state.last_reason,
        uptime_24h_percent=_percent(sum(c.up for c in day_checks), len(day_checks)),
        checks_24h=len(day_checks),
        uptime_7d_percent=_days_percent(days, today, WEEK_DAYS),
        uptime_30d_percent=_days_percent(days, today, LONG_DAYS),
        heartbeats=tuple(_heartbeat(point) for point in day_checks[-HEARTBEATS:]),
    )


def site_reports(store: SiteStore, urls: Sequence[str], now: datetime) -> list[SiteReport]:
    """Every site's report, in order, their reads overlapping (a few storage calls per site)."""
    if not urls:
        return []
    with ThreadPoolExecutor(max_workers=min(len(urls), MAX_READERS)) as pool:
        return list(pool.map(lambda url: site_report(store, url, now), urls))


def overview(reports: Sequence[SiteReport]) -> Overview:
    return Overview(
        total=len(reports),
        down=sum(report.status == SiteStatus.DOWN for report in reports),
        unknown=sum(report.status == SiteStatus.UNKNOWN for report in reports),
    )


def _days_percent(days: dict[date, UptimeWindow], today: date, count: int) -> float | None:
    """Uptime of the last `count` UTC days, today included, from the daily rollups."""
    first = today - timedelta(days=count - 1)
    return sum_windows(window for day, window in days.items() if day >= first).percent


def _percent(up: int, checks: int) -> float | None:
    return None if checks == 0 else round(100.0 * up / checks, 3)


def _heartbeat(point: CheckPoint) -> Heartbeat:
    return Heartbeat(point.checked_at.isoformat(), point.up, point.latency_ms)


@dataclass(frozen=True)
class Bar:
    x: int
    css_class: str
    label: str


def heartbeat_bars(beats: Sequence[Heartbeat]) -> list[Bar]:
    """One bar per recent check, newest on the right; empty slots on the left are `none`."""
    empty = HEARTBEATS - len(beats)
    bars = [Bar(slot * (BEAT_WIDTH + BEAT_GAP), "none", "no check") for slot in range(empty)]
    for offset, beat in enumerate(beats):
        state = "up" if beat.up else "down"
        bars.append(
            Bar((empty + offset) * (BEAT_WIDTH + BEAT_GAP), state, f"{beat.checked_at} {state}")
        )
    return bars


def sparkline_points(beats: Sequence[Heartbeat]) -> str:
    """The SVG polyline of the recent latencies, scaled to the box (slowest at the top)."""
    latencies = [
        (index, beat.latency_ms) for index, beat in enumerate(beats) if beat.latency_ms is not None
    ]
    if len(latencies) < 2:
        return ""
    highest = max(latency for _index, latency in latencies) or 1.0
    step = SPARK_WIDTH / (HEARTBEATS - 1)
    offset = HEARTBEATS - len(beats)
    margin = 2
    return " ".join(
        f"{(offset + index) * step:.1f},{margin + (SPARK_HEIGHT - 2 * margin) * (1 - latency / highest):.1f}"
        for index, latency in latencies
    )


def latency_summary(beats: Sequence[Heartbeat]) -> str:
    latencies = [beat.latency_ms for beat in beats if beat.latency_ms is not None]
    if not latencies:
        return "no latency measured"
    return (
        f"latency of the last {len(latencies)} responses: "
        f"{min(latencies):.0f} to {max(latencies):.0f} ms"
    )
