"""Reading a planned network back as a topology: which subnet routes where, who admits whom."""

from __future__ import annotations

from dataclasses import dataclass

from tools.offline import Plan, PlannedResource

SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


@dataclass(frozen=True)
class DefaultRoute:
    """Where a subnet's 0.0.0.0/0 goes: ("igw", gateway) or ("nat", gateway); None if nowhere."""

    kind: str
    target: PlannedResource


class Topology:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.by_id = {resource.id: resource for resource in plan.resources if resource.id}

    def subnets(self, tier: str) -> list[PlannedResource]:
        subnets = [s for s in self.plan.of_type(SUBNET) if s.inputs["tags"]["Tier"] == tier]
        return sorted(subnets, key=lambda subnet: subnet.inputs["availabilityZone"])

    def route_table_of(self, subnet: PlannedResource) -> PlannedResource:
        tables = [
            self.by_id[association.inputs["routeTableId"]]
            for association in self.plan.of_type(ASSOCIATION)
            if association.inputs["subnetId"] == subnet.id
        ]
        assert len(tables) == 1, f"{subnet.name} has {len(tables)} route table associations"
        return tables[0]

    def routes_of(self, table: PlannedResource) -> list[PlannedResource]:
        return [
            route for route in self.plan.of_type(ROUTE) if route.inputs["routeTableId"] == table.id
        ]

    def default_route(self, subnet: PlannedResource) -> DefaultRoute | None:
        routes = [
            route
            for route in self.routes_of(self.route_table_of(subnet))
            if route.inputs.get("destinationCidrBlock") == "0.0.0.0/0"
        ]
        assert len(routes) <= 1, f"{subnet.name} has {len(routes)} default routes"
        if not routes:
            return None
        route = routes[0]
        if "natGatewayId" in route.inputs:
            return DefaultRoute("nat", self.by_id[route.inputs["natGatewayId"]])
        return DefaultRoute("igw", self.by_id[route.inputs["gatewayId"]])

    def subnet_of_nat(self, gateway: PlannedResource) -> PlannedResource:
        return self.by_id[gateway.inputs["subnetId"]]

    def security_group(self, tier: str) -> PlannedResource:
        groups = [
            g for g in self.plan.of_type(SECURITY_GROUP) if g.inputs["tags"].get("Tier") == tier
        ]
        assert len(groups) == 1, f"{len(groups)} security groups of tier {tier}"
        return groups[0]

    def rules(self, group: PlannedResource, kind: str = INGRESS_RULE) -> list[dict]:
        """The rules of a group as (protocol, ports, source) dicts, with group sources by tier."""
        found = []
        for rule in self.plan.of_type(kind):
            if rule.inputs["securityGroupId"] != group.id:
                continue
            peer = rule.inputs.get("referencedSecurityGroupId")
            found.append(
                {
                    "protocol": rule.inputs["ipProtocol"],
                    "ports": (rule.inputs.get("fromPort"), rule.inputs.get("toPort")),
                    "peer": self.by_id[peer].inputs["tags"]["Tier"]
                    if peer
                    else rule.inputs.get("cidrIpv4") or rule.inputs.get("prefixListId"),
                }
            )
        return sorted(found, key=lambda item: (item["ports"], str(item["peer"])))
