"""A listener rule that forwards on an HTTP listener serves plain HTTP (issue 25, 5).

AWS Config's alb-http-to-https-redirection-check is NON_COMPLIANT when an HTTP listener has no
redirection to HTTPS, "also if one or more HTTP listeners have forwarding to an HTTP listener
instead of redirection":
https://docs.aws.amazon.com/config/latest/developerguide/alb-http-to-https-redirection-check.html
A listener rule's actions are taken for every request its conditions match:
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html
"""

from __future__ import annotations

import pulumi_aws as aws
import pytest

from tests.support.policy_support import UNKNOWN, judge, resource, urn
from tools.offline import run_program
from tools.policy_gate import check_plan

BALANCER = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
RULE = "aws:lb/listenerRule:ListenerRule"
HTTP_ARN = "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/site/1/80"
HTTPS_ARN = "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/site/1/443"
REDIRECT = {
    "type": "redirect",
    "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"},
}


def _site(arns: bool) -> tuple[object, object, object]:
    balancer = resource(BALANCER, "site", {})
    depends = {"loadBalancerArn": [balancer]}
    http = resource(
        LISTENER,
        "http",
        {
            "protocol": "HTTP",
            "port": 80,
            "loadBalancerArn": UNKNOWN,
            "defaultActions": [REDIRECT],
            **({"arn": HTTP_ARN} if arns else {}),
        },
        depends,
    )
    https = resource(
        LISTENER,
        "https",
        {
            "protocol": "HTTPS",
            "port": 443,
            "loadBalancerArn": UNKNOWN,
            "defaultActions": [{"type": "forward"}],
            **({"arn": HTTPS_ARN} if arns else {}),
        },
        depends,
    )
    return balancer, http, https


def _rule(listener: object, arn: str, actions: object) -> object:
    return resource(
        RULE,
        "api",
        {"listenerArn": arn, "priority": 10, "actions": actions},
        {"listenerArn": [listener]},
    )


@pytest.mark.parametrize("arns", [True, False], ids=["update: ARNs known", "preview: by deps"])
def test_a_forwarding_rule_on_the_http_listener_is_blocked_beside_https(arns):
    balancer, http, https = _site(arns)
    rule = _rule(http, HTTP_ARN if arns else UNKNOWN, [{"type": "forward"}])
    [(message, found)] = judge("alb-http-redirects-when-https", [balancer, http, https, rule])
    assert found == urn(RULE, "api")
    assert "listener rule api forwards" in message and "Listener http" in message


@pytest.mark.parametrize(
    "actions",
    [[REDIRECT], [{"type": "fixed-response"}], UNKNOWN, [{"type": UNKNOWN}]],
    ids=["redirect", "fixed response", "unknown actions", "unknown type"],
)
def test_a_rule_that_does_not_forward_or_is_not_known_passes(actions):
    balancer, http, https = _site(True)
    rule = _rule(http, HTTP_ARN, actions)
    assert judge("alb-http-redirects-when-https", [balancer, http, https, rule]) == []


def test_a_forwarding_rule_on_the_https_listener_passes():
    balancer, http, https = _site(True)
    rule = _rule(https, HTTPS_ARN, [{"type": "forward"}])
    assert judge("alb-http-redirects-when-https", [balancer, http, https, rule]) == []


def test_on_an_http_only_load_balancer_the_advisory_rule_judges_default_actions():
    # alb-http-only (advisory) is about a load balancer without HTTPS; the rules forwarding on
    # it (a load balancer behind CloudFront forwards through its secret-header rule) are not
    # reported by it, and the mandatory rule needs an HTTPS listener.
    balancer, http, _ = _site(True)
    rule = _rule(http, HTTP_ARN, [{"type": "forward"}])
    assert judge("alb-http-redirects-when-https", [balancer, http, rule]) == []
    assert judge("alb-http-only", [balancer, http, rule]) == []


def _twin() -> None:
    balancer = aws.lb.LoadBalancer("twin-alb", subnets=["subnet-0a", "subnet-0b"])
    targets = aws.lb.TargetGroup("twin-targets", port=80, protocol="HTTP", vpc_id="vpc-0a")
    aws.lb.Listener(
        "twin-https",
        load_balancer_arn=balancer.arn,
        port=443,
        protocol="HTTPS",
        certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/abc",
        default_actions=[{"type": "forward", "target_group_arn": targets.arn}],
    )
    http = aws.lb.Listener(
        "twin-http",
        load_balancer_arn=balancer.arn,
        port=80,
        protocol="HTTP",
        default_actions=[
            {
                "type": "redirect",
                "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"},
            }
        ],
    )
    aws.lb.ListenerRule(
        "twin-api-over-http",
        listener_arn=http.arn,
        priority=10,
        actions=[{"type": "forward", "target_group_arn": targets.arn}],
        conditions=[{"path_pattern": {"values": ["/api/*"]}}],
    )


@pytest.mark.parametrize("preview", [False, True])
def test_through_the_analyzer_the_forwarding_rule_blocks_the_deploy(preview):
    result = check_plan(run_program("dev", preview=preview, program=_twin))
    blocking = result.by_policy("alb-http-redirects-when-https")
    assert [v.resource_name for v in blocking] == ["twin-api-over-http"]
    assert blocking[0].level == "mandatory"
