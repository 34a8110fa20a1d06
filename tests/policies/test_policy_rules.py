"""Each rule of the policy pack on constructed resources: violating, clean, unknown, exempted."""

from __future__ import annotations

import json

import pytest
from platform_rules import RULES, all_policies
from pulumi_policy import EnforcementLevel

from tests.support.policy_support import (
    MANDATORY_RULES,
    UNKNOWN,
    bucket_policy_document,
    exemption_messages_for,
    judge,
    resource,
    run_resource_policy,
    run_stack_policy,
    run_stack_policy_on,
    stack_exemption_messages,
    urn,
)

RDS = "aws:rds/instance:Instance"
AURORA = "aws:rds/clusterInstance:ClusterInstance"
CLUSTER = "aws:rds/cluster:Cluster"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
BUCKET = "aws:s3/bucket:Bucket"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACL = "aws:s3/bucketAcl:BucketAcl"

DB_PORTS = "security-group-no-public-database-ports"


def test_every_rule_declares_level_description_remediation_and_aws_link():
    policies = {policy.name: policy for policy in all_policies()}
    for spec in RULES:
        policy = policies[spec.name]
        assert policy.description and policy.remediation_steps
        assert policy.url and policy.url.startswith("https://docs.aws.amazon.com/")
        assert policy.config_schema is not None and "exemptions" in policy.config_schema.properties
    mandatory = {spec.name for spec in RULES if spec.level == EnforcementLevel.MANDATORY}
    assert mandatory == MANDATORY_RULES


# --- public databases ------------------------------------------------------------------------


@pytest.mark.parametrize("resource_type", [RDS, AURORA])
def test_public_database_is_reported_with_its_name_value_and_fix(resource_type):
    messages = [
        message
        for message, _ in judge(
            "rds-not-publicly-accessible",
            [resource(resource_type, "db", {"publiclyAccessible": True})],
        )
    ]
    assert len(messages) == 1
    assert "db" in messages[0] and "publiclyAccessible=True" in messages[0]
    assert "publicly_accessible=False" in messages[0]


@pytest.mark.parametrize(
    "props", [{"publiclyAccessible": False}, {}, {"publiclyAccessible": UNKNOWN}]
)
def test_private_default_or_unknown_database_passes(props):
    assert judge("rds-not-publicly-accessible", [resource(RDS, "db", props)]) == []


# The exemption mechanics, on a resource rule (stack rules: test_policy_advice.py).
UNENCRYPTED = {"storageEncrypted": False}


def test_exempted_database_is_reported_as_an_exemption_not_a_violation():
    config = {"exemptions": [{"resource": "legacy-db", "reason": "migrating by June, ticket 42"}]}
    messages = run_resource_policy(
        "storage-encrypted", RDS, UNENCRYPTED, name="legacy-db", config=config
    )
    assert messages == []
    used = exemption_messages_for(urn(RDS, "legacy-db"))
    assert len(used) == 1 and "ticket 42" in used[0] and "storage-encrypted" in used[0]


def test_exemption_without_a_reason_does_not_apply():
    config = {"exemptions": [{"resource": "legacy-db", "reason": " "}]}
    messages = run_resource_policy(
        "storage-encrypted", RDS, UNENCRYPTED, name="legacy-db", config=config
    )
    assert len(messages) == 1 and "gives no reason" in messages[0]


def test_exemption_by_urn_applies_only_to_that_resource():
    config = {"exemptions": [{"resource": urn(RDS, "a"), "reason": "lab"}]}
    assert run_resource_policy("storage-encrypted", RDS, UNENCRYPTED, name="a", config=config) == []
    assert run_resource_policy("storage-encrypted", RDS, UNENCRYPTED, name="b", config=config)


# --- database ports --------------------------------------------------------------------------


def _inline(protocol="tcp", low=3306, high=3306, cidrs=("0.0.0.0/0",), ipv6=()):
    return {
        "ingress": [
            {
                "protocol": protocol,
                "fromPort": low,
                "toPort": high,
                "cidrBlocks": list(cidrs),
                "ipv6CidrBlocks": list(ipv6),
            }
        ]
    }


