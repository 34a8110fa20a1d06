"""What the status page computes: relative times, the banner, heartbeat bars, the sparkline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from monitor.status import (
    HEARTBEATS,
    SPARK_HEIGHT,
    SPARK_WIDTH,
    Heartbeat,
    Overview,
    heartbeat_bars,
    relative_time,
    sparkline_points,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ago", "text"),
    [
        (timedelta(seconds=20), "just now"),
        (timedelta(minutes=4, seconds=59), "4 min ago"),
        (timedelta(hours=2, minutes=30), "2 h ago"),
        (timedelta(days=3, hours=1), "3 d ago"),
    ],
)
def test_relative_time(ago: timedelta, text: str):
    assert relative_time(NOW - ago, NOW) == text


def test_relative_time_of_a_site_never_checked():
    assert relative_time(None, NOW) == "never"


@pytest.mark.parametrize(
    ("overview", "headline"),
    [
        (Overview(total=3, down=0, unknown=0), "All 3 sites up"),
        (Overview(total=3, down=2, unknown=1), "2 of 3 sites down"),
        (Overview(total=3, down=0, unknown=1), "2 of 3 sites up, 1 not checked yet"),
        (Overview(total=0, down=0, unknown=0), "No sites are monitored"),
    ],
)
def test_banner_headline(overview: Overview, headline: str):
    assert overview.headline == headline


def beats(*latencies: float | None) -> list[Heartbeat]:
    return [
        Heartbeat(f"2024-05-01T11:{minute:02d}:00+00:00", latency is not None, latency)
        for minute, latency in enumerate(latencies)
    ]


def test_heartbeat_bars_put_the_newest_check_on_the_right():
    bars = heartbeat_bars(beats(10.0, None))

    assert len(bars) == HEARTBEATS
    assert [bar.css_class for bar in bars[-3:]] == ["none", "up", "down"]
    assert bars[-1].x > bars[-2].x > bars[0].x == 0


def test_sparkline_scales_the_slowest_response_to_the_top():
    points = [
        tuple(map(float, pair.split(","))) for pair in sparkline_points(beats(50.0, 100.0)).split()
    ]

    assert len(points) == 2
    (x1, y1), (x2, y2) = points
    assert x2 == pytest.approx(SPARK_WIDTH) and x1 < x2
    assert y2 < y1 < SPARK_HEIGHT


def test_no_sparkline_without_two_latencies():
    assert sparkline_points(beats(None, 12.0)) == ""
