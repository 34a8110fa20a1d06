"""A Multi-AZ DB cluster that omits publiclyAccessible is judged by RDS's default (issue 25, 7).

CreateDBCluster, PubliclyAccessible ("Valid for Cluster Type: Multi-AZ DB clusters only"):
"If DBSubnetGroupName isn't specified, and PubliclyAccessible isn't specified ... If the default
VPC in the target Region has an internet gateway attached to it, the DB cluster is public. If
DBSubnetGroupName is specified, and PubliclyAccessible isn't specified ... If the subnets are
part of a VPC that has an internet gateway attached to it, the DB cluster is public."
https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html
The default VPC has an internet gateway: https://docs.aws.amazon.com/vpc/latest/userguide/default-vpc.html
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from components.network import Network, NetworkArgs
from tests.support.policy_support import UNKNOWN, judge, resource, urn
from tools.offline import run_program
from tools.policy_gate import check_plan

CLUSTER = "aws:rds/cluster:Cluster"
GROUP = "aws:rds/subnetGroup:SubnetGroup"
POLICY = "rds-not-publicly-accessible"
MULTI_AZ = {"engine": "mysql", "dbClusterInstanceClass": "db.m6gd.large"}


def _vpc(with_gateway: bool) -> list[object]:
    vpc = resource("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"})
    subnets = [
        resource("aws:ec2/subnet:Subnet", f"private-{zone}", {"vpcId": UNKNOWN}, {"vpcId": [vpc]})
        for zone in "abc"
    ]
    group = resource(
        GROUP,
        "db-subnets",
        {"name": "db-subnets", "subnetIds": [UNKNOWN] * 3},
        {"subnetIds": subnets},
    )
    found = [vpc, *subnets, group]
    if with_gateway:
        found.append(
            resource(
                "aws:ec2/internetGateway:InternetGateway",
                "igw",
                {"vpcId": UNKNOWN},
                {"vpcId": [vpc]},
            )
        )
    return found


def _cluster(props: dict, group: object | None = None) -> object:
    depends = {"dbSubnetGroupName": [group]} if group is not None else None
    return resource(CLUSTER, "orders", {**MULTI_AZ, **props}, depends)


@pytest.mark.parametrize(
    ("props", "mentions"),
    [
        ({}, "names no DB subnet group"),
        ({"dbSubnetGroupName": "default"}, "'default'"),
    ],
)
def test_in_the_default_vpc_an_omitted_flag_is_public(props, mentions):
    [(message, found)] = judge(POLICY, [_cluster(props)])
    assert found == urn(CLUSTER, "orders") and mentions in message
    assert "omits publiclyAccessible" in message


def test_in_a_vpc_with_an_internet_gateway_an_omitted_flag_is_public():
    network = _vpc(with_gateway=True)
    group = network[-2]
    [(message, _)] = judge(POLICY, [*network, _cluster({"dbSubnetGroupName": UNKNOWN}, group)])
    assert "internet gateway attached (igw)" in message


@pytest.mark.parametrize(
    ("with_gateway", "props"),
    [
        (False, {"dbSubnetGroupName": UNKNOWN}),  # no internet gateway: private
        (True, {"dbSubnetGroupName": UNKNOWN, "publiclyAccessible": False}),
    ],
    ids=["no gateway", "set false"],
)
def test_private_by_default_or_by_setting_passes(with_gateway, props):
    network = _vpc(with_gateway)
    group = network[3]
    assert judge(POLICY, [*network, _cluster(props, group)]) == []


def test_an_aurora_cluster_and_an_unknown_group_never_block():
    aurora = resource(CLUSTER, "aurora", {"engine": "aurora-mysql"})  # no instance class
    assert judge(POLICY, [aurora]) == []
    assert judge(POLICY, [_cluster({"dbSubnetGroupName": UNKNOWN})]) == []


def _twin(public: bool | None) -> None:
    zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    network = Network(
        "twin",
        NetworkArgs(
            vpc_cidr="10.0.0.0/16",
            availability_zones=zones,
            public_subnet_cidrs=["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"],
            private_subnet_cidrs=["10.0.16.0/20", "10.0.32.0/20", "10.0.48.0/20"],
        ),
    )
    multi_az_cluster(network.private_subnet_ids, public)


def multi_az_cluster(subnet_ids: pulumi.Input[list[str]], public: bool | None) -> None:
    """A Multi-AZ DB cluster (a DB cluster instance class) in its own subnet group of
    `subnet_ids`; `public` None leaves `publiclyAccessible` to RDS's default."""
    group = aws.rds.SubnetGroup("twin-cluster-subnets", subnet_ids=subnet_ids)
    aws.rds.Cluster(
        "twin-cluster",
        engine="mysql",
        db_cluster_instance_class="db.m6gd.large",
        storage_type="io1",
        allocated_storage=100,
        iops=1000,
        storage_encrypted=True,
        db_subnet_group_name=group.name,
        publicly_accessible=public,
        manage_master_user_password=True,
        master_username="admin",
    )


@pytest.mark.parametrize("preview", [False, True])
def test_through_the_analyzer_the_network_components_vpc_makes_it_public(preview):
    # The Network component's VPC has an internet gateway (for its public subnets), so RDS
    # makes the cluster public even in the private subnets.
    blocked = check_plan(run_program("dev", preview=preview, program=lambda: _twin(None)))
    assert [v.resource_name for v in blocked.by_policy(POLICY)] == ["twin-cluster"]
    passed = check_plan(run_program("dev", preview=preview, program=lambda: _twin(False)))
    assert passed.by_policy(POLICY) == []