@pytest.mark.parametrize(
    ("resource_type", "props", "port"),
    [
        (SG, _inline(), "3306"),
        (SG, _inline(low=5432, high=5432, cidrs=(), ipv6=("::/0",)), "5432"),
        (SG, _inline(low=1000, high=2000), "1433"),
        (SG, _inline(protocol="-1", low=0, high=0), "27017"),
        (SG, _inline(protocol="all", low=0, high=0), "6379"),
        (SG, _inline(protocol="6", low=11211, high=11211), "11211"),
        (
            SG_RULE,
            {
                "type": "ingress",
                "protocol": "tcp",
                "fromPort": 1521,
                "toPort": 1521,
                "cidrBlocks": ["0.0.0.0/0"],
            },
            "1521",
        ),
        (
            SG_RULE,
            {
                "type": "ingress",
                "protocol": "-1",
                "fromPort": 0,
                "toPort": 0,
                "ipv6CidrBlocks": ["::/0"],
            },
            "3306",
        ),
        (
            INGRESS,
            {"ipProtocol": "tcp", "fromPort": 3306, "toPort": 3306, "cidrIpv4": "0.0.0.0/0"},
            "3306",
        ),
        (INGRESS, {"ipProtocol": "-1", "cidrIpv6": "::/0"}, "5432"),
        (
            INGRESS,
            {"ipProtocol": "tcp", "fromPort": 0, "toPort": 65535, "cidrIpv4": "0.0.0.0/0"},
            "3306",
        ),
    ],
)
def test_database_port_open_to_the_internet_is_reported(resource_type, props, port):
    messages = run_stack_policy_on(DB_PORTS, resource_type, props, name="db-sg")
    assert len(messages) == 1
    assert port in messages[0] and "db-sg" in messages[0]
    assert ("0.0.0.0/0" in messages[0]) or ("::/0" in messages[0])


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        (SG, _inline(cidrs=("10.0.0.0/16",))),
        (SG, _inline(low=80, high=443)),
        (SG, _inline(protocol="icmp", low=-1, high=-1)),
        (
            SG_RULE,
            {
                "type": "egress",
                "protocol": "-1",
                "fromPort": 0,
                "toPort": 0,
                "cidrBlocks": ["0.0.0.0/0"],
            },
        ),
        (
            INGRESS,
            {
                "ipProtocol": "tcp",
                "fromPort": 3306,
                "toPort": 3306,
                "referencedSecurityGroupId": "sg-1",
            },
        ),
        (INGRESS, {"ipProtocol": "tcp", "fromPort": 3306, "toPort": 3306, "cidrIpv4": UNKNOWN}),
        (
            INGRESS,
            {"ipProtocol": "tcp", "fromPort": UNKNOWN, "toPort": UNKNOWN, "cidrIpv4": "0.0.0.0/0"},
        ),
        (SG, {"ingress": UNKNOWN}),
    ],
)
def test_private_other_or_unknown_ingress_passes(resource_type, props):
    assert run_stack_policy_on(DB_PORTS, resource_type, props) == []


def test_database_port_list_is_configurable():
    props = {"ipProtocol": "tcp", "fromPort": 8080, "toPort": 8080, "cidrIpv4": "0.0.0.0/0"}
    assert run_stack_policy_on(DB_PORTS, INGRESS, props) == []
    assert run_stack_policy_on(DB_PORTS, INGRESS, props, config={"ports": [8080]})


def test_ssh_and_rdp_open_to_the_internet_are_advised_against():
    props = _inline(low=22, high=3389)
    messages = run_stack_policy_on("security-group-no-public-admin-ports", SG, props)
    assert len(messages) == 1 and "22 (SSH)" in messages[0] and "3389 (RDP)" in messages[0]
    assert (
        run_stack_policy_on(
            "security-group-no-public-admin-ports",
            SG,
            _inline(low=22, high=22, cidrs=("203.0.113.7/32",)),
        )
        == []
    )


# --- databases in private subnets --------------------------------------------------------------


