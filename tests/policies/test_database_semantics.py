"""Databases judged as RDS and VPC routing decide: which resources can be public, which subnets
are public, and what the provider reports after an update."""

from __future__ import annotations

import pytest

from tests.policies.test_policy_rules import _database, _network
from tests.support.policy_support import UNKNOWN, judge, resource, run_stack_policy

RDS = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"
AURORA = "aws:rds/clusterInstance:ClusterInstance"
SUBNETS = "rds-subnets-private"


@pytest.mark.parametrize("kind", [RDS, AURORA, CLUSTER])
def test_every_resource_that_can_be_public_is_judged(kind):
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html:
    # PubliclyAccessible applies to Multi-AZ DB clusters too, not only to DB instances.
    found = judge(
        "rds-not-publicly-accessible", [resource(kind, "db", {"publiclyAccessible": True})]
    )
    assert len(found) == 1


def test_after_an_update_rdss_default_subnet_group_is_the_default_vpc():
    # https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html
    # ("If you don't specify a DB subnet group, RDS uses the default VPC's 'default' group"):
    # after `pulumi up` the provider reports dbSubnetGroupName "default".
    for kind in (RDS, CLUSTER):
        found = run_stack_policy(SUBNETS, [resource(kind, "db", {"dbSubnetGroupName": "default"})])
        assert len(found) == 1 and "default VPC" in found[0][0]


def test_an_unknown_subnet_group_never_blocks_a_preview():
    assert run_stack_policy(SUBNETS, [resource(RDS, "db", {"dbSubnetGroupName": UNKNOWN})]) == []


def _internet_route(table, igw):
    """A Route to the internet gateway on `table` (a route table, or a VPC's main table)."""
    return resource(
        "aws:ec2/route:Route",
        "main-default",
        {"routeTableId": UNKNOWN, "destinationCidrBlock": "0.0.0.0/0", "gatewayId": UNKNOWN},
        {"routeTableId": [table], "gatewayId": [igw]},
    )


def test_routes_added_to_the_vpcs_main_route_table_make_unassociated_subnets_public():
    # https://docs.aws.amazon.com/vpc/latest/userguide/RouteTables.html#RouteTables: "subnets
    # that are not explicitly associated with any route table are implicitly associated with
    # the main route table"; a Route on vpc.main_route_table_id is a route of that table.
    parts, resources = _network()
    vpc, igw = parts["vpc"], parts["igw"]
    loose = resource("aws:ec2/subnet:Subnet", "loose", {}, {"vpcId": [vpc]})
    route = _internet_route(vpc, igw)
    found = run_stack_policy(SUBNETS, [*resources, loose, route, *_database([loose])])
    assert len(found) == 1 and "main-default" in found[0][0]


def test_routes_added_to_an_adopted_default_route_table_count():
    parts, resources = _network()
    vpc, igw = parts["vpc"], parts["igw"]
    loose = resource("aws:ec2/subnet:Subnet", "loose", {}, {"vpcId": [vpc]})
    main = resource(
        "aws:ec2/defaultRouteTable:DefaultRouteTable",
        "main",
        {"routes": []},
        {"defaultRouteTableId": [vpc]},
    )
    route = _internet_route(main, igw)
    found = run_stack_policy(SUBNETS, [*resources, loose, main, route, *_database([loose])])
    assert len(found) == 1 and "main-default" in found[0][0]


def test_default_subnets_and_subnets_of_the_default_vpc_are_public():
    # https://docs.aws.amazon.com/vpc/latest/userguide/default-vpc.html: a default VPC's main
    # route table sends 0.0.0.0/0 to its internet gateway, and "default subnets are public".
    default_subnet = resource("aws:ec2/defaultSubnet:DefaultSubnet", "default-a", {})
    found = run_stack_policy(SUBNETS, [default_subnet, *_database([default_subnet])])
    assert len(found) == 1 and "default-a" in found[0][0] and "default" in found[0][0]
    default_vpc = resource("aws:ec2/defaultVpc:DefaultVpc", "default-vpc", {})
    loose = resource("aws:ec2/subnet:Subnet", "loose", {}, {"vpcId": [default_vpc]})
    found = run_stack_policy(SUBNETS, [default_vpc, loose, *_database([loose])])
    assert len(found) == 1 and "loose" in found[0][0]


def test_a_default_subnet_associated_with_a_private_table_is_private():
    parts, resources = _network()
    default_subnet = resource("aws:ec2/defaultSubnet:DefaultSubnet", "default-a", {})
    private_rt = next(r for r in resources if r.name == "private-rt")
    association = resource(
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "a-default",
        {},
        {"subnetId": [default_subnet], "routeTableId": [private_rt]},
    )
    stack = [*resources, default_subnet, association, *_database([default_subnet])]
    assert run_stack_policy(SUBNETS, stack) == []
