"""The md5 API section of the stack config: the `ChaliceApi` Args of functions/md5_api."""

from __future__ import annotations

from dataclasses import replace

from components.api.chalice_api import ChaliceApiArgs
from components.common.shared import (
    API_AUTHORIZATIONS,
    MAX_API_THROTTLE_BURST_LIMIT,
    MAX_API_THROTTLE_RATE_LIMIT,
    MAX_API_TIMEOUT_SECONDS,
    MAX_LAMBDA_MEMORY_MB,
    MIN_LAMBDA_MEMORY_MB,
)
from components.config import stack
from components.config.reader import Reader, in_range
from components.lambdas.packaging import PROJECT_DIR

KEYS = (
    "apiAuthorization",
    "apiThrottleRateLimit",
    "apiThrottleBurstLimit",
    "apiMemoryMb",
    "apiTimeoutSeconds",
)
MD5_API_DIR = PROJECT_DIR / "functions" / "md5_api"
# With domainName set, the API answers on md5sum.<domainName> (the notes' Chalice lesson).
API_SUBDOMAIN = "md5sum"


def parse(reader: Reader) -> ChaliceApiArgs:
    defaults = ChaliceApiArgs(app_dir=MD5_API_DIR)
    domain_name, zone_id = stack.domain(reader)
    return ChaliceApiArgs(
        app_dir=MD5_API_DIR,
        custom_domain_name=f"{API_SUBDOMAIN}.{domain_name}" if domain_name else None,
        hosted_zone_id=zone_id if domain_name else None,
        stage=replace(
            defaults.stage,
            endpoint_type="REGIONAL" if domain_name else defaults.stage.endpoint_type,
            authorization=reader.choice(
                "apiAuthorization", defaults.stage.authorization, API_AUTHORIZATIONS
            ),
            throttle_rate_limit=reader.integer(
                "apiThrottleRateLimit",
                int(defaults.stage.throttle_rate_limit),
                in_range(1, MAX_API_THROTTLE_RATE_LIMIT),
            ),
            throttle_burst_limit=reader.integer(
                "apiThrottleBurstLimit",
                defaults.stage.throttle_burst_limit,
                in_range(1, MAX_API_THROTTLE_BURST_LIMIT),
            ),
        ),
        log_retention_days=stack.log_retention(reader, "apiLogRetentionDays"),
        memory_mb=reader.integer(
            "apiMemoryMb", defaults.memory_mb, in_range(MIN_LAMBDA_MEMORY_MB, MAX_LAMBDA_MEMORY_MB)
        ),
        timeout_seconds=reader.integer(
            "apiTimeoutSeconds", defaults.timeout_seconds, in_range(1, MAX_API_TIMEOUT_SECONDS)
        ),
    )
