"""Network ACL entries match only their own IP family (issue 25, 4).

"Rules are evaluated starting with the lowest numbered rule"; an IPv4 entry (`cidrBlock`) is
matched against IPv4 traffic only and an IPv6 entry (`ipv6CidrBlock`) against IPv6 only, so a
lower-numbered deny of one family leaves the port open in the other:
https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html
"""

from __future__ import annotations

import pulumi_aws as aws
import pytest

from tests.support.policy_support import judge, resource, urn
from tools.offline import run_program
from tools.policy_gate import check_plan

ACL = "aws:ec2/networkAcl:NetworkAcl"
RULE = "aws:ec2/networkAclRule:NetworkAclRule"
POLICY = "network-acl-no-public-database-ports"


def _entry(number: int, action: str, v4: str | None = None, v6: str | None = None) -> dict:
    entry = {"ruleNo": number, "action": action, "protocol": "tcp", "fromPort": 3306}
    entry["toPort"] = 3306
    if v4:
        entry["cidrBlock"] = v4
    if v6:
        entry["ipv6CidrBlock"] = v6
    return entry


@pytest.mark.parametrize(
    ("entries", "open_family"),
    [
        # A deny of IPv6 first does not close IPv4.
        ([_entry(50, "deny", v6="::/0"), _entry(100, "allow", v4="0.0.0.0/0")], "0.0.0.0/0"),
        # A deny of IPv4 first does not close IPv6.
        ([_entry(50, "deny", v4="0.0.0.0/0"), _entry(100, "allow", v6="::/0")], "::/0"),
        # Each family denied first: closed.
        (
            [
                _entry(50, "deny", v4="0.0.0.0/0"),
                _entry(60, "deny", v6="::/0"),
                _entry(100, "allow", v4="0.0.0.0/0"),
                _entry(110, "allow", v6="::/0"),
            ],
            None,
        ),
        # The allow comes first in its own family: open, whatever the other family says.
        ([_entry(40, "allow", v6="::/0"), _entry(50, "deny", v4="0.0.0.0/0")], "::/0"),
    ],
    ids=["deny v6, allow v4", "deny v4, allow v6", "both denied", "allow v6 first"],
)
def test_each_family_is_decided_by_its_own_lowest_entry(entries, open_family):
    acl = resource(ACL, "private", {"ingress": entries})
    found = judge(POLICY, [acl])
    if open_family is None:
        assert found == []
    else:
        [(message, found_urn)] = found
        assert found_urn == urn(ACL, "private") and f"from {open_family}" in message


def test_standalone_rules_are_judged_by_family_too():
    acl = resource(ACL, "private", {"ingress": []})
    deny_v6 = resource(
        RULE,
        "deny-v6",
        {"ruleNumber": 50, "egress": False, "ruleAction": "deny", "protocol": "tcp"}
        | {"fromPort": 3306, "toPort": 3306, "ipv6CidrBlock": "::/0"},
        {"networkAclId": [acl]},
    )
    allow_v4 = resource(
        RULE,
        "allow-v4",
        {"ruleNumber": 100, "egress": False, "ruleAction": "allow", "protocol": "tcp"}
        | {"fromPort": 3306, "toPort": 3306, "cidrBlock": "0.0.0.0/0"},
        {"networkAclId": [acl]},
    )
    assert [found for _, found in judge(POLICY, [acl, deny_v6, allow_v4])] == [
        urn(RULE, "allow-v4")
    ]


def _twin() -> None:
    vpc = aws.ec2.Vpc("twin-vpc", cidr_block="10.0.0.0/16")
    acl = aws.ec2.NetworkAcl("twin-acl", vpc_id=vpc.id)
    aws.ec2.NetworkAclRule(
        "twin-deny-ipv6-mysql",
        network_acl_id=acl.id,
        rule_number=50,
        egress=False,
        protocol="tcp",
        rule_action="deny",
        ipv6_cidr_block="::/0",
        from_port=3306,
        to_port=3306,
    )
    aws.ec2.NetworkAclRule(
        "twin-allow-ipv4-mysql",
        network_acl_id=acl.id,
        rule_number=100,
        egress=False,
        protocol="tcp",
        rule_action="allow",
        cidr_block="0.0.0.0/0",
        from_port=3306,
        to_port=3306,
    )


@pytest.mark.parametrize("preview", [False, True])
def test_through_the_analyzer_an_ipv4_allow_behind_an_ipv6_deny_is_blocked(preview):
    result = check_plan(run_program("dev", preview=preview, program=_twin))
    assert [v.resource_name for v in result.by_policy(POLICY)] == ["twin-allow-ipv4-mysql"]
