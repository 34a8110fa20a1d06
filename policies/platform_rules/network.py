"""Network rules: ports open to the internet (security groups, network ACLs), databases in
public subnets, VPC flow logs."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from platform_rules.framework import Violation
from platform_rules.graph import Node, StackGraph
from platform_rules.values import as_int, as_list, is_unknown, is_whole_internet, truthy

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SECURITY_GROUP_TYPES = (SECURITY_GROUP, DEFAULT_SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE)

VPC = "aws:ec2/vpc:Vpc"
DEFAULT_VPC = "aws:ec2/defaultVpc:DefaultVpc"
SUBNET = "aws:ec2/subnet:Subnet"
DEFAULT_SUBNET = "aws:ec2/defaultSubnet:DefaultSubnet"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
DEFAULT_ROUTE_TABLE = "aws:ec2/defaultRouteTable:DefaultRouteTable"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
MAIN_ROUTE_TABLE_ASSOCIATION = "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
DB_SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
# RDS's own subnet group of the default VPC, used when a database names none
# (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html).
RDS_DEFAULT_SUBNET_GROUP = "default"
# The default VPC's main route table sends 0.0.0.0/0 to its internet gateway: its subnets, and
# default subnets, are public (https://docs.aws.amazon.com/vpc/latest/userguide/default-vpc.html).
DEFAULT_VPC_ROUTE = "the default VPC's main route table (0.0.0.0/0 -> its internet gateway)"

DATABASE_PORTS = {
    3306: "MySQL/MariaDB",
    5432: "PostgreSQL",
    1433: "SQL Server",
    1521: "Oracle",
    27017: "MongoDB",
    6379: "Redis",
    11211: "Memcached",
    2049: "NFS",
}
ADMIN_PORTS = {22: "SSH", 3389: "RDP"}

# Only TCP and UDP rules carry ports; -1 ("all") admits every protocol and port; any other
# protocol (ICMP, ESP, GRE, ...) admits that protocol only
# (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html).
_PORTED = {"tcp", "6", "udp", "17"}
_ALL_PROTOCOLS = {"-1", "all"}


def opens_port(protocol: Any, from_port: Any, to_port: Any, port: int) -> bool | None:
    """Whether a rule with this protocol and port range admits `port` (None: not known yet)."""
    if is_unknown(protocol):
        return None
    name = str(protocol).strip().lower()
    if name in _ALL_PROTOCOLS:
        return True
    if name not in _PORTED:
        return False
    low, high = as_int(from_port), as_int(to_port)
    if low is None or high is None:
        return None if is_unknown(from_port) or is_unknown(to_port) else False
    return low <= port <= high


def describe_rule(protocol: Any, from_port: Any, to_port: Any) -> str:
    name = str(protocol).strip().lower()
    if name not in _PORTED:
        return f"protocol {protocol}"
    return f"{protocol} {as_int(from_port)}-{as_int(to_port)}"


def internet_covered(sources: Iterable[Any]) -> list[str]:
    """The whole-internet ranges (0.0.0.0/0, ::/0) the known CIDRs cover together."""
    networks: dict[int, list[Any]] = {4: [], 6: []}
    for source in sources:
        if not isinstance(source, str) or is_unknown(source):
            continue
        try:
            network = ipaddress.ip_network(source.strip(), strict=False)
        except ValueError:
            continue
        networks[network.version].append(network)
    covered = []
    for version, whole in ((4, "0.0.0.0/0"), (6, "::/0")):
        merged = list(ipaddress.collapse_addresses(networks[version]))
        if merged and merged[0].prefixlen == 0:
            covered.append(whole)
    return covered


@dataclass(frozen=True, eq=False)
class IngressEntry:
    """One way a rule admits traffic: protocol, port range, sources; any field may be UNKNOWN."""

    node: Node
    where: str  # " ingress[2]" or "" for a standalone rule
    protocol: Any
    from_port: Any
    to_port: Any
    sources: list[Any]

    def label(self) -> str:
        return f"{self.node.name}{self.where} ({describe_rule(self.protocol, self.from_port, self.to_port)})"


def ingress_entries(node: Node) -> Iterator[IngressEntry]:
    """The ingress a security-group resource declares, in each of the forms AWS allows."""
    if node.type in (SECURITY_GROUP, DEFAULT_SECURITY_GROUP):
        rules = node.get("ingress")
        if is_unknown(rules):
            return
        for index, rule in enumerate(as_list(rules)):
            if not isinstance(rule, dict):
                continue
            yield IngressEntry(
                node,
                f" ingress[{index}]",
                rule.get("protocol"),
                rule.get("fromPort"),
                rule.get("toPort"),
                _cidrs(rule.get("cidrBlocks")) + _cidrs(rule.get("ipv6CidrBlocks")),
            )
    elif node.type == SECURITY_GROUP_RULE:
        kind = node.get("type")
        if is_unknown(kind) or str(kind).lower() != "ingress":
            return
        yield IngressEntry(
            node,
            "",
            node.get("protocol"),
            node.get("fromPort"),
            node.get("toPort"),
            _cidrs(node.get("cidrBlocks")) + _cidrs(node.get("ipv6CidrBlocks")),
        )
    elif node.type == INGRESS_RULE:
        yield IngressEntry(
            node,
            "",
            node.get("ipProtocol"),
            node.get("fromPort"),
            node.get("toPort"),
            [node.get("cidrIpv4"), node.get("cidrIpv6")],
        )


def _cidrs(value: Any) -> list[Any]:
    return [value] if is_unknown(value) else list(as_list(value))


def _rules_by_group(graph: StackGraph) -> list[tuple[Node, list[IngressEntry]]]:
    """Each security group with the ingress of all its rules (inline and standalone); a
    standalone rule whose group is outside the stack stands for its group alone."""
    groups = graph.of_type(SECURITY_GROUP, DEFAULT_SECURITY_GROUP)
    members: dict[str, tuple[Node, list[IngressEntry]]] = {
        group.urn: (group, list(ingress_entries(group))) for group in groups
    }
    for rule in graph.of_type(SECURITY_GROUP_RULE, INGRESS_RULE):
        targets = graph.targets(rule, "securityGroupId", groups, ("id",))
        group = targets[0] if targets else rule
        members.setdefault(group.urn, (group, []))[1].extend(ingress_entries(rule))
    return list(members.values())


def _configured_ports(settings: Mapping[str, Any]) -> list[int]:
    return [
        port for port in (as_int(item) for item in settings.get("ports") or []) if port is not None
    ]


def port_exposure_check(names: Mapping[int, str], what: str):
    """A stack check reporting each configured port a security group opens to the internet,
    with all the group's rules taken together (EC2 applies the most permissive)."""

    def check(graph: StackGraph, settings: Mapping[str, Any]) -> Iterator[Violation]:
        ports = _configured_ports(settings)
        for group, entries in _rules_by_group(graph):
            findings: dict[tuple[str, tuple[IngressEntry, ...]], Exposure] = {}
            for port in ports:
                for exposure in _exposures(group, entries, port):
                    key = (exposure.subject.urn, exposure.entries)
                    findings.setdefault(key, exposure).ports.append(port)
            for exposure in findings.values():
                yield exposure.violation(names, what)

    return check


