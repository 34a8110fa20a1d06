"""The Flask app: POST /ping (the course notes' contract), GET / (status page), GET /api/status."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import timedelta

from botocore.exceptions import BotoCoreError, ClientError
from flask import Flask, Response, jsonify, render_template, request

from monitor.checks import Checker, Outcome, Site
from monitor.clock import Clock, utc_now
from monitor.config import MonitorConfig, checker_for
from monitor.status import (
    BEAT_HEIGHT,
    BEAT_WIDTH,
    HEARTBEATS,
    SPARK_HEIGHT,
    SPARK_WIDTH,
    heartbeat_bars,
    latency_summary,
    overview,
    site_reports,
    sparkline_points,
)
from monitor.store import SiteStore

logger = logging.getLogger(__name__)

# The status page reloads itself this often (seconds).
REFRESH_SECONDS = 60
MAX_REQUEST_BYTES = 16 * 1024
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


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
    # What the status page draws with, the same for every request.
    app.jinja_env.globals.update(
        refresh_seconds=REFRESH_SECONDS,
        bars=heartbeat_bars,
        sparkline=sparkline_points,
        latency_summary=latency_summary,
        heartbeats=HEARTBEATS,
        beat=(BEAT_WIDTH, BEAT_HEIGHT),
        spark=(SPARK_WIDTH, SPARK_HEIGHT),
    )

    @app.post("/ping")
    def ping() -> Response:
        domain = request.form.get("domain", "")
        result = site_checker.check(Site(url=domain))
        if result.outcome is Outcome.BLOCKED:
            return ping_response({"error": result.detail}, 400)
        if result.up and result.latency_seconds is not None:
            seconds = elapsed_seconds(result.latency_seconds)
            return ping_response({"result": seconds, "response": "200"}, 200)
        # The notes' keys and values, and beside them why the site counts as down.
        return ping_response({"reason": result.reason, "result": "error", "response": "408"}, 408)

    @app.get("/")
    def status_page() -> Response:
        moment = now()
        reports = site_reports(store, [site.url for site in config.sites], moment)
        # Refreshes itself unless the visitor paused it (WCAG 2.2.1: a time limit the user
        # can turn off); by header, so the page needs no script and no meta refresh.
        refreshing = request.args.get("refresh") != "off"
        page = render_template(
            "status.html",
            refreshing=refreshing,
            reports=reports,
            overview=overview(reports),
            generated_at=moment,
        )
        headers = {"Refresh": str(REFRESH_SECONDS)} if refreshing else {}
        return Response(page, mimetype="text/html", headers=headers)

    @app.get("/favicon.ico")
    def favicon() -> Response:
        # Browsers ask for it; an empty answer keeps a 404 out of their console.
        return Response(status=204)

    @app.get("/api/status")
    def status_api() -> Response:
        moment = now()
        reports = site_reports(store, [site.url for site in config.sites], moment)
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
