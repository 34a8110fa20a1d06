"""Web tier rules: instance metadata (IMDSv2), encrypted EBS, HTTP listeners, public IPs.

Rules read the provider's camelCase properties. A value unknown at preview never blocks: the
rule decides when the value is known.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from platform_rules.framework import Violation
from platform_rules.graph import Node, StackGraph
from platform_rules.network import SUBNET, RouteAnalysis
from platform_rules.values import as_list, is_unknown, truthy

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
EBS_VOLUME = "aws:ebs/volume:Volume"
LISTENER = "aws:lb/listener:Listener"
AUTO_SCALING_GROUP = "aws:autoscaling/group:Group"
COMPUTE_TYPES = (LAUNCH_TEMPLATE, INSTANCE)


def _kind(node: Node) -> str:
    return node.type.rsplit(":", 1)[-1]


def imdsv2_check(node: Node, settings: Mapping[str, Any]) -> Iterator[Violation]:
    """IMDSv2 only: httpTokens "required", or the metadata service switched off.

    Without `httpTokens`, EC2 uses the AMI's or the account's default, which may allow IMDSv1:
    https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html
    """
    options = node.get("metadataOptions")
    if is_unknown(options):
        return
    options = options if isinstance(options, dict) else {}
    tokens, endpoint = options.get("httpTokens"), options.get("httpEndpoint")
    if is_unknown(tokens) or is_unknown(endpoint) or endpoint == "disabled":
        return
    if tokens != "required":
        yield Violation(
            node.urn,
            node.name,
            f"{_kind(node)} {node.name} allows IMDSv1 (metadataOptions.httpTokens is "
            f"{tokens!r}): any SSRF in the app could read the role's credentials. Set "
            "metadata_options http_tokens='required' (IMDSv2 only).",
        )


def _unencrypted_volumes(node: Node) -> list[str]:
    found = []
    if node.type == LAUNCH_TEMPLATE:
        mappings = node.get("blockDeviceMappings")
        if is_unknown(mappings):
            return []
        if not as_list(mappings):
            return ["no block device mapping, so the root volume is the AMI's as it is"]
        for mapping in as_list(mappings):
            ebs = mapping.get("ebs") if isinstance(mapping, dict) else None
            if isinstance(ebs, dict) and ebs.get("encrypted") is None:
                found.append(f"{mapping.get('deviceName')} does not set encrypted")
            elif isinstance(ebs, dict) and truthy(ebs.get("encrypted")) is False:
                found.append(f"{mapping.get('deviceName')} has encrypted={ebs.get('encrypted')!r}")
    elif node.type == INSTANCE:
        devices = [("root", node.get("rootBlockDevice"))]
        devices += [("ebs", device) for device in as_list(node.get("ebsBlockDevices"))]
        for label, device in devices:
            if isinstance(device, dict) and truthy(device.get("encrypted")) is not True:
                if not is_unknown(device.get("encrypted")):
                    found.append(f"{device.get('deviceName', label)} is not encrypted")
    elif truthy(node.get("encrypted")) is False or node.get("encrypted") is None:
        found.append("the volume is not encrypted")
    return found


def ebs_encrypted_check(node: Node, settings: Mapping[str, Any]) -> Iterator[Violation]:
    found = _unencrypted_volumes(node)
    if found:
        yield Violation(
            node.urn,
            node.name,
            f"{_kind(node)} {node.name} would write unencrypted EBS volumes: {'; '.join(found)}. "
            "Map every volume (the root device too) with ebs encrypted=True.",
        )


def _forwards(listener: Node) -> bool | None:
    actions = listener.get("defaultActions")
    if is_unknown(actions):
        return None
    types = [action.get("type") for action in as_list(actions) if isinstance(action, dict)]
    if any(is_unknown(kind) for kind in types):
        return None
    return "forward" in types


def _load_balancer_key(listener: Node) -> object | None:
    """Which load balancer a listener belongs to: its ARN, or the resource it depends on."""
    arn = listener.get("loadBalancerArn")
    if isinstance(arn, str) and not is_unknown(arn):
        return arn
    dependencies = listener.depends_on("loadBalancerArn")
    return tuple(sorted(dependencies)) if dependencies else None


def _http_forwarders(graph: StackGraph, beside_https: bool) -> Iterator[Violation]:
    listeners = graph.of_type(LISTENER)
    https = {
        _load_balancer_key(listener)
        for listener in listeners
        if listener.get("protocol") == "HTTPS"
    }
    for listener in listeners:
        if listener.get("protocol") != "HTTP" or _forwards(listener) is not True:
            continue
        key = _load_balancer_key(listener)
        if key is None:
            continue
        if (key in https) == beside_https:
            where = (
                "while the load balancer also listens on HTTPS" if beside_https else "(no HTTPS)"
            )
            yield Violation(
                listener.urn,
                listener.name,
                f"Listener {listener.name} serves the site over plain HTTP {where}. Answer port "
                "80 with a redirect to HTTPS (type 'redirect', protocol HTTPS, status HTTP_301).",
            )


def http_beside_https_check(graph: StackGraph, settings: Mapping[str, Any]) -> Iterator[Violation]:
    yield from _http_forwarders(graph, beside_https=True)


def http_only_check(graph: StackGraph, settings: Mapping[str, Any]) -> Iterator[Violation]:
    yield from _http_forwarders(graph, beside_https=False)


def _asks_public_ip(node: Node) -> bool:
    if node.type == INSTANCE:
        return truthy(node.get("associatePublicIpAddress")) is True
    interfaces = node.get("networkInterfaces")
    return any(
        isinstance(interface, dict) and truthy(interface.get("associatePublicIpAddress")) is True
        for interface in (as_list(interfaces) if not is_unknown(interfaces) else [])
    )


def _groups_of(graph: StackGraph, template: Node) -> list[Node]:
    """The Auto Scaling groups that launch from this template (by id or by dependency)."""
    found = []
    for group in graph.of_type(AUTO_SCALING_GROUP):
        spec = group.get("launchTemplate")
        template_id = spec.get("id") if isinstance(spec, dict) else None
        known = isinstance(template_id, str) and not is_unknown(template_id)
        if (known and template_id == template.get("id")) or (
            not known and template.urn in group.depends_on("launchTemplate")
        ):
            found.append(group)
    return found


def private_public_ip_check(graph: StackGraph, settings: Mapping[str, Any]) -> Iterator[Violation]:
    """A node in a private subnet (no route to an internet gateway) asks for a public IP."""
    routes = RouteAnalysis(graph)
    subnets = graph.of_type(SUBNET)

    def private(subnet: Node) -> bool:
        table, _ = routes.table_of(subnet)
        return table is not None and not routes.internet_routes(table)

    for node in graph.of_type(*COMPUTE_TYPES):
        if not _asks_public_ip(node):
            continue
        if node.type == INSTANCE:
            placed = graph.targets(node, "subnetId", subnets)
        else:
            placed = [
                subnet
                for group in _groups_of(graph, node)
                for subnet in graph.targets(group, "vpcZoneIdentifiers", subnets)
            ]
        names = [subnet.name for subnet in placed if private(subnet)]
        if names:
            yield Violation(
                node.urn,
                node.name,
                f"{_kind(node)} {node.name} asks for a public IP in private subnets "
                f"({', '.join(names)}). Private tiers are reached through the load balancer and "
                "Session Manager: set associate_public_ip_address=False.",
            )
