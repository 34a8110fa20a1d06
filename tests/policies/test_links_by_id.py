"""Resources linked by id when the ids are known, by property dependencies otherwise (issue 25, 6).

At an update AnalyzeStack sees each resource's state, ids included ("Unlike Analyze,
AnalyzeStack is called on the final outputs of each resource", pulumi/pulumi
pkg/resource/deploy); a DB subnet group's `subnetIds` and a route table association's
`subnetId` / `routeTableId` then name their subnets and table by id, whatever the program's
property dependencies say. How a subnet's route table decides whether it is public:
https://docs.aws.amazon.com/vpc/latest/userguide/RouteTables.html (a subnet uses the table it
is associated with, else the VPC's main table) and
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.Scenarios.html.
"""

from __future__ import annotations

from tests.support.policy_support import UNKNOWN, judge, resource, urn

RDS = "aws:rds/instance:Instance"
GROUP = "aws:rds/subnetGroup:SubnetGroup"
POLICY = "rds-subnets-private"


def _network(known_ids: bool = True) -> dict[str, object]:
    """A VPC with a public table (route to its internet gateway) and a private one, and one
    subnet of each associated with its table (by id, and by property dependencies)."""

    def ident(value: str) -> dict[str, str]:
        return {"id": value} if known_ids else {"id": UNKNOWN}

    parts = {
        "vpc": resource("aws:ec2/vpc:Vpc", "vpc", {**ident("vpc-1"), "cidrBlock": "10.0.0.0/16"}),
        "igw": resource("aws:ec2/internetGateway:InternetGateway", "igw", ident("igw-1")),
        "public-rt": resource("aws:ec2/routeTable:RouteTable", "public-rt", ident("rtb-pub")),
        "private-rt": resource("aws:ec2/routeTable:RouteTable", "private-rt", ident("rtb-priv")),
        "public": resource("aws:ec2/subnet:Subnet", "public", {**ident("subnet-pub")}),
        "private": resource("aws:ec2/subnet:Subnet", "private", {**ident("subnet-priv")}),
    }
    parts["route"] = resource(
        "aws:ec2/route:Route",
        "public-default",
        {"routeTableId": "rtb-pub", "gatewayId": "igw-1", "destinationCidrBlock": "0.0.0.0/0"},
        {"routeTableId": [parts["public-rt"]], "gatewayId": [parts["igw"]]},
    )
    for tier, subnet, table in (
        ("public", "subnet-pub", "rtb-pub"),
        ("private", "subnet-priv", "rtb-priv"),
    ):
        parts[f"{tier}-association"] = resource(
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            f"{tier}-association",
            {"subnetId": subnet, "routeTableId": table},
            {"subnetId": [parts[tier]], "routeTableId": [parts[f"{tier}-rt"]]},
        )
    return parts


def _database(subnet_ids: list[str], depends: list[object] | None = None) -> list[object]:
    group = resource(
        GROUP,
        "db-subnets",
        {"name": "db-subnets", "subnetIds": subnet_ids},
        {"subnetIds": depends} if depends else None,
    )
    database = resource(RDS, "db", {"dbSubnetGroupName": "db-subnets"}, {})
    return [group, database]


def test_a_subnet_group_naming_a_public_subnet_by_id_is_blocked():
    parts = _network()
    [(message, found)] = judge(POLICY, [*parts.values(), *_database(["subnet-pub"])])
    assert found == urn(RDS, "db")
    assert "subnet public" in message and "public-rt" in message


def test_ids_decide_over_broader_dependencies():
    # The group's subnet list was computed from every subnet (its dependencies name both), but
    # RDS gets the ids it names: the private one only.
    parts = _network()
    database = _database(["subnet-priv"], depends=[parts["public"], parts["private"]])
    assert judge(POLICY, [*parts.values(), *database]) == []


def test_an_association_by_id_makes_a_subnet_public():
    parts = _network()
    parts["private-association"] = resource(
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "private-association",
        {"subnetId": "subnet-priv", "routeTableId": "rtb-pub"},  # the public table
    )
    [(message, _)] = judge(POLICY, [*parts.values(), *_database(["subnet-priv"])])
    assert "subnet private" in message and "public-rt" in message


def test_while_ids_are_unknown_dependencies_link_them():
    parts = _network(known_ids=False)
    association = resource(
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "public-association",
        {"subnetId": UNKNOWN, "routeTableId": UNKNOWN},
        {"subnetId": [parts["public"]], "routeTableId": [parts["public-rt"]]},
    )
    route = resource(
        "aws:ec2/route:Route",
        "public-default",
        {"routeTableId": UNKNOWN, "gatewayId": UNKNOWN, "destinationCidrBlock": "0.0.0.0/0"},
        {"routeTableId": [parts["public-rt"]], "gatewayId": [parts["igw"]]},
    )
    parts.update({"public-association": association, "route": route})
    del parts["private-association"]
    database = _database([UNKNOWN], depends=[parts["public"]])
    [(_, found)] = judge(POLICY, [*parts.values(), *database])
    assert found == urn(RDS, "db")
