"""The Network component built directly, for several AZ counts and every NAT strategy."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import replace

import pytest

from components.network.args import NetworkArgs
from components.network.network import Network
from tests.support.topology import EGRESS_RULE, INGRESS_RULE, NAT_GATEWAY, Topology
from tools.offline import Plan, run_program

ZONES = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]


def network_args(az_count: int, **overrides) -> NetworkArgs:
    return replace(NetworkArgs(availability_zones=ZONES[:az_count]), **overrides)


def plan_network(args: NetworkArgs) -> Plan:
    return run_program("dev", program=lambda: Network("net", args))


@pytest.mark.parametrize("az_count", [2, 3, 4])
@pytest.mark.parametrize("strategy", ["none", "single", "per-az"])
def test_every_private_subnet_routes_out_through_the_nat_of_its_strategy(az_count, strategy):
    topology = Topology(plan_network(network_args(az_count, nat_strategy=strategy)))
    private = topology.subnets("private")
    gateways = topology.plan.of_type(NAT_GATEWAY)

    assert len(private) == az_count
    assert len(gateways) == {"none": 0, "single": 1, "per-az": az_count}[strategy]
    for subnet in private:
        route = topology.default_route(subnet)
        if strategy == "none":
            assert route is None, f"{subnet.name} must have no way out"
            continue
        assert route is not None and route.kind == "nat"
        nat_subnet = topology.subnet_of_nat(route.target)
        assert nat_subnet.inputs["tags"]["Tier"] == "public"
        if strategy == "per-az":
            assert nat_subnet.inputs["availabilityZone"] == subnet.inputs["availabilityZone"]


@pytest.mark.parametrize("az_count", [2, 3, 4])
def test_public_subnets_route_to_the_internet_gateway_one_per_zone(az_count):
    topology = Topology(plan_network(network_args(az_count)))
    public = topology.subnets("public")
    assert [subnet.inputs["availabilityZone"] for subnet in public] == ZONES[:az_count]
    for subnet in public:
        route = topology.default_route(subnet)
        assert route is not None and route.kind == "igw"
        assert route.target.type == "aws:ec2/internetGateway:InternetGateway"
        assert subnet.inputs["mapPublicIpOnLaunch"] is False


def test_subnet_blocks_lie_in_the_vpc_and_never_overlap():
    topology = Topology(plan_network(network_args(4)))
    blocks = [
        ipaddress.ip_network(subnet.inputs["cidrBlock"])
        for subnet in topology.subnets("public") + topology.subnets("private")
    ]
    vpc = ipaddress.ip_network("10.0.0.0/16")
    assert all(block.subnet_of(vpc) for block in blocks)
    assert not any(a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])


def test_each_nat_gateway_has_its_own_elastic_ip_in_a_public_subnet():
    plan = plan_network(network_args(3, nat_strategy="per-az"))
    topology = Topology(plan)
    allocations = [gateway.inputs["allocationId"] for gateway in plan.of_type(NAT_GATEWAY)]
    assert len(set(allocations)) == 3
    assert all(topology.by_id[allocation].inputs["domain"] == "vpc" for allocation in allocations)
    zones = {
        topology.subnet_of_nat(g).inputs["availabilityZone"] for g in plan.of_type(NAT_GATEWAY)
    }
    assert zones == set(ZONES[:3])


def test_vpc_resolves_dns():
    vpc = plan_network(network_args(2)).of_type("aws:ec2/vpc:Vpc")[0]
    assert vpc.inputs["enableDnsSupport"] is True
    assert vpc.inputs["enableDnsHostnames"] is True
    assert vpc.inputs["cidrBlock"] == "10.0.0.0/16"


def test_database_and_file_system_admit_only_the_app_tier():
    topology = Topology(plan_network(network_args(2)))
    assert topology.rules(topology.security_group("database")) == [
        {"protocol": "tcp", "ports": (3306, 3306), "peer": "app"}
    ]
    assert topology.rules(topology.security_group("file-system")) == [
        {"protocol": "tcp", "ports": (2049, 2049), "peer": "app"}
    ]
    assert topology.rules(topology.security_group("database"), EGRESS_RULE) == []


def test_app_tier_takes_http_only_from_the_load_balancer_and_reaches_only_its_data_tiers():
    topology = Topology(plan_network(network_args(2)))
    app = topology.security_group("app")
    assert topology.rules(app) == [{"protocol": "tcp", "ports": (80, 80), "peer": "load-balancer"}]
    assert topology.rules(app, EGRESS_RULE) == [
        {"protocol": "tcp", "ports": (80, 80), "peer": "0.0.0.0/0"},
        {"protocol": "tcp", "ports": (443, 443), "peer": "0.0.0.0/0"},
        {"protocol": "tcp", "ports": (2049, 2049), "peer": "file-system"},
        {"protocol": "tcp", "ports": (3306, 3306), "peer": "database"},
    ]


def test_bastion_admits_ssh_only_from_the_admin_range_and_opens_ssh_to_the_app_tier():
    args = network_args(2, admin_cidr="203.0.113.7/32", enable_bastion=True)
    topology = Topology(plan_network(args))
    bastion = topology.security_group("bastion")
    assert topology.rules(bastion) == [
        {"protocol": "tcp", "ports": (22, 22), "peer": "203.0.113.7/32"}
    ]
    assert {"protocol": "tcp", "ports": (22, 22), "peer": "bastion"} in topology.rules(
        topology.security_group("app")
    )


def test_no_bastion_group_without_the_switch():
    plan = plan_network(network_args(2, admin_cidr="203.0.113.7/32"))
    tiers = {
        group.inputs["tags"]["Tier"]
        for group in plan.of_type("aws:ec2/securityGroup:SecurityGroup")
    }
    assert tiers == {"load-balancer", "app", "database", "file-system"}


def test_no_security_group_takes_web_ports_from_the_internet():
    # The load balancer's sources are the edge's to give: CloudFront's origin-facing prefix
    # list (tests/test_edge.py); the network alone admits nobody to it.
    topology = Topology(
        plan_network(network_args(2, admin_cidr="203.0.113.7/32", enable_bastion=True))
    )
    load_balancer = topology.security_group("load-balancer")
    assert topology.rules(load_balancer) == []
    assert topology.rules(load_balancer, EGRESS_RULE) == [
        {"protocol": "tcp", "ports": (80, 80), "peer": "app"}
    ]
    plan = plan_network(network_args(2, admin_cidr="203.0.113.7/32", enable_bastion=True))
    open_rules = [
        r.name for r in plan.of_type(INGRESS_RULE) if r.inputs.get("cidrIpv4") == "0.0.0.0/0"
    ]
    assert open_rules == []


def test_default_security_group_is_stripped_of_every_rule():
    plan = plan_network(network_args(2))
    [default] = plan.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert "ingress" not in default.inputs and "egress" not in default.inputs


def acl_entries(plan: Plan, name: str, direction: str) -> set[tuple]:
    acl = plan.named(name)
    return {
        (entry["protocol"], entry["fromPort"], entry["toPort"], entry["cidrBlock"])
        for entry in acl.inputs[direction]
        if entry["action"] == "allow"
    }


def test_public_acl_admits_web_ephemeral_and_ssh_only_from_the_admin_range():
    plan = plan_network(network_args(2, admin_cidr="203.0.113.7/32"))
    assert acl_entries(plan, "net-public-acl", "ingress") == {
        ("-1", 0, 0, "10.0.0.0/16"),
        ("tcp", 80, 80, "0.0.0.0/0"),
        ("tcp", 443, 443, "0.0.0.0/0"),
        ("tcp", 22, 22, "203.0.113.7/32"),
        ("tcp", 1024, 65535, "0.0.0.0/0"),
    }
    assert ("tcp", 1024, 65535, "0.0.0.0/0") in acl_entries(plan, "net-public-acl", "egress")


def test_public_acl_has_no_ssh_without_an_admin_range():
    plan = plan_network(network_args(2))
    assert not any(entry[1] == 22 for entry in acl_entries(plan, "net-public-acl", "ingress"))


def test_private_acl_admits_only_the_vpc_and_return_traffic():
    plan = plan_network(network_args(2))
    assert acl_entries(plan, "net-private-acl", "ingress") == {
        ("-1", 0, 0, "10.0.0.0/16"),
        ("tcp", 1024, 65535, "0.0.0.0/0"),
    }
    acl = plan.named("net-private-acl")
    private_ids = {subnet.id for subnet in Topology(plan).subnets("private")}
    assert set(acl.inputs["subnetIds"]) == private_ids


def test_acl_rule_numbers_are_unique_per_direction():
    plan = plan_network(network_args(2, admin_cidr="203.0.113.7/32"))
    for acl in plan.of_type("aws:ec2/networkAcl:NetworkAcl"):
        for direction in ("ingress", "egress"):
            numbers = [entry["ruleNo"] for entry in acl.inputs[direction]]
            assert len(numbers) == len(set(numbers)), f"{acl.name} {direction}"


def test_flow_logs_go_to_a_retained_group_through_a_role_that_writes_only_there():
    plan = plan_network(network_args(2, flow_log_retention_days=30))
    [log_group] = plan.of_type("aws:cloudwatch/logGroup:LogGroup")
    [flow_log] = plan.of_type("aws:ec2/flowLog:FlowLog")
    [role] = plan.of_type("aws:iam/role:Role")
    [policy] = plan.of_type("aws:iam/rolePolicy:RolePolicy")
    group_arn = log_group.outputs["arn"]

    assert log_group.inputs["retentionInDays"] == 30
    assert flow_log.inputs["logDestination"] == group_arn
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow_log.inputs["iamRoleArn"] == role.outputs["arn"]
    assert flow_log.inputs["trafficType"] == "ALL"
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert [statement["Principal"] for statement in trust] == [
        {"Service": "vpc-flow-logs.amazonaws.com"}
    ]
    assert trust[0]["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    write, find = json.loads(policy.inputs["policy"])["Statement"]
    assert write["Resource"] == [group_arn, f"{group_arn}:*"]
    assert sorted(write["Action"]) == [
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
    ]
    # DescribeLogGroups has no resource-level permissions (Service Authorization Reference,
    # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html):
    # granted on a log group ARN it would be inert, so it stands alone on "*".
    assert find == {
        "Sid": "FindTheLogGroup",
        "Effect": "Allow",
        "Action": ["logs:DescribeLogGroups"],
        "Resource": "*",
    }


def test_s3_gateway_endpoint_serves_every_private_route_table():
    plan = plan_network(network_args(3, nat_strategy="per-az"))
    topology = Topology(plan)
    [endpoint] = plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    private_tables = {topology.route_table_of(subnet).id for subnet in topology.subnets("private")}
    assert endpoint.inputs["vpcEndpointType"] == "Gateway"
    assert endpoint.inputs["serviceName"] == "com.amazonaws.us-east-1.s3"
    assert set(endpoint.inputs["routeTableIds"]) == private_tables


def test_every_child_is_parented_to_the_component_and_named_after_it():
    plan = plan_network(network_args(2, admin_cidr="203.0.113.7/32", enable_bastion=True))
    [component] = plan.of_type("platform:network:Network")
    children = [resource for resource in plan.resources if resource is not component]
    assert children and all(resource.parent == component.urn for resource in children)
    assert all(resource.name.startswith("net-") for resource in children)


@pytest.mark.parametrize(
    ("overrides", "argument"),
    [
        (
            {
                "availability_zones": ["us-east-1a"],
                "public_subnet_cidrs": ["10.0.0.0/24"],
                "private_subnet_cidrs": ["10.0.16.0/20"],
            },
            "availability_zones",
        ),
        ({"public_subnet_cidrs": ["10.0.0.0/24"]}, "public_subnet_cidrs"),
        ({"nat_strategy": "two"}, "nat_strategy"),
        ({"admin_cidr": "0.0.0.0/0"}, "admin_cidr"),
        ({"enable_bastion": True}, "enable_bastion"),
    ],
)
def test_contradictory_args_raise_naming_the_argument(overrides, argument):
    with pytest.raises(ValueError, match=argument):
        network_args(2, **overrides)
