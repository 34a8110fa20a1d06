"""The Flask app: POST /ping (the course notes' contract), GET / (status page), GET /api/status."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError
from flask import Flask, Response, jsonify, render_template, request

from monitor.checks import Checker, Outcome, Site
from monitor.config import MonitorConfig, checker_for
from monitor.store import SiteStore

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
UPTIME_WINDOW = timedelta(hours=24)
MAX_REQUEST_BYTES = 16 * 1024
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SiteReport:
    url: str
    status: str
    last_latency_ms: float | None
    last_checked_at: str | None
    last_outcome: str | None
    uptime_24h_percent: float | None
    checks_24h: int


def site_report(store: SiteStore, url: str, now: datetime) -> SiteReport:
    state = store.load_state(url)
    window = store.uptime_since(url, now - UPTIME_WINDOW, now)
    return SiteReport(
        url=url,
        status=state.status.value,
        last_latency_ms=state.last_latency_ms,
        last_checked_at=None
        if state.last_checked_at is None
        else state.last_checked_at.isoformat(),
        last_outcome=state.last_outcome,
        uptime_24h_percent=window.percent,
        checks_24h=window.checks,
    )


def elapsed_seconds(latency_seconds: float) -> float:
    """Seconds at microsecond resolution, as requests' `elapsed.total_seconds()` gives them."""
    return timedelta(seconds=latency_seconds).total_seconds()


def ping_response(body: dict[str, object], status: int) -> Response:
    # The notes' responses list "response" before "result": json.dumps sorted by key.
    return Response(json.dumps(body, sort_keys=True), status, mimetype="application/json")


def create_app(
    config: MonitorConfig,
    *,
    store: SiteStore,
    checker: Checker | None = None,
    now: Clock = utc_now,
) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    site_checker = checker or checker_for(config)

    @app.post("/ping")
    def ping() -> Response:
        domain = request.form.get("domain", "")
        result = site_checker.check(Site(url=domain))
        if result.outcome is Outcome.BLOCKED:
            return ping_response({"error": result.detail}, 400)
        if result.up and result.latency_seconds is not None:
            seconds = elapsed_seconds(result.latency_seconds)
            return ping_response({"result": seconds, "response": "200"}, 200)
        return ping_response({"result": "error", "response": "408"}, 408)

    @app.get("/")
    def status_page() -> str:
        moment = now()
        reports = [site_report(store, site.url, moment) for site in config.sites]
        return render_template("status.html", reports=reports, generated_at=moment.isoformat())

    @app.get("/api/status")
    def status_api() -> Response:
        moment = now()
        reports = [site_report(store, site.url, moment) for site in config.sites]
        return jsonify(
            generated_at=moment.isoformat(), sites=[asdict(report) for report in reports]
        )

    @app.errorhandler(ClientError)
    @app.errorhandler(BotoCoreError)
    def storage_unavailable(error: Exception) -> tuple[Response, int]:
        logger.error("status storage unavailable: %s", error)
        return jsonify(error="status storage is unavailable"), 503

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app
