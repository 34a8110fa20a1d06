"""The Flask app through its test client: the notes' /ping contract, the status page and API."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from flask.testing import FlaskClient
from monitor.alerts import SiteState, SiteStatus
from monitor.app import create_app
from monitor.checks import CheckResult, HttpChecker, Outcome, Site
from monitor.config import MonitorConfig
from monitor.ssrf import SsrfGuard
from monitor.status import HEARTBEATS
from monitor.store import SiteStore
from moto import mock_aws

from tests.support.uptime_aws import TABLE_NAME, TOPIC_ARN, create_table, use_fake_credentials
from tests.support.uptime_servers import LoopbackHTTPServer, refused_port, respond, serve, slow

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
XSS_URL = "https://evil.example.com/?q=<script>alert(1)</script>"


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[SiteStore]:
    use_fake_credentials(monkeypatch)
    with mock_aws():
        client = boto3.client("dynamodb")
        create_table(client)
        yield SiteStore(client, TABLE_NAME, timedelta(hours=48))


@pytest.fixture
def server() -> Iterator[LoopbackHTTPServer]:
    with serve({"/": respond(200, b"hello"), "/error": respond(500)}) as running:
        yield running


def config_for(*urls: str, allow_loopback: bool = True) -> MonitorConfig:
    return MonitorConfig(
        table_name=TABLE_NAME,
        topic_arn=TOPIC_ARN,
        sites=tuple(Site(url) for url in urls),
        timeout_seconds=3.0,
        allow_loopback=allow_loopback,
    )


def client_for(store: SiteStore, config: MonitorConfig, **kwargs: Any) -> FlaskClient:
    app = create_app(config, store=store, now=lambda: NOW, **kwargs)
    return app.test_client()


class FixedLatencyChecker:
    def check(self, site: Site) -> CheckResult:
        return CheckResult(
            site.url, Outcome.UP, "HTTP 200", latency_seconds=0.05075, status_code=200
        )


def refusing_connector(address: tuple[str, int], timeout: float) -> socket.socket:
    raise AssertionError(f"the app tried to connect to {address}")


def test_ping_up_site_answers_200_with_seconds(store: SiteStore, server: LoopbackHTTPServer):
    client = client_for(store, config_for())

    response = client.post("/ping", data={"domain": f"http://127.0.0.1:{server.port}/"})

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert re.fullmatch(rb'\{"response": "200", "result": [0-9.e-]+\}', response.data)
    seconds = json.loads(response.data)["result"]
    assert isinstance(seconds, float) and 0 < seconds < 3.0
    assert round(seconds, 6) == seconds
    assert server.log.paths == ["/"]


def test_ping_body_is_the_notes_bytes(store: SiteStore):
    client = client_for(store, config_for(), checker=FixedLatencyChecker())

    response = client.post("/ping", data={"domain": "http://practicalaws.com"})

    assert response.status_code == 200
    assert response.data == b'{"response": "200", "result": 0.05075}'


def test_ping_down_site_answers_408(store: SiteStore):
    client = client_for(store, config_for())

    response = client.post("/ping", data={"domain": f"http://127.0.0.1:{refused_port()}/"})

    assert response.status_code == 408
    assert response.mimetype == "application/json"
    assert response.data == (
        b'{"reason": "connection refused", "response": "408", "result": "error"}'
    )


def test_ping_server_error_is_down(store: SiteStore, server: LoopbackHTTPServer):
    client = client_for(store, config_for())

    response = client.post("/ping", data={"domain": f"http://127.0.0.1:{server.port}/error"})

    assert response.status_code == 408
    assert response.data == b'{"reason": "status 500", "response": "408", "result": "error"}'


def test_ping_refuses_loopback_without_fetching_it(store: SiteStore, server: LoopbackHTTPServer):
    client = client_for(store, config_for(allow_loopback=False))

    response = client.post("/ping", data={"domain": f"http://127.0.0.1:{server.port}/"})

    assert response.status_code == 400
    assert "loopback address 127.0.0.1" in response.get_json()["error"]
    assert server.log.paths == []


@pytest.mark.parametrize(
    "domain",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:10.0.0.1]/",
        "file:///etc/passwd",
        "practicalaws.com",
        "",
    ],
)
def test_ping_refuses_internal_or_invalid_targets_with_400(store: SiteStore, domain: str):
    checker = HttpChecker(SsrfGuard(), timeout_seconds=1.0, connect=refusing_connector)
    client = client_for(store, config_for(allow_loopback=False), checker=checker)

    response = client.post("/ping", data={"domain": domain})

    assert response.status_code == 400
    assert response.get_json()["error"].startswith("refused ")


def test_ping_without_domain_is_refused(store: SiteStore):
    response = client_for(store, config_for(allow_loopback=False)).post("/ping", data={})

    assert response.status_code == 400


def test_ping_only_accepts_post(store: SiteStore):
    assert client_for(store, config_for()).get("/ping").status_code == 405


def test_oversized_ping_request_is_rejected(store: SiteStore):
    client = client_for(store, config_for(), checker=FixedLatencyChecker())

    response = client.post("/ping", data={"domain": "http://a.example.com/" + "x" * 20000})

    assert response.status_code == 413


def save_history(store: SiteStore) -> None:
    up_url, down_url = "https://shop.example.com/", XSS_URL
    store.save_state(
        SiteState(
            up_url, SiteStatus.UP, last_checked_at=NOW, last_latency_ms=42.0, last_outcome="up"
        )
    )
    store.save_state(
        SiteState(
            down_url,
            SiteStatus.DOWN,
            3,
            last_checked_at=NOW,
            last_outcome="timeout",
            last_reason="timeout after 10 s",
        )
    )
    for minute, up in enumerate([True, True, True, False]):
        checked_at = NOW - timedelta(minutes=minute + 1)
        latency = 0.042 if up else None
        outcome = Outcome.UP if up else Outcome.SERVER_ERROR
        store.record_check(CheckResult(up_url, outcome, "", latency, 200), checked_at)


def test_status_api_lists_every_site(store: SiteStore):
    save_history(store)
    never = "https://new.example.com/"
    client = client_for(store, config_for("https://shop.example.com/", XSS_URL, never))

    response = client.get("/api/status")

    assert response.status_code == 200
    body = response.get_json()
    assert body["generated_at"] == NOW.isoformat()
    sites = {site["url"]: site for site in body["sites"]}
    assert sites["https://shop.example.com/"] == {
        "url": "https://shop.example.com/",
        "status": "up",
        "last_latency_ms": 42.0,
        "last_checked_at": NOW.isoformat(),
        "last_checked_ago": "just now",
        "last_outcome": "up",
        "last_reason": None,
        "uptime_24h_percent": 75.0,
        "checks_24h": 4,
        "uptime_7d_percent": 75.0,
        "uptime_30d_percent": 75.0,
        "heartbeats": [
            {
                "checked_at": (NOW - timedelta(minutes=4)).isoformat(),
                "up": False,
                "latency_ms": None,
            },
            *(
                {
                    "checked_at": (NOW - timedelta(minutes=m)).isoformat(),
                    "up": True,
                    "latency_ms": 42.0,
                }
                for m in (3, 2, 1)
            ),
        ],
    }
    assert sites[XSS_URL]["status"] == "down"
    assert sites[never]["status"] == "unknown"
    assert sites[never]["uptime_24h_percent"] is None


def test_status_page_shows_sites_and_escapes_them(store: SiteStore):
    save_history(store)
    client = client_for(store, config_for("https://shop.example.com/", XSS_URL))

    response = client.get("/")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "https://shop.example.com/" in html
    assert "42 ms" in html
    assert "75.00 %" in html
    assert "1 of 2 sites down" in html
    assert "timeout after 10 s" in html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_status_without_storage_answers_503(store: SiteStore):
    broken = SiteStore(boto3.client("dynamodb"), "no-such-table", timedelta(hours=48))
    client = client_for(broken, config_for("https://shop.example.com/"))

    response = client.get("/api/status")

    assert response.status_code == 503
    assert response.get_json() == {"error": "status storage is unavailable"}


def test_ping_says_why_beside_the_notes_keys(store: SiteStore):
    config = MonitorConfig(
        table_name=TABLE_NAME, topic_arn=TOPIC_ARN, timeout_seconds=0.5, allow_loopback=True
    )
    client = client_for(store, config)
    with serve({"/slow": slow(), "/gone": respond(503)}) as faults:
        slow_answer = client.post("/ping", data={"domain": f"http://127.0.0.1:{faults.port}/slow"})
        gone_answer = client.post("/ping", data={"domain": f"http://127.0.0.1:{faults.port}/gone"})

    assert slow_answer.status_code == 408
    assert slow_answer.get_json() == {
        "response": "408",
        "result": "error",
        "reason": "timeout after 0.5 s",
    }
    assert gone_answer.get_json()["reason"] == "status 503"


def test_status_page_draws_heartbeats_sparkline_and_a_banner(store: SiteStore):
    save_history(store)
    client = client_for(store, config_for("https://shop.example.com/", XSS_URL))

    html = client.get("/").get_data(as_text=True)

    assert html.count('<rect class="up"') == 3
    assert html.count('<rect class="down"') == 1
    assert html.count('<rect class="none"') == 2 * HEARTBEATS - 4
    assert html.count("<polyline ") == 1
    assert 'aria-label="Last 4 checks: 3 up, 1 down"' in html
    assert "Uptime 7 days" in html and "Uptime 30 days" in html


def test_status_page_without_sites_says_how_to_add_them(store: SiteStore):
    html = client_for(store, config_for()).get("/").get_data(as_text=True)

    assert "No sites are monitored" in html
    assert "monitorSites" in html


def test_status_page_refreshes_itself_until_the_visitor_pauses_it(store: SiteStore):
    client = client_for(store, config_for("https://shop.example.com/"))

    refreshing = client.get("/")
    paused = client.get("/?refresh=off")

    assert refreshing.headers["Refresh"] == "60"
    assert 'href="?refresh=off"' in refreshing.get_data(as_text=True)
    assert "Refresh" not in paused.headers
    assert "Refreshing is paused" in paused.get_data(as_text=True)
