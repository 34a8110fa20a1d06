"""Scheduled runs against loopback servers, with moto's DynamoDB and SNS."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from monitor.alerts import (
    SNS_CHANNEL,
    WEBHOOK_CHANNEL,
    PublishFailed,
    SnsPublisher,
    WebhookPublisher,
)
from monitor.checks import CheckResult, HttpChecker, Site
from monitor.config import MonitorConfig, checker_for
from monitor.scheduled import RunSummary, run_checks
from monitor.ssrf import SsrfGuard
from monitor.store import SiteStore
from moto import mock_aws

from tests.support.uptime_aws import (
    PHONE_NUMBER,
    TABLE_NAME,
    TOPIC_ARN,
    create_sms_topic,
    create_table,
    published_messages,
    use_fake_credentials,
)
from tests.support.uptime_servers import (
    ConcurrencyGate,
    LoopbackHTTPServer,
    RequestHandler,
    refused_port,
    respond,
    self_signed_tls,
    serve,
)

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class HealthSwitch:
    """A route that answers 200 when healthy and 503 otherwise."""

    def __init__(self) -> None:
        self.healthy = False

    def __call__(self, handler: RequestHandler) -> None:
        handler.send_body(200 if self.healthy else 503, b"status")


@dataclass
class Aws:
    dynamodb: Any
    sns: Any
    store: SiteStore
    publisher: SnsPublisher


@dataclass
class Run:
    """Runs checks one minute apart, collecting metric lines."""

    aws: Aws
    metric_lines: list[str] = field(default_factory=list)
    runs: int = 0

    def __call__(self, config: MonitorConfig, publish: Any = None) -> RunSummary:
        moment = T0 + timedelta(minutes=self.runs)
        self.runs += 1
        return run_checks(
            config,
            store=self.aws.store,
            publishers={SNS_CHANNEL: publish or self.aws.publisher},
            write_metrics=self.metric_lines.append,
            now=lambda: moment,
        )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    use_fake_credentials(monkeypatch)
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        sns = boto3.client("sns")
        create_table(dynamodb)
        store = SiteStore(dynamodb, TABLE_NAME, timedelta(hours=48))
        yield Aws(dynamodb, sns, store, SnsPublisher(sns, TOPIC_ARN))


@pytest.fixture
def run(aws: Aws) -> Run:
    return Run(aws)


@pytest.fixture
def switch() -> HealthSwitch:
    return HealthSwitch()


@pytest.fixture
def server(switch: HealthSwitch) -> Iterator[LoopbackHTTPServer]:
    with serve({"/health": switch, "/ok": respond(200)}) as running:
        yield running


def monitor_config(*urls: str, **settings: Any) -> MonitorConfig:
    defaults: dict[str, Any] = {"failure_threshold": 2, "timeout_seconds": 5.0, "stack_name": "dev"}
    return MonitorConfig(
        table_name=TABLE_NAME,
        topic_arn=TOPIC_ARN,
        sites=tuple(Site(url) for url in urls),
        allow_loopback=True,
        **{**defaults, **settings},
    )


def test_repeated_failures_alert_once_and_recovery_once(
    aws: Aws, run: Run, server: LoopbackHTTPServer, switch: HealthSwitch
):
    create_sms_topic(aws.sns)
    url = f"http://127.0.0.1:{server.port}/health"
    config = monitor_config(url, failure_threshold=2)

    summaries = [run(config) for _ in range(4)]
    down = f"website {url} is down: status 503 (stack dev)"
    assert published_messages() == [down]
    switch.healthy = True
    summaries += [run(config) for _ in range(2)]

    # Down from the first failed run (minute 0) to the first good one (minute 4).
    recovered = f"website {url} is up again after 4 min down (was: status 503) (stack dev)"
    assert published_messages() == [down, recovered]
    assert [s.alerts_sent for s in summaries] == [0, 1, 0, 0, 1, 0]
    assert [s.down for s in summaries] == [1, 1, 1, 1, 0, 0]
    assert aws.store.load_state(url).status.value == "up"


def test_failed_publish_keeps_alerts_pending_without_stopping_the_batch(
    aws: Aws, run: Run, server: LoopbackHTTPServer
):
    down_urls = [f"http://127.0.0.1:{refused_port()}/a", f"http://127.0.0.1:{refused_port()}/b"]
    up_url = f"http://127.0.0.1:{server.port}/ok"
    config = monitor_config(*down_urls, up_url, failure_threshold=1)

    first = run(config)  # the topic does not exist yet: every publish fails
    pending = [aws.store.load_state(url).pending for url in down_urls]
    create_sms_topic(aws.sns)
    second = run(config)
    third = run(config)

    assert first == RunSummary(checked=3, up=1, down=2, alerts_sent=0, alerts_pending=2)
    assert all(p[0].message.endswith("is down: connection refused (stack dev)") for p in pending)
    assert aws.store.load_state(up_url).status.value == "up"
    assert second.alerts_sent == 2 and second.alerts_pending == 0
    assert third.alerts_sent == 0
    assert sorted(published_messages()) == sorted(
        f"website {url} is down: connection refused (stack dev)" for url in down_urls
    )


def test_one_failing_publish_does_not_keep_the_other_alerts_from_going_out(aws: Aws, run: Run):
    create_sms_topic(aws.sns)
    broken, working = (f"http://127.0.0.1:{refused_port()}/{name}" for name in ("x", "y"))
    config = monitor_config(broken, working, failure_threshold=1)

    def publish_except_for_broken(message: str) -> None:
        if broken in message:
            raise PublishFailed("throttled")
        aws.publisher(message)

    first = run(config, publish_except_for_broken)
    down = "is down: connection refused (stack dev)"
    assert published_messages() == [f"website {working} {down}"]
    second = run(config)

    assert (first.alerts_sent, first.alerts_pending) == (1, 1)
    assert (second.alerts_sent, second.alerts_pending) == (1, 0)
    assert published_messages() == [f"website {working} {down}", f"website {broken} {down}"]


def test_history_items_carry_the_ttl_and_metrics_are_emitted(
    aws: Aws, run: Run, server: LoopbackHTTPServer
):
    url = f"http://127.0.0.1:{server.port}/ok"

    run(monitor_config(url))

    items = aws.dynamodb.query(
        TableName=TABLE_NAME,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues={":pk": {"S": f"SITE#{url}"}, ":prefix": {"S": "CHECK#"}},
    )["Items"]
    assert [item["expires_at"]["N"] for item in items] == [
        str(int((T0 + timedelta(hours=48)).timestamp()))
    ]
    documents = [json.loads(line) for line in run.metric_lines]
    assert [(d["Site"], d["Up"]) for d in documents] == [(url, 1)]


def test_phone_number_is_never_logged(
    aws: Aws, run: Run, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
):
    create_sms_topic(aws.sns)
    config = monitor_config(f"http://127.0.0.1:{refused_port()}/", failure_threshold=1)

    run(config)
    run(config, lambda message: (_ for _ in ()).throw(PublishFailed("boom")))

    captured = capsys.readouterr()
    assert PHONE_NUMBER not in caplog.text + captured.out + captured.err + "".join(run.metric_lines)


class CrashingChecker:
    def check(self, site: Site) -> CheckResult:
        raise RuntimeError(f"bug while checking {site.url}")


def test_a_crashing_check_is_counted_and_logged(aws: Aws, caplog: pytest.LogCaptureFixture):
    config = monitor_config("https://a.example.test/")

    summary = run_checks(
        config,
        store=aws.store,
        publishers={SNS_CHANNEL: aws.publisher},
        checker=CrashingChecker(),
        write_metrics=lambda line: None,
    )

    assert summary == RunSummary(errors=1)
    assert "check of https://a.example.test/ crashed" in caplog.text


class StoreFailingFor(SiteStore):
    def __init__(self, store: SiteStore, failing_url: str) -> None:
        self.__dict__.update(store.__dict__)
        self.failing_url = failing_url

    def save_state(self, state: Any) -> Any:
        if state.url == self.failing_url:
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "Put")
        return super().save_state(state)


def test_a_storage_error_on_one_site_does_not_stop_the_batch(aws: Aws, server: LoopbackHTTPServer):
    failing, fine = (f"http://127.0.0.1:{server.port}/ok?{n}" for n in (1, 2))
    store = StoreFailingFor(aws.store, failing)

    summary = run_checks(
        monitor_config(failing, fine),
        store=store,
        publishers={SNS_CHANNEL: aws.publisher},
        write_metrics=lambda line: None,
    )

    assert summary == RunSummary(checked=2, up=2, errors=1)
    assert aws.store.load_state(fine).status.value == "up"
    assert aws.store.load_state(failing).status.value == "unknown"


@pytest.mark.parametrize(("sites", "workers"), [(6, 2), (5, 3), (3, 8), (4, 4), (1, 1)])
def test_checks_run_concurrently_up_to_max_workers(aws: Aws, run: Run, sites: int, workers: int):
    gate = ConcurrencyGate(release_at=min(sites, workers))
    routes = {f"/site/{index}": gate for index in range(sites)}
    with serve(routes) as gated:
        urls = [f"http://127.0.0.1:{gated.port}/site/{index}" for index in range(sites)]
        summary = run(monitor_config(*urls, max_workers=workers, timeout_seconds=10.0))

    assert gate.released
    assert gate.peak == min(sites, workers)
    assert summary.up == sites


class RacingStore(SiteStore):
    """Lets a rival run write the state between this run's read and its first write."""

    def __init__(self, store: SiteStore, rival: Callable[[], object]) -> None:
        self.__dict__.update(store.__dict__)
        self.rival: Callable[[], object] | None = rival

    def save_state(self, state: Any) -> Any:
        if self.rival is not None:
            rival, self.rival = self.rival, None
            rival()
        return super().save_state(state)