@dataclass
class Exposure:
    """Rules of one resource (or, together, of one group) that open ports to the internet."""

    subject: Node
    entries: tuple[IngressEntry, ...]
    covered: list[str]
    ports: list[int]

    def violation(self, names: Mapping[int, str], what: str) -> Violation:
        listed = ", ".join(f"{port} ({names.get(port, what)})" for port in self.ports)
        kind = self.subject.type.rsplit(":", 1)[-1]
        rules = ", ".join(entry.label() for entry in self.entries)
        if all(entry.node is self.subject for entry in self.entries):
            how = f"{kind} {rules} admits it from {', '.join(self.covered)}"
        else:
            how = (
                f"{kind} {self.subject.name}: together (EC2 applies every rule of a group, the "
                f"most permissive wins) {rules} admit it from {', '.join(self.covered)}"
            )
        return Violation(
            self.subject.urn,
            self.subject.name,
            f"{what.capitalize()} port {listed} is open to the internet: {how}. Admit the port "
            "only from the security group of the tier that needs it "
            "(referenced_security_group_id / source_security_group_id) or a private range.",
        )


def _exposures(group: Node, entries: list[IngressEntry], port: int) -> list[Exposure]:
    """Each resource whose own rules open `port` to the internet; else the group, when its
    rules only do so together."""
    admitting = [
        entry
        for entry in entries
        if opens_port(entry.protocol, entry.from_port, entry.to_port, port)
    ]
    by_node: dict[str, list[IngressEntry]] = {}
    for entry in admitting:
        if internet_covered(entry.sources):
            by_node.setdefault(entry.node.urn, []).append(entry)
    if by_node:
        return [
            Exposure(found[0].node, tuple(found), _covered_by(found), [])
            for found in by_node.values()
        ]
    covered = _covered_by(admitting)
    if not covered:
        return []
    families = {":" in whole for whole in covered}
    used = tuple(
        entry
        for entry in admitting
        if any(
            isinstance(source, str) and not is_unknown(source) and (":" in source) in families
            for source in entry.sources
        )
    )
    return [Exposure(group, used, covered, [])]