def _network(public_route_inline: bool = False):
    vpc = resource("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"})
    igw = resource("aws:ec2/internetGateway:InternetGateway", "igw", {}, {"vpcId": [vpc]})
    public = resource("aws:ec2/subnet:Subnet", "public", {"vpcId": "vpc-1"}, {"vpcId": [vpc]})
    private = resource("aws:ec2/subnet:Subnet", "private", {"vpcId": "vpc-1"}, {"vpcId": [vpc]})
    if public_route_inline:
        public_rt = resource(
            "aws:ec2/routeTable:RouteTable",
            "public-rt",
            {"routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": UNKNOWN}]},
            {"vpcId": [vpc], "routes": [igw]},
        )
        routes = []
    else:
        public_rt = resource("aws:ec2/routeTable:RouteTable", "public-rt", {}, {"vpcId": [vpc]})
        routes = [
            resource(
                "aws:ec2/route:Route",
                "public-default",
                {"destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"},
                {"routeTableId": [public_rt], "gatewayId": [igw]},
            )
        ]
    private_rt = resource("aws:ec2/routeTable:RouteTable", "private-rt", {}, {"vpcId": [vpc]})
    associations = [
        resource(
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            "a-public",
            {},
            {"subnetId": [public], "routeTableId": [public_rt]},
        ),
        resource(
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            "a-private",
            {},
            {"subnetId": [private], "routeTableId": [private_rt]},
        ),
    ]
    return {"vpc": vpc, "igw": igw, "public": public, "private": private, "public_rt": public_rt}, [
        vpc,
        igw,
        public,
        private,
        public_rt,
        private_rt,
        *routes,
        *associations,
    ]


def _database(subnets, kind=RDS):
    group = resource(
        "aws:rds/subnetGroup:SubnetGroup",
        "db-subnets",
        {"subnetIds": [UNKNOWN] * len(subnets)},
        {"subnetIds": subnets},
    )
    database = resource(kind, "db", {"dbSubnetGroupName": UNKNOWN}, {"dbSubnetGroupName": [group]})
    return [group, database]


@pytest.mark.parametrize("inline", [False, True])
@pytest.mark.parametrize("kind", [RDS, CLUSTER, AURORA])
def test_database_with_a_public_subnet_is_reported_naming_subnet_and_route(inline, kind):
    parts, resources = _network(public_route_inline=inline)
    found = run_stack_policy(
        "rds-subnets-private", resources + _database([parts["private"], parts["public"]], kind)
    )
    assert len(found) == 1
    message, violation_urn = found[0]
    assert violation_urn == urn(kind, "db")
    assert "public" in message and "public-rt" in message


def test_database_in_private_subnets_passes():
    parts, resources = _network()
    assert run_stack_policy("rds-subnets-private", resources + _database([parts["private"]])) == []


def test_subnet_without_association_uses_the_vpc_main_route_table():
    parts, resources = _network()
    vpc, igw = parts["vpc"], parts["igw"]
    loose = resource("aws:ec2/subnet:Subnet", "loose", {}, {"vpcId": [vpc]})
    # Untouched main table: only the local route.
    assert run_stack_policy("rds-subnets-private", [*resources, loose, *_database([loose])]) == []
    main = resource(
        "aws:ec2/defaultRouteTable:DefaultRouteTable",
        "main",
        {"routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-0abc"}]},
        {"defaultRouteTableId": [vpc], "routes": [igw]},
    )
    found = run_stack_policy("rds-subnets-private", [*resources, loose, main, *_database([loose])])
    assert len(found) == 1 and "main route table" in found[0][0]


def test_main_route_table_association_decides_for_unassociated_subnets():
    parts, resources = _network()
    vpc = parts["vpc"]
    loose = resource("aws:ec2/subnet:Subnet", "loose", {}, {"vpcId": [vpc]})
    main = resource(
        "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation",
        "main",
        {},
        {"vpcId": [vpc], "routeTableId": [parts["public_rt"]]},
    )
    found = run_stack_policy("rds-subnets-private", [*resources, loose, main, *_database([loose])])
    assert len(found) == 1 and "loose" in found[0][0]


