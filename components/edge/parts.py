"""Plain pieces of the edge: the cache behaviours WordPress needs, the policies they use, and the
us-east-1 provider CloudFront's companions (WAF, ACM, log delivery, Route 53 metrics) live in.

AWS facts these follow:
- managed cache and origin-request policies, by name:
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html
- the notes' 24 h: CloudFront's default TTL is 86,400 seconds (seed 002, "Managing Edge Cache
  Expiration"; CachingOptimized's default TTL is the same).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

US_EAST_1 = "us-east-1"
# CloudFront's origin-facing servers. Its weight is 55: one security group rule that references
# it counts as 55 of the group's 60 inbound rules, so the edge admits it on one port only.
# https://docs.aws.amazon.com/vpc/latest/userguide/working-with-aws-managed-prefix-lists.html
CLOUDFRONT_ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing"
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
# Managed policies (their ids are fixed by AWS; looked up by name so a plan shows what it uses).
CACHING_OPTIMIZED = "Managed-CachingOptimized"
CACHING_DISABLED = "Managed-CachingDisabled"
# Every viewer header, cookie and query string, plus CloudFront-Forwarded-Proto (WordPress behind
# a proxy learns from it that the viewer used HTTPS).
ALL_VIEWER = "Managed-AllViewerAndCloudFrontHeaders-2022-06"
DEFAULT_TTL_SECONDS = 86400
MAX_TTL_SECONDS = 31536000
ONE_YEAR_SECONDS = 31536000
VIEWER_PROTOCOL_POLICY = "redirect-to-https"
MINIMUM_VIEWER_TLS = "TLSv1.2_2021"
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
READ_METHODS = ["GET", "HEAD"]
# The origin ids of the distribution.
SITE_ORIGIN = "site"
MEDIA_ORIGIN = "media"
MAINTENANCE_ORIGIN = "maintenance"
MAINTENANCE_PATH = "maintenance"
# WordPress pages that are never cached and always reach the web tier with every header,
# cookie and query string (logins, the dashboard, comments, previews, the REST API).
DYNAMIC_PATHS = ("wp-admin/*", "wp-login.php", "wp-json/*", "wp-cron.php", "xmlrpc.php")
# Static WordPress paths cached for the notes' 24 h (query strings in the key: WordPress
# versions its scripts and styles with ?ver=).
STATIC_PATHS = ("wp-content/*", "wp-includes/*")
# The 5xx answers the maintenance page replaces, and what the viewer gets instead.
MAINTENANCE_ERRORS = {500: "error.html", 502: "index.html", 503: "index.html", 504: "index.html"}
ERROR_CACHING_SECONDS = 10
_PATH_PATTERN = re.compile(r"^[A-Za-z0-9_./*-]+$")


def check_path_pattern(value: str) -> str | None:
    if not _PATH_PATTERN.match(value) or value.startswith("/") or "*" not in value:
        return "must be a CloudFront path pattern without a leading slash, like media/*"
    return None


@dataclass(frozen=True)
class SiteOrigin:
    """The web tier as the distribution's origin: the load balancer's DNS name, the listeners on
    which the edge adds the rule that forwards only requests carrying its secret header, the
    target group that rule forwards to, and whether CloudFront reaches it over HTTPS (the load
    balancer then needs a certificate for a name CloudFront asks for)."""

    domain_name: pulumi.Input[str]
    listener_arns: Sequence[pulumi.Input[str]] = ()
    target_group_arn: pulumi.Input[str] = ""
    # The load balancer's security group: the edge admits CloudFront's origin-facing servers.
    security_group_id: pulumi.Input[str] | None = None
    https: bool = False

    @property
    def port(self) -> int:
        return 443 if self.https else 80


# Who writes vended logs (WAF, CloudFront standard logging v2) into CloudWatch Logs.
VENDED_LOGS_SERVICE = "delivery.logs.amazonaws.com"


def vended_log_policy_document(log_group_arn: str, account_id: str, region: str) -> dict:
    """The log group's resource policy for vended log delivery: delivery.logs.amazonaws.com may
    create streams and put events in this group, for this account's deliveries in this Region
    (the policy AWS would otherwise create itself when logging is switched on, if the deployer
    may: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-CWL.html)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AWSLogDeliveryWrite",
                "Effect": "Allow",
                "Principal": {"Service": VENDED_LOGS_SERVICE},
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group_arn}:log-stream:*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{region}:{account_id}:*"},
                },
            }
        ],
    }


