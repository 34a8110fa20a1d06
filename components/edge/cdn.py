"""`SiteDistribution` (part of the `Edge`): CloudFront in front of the WordPress site, its media and a maintenance page.

One distribution, three origins:
- `site`: the web tier's load balancer (custom origin). Every request carries a secret origin
  header (a `random.RandomPassword`, a Pulumi secret in state), so the load balancer can refuse
  requests that did not come through this distribution.
- `media`: the media bucket through Origin Access Control (SigV4-signed requests); the bucket
  stays private and its policy admits `cloudfront.amazonaws.com` for this distribution only.
- `maintenance`: the maintenance bucket (index and error pages uploaded here), same OAC. Custom
  error responses show it when the web tier answers 5xx or cannot be reached. Not an origin
  group: CloudFront fails over only GET, HEAD and OPTIONS requests to a secondary origin, and
  WordPress behaviours must accept POST (docs/edge.md, "Maintenance page").

Viewers are redirected to HTTPS; HTTP/2 and HTTP/3; IPv6; compression. Access logs go through
CloudFront standard logging (v2): CloudWatch Logs vended log delivery in us-east-1, no ACLs;
the log group's own resource policy admits the delivery (parts.vended_log_policy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.common.logs import retained_log_group
from components.common.outputs import NotRegistered, register_declared_outputs
from components.common.owner import Owner
from components.edge import parts

ORIGIN_HEADER = "X-Origin-Verify"
ORIGIN_SECRET_LENGTH = 40
MAINTENANCE_SITE_DIR = Path(__file__).resolve().parent / "maintenance_site"
# file -> (content type, cache control): the pages change rarely but must show new text fast.
MAINTENANCE_FILES = {
    "index.html": ("text/html; charset=utf-8", "public, max-age=60"),
    "error.html": ("text/html; charset=utf-8", "public, max-age=60"),
}


class OriginBucket(Protocol):
    """What the edge needs of a bucket it serves (an `EncryptedBucket` has all of it)."""

    bucket_id: pulumi.Output[str]
    regional_domain_name: pulumi.Output[str]
    sse_algorithm: str

    def grant_service_read(self, service: str, source_arn: pulumi.Input[str]) -> None: ...


@dataclass(frozen=True)
class DistributionArgs:
    """Inputs of `SiteDistribution`. Wiring (set by the program): `site_origin` (the web tier's
    load balancer; None = no web tier yet, every page shows the maintenance page),
    `media_bucket`, `maintenance_bucket`, `web_acl_arn` (the global web ACL), `certificate_arn`
    and `aliases` (with a domain). Settings: `media_path` (`media/*`), `cors_allowed_origins`
    (media CORS), `price_class`, `log_retention_days`.
    """

    site_origin: parts.SiteOrigin | None = None
    media_bucket: OriginBucket | None = None
    maintenance_bucket: OriginBucket | None = None
    web_acl_arn: pulumi.Input[str] | None = None
    certificate_arn: pulumi.Input[str] | None = None
    aliases: tuple[str, ...] = ()
    media_path: str = "media/*"
    cors_allowed_origins: tuple[str, ...] = ()
    price_class: str = "PriceClass_100"
    log_retention_days: int = 90
    # The explicit us-east-1 provider (CloudFront's vended log delivery is there).
    us_east_1: aws.Provider | None = None
    tags: dict[str, str] | None = None

    def validate(self) -> None:
        if self.media_bucket is None or self.maintenance_bucket is None:
            raise ValueError("media_bucket: the edge serves the media and maintenance buckets")
        if (reason := parts.check_path_pattern(self.media_path)) is not None:
            raise ValueError(f"media_path: {self.media_path!r} {reason}")
        if bool(self.aliases) != (self.certificate_arn is not None):
            raise ValueError(
                f"aliases: {list(self.aliases)!r} need a certificate_arn, and a certificate "
                "needs aliases"
            )


class SiteDistribution(pulumi.ComponentResource):
    """The site's CloudFront distribution, its policies, origins, logs and maintenance page."""

    distribution_id: pulumi.Output[str]
    distribution_arn: pulumi.Output[str]
    domain_name: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    # For the `Edge`, never registered: the DNS alias target, the secret header's value.
    hosted_zone_id: NotRegistered[pulumi.Output[str]]
    origin_secret: NotRegistered[pulumi.Output[str]]

    def __init__(
        self, name: str, args: DistributionArgs, opts: pulumi.ResourceOptions | None = None
    ):
        args.validate()
        assert args.media_bucket is not None and args.maintenance_bucket is not None
        super().__init__("platform:edge:SiteDistribution", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.origin_header_name = ORIGIN_HEADER
        secret = random.RandomPassword(
            f"{name}-origin-secret", length=ORIGIN_SECRET_LENGTH, special=False, opts=child
        )
        self.origin_secret = pulumi.Output.secret(secret.result)
        access_control = aws.cloudfront.OriginAccessControl(
            f"{name}-oac",
            name=f"{name}-{pulumi.get_stack()}",
            description="CloudFront signs its requests to the site's buckets (SigV4)",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=child,
        )
        self._upload_maintenance_site(name, args.maintenance_bucket)

        managed = parts.ManagedPolicies.look_up(self)
        static_policy = self._static_cache_policy(name)
        headers = self._headers_policy(name, "security", cors_origins=())
        media_headers = self._headers_policy(name, "media", args.cors_allowed_origins)
        has_site = args.site_origin is not None
        site = parts.SITE_ORIGIN if has_site else parts.MAINTENANCE_ORIGIN

        def s3(path: str, origin: str, headers_id: pulumi.Input[str]):
            return parts.behaviour(
                path,
                origin,
                cache_policy_id=managed.caching_optimized,
                headers_policy_id=headers_id,
            )

        behaviours = [
            s3(f"{parts.MAINTENANCE_PATH}/*", parts.MAINTENANCE_ORIGIN, headers.id),
            s3(args.media_path, parts.MEDIA_ORIGIN, media_headers.id),
            s3("images/*.jpg", parts.MEDIA_ORIGIN, media_headers.id),
            *(
                parts.behaviour(
                    path,
                    site,
                    cache_policy_id=managed.caching_disabled,
                    headers_policy_id=headers.id,
                    origin_request_policy_id=managed.all_viewer if has_site else None,
                    dynamic=has_site,
                )
                for path in parts.DYNAMIC_PATHS
            ),
            *(
                parts.behaviour(
                    path, site, cache_policy_id=static_policy.id, headers_policy_id=headers.id
                )
                for path in parts.STATIC_PATHS
            ),
        ]
        default: aws.cloudfront.DistributionDefaultCacheBehaviorArgsDict = {
            "target_origin_id": site,
            "viewer_protocol_policy": parts.VIEWER_PROTOCOL_POLICY,
            "allowed_methods": parts.ALL_METHODS if has_site else parts.READ_METHODS,
            "cached_methods": parts.READ_METHODS,
            "compress": True,
            "cache_policy_id": managed.caching_disabled if has_site else managed.caching_optimized,
            "response_headers_policy_id": headers.id,
        }
        if has_site:
            default["origin_request_policy_id"] = managed.all_viewer
        origins = [
            self._bucket_origin(parts.MEDIA_ORIGIN, args.media_bucket, access_control),
            self._bucket_origin(parts.MAINTENANCE_ORIGIN, args.maintenance_bucket, access_control),
        ]
        if args.site_origin is not None:
            origins.insert(0, self._site_origin(args.site_origin, secret.result))
        self.distribution = aws.cloudfront.Distribution(
            f"{name}-distribution",
            enabled=True,
            comment=f"{name}: the WordPress site, its media and the maintenance page",
            aliases=list(args.aliases),
            origins=origins,
            default_cache_behavior=default,
            ordered_cache_behaviors=behaviours,
            custom_error_responses=parts.maintenance_error_responses() if has_site else [],
            default_root_object="" if has_site else f"{parts.MAINTENANCE_PATH}/index.html",
            http_version="http2and3",
            is_ipv6_enabled=True,
            price_class=args.price_class,
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate=_viewer_certificate(args.certificate_arn),
            web_acl_id=args.web_acl_arn,
            tags=args.tags,
            opts=child,
        )
        self.distribution_id = self.distribution.id
        self.distribution_arn = self.distribution.arn
        self.domain_name = self.distribution.domain_name
        self.hosted_zone_id = self.distribution.hosted_zone_id
        for bucket in (args.media_bucket, args.maintenance_bucket):
            bucket.grant_service_read("cloudfront.amazonaws.com", self.distribution_arn)
        if args.site_origin is not None:
            self._origin_guard(name, args.site_origin, self.origin_secret)
        self.log_group_name = self._access_logs(
            name, args.log_retention_days, args.us_east_1, args.tags
        )
        register_declared_outputs(self)

    def _site_origin(
        self, site: parts.SiteOrigin, secret: pulumi.Output[str]
    ) -> aws.cloudfront.DistributionOriginArgsDict:
        return {
            "origin_id": parts.SITE_ORIGIN,
            "domain_name": site.domain_name,
            "custom_origin_config": {
                "http_port": 80,
                "https_port": 443,
                "origin_protocol_policy": "https-only" if site.https else "http-only",
                "origin_ssl_protocols": ["TLSv1.2"],
                "origin_read_timeout": 30,
            },
            "custom_headers": [{"name": ORIGIN_HEADER, "value": pulumi.Output.secret(secret)}],
        }

    def _origin_guard(self, name: str, site: parts.SiteOrigin, secret: pulumi.Output[str]) -> None:
        """The load balancer admits only CloudFront's origin-facing servers, on the one port
        CloudFront uses, and on each listener a rule forwards only requests carrying the secret
        header; the listener's default action answers everything else with 403."""
        if site.security_group_id is not None:
            prefix_list = aws.ec2.get_managed_prefix_list_output(
                name=parts.CLOUDFRONT_ORIGIN_FACING, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-origin-from-cloudfront",
                security_group_id=site.security_group_id,
                description="CloudFront's origin-facing servers only",
                ip_protocol="tcp",
                from_port=site.port,
                to_port=site.port,
                prefix_list_id=prefix_list.id,
                opts=pulumi.ResourceOptions(parent=self),
            )
        for index, listener_arn in enumerate(site.listener_arns):
            aws.lb.ListenerRule(
                f"{name}-origin-header-{index}",
                listener_arn=listener_arn,
                priority=1,
                conditions=[
                    {"http_header": {"http_header_name": ORIGIN_HEADER, "values": [secret]}}
                ],
                actions=[{"type": "forward", "target_group_arn": site.target_group_arn}],
                opts=pulumi.ResourceOptions(parent=self),
            )

    @staticmethod
    def _bucket_origin(
        origin_id: str, bucket: OriginBucket, access_control: aws.cloudfront.OriginAccessControl
    ) -> aws.cloudfront.DistributionOriginArgsDict:
        return {
            "origin_id": origin_id,
            "domain_name": bucket.regional_domain_name,
            "origin_access_control_id": access_control.id,
            # An empty origin access identity: OAC signs instead (S3OriginConfig's documented form).
            "s3_origin_config": {"origin_access_identity": ""},
        }

    def _static_cache_policy(self, name: str) -> aws.cloudfront.CachePolicy:
        """wp-content and wp-includes: the notes' 24 h, query strings in the key (?ver=)."""
        return aws.cloudfront.CachePolicy(
            f"{name}-static-cache",
            name=f"{name}-{pulumi.get_stack()}-wordpress-static",
            comment="WordPress static files: 24 h by default, versioned by query string",
            default_ttl=parts.DEFAULT_TTL_SECONDS,
            max_ttl=parts.MAX_TTL_SECONDS,
            min_ttl=1,
            parameters_in_cache_key_and_forwarded_to_origin={
                "cookies_config": {"cookie_behavior": "none"},
                "headers_config": {"header_behavior": "none"},
                "query_strings_config": {"query_string_behavior": "all"},
                "enable_accept_encoding_gzip": True,
                "enable_accept_encoding_brotli": True,
            },
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _headers_policy(
        self, name: str, role: str, cors_origins: Sequence[str]
    ) -> aws.cloudfront.ResponseHeadersPolicy:
        return aws.cloudfront.ResponseHeadersPolicy(
            f"{name}-{role}-headers",
            name=f"{name}-{pulumi.get_stack()}-{role}",
            comment=f"Security headers{' and the media CORS rule' if cors_origins else ''}",
            security_headers_config=parts.security_headers(),
            cors_config=parts.media_cors(tuple(cors_origins)) if cors_origins else None,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _upload_maintenance_site(self, name: str, bucket: OriginBucket) -> None:
        """The committed pages, under maintenance/, with the header the bucket demands."""
        for file_name, (content_type, cache_control) in MAINTENANCE_FILES.items():
            aws.s3.BucketObjectv2(
                f"{name}-maintenance-{file_name.replace('.', '-')}",
                bucket=bucket.bucket_id,
                key=f"{parts.MAINTENANCE_PATH}/{file_name}",
                source=pulumi.FileAsset(str(MAINTENANCE_SITE_DIR / file_name)),
                content_type=content_type,
                cache_control=cache_control,
                server_side_encryption=bucket.sse_algorithm,
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _access_logs(
        self,
        name: str,
        retention_days: int,
        provider: aws.Provider | None,
        tags: dict[str, str] | None,
    ) -> pulumi.Output[str]:
        """Standard logging (v2): the distribution is a delivery source of ACCESS_LOGS, a log
        group in us-east-1 the destination; no S3 ACLs involved."""
        east = pulumi.ResourceOptions(parent=self, provider=provider)
        stack = pulumi.get_stack()
        log_group = retained_log_group(
            f"{name}-access-logs",
            Owner(self, tags or {}, provider),
            name=f"/aws/cloudfront/{name}-{stack}",
            retention_days=retention_days,
        )
        source = aws.cloudwatch.LogDeliverySource(
            f"{name}-log-source",
            name=f"{name}-{stack}-access-logs",
            log_type="ACCESS_LOGS",
            resource_arn=self.distribution_arn,
            opts=east,
        )
        destination = aws.cloudwatch.LogDeliveryDestination(
            f"{name}-log-destination",
            name=f"{name}-{stack}-cloudwatch",
            output_format="json",
            delivery_destination_configuration={"destination_resource_arn": log_group.arn},
            opts=east,
        )
        # The group admits CloudWatch Logs' log delivery (declared, not left to AWS).
        policy = parts.vended_log_policy(f"{name}-access-logs", log_group, parts.US_EAST_1, east)
        aws.cloudwatch.LogDelivery(
            f"{name}-log-delivery",
            delivery_source_name=source.name,
            delivery_destination_arn=destination.arn,
            opts=pulumi.ResourceOptions.merge(east, pulumi.ResourceOptions(depends_on=[policy])),
        )
        return log_group.name


def _viewer_certificate(
    certificate_arn: pulumi.Input[str] | None,
) -> aws.cloudfront.DistributionViewerCertificateArgsDict:
    if certificate_arn is None:
        # The distribution's own *.cloudfront.net name and certificate.
        return {"cloudfront_default_certificate": True}
    return {
        "acm_certificate_arn": certificate_arn,
        "ssl_support_method": "sni-only",
        "minimum_protocol_version": parts.MINIMUM_VIEWER_TLS,
    }