def test_database_without_subnet_group_lands_in_the_default_vpc():
    found = run_stack_policy("rds-subnets-private", [resource(RDS, "db", {"engine": "mysql"})])
    assert len(found) == 1 and "default VPC" in found[0][0]
    assert run_stack_policy("rds-subnets-private", [resource(AURORA, "db", {})]) == []


def test_subnet_group_linked_by_name_when_names_are_known():
    parts, resources = _network()
    group = resource(
        "aws:rds/subnetGroup:SubnetGroup",
        "group",
        {"name": "db-group"},
        {"subnetIds": [parts["public"]]},
    )
    other = resource(
        "aws:rds/subnetGroup:SubnetGroup",
        "other",
        {"name": "other"},
        {"subnetIds": [parts["private"]]},
    )
    database = resource(RDS, "db", {"dbSubnetGroupName": "db-group"})
    found = run_stack_policy("rds-subnets-private", [*resources, group, other, database])
    assert len(found) == 1 and "group" in found[0][0]


def test_stack_exemption_is_reported_by_the_stack_reporter():
    parts, resources = _network()
    config = {"exemptions": [{"resource": "db", "reason": "bastion-less lab"}]}
    assert (
        run_stack_policy("rds-subnets-private", resources + _database([parts["public"]]), config)
        == []
    )
    used = stack_exemption_messages()
    assert len(used) == 1 and "bastion-less lab" in used[0][0] and used[0][1] == urn(RDS, "db")


# --- S3: encrypted uploads -------------------------------------------------------------------


def _bucket_stack(document, *, policy_bucket="data-bucket", link=True, bucket_name="data-bucket"):
    bucket = resource(BUCKET, "data", {"bucket": bucket_name} if bucket_name else {})
    policy = resource(
        POLICY,
        "data-policy",
        {"bucket": policy_bucket, "policy": document},
        {"bucket": [bucket]} if link else {},
    )
    return bucket, [bucket, policy]


SSE = "s3-deny-unencrypted-uploads"


def test_bucket_with_the_two_deny_statements_passes():
    _, resources = _bucket_stack(bucket_policy_document("data-bucket"))
    assert run_stack_policy(SSE, resources) == []


def test_bucket_without_policy_is_reported():
    found = run_stack_policy(SSE, [resource(BUCKET, "data", {})])
    assert len(found) == 1 and "has no bucket policy" in found[0][0]


def test_sse_statement_as_allow_is_reported_with_the_offending_effect():
    _, resources = _bucket_stack(bucket_policy_document("data-bucket", effect="Allow"))
    found = run_stack_policy(SSE, resources)
    assert len(found) == 1 and "'Allow'" in found[0][0]


def test_deny_aimed_at_another_bucket_is_reported():
    _, resources = _bucket_stack(
        bucket_policy_document("data-bucket", resource_bucket="other-bucket")
    )
    found = run_stack_policy(SSE, resources)
    assert len(found) == 1 and "arn:aws:s3:::other-bucket/*" in found[0][0]


def test_deny_of_other_actions_is_reported():
    _, resources = _bucket_stack(bucket_policy_document("data-bucket", actions="s3:GetObject"))
    found = run_stack_policy(SSE, resources)
    assert len(found) == 1 and "leaves s3:PutObject out" in found[0][0]


def test_deny_of_all_s3_actions_counts():
    _, resources = _bucket_stack(bucket_policy_document("data-bucket", actions=["s3:*"]))
    assert run_stack_policy(SSE, resources) == []


def test_policy_on_another_bucket_leaves_this_one_uncovered():
    bucket = resource(BUCKET, "data", {})
    other = resource(BUCKET, "other", {})
    policy = resource(POLICY, "p", {"bucket": UNKNOWN, "policy": UNKNOWN}, {"bucket": [other]})
    found = run_stack_policy(SSE, [bucket, other, policy])
    assert [urn_ for _, urn_ in found] == [urn(BUCKET, "data")]


def test_policy_linked_by_name_without_dependencies():
    _, resources = _bucket_stack(bucket_policy_document("data-bucket"), link=False)
    assert run_stack_policy(SSE, resources) == []
    _, resources = _bucket_stack(bucket_policy_document("x"), policy_bucket="x", link=False)
    assert len(run_stack_policy(SSE, resources)) == 1


