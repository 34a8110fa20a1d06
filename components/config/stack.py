"""Stack-wide settings: intents every system shares, each defined once.

- `logRetentionDays`: how long every log group of the stack keeps its logs.
- `domainName` / `hostedZoneId`: the site's domain; the edge validates and reports them, the
  md5 API reads them to answer on `md5sum.<domainName>`.
"""

from __future__ import annotations

from components.common.certificates import check_domain, check_zone_id
from components.config.reader import Reader

LOG_RETENTION_KEY = "logRetentionDays"
DEFAULT_LOG_RETENTION_DAYS = 90
# Each system's own retention key before `logRetentionDays`: still read for one release, with
# a warning naming the new key (docs/configuration.md, "Renamed settings").
DEPRECATED_LOG_RETENTION_KEYS = (
    "flowLogRetentionDays",
    "apiLogRetentionDays",
    "monitorLogRetentionDays",
    "messagingLogRetentionDays",
    "edgeLogRetentionDays",
)
KEYS = (LOG_RETENTION_KEY, *DEPRECATED_LOG_RETENTION_KEYS)


def log_retention(reader: Reader, deprecated_key: str) -> int:
    """Days a system's log groups keep logs: `logRetentionDays`, unless the stack still sets the
    system's own `deprecated_key`, which wins for this release and draws a warning."""
    if deprecated_key in reader.raw:
        reader.warn(
            f"{reader.namespace}:{deprecated_key} is deprecated and will be removed in the next "
            f"release: set {reader.namespace}:{LOG_RETENTION_KEY} (every log group of the stack) "
            "instead"
        )
        return reader.log_retention(deprecated_key, DEFAULT_LOG_RETENTION_DAYS)
    return reader.log_retention(LOG_RETENTION_KEY, DEFAULT_LOG_RETENTION_DAYS)


def domain(reader: Reader) -> tuple[str | None, str | None]:
    """(domainName, hostedZoneId) when valid; the edge's section reports their problems."""
    domain_name, zone_id = reader.optional("domainName"), reader.optional("hostedZoneId")
    return (
        domain_name if domain_name is not None and check_domain(domain_name) is None else None,
        zone_id if zone_id is not None and check_zone_id(zone_id) is None else None,
    )