def _covered_by(entries: Iterable[IngressEntry]) -> list[str]:
    return internet_covered(source for entry in entries for source in entry.sources)


# --- databases in private subnets ------------------------------------------------------------


# Resources name each other by id once the ids are known (an update); the graph links them by
# those ids then, and by property dependencies while they are not (a preview).
ID = ("id",)


class RouteAnalysis:
    """Which subnets of the stack route to an internet gateway."""

    def __init__(self, graph: StackGraph):
        self.graph = graph
        self.gateways = {node.urn for node in graph.of_type(INTERNET_GATEWAY)}
        self.tables = graph.of_type(ROUTE_TABLE, DEFAULT_ROUTE_TABLE)
        self.routes = graph.of_type(ROUTE)
        self.associations = graph.of_type(ROUTE_TABLE_ASSOCIATION)
        self.main_associations = graph.of_type(MAIN_ROUTE_TABLE_ASSOCIATION)
        self.vpcs = graph.of_type(VPC, DEFAULT_VPC)
        # The first DefaultRouteTable of each VPC (by its defaultRouteTableId dependency).
        self.default_tables: dict[str, Node] = {}
        for table in graph.of_type(DEFAULT_ROUTE_TABLE):
            for urn in table.depends_on("defaultRouteTableId"):
                self.default_tables.setdefault(urn, table)
        self._internet_routes: dict[str, list[str]] = {}
        self._tables: dict[str, tuple[Node | None, str]] = {}

    def _is_gateway(self, value: Any, dependencies: Iterable[str]) -> bool:
        if isinstance(value, str) and value.startswith("igw-"):
            return True
        return any(urn in self.gateways for urn in dependencies)

    def internet_routes(self, table: Node) -> list[str]:
        """Descriptions of the table's routes (inline or separate) to an internet gateway."""
        found = self._internet_routes.get(table.urn)
        if found is None:
            found = self._internet_routes[table.urn] = self._find_internet_routes(table)
        return found

    def _find_internet_routes(self, table: Node) -> list[str]:
        if table.type == DEFAULT_SUBNET:
            return [DEFAULT_VPC_ROUTE]
        if table.type in (VPC, DEFAULT_VPC):
            return self._main_table_routes(table)
        found = []
        inline = table.get("routes")
        inline_dependencies = table.depends_on("routes")
        for route in as_list(inline) if not is_unknown(inline) else []:
            if isinstance(route, dict) and self._is_gateway(route.get("gatewayId"), []):
                found.append(f"inline route {_destination(route)} -> {route.get('gatewayId')}")
        if not found and any(urn in self.gateways for urn in inline_dependencies):
            found.append("an inline route to an internet gateway of this stack")
        for route in self.graph.sources(table, "routeTableId", self.routes, ID):
            if self._is_gateway(route.get("gatewayId"), route.depends_on("gatewayId")):
                found.append(
                    f"route {route.name} ({_destination(route.props)} -> internet gateway)"
                )
        return found

    def _main_table_routes(self, vpc: Node) -> list[str]:
        """The VPC's own main table (no MainRouteTableAssociation replaced it): its
        DefaultRouteTable's routes, or the default VPC's internet route, plus Route resources
        added to vpc.mainRouteTableId / defaultRouteTableId."""
        adopted = self.default_tables.get(vpc.urn)
        if adopted is not None:
            found = self.internet_routes(adopted)
        else:
            found = [DEFAULT_VPC_ROUTE] if vpc.type == DEFAULT_VPC else []
        for route in self.graph.sources(
            vpc, "routeTableId", self.routes, ("mainRouteTableId", "defaultRouteTableId")
        ):
            if self._is_gateway(route.get("gatewayId"), route.depends_on("gatewayId")):
                found = [
                    *found,
                    f"route {route.name} ({_destination(route.props)} -> internet gateway)",
                ]
        return found

    def table_of(self, subnet: Node) -> tuple[Node | None, str]:
        """The subnet's route table and how it was found; (None, why) when not knowable."""
        found = self._tables.get(subnet.urn)
        if found is None:
            found = self._tables[subnet.urn] = self._find_table(subnet)
        return found

    def _find_table(self, subnet: Node) -> tuple[Node | None, str]:
        for association in self.graph.sources(subnet, "subnetId", self.associations, ID)[:1]:
            tables = self.graph.targets(association, "routeTableId", self.tables, ID)
            if tables:
                return tables[0], f"associated by {association.name}"
            return None, f"{association.name} names a route table outside this stack"
        vpcs = self.graph.targets(subnet, "vpcId", self.vpcs, ID)
        if not vpcs:
            if subnet.type == DEFAULT_SUBNET:
                return subnet, "a default subnet, in the default VPC"
            return None, "its VPC is outside this stack"
        vpc = vpcs[0]
        for association in self.graph.sources(vpc, "vpcId", self.main_associations, ID)[:1]:
            tables = self.graph.targets(association, "routeTableId", self.tables, ID)
            if tables:
                return tables[0], f"main route table of {vpc.name} ({association.name})"
            return None, "the VPC's main route table is outside this stack"
        return vpc, f"main route table of {vpc.name}"


