"""Security groups judged as EC2 evaluates them: every rule of a group together."""

from __future__ import annotations

import pytest

from tests.support.policy_support import (
    UNKNOWN,
    resource,
    run_stack_policy,
    run_stack_policy_on,
    urn,
)

SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
DB_PORTS = "security-group-no-public-database-ports"
RULES_DOC = "https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html"


def _rule(name, group, cidr, protocol="tcp", low=3306, high=3306):
    return resource(
        INGRESS,
        name,
        {
            "securityGroupId": UNKNOWN,
            "ipProtocol": protocol,
            "fromPort": low,
            "toPort": high,
            "cidrIpv4": cidr,
        },
        {"securityGroupId": [group]},
    )


def test_ranges_that_together_cover_the_internet_are_the_internet():
    # RULES_DOC: "If there is more than one rule for a specific port, Amazon VPC applies the most
    # permissive rule"; all rules of a group are evaluated together, so 0.0.0.0/1 and
    # 128.0.0.0/1 admit every IPv4 address.
    group = resource(SG, "db-sg", {"ingress": []})
    halves = [_rule("low-half", group, "0.0.0.0/1"), _rule("high-half", group, "128.0.0.0/1")]
    found = run_stack_policy(DB_PORTS, [group, *halves])
    assert len(found) == 1
    message, where = found[0]
    assert where == urn(SG, "db-sg")
    assert "low-half" in message and "high-half" in message and "0.0.0.0/0" in message


def test_inline_and_standalone_rules_of_one_group_are_combined():
    group = resource(
        SG,
        "db-sg",
        {
            "ingress": [
                {"protocol": "tcp", "fromPort": 3306, "toPort": 3306, "cidrBlocks": ["0.0.0.0/1"]}
            ]
        },
    )
    found = run_stack_policy(DB_PORTS, [group, _rule("rest", group, "128.0.0.0/1")])
    assert len(found) == 1 and "rest" in found[0][0]


def test_halves_on_different_groups_or_ports_are_not_the_internet():
    one, two = resource(SG, "one", {}), resource(SG, "two", {})
    assert (
        run_stack_policy(
            DB_PORTS, [one, two, _rule("a", one, "0.0.0.0/1"), _rule("b", two, "128.0.0.0/1")]
        )
        == []
    )
    group = resource(SG, "g", {})
    other_port = _rule("b", group, "128.0.0.0/1", low=5432, high=5432)
    assert run_stack_policy(DB_PORTS, [group, _rule("a", group, "0.0.0.0/1"), other_port]) == []


@pytest.mark.parametrize("protocol", ["50", "esp", "icmp", "47", "58"])
def test_protocols_without_tcp_ports_never_open_a_database_port(protocol):
    # RULES_DOC: ports apply to TCP and UDP; for other protocols (ICMP, ESP = 50, GRE = 47) a
    # rule admits that protocol only, never a TCP port. Only -1 ("all") admits every protocol.
    props = {"ipProtocol": protocol, "fromPort": -1, "toPort": -1, "cidrIpv4": "0.0.0.0/0"}
    assert run_stack_policy_on(DB_PORTS, INGRESS, props) == []


def test_ports_are_integers_in_messages():
    # The engine sends numbers as floats (google.protobuf.Struct); messages name ports as EC2 does.
    props = {"ipProtocol": "tcp", "fromPort": 3300.0, "toPort": 3310.0, "cidrIpv4": "0.0.0.0/0"}
    (message,) = run_stack_policy_on(DB_PORTS, INGRESS, props, name="db")
    assert "tcp 3300-3310" in message and "3306 (MySQL/MariaDB)" in message
    assert "3300.0" not in message and "3306.0" not in message


def test_nfs_is_a_default_database_and_storage_port():
    props = {"ipProtocol": "tcp", "fromPort": 2049, "toPort": 2049, "cidrIpv6": "::/0"}
    (message,) = run_stack_policy_on(DB_PORTS, INGRESS, props)
    assert "2049 (NFS)" in message
    assert run_stack_policy_on(DB_PORTS, INGRESS, props, config={"ports": [3306]}) == []
