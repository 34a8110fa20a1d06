"""The edge section of the stack config: `Edge`'s Args (CloudFront, WAF, certificates, DNS).

`domainName` is optional: without it the site is served at the distribution's own HTTPS name.
`adminCidr` and `bucketCorsAllowedOrigins` belong to the network and bucket sections (which
validate them); the edge reuses them for WAF's admin rule, the media CORS rule and hotlinks.
"""

from __future__ import annotations

import ipaddress
import json

from components.common.certificates import check_certificate_arn, check_domain, check_zone_id
from components.config import stack
from components.config.reader import Reader
from components.edge.dns_records import DnsRecord, DnsRecordError, parse_dns_records
from components.edge.edge import EdgeArgs
from components.edge.parts import PRICE_CLASSES, US_EAST_1
from components.edge.waf import check_rate_limit

# The config key of each `EdgeArgs` field the stack may set.
KEYS_BY_FIELD = {
    "domain_name": "domainName",
    "hosted_zone_id": "hostedZoneId",
    "site_certificate_arn": "siteCertificateArn",
    "rate_limit": "wafRateLimit",
    "price_class": "edgePriceClass",
    "log_retention_days": stack.LOG_RETENTION_KEY,
    "dns_records": "dnsRecords",
}
KEYS = tuple(KEYS_BY_FIELD.values())


def _optional(reader: Reader, key: str, check) -> str | None:
    value = reader.optional(key)
    if value is not None and (reason := check(value)) is not None:
        reader.problem(key, value, reason)
        return None
    return value


def parse(reader: Reader) -> EdgeArgs:
    defaults = EdgeArgs()
    domain_name = _optional(reader, "domainName", check_domain)
    if domain_name is not None and reader.region not in (None, US_EAST_1):
        # Route 53 publishes health-check metrics in us-east-1 only, so the site's alarm lives
        # there, and an alarm may notify an SNS topic of its own Region only: the alert topic
        # of a stack elsewhere is out of its reach.
        reader.problem(
            "domainName",
            domain_name,
            f"needs aws:region {US_EAST_1} (this stack is in {reader.region}): the site's "
            f"health-check alarm must live in {US_EAST_1}, and an alarm can only notify a topic "
            "in its own Region",
        )
        domain_name = None
    zone_id = _optional(reader, "hostedZoneId", check_zone_id)
    certificate = _optional(
        reader, "siteCertificateArn", lambda arn: check_certificate_arn(arn, US_EAST_1)
    )
    retention = stack.log_retention(reader, "edgeLogRetentionDays")
    return reader.build(
        lambda: EdgeArgs(
            domain_name=domain_name,
            hosted_zone_id=zone_id,
            site_certificate_arn=certificate,
            rate_limit=reader.integer("wafRateLimit", defaults.rate_limit, check_rate_limit),
            admin_cidr=_admin_cidr(reader),
            cors_allowed_origins=reader.string_list("bucketCorsAllowedOrigins"),
            price_class=reader.choice("edgePriceClass", defaults.price_class, PRICE_CLASSES),
            log_retention_days=retention,
            dns_records=_dns_records(reader),
        ),
        EdgeArgs,
        KEYS_BY_FIELD,
    )


def _admin_cidr(reader: Reader) -> str | None:
    """The network section's adminCidr when it is valid (that section reports it otherwise)."""
    value = reader.optional("adminCidr")
    try:
        network = ipaddress.ip_network(value, strict=False) if value else None
    except ValueError:
        return None
    return value if network is not None and network.prefixlen > 0 else None


def _dns_records(reader: Reader) -> tuple[DnsRecord, ...]:
    value = reader.raw.get("dnsRecords")
    if value is None:
        return ()
    try:
        return parse_dns_records(json.loads(value))
    except json.JSONDecodeError:
        reader.problem("dnsRecords", value, "must be a list of records")
    except DnsRecordError as error:
        reader.problems.extend(f"{reader.namespace}:{problem}" for problem in error.problems)
    return ()
