"""Web tier rules: instance metadata (IMDSv2), encrypted EBS, public IPs (listeners: listeners.py).

Rules read the provider's camelCase properties. A value unknown at preview never blocks: the
rule decides when the value is known.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from platform_rules.framework import Violation
from platform_rules.graph import Node, StackGraph
from platform_rules.network import ID, SUBNET, RouteAnalysis
from platform_rules.values import as_list, is_unknown, truthy

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
EBS_VOLUME = "aws:ebs/volume:Volume"
EBS_ENCRYPTION_BY_DEFAULT = "aws:ebs/encryptionByDefault:EncryptionByDefault"
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


# --- EBS encryption ---------------------------------------------------------------------------
#
# What EC2 writes when an input is omitted (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html,
# https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html):
# - a volume without `encrypted` is unencrypted, unless it is created from an encrypted snapshot
#   or EBS encryption by default is on in its account and Region;
# - an instance, or a launch template, without a mapping for its root device boots from its AMI's
#   snapshot as it is: unencrypted unless the AMI's snapshot is, or encryption by default is on;
# - with encryption by default on (`aws.ebs.EncryptionByDefault`, `enabled` defaults to true)
#   "the EBS volumes that you create are always encrypted", whatever `encrypted` says
#   (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableEbsEncryptionByDefault.html).
# The rule cannot see an AMI's snapshots: it takes an AMI's volumes as unencrypted.

AMI_ROOT = "the root volume is the AMI's snapshot as it is, unencrypted unless the AMI's is"
NEW_VOLUME = "a new volume is unencrypted"


def default_encryption(graph: StackGraph) -> dict[str, bool | None]:
    """EBS encryption by default per Region (see Node.region) as the stack sets it: True on,
    None not known yet; a Region the stack does not turn on is off (AWS's default)."""
    found: dict[str, bool | None] = {}
    for setting in graph.of_type(EBS_ENCRYPTION_BY_DEFAULT):
        values = (truthy(setting.get("enabled", True)), found.get(setting.region, False))
        found[setting.region] = True if True in values else (None if None in values else False)
    return found


def _device_problem(device: Any, label: str, omitted: str) -> str | None:
    """Why a mapped device is written unencrypted (None: encrypted or not known yet)."""
    if not isinstance(device, dict):
        return None
    encrypted = device.get("encrypted")
    if encrypted is None:
        return f"{label} does not set encrypted ({omitted})"
    if truthy(encrypted) is False:
        return f"{label} has encrypted={encrypted!r}"
    return None


def _template_volumes(node: Node) -> list[str | None]:
    mappings = node.get("blockDeviceMappings")
    if is_unknown(mappings):
        return []
    if not as_list(mappings):
        return [f"no block device mapping: {AMI_ROOT}"]
    return [
        _device_problem(mapping.get("ebs"), str(mapping.get("deviceName")), NEW_VOLUME)
        for mapping in as_list(mappings)
        if isinstance(mapping, dict)
    ]


def _instance_volumes(node: Node) -> list[str | None]:
    root = node.get("rootBlockDevice")
    found = [
        f"no root_block_device: {AMI_ROOT}"
        if root is None
        else _device_problem(root, "the root device", AMI_ROOT)
    ]
    devices = node.get("ebsBlockDevices")
    for device in as_list(devices) if not is_unknown(devices) else []:
        label = str(device.get("deviceName")) if isinstance(device, dict) else "a device"
        found.append(_device_problem(device, label, NEW_VOLUME))
    return found


def unencrypted_volumes(node: Node) -> list[str]:
    """The volumes the resource would write unencrypted, encryption by default off."""
    if node.type == LAUNCH_TEMPLATE:
        found = _template_volumes(node)
    elif node.type == INSTANCE:
        found = _instance_volumes(node)
    else:
        found = [_device_problem(node.props, "the volume", NEW_VOLUME)]
    return [problem for problem in found if problem]


def ebs_encrypted_check(graph: StackGraph, settings: Mapping[str, Any]) -> Iterator[Violation]:
    by_default = default_encryption(graph)
    for node in graph.of_type(LAUNCH_TEMPLATE, INSTANCE, EBS_VOLUME):
        if by_default.get(node.region, False) is not False:
            continue  # encryption by default encrypts every new volume (or is not known yet)
        found = unencrypted_volumes(node)
        if found:
            yield Violation(
                node.urn,
                node.name,
                f"{_kind(node)} {node.name} would write unencrypted EBS volumes: "
                f"{'; '.join(found)}; EBS encryption by default is not on in this stack for its "
                "Region. Map every volume, the root device too, with encrypted=True, or turn on "
                "aws.ebs.EncryptionByDefault in the stack.",
            )


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
            placed = graph.targets(node, "subnetId", subnets, ID)
        else:
            placed = [
                subnet
                for group in _groups_of(graph, node)
                for subnet in graph.targets(group, "vpcZoneIdentifiers", subnets, ID)
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