def _destination(route: Mapping[str, Any]) -> str:
    for key in ("destinationCidrBlock", "cidrBlock", "destinationIpv6CidrBlock", "ipv6CidrBlock"):
        value = route.get(key)
        if value is not None:
            return "<unknown>" if is_unknown(value) else str(value)
    return "?"


def _in_default_vpc(database: Node) -> str | None:
    """Why RDS puts the database in the default VPC, or None."""
    group_name = database.get("dbSubnetGroupName")
    if isinstance(group_name, str) and group_name.lower() == RDS_DEFAULT_SUBNET_GROUP:
        return "its DB subnet group is RDS's 'default' group"
    if group_name is None and not database.depends_on("dbSubnetGroupName"):
        if database.type != RDS_CLUSTER_INSTANCE:  # an Aurora instance uses its cluster's
            return "it has no dbSubnetGroupName"
    return None


def database_subnets_check(graph: StackGraph, settings: Mapping[str, Any]) -> Iterator[Violation]:
    routes = RouteAnalysis(graph)
    groups = graph.of_type(DB_SUBNET_GROUP)
    subnets = graph.of_type(SUBNET, DEFAULT_SUBNET)
    for database in graph.of_type(RDS_INSTANCE, RDS_CLUSTER, RDS_CLUSTER_INSTANCE):
        kind = database.type.rsplit(":", 1)[-1]
        why = _in_default_vpc(database)
        if why is not None:
            yield Violation(
                database.urn,
                database.name,
                f"{kind} {database.name}: {why}, so RDS places it in the default VPC, whose "
                "subnets route to an internet gateway. Give it a DB subnet group of private "
                "subnets (for example the Network component's private subnets).",
            )
            continue
        for group in graph.targets(database, "dbSubnetGroupName", groups, name_keys=("name",)):
            for subnet in graph.targets(group, "subnetIds", subnets, ID):
                table, how = routes.table_of(subnet)
                if table is None:
                    continue
                internet = routes.internet_routes(table)
                if internet:
                    where = (
                        f"route table {table.name} ({how})"
                        if table.type in (ROUTE_TABLE, DEFAULT_ROUTE_TABLE)
                        else how
                    )
                    yield Violation(
                        database.urn,
                        database.name,
                        f"{kind} {database.name} uses DB subnet group {group.name}, whose subnet "
                        f"{subnet.name} routes to the internet through {where}: "
                        f"{'; '.join(internet)}. Put only private subnets (default route "
                        "through a NAT gateway or none) in the DB subnet group.",
                    )


def flow_logs_check(graph: StackGraph, settings: Mapping[str, Any]) -> Iterator[Violation]:
    flow_logs = graph.of_type(FLOW_LOG)
    for vpc in graph.of_type(VPC):
        if not graph.sources(vpc, "vpcId", flow_logs, ID):
            yield Violation(
                vpc.urn,
                vpc.name,
                f"Vpc {vpc.name} has no flow log (aws.ec2.FlowLog with vpc_id={vpc.name}.id). "
                "Add one to CloudWatch Logs or S3 so rejected and accepted traffic can be audited.",
            )


# --- network ACLs ----------------------------------------------------------------------------

