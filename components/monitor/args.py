"""Inputs of `UptimeMonitor`: its Args, their limits and the functions' environment."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pulumi

from components.common.shared import (
    MAX_LAMBDA_MEMORY_MB,
    MIN_LAMBDA_MEMORY_MB,
    check_between,
    check_log_retention_days,
    check_one_of,
    check_optional_email,
)
from components.lambdas.packaging import (
    BUILD_DIR,
    LAMBDA_ARCHITECTURE_X86_64,
    LAMBDA_ARCHITECTURES,
)
from components.lambdas.rest_api import ApiStage
from components.monitor.parts import (
    FUNCTION_DIR,
    MAX_LAMBDA_TIMEOUT_SECONDS,
    METRICS_NAMESPACE,
    Site,
    module_constants,
    scheduled_timeout_needed,
    site_problem,
    site_url,
    url_refusal,
)

MAX_SCHEDULE_MINUTES = 1440  # once a day
MAX_FAILURE_THRESHOLD = 10
MAX_WORKERS = 64
MAX_CERT_EXPIRY_DAYS = 365
# Time POST /ping needs besides its one check; never above API Gateway's 29 s.
HTTP_MARGIN_SECONDS = 4
TABLE_HASH_KEY = "pk"
TABLE_RANGE_KEY = "sk"
TABLE_TTL_ATTRIBUTE = "expires_at"
_MONITOR_CONFIG = module_constants(
    FUNCTION_DIR / "monitor" / "config.py",
    ("MAX_TIMEOUT_SECONDS", "MIN_HISTORY_TTL_HOURS"),
)
MAX_CHECK_TIMEOUT_SECONDS = int(_MONITOR_CONFIG["MAX_TIMEOUT_SECONDS"])
MIN_HISTORY_TTL_HOURS = int(_MONITOR_CONFIG["MIN_HISTORY_TTL_HOURS"])


@dataclass(frozen=True)
class UptimeMonitorArgs:
    """Inputs of `UptimeMonitor`. Secure by default: IAM-signed API requests only, throttled,
    logs kept 90 days, each function allowed only what it does."""

    # URLs, or {"url", "keyword", "forbidden_keyword", "expected_status"} objects, checked on
    # the schedule; none = no schedule and no scheduled function.
    sites: Sequence[Site] = ()
    # Minutes between scheduled runs (1 to 1440).
    schedule_minutes: int = 5
    failure_threshold: int = 2
    # Deadline of one check in seconds (1 to 25, so POST /ping answers within API Gateway's 29).
    timeout_seconds: int = 10
    max_workers: int = 32
    max_redirects: int = 5
    history_ttl_hours: int = 48
    # The SMS destination, E.164, as a Pulumi secret; None = no SMS subscription.
    alert_phone_number: pulumi.Input[str] | None = None
    # An email address subscribed to the alerts (AWS asks it to confirm); None = none.
    alert_email: str | None = None
    # An incoming webhook (Slack-compatible) that alerts are also posted to, as a Pulumi
    # secret (its URL holds a token); None = none. Kept in Secrets Manager, which only the
    # scheduled function may read.
    webhook_url: pulumi.Input[str] | None = None
    # Warn (once) when a site's TLS certificate expires within this many days; 0 = never.
    cert_expiry_days: int = 14
    # The stage `api` of a REGIONAL API, IAM-signed requests only, throttled at 5 requests
    # per second with bursts of 10.
    stage: ApiStage = field(
        default_factory=lambda: ApiStage(
            throttle_rate_limit=5.0, throttle_burst_limit=10, endpoint_type="REGIONAL"
        )
    )
    log_retention_days: int = 90
    memory_mb: int = 256
    architecture: str = LAMBDA_ARCHITECTURE_X86_64
    # The function source and its runtime requirements.
    source_dir: Path | str = FUNCTION_DIR
    requirements: Path | str | None = FUNCTION_DIR / "requirements.txt"
    build_dir: Path | str = BUILD_DIR
    # Prefix of the function names; None = the component name. Names are `<prefix>-http-<stack>`
    # and `<prefix>-scheduled-<stack>`.
    function_name_prefix: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for index, site in enumerate(self.sites):
            if (reason := site_problem(site)) is not None:
                raise ValueError(f"sites: [{index}] {site!r} {reason}")
        urls = [site_url(site) for site in self.sites]
        duplicates = sorted({url for url in urls if urls.count(url) > 1})
        if duplicates:
            raise ValueError(f"sites: {duplicates!r} are listed more than once")
        check_between("schedule_minutes", self.schedule_minutes, 1, MAX_SCHEDULE_MINUTES)
        check_between("failure_threshold", self.failure_threshold, 1, MAX_FAILURE_THRESHOLD)
        check_between(
            "timeout_seconds",
            self.timeout_seconds,
            1,
            MAX_CHECK_TIMEOUT_SECONDS,
            why="POST /ping must answer within API Gateway's 29 s",
        )
        check_between("max_workers", self.max_workers, 1, MAX_WORKERS)
        if self.max_redirects < 0:
            raise ValueError(f"max_redirects: {self.max_redirects!r} must be 0 or more")
        if self.history_ttl_hours < MIN_HISTORY_TTL_HOURS:
            raise ValueError(
                f"history_ttl_hours: {self.history_ttl_hours!r} must be at least "
                f"{MIN_HISTORY_TTL_HOURS} (the status page shows a 24 h uptime)"
            )
        needed = scheduled_timeout_needed(len(urls), self.max_workers, self.timeout_seconds)
        if needed > MAX_LAMBDA_TIMEOUT_SECONDS:
            raise ValueError(
                f"sites: {len(urls)} sites with max_workers {self.max_workers} and "
                f"timeout_seconds {self.timeout_seconds} need {needed} s per run, more than "
                f"Lambda's {MAX_LAMBDA_TIMEOUT_SECONDS} s; raise max_workers"
            )
        if not 0 <= self.cert_expiry_days <= MAX_CERT_EXPIRY_DAYS:
            raise ValueError(
                f"cert_expiry_days: {self.cert_expiry_days!r} must be between 0 (off) and "
                f"{MAX_CERT_EXPIRY_DAYS}"
            )
        if isinstance(self.webhook_url, str) and (reason := url_refusal(self.webhook_url)):
            # The URL holds a token: named, never shown.
            raise ValueError(f"webhook_url: [secret] {reason}")
        check_optional_email("alert_email", self.alert_email)
        check_log_retention_days(self.log_retention_days)
        check_between("memory_mb", self.memory_mb, MIN_LAMBDA_MEMORY_MB, MAX_LAMBDA_MEMORY_MB)
        check_one_of("architecture", self.architecture, LAMBDA_ARCHITECTURES)
        if not (Path(self.source_dir) / "monitor" / "scheduled_handler.py").is_file():
            raise ValueError(
                f"source_dir: {str(self.source_dir)!r} has no monitor/scheduled_handler.py"
            )

    def environment(
        self, table_name: pulumi.Input[str], topic_arn: pulumi.Input[str], stack: str
    ) -> dict:
        """The functions' environment variables (see monitor/config.py)."""
        return {
            "STACK_NAME": stack,
            "CERT_EXPIRY_DAYS": str(self.cert_expiry_days),
            "TABLE_NAME": table_name,
            "TOPIC_ARN": topic_arn,
            "SITES": json.dumps(
                [site if isinstance(site, str) else dict(site) for site in self.sites],
                separators=(",", ":"),
            ),
            "FAILURE_THRESHOLD": str(self.failure_threshold),
            "TIMEOUT_SECONDS": str(self.timeout_seconds),
            "MAX_WORKERS": str(self.max_workers),
            "MAX_REDIRECTS": str(self.max_redirects),
            "HISTORY_TTL_HOURS": str(self.history_ttl_hours),
            "METRICS_NAMESPACE": METRICS_NAMESPACE,
        }
