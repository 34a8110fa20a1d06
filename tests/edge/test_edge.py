"""The edge under the SDK's mocks: the distribution, its buckets' policies, WAF, logs, and what a
domain adds. The real program's stacks, and small programs that give the edge a load balancer
origin (the web tier's DNS name) the way the program will.

AWS facts relied on (each test names its own):
- OAC bucket policy: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
- origin failover only for GET/HEAD/OPTIONS, so custom error responses for the maintenance page:
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/high_availability_origin_failover.html
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/GeneratingCustomErrorResponses.html
- standard logging v2: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging.html
- WAF logging: https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.data.bucket_args import EncryptedBucketArgs
from components.data.buckets import EncryptedBucket
from components.edge.edge import Edge, EdgeArgs, stage_arn_of
from components.edge.parts import SiteOrigin
from components.settings import SettingsError, parse_settings
from tests.support.iam_eval import allowed_by, denied_by, get_object, put_object
from tests.support.topology import Topology
from tools.offline import Plan, PlannedResource, run_program

LOAD_BALANCER = "platform-web-alb-1234567890.us-east-1.elb.amazonaws.com"
LISTENERS = (
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/platform-web/0123/4567",
)
TARGET_GROUP = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/89ab"
LB_GROUP = "sg-0123456789abcdef0"
CLOUDFRONT = "cloudfront.amazonaws.com"
OTHER_DISTRIBUTION = "arn:aws:cloudfront::123456789012:distribution/EOTHERDISTRIB"
STAGES = (
    "arn:aws:apigateway:us-east-1::/restapis/abc123/stages/api",
    "arn:aws:apigateway:us-east-1::/restapis/def456/stages/api",
)
TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"


def edge_program(**settings: Any):
    """A program with the log, media and maintenance buckets and an edge whose site origin is a
    load balancer's DNS name, as the program wires it once the web tier exists."""

    def program() -> None:
        logs = EncryptedBucket(
            "logs", EncryptedBucketArgs(access_log_source_prefixes=("media-", "maintenance-"))
        )
        buckets = {
            role: EncryptedBucket(
                role,
                EncryptedBucketArgs(access_log_bucket=logs, service_readers=(CLOUDFRONT,)),
            )
            for role in ("media", "maintenance")
        }
        Edge(
            "edge",
            EdgeArgs(
                site_origin=SiteOrigin(LOAD_BALANCER, LISTENERS, TARGET_GROUP, LB_GROUP),
                media_bucket=buckets["media"],
                maintenance_bucket=buckets["maintenance"],
                api_stage_arns=STAGES,
                alarm_topic_arn=TOPIC,
                **settings,
            ),
        )

    return program


@pytest.fixture(scope="module")
def site() -> Plan:
    return run_program("dev", program=edge_program(admin_cidr="203.0.113.7/32"))


@pytest.fixture(scope="module")
def with_domain() -> Plan:
    overrides = {"domainName": "example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ"}
    return run_program("prod", config_overrides=overrides)


SECRET_SIG = "4dabf18193072939515e22adb298388d"  # the SDK's marker of a secret value