def vended_log_policy(
    name: str,
    log_group: aws.cloudwatch.LogGroup,
    region: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.LogResourcePolicy:
    """`<name>-delivery-policy`: the group's own resource policy (resource-scoped, so it does not
    count against the account's 10 policies per Region), declared rather than left to AWS."""
    invoke = pulumi.InvokeOutputOptions(parent=opts.parent)
    account = aws.get_caller_identity_output(opts=invoke).account_id
    document = pulumi.Output.all(log_group.arn, account, region).apply(
        lambda v: json.dumps(vended_log_policy_document(v[0], v[1], v[2]))
    )
    return aws.cloudwatch.LogResourcePolicy(
        f"{name}-delivery-policy", resource_arn=log_group.arn, policy_document=document, opts=opts
    )


def us_east_1_provider(name: str, parent: pulumi.Resource) -> aws.Provider:
    """An explicit provider for us-east-1, where CloudFront's WAF, ACM certificates, vended log
    delivery and Route 53 health-check metrics must be, whatever the stack's region."""
    return aws.Provider(
        f"{name}-us-east-1", region=US_EAST_1, opts=pulumi.ResourceOptions(parent=parent)
    )


@dataclass(frozen=True)
class ManagedPolicies:
    """Ids of the managed policies the behaviours use."""

    caching_optimized: pulumi.Input[str]
    caching_disabled: pulumi.Input[str]
    all_viewer: pulumi.Input[str]

    @classmethod
    def look_up(cls, parent: pulumi.Resource) -> ManagedPolicies:
        options = pulumi.InvokeOutputOptions(parent=parent)

        def cache(name: str) -> pulumi.Output[str]:
            policy = aws.cloudfront.get_cache_policy_output(name=name, opts=options)
            return policy.id.apply(lambda value: value or "")

        request = aws.cloudfront.get_origin_request_policy_output(name=ALL_VIEWER, opts=options)
        return cls(
            caching_optimized=cache(CACHING_OPTIMIZED),
            caching_disabled=cache(CACHING_DISABLED),
            all_viewer=request.id.apply(lambda value: value or ""),
        )


def behaviour(
    path: str,
    origin: str,
    *,
    cache_policy_id: pulumi.Input[str],
    headers_policy_id: pulumi.Input[str],
    origin_request_policy_id: pulumi.Input[str] | None = None,
    dynamic: bool = False,
) -> aws.cloudfront.DistributionOrderedCacheBehaviorArgsDict:
    """An ordered cache behaviour: HTTPS only, compressed; dynamic ones take every method."""
    args: aws.cloudfront.DistributionOrderedCacheBehaviorArgsDict = {
        "path_pattern": path,
        "target_origin_id": origin,
        "viewer_protocol_policy": VIEWER_PROTOCOL_POLICY,
        "allowed_methods": ALL_METHODS if dynamic else READ_METHODS,
        "cached_methods": READ_METHODS,
        "compress": True,
        "cache_policy_id": cache_policy_id,
        "response_headers_policy_id": headers_policy_id,
    }
    if origin_request_policy_id is not None:
        args["origin_request_policy_id"] = origin_request_policy_id
    return args


def security_headers() -> aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigArgsDict:
    """HSTS for a year (subdomains too), nosniff, same-origin framing (WordPress's dashboard
    frames itself), a strict referrer policy and the XSS filter in block mode."""
    return {
        "strict_transport_security": {
            "access_control_max_age_sec": ONE_YEAR_SECONDS,
            "include_subdomains": True,
            "preload": False,
            "override": True,
        },
        "content_type_options": {"override": True},
        "frame_options": {"frame_option": "SAMEORIGIN", "override": True},
        "referrer_policy": {
            "referrer_policy": "strict-origin-when-cross-origin",
            "override": True,
        },
        "xss_protection": {"protection": True, "mode_block": True, "override": True},
    }


def media_cors(origins: tuple[str, ...]) -> aws.cloudfront.ResponseHeadersPolicyCorsConfigArgsDict:
    """The notes' CORS rule for media (lesson 14): named origins, GET, MaxAgeSeconds 3000."""
    return {
        "access_control_allow_credentials": False,
        "access_control_allow_headers": {"items": ["Authorization"]},
        "access_control_allow_methods": {"items": ["GET", "HEAD"]},
        "access_control_allow_origins": {"items": list(origins)},
        "access_control_max_age_sec": 3000,
        "origin_override": True,
    }


def maintenance_error_responses() -> list[aws.cloudfront.DistributionCustomErrorResponseArgsDict]:
    """5xx from the web tier (or no answer at all: CloudFront then returns 502/504) -> the
    maintenance page from its bucket, answered as 503 so clients and crawlers retry later."""
    return [
        {
            "error_code": code,
            "response_code": 503,
            "response_page_path": f"/{MAINTENANCE_PATH}/{page}",
            "error_caching_min_ttl": ERROR_CACHING_SECONDS,
        }
        for code, page in MAINTENANCE_ERRORS.items()
    ]
