"""Publicly accessible databases, by what RDS does with the inputs given and omitted.

- `publiclyAccessible` true: the database gets a public DNS name and address.
- RDS instances and Aurora cluster instances without it: the provider sends false (pulumi-aws
  aws.rds.Instance / aws.rds.ClusterInstance: "Default is false").
- Multi-AZ DB clusters (`aws.rds.Cluster` with `dbClusterInstanceClass`) without it: the
  provider sends nothing and RDS decides (CreateDBCluster, PubliclyAccessible,
  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html):
  without DBSubnetGroupName, public if the default VPC has an internet gateway attached (a
  default VPC always has one: https://docs.aws.amazon.com/vpc/latest/userguide/default-vpc.html);
  with it, public if the VPC of its subnets has an internet gateway attached. The group named
  "default" is the default VPC's. The rule follows those links through the stack (subnet group
  -> subnets -> VPC -> internet gateways attached to it); a link it cannot follow (a VPC outside
  the stack, an id not known yet) never blocks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from platform_rules.framework import Violation
from platform_rules.graph import Node, StackGraph
from platform_rules.network import (
    DB_SUBNET_GROUP,
    DEFAULT_SUBNET,
    DEFAULT_VPC,
    ID,
    INTERNET_GATEWAY,
    RDS_CLUSTER,
    RDS_CLUSTER_INSTANCE,
    RDS_DEFAULT_SUBNET_GROUP,
    RDS_INSTANCE,
    SUBNET,
    VPC,
)
from platform_rules.values import is_unknown, truthy

DATABASE_TYPES = (RDS_INSTANCE, RDS_CLUSTER_INSTANCE, RDS_CLUSTER)
GATEWAY_ATTACHMENT = "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment"


def is_multi_az_db_cluster(node: Node) -> bool:
    return node.type == RDS_CLUSTER and node.get("dbClusterInstanceClass") is not None


class DefaultPublicity:
    """Whether RDS makes a Multi-AZ DB cluster that omits publiclyAccessible public."""

    def __init__(self, graph: StackGraph):
        self.graph = graph
        self.groups = graph.of_type(DB_SUBNET_GROUP)
        self.subnets = graph.of_type(SUBNET, DEFAULT_SUBNET)
        self.vpcs = graph.of_type(VPC, DEFAULT_VPC)
        self.gateways = graph.of_type(INTERNET_GATEWAY, GATEWAY_ATTACHMENT)

    def why_public(self, cluster: Node) -> str | None:
        """Why RDS makes it public (None: private, or not knowable here)."""
        name = cluster.get("dbSubnetGroupName")
        if name is None and not cluster.depends_on("dbSubnetGroupName"):
            return "it names no DB subnet group, so RDS uses the default VPC, which has an internet gateway"
        if (
            isinstance(name, str)
            and not is_unknown(name)
            and name.lower() == RDS_DEFAULT_SUBNET_GROUP
        ):
            return (
                "its DB subnet group is 'default', the default VPC's, which has an internet gateway"
            )
        for group in self.graph.targets(cluster, "dbSubnetGroupName", self.groups, ("name",)):
            for vpc in self._vpcs_of(group):
                gateway = self._gateway_of(vpc)
                if gateway:
                    return (
                        f"its DB subnet group {group.name} is in VPC {vpc.name}, which has an "
                        f"internet gateway attached ({gateway})"
                    )
        return None

    def _vpcs_of(self, group: Node) -> list[Node]:
        found: dict[str, Node] = {}
        for subnet in self.graph.targets(group, "subnetIds", self.subnets, ID):
            if subnet.type == DEFAULT_SUBNET:
                found.setdefault(subnet.urn, subnet)
            for vpc in self.graph.targets(subnet, "vpcId", self.vpcs, ID):
                found.setdefault(vpc.urn, vpc)
        return list(found.values())

    def _gateway_of(self, vpc: Node) -> str | None:
        if vpc.type in (DEFAULT_VPC, DEFAULT_SUBNET):
            return "the default VPC's"
        attached = self.graph.sources(vpc, "vpcId", self.gateways, ID)
        return attached[0].name if attached else None


def _kind(node: Node) -> str:
    return "Multi-AZ DB cluster" if is_multi_az_db_cluster(node) else node.type.rsplit(":", 1)[-1]


FIX = (
    "Set publicly_accessible=False and reach it from the app tier inside the VPC (or through a "
    "bastion or SSM port forwarding)."
)


def not_public_check(graph: StackGraph, settings: Mapping[str, Any]) -> Iterator[Violation]:
    defaults = DefaultPublicity(graph)
    for node in graph.of_type(*DATABASE_TYPES):
        value = node.get("publiclyAccessible")
        if value is not None:
            if truthy(value) is True:
                yield Violation(
                    node.urn,
                    node.name,
                    f"{_kind(node)} {node.name} has publiclyAccessible={value!r}: it would get a "
                    f"public DNS name and address. {FIX}",
                )
            continue
        if not is_multi_az_db_cluster(node):
            continue  # the provider sends publiclyAccessible=false
        why = defaults.why_public(node)
        if why:
            yield Violation(
                node.urn,
                node.name,
                f"{_kind(node)} {node.name} omits publiclyAccessible and {why}: RDS then makes "
                f"it publicly accessible (CreateDBCluster). {FIX}",
            )