def reveal(value: Any) -> Any:
    """A deserialized input with secret markers unwrapped (the engine keeps them secret)."""
    if isinstance(value, dict):
        if SECRET_SIG in value:
            return reveal(value["value"])
        return {key: reveal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [reveal(item) for item in value]
    return value


def secret_strings(struct: Any) -> list[str]:
    """The plain strings sent to the engine inside secret markers, anywhere in a property."""
    found: list[str] = []
    if struct.HasField("struct_value"):
        fields = struct.struct_value.fields
        if SECRET_SIG in fields:
            found.append(fields["value"].string_value)
        for item in fields.values():
            found += secret_strings(item)
    elif struct.HasField("list_value"):
        for item in struct.list_value.values:
            found += secret_strings(item)
    return found


def distribution(plan: Plan) -> PlannedResource:
    [found] = plan.of_type("aws:cloudfront/distribution:Distribution")
    return found


def behaviours(plan: Plan) -> dict[str, dict]:
    inputs = reveal(distribution(plan).inputs)
    found = {b["pathPattern"]: b for b in inputs["orderedCacheBehaviors"]}
    return {"*": inputs["defaultCacheBehavior"], **found}


def bucket_policy(plan: Plan, bucket: str) -> dict:
    return json.loads(plan.named(f"{bucket}-policy").inputs["policy"])


def bucket_arn(plan: Plan, bucket: str) -> str:
    return plan.named(f"{bucket}-bucket").outputs["arn"]


# --- the buckets admit this distribution only -------------------------------------------------


@pytest.mark.parametrize("bucket", ["media", "maintenance"])
def test_a_bucket_behind_the_edge_admits_cloudfront_for_this_distribution_only(site, bucket):
    policy = bucket_policy(site, bucket)
    this = distribution(site).outputs["arn"]
    key = f"{bucket_arn(site, bucket)}/maintenance/index.html"
    assert allowed_by(policy, get_object(key, service=CLOUDFRONT, source_arn=this))
    assert denied_by(policy, get_object(key, service=CLOUDFRONT, source_arn=this)) == []
    # Another distribution (another account's too), an anonymous reader: no Allow at all.
    assert not allowed_by(
        policy, get_object(key, service=CLOUDFRONT, source_arn=OTHER_DISTRIBUTION)
    )
    assert not allowed_by(policy, get_object(key, service=CLOUDFRONT))
    assert not allowed_by(policy, get_object(key))
    # Reading is all it grants: CloudFront may not write, and the encryption denies still hold.
    upload = put_object(key, sse=None, service=CLOUDFRONT, source_arn=this)
    assert not allowed_by(policy, upload)
    assert "DenyUnencryptedObjectUploads" in denied_by(policy, upload)


def test_the_real_programs_media_bucket_admits_its_own_distribution(stack_plan):
    plan = stack_plan("dev")
    policy = bucket_policy(plan, "platform-media")
    key = f"{bucket_arn(plan, 'platform-media')}/media/video.mp4"
    this = distribution(plan).outputs["arn"]
    assert allowed_by(policy, get_object(key, service=CLOUDFRONT, source_arn=this))
    assert not allowed_by(
        policy, get_object(key, service=CLOUDFRONT, source_arn=OTHER_DISTRIBUTION)
    )
    # The code bucket is not served by CloudFront: no reader at all.
    code = bucket_policy(plan, "platform-code")
    code_key = f"{bucket_arn(plan, 'platform-code')}/x"
    assert not allowed_by(code, get_object(code_key, service=CLOUDFRONT, source_arn=this))


def test_a_service_reader_must_be_declared_and_is_granted_once():
    def program() -> None:
        logs = EncryptedBucket("logs", EncryptedBucketArgs(access_log_source_prefixes=("m-",)))
        bucket = EncryptedBucket(
            "m", EncryptedBucketArgs(access_log_bucket=logs, service_readers=(CLOUDFRONT,))
        )
        with pytest.raises(ValueError, match="does not list 'logging.s3.amazonaws.com'"):
            bucket.grant_service_read("logging.s3.amazonaws.com", OTHER_DISTRIBUTION)
        bucket.grant_service_read(CLOUDFRONT, OTHER_DISTRIBUTION)
        with pytest.raises(ValueError, match="does not list 'cloudfront.amazonaws.com'"):
            bucket.grant_service_read(CLOUDFRONT, OTHER_DISTRIBUTION)

    run_program("dev", program=program)


def test_service_readers_must_be_service_principals():
    with pytest.raises(ValueError, match="service_readers: 'cloudfront'"):
        EncryptedBucketArgs(
            access_log_source_prefixes=("m-",), service_readers=("cloudfront",)
        ).validate("x")


# --- the distribution ------------------------------------------------------------------------


def test_viewers_get_https_http2_and_3_ipv6_and_compression(site):
    inputs = distribution(site).inputs
    assert inputs["httpVersion"] == "http2and3"
    assert inputs["isIpv6Enabled"] is True
    for path, behaviour in behaviours(site).items():
        assert behaviour["viewerProtocolPolicy"] == "redirect-to-https", path
        assert behaviour["compress"] is True, path
    assert inputs["viewerCertificate"] == {"cloudfrontDefaultCertificate": True}


def test_both_buckets_are_origins_through_origin_access_control(site):
    origins = {o["originId"]: o for o in reveal(distribution(site).inputs["origins"])}
    [access_control] = site.of_type("aws:cloudfront/originAccessControl:OriginAccessControl")
    assert access_control.inputs["signingBehavior"] == "always"
    for origin_id in ("media", "maintenance"):
        assert origins[origin_id]["originAccessControlId"] == access_control.id
        assert origins[origin_id]["domainName"].endswith(".s3.us-east-1.amazonaws.com")
    assert origins["site"]["domainName"] == LOAD_BALANCER


def test_wordpress_pages_are_never_cached_and_static_paths_are_cached_24_hours(site):
    found = behaviours(site)
    disabled, optimized = (
        "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        "658327ea-f89d-4fab-a63d-7e88639e58f6",
    )
    all_viewer = "33f36d7e-f396-46d9-90e0-52428a34d9dc"  # AllViewerAndCloudFrontHeaders-2022-06
    for path in ("*", "wp-admin/*", "wp-login.php"):
        assert found[path]["cachePolicyId"] == disabled, path
        assert found[path]["originRequestPolicyId"] == all_viewer, path
        assert "POST" in found[path]["allowedMethods"], path
        assert found[path]["targetOriginId"] == "site"
    [static] = site.of_type("aws:cloudfront/cachePolicy:CachePolicy")
    assert static.inputs["defaultTtl"] == 86400  # the notes: 24 h
    assert static.inputs["parametersInCacheKeyAndForwardedToOrigin"]["queryStringsConfig"] == {
        "queryStringBehavior": "all"
    }
    for path in ("wp-content/*", "wp-includes/*"):
        assert found[path]["cachePolicyId"] == static.id, path
        assert found[path]["allowedMethods"] == ["GET", "HEAD"]
    for path in ("media/*", "images/*.jpg"):
        assert found[path]["targetOriginId"] == "media"
        assert found[path]["cachePolicyId"] == optimized  # default TTL 86,400 s as well


def test_security_headers_everywhere_and_the_notes_cors_rule_on_media(site):
    program = edge_program(cors_allowed_origins=("https://www.example.com",))
    plan = run_program("dev", program=program)
    policies = {
        p.id: p.inputs
        for p in plan.of_type("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
    }
    for path, behaviour in behaviours(plan).items():
        headers = policies[behaviour["responseHeadersPolicyId"]]["securityHeadersConfig"]
        assert headers["strictTransportSecurity"]["accessControlMaxAgeSec"] >= 31536000, path
        assert headers["contentTypeOptions"] == {"override": True}
    cors = policies[behaviours(plan)["media/*"]["responseHeadersPolicyId"]]["corsConfig"]
    assert cors["accessControlAllowOrigins"] == {"items": ["https://www.example.com"]}
    assert cors["accessControlAllowMethods"] == {"items": ["GET", "HEAD"]}
    assert cors["accessControlMaxAgeSec"] == 3000
    assert "corsConfig" not in policies[behaviours(plan)["*"]["responseHeadersPolicyId"]]


def test_5xx_and_unreachable_origins_show_the_maintenance_page(site):
    responses = {r["errorCode"]: r for r in distribution(site).inputs["customErrorResponses"]}
    assert set(responses) == {500, 502, 503, 504}
    for response in responses.values():
        assert response["responseCode"] == 503
        assert response["responsePagePath"].startswith("/maintenance/")
    assert behaviours(site)["maintenance/*"]["targetOriginId"] == "maintenance"
    # Not an origin group: CloudFront fails over only GET, HEAD and OPTIONS.
    assert not distribution(site).inputs.get("originGroups")


def test_the_maintenance_pages_are_uploaded_with_type_cache_and_the_encryption_header(site):
    objects = {
        o.inputs["key"]: o.inputs for o in site.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
    }
    assert set(objects) == {"maintenance/index.html", "maintenance/error.html"}
    for inputs in objects.values():
        assert inputs["contentType"] == "text/html; charset=utf-8"
        assert inputs["cacheControl"] == "public, max-age=60"
        assert inputs["serverSideEncryption"] == "AES256"
        assert inputs["bucket"] == site.named("maintenance-bucket").id


def test_without_a_web_tier_the_maintenance_page_is_the_site():
    def program() -> None:
        logs = EncryptedBucket("logs", EncryptedBucketArgs(access_log_source_prefixes=("m-", "n-")))
        buckets = [
            EncryptedBucket(
                prefix, EncryptedBucketArgs(access_log_bucket=logs, service_readers=(CLOUDFRONT,))
            )
            for prefix in ("m", "n")
        ]
        Edge("edge", EdgeArgs(media_bucket=buckets[0], maintenance_bucket=buckets[1]))

    plan = run_program("dev", program=program)
    inputs = reveal(distribution(plan).inputs)
    assert [o["originId"] for o in inputs["origins"]] == ["media", "maintenance"]
    assert inputs["defaultCacheBehavior"]["targetOriginId"] == "maintenance"
    assert inputs["defaultRootObject"] == "maintenance/index.html"
    assert not plan.of_type("aws:lb/listenerRule:ListenerRule")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_programs_load_balancer_admits_only_cloudfront_and_only_with_the_header(
    stack_plan, stack
):
    # https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/LocationsOfEdgeServers.html
    plan = stack_plan(stack)
    topology = Topology(plan)
    load_balancer = topology.security_group("load-balancer")
    assert topology.rules(load_balancer) == [
        {"protocol": "tcp", "ports": (80, 80), "peer": "pl-3b927c52"}
    ]
    [balancer] = plan.of_type("aws:lb/loadBalancer:LoadBalancer")
    origins = {o["originId"]: o for o in reveal(distribution(plan).inputs["origins"])}
    assert origins["site"]["domainName"] == balancer.outputs["dnsName"]
    [listener] = plan.of_type("aws:lb/listener:Listener")
    [rule] = plan.of_type("aws:lb/listenerRule:ListenerRule")
    assert rule.inputs["listenerArn"] == listener.outputs["arn"]
    [header] = origins["site"]["customHeaders"]
    assert reveal(rule.inputs["conditions"]) == [
        {"httpHeader": {"httpHeaderName": header["name"], "values": [header["value"]]}}
    ]
    assert listener.inputs["defaultActions"][0]["fixedResponse"]["statusCode"] == "403"


def test_access_logs_use_standard_logging_v2_into_cloudwatch_in_us_east_1(site):
    provider = next(r for r in site.of_type("pulumi:providers:aws"))
    assert provider.inputs["region"] == "us-east-1"
    [source] = site.of_type("aws:cloudwatch/logDeliverySource:LogDeliverySource")
    [destination] = site.of_type("aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination")
    [delivery] = site.of_type("aws:cloudwatch/logDelivery:LogDelivery")
    assert source.inputs["logType"] == "ACCESS_LOGS"
    assert source.inputs["resourceArn"] == distribution(site).outputs["arn"]
    log_group = site.named("edge-cdn-access-logs")
    assert destination.inputs["deliveryDestinationConfiguration"] == {
        "destinationResourceArn": log_group.outputs["arn"]
    }
    assert delivery.inputs["deliverySourceName"] == source.inputs["name"]
    for resource in (source, destination, delivery, log_group):
        assert resource.provider.startswith(provider.urn), resource.name
    # No legacy S3 logging (it needs ACLs, which BucketOwnerEnforced buckets refuse).
    assert "loggingConfig" not in distribution(site).inputs


# --- the origin secret -----------------------------------------------------------------------


def test_the_origin_secret_is_sent_by_cloudfront_and_never_in_plain_outputs(site, stack_plan):
    [password] = site.of_type("random:index/randomPassword:RandomPassword")
    secret = password.outputs["result"]
    origins = reveal(distribution(site).inputs["origins"])
    [origin] = [o for o in origins if o["originId"] == "site"]
    assert origin["customHeaders"] == [{"name": "X-Origin-Verify", "value": secret}]
    # The engine receives the header's value as a secret (state keeps it encrypted)...
    assert secret_strings(distribution(site).properties.fields["origins"]) == [secret]
    # The load balancer forwards only requests that carry it; its value reaches the engine secret.
    [rule] = site.of_type("aws:lb/listenerRule:ListenerRule")
    condition = reveal(rule.inputs["conditions"])
    assert condition == [{"httpHeader": {"httpHeaderName": "X-Origin-Verify", "values": [secret]}}]
    assert secret_strings(rule.properties.fields["conditions"]) == [secret]
    assert rule.inputs["listenerArn"] == LISTENERS[0]
    assert rule.inputs["actions"] == [{"type": "forward", "targetGroupArn": TARGET_GROUP}]
    # ...and the stack outputs of the real program never hold it.
    plan = stack_plan("dev")
    real = plan.named("platform-edge-cdn-origin-secret")
    assert real.outputs["result"] not in json.dumps(plan.exports)
    assert len(real.outputs["result"]) >= 32


def test_the_load_balancer_admits_only_cloudfronts_origin_facing_prefix_list(site):
    # https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/LocationsOfEdgeServers.html
    [rule] = site.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["securityGroupId"] == LB_GROUP
    assert rule.inputs["prefixListId"] == "pl-3b927c52"  # the mocks' origin-facing list
    assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["ipProtocol"]) == (
        80,
        80,
        "tcp",
    )
    assert "cidrIpv4" not in rule.inputs and "cidrIpv6" not in rule.inputs


# --- WAF -------------------------------------------------------------------------------------


def web_acls(plan: Plan) -> dict[str, dict]:
    return {acl.inputs["scope"]: acl for acl in plan.of_type("aws:wafv2/webAcl:WebAcl")}


def test_the_global_web_acl_is_in_us_east_1_and_protects_the_distribution(site):
    acl = web_acls(site)["CLOUDFRONT"]
    provider = next(r for r in site.of_type("pulumi:providers:aws"))
    assert acl.provider.startswith(provider.urn)
    assert distribution(site).inputs["webAclId"] == acl.outputs["arn"]
    rules = {rule["name"]: rule for rule in acl.inputs["rules"]}
    for group in (
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
        "AWSManagedRulesWordPressRuleSet",
        "AWSManagedRulesPHPRuleSet",
    ):
        statement = rules[group]["statement"]["managedRuleGroupStatement"]
        assert statement["vendorName"] == "AWS" and statement["name"] == group
    rate = rules["rate-limit-per-ip"]["statement"]["rateBasedStatement"]
    assert rate == {"limit": 2000, "aggregateKeyType": "IP", "evaluationWindowSec": 300}
    priorities = [rule["priority"] for rule in acl.inputs["rules"]]
    assert len(set(priorities)) == len(priorities)


def test_admin_pages_only_from_admin_cidr(site, stack_plan):
    rules = {rule["name"]: rule for rule in web_acls(site)["CLOUDFRONT"].inputs["rules"]}
    [ip_set] = site.of_type("aws:wafv2/ipSet:IpSet")
    assert ip_set.inputs["addresses"] == ["203.0.113.7/32"]
    assert ip_set.inputs["scope"] == "CLOUDFRONT"
    admin = json.dumps(rules["admin-from-admin-cidr"]["statement"])
    for text in ("/wp-admin", "/wp-login.php", "/wp-admin/admin-ajax.php", ip_set.outputs["arn"]):
        assert text in admin
    assert rules["admin-from-admin-cidr"]["action"] == {"block": {}}
    # dev sets no adminCidr: no admin rule, no IP set.
    dev = {rule["name"] for rule in web_acls(stack_plan("dev"))["CLOUDFRONT"].inputs["rules"]}
    assert "admin-from-admin-cidr" not in dev


def test_waf_logs_go_to_an_aws_waf_logs_group_with_cookies_and_authorization_redacted(site):
    configs = site.of_type("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    assert len(configs) == 2
    for config in configs:
        [destination] = config.inputs["logDestinationConfigs"]
        group = next(
            g
            for g in site.of_type("aws:cloudwatch/logGroup:LogGroup")
            if g.outputs["arn"] == destination
        )
        assert group.inputs["name"].startswith("aws-waf-logs-")
        redacted = {field["singleHeader"]["name"] for field in config.inputs["redactedFields"]}
        assert redacted == {"authorization", "cookie"}


def test_the_regional_web_acl_protects_both_api_stages(site):
    regional = web_acls(site)["REGIONAL"]
    assert not regional.provider.startswith(next(iter(site.of_type("pulumi:providers:aws"))).urn)
    rules = {rule["name"]: rule for rule in regional.inputs["rules"]}
    # AWS's baseline groups (core rule set; known bad inputs: Log4j, Java deserialization,
    # localhost Host headers), as on the CloudFront ACL; vendor "AWS", names as AWS lists them:
    # https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html
    assert list(rules) == [
        "rate-limit-per-ip",
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
    ]
    for group in ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"):
        statement = rules[group]["statement"]["managedRuleGroupStatement"]
        assert statement["vendorName"] == "AWS" and statement["name"] == group
        assert rules[group]["overrideAction"] == {"none": {}}  # the group's own block actions
    priorities = [rule["priority"] for rule in rules.values()]
    assert len(set(priorities)) == len(priorities)
    associations = site.of_type("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert sorted(a.inputs["resourceArn"] for a in associations) == sorted(STAGES)
    assert {a.inputs["webAclArn"] for a in associations} == {regional.outputs["arn"]}


# --- with a domain ---------------------------------------------------------------------------


def test_a_domain_adds_certificates_validation_aliases_api_domain_and_health_check(with_domain):
    plan = with_domain
    provider = next(r for r in plan.of_type("pulumi:providers:aws") if "edge" in r.name)
    certificates = {
        c.inputs["domainName"]: c for c in plan.of_type("aws:acm/certificate:Certificate")
    }
    assert set(certificates) == {"example.com", "md5sum.example.com"}
    assert certificates["example.com"].provider.startswith(provider.urn)  # CloudFront: us-east-1
    assert not certificates["md5sum.example.com"].provider.startswith(provider.urn)
    validations = plan.of_type("aws:acm/certificateValidation:CertificateValidation")
    assert len(validations) == 2
    records = {
        (r.inputs["name"], r.inputs["type"]): r.inputs
        for r in plan.of_type("aws:route53/record:Record")
    }
    assert len([key for key in records if key[0].startswith("_")]) == 2
    for record_type in ("A", "AAAA"):
        [alias] = records["example.com", record_type]["aliases"]
        assert alias["zoneId"] == "Z2FDTNDATAQYW2" and alias["name"].endswith(".cloudfront.net")
    caa = records["example.com", "CAA"]["records"]
    assert '0 issue "amazon.com"' in caa and '0 issuewild ";"' in caa
    viewer = distribution(plan).inputs["viewerCertificate"]
    assert viewer["minimumProtocolVersion"] == "TLSv1.2_2021"
    assert viewer["sslSupportMethod"] == "sni-only"
    assert distribution(plan).inputs["aliases"] == ["example.com"]
    [domain] = plan.of_type("aws:apigateway/domainName:DomainName")
    assert domain.inputs["domainName"] == "md5sum.example.com"
    assert domain.inputs["securityPolicy"] == "TLS_1_2"
    assert domain.inputs["endpointConfiguration"] == {"types": "REGIONAL"}
    [mapping] = plan.of_type("aws:apigateway/basePathMapping:BasePathMapping")
    assert mapping.inputs["stageName"] == "api"
    assert plan.named("md5-api-rest-api").inputs["disableExecuteApiEndpoint"] is True
    assert (
        records["md5sum.example.com", "A"]["aliases"][0]["name"]
        == domain.outputs["regionalDomainName"]
    )
    [check] = plan.of_type("aws:route53/healthCheck:HealthCheck")
    assert (check.inputs["fqdn"], check.inputs["resourcePath"]) == ("example.com", "/healthy.html")
    alarm = plan.named("platform-edge-dns-site-down")
    assert alarm.provider.startswith(provider.urn)  # health-check metrics live in us-east-1
    assert alarm.inputs["alarmActions"] == [plan.exports["alertTopicArn"]]
    assert plan.exports["siteUrl"] == "https://example.com/"
    assert plan.exports["md5ApiUrl"] == "https://md5sum.example.com"


def test_without_a_domain_the_site_is_the_distributions_own_https_address(stack_plan):
    plan = stack_plan("dev")
    assert plan.exports["siteUrl"] == f"https://{distribution(plan).outputs['domainName']}/"
    assert not plan.of_type("aws:acm/certificate:Certificate")
    assert not plan.of_type("aws:route53/record:Record")
    assert distribution(plan).inputs["aliases"] == []


def test_the_programs_regional_web_acl_is_on_both_api_stages(stack_plan):
    # The monitor's stage ARN is derived from its invoke URL: it must be the stage's own ARN.
    plan = stack_plan("dev")
    stages = {stage.outputs["arn"] for stage in plan.of_type("aws:apigateway/stage:Stage")}
    associations = plan.of_type("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert len(stages) == 2
    assert {a.inputs["resourceArn"] for a in associations} == stages


def test_a_url_that_is_not_a_stage_invoke_url_is_refused():
    with pytest.raises(ValueError, match="not a REST API stage's invoke URL"):
        stage_arn_of("https://md5sum.example.com")


@pytest.mark.slow
def test_the_plan_command_never_prints_or_saves_the_origin_secret(stack_plan, tmp_path, capsys):
    from tools import plan as plan_command

    saved = tmp_path / "plan.json"
    assert plan_command.main(["dev", "--no-policy", "--json", str(saved)]) == 0
    secret = stack_plan("dev").named("platform-edge-cdn-origin-secret").outputs["result"]
    printed = capsys.readouterr()
    assert "platform-edge-cdn-origin-secret" in printed.out  # the resource is planned...
    assert secret not in printed.out + printed.err  # ...its value is not shown
    assert secret not in saved.read_text()


def test_a_domain_outside_us_east_1_is_refused_before_anything_is_planned():
    """Route 53 health-check metrics exist in us-east-1 only
    (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html),
    and a CloudWatch alarm's SNS action must be a topic in the alarm's own Region
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html):
    the site's alarm cannot reach the alert topic of a stack in another Region."""
    with pytest.raises(SettingsError) as failure:
        parse_settings(
            {"domainName": "example.org"}, project="platform", stack="dev", region="eu-west-1"
        )
    (problem,) = failure.value.problems
    assert problem.startswith("platform:domainName = 'example.org' needs aws:region us-east-1")
    assert "eu-west-1" in problem
    in_us_east_1 = parse_settings(
        {"domainName": "example.org"}, project="platform", stack="dev", region="us-east-1"
    )
    assert in_us_east_1.edge.domain_name == "example.org"
