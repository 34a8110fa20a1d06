"""The edge rules of the policy pack: called directly on constructed resources, and through the
analyzer protocol on insecure twins of the edge (raw CloudFront resources) and on the edge the
program builds.

AWS facts:
- viewer protocol policy: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-viewers-to-cloudfront.html
- S3 website endpoints cannot use OAC: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
- security policies (TLSv1 is the default with a custom certificate):
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-viewer-protocols-ciphers.html
- the origin-facing prefix list: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/LocationsOfEdgeServers.html
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pulumi
import pulumi_aws as aws
import pytest

from tests.edge.test_edge import edge_program
from tests.support.policy_support import UNKNOWN, resource, run_resource_policy, run_stack_policy
from tools.offline import Plan, run_program
from tools.policy_gate import GateResult, PolicyAnalyzer, run_gate

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
LB = "aws:lb/loadBalancer:LoadBalancer"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"


def behaviour(policy: str, path: str | None = None) -> dict:
    found = {"viewerProtocolPolicy": policy, "targetOriginId": "site"}
    return {**found, "pathPattern": path} if path else found


# --- direct ----------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["allow-all", "http-only"])
def test_any_behaviour_that_allows_plain_http_is_reported(policy):
    props = {
        "defaultCacheBehavior": behaviour("redirect-to-https"),
        "orderedCacheBehaviors": [behaviour("https-only", "a/*"), behaviour(policy, "media/*")],
    }
    [message] = run_resource_policy("cloudfront-viewer-https-only", DISTRIBUTION, props)
    assert "orderedCacheBehaviors[1] (media/*)" in message and repr(policy) in message
    props["defaultCacheBehavior"] = behaviour(policy)
    assert len(run_resource_policy("cloudfront-viewer-https-only", DISTRIBUTION, props)) == 2


def test_https_behaviours_and_unknown_policies_pass():
    props = {
        "defaultCacheBehavior": behaviour("redirect-to-https"),
        "orderedCacheBehaviors": [behaviour("https-only", "a/*"), behaviour(UNKNOWN, "b/*")],
    }
    assert run_resource_policy("cloudfront-viewer-https-only", DISTRIBUTION, props) == []
    assert (
        run_resource_policy(
            "cloudfront-viewer-https-only", DISTRIBUTION, {"orderedCacheBehaviors": UNKNOWN}
        )
        == []
    )


@pytest.mark.parametrize(
    ("origin", "mentions"),
    [
        ({"originId": "w", "domainName": "b.s3-website-us-east-1.amazonaws.com",
          "customOriginConfig": {"originProtocolPolicy": "http-only"}}, "website endpoint"),
        ({"originId": "w", "domainName": "b.s3-website.eu-west-1.amazonaws.com"}, "website endpoint"),
        ({"originId": "r", "domainName": "b.s3.us-east-1.amazonaws.com"}, "without Origin Access Control"),
        ({"originId": "r", "domainName": "b.s3.amazonaws.com",
          "s3OriginConfig": {"originAccessIdentity": "origin-access-identity/cloudfront/E1"}}, "legacy"),
        ({"originId": "r", "domainName": UNKNOWN, "s3OriginConfig": {"originAccessIdentity": ""},
          "originAccessControlId": ""}, "without Origin Access Control"),
    ],
)  # fmt: skip
def test_an_s3_origin_without_origin_access_control_is_reported(origin, mentions):
    [message] = run_resource_policy(
        "cloudfront-s3-origin-access-control", DISTRIBUTION, {"origins": [origin]}
    )
    assert mentions in message and f"({origin['originId']})" in message


def test_s3_through_oac_custom_origins_and_unknown_values_pass():
    origins = [
        {"originId": "m", "domainName": "b.s3.us-east-1.amazonaws.com", "originAccessControlId": "E2"},
        {"originId": "p", "domainName": UNKNOWN, "s3OriginConfig": {}, "originAccessControlId": UNKNOWN},
        {"originId": "site", "domainName": "alb-1.us-east-1.elb.amazonaws.com"},
    ]  # fmt: skip
    assert (
        run_resource_policy(
            "cloudfront-s3-origin-access-control", DISTRIBUTION, {"origins": origins}
        )
        == []
    )


@pytest.mark.parametrize("version", ["TLSv1", "TLSv1_2016", "TLSv1.1_2016", "SSLv3", None])
def test_a_custom_certificate_below_tls_1_2_is_reported(version):
    certificate = {"acmCertificateArn": CERTIFICATE, "sslSupportMethod": "sni-only"}
    if version is not None:
        certificate["minimumProtocolVersion"] = version
    props = {"viewerCertificate": certificate}
    [message] = run_resource_policy("cloudfront-viewer-tls12", DISTRIBUTION, props)
    assert (version or "unset") in message and "TLSv1.2_2021" in message


@pytest.mark.parametrize(
    "certificate",
    [
        {"acmCertificateArn": CERTIFICATE, "minimumProtocolVersion": "TLSv1.2_2021"},
        {"acmCertificateArn": UNKNOWN, "minimumProtocolVersion": UNKNOWN},
        {"cloudfrontDefaultCertificate": True},
    ],
)
def test_tls_1_2_unknown_and_the_default_certificate_pass(certificate):
    props = {"viewerCertificate": certificate}
    assert run_resource_policy("cloudfront-viewer-tls12", DISTRIBUTION, props) == []


def test_a_distribution_without_web_acl_is_advised():
    [message] = run_resource_policy("cloudfront-web-acl", DISTRIBUTION, {})
    assert "no web ACL" in message
    for web_acl in ("arn:aws:wafv2:us-east-1:1:global/webacl/a/b", UNKNOWN):
        assert run_resource_policy("cloudfront-web-acl", DISTRIBUTION, {"webAclId": web_acl}) == []


def _origin_stack(source: dict) -> list:
    group = resource(SG, "lb-sg", {"ingress": []})
    rule = resource(INGRESS, "lb-https", {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, **source},
                    depends={"securityGroupId": [group]})  # fmt: skip
    balancer = resource(LB, "alb", {"dnsName": UNKNOWN}, depends={"securityGroups": [group]})
    distribution = resource(
        DISTRIBUTION, "cdn", {"origins": UNKNOWN}, depends={"origins": [balancer]}
    )
    return [group, rule, balancer, distribution]


def test_a_load_balancer_behind_cloudfront_open_to_the_internet_is_advised():
    [(message, urn)] = run_stack_policy(
        "load-balancer-behind-cloudfront-closed", _origin_stack({"cidrIpv4": "0.0.0.0/0"})
    )
    assert "alb is an origin of cdn" in message and "lb-https" in message and urn.endswith("::alb")
    prefix_list = {"prefixListId": "pl-3b927c52"}
    assert (
        run_stack_policy("load-balancer-behind-cloudfront-closed", _origin_stack(prefix_list)) == []
    )


# --- through the analyzer protocol -----------------------------------------------------------


@pytest.fixture(scope="module")
def gate() -> Iterator[Callable[[Plan], GateResult]]:
    with PolicyAnalyzer() as analyzer:
        yield lambda plan: run_gate(plan, analyzer, None)


# The media bucket's REST endpoint (the bucket itself is not part of these twins).
BUCKET_DOMAIN = "twin-media-bucket.s3.us-east-1.amazonaws.com"


def _twin(
    origins: list, *, viewer: str = "redirect-to-https", certificate: dict | None = None
) -> aws.cloudfront.Distribution:
    return aws.cloudfront.Distribution(
        "twin-cdn",
        enabled=True,
        origins=origins,
        default_cache_behavior={
            "target_origin_id": "media",
            "viewer_protocol_policy": viewer,
            "allowed_methods": ["GET", "HEAD"],
            "cached_methods": ["GET", "HEAD"],
            "cache_policy_id": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
        restrictions={"geo_restriction": {"restriction_type": "none"}},
        viewer_certificate=certificate or {"cloudfront_default_certificate": True},
        web_acl_id="arn:aws:wafv2:us-east-1:123456789012:global/webacl/twin/1",
    )


def _oac_origin() -> dict:
    oac = aws.cloudfront.OriginAccessControl(
        "twin-oac", origin_access_control_origin_type="s3", signing_behavior="always",
        signing_protocol="sigv4")  # fmt: skip
    return {"origin_id": "media", "domain_name": BUCKET_DOMAIN, "origin_access_control_id": oac.id}


def twin_http_viewers() -> None:
    _twin([_oac_origin()], viewer="allow-all")


def twin_public_s3_origin() -> None:
    _twin(
        [
            {
                "origin_id": "media",
                "domain_name": "twin-media-bucket.s3-website-us-east-1.amazonaws.com",
                "custom_origin_config": {
                    "http_port": 80, "https_port": 443, "origin_protocol_policy": "http-only",
                    "origin_ssl_protocols": ["TLSv1.2"],
                },
                # A secret header must not hide the origin from the rule.
                "custom_headers": [{"name": "X-Origin-Verify", "value": pulumi.Output.secret("s")}],
            }
        ]
    )  # fmt: skip


def twin_tls10_custom_certificate() -> None:
    certificate = {"acm_certificate_arn": CERTIFICATE, "ssl_support_method": "sni-only",
                   "minimum_protocol_version": "TLSv1"}  # fmt: skip
    _twin([_oac_origin()], certificate=certificate)


def twin_secure() -> None:
    certificate = {"acm_certificate_arn": CERTIFICATE, "ssl_support_method": "sni-only",
                   "minimum_protocol_version": "TLSv1.2_2021"}  # fmt: skip
    _twin([_oac_origin()], certificate=certificate)


@pytest.mark.parametrize(
    ("program", "policy"),
    [
        (twin_http_viewers, "cloudfront-viewer-https-only"),
        (twin_public_s3_origin, "cloudfront-s3-origin-access-control"),
        (twin_tls10_custom_certificate, "cloudfront-viewer-tls12"),
    ],
)
@pytest.mark.parametrize("preview", [False, True])
def test_insecure_edge_twins_are_blocked(gate, program, policy, preview):
    result = gate(run_program("dev", program=program, preview=preview))
    assert [v.policy for v in result.mandatory] == [policy], result.render()
    assert result.mandatory[0].resource_name == "twin-cdn"


def test_the_secure_twin_and_the_edge_with_a_site_origin_pass(gate):
    assert gate(run_program("dev", program=twin_secure)).mandatory == []
    result = gate(run_program("dev", program=edge_program(admin_cidr="203.0.113.7/32")))
    assert result.mandatory == [], result.render()
    assert not result.by_policy("cloudfront-web-acl")
    assert not [v for v in result.violations if "can't run policy" in v.message]


def test_without_a_web_acl_the_pack_advises(gate):
    def program() -> None:
        aws.cloudfront.Distribution(
            "bare-cdn",
            enabled=True,
            origins=[_oac_origin()],
            default_cache_behavior={
                "target_origin_id": "media", "viewer_protocol_policy": "https-only",
                "allowed_methods": ["GET", "HEAD"], "cached_methods": ["GET", "HEAD"],
            },
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate={"cloudfront_default_certificate": True},
        )  # fmt: skip

    result = gate(run_program("dev", program=program))
    assert result.mandatory == []
    [advice] = result.by_policy("cloudfront-web-acl")
    assert advice.level == "advisory" and advice.resource_name == "bare-cdn"


@pytest.mark.parametrize("preview", [False, True])
def test_a_stack_with_a_domain_passes_in_preview_and_update(gate, preview):
    overrides = {"domainName": "example.com", "adminCidr": "203.0.113.7/32"}
    result = gate(run_program("prod", config_overrides=overrides, preview=preview))
    assert result.mandatory == [], result.render()
    assert not [v for v in result.violations if "can't run policy" in v.message]


def _edge_before_a_load_balancer(*, open_to_internet: bool) -> Callable[[], None]:
    """The real Edge in front of a raw load balancer whose group is open or left to the edge."""
    from components.data.bucket_args import EncryptedBucketArgs
    from components.data.buckets import EncryptedBucket
    from components.edge.edge import Edge, EdgeArgs
    from components.edge.parts import SiteOrigin

    def program() -> None:
        group = aws.ec2.SecurityGroup("twin-lb-sg", description="twin load balancer")
        if open_to_internet:
            aws.vpc.SecurityGroupIngressRule(
                "twin-lb-https-world", security_group_id=group.id, ip_protocol="tcp",
                from_port=443, to_port=443, cidr_ipv4="0.0.0.0/0",
            )  # fmt: skip
        balancer = aws.lb.LoadBalancer("twin-alb", security_groups=[group.id], subnets=["a", "b"])
        logs = EncryptedBucket("logs", EncryptedBucketArgs(access_log_source_prefixes=("m-", "n-")))
        buckets = [
            EncryptedBucket(p, EncryptedBucketArgs(access_log_bucket=logs, service_readers=("cloudfront.amazonaws.com",)))
            for p in ("m", "n")
        ]  # fmt: skip
        site = SiteOrigin(balancer.dns_name, security_group_id=group.id)
        Edge(
            "edge",
            EdgeArgs(site_origin=site, media_bucket=buckets[0], maintenance_bucket=buckets[1]),
        )

    return program


def test_a_load_balancer_behind_the_edge_still_open_to_the_internet_is_advised(gate):
    result = gate(run_program("dev", program=_edge_before_a_load_balancer(open_to_internet=True)))
    assert result.mandatory == []
    [advice] = result.by_policy("load-balancer-behind-cloudfront-closed")
    assert advice.level == "advisory" and advice.resource_name == "twin-alb"
    assert "twin-lb-https-world" in advice.message
    closed = gate(run_program("dev", program=_edge_before_a_load_balancer(open_to_internet=False)))
    assert not closed.by_policy("load-balancer-behind-cloudfront-closed")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_programs_load_balancer_is_not_advised_open(gate, stack_plan, stack):
    assert not gate(stack_plan(stack)).by_policy("load-balancer-behind-cloudfront-closed")
