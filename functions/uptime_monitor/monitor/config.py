"""The monitor's settings, read from environment variables and checked before any work starts.

Variables (the deploying component sets them):
  SITES               JSON list; each item a URL string or {"url": ..., "keyword": ...,
                      "forbidden_keyword": ..., "expected_status": [200, ...]}.
                      Default: [] (no scheduled checks).
  TABLE_NAME          DynamoDB table for state and history. Required.
  TOPIC_ARN           SNS topic that alerts are published to. Required.
  FAILURE_THRESHOLD   consecutive failed checks before a site is down and alerted. Default 2.
  TIMEOUT_SECONDS     deadline of one check, all redirect hops included (0 < t <= 25). Default 10.
  MAX_WORKERS         checks run at once by a scheduled run. Default 32.
  MAX_REDIRECTS       redirect hops a check follows. Default 5.
  HISTORY_TTL_HOURS   hours a check's history item is kept (>= 24, for the 24 h uptime). Default 48.
  METRICS_NAMESPACE   CloudWatch namespace of the EMF metrics. Default "UptimeMonitor".
  STACK_NAME          named in every alert. Default "" (not named).
  CERT_EXPIRY_DAYS    warn when a site's TLS certificate expires within this many days;
                      0 = never. Default 14.
  WEBHOOK_SECRET_ARN  the Secrets Manager secret holding the incoming webhook (Slack-compatible)
                      alerts are also posted to. The function reads it with its role on first
                      use (monitor/secrets.py), never from its environment; the URL is never
                      shown in errors or logs. Default "" (none).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from monitor.alerts import AlertPolicy
from monitor.checks import HttpChecker, Site
from monitor.metrics import DEFAULT_NAMESPACE
from monitor.ssrf import SsrfGuard, TargetRefused, parse_target_url

# Below API Gateway's 29 s integration timeout, so POST /ping always answers.
MAX_TIMEOUT_SECONDS = 25.0
MAX_SITE_URL_LENGTH = 1024  # a CloudWatch dimension value holds at most 1024 characters
MIN_HISTORY_TTL_HOURS = 24
DEFAULT_FAILURE_THRESHOLD = 2
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_WORKERS = 32
DEFAULT_MAX_REDIRECTS = 5
DEFAULT_HISTORY_TTL_HOURS = 48
DEFAULT_CERT_EXPIRY_DAYS = 14
SITE_KEYS = ("url", "keyword", "forbidden_keyword", "expected_status")
_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
_TOPIC_ARN = re.compile(r"^arn:[a-z-]+:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")
_NAMESPACE = re.compile(r"^[A-Za-z0-9 .\-_/#:]{1,255}$")
_SECRET_ARN = re.compile(
    r"^arn:[a-z-]+:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@!-]+$"
)
# Named in errors about the webhook URL: where it comes from, never its value.
WEBHOOK_SOURCE = "WEBHOOK_SECRET_ARN"


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names the variable and the value."""

    def __init__(self, variable: str, value: object, problem: str) -> None:
        super().__init__(f"{variable}={value!r}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class MonitorConfig:
    table_name: str
    topic_arn: str
    sites: tuple[Site, ...] = ()
    failure_threshold: int = DEFAULT_FAILURE_THRESHOLD
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    max_workers: int = DEFAULT_MAX_WORKERS
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    history_ttl_hours: int = DEFAULT_HISTORY_TTL_HOURS
    metrics_namespace: str = DEFAULT_NAMESPACE
    stack_name: str = ""
    cert_expiry_days: int = DEFAULT_CERT_EXPIRY_DAYS
    webhook_url: str | None = field(default=None, repr=False)
    # Where the deployed function reads webhook_url from (monitor/secrets.py).
    webhook_secret_arn: str | None = None
    # Lets tests target servers on 127.0.0.1. Never read from the environment.
    allow_loopback: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        _require(
            _TABLE_NAME.match(self.table_name),
            "TABLE_NAME",
            self.table_name,
            "must be 3-255 characters of A-Z a-z 0-9 _ . -",
        )
        _require(
            _TOPIC_ARN.match(self.topic_arn),
            "TOPIC_ARN",
            self.topic_arn,
            "must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)",
        )
        _require(
            self.failure_threshold >= 1,
            "FAILURE_THRESHOLD",
            self.failure_threshold,
            "must be at least 1",
        )
        _require(
            0 < self.timeout_seconds <= MAX_TIMEOUT_SECONDS,
            "TIMEOUT_SECONDS",
            self.timeout_seconds,
            f"must be above 0 and at most {MAX_TIMEOUT_SECONDS:g}",
        )
        _require(self.max_workers >= 1, "MAX_WORKERS", self.max_workers, "must be at least 1")
        _require(self.max_redirects >= 0, "MAX_REDIRECTS", self.max_redirects, "must be 0 or more")
        _require(
            self.history_ttl_hours >= MIN_HISTORY_TTL_HOURS,
            "HISTORY_TTL_HOURS",
            self.history_ttl_hours,
            f"must be at least {MIN_HISTORY_TTL_HOURS} to compute the 24 h uptime",
        )
        _require(
            _NAMESPACE.match(self.metrics_namespace),
            "METRICS_NAMESPACE",
            self.metrics_namespace,
            "must be 1-255 characters of A-Z a-z 0-9 . - _ / # : space",
        )
        _require(
            self.cert_expiry_days >= 0,
            "CERT_EXPIRY_DAYS",
            self.cert_expiry_days,
            "must be 0 (off) or more",
        )
        if self.webhook_secret_arn is not None:
            _require(
                _SECRET_ARN.match(self.webhook_secret_arn),
                WEBHOOK_SOURCE,
                self.webhook_secret_arn,
                "must be a Secrets Manager secret ARN (arn:aws:secretsmanager:...:secret:...)",
            )
        if self.webhook_url is not None:
            try:
                parse_target_url(self.webhook_url)
            except TargetRefused as error:
                raise ConfigError(WEBHOOK_SOURCE, "[secret]", error.reason) from None
        urls = [site.url for site in self.sites]
        duplicates = sorted({url for url in urls if urls.count(url) > 1})
        _require(not duplicates, "SITES", duplicates, "lists these URLs more than once")

    @property
    def history_ttl(self) -> timedelta:
        return timedelta(hours=self.history_ttl_hours)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> MonitorConfig:
        env = os.environ if environ is None else environ
        return cls(
            table_name=_required_text(env, "TABLE_NAME"),
            topic_arn=_required_text(env, "TOPIC_ARN"),
            sites=parse_sites(env.get("SITES", "[]")),
            failure_threshold=_integer(env, "FAILURE_THRESHOLD", DEFAULT_FAILURE_THRESHOLD),
            timeout_seconds=_number(env, "TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS),
            max_workers=_integer(env, "MAX_WORKERS", DEFAULT_MAX_WORKERS),
            max_redirects=_integer(env, "MAX_REDIRECTS", DEFAULT_MAX_REDIRECTS),
            history_ttl_hours=_integer(env, "HISTORY_TTL_HOURS", DEFAULT_HISTORY_TTL_HOURS),
            metrics_namespace=env.get("METRICS_NAMESPACE", DEFAULT_NAMESPACE),
            stack_name=env.get("STACK_NAME", ""),
            cert_expiry_days=_integer(env, "CERT_EXPIRY_DAYS", DEFAULT_CERT_EXPIRY_DAYS),
            webhook_secret_arn=env.get(WEBHOOK_SOURCE, "").strip() or None,
        )

    def alert_policy(self, channels: frozenset[str]) -> AlertPolicy:
        return AlertPolicy(
            failure_threshold=self.failure_threshold,
            channels=channels,
            stack=self.stack_name,
            cert_expiry_days=self.cert_expiry_days,
        )


def checker_for(config: MonitorConfig) -> HttpChecker:
    """The HTTP checker these settings describe."""
    return HttpChecker(
        SsrfGuard(allow_loopback=config.allow_loopback),
        timeout_seconds=config.timeout_seconds,
        max_redirects=config.max_redirects,
    )


def _require(condition: object, variable: str, value: object, problem: str) -> None:
    if not condition:
        raise ConfigError(variable, value, problem)


def _required_text(env: Mapping[str, str], variable: str) -> str:
    value = env.get(variable, "").strip()
    _require(value, variable, env.get(variable), "is required")
    return value


def _integer(env: Mapping[str, str], variable: str, default: int) -> int:
    text = env.get(variable)
    if text is None or text.strip() == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise ConfigError(variable, text, "must be an integer") from None


def _number(env: Mapping[str, str], variable: str, default: float) -> float:
    text = env.get(variable)
    if text is None or text.strip() == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(variable, text, "must be a number") from None
    _require(math.isfinite(value), variable, text, "must be a finite number")
    return value


def parse_sites(text: str) -> tuple[Site, ...]:
    """SITES: a JSON list of URL strings or objects with url, keyword and expected_status."""
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError("SITES", text, f"is not valid JSON: {error}") from None
    _require(isinstance(items, list), "SITES", text, "must be a JSON list")
    return tuple(_site(index, item) for index, item in enumerate(items))


def _site(index: int, item: Any) -> Site:
    where = f"SITES[{index}]"
    if isinstance(item, str):
        item = {"url": item}
    _require(isinstance(item, dict), where, item, "must be a URL string or an object")
    unknown = sorted(set(item) - set(SITE_KEYS))
    _require(not unknown, where, item, f"has unknown keys {unknown}")
    url = item.get("url")
    _require(isinstance(url, str) and url, where, item, "needs a non-empty string 'url'")
    _require(
        len(url) <= MAX_SITE_URL_LENGTH,
        where,
        url,
        f"url is longer than {MAX_SITE_URL_LENGTH} characters",
    )
    try:
        parse_target_url(url)
    except TargetRefused as error:
        raise ConfigError(where, url, error.reason) from None
    return Site(
        url=url,
        keyword=_keyword(where, item, "keyword"),
        expected_statuses=_statuses(where, item),
        forbidden_keyword=_keyword(where, item, "forbidden_keyword"),
    )


def _keyword(where: str, item: dict[str, Any], name: str) -> str | None:
    keyword = item.get(name)
    _require(
        keyword is None or (isinstance(keyword, str) and keyword),
        where,
        keyword,
        f"{name} must be a non-empty string",
    )
    return keyword


def _statuses(where: str, item: dict[str, Any]) -> frozenset[int] | None:
    statuses = item.get("expected_status")
    if statuses is None:
        return None
    valid = (
        isinstance(statuses, list)
        and statuses
        and all(
            isinstance(s, int) and not isinstance(s, bool) and 100 <= s <= 599 for s in statuses
        )
    )
    _require(valid, where, statuses, "expected_status must be a non-empty list of HTTP statuses")
    return frozenset(statuses)