NETWORK_ACL = "aws:ec2/networkAcl:NetworkAcl"
DEFAULT_NETWORK_ACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
NETWORK_ACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
# Inbound replies to outbound connections arrive on ephemeral ports; AWS's example ACLs admit
# 1024-65535 from anywhere for them (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html).
EPHEMERAL_RANGE = (1024, 65535)


@dataclass(frozen=True, eq=False)
class AclEntry:
    """One inbound entry of a network ACL: rule number, allow/deny, protocol, ports, source."""

    node: Node
    where: str
    number: Any
    action: Any
    protocol: Any
    from_port: Any
    to_port: Any
    sources: list[Any]


def _acl_entries(graph: StackGraph, acl: Node) -> list[AclEntry]:
    entries = []
    inline = acl.get("ingress")
    for index, rule in enumerate(as_list(inline) if not is_unknown(inline) else []):
        if isinstance(rule, dict):
            entries.append(
                AclEntry(
                    acl,
                    f" ingress[{index}]",
                    rule.get("ruleNo"),
                    rule.get("action"),
                    rule.get("protocol"),
                    rule.get("fromPort"),
                    rule.get("toPort"),
                    [rule.get("cidrBlock"), rule.get("ipv6CidrBlock")],
                )
            )
    rules = graph.of_type(NETWORK_ACL_RULE)
    for rule in graph.sources(acl, "networkAclId", rules, ("id",)):
        if truthy(rule.get("egress", False)) is not False:
            continue
        entries.append(
            AclEntry(
                rule,
                "",
                rule.get("ruleNumber"),
                rule.get("ruleAction"),
                rule.get("protocol"),
                rule.get("fromPort"),
                rule.get("toPort"),
                [rule.get("cidrBlock"), rule.get("ipv6CidrBlock")],
            )
        )
    return entries


# AWS matches an entry only against traffic of its own IP family: `cidrBlock` entries against
# IPv4, `ipv6CidrBlock` entries against IPv6; a deny of one family leaves the other open
# (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html).
WHOLE_INTERNET = {4: "0.0.0.0/0", 6: "::/0"}


def _family(source: Any) -> int | None:
    if not isinstance(source, str) or not is_whole_internet(source):
        return None
    return 6 if ":" in source else 4


def _first_internet_match(entries: list[AclEntry], port: int, family: int) -> AclEntry | None:
    """The entry that decides traffic of this IP family from the whole internet to `port`: the
    lowest-numbered entry of that family matching it
    (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html)."""
    numbered = [entry for entry in entries if as_int(entry.number) is not None]
    for entry in sorted(numbered, key=lambda item: as_int(item.number) or 0):
        if not any(_family(source) == family for source in entry.sources):
            continue
        opens = opens_port(entry.protocol, entry.from_port, entry.to_port, port)
        if opens is None:
            return None
        if opens:
            return entry
    return None


def _is_return_traffic(entry: AclEntry) -> bool:
    low, high = as_int(entry.from_port), as_int(entry.to_port)
    return (low, high) == EPHEMERAL_RANGE and str(entry.protocol).lower() in ("tcp", "6")


def network_acl_check(graph: StackGraph, settings: Mapping[str, Any]) -> Iterator[Violation]:
    ports = [port for port in (as_int(item) for item in settings.get("ports") or []) if port]
    for acl in graph.of_type(NETWORK_ACL, DEFAULT_NETWORK_ACL):
        exposed: dict[tuple[AclEntry, int], list[int]] = {}
        entries = _acl_entries(graph, acl)
        for family in (4, 6):
            for port in ports:
                entry = _first_internet_match(entries, port, family)
                if entry is None or is_unknown(entry.action) or _is_return_traffic(entry):
                    continue
                if str(entry.action).strip().lower() == "allow":
                    exposed.setdefault((entry, family), []).append(port)
        for (entry, family), open_ports in exposed.items():
            listed = ", ".join(
                f"port {port} ({DATABASE_PORTS.get(port, 'database')})" for port in open_ports
            )
            yield Violation(
                entry.node.urn,
                entry.node.name,
                f"Network ACL {acl.name}: rule {as_int(entry.number)} ({entry.node.name}"
                f"{entry.where}) allows protocol {entry.protocol} from {WHOLE_INTERNET[family]}, "
                f"the first IPv{family} rule matching {listed} (AWS matches an entry only "
                "against its own IP family). Admit database ports only from the VPC's or the "
                "app subnets' ranges (keep 1024-65535 for return traffic).",
            )