def test_disallowed_algorithm_is_reported_and_the_list_is_configurable():
    _, resources = _bucket_stack(
        bucket_policy_document("data-bucket", algorithms=["AES256", "aws:kms"])
    )
    assert run_stack_policy(SSE, resources) == []
    found = run_stack_policy(SSE, resources, {"allowedAlgorithms": ["aws:kms"]})
    assert len(found) == 1 and "'AES256'" in found[0][0]


def test_missing_algorithm_statement_only_matters_when_required():
    document = json.loads(bucket_policy_document("data-bucket"))
    document["Statement"] = [document["Statement"][0]]
    _, resources = _bucket_stack(json.dumps(document))
    only_aes = {"allowedAlgorithms": ["AES256"]}
    found = run_stack_policy(SSE, resources, only_aes)
    assert len(found) == 1 and "uploads with aws:kms" in found[0][0]
    assert run_stack_policy(SSE, resources, {**only_aes, "requireAllowedAlgorithms": False}) == []


def test_unknown_policy_document_during_preview_is_not_blocked():
    _, resources = _bucket_stack(UNKNOWN, policy_bucket=UNKNOWN, bucket_name=None)
    assert run_stack_policy(SSE, resources) == []
    assert run_stack_policy("s3-deny-insecure-transport", resources) == []


def test_invalid_policy_json_is_reported():
    _, resources = _bucket_stack("{not json")
    found = run_stack_policy(SSE, resources)
    assert len(found) == 1 and "not valid JSON" in found[0][0]


def test_insecure_transport_is_advised_against():
    _, resources = _bucket_stack(bucket_policy_document("data-bucket", tls=False))
    found = run_stack_policy("s3-deny-insecure-transport", resources)
    assert len(found) == 1 and "aws:SecureTransport" in found[0][0]
    _, resources = _bucket_stack(bucket_policy_document("data-bucket"))
    assert run_stack_policy("s3-deny-insecure-transport", resources) == []


# --- S3: public access -----------------------------------------------------------------------

FLAGS = {
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}


def test_public_access_block_with_all_four_flags_passes():
    bucket = resource(BUCKET, "data", {})
    block = resource(PAB, "data-block", FLAGS, {"bucket": [bucket]})
    assert run_stack_policy("s3-block-public-access", [bucket, block]) == []


def test_partial_public_access_block_is_reported():
    # No block at all keeps S3's default for new buckets, every flag on (tests/policies/
    # test_aws_defaults.py); a block that leaves a flag off turns it off.
    bucket = resource(BUCKET, "data", {})
    assert run_stack_policy("s3-block-public-access", [bucket]) == []
    block = resource(
        PAB, "data-block", {**FLAGS, "restrictPublicBuckets": False}, {"bucket": [bucket]}
    )
    found = run_stack_policy("s3-block-public-access", [bucket, block])
    assert len(found) == 1 and "restrictPublicBuckets" in found[0][0]


def test_unknown_flag_or_account_block_is_not_blocked():
    bucket = resource(BUCKET, "data", {})
    block = resource(PAB, "data-block", {**FLAGS, "blockPublicAcls": UNKNOWN}, {"bucket": [bucket]})
    assert run_stack_policy("s3-block-public-access", [bucket, block]) == []
    account = resource("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", "account", FLAGS)
    assert run_stack_policy("s3-block-public-access", [bucket, account]) == []


