"""The uptime monitor section of the stack config: `UptimeMonitor`'s Args."""

from __future__ import annotations

import re

from components.settings.reader import Reader, as_secret, in_range
from components.shared import API_AUTHORIZATIONS, is_email_address
from components.uptime_monitor import (
    MAX_CHECK_TIMEOUT_SECONDS,
    MAX_FAILURE_THRESHOLD,
    MAX_SCHEDULE_MINUTES,
    MAX_WORKERS,
    UptimeMonitorArgs,
    check_site_url,
)

# The config key of each `UptimeMonitorArgs` field the stack may set.
KEYS_BY_FIELD = {
    "sites": "monitorSites",
    "schedule_minutes": "monitorScheduleMinutes",
    "failure_threshold": "monitorFailureThreshold",
    "timeout_seconds": "monitorTimeoutSeconds",
    "max_workers": "monitorMaxWorkers",
    "alert_phone_number": "alertPhoneNumber",
    "alert_email": "alertEmail",
    "authorization": "monitorApiAuthorization",
    "log_retention_days": "monitorLogRetentionDays",
}
KEYS = tuple(KEYS_BY_FIELD.values())
SECRET_KEYS = ("alertPhoneNumber",)
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
    email = reader.optional("alertEmail")
    if email is not None and not is_email_address(email):
        reader.problem("alertEmail", email, "is not an email address")
        email = None
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
            authorization=reader.choice(
                "monitorApiAuthorization", defaults.authorization, API_AUTHORIZATIONS
            ),
            log_retention_days=reader.log_retention(
                "monitorLogRetentionDays", defaults.log_retention_days
            ),
        ),
        UptimeMonitorArgs,
        KEYS_BY_FIELD,
    )


def _sites(reader: Reader) -> tuple[str, ...]:
    sites = reader.string_list("monitorSites")
    refused = False
    for url in sites:
        if (reason := check_site_url(url)) is not None:
            reader.problem("monitorSites", url, reason)
            refused = True
    for url in sorted({url for url in sites if sites.count(url) > 1}):
        reader.problem("monitorSites", url, "is listed more than once")
        refused = True
    return () if refused else sites
