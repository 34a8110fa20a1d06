"""Edge rules: CloudFront serves viewers over HTTPS only, reads S3 only through Origin Access
Control, uses TLS 1.2 or later with a custom certificate, sits behind a web ACL, and the load
balancers behind it are not open to the internet themselves.

AWS facts they follow:
- viewer protocol policies: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-viewers-to-cloudfront.html
- OAC, and website endpoints that cannot use it: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
- security policies (TLSv1.2_2018 and later): https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-viewer-protocols-ciphers.html
- the origin-facing prefix list: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/LocationsOfEdgeServers.html
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Policy

from platform_rules.framework import RuleSpec, Violation, resource_policy, stack_policy
from platform_rules.graph import Node, StackGraph
from platform_rules.listeners import LOAD_BALANCER_TYPES
from platform_rules.network import (
    INGRESS_RULE,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    ingress_entries,
)
from platform_rules.values import as_list, is_unknown, is_whole_internet

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
HTTPS_ONLY_POLICIES = ("redirect-to-https", "https-only")
# CloudFront's security policies that refuse TLS 1.0 and 1.1 (SSLv3, TLSv1, TLSv1_2016 and
# TLSv1.1_2016 accept them).
TLS12_POLICIES = ("TLSv1.2_2018", "TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025")
# S3 website endpoints (bucket.s3-website-region.amazonaws.com, bucket.s3-website.region...)
# serve public content and cannot use OAC; REST endpoints can.
_S3_WEBSITE = re.compile(r"\.s3-website[.-][a-z0-9-]+\.amazonaws\.com(\.cn)?$")
_S3_REST = re.compile(r"\.s3([.-][a-z0-9-]+)?\.amazonaws\.com(\.cn)?$")


def _known(value: Any) -> bool:
    return value is not None and not is_unknown(value)


def _behaviours(node: Node) -> Iterator[tuple[str, Any]]:
    default = node.get("defaultCacheBehavior")
    if isinstance(default, dict):
        yield "defaultCacheBehavior", default
    ordered = node.get("orderedCacheBehaviors")
    if not is_unknown(ordered):
        for index, behaviour in enumerate(as_list(ordered)):
            if isinstance(behaviour, dict):
                yield f"orderedCacheBehaviors[{index}] ({behaviour.get('pathPattern')})", behaviour


def viewer_https_check(node: Node, settings: Mapping[str, Any]) -> Iterator[Violation]:
    """Every behaviour redirects HTTP to HTTPS or refuses it."""
    for where, behaviour in _behaviours(node):
        policy = behaviour.get("viewerProtocolPolicy")
        if _known(policy) and policy not in HTTPS_ONLY_POLICIES:
            yield Violation(
                node.urn,
                node.name,
                f"{where}.viewerProtocolPolicy is {policy!r}: viewers may use plain HTTP. Set "
                "'redirect-to-https' (or 'https-only').",
            )


def _s3_origin_problem(origin: Mapping[str, Any]) -> str | None:
    domain = origin.get("domainName")
    if _known(domain) and _S3_WEBSITE.search(str(domain)):
        return (
            f"is the S3 website endpoint {domain}: website endpoints are public and cannot "
            "use Origin Access Control; use the bucket's REST endpoint with OAC"
        )
    is_s3 = "s3OriginConfig" in origin or (_known(domain) and _S3_REST.search(str(domain)))
    if not is_s3:
        return None
    access_control = origin.get("originAccessControlId")
    if is_unknown(access_control) or (isinstance(access_control, str) and access_control):
        return None
    return (
        f"is the S3 bucket {domain} without Origin Access Control: the bucket must be readable "
        "by others (public) or through a legacy origin access identity. Give it an "
        "aws.cloudfront.OriginAccessControl and a bucket policy for this distribution"
    )


def s3_origin_access_control_check(node: Node, settings: Mapping[str, Any]) -> Iterator[Violation]:
    origins = node.get("origins")
    if is_unknown(origins):
        return
    for index, origin in enumerate(as_list(origins)):
        if isinstance(origin, dict) and (problem := _s3_origin_problem(origin)) is not None:
            label = origin.get("originId")
            yield Violation(node.urn, node.name, f"origins[{index}] ({label}) {problem}.")


def viewer_tls_check(node: Node, settings: Mapping[str, Any]) -> Iterator[Violation]:
    """A custom certificate (ACM or IAM) with a security policy of TLS 1.2 or later."""
    certificate = node.get("viewerCertificate")
    if not isinstance(certificate, dict):
        return
    custom = [certificate.get(key) for key in ("acmCertificateArn", "iamCertificateId")]
    if not any(value is not None and value != "" for value in custom):
        return
    version = certificate.get("minimumProtocolVersion")
    if is_unknown(version) or version in TLS12_POLICIES:
        return
    shown = version if version is not None else "unset (CloudFront then accepts TLSv1)"
    yield Violation(
        node.urn,
        node.name,
        f"viewerCertificate.minimumProtocolVersion is {shown} with a custom certificate; "
        f"use {TLS12_POLICIES[2]} (or another of {', '.join(TLS12_POLICIES)}).",
    )


def web_acl_check(node: Node, settings: Mapping[str, Any]) -> Iterator[Violation]:
    web_acl = node.get("webAclId")
    if is_unknown(web_acl) or (isinstance(web_acl, str) and web_acl):
        return
    yield Violation(
        node.urn,
        node.name,
        "the distribution has no web ACL (webAclId): no managed rules, no rate limit. Associate "
        "a CLOUDFRONT-scope aws.wafv2.WebAcl (created in us-east-1).",
    )


def _origin_load_balancers(graph: StackGraph, distribution: Node) -> list[Node]:
    """Load balancers a distribution uses as origins: by DNS name, or by dependency."""
    balancers = graph.of_type(*LOAD_BALANCER_TYPES)
    origins = distribution.get("origins")
    names = (
        {origin.get("domainName") for origin in as_list(origins) if isinstance(origin, dict)}
        if not is_unknown(origins)
        else set()
    )
    dependencies = set(distribution.depends_on("origins"))
    return [
        balancer
        for balancer in balancers
        if balancer.urn in dependencies
        or (_known(balancer.get("dnsName")) and balancer.get("dnsName") in names)
    ]


def _open_ingress(graph: StackGraph, group: Node) -> list[str]:
    """Where a security group admits the whole internet, inline or through rule resources."""
    rules = graph.sources(
        group, "securityGroupId", graph.of_type(INGRESS_RULE, SECURITY_GROUP_RULE)
    )
    found = []
    for node in [group, *rules]:
        for entry in ingress_entries(node):
            if any(is_whole_internet(source) for source in entry.sources):
                found.append(f"{node.name}{'.' + entry.where if entry.where else ''}")
    return found


def open_origin_check(graph: StackGraph, settings: Mapping[str, Any]) -> Iterator[Violation]:
    """A load balancer behind CloudFront should admit only CloudFront's origin-facing
    addresses (the managed prefix list), not the internet."""
    groups = graph.of_type(SECURITY_GROUP)
    for distribution in graph.of_type(DISTRIBUTION):
        for balancer in _origin_load_balancers(graph, distribution):
            attached = set(balancer.depends_on("securityGroups"))
            for group in [group for group in groups if group.urn in attached]:
                for where in _open_ingress(graph, group):
                    yield Violation(
                        balancer.urn,
                        balancer.name,
                        f"{balancer.name} is an origin of {distribution.name} but {where} admits "
                        "the internet: visitors can bypass CloudFront and its WAF. Admit only "
                        "the prefix list com.amazonaws.global.cloudfront.origin-facing.",
                    )


# --- the rules, as the pack registers them ------------------------------------------------------

CLOUDFRONT_DOCS = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/"
VIEWER_HTTPS = RuleSpec(
    name="cloudfront-viewer-https-only",
    description="Every cache behaviour of a CloudFront distribution redirects HTTP to HTTPS or "
    "refuses it.",
    level=EnforcementLevel.MANDATORY,
    remediation="Set viewer_protocol_policy='redirect-to-https' on the default and every ordered "
    "cache behaviour.",
    url=CLOUDFRONT_DOCS + "using-https-viewers-to-cloudfront.html",
)
S3_ORIGIN_OAC = RuleSpec(
    name="cloudfront-s3-origin-access-control",
    description="A distribution reads S3 only through Origin Access Control: no website "
    "endpoints, no public buckets, no legacy origin access identities.",
    level=EnforcementLevel.MANDATORY,
    remediation="Use the bucket's REST endpoint (bucket_regional_domain_name) with an "
    "aws.cloudfront.OriginAccessControl, and a bucket policy that allows "
    "cloudfront.amazonaws.com for this distribution's ARN (AWS:SourceArn) only.",
    url=CLOUDFRONT_DOCS + "private-content-restricting-access-to-s3.html",
)
VIEWER_TLS = RuleSpec(
    name="cloudfront-viewer-tls12",
    description="A distribution with a custom certificate accepts TLS 1.2 or later only.",
    level=EnforcementLevel.MANDATORY,
    remediation="Set viewer_certificate.minimum_protocol_version='TLSv1.2_2021' with "
    "ssl_support_method='sni-only'.",
    url=CLOUDFRONT_DOCS + "secure-connections-supported-viewer-protocols-ciphers.html",
)
WEB_ACL = RuleSpec(
    name="cloudfront-web-acl",
    description="A distribution should be protected by an AWS WAF web ACL.",
    level=EnforcementLevel.ADVISORY,
    remediation="Create a CLOUDFRONT-scope aws.wafv2.WebAcl in us-east-1 and set web_acl_id.",
    url="https://docs.aws.amazon.com/waf/latest/developerguide/cloudfront-features.html",
)
ORIGIN_CLOSED = RuleSpec(
    name="load-balancer-behind-cloudfront-closed",
    description="A load balancer that is a CloudFront origin should not admit the internet.",
    level=EnforcementLevel.ADVISORY,
    remediation="Admit only the managed prefix list com.amazonaws.global.cloudfront.origin-"
    "facing in the load balancer's security group, and require a secret origin header.",
    url=CLOUDFRONT_DOCS + "LocationsOfEdgeServers.html",
)
RULES = (VIEWER_HTTPS, S3_ORIGIN_OAC, VIEWER_TLS, WEB_ACL, ORIGIN_CLOSED)


def policies() -> list[Policy]:
    return [
        resource_policy(VIEWER_HTTPS, [DISTRIBUTION], viewer_https_check),
        resource_policy(S3_ORIGIN_OAC, [DISTRIBUTION], s3_origin_access_control_check),
        resource_policy(VIEWER_TLS, [DISTRIBUTION], viewer_tls_check),
        resource_policy(WEB_ACL, [DISTRIBUTION], web_acl_check),
        stack_policy(ORIGIN_CLOSED, open_origin_check),
    ]