@pytest.mark.parametrize("rival_minute", [2, 0], ids=["rival-newer", "rival-older"])
def test_overlapping_runs_neither_lose_a_write_nor_repeat_an_alert(aws: Aws, rival_minute: int):
    create_sms_topic(aws.sns)
    url = f"http://127.0.0.1:{refused_port()}/"
    config = monitor_config(url, failure_threshold=1)
    publishers = {SNS_CHANNEL: aws.publisher}

    def run_at(minute: int, store: SiteStore) -> RunSummary:
        moment = T0 + timedelta(minutes=minute)
        return run_checks(
            config,
            store=store,
            publishers=publishers,
            write_metrics=lambda line: None,
            now=lambda: moment,
        )

    summary = run_at(1, RacingStore(aws.store, lambda: run_at(rival_minute, aws.store)))

    state = aws.store.load_state(url)
    assert published_messages() == [f"website {url} is down: connection refused (stack dev)"]
    assert state.status.value == "down" and state.alerted == {SNS_CHANNEL}
    assert state.last_checked_at == T0 + timedelta(minutes=max(1, rival_minute))
    assert summary.errors == 0
    assert len(aws.store.checks_between(url, T0 - timedelta(hours=1), T0 + timedelta(hours=1))) == 2


def test_alerts_go_to_the_webhook_as_slack_json_too(aws: Aws, run: Run):
    create_sms_topic(aws.sns)
    down = f"http://127.0.0.1:{refused_port()}/"
    config = monitor_config(down, failure_threshold=1)
    with serve({"/hook/T000/B000/secret-token": respond(200)}) as hook:
        webhook = WebhookPublisher(
            checker_for(config), f"http://127.0.0.1:{hook.port}/hook/T000/B000/secret-token"
        )
        summary = run_checks(
            config,
            store=aws.store,
            publishers={SNS_CHANNEL: aws.publisher, WEBHOOK_CHANNEL: webhook},
            write_metrics=lambda line: None,
            now=lambda: T0,
        )

    message = f"website {down} is down: connection refused (stack dev)"
    assert published_messages() == [message]
    assert [json.loads(body) for body in hook.log.bodies] == [{"text": message}]
    assert summary.alerts_sent == 2


