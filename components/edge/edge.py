"""`Edge`: CloudFront, WAF, certificates and DNS in front of the site, its media and the APIs.

The family's parts, each a child component or a helper of its own module:
- `Firewall` (waf.py): the global web ACL the distribution uses, and the regional one on the
  API Gateway stages;
- the site's certificate (certificates.py), in us-east-1, when a domain is set and no
  certificate is given;
- `SiteDistribution` (cdn.py): the distribution, its origins, behaviours, policies, logs and
  the maintenance page;
- `SiteDns` (dns.py), with a domain: alias, CAA and configured records, the health check.
Resources that must live in us-east-1 (the global web ACL, CloudFront's certificate and log
delivery, the health-check alarm) go through one explicit us-east-1 provider.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Annotated, Protocol
from urllib.parse import urlparse

import pulumi

from components.common import certificates
from components.common.outputs import Export, NotRegistered, register_declared_outputs
from components.common.shared import check_log_retention
from components.edge.cdn import DistributionArgs, OriginBucket, SiteDistribution
from components.edge.dns import SiteDns, SiteDnsArgs
from components.edge.dns_records import DnsRecord
from components.edge.parts import (
    PRICE_CLASSES,
    US_EAST_1,
    SiteOrigin,
    check_path_pattern,
    us_east_1_provider,
)
from components.edge.waf import Firewall, FirewallArgs, check_rate_limit


class ApiStage(Protocol):
    """An API whose stage the regional web ACL protects (ChaliceApi, UptimeMonitor)."""

    stage_arn: pulumi.Output[str]


class Monitor(Protocol):
    """The uptime monitor: its stage's invoke URL and the alert topic."""

    url: pulumi.Output[str]
    topic_arn: pulumi.Output[str]


_INVOKE_URL = re.compile(r"^https://([a-z0-9]+)\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/([^/]+)")


def stage_arn_of(invoke_url: str) -> str:
    """A REST API stage's ARN from its invoke URL (`https://{id}.execute-api.{region}.
    amazonaws.com/{stage}`): `arn:aws:apigateway:{region}::/restapis/{id}/stages/{stage}`,
    the form WAF associates (API Gateway Developer Guide, "ARN format reference")."""
    match = _INVOKE_URL.match(invoke_url)
    if match is None:
        raise ValueError(f"stage_arn_of: {invoke_url!r} is not a REST API stage's invoke URL")
    api_id, region, stage = match.groups()
    return f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{stage}"


class WebOrigin(Protocol):
    """The web tier (WebTier): its load balancer, the listener CloudFront reaches, its targets."""

    load_balancer_dns_name: pulumi.Output[str]
    origin_listener_arn: pulumi.Output[str]
    target_group_arn: pulumi.Output[str]
    https: bool


class LoadBalancerNetwork(Protocol):
    """The network (Network): the load balancer's security group."""

    load_balancer_security_group_id: pulumi.Output[str]


