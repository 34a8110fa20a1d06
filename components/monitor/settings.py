"""The uptime monitor section of the stack config: `UptimeMonitor`'s Args."""

from __future__ import annotations

import re
from dataclasses import replace

from components.common.shared import API_AUTHORIZATIONS
from components.config import stack
from components.config.reader import Reader, as_secret, in_range
from components.monitor.args import (
    MAX_CERT_EXPIRY_DAYS,
    MAX_CHECK_TIMEOUT_SECONDS,
    MAX_FAILURE_THRESHOLD,
    MAX_SCHEDULE_MINUTES,
    MAX_WORKERS,
    UptimeMonitorArgs,
)
from components.monitor.parts import Site, site_problem, site_url, url_refusal

# The config key of each `UptimeMonitorArgs` field the stack may set (`authorization`: of its
# `stage`).
KEYS_BY_FIELD = {
    "sites": "monitorSites",
    "schedule_minutes": "monitorScheduleMinutes",
    "failure_threshold": "monitorFailureThreshold",
    "timeout_seconds": "monitorTimeoutSeconds",
    "max_workers": "monitorMaxWorkers",
    "alert_phone_number": "alertPhoneNumber",
    "alert_email": "alertEmail",
    "webhook_url": "monitorWebhookUrl",
    "cert_expiry_days": "monitorCertExpiryDays",
    "authorization": "monitorApiAuthorization",
    "log_retention_days": stack.LOG_RETENTION_KEY,
}
KEYS = tuple(KEYS_BY_FIELD.values())
SECRET_KEYS = ("alertPhoneNumber", "monitorWebhookUrl")
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")


def parse(reader: Reader) -> UptimeMonitorArgs:
    defaults = UptimeMonitorArgs()
    sites = _sites(reader)
    phone = reader.secret("alertPhoneNumber")
    if phone is not None and not _E164.match(phone):
        reader.secret_problem(
            "alertPhoneNumber",
            "must be an E.164 phone number: +, country code and number, no spaces (like +15555550123)",
        )
        phone = None
    webhook = reader.secret("monitorWebhookUrl")
    if webhook is not None and (reason := url_refusal(webhook)) is not None:
        reader.secret_problem("monitorWebhookUrl", reason)
        webhook = None
    email = reader.email("alertEmail")
    return reader.build(
        lambda: UptimeMonitorArgs(
            sites=sites,
            schedule_minutes=reader.integer(
                "monitorScheduleMinutes",
                defaults.schedule_minutes,
                in_range(1, MAX_SCHEDULE_MINUTES),
            ),
            failure_threshold=reader.integer(
                "monitorFailureThreshold",
                defaults.failure_threshold,
                in_range(1, MAX_FAILURE_THRESHOLD),
            ),
            timeout_seconds=reader.integer(
                "monitorTimeoutSeconds",
                defaults.timeout_seconds,
                in_range(1, MAX_CHECK_TIMEOUT_SECONDS),
            ),
            max_workers=reader.integer(
                "monitorMaxWorkers", defaults.max_workers, in_range(1, MAX_WORKERS)
            ),
            # Wrapped only when given, so that settings without a phone need no Pulumi runtime.
            alert_phone_number=as_secret(phone) if phone is not None else None,
            alert_email=email,
            webhook_url=as_secret(webhook) if webhook is not None else None,
            cert_expiry_days=reader.integer(
                "monitorCertExpiryDays",
                defaults.cert_expiry_days,
                in_range(0, MAX_CERT_EXPIRY_DAYS),
            ),
            stage=replace(
                defaults.stage,
                authorization=reader.choice(
                    "monitorApiAuthorization", defaults.stage.authorization, API_AUTHORIZATIONS
                ),
            ),
            log_retention_days=stack.log_retention(reader, "monitorLogRetentionDays"),
        ),
        UptimeMonitorArgs,
        KEYS_BY_FIELD,
    )


def _sites(reader: Reader) -> tuple[Site, ...]:
    """`monitorSites`: URLs, or objects with `url` and the checks to make. Each refused entry is
    named by its index, with the reason (the monitor's own SSRF rules, no DNS lookup)."""
    entries = reader.json_list("monitorSites", "URLs or objects with a url")
    sites: list[Site] = []
    for index, entry in enumerate(entries):
        if (reason := site_problem(entry)) is not None:
            reader.problem(f"monitorSites[{index}]", entry, reason)
        else:
            sites.append(entry)  # type: ignore[arg-type]  # site_problem checked its shape
    urls = [site_url(site) for site in sites]
    for url in sorted({url for url in urls if urls.count(url) > 1}):
        reader.problem("monitorSites", url, "is listed more than once")
    if len(sites) != len(entries) or len(set(urls)) != len(urls):
        return ()
    return tuple(sites)
