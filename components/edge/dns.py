"""`SiteDns` (part of the `Edge`): the zone's records once the distribution exists.

Alias A and AAAA records for the site (CloudFront's alias zone), a Route 53 health check on the
site's `/healthy.html` with an alarm in us-east-1 (Route 53 publishes health-check metrics
only there) to the alert topic, CAA records that let only Amazon issue certificates
(https://docs.aws.amazon.com/acm/latest/userguide/setup-caa.html), and `dnsRecords`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.common.outputs import register_declared_outputs
from components.edge.dns_records import DnsRecord

HEALTH_CHECK_PATH = "/healthy.html"
# Amazon's CAA identities (ACM User Guide, "Configure a CAA record").
AMAZON_CAA = ("amazon.com", "amazontrust.com", "awstrust.com", "amazonaws.com")


@dataclass(frozen=True)
class SiteDnsArgs:
    """Wiring: `zone_id`, the distribution's `distribution_domain_name` and
    `distribution_zone_id`, `alarm_topic_arn`. Settings: `domain_name`, `records` (dnsRecords)."""

    domain_name: str
    zone_id: pulumi.Input[str] = ""
    distribution_domain_name: pulumi.Input[str] = ""
    distribution_zone_id: pulumi.Input[str] = ""
    alarm_topic_arn: pulumi.Input[str] | None = None
    records: tuple[DnsRecord, ...] = ()
    # The explicit us-east-1 provider: Route 53 health-check metrics (and their alarm) are there.
    us_east_1: aws.Provider | None = None


class SiteDns(pulumi.ComponentResource):
    """Alias, CAA and configured records, and the site's health check with its alarm."""

    health_check_id: pulumi.Output[str]

    def __init__(self, name: str, args: SiteDnsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:dns:SiteDns", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        domain = args.domain_name
        self._zone_id = args.zone_id
        for record_type in ("A", "AAAA"):
            self._alias(
                name,
                f"site-{record_type.lower()}",
                domain,
                record_type,
                args.distribution_domain_name,
                args.distribution_zone_id,
            )
        aws.route53.Record(
            f"{name}-caa",
            zone_id=args.zone_id,
            name=domain,
            type="CAA",
            ttl=3600,
            records=[f'0 issue "{issuer}"' for issuer in AMAZON_CAA] + ['0 issuewild ";"'],
            opts=child,
        )
        for record in args.records:
            aws.route53.Record(
                f"{name}-record-{record.key()}",
                **record_inputs(record, domain),
                zone_id=args.zone_id,
                opts=child,
            )
        health_check = aws.route53.HealthCheck(
            f"{name}-site-health",
            type="HTTPS",
            fqdn=domain,
            port=443,
            resource_path=HEALTH_CHECK_PATH,
            enable_sni=True,
            request_interval=30,
            failure_threshold=3,
            tags={"Name": f"{name}-site-health"},
            opts=child,
        )
        self.health_check_id = health_check.id
        east = pulumi.ResourceOptions(parent=self, provider=args.us_east_1)
        aws.cloudwatch.MetricAlarm(
            f"{name}-site-down",
            alarm_description=f"https://{domain}{HEALTH_CHECK_PATH} fails Route 53's checks",
            namespace="AWS/Route53",
            metric_name="HealthCheckStatus",
            dimensions={"HealthCheckId": health_check.id},
            statistic="Minimum",
            period=60,
            evaluation_periods=2,
            threshold=1,
            comparison_operator="LessThanThreshold",
            treat_missing_data="breaching",
            alarm_actions=[args.alarm_topic_arn] if args.alarm_topic_arn else [],
            ok_actions=[args.alarm_topic_arn] if args.alarm_topic_arn else [],
            tags={"Name": f"{name}-site-down"},
            opts=east,
        )
        register_declared_outputs(self)

    def _alias(
        self,
        name: str,
        role: str,
        record_name: str,
        record_type: str,
        target: pulumi.Input[str],
        target_zone: pulumi.Input[str],
    ) -> None:
        aws.route53.Record(
            f"{name}-{role}",
            zone_id=self._zone_id,
            name=record_name,
            type=record_type,
            aliases=[{"name": target, "zone_id": target_zone, "evaluate_target_health": False}],
            opts=pulumi.ResourceOptions(parent=self),
        )


def record_inputs(record: DnsRecord, domain: str) -> dict[str, Any]:
    """The `aws.route53.Record` inputs of a configured record set."""
    inputs: dict[str, Any] = {"name": record.fqdn(domain), "type": record.type}
    if record.alias is not None:
        inputs["aliases"] = [
            {
                "name": record.alias.name,
                "zone_id": record.alias.zone_id,
                "evaluate_target_health": record.alias.evaluate_target_health,
            }
        ]
    else:
        inputs["records"] = list(record.values)
        inputs["ttl"] = record.ttl
    if record.set_identifier is not None:
        inputs["set_identifier"] = record.set_identifier
    if record.health_check_id is not None:
        inputs["health_check_id"] = record.health_check_id
    policy = {
        "weighted": ("weighted_routing_policies", {"weight": record.weight}),
        "latency": ("latency_routing_policies", {"region": record.region}),
        "failover": ("failover_routing_policies", {"type": record.failover}),
        "geolocation": ("geolocation_routing_policies", dict(record.geolocation)),
    }.get(record.routing)
    if policy is not None:
        inputs[policy[0]] = [policy[1]]
    if record.routing == "multivalue":
        inputs["multivalue_answer_routing_policy"] = True
    return inputs