@dataclass(frozen=True)
class EdgeArgs:
    """Inputs of `Edge`. Settings (secure by default, nothing needs a domain):
    - `domain_name` (None: the site is served at the distribution's own HTTPS name),
      `hosted_zone_id` (None: the public zone of the domain, looked up by name),
      `site_certificate_arn` (None: one is requested in us-east-1 and validated by DNS);
    - `rate_limit` (requests per client IP in 5 minutes), `admin_cidr` (the only source of
      /wp-admin and /wp-login.php when set), `cors_allowed_origins` (media CORS and hotlinks);
    - `media_path`, `price_class`, `log_retention_days`, `dns_records`.
    Wiring (set by the program): `site_origin` (the web tier's load balancer, its listeners and
    target group; None = no web tier: the maintenance page is the site), `media_bucket`,
    `maintenance_bucket`, `api_stage_arns`, `alarm_topic_arn`.
    """

    domain_name: str | None = None
    hosted_zone_id: str | None = None
    site_certificate_arn: str | None = None
    rate_limit: int = 2000
    admin_cidr: str | None = None
    cors_allowed_origins: tuple[str, ...] = ()
    media_path: str = "media/*"
    price_class: str = "PriceClass_100"
    log_retention_days: int = 90
    dns_records: tuple[DnsRecord, ...] = ()
    site_origin: SiteOrigin | None = None
    media_bucket: OriginBucket | None = None
    maintenance_bucket: OriginBucket | None = None
    api_stage_arns: Sequence[pulumi.Input[str]] = ()
    alarm_topic_arn: pulumi.Input[str] | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Raise ValueError naming the argument (settings map it back to the config key)."""
        checks = {
            "domain_name": self.domain_name and certificates.check_domain(self.domain_name),
            "hosted_zone_id": self.hosted_zone_id
            and certificates.check_zone_id(self.hosted_zone_id),
            "site_certificate_arn": self.site_certificate_arn
            and certificates.check_certificate_arn(self.site_certificate_arn, US_EAST_1),
            "rate_limit": check_rate_limit(self.rate_limit),
            "media_path": check_path_pattern(self.media_path),
            "price_class": self.price_class not in PRICE_CLASSES
            and f"must be one of {', '.join(PRICE_CLASSES)}",
            "log_retention_days": check_log_retention(self.log_retention_days),
        }
        for argument, reason in checks.items():
            if reason:
                raise ValueError(f"{argument}: {getattr(self, argument)!r} {reason}")
        if self.domain_name is None:
            for argument in ("hosted_zone_id", "site_certificate_arn", "dns_records"):
                if getattr(self, argument):
                    raise ValueError(f"{argument}: {getattr(self, argument)!r} needs domain_name")

    def wired(
        self,
        buckets: Mapping[str, OriginBucket],
        api: ApiStage,
        monitor: Monitor,
        web: WebOrigin,
        network: LoadBalancerNetwork,
    ) -> EdgeArgs:
        """These Args wired to the program's buckets (`media`, `maintenance`), the APIs' stages,
        the monitor's alert topic and the web tier's load balancer."""
        site = SiteOrigin(
            domain_name=web.load_balancer_dns_name,
            listener_arns=(web.origin_listener_arn,),
            target_group_arn=web.target_group_arn,
            security_group_id=network.load_balancer_security_group_id,
            https=web.https,
        )
        return replace(
            self,
            site_origin=site,
            media_bucket=buckets["media"],
            maintenance_bucket=buckets["maintenance"],
            api_stage_arns=(api.stage_arn, monitor.url.apply(stage_arn_of)),
            alarm_topic_arn=monitor.topic_arn,
        )

    @property
    def site_hosts(self) -> tuple[str, ...]:
        """The hosts whose pages may embed the media: the domain and the CORS origins."""
        hosts = [self.domain_name] if self.domain_name else []
        hosts += [urlparse(origin).hostname or "" for origin in self.cors_allowed_origins]
        return tuple(dict.fromkeys(host.lower() for host in hosts if host))

    @property
    def media_path_prefix(self) -> str:
        return "/" + self.media_path.split("*", 1)[0]


class Edge(pulumi.ComponentResource):
    """The site's edge: WAF, certificate, CloudFront distribution and DNS."""

    site_url: Annotated[pulumi.Output[str], Export("siteUrl")]
    distribution_id: Annotated[pulumi.Output[str], Export("distributionId")]
    distribution_arn: pulumi.Output[str]
    # The secret header CloudFront sends the origin: offered in code, never registered.
    origin_secret: NotRegistered[pulumi.Output[str]]
    origin_header_name: NotRegistered[str]
    # Stack outputs only: the distribution's log group, the site's health check (None without
    # a domain).
    log_group_name: NotRegistered[Annotated[pulumi.Output[str], Export("edgeLogGroupName")]]
    health_check_id: NotRegistered[
        Annotated[pulumi.Output[str] | None, Export("siteHealthCheckId")]
    ]

    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:edge:Edge", name, None, opts)
        east = us_east_1_provider(name, self)
        child = pulumi.ResourceOptions(parent=self)
        self.firewall = Firewall(
            f"{name}-waf",
            FirewallArgs(
                rate_limit=args.rate_limit,
                admin_cidr=args.admin_cidr,
                site_hosts=args.site_hosts,
                media_path_prefix=args.media_path_prefix,
                api_stage_arns=args.api_stage_arns,
                log_retention_days=args.log_retention_days,
                us_east_1=east,
            ),
            opts=child,
        )
        domain = args.domain_name
        zone: pulumi.Input[str] = ""
        certificate_arn: pulumi.Input[str] | None = args.site_certificate_arn
        if domain is not None:
            zone = certificates.zone_id(domain, args.hosted_zone_id, self)
            if certificate_arn is None:
                certificate_arn = certificates.validated_certificate(
                    f"{name}-site-certificate", domain, zone, self, provider=east
                )
        cdn = SiteDistribution(
            f"{name}-cdn",
            DistributionArgs(
                site_origin=args.site_origin,
                media_bucket=args.media_bucket,
                maintenance_bucket=args.maintenance_bucket,
                web_acl_arn=self.firewall.global_web_acl_arn,
                certificate_arn=certificate_arn,
                aliases=(domain,) if domain else (),
                media_path=args.media_path,
                cors_allowed_origins=args.cors_allowed_origins,
                price_class=args.price_class,
                log_retention_days=args.log_retention_days,
                us_east_1=east,
                tags=args.tags or None,
            ),
            opts=child,
        )
        self.health_check_id = None
        if domain is not None:
            site_dns = SiteDns(
                f"{name}-dns",
                SiteDnsArgs(
                    domain_name=domain,
                    zone_id=zone,
                    distribution_domain_name=cdn.domain_name,
                    distribution_zone_id=cdn.hosted_zone_id,
                    alarm_topic_arn=args.alarm_topic_arn,
                    records=args.dns_records,
                    us_east_1=east,
                ),
                opts=child,
            )
            self.health_check_id = site_dns.health_check_id
        self.distribution_id = cdn.distribution_id
        self.distribution_arn = cdn.distribution_arn
        self.origin_secret = cdn.origin_secret
        self.origin_header_name = cdn.origin_header_name
        self.log_group_name = cdn.log_group_name
        host = pulumi.Output.from_input(domain) if domain else cdn.domain_name
        self.site_url = host.apply(lambda value: f"https://{value}/")
        register_declared_outputs(self)
