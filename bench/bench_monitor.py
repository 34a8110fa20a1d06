"""Monitor throughput: 200 sites on 127.0.0.1 answering after 100 ms, scheduled vs serial.

Two figures, each against a serial loop over the same sites in the same run:
- the checks: the scheduled run's bounded pool (`for_each_concurrently` with the deployed worker
  count) over the check engine, against `checker.check` site after site; latency error is
  |measured - injected| per site;
- the whole scheduled run (`run_checks`: checks, state, history, alerts) against DynamoDB and SNS
  served by moto's server, against the same run with one worker.
As in Lambda, the sites and AWS are other processes on 127.0.0.1 (`bench/slow_sites.py`, moto).
moto's server answers one request at a time, so the whole-run figure is bounded by it, not by
the monitor; real DynamoDB serves the workers' calls in parallel.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import boto3

from bench.common import PROJECT_ROOT, report
from tools.monitor_table import create_table

sys.path.insert(0, str(PROJECT_ROOT / "functions" / "uptime_monitor"))

from monitor.alerts import SNS_CHANNEL, SnsPublisher  # noqa: E402
from monitor.checks import Site  # noqa: E402
from monitor.config import DEFAULT_MAX_WORKERS, MonitorConfig, checker_for  # noqa: E402
from monitor.metrics import LATENCY_METRIC  # noqa: E402
from monitor.scheduled import for_each_concurrently, run_checks  # noqa: E402
from monitor.store import SiteStore  # noqa: E402

SITES = 200
DELAY_SECONDS = 0.100
REPEATS = 3
REGION = "us-east-1"


@contextmanager
def _process(arguments: list[str]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, *arguments],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint)


def _aws_resources(endpoint: str) -> tuple[str, str]:
    create_table(_client("dynamodb", endpoint), "bench-uptime")
    topic = _client("sns", endpoint).create_topic(Name="bench-alerts")["TopicArn"]
    return "bench-uptime", topic


def _checks(config: MonitorConfig) -> tuple[float, float, list[float]]:
    """(pool seconds, serial seconds, latencies measured by the pool)."""
    checker = checker_for(config)
    start = time.perf_counter()
    results = for_each_concurrently(config.sites, checker.check, config.max_workers)
    pool_seconds = time.perf_counter() - start
    start = time.perf_counter()
    serial = [checker.check(site) for site in config.sites]
    serial_seconds = time.perf_counter() - start
    if not all(result is not None and result.up for result in [*results, *serial]):
        raise RuntimeError("every site should be up")
    latencies = [result.latency_ms / 1000 for result in results if result and result.latency_ms]
    return pool_seconds, serial_seconds, latencies


def _run(config: MonitorConfig, endpoint: str, latencies: list[float]) -> float:
    store = SiteStore(
        _client("dynamodb", endpoint), config.table_name, timedelta(hours=config.history_ttl_hours)
    )
    publish = SnsPublisher(_client("sns", endpoint), config.topic_arn)

    def collect(line: str) -> None:
        latency = json.loads(line).get(LATENCY_METRIC)
        if latency is not None:
            latencies.append(latency / 1000)

    start = time.perf_counter()
    summary = run_checks(
        config, store=store, publishers={SNS_CHANNEL: publish}, write_metrics=collect
    )
    elapsed = time.perf_counter() - start
    if summary.up != SITES:
        raise RuntimeError(f"expected {SITES} sites up, got {summary.as_dict()}")
    return elapsed


def main() -> str:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "bench")
    aws_port = _free_port()
    endpoint = f"http://127.0.0.1:{aws_port}"
    with (
        _process(["-m", "bench.slow_sites", str(DELAY_SECONDS)]) as sites_server,
        _process(["-m", "moto.server", "-H", "127.0.0.1", "-p", str(aws_port)]),
    ):
        assert sites_server.stdout is not None
        port = int(sites_server.stdout.readline())
        _wait_for_port(aws_port)
        table, topic = _aws_resources(endpoint)
        sites = tuple(Site(url=f"http://127.0.0.1:{port}/site/{index}") for index in range(SITES))
        concurrent = MonitorConfig(table, topic, sites=sites, allow_loopback=True)
        serial = MonitorConfig(table, topic, sites=sites, max_workers=1, allow_loopback=True)
        check_runs = [_checks(concurrent) for _ in range(REPEATS)]
        run_seconds = statistics.median(_run(concurrent, endpoint, []) for _ in range(REPEATS))
        serial_run_seconds = _run(serial, endpoint, [])
    pool_seconds = statistics.median(pool for pool, _, _ in check_runs)
    serial_seconds = statistics.median(serial for _, serial, _ in check_runs)
    latencies = [latency for _, _, measured in check_runs for latency in measured]
    error_ms = statistics.median(abs(latency - DELAY_SECONDS) for latency in latencies) * 1000
    return report(
        f"Monitor throughput ({SITES} sites on 127.0.0.1, {DELAY_SECONDS * 1000:.0f} ms each)",
        [
            ("workers (deployed default)", str(DEFAULT_MAX_WORKERS)),
            (f"checks, bounded pool (median of {REPEATS})", f"{pool_seconds:.2f} s"),
            (f"checks, serial loop (median of {REPEATS})", f"{serial_seconds:.2f} s"),
            ("checks speed-up (target >= 15x)", f"{serial_seconds / pool_seconds:.1f}x"),
            ("median latency error (target < 5 ms)", f"{error_ms:.2f} ms"),
            (f"whole run with moto storage (median of {REPEATS})", f"{run_seconds:.2f} s"),
            ("whole run, one worker", f"{serial_run_seconds:.2f} s"),
            ("whole run speed-up", f"{serial_run_seconds / run_seconds:.1f}x"),
        ],
    )


if __name__ == "__main__":
    main()
