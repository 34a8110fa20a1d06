"""The web tier under mocks: where its parts sit, who may reach them, what the nodes may do,
and the policy pack's view of insecure twins of the stack."""

from __future__ import annotations

import json
import runpy
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from components.settings import SettingsError, parse_settings
from tests.support.topology import Topology
from tools.offline import PROJECT_ROOT, Plan, ProgramFailed, run_program
from tools.policy_gate import PolicyAnalyzer, run_gate

LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
GROUP = "aws:autoscaling/group:Group"
SUBNET = "aws:ec2/subnet:Subnet"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
STACKS = ("dev", "prod")


def one(plan: Plan, resource_type: str) -> Any:
    [found] = plan.of_type(resource_type)
    return found


def subnet_names(plan: Plan, ids: list[str]) -> list[str]:
    by_id = {subnet.id: subnet.name for subnet in plan.of_type(SUBNET)}
    return sorted(by_id[subnet_id] for subnet_id in ids)


@pytest.mark.parametrize("stack", STACKS)
def test_the_load_balancer_is_public_in_every_az_and_the_nodes_private_in_every_az(
    stack_plan, stack
):
    plan = stack_plan(stack)
    zones = plan.exports["availabilityZones"]
    balancer, group = one(plan, LB), one(plan, GROUP)
    assert balancer.inputs["internal"] is False
    assert balancer.inputs["loadBalancerType"] == "application"
    public = subnet_names(plan, balancer.inputs["subnets"])
    private = subnet_names(plan, group.inputs["vpcZoneIdentifiers"])
    assert public == [f"platform-public-{index + 1}" for index in range(len(zones))]
    assert private == [f"platform-private-{index + 1}" for index in range(len(zones))]
    topology = Topology(plan)
    for subnet in topology.subnets("private"):
        assert subnet.id in group.inputs["vpcZoneIdentifiers"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_load_balancer_drops_bad_headers_and_logs_to_the_log_bucket(stack_plan, stack):
    plan = stack_plan(stack)
    balancer = one(plan, LB)
    assert balancer.inputs["dropInvalidHeaderFields"] is True
    assert balancer.inputs["desyncMitigationMode"] == "defensive"
    assert balancer.inputs["enableDeletionProtection"] is (stack == "prod")
    logs = balancer.inputs["accessLogs"]
    assert logs == {
        "bucket": plan.exports["accessLogBucketName"],
        "prefix": "load-balancer",
        "enabled": True,
    }
    # ELB tests its write access when logging is switched on: the policy must exist first.
    log_policy = plan.named("platform-access-logs-policy")
    assert log_policy.urn in balancer.property_dependencies["accessLogs"]


@pytest.mark.parametrize("stack", STACKS)
def test_security_groups_chain_internet_to_load_balancer_to_app_to_data(stack_plan, stack):
    plan = stack_plan(stack)
    topology = Topology(plan)
    balancer = one(plan, LB)
    load_balancer_group = topology.security_group("load-balancer")
    app = topology.security_group("app")
    assert balancer.inputs["securityGroups"] == [load_balancer_group.id]
    assert topology.rules(app) == [{"protocol": "tcp", "ports": (80, 80), "peer": "load-balancer"}]
    assert topology.rules(topology.security_group("database")) == [
        {"protocol": "tcp", "ports": (3306, 3306), "peer": "app"}
    ]
    assert topology.rules(topology.security_group("file-system")) == [
        {"protocol": "tcp", "ports": (2049, 2049), "peer": "app"}
    ]
    [interface] = one(plan, LAUNCH_TEMPLATE).inputs["networkInterfaces"]
    assert interface["securityGroups"] == [app.id]
    assert interface["associatePublicIpAddress"] == "false"


@pytest.mark.parametrize("stack", STACKS)
def test_nodes_launch_al2023_from_ssm_with_imdsv2_encrypted_gp3_and_no_key(stack_plan, stack):
    template = one(stack_plan(stack), LAUNCH_TEMPLATE)
    inputs = template.inputs
    # AWS's public parameter of the current AL2023 image, resolved by EC2 at launch:
    # https://docs.aws.amazon.com/linux/al2023/ug/ec2.html#launch-from-ssm
    # https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/create-launch-template.html#use-an-ssm-parameter-instead-of-an-ami-id
    assert inputs["imageId"] == (
        "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
    )
    assert inputs["instanceType"] == "t4g.small"
    assert inputs["metadataOptions"]["httpTokens"] == "required"
    assert inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1
    assert "keyName" not in inputs
    [root] = inputs["blockDeviceMappings"]
    assert root["ebs"] == {
        "volumeSize": 20,
        "volumeType": "gp3",
        "encrypted": "true",
        "deleteOnTermination": "true",
    }
    assert inputs["monitoring"] == {"enabled": False}
    assert "aws:ec2/launchConfiguration:LaunchConfiguration" not in {
        r.type for r in stack_plan(stack).resources
    }


def test_prod_runs_at_least_two_nodes_over_at_least_two_azs_and_replaces_on_change(stack_plan):
    plan = stack_plan("prod")
    group = one(plan, GROUP)
    assert group.inputs["minSize"] >= 2 and group.inputs["desiredCapacity"] >= 2
    assert len(set(group.inputs["vpcZoneIdentifiers"])) >= 2
    assert group.inputs["healthCheckType"] == "ELB"
    assert group.inputs["healthCheckGracePeriod"] == 300
    assert group.inputs["targetGroupArns"] == [one(plan, TARGET_GROUP).outputs["arn"]]
    assert group.inputs["instanceRefresh"]["strategy"] == "Rolling"
    template = one(plan, LAUNCH_TEMPLATE)
    assert group.inputs["launchTemplate"] == {"id": template.id, "version": "1"}
    policy = one(plan, "aws:autoscaling/policy:Policy")
    tracking = policy.inputs["targetTrackingConfiguration"]
    spec = tracking["predefinedMetricSpecification"]
    assert spec["predefinedMetricType"] == "ALBRequestCountPerTarget"
    balancer, targets = one(plan, LB), one(plan, TARGET_GROUP)
    assert (
        spec["resourceLabel"] == f"{balancer.outputs['arnSuffix']}/{targets.outputs['arnSuffix']}"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_the_target_group_checks_healthy_html_and_drains(stack_plan, stack):
    targets = one(stack_plan(stack), TARGET_GROUP)
    assert targets.inputs["protocol"] == "HTTP" and targets.inputs["port"] == 80
    assert targets.inputs["healthCheck"] == {
        "enabled": True,
        "protocol": "HTTP",
        "path": "/healthy.html",
        "port": "traffic-port",
        "interval": 15,
        "timeout": 5,
        "healthyThreshold": 2,
        "unhealthyThreshold": 3,
        "matcher": "200",
    }
    assert targets.inputs["deregistrationDelay"] == 30
    assert targets.inputs["stickiness"]["enabled"] is False


FORBIDDEN = [
    {
        "type": "fixed-response",
        "fixedResponse": {
            "contentType": "text/plain",
            "messageBody": "Forbidden",
            "statusCode": "403",
        },
    }
]


def test_without_a_certificate_port_80_answers_403_unless_the_edges_rule_forwards(stack_plan):
    # Behind the edge: only requests with CloudFront's secret header reach the nodes.
    plan = stack_plan("dev")
    [listener] = plan.of_type(LISTENER)
    assert listener.inputs["port"] == 80 and listener.inputs["protocol"] == "HTTP"
    assert listener.inputs["defaultActions"] == FORBIDDEN
    [rule] = plan.of_type("aws:lb/listenerRule:ListenerRule")
    assert rule.inputs["listenerArn"] == listener.outputs["arn"]
    assert rule.inputs["actions"][0]["type"] == "forward"
    assert plan.exports["loadBalancerUrl"] == f"http://{plan.exports['loadBalancerDnsName']}/"


def test_with_a_certificate_https_uses_tls_1_3_and_port_80_redirects():
    plan = run_program("dev", config_overrides={"webCertificateArn": CERTIFICATE})
    listeners = {listener.inputs["port"]: listener.inputs for listener in plan.of_type(LISTENER)}
    assert listeners[443]["protocol"] == "HTTPS"
    # TLS 1.3 and 1.2 with forward secrecy, AWS's recommended HTTPS policy:
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
    assert listeners[443]["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert listeners[443]["certificateArn"] == CERTIFICATE
    assert listeners[443]["defaultActions"] == FORBIDDEN
    assert listeners[80]["defaultActions"] == [
        {
            "type": "redirect",
            "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"},
        }
    ]
    assert plan.exports["loadBalancerUrl"].startswith("https://")


def node_statements(plan: Plan) -> dict[str, dict]:
    """Every statement the node role's own policies hold, by Sid."""
    role = plan.named("platform-web-node-role")
    statements: dict[str, dict] = {}
    for policy in plan.of_type("aws:iam/rolePolicy:RolePolicy"):
        if policy.inputs["role"] == role.id:
            for statement in json.loads(policy.inputs["policy"])["Statement"]:
                statements[statement["Sid"]] = statement
    return statements


@pytest.mark.parametrize("stack", STACKS)
def test_the_node_role_may_do_exactly_what_a_node_does(stack_plan, stack):
    plan = stack_plan(stack)
    role = plan.named("platform-web-node-role")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    attachments = [
        attachment.inputs["policyArn"]
        for attachment in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if attachment.inputs["role"] == role.outputs["name"]
    ]
    assert attachments == ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]
    media = plan.named("platform-media-bucket").outputs["arn"]
    instance = one(plan, "aws:rds/instance:Instance")
    file_system = plan.named("platform-files-efs")
    access_point = plan.named("platform-files-access-point")
    statements = node_statements(plan)
    actions = {sid: (s["Action"], s["Resource"]) for sid, s in statements.items()}
    assert actions == {
        "ReadTheDatabaseAndSaltSecrets": (
            "secretsmanager:GetSecretValue",
            [
                instance.outputs["masterUserSecrets"][0]["secretArn"],
                plan.named("platform-web-salts").outputs["arn"],
            ],
        ),
        "MountWpContentThroughTheAccessPoint": (
            ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
            file_system.outputs["arn"],
        ),
        "ListBucket": (["s3:ListBucket", "s3:GetBucketLocation"], media),
        "ReadObjects": (["s3:GetObject", "s3:GetObjectVersion"], f"{media}/*"),
        "PutEncryptedObjects": ("s3:PutObject", f"{media}/*"),
        "DeleteObjectsAndAbortUploads": (
            ["s3:DeleteObject", "s3:AbortMultipartUpload"],
            f"{media}/*",
        ),
    }
    mount = statements["MountWpContentThroughTheAccessPoint"]
    assert mount["Condition"] == {
        "StringEquals": {"elasticfilesystem:AccessPointArn": access_point.outputs["arn"]}
    }
    profile = one(plan, "aws:iam/instanceProfile:InstanceProfile")
    assert profile.inputs["role"] == role.outputs["name"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_salts_are_a_secret_value_and_never_an_output(stack_plan, stack):
    plan = stack_plan(stack)
    version = plan.named("platform-web-salts-value")
    wire = json.dumps(
        version.properties.fields["secretString"].struct_value.fields["value"].string_value
    )
    salts = json.loads(json.loads(wire))
    assert len(salts) == 8 and all(len(value) == 64 for value in salts.values())
    assert all(value not in json.dumps(plan.exports) for value in salts.values())


def test_the_efs_policy_refuses_clients_without_tls_or_outside_the_access_point(stack_plan):
    plan = stack_plan("dev")
    policy = json.loads(one(plan, "aws:efs/fileSystemPolicy:FileSystemPolicy").inputs["policy"])
    access_point = plan.named("platform-files-access-point").outputs["arn"]
    conditions = {s["Sid"]: (s["Effect"], s["Condition"]) for s in policy["Statement"]}
    assert conditions == {
        "DenyWithoutTls": ("Deny", {"Bool": {"aws:SecureTransport": "false"}}),
        "DenyOutsideTheAccessPoint": (
            "Deny",
            {"StringNotEquals": {"elasticfilesystem:AccessPointArn": access_point}},
        ),
    }


@pytest.mark.parametrize("stack", STACKS)
def test_alarms_watch_5xx_unhealthy_hosts_and_latency_and_tell_the_alert_topic(stack_plan, stack):
    plan = stack_plan(stack)
    topic = plan.exports["alertTopicArn"]
    alarms = {
        alarm.inputs["metricName"]: alarm.inputs
        for alarm in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if alarm.inputs.get("namespace") == "AWS/ApplicationELB"
    }
    assert set(alarms) == {"HTTPCode_Target_5XX_Count", "UnHealthyHostCount", "TargetResponseTime"}
    for alarm in alarms.values():
        assert alarm["alarmActions"] == [topic] and alarm["okActions"] == [topic]
    assert "TargetGroup" in alarms["UnHealthyHostCount"]["dimensions"]


# --- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key", "value"),
    [
        ({"webMinSize": "3", "webMaxSize": "2"}, "webMinSize", "3"),
        ({"webDesiredCapacity": "5", "webMaxSize": "4"}, "webDesiredCapacity", "5"),
        ({"webCertificateArn": "arn:aws:acm:us-east-1:1:cert"}, "webCertificateArn", None),
        (
            {"webCertificateArn": CERTIFICATE.replace("us-east-1", "eu-west-1")},
            "webCertificateArn",
            "eu-west-1",
        ),
        ({"webHealthCheckPath": "healthy.html"}, "webHealthCheckPath", "healthy.html"),
        ({"webInstanceType": "q9z.small"}, "webInstanceType", "q9z"),
        ({"webInstanceType": "t3.small"}, "webInstanceType", "x86_64"),
        ({"webWordpressVersion": "latest"}, "webWordpressVersion", "latest"),
        ({"webWordpressSha1": "abc"}, "webWordpressSha1", "abc"),
    ],
)
def test_bad_web_settings_name_the_key_and_value(raw, key, value):
    with pytest.raises(SettingsError) as error:
        parse_settings(raw, project="platform", stack="dev", region="us-east-1")
    [problem] = error.value.problems
    assert problem.startswith(f"platform:{key} = {raw[key]!r}")
    if value is not None:
        assert value in problem


def test_a_bad_web_setting_plans_nothing():
    with pytest.raises(ProgramFailed) as failure:
        run_program("prod", config_overrides={"webMinSize": "4", "webMaxSize": "3"})
    assert failure.value.plan.resources == []


def test_x86_nodes_use_the_x86_image():
    settings = parse_settings(
        {"webArchitecture": "x86_64", "webInstanceType": "t3.small"},
        project="platform",
        stack="dev",
    )
    assert settings.web.architecture == "x86_64"


# --- the policy pack on twins of the stack -----------------------------------------------------


def stack_twin(change: Callable[[str, dict], dict | None]) -> Callable[[], None]:
    """The real program, with `change(type, props)` applied to each resource as it registers."""

    def transformation(args: pulumi.ResourceTransformationArgs):
        props = change(args.type_, dict(args.props))
        return pulumi.ResourceTransformationResult(props, args.opts) if props else None

    def program() -> None:
        pulumi.runtime.register_stack_transformation(transformation)
        runpy.run_path(str(PROJECT_ROOT / "__main__.py"), run_name="__main__")

    return program


def imdsv1(resource_type: str, props: dict) -> dict | None:
    if resource_type == LAUNCH_TEMPLATE:
        return {
            **props,
            "metadata_options": {"http_endpoint": "enabled", "http_tokens": "optional"},
        }
    return None


def unencrypted_volume(resource_type: str, props: dict) -> dict | None:
    if resource_type == LAUNCH_TEMPLATE:
        mapping = {"device_name": "/dev/xvda", "ebs": {"volume_size": 20, "encrypted": "false"}}
        return {**props, "block_device_mappings": [mapping]}
    return None


def http_forwards_beside_https(resource_type: str, props: dict) -> dict | None:
    if resource_type == LISTENER and props.get("port") == 80:
        return {**props, "default_actions": [{"type": "forward", "target_group_arn": "tg"}]}
    return None


@pytest.fixture(scope="module")
def analyzer():
    with PolicyAnalyzer() as running:
        yield running


@pytest.mark.parametrize(
    ("change", "policy", "resource"),
    [
        (imdsv1, "ec2-imdsv2-required", "platform-web-node"),
        (unencrypted_volume, "ec2-ebs-encrypted", "platform-web-node"),
        (http_forwards_beside_https, "alb-http-redirects-when-https", "platform-web-http"),
    ],
)
@pytest.mark.slow
@pytest.mark.parametrize("preview", [False, True])
def test_insecure_twins_of_the_stack_are_blocked(analyzer, change, policy, resource, preview):
    overrides = {"webCertificateArn": CERTIFICATE}
    secure = run_program("prod", config_overrides=overrides, preview=preview)
    assert run_gate(secure, analyzer).mandatory == []
    twin = run_program(
        "prod", config_overrides=overrides, preview=preview, program=stack_twin(change)
    )
    blocking = run_gate(twin, analyzer).mandatory
    assert [(v.policy, v.resource_name) for v in blocking] == [(policy, resource)]
