"""Load balancer listener rules: plain HTTP that forwards, beside HTTPS (mandatory) or alone
(advisory).

What Elastic Load Balancing does, and what the rules read:
- A listener without `protocol` on an Application Load Balancer listens with HTTP (the
  provider's default, "For Application Load Balancers, valid values are HTTP and HTTPS, with a
  default of HTTP"; a load balancer without `loadBalancerType` is an application one). A network
  or gateway load balancer's listener is not HTTP.
  https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html
- A listener forwards plain HTTP when its default action forwards, or when any of its listener
  rules does: a rule's action is taken for every request its conditions match. AWS Config's
  alb-http-to-https-redirection-check is NON_COMPLIANT when an HTTP listener has no redirection
  to HTTPS, and also when an HTTP listener forwards instead of redirecting.
  https://docs.aws.amazon.com/config/latest/developerguide/alb-http-to-https-redirection-check.html
- A redirect (type `redirect`, protocol HTTPS) or a fixed response sends no request to a target.
  https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html#redirect-actions
An unknown value (a preview) never blocks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from platform_rules.framework import Violation
from platform_rules.graph import Node, StackGraph
from platform_rules.values import as_list, is_unknown

LISTENER_TYPES = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
LISTENER_RULE_TYPES = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
LOAD_BALANCER_TYPES = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
NOT_HTTP_BALANCERS = ("network", "gateway")


def forwards(actions: Any) -> bool | None:
    """Some action forwards to a target group (None: not known yet)."""
    if is_unknown(actions):
        return None
    kinds = [action.get("type") for action in as_list(actions) if isinstance(action, dict)]
    if any(is_unknown(kind) for kind in kinds):
        return None
    return "forward" in kinds


class Listeners:
    """The stack's listeners, each with its load balancer and its protocol as ELB reads it."""

    def __init__(self, graph: StackGraph):
        self.graph = graph
        self.listeners = graph.of_type(*LISTENER_TYPES)
        self.balancers = graph.of_type(*LOAD_BALANCER_TYPES)

    def balancer_key(self, listener: Node) -> object | None:
        """Which load balancer the listener belongs to: its ARN, or the resource it names."""
        arn = listener.get("loadBalancerArn")
        if isinstance(arn, str) and not is_unknown(arn):
            return arn
        dependencies = listener.depends_on("loadBalancerArn")
        return tuple(sorted(dependencies)) if dependencies else None

    def protocol(self, listener: Node) -> str | None:
        """HTTP, HTTPS, ... (None: not known yet, or not an ALB's omitted default)."""
        value = listener.get("protocol")
        if value is not None:
            return None if is_unknown(value) else str(value).upper()
        for balancer in self.graph.targets(listener, "loadBalancerArn", self.balancers, ("arn",)):
            kind = balancer.get("loadBalancerType")
            if is_unknown(kind) or kind in NOT_HTTP_BALANCERS:
                return None
        return "HTTP"

    def with_https(self) -> set[object]:
        return {
            self.balancer_key(listener)
            for listener in self.listeners
            if self.protocol(listener) == "HTTPS"
        }

    def forwarding_http(self, with_rules: bool) -> Iterator[tuple[Node, Node, str]]:
        """(HTTP listener, the listener or listener rule that forwards, how)."""
        http = [listener for listener in self.listeners if self.protocol(listener) == "HTTP"]
        for listener in http:
            if forwards(listener.get("defaultActions")) is True:
                how = "its default action forwards"
                if listener.get("protocol") is None:
                    how += " (no protocol set: an Application Load Balancer listens with HTTP)"
                yield listener, listener, how
        rules = self.graph.of_type(*LISTENER_RULE_TYPES) if with_rules else []
        for rule in rules:
            if forwards(rule.get("actions")) is not True:
                continue
            for listener in self.graph.targets(rule, "listenerArn", http, ("arn",)):
                yield listener, rule, f"its listener rule {rule.name} forwards"


def _http_forwarders(graph: StackGraph, beside_https: bool) -> Iterator[Violation]:
    listeners = Listeners(graph)
    https = listeners.with_https()
    # Beside HTTPS a forwarding listener rule counts as much as the default action (AWS Config);
    # the advisory HTTP-only rule judges default actions, as before (a load balancer behind
    # CloudFront forwards through a rule that checks CloudFront's secret header).
    for listener, subject, how in listeners.forwarding_http(with_rules=beside_https):
        key = listeners.balancer_key(listener)
        if key is None or (key in https) != beside_https:
            continue
        where = "while the load balancer also listens on HTTPS" if beside_https else "(no HTTPS)"
        yield Violation(
            subject.urn,
            subject.name,
            f"Listener {listener.name} serves the site over plain HTTP {where}: {how}. Answer "
            "HTTP with a redirect to HTTPS (type 'redirect', protocol HTTPS, status HTTP_301), in "
            "the default action and in every listener rule.",
        )


def http_beside_https_check(graph: StackGraph, settings: Mapping[str, Any]) -> Iterator[Violation]:
    yield from _http_forwarders(graph, beside_https=True)


def http_only_check(graph: StackGraph, settings: Mapping[str, Any]) -> Iterator[Violation]:
    yield from _http_forwarders(graph, beside_https=False)
