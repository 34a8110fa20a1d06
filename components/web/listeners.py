"""The web tier's listeners. The load balancer sits behind the edge (CloudFront): the listener
CloudFront reaches answers 403 by default, and the edge adds the rule that forwards requests
carrying its secret origin header to the target group (components/cdn.py). With a certificate,
that is the HTTPS listener (TLS 1.3/1.2), and plain HTTP is redirected to it."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

HTTP_PORT = 80
HTTPS_PORT = 443
# TLS 1.3 and 1.2 only, forward secrecy, AWS's recommended policy for HTTPS listeners:
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# What a request without the edge's header gets (ALB fixed responses:
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html)
FORBIDDEN = aws.lb.ListenerDefaultActionArgs(
    type="fixed-response",
    fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
        content_type="text/plain", message_body="Forbidden", status_code="403"
    ),
)


def origin_listener(
    name: str,
    load_balancer: aws.lb.LoadBalancer,
    certificate_arn: str | None,
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> aws.lb.Listener:
    """The listener CloudFront reaches (HTTPS with a certificate, else HTTP), 403 by default."""
    child = pulumi.ResourceOptions(parent=parent)
    if certificate_arn is None:
        return aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=load_balancer.arn,
            port=HTTP_PORT,
            protocol="HTTP",
            default_actions=[FORBIDDEN],
            tags=tags,
            opts=child,
        )
    aws.lb.Listener(
        f"{name}-http",
        load_balancer_arn=load_balancer.arn,
        port=HTTP_PORT,
        protocol="HTTP",
        default_actions=[
            aws.lb.ListenerDefaultActionArgs(
                type="redirect",
                redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                    protocol="HTTPS", port=str(HTTPS_PORT), status_code="HTTP_301"
                ),
            )
        ],
        tags=tags,
        opts=child,
    )
    return aws.lb.Listener(
        f"{name}-https",
        load_balancer_arn=load_balancer.arn,
        port=HTTPS_PORT,
        protocol="HTTPS",
        ssl_policy=TLS_POLICY,
        certificate_arn=certificate_arn,
        default_actions=[FORBIDDEN],
        tags=tags,
        opts=child,
    )
