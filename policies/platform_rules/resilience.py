"""Production stacks: Multi-AZ databases with deletion protection and backups, a NAT gateway per AZ.

The rule applies only when the pack's config marks the stack as production (`production: true`),
so dev stacks stay cheap.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from platform_rules.framework import Violation
from platform_rules.graph import Node, StackGraph
from platform_rules.network import RDS_CLUSTER, RDS_INSTANCE, ROUTE, SUBNET, RouteAnalysis
from platform_rules.values import as_int, as_list, is_unknown, truthy

NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
# CreateDBInstance / CreateDBCluster keep 1 day of backups when none is given
# (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html).
RDS_DEFAULT_BACKUP_DAYS = 1


def _flag_problems(node: Node, checks: Mapping[str, str]) -> list[str]:
    return [
        f"{key} is {node.get(key)!r} ({why})"
        for key, why in checks.items()
        if truthy(node.get(key, False)) is False
    ]


def _backup_problem(node: Node, minimum: int) -> list[str]:
    value = node.get("backupRetentionPeriod")
    if is_unknown(value):
        return []
    days = RDS_DEFAULT_BACKUP_DAYS if value is None else as_int(value)
    if days is None or days < minimum:
        return [f"backupRetentionPeriod is {value!r} (keep at least {minimum} days of backups)"]
    return []


def database_problems(node: Node, minimum_backup_days: int) -> list[str]:
    checks = {"deletionProtection": "a stray `pulumi destroy` or replacement deletes it"}
    if node.type == RDS_INSTANCE and node.get("replicateSourceDb") is None:
        checks = {"multiAz": "one AZ outage takes it down", **checks}
    return _flag_problems(node, checks) + _backup_problem(node, minimum_backup_days)


def _zone(subnet: Node | None) -> str | None:
    zone = subnet.get("availabilityZone") if subnet is not None else None
    return zone if isinstance(zone, str) and not is_unknown(zone) else None


class NatZones:
    """For each subnet routing through a NAT gateway of the stack: the zones of both."""

    def __init__(self, graph: StackGraph):
        self.graph = graph
        self.routes = RouteAnalysis(graph)
        self.nats = graph.of_type(NAT_GATEWAY)
        self.subnets = graph.of_type(SUBNET)
        self.route_nodes = graph.of_type(ROUTE)

    def nat_gateways(self, table: Node) -> list[Node]:
        found = []
        for route in self.graph.sources(table, "routeTableId", self.route_nodes, ("id",)):
            found += self.graph.targets(route, "natGatewayId", self.nats, ("id",))
        inline = table.get("routes")
        if not is_unknown(inline) and as_list(inline):
            urns = set(table.depends_on("routes"))
            found += [nat for nat in self.nats if nat.urn in urns]
        return found

    def cross_zone(self) -> Iterator[tuple[Node, Node, str, str]]:
        """(subnet, NAT gateway, subnet zone, NAT zone) where the zones differ."""
        for subnet in self.subnets:
            table, _ = self.routes.table_of(subnet)
            zone = _zone(subnet)
            if table is None or zone is None:
                continue
            for nat in self.nat_gateways(table):
                nat_subnets = self.graph.targets(nat, "subnetId", self.subnets, ("id",))
                nat_zone = _zone(nat_subnets[0]) if nat_subnets else None
                if nat_zone is not None and nat_zone != zone:
                    yield subnet, nat, zone, nat_zone


def production_check(graph: StackGraph, settings: Mapping[str, Any]) -> Iterator[Violation]:
    if truthy(settings.get("production", False)) is not True:
        return
    minimum = as_int(settings.get("minBackupRetentionDays")) or 1
    for database in graph.of_type(RDS_INSTANCE, RDS_CLUSTER):
        problems = database_problems(database, minimum)
        if problems:
            kind = database.type.rsplit(":", 1)[-1]
            yield Violation(
                database.urn,
                database.name,
                f"{kind} {database.name} in a production stack: {'; '.join(problems)}. Set "
                "multi_az, deletion_protection and backup_retention_period (the Database "
                "component's prod settings do).",
            )
    for subnet, nat, zone, nat_zone in NatZones(graph).cross_zone():
        yield Violation(
            subnet.urn,
            subnet.name,
            f"Subnet {subnet.name} ({zone}) reaches the internet through NAT gateway {nat.name} "
            f"in {nat_zone}: an outage of {nat_zone} cuts {zone} off. Give each AZ its own NAT "
            "gateway and route each private subnet to the one in its AZ (natStrategy per-az).",
        )