@pytest.mark.parametrize(
    ("resource_type", "props", "expected"),
    [
        (BUCKET, {"acl": "public-read"}, "public-read"),
        (ACL, {"acl": "public-read-write"}, "public-read-write"),
        (
            ACL,
            {
                "accessControlPolicy": {
                    "grants": [
                        {
                            "grantee": {
                                "type": "Group",
                                "uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                            },
                            "permission": "READ",
                        }
                    ]
                }
            },
            "AllUsers",
        ),
        (
            BUCKET,
            {
                "grants": [
                    {
                        "type": "Group",
                        "uri": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
                        "permissions": ["READ"],
                    }
                ]
            },
            "AuthenticatedUsers",
        ),
        (
            POLICY,
            {
                "policy": json.dumps(
                    {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": "s3:GetObject",
                                "Resource": "arn:aws:s3:::b/*",
                            }
                        ]
                    }
                )
            },
            "Principal '*'",
        ),
        (
            POLICY,
            {
                "policy": json.dumps(
                    {
                        "Statement": {
                            "Effect": "Allow",
                            "Principal": {"AWS": ["*"]},
                            "Action": "s3:GetObject",
                            "Resource": "*",
                        }
                    }
                )
            },
            "Principal '*'",
        ),
    ],
)
def test_public_acls_and_policies_are_reported(resource_type, props, expected):
    messages = run_resource_policy("s3-no-public-grants", resource_type, props)
    assert len(messages) == 1 and expected in messages[0]


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        (BUCKET, {"acl": "private"}),
        (ACL, {"acl": UNKNOWN}),
        (POLICY, {"policy": UNKNOWN}),
        (
            POLICY,
            {
                "policy": json.dumps(
                    {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": "s3:GetObject",
                                "Resource": "*",
                                "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}},
                            }
                        ]
                    }
                )
            },
        ),
        (POLICY, {"policy": bucket_policy_document("b")}),
    ],
)
def test_private_restricted_or_unknown_grants_pass(resource_type, props):
    assert run_resource_policy("s3-no-public-grants", resource_type, props) == []


# --- advisory rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource_type", "props", "violates"),
    [
        ("aws:efs/fileSystem:FileSystem", {"encrypted": False}, True),
        ("aws:efs/fileSystem:FileSystem", {}, True),
        ("aws:efs/fileSystem:FileSystem", {"encrypted": True}, False),
        (RDS, {"storageEncrypted": False}, True),
        (RDS, {"storageEncrypted": UNKNOWN}, False),
        (CLUSTER, {"storageEncrypted": True}, False),
    ],
)
def test_storage_encryption(resource_type, props, violates):
    assert bool(run_resource_policy("storage-encrypted", resource_type, props)) is violates


def test_vpc_without_flow_log_is_advised_against():
    vpc = resource("aws:ec2/vpc:Vpc", "vpc", {})
    assert len(run_stack_policy("vpc-flow-logs-enabled", [vpc])) == 1
    flow = resource("aws:ec2/flowLog:FlowLog", "flow", {"vpcId": UNKNOWN}, {"vpcId": [vpc]})
    assert run_stack_policy("vpc-flow-logs-enabled", [vpc, flow]) == []


ADMIN = json.dumps({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
NARROW = json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})


