"""The web tier's rules on constructed resources: violating, clean, and unknown at preview.

AWS behaviour they follow:
- IMDSv2: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html
  (without http_tokens 'required', IMDSv1 may answer, depending on the AMI and account default)
- EBS encryption: https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html
- Redirect actions: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html
- Public IPs: https://docs.aws.amazon.com/vpc/latest/userguide/vpc-ip-addressing.html (a
  subnet without a route to an internet gateway cannot use one)
"""

from __future__ import annotations

import pytest

from tests.policies.test_policy_rules import _network
from tests.support.policy_support import (
    UNKNOWN,
    resource,
    run_resource_policy,
    run_stack_policy,
    run_stack_policy_on,
    urn,
)

LT = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
VOLUME = "aws:ebs/volume:Volume"
LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
GROUP = "aws:autoscaling/group:Group"
ROOT = {"deviceName": "/dev/xvda", "ebs": {"volumeSize": 20, "encrypted": "true"}}


@pytest.mark.parametrize("resource_type", [LT, INSTANCE])
@pytest.mark.parametrize(
    "options",
    [{"httpTokens": "optional"}, {"httpEndpoint": "enabled"}, {}],
    ids=["optional", "tokens unset", "no options"],
)
def test_imdsv1_is_refused(resource_type, options):
    props = {"metadataOptions": options} if options else {}
    [message] = run_resource_policy("ec2-imdsv2-required", resource_type, props)
    assert "IMDSv1" in message and "http_tokens='required'" in message


@pytest.mark.parametrize(
    "options",
    [{"httpTokens": "required"}, {"httpEndpoint": "disabled"}, {"httpTokens": UNKNOWN}, UNKNOWN],
    ids=["required", "metadata off", "unknown tokens", "unknown options"],
)
def test_imdsv2_only_off_or_unknown_passes(options):
    assert run_resource_policy("ec2-imdsv2-required", LT, {"metadataOptions": options}) == []


@pytest.mark.parametrize(
    ("resource_type", "props", "mentions"),
    [
        (
            LT,
            {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false"}}]},
            "'false'",
        ),
        (
            LT,
            {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 8}}]},
            "does not set",
        ),
        (LT, {}, "no block device mapping"),
        (INSTANCE, {"rootBlockDevice": {"encrypted": False}}, "root device has encrypted=False"),
        (INSTANCE, {"ebsBlockDevices": [{"deviceName": "/dev/sdf"}]}, "/dev/sdf"),
        (VOLUME, {"size": 10}, "the volume does not set encrypted"),
    ],
)
def test_unencrypted_volumes_are_refused(resource_type, props, mentions):
    [message] = run_stack_policy_on("ec2-ebs-encrypted", resource_type, props)
    assert mentions in message


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        (LT, {"blockDeviceMappings": [ROOT]}),
        (LT, {"blockDeviceMappings": UNKNOWN}),
        (LT, {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": UNKNOWN}}]}),
        (INSTANCE, {"rootBlockDevice": {"encrypted": True}}),
        (VOLUME, {"encrypted": True}),
    ],
)
def test_encrypted_or_unknown_volumes_pass(resource_type, props):
    assert run_stack_policy_on("ec2-ebs-encrypted", resource_type, props) == []


def _listeners(http_action: str, with_https: bool, arn=UNKNOWN):
    balancer = resource(LB, "site", {"arn": arn})
    depends = {"loadBalancerArn": [balancer]}
    http = resource(
        LISTENER,
        "http",
        {
            "protocol": "HTTP",
            "port": 80,
            "loadBalancerArn": arn,
            "defaultActions": [{"type": http_action}],
        },
        depends,
    )
    found = [balancer, http]
    if with_https:
        found.append(
            resource(
                LISTENER,
                "https",
                {
                    "protocol": "HTTPS",
                    "port": 443,
                    "loadBalancerArn": arn,
                    "defaultActions": [{"type": "forward"}],
                },
                depends,
            )
        )
    return found


@pytest.mark.parametrize(
    "arn", [UNKNOWN, "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/site/1"]
)
def test_http_forwarding_beside_https_is_mandatory_and_alone_advisory(arn):
    beside = run_stack_policy("alb-http-redirects-when-https", _listeners("forward", True, arn))
    assert [found_urn for _, found_urn in beside] == [urn(LISTENER, "http")]
    assert run_stack_policy("alb-http-only", _listeners("forward", True, arn)) == []
    alone = run_stack_policy("alb-http-only", _listeners("forward", False, arn))
    assert [found_urn for _, found_urn in alone] == [urn(LISTENER, "http")]
    assert (
        run_stack_policy("alb-http-redirects-when-https", _listeners("forward", False, arn)) == []
    )


def test_a_redirecting_http_listener_passes_both():
    for policy in ("alb-http-redirects-when-https", "alb-http-only"):
        assert run_stack_policy(policy, _listeners("redirect", True)) == []


def test_https_on_another_load_balancer_does_not_count():
    other = resource(LB, "other", {"arn": UNKNOWN})
    mine = _listeners("forward", False)
    https = resource(
        LISTENER,
        "other-https",
        {"protocol": "HTTPS", "loadBalancerArn": UNKNOWN, "defaultActions": [{"type": "forward"}]},
        {"loadBalancerArn": [other]},
    )
    assert run_stack_policy("alb-http-redirects-when-https", [*mine, other, https]) == []


def test_unknown_actions_never_block():
    [balancer, http] = _listeners("forward", False)
    unknown = resource(
        LISTENER,
        "http",
        {"protocol": "HTTP", "loadBalancerArn": UNKNOWN, "defaultActions": UNKNOWN},
        {"loadBalancerArn": [balancer]},
    )
    del http
    assert run_stack_policy("alb-http-only", [balancer, unknown]) == []


def _template(public: object) -> object:
    return resource(
        LT,
        "node",
        {"networkInterfaces": [{"associatePublicIpAddress": public}]},
    )


@pytest.mark.parametrize(("tier", "reported"), [("private", True), ("public", False)])
def test_a_launch_template_asking_for_a_public_ip_is_reported_only_in_private_subnets(
    tier, reported
):
    parts, network = _network()
    template = _template("true")
    group = resource(
        GROUP,
        "nodes",
        {"launchTemplate": {"id": UNKNOWN}, "vpcZoneIdentifiers": [UNKNOWN]},
        {"launchTemplate": [template], "vpcZoneIdentifiers": [parts[tier]]},
    )
    found = run_stack_policy("ec2-private-no-public-ip", [*network, template, group])
    assert [found_urn for _, found_urn in found] == ([urn(LT, "node")] if reported else [])


def test_an_instance_in_a_private_subnet_with_a_public_ip_is_reported():
    parts, network = _network()
    node = resource(
        INSTANCE,
        "node",
        {"associatePublicIpAddress": True, "subnetId": UNKNOWN},
        {"subnetId": [parts["private"]]},
    )
    [(message, found_urn)] = run_stack_policy("ec2-private-no-public-ip", [*network, node])
    assert found_urn == urn(INSTANCE, "node") and "private" in message


def test_no_public_ip_passes():
    parts, network = _network()
    template = _template("false")
    group = resource(
        GROUP,
        "nodes",
        {"launchTemplate": {"id": UNKNOWN}},
        {"launchTemplate": [template], "vpcZoneIdentifiers": [parts["private"]]},
    )
    assert run_stack_policy("ec2-private-no-public-ip", [*network, template, group]) == []
