"""The web tier section of the stack config: `WebTier`'s Args (without the wiring)."""

from __future__ import annotations

from components.config.reader import Reader, in_range
from components.web.args import MAX_GROUP_SIZE, WebTierArgs
from components.web.parts import (
    ARCHITECTURES,
    Architecture,
    check_certificate_arn,
    check_health_check_path,
    check_instance_type,
    check_sha1,
    check_wordpress_version,
)

KEYS = (
    "webInstanceType",
    "webArchitecture",
    "webMinSize",
    "webDesiredCapacity",
    "webMaxSize",
    "webCertificateArn",
    "webHealthCheckPath",
    "webDeregistrationDelaySeconds",
    "webStickiness",
    "webDetailedMonitoring",
    "webDeletionProtection",
    "webWordpressVersion",
    "webWordpressSha1",
)


def parse(reader: Reader) -> WebTierArgs:
    defaults = WebTierArgs()
    architecture: Architecture = reader.choice(
        "webArchitecture", defaults.architecture, ARCHITECTURES
    )
    sizes = {
        key: reader.integer(key, default, in_range(1, MAX_GROUP_SIZE))
        for key, default in (
            ("webMinSize", defaults.min_size),
            ("webDesiredCapacity", defaults.desired_capacity),
            ("webMaxSize", defaults.max_size),
        )
    }
    low, desired, high = sizes.values()
    if low > high:
        reader.problem("webMinSize", str(low), f"is above webMaxSize ({high})")
    elif not low <= desired <= high:
        reader.problem("webDesiredCapacity", str(desired), f"must lie between {low} and {high}")
    certificate = reader.optional("webCertificateArn")
    if (
        certificate is not None
        and (reason := check_certificate_arn(certificate, reader.region)) is not None
    ):
        reader.problem("webCertificateArn", certificate, reason)
    args = WebTierArgs(
        instance_type=reader.checked(
            "webInstanceType",
            defaults.instance_type,
            lambda value: check_instance_type(value, architecture),
        ),
        architecture=architecture,
        min_size=low,
        desired_capacity=desired,
        max_size=high,
        certificate_arn=certificate,
        health_check_path=reader.checked(
            "webHealthCheckPath", defaults.health_check_path, check_health_check_path
        ),
        deregistration_delay_seconds=reader.integer(
            "webDeregistrationDelaySeconds",
            defaults.deregistration_delay_seconds,
            in_range(0, 3600),
        ),
        stickiness=reader.boolean("webStickiness", defaults.stickiness),
        detailed_monitoring=reader.boolean("webDetailedMonitoring", defaults.detailed_monitoring),
        deletion_protection=reader.boolean("webDeletionProtection", defaults.deletion_protection),
        wordpress_version=reader.checked(
            "webWordpressVersion", defaults.wordpress_version, check_wordpress_version
        ),
        wordpress_sha1=reader.checked("webWordpressSha1", defaults.wordpress_sha1, check_sha1),
    )
    return args