def test_a_failing_webhook_keeps_its_alert_pending_and_never_shows_its_url(
    aws: Aws, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
):
    create_sms_topic(aws.sns)
    down = f"http://127.0.0.1:{refused_port()}/"
    config = monitor_config(down, failure_threshold=1)
    with serve({"/hook/secret-token": respond(500)}) as hook:
        hook_url = f"http://127.0.0.1:{hook.port}/hook/secret-token"
        refused_url = "http://169.254.169.254/hook/secret-token"
        for url in (hook_url, refused_url):
            webhook = WebhookPublisher(checker_for(config), url)
            summary = run_checks(
                config,
                store=aws.store,
                publishers={SNS_CHANNEL: aws.publisher, WEBHOOK_CHANNEL: webhook},
                write_metrics=lambda line: None,
                now=lambda: T0 + timedelta(minutes=len(hook.log.bodies)),
            )
            assert summary.alerts_pending == 1

    pending = aws.store.load_state(down).pending
    assert [n.channels for n in pending] == [{WEBHOOK_CHANNEL}]
    assert len(published_messages()) == 1 and len(hook.log.bodies) == 1
    assert "webhook answered HTTP 500" in caplog.text
    assert "webhook refused: link-local address 169.254.169.254" in caplog.text
    captured = capsys.readouterr()
    assert "secret-token" not in caplog.text + captured.out + captured.err


def test_a_certificate_close_to_expiry_is_warned_about_once(aws: Aws, tmp_path: Path):
    create_sms_topic(aws.sns)
    tls = self_signed_tls("127.0.0.1", tmp_path, valid_for=timedelta(days=3))
    with serve({"/ok": respond(200)}, tls_context=tls.server_context) as server:
        url = f"https://127.0.0.1:{server.port}/ok"
        config = monitor_config(url, cert_expiry_days=14)
        checker = HttpChecker(
            SsrfGuard(allow_loopback=True), timeout_seconds=5.0, tls_context=tls.client_context
        )
        checked_at = datetime.now(UTC)
        for minute in range(2):
            run_checks(
                config,
                store=aws.store,
                publishers={SNS_CHANNEL: aws.publisher},
                checker=checker,
                write_metrics=lambda line: None,
                now=lambda moment=checked_at + timedelta(minutes=minute): moment,
            )

    expires = tls.not_after
    assert published_messages() == [
        f"website {url}: TLS certificate expires in 2 days ({expires:%Y-%m-%d}) (stack dev)"
    ]
    assert aws.store.load_state(url).status.value == "up"