@pytest.mark.parametrize("form", ["inline", "role-policy", "attached", "managed-arn"])
def test_lambda_role_with_admin_wildcard_is_advised_against(form):
    role_props = {"inlinePolicies": [{"name": "all", "policy": ADMIN}]} if form == "inline" else {}
    role = resource("aws:iam/role:Role", "fn-role", role_props)
    function = resource("aws:lambda/function:Function", "fn", {"role": UNKNOWN}, {"role": [role]})
    extra = []
    if form == "role-policy":
        extra = [
            resource(
                "aws:iam/rolePolicy:RolePolicy",
                "p",
                {"role": UNKNOWN, "policy": ADMIN},
                {"role": [role]},
            )
        ]
    elif form == "attached":
        policy = resource("aws:iam/policy:Policy", "admin", {"policy": ADMIN})
        extra = [
            policy,
            resource(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                "att",
                {},
                {"role": [role], "policyArn": [policy]},
            ),
        ]
    elif form == "managed-arn":
        extra = [
            resource(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                "att",
                {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
                {"role": [role]},
            )
        ]
    found = run_stack_policy("lambda-role-no-admin-wildcard", [role, function, *extra])
    assert (
        len(found) == 1
        and "fn-role" in found[0][0]
        and found[0][1] == urn("aws:iam/role:Role", "fn-role")
    )


def test_lambda_role_with_narrow_policy_passes():
    role = resource(
        "aws:iam/role:Role", "fn-role", {"inlinePolicies": [{"name": "read", "policy": NARROW}]}
    )
    function = resource("aws:lambda/function:Function", "fn", {}, {"role": [role]})
    assert run_stack_policy("lambda-role-no-admin-wildcard", [role, function]) == []


@pytest.mark.parametrize(
    ("props", "violates"),
    [
        ({}, True),
        ({"retentionInDays": 0}, True),
        ({"retentionInDays": 30}, False),
        ({"retentionInDays": UNKNOWN}, False),
    ],
)
def test_log_group_retention(props, violates):
    assert (
        bool(
            run_resource_policy(
                "log-group-retention-set", "aws:cloudwatch/logGroup:LogGroup", props
            )
        )
        is violates
    )


def test_a_rule_bug_is_reported_not_crashed(monkeypatch):
    from platform_rules import storage

    def broken(graph, settings):
        raise RuntimeError("boom")
        yield

    monkeypatch.setattr(storage, "storage_encrypted_check", broken)
    # The policy was built with the original function; rebuild one with the broken check.
    from platform_rules import STORAGE_ENCRYPTED
    from platform_rules.framework import resource_policy

    from tests.support.policy_support import resource_args

    policy = resource_policy(STORAGE_ENCRYPTED, ["t"], lambda node, settings: broken(None, None))
    messages: list[str] = []
    policy.validate(resource_args("t", {}), lambda message, urn=None: messages.append(message))
    assert len(messages) == 1 and "RuntimeError: boom" in messages[0]


# --- deprecated aliases pulumi-aws v7 still ships --------------------------------------------

BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
ACL_V2 = "aws:s3/bucketAclV2:BucketAclV2"


@pytest.mark.parametrize(
    "policy",
    [SSE, "s3-block-public-access", "s3-deny-insecure-transport"],
)
def test_bucket_v2_is_held_to_the_bucket_rules(policy):
    legacy = resource(BUCKET_V2, "legacy", {"bucket": "legacy"})
    block = resource(PAB, "legacy-block", {"bucket": "legacy"}, {"bucket": [legacy]})
    found = run_stack_policy(policy, [legacy, block])
    assert len(found) == 1 and "legacy" in found[0][0] and found[0][1] == urn(BUCKET_V2, "legacy")


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        (BUCKET_V2, {"acl": "public-read"}),
        (
            ACL_V2,
            {
                "accessControlPolicy": {
                    "grants": [
                        {
                            "grantee": {
                                "type": "Group",
                                "uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                            },
                            "permission": "READ",
                        }
                    ]
                }
            },
        ),
    ],
)
def test_public_grants_on_v2_aliases_are_reported(resource_type, props):
    messages = run_resource_policy("s3-no-public-grants", resource_type, props)
    assert len(messages) == 1 and "makes the bucket public" in messages[0]


def _with_not_principal(document: str) -> str:
    policy = json.loads(document)
    for statement in policy["Statement"]:
        del statement["Principal"]
        statement["NotPrincipal"] = {"AWS": "arn:aws:iam::123456789012:role/uploader"}
    return json.dumps(policy)


def test_deny_with_not_principal_exempts_someone_and_does_not_count():
    _, resources = _bucket_stack(_with_not_principal(bucket_policy_document("data-bucket")))
    found = run_stack_policy(SSE, resources)
    assert len(found) == 1 and "NotPrincipal" in found[0][0] and "uploader" in found[0][0]
    assert run_stack_policy("s3-deny-insecure-transport", resources) != []


def test_allow_with_not_principal_is_public():
    document = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"},
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::b/*",
                }
            ]
        }
    )
    messages = run_resource_policy("s3-no-public-grants", POLICY, {"policy": document})
    assert len(messages) == 1 and "NotPrincipal" in messages[0]


def test_lambda_role_allowing_everything_but_a_few_actions_is_advised_against():
    all_but = json.dumps(
        {"Statement": [{"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}]}
    )
    role = resource(
        "aws:iam/role:Role", "fn-role", {"inlinePolicies": [{"name": "all", "policy": all_but}]}
    )
    function = resource("aws:lambda/function:Function", "fn", {}, {"role": [role]})
    found = run_stack_policy("lambda-role-no-admin-wildcard", [role, function])
    assert len(found) == 1 and "fn-role" in found[0][0] and "NotAction ['iam:*']" in found[0][0]
