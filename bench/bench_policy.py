"""Policy gate: time per resource of the real analyzer process on stacks of 100, 1,000 and 10,000.

The stacks are synthetic programs of raw pulumi_aws resources run through the same mocks as the
real program (`tools.offline.run_program`), so properties, URNs and property dependencies are what
the gate sees for real programs. One unit of 50 resources is one VPC with its subnets, routing
(public through an internet gateway, private through a NAT gateway), flow logs, security groups
and ingress rules, two MySQL databases with their subnet groups, four buckets with the SSE-deny
bucket policy and a public access block, and one bare bucket. Some units are insecure on purpose:
every odd unit opens 3306 to 0.0.0.0/0, every fourth puts a database in public subnets.

The pack is started once per size, as the CLI starts it (its start time is reported apart), then
`run_gate` sends Analyze for each resource and AnalyzeStack once, in update mode. Building the plan
is not measured.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws

from bench.common import report
from components.bucket_policies import bucket_policy_document
from tools.offline import Plan, run_program
from tools.policy_gate import GateResult, PolicyAnalyzer, run_gate

UNIT_RESOURCES = 50
SIZES = (100, 1_000, 10_000)
REPEATS = 3
# A run longer than this is not repeated (the figure is then one run, and says so).
LONG_RUN_SECONDS = 60.0
TARGET_MS_PER_RESOURCE = 1.0
TARGET_RATIO = 12.0
ANYWHERE = "0.0.0.0/0"


# --- the synthetic program -------------------------------------------------------------------


def _unit(index: int) -> None:
    """50 resources: network, security groups, databases and buckets of one unit."""
    name = f"u{index:04d}"
    second = index % 250
    vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block=f"10.{second}.0.0/16", enable_dns_hostnames=True)
    igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id)
    zones = ("us-east-1a", "us-east-1b", "us-east-1c")
    public = [
        aws.ec2.Subnet(
            f"{name}-public-{zone}",
            vpc_id=vpc.id,
            cidr_block=f"10.{second}.{number}.0/24",
            availability_zone=zone,
            map_public_ip_on_launch=True,
        )
        for number, zone in enumerate(zones)
    ]
    private = [
        aws.ec2.Subnet(
            f"{name}-private-{zone}",
            vpc_id=vpc.id,
            cidr_block=f"10.{second}.{100 + number}.0/24",
            availability_zone=zone,
        )
        for number, zone in enumerate(zones)
    ]
    public_table = aws.ec2.RouteTable(f"{name}-public-rt", vpc_id=vpc.id)
    aws.ec2.Route(
        f"{name}-public-default",
        route_table_id=public_table.id,
        destination_cidr_block=ANYWHERE,
        gateway_id=igw.id,
    )
    for subnet_index, subnet in enumerate(public):
        aws.ec2.RouteTableAssociation(
            f"{name}-public-{subnet_index}", subnet_id=subnet.id, route_table_id=public_table.id
        )
    eip = aws.ec2.Eip(f"{name}-nat-ip", domain="vpc")
    nat = aws.ec2.NatGateway(f"{name}-nat", allocation_id=eip.id, subnet_id=public[0].id)
    private_table = aws.ec2.RouteTable(f"{name}-private-rt", vpc_id=vpc.id)
    aws.ec2.Route(
        f"{name}-private-default",
        route_table_id=private_table.id,
        destination_cidr_block=ANYWHERE,
        nat_gateway_id=nat.id,
    )
    for subnet_index, subnet in enumerate(private):
        aws.ec2.RouteTableAssociation(
            f"{name}-private-{subnet_index}", subnet_id=subnet.id, route_table_id=private_table.id
        )
    log_group = aws.cloudwatch.LogGroup(f"{name}-flow-logs", retention_in_days=30)
    role = aws.iam.Role(
        f"{name}-flow-logs-role",
        assume_role_policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    aws.ec2.FlowLog(
        f"{name}-flow-log",
        vpc_id=vpc.id,
        traffic_type="ALL",
        log_destination_type="cloud-watch-logs",
        log_destination=log_group.arn,
        iam_role_arn=role.arn,
    )

    web, app, db = (
        aws.ec2.SecurityGroup(f"{name}-{tier}", vpc_id=vpc.id, description=f"{tier} tier")
        for tier in ("web", "app", "db")
    )

    def ingress(
        role_name: str,
        target: aws.ec2.SecurityGroup,
        port: int,
        cidr: str | None = None,
        source: aws.ec2.SecurityGroup | None = None,
    ) -> None:
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-{role_name}",
            security_group_id=target.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            cidr_ipv4=cidr,
            referenced_security_group_id=source.id if source is not None else None,
        )

    ingress("web-https", web, 443, cidr=ANYWHERE)
    ingress("web-http", web, 80, cidr=ANYWHERE)
    ingress("app-from-web", app, 8080, source=web)
    ingress("app-ssh-from-vpc", app, 22, cidr="10.0.0.0/8")
    ingress("db-from-app", db, 3306, source=app)
    # The insecure variant: MySQL open to the internet.
    ingress("db-mysql", db, 3306, cidr=ANYWHERE if index % 2 else f"10.{second}.0.0/16")
    aws.vpc.SecurityGroupEgressRule(
        f"{name}-app-to-db",
        security_group_id=app.id,
        ip_protocol="tcp",
        from_port=3306,
        to_port=3306,
        referenced_security_group_id=db.id,
    )

    for number in range(2):
        # The insecure variant: the second database of every fourth unit in public subnets.
        subnets = public if number == 1 and index % 4 == 3 else private
        group = aws.rds.SubnetGroup(
            f"{name}-db{number}-subnets", subnet_ids=[subnet.id for subnet in subnets]
        )
        aws.rds.Instance(
            f"{name}-db{number}",
            engine="mysql",
            engine_version="8.0",
            instance_class="db.t4g.micro",
            allocated_storage=20,
            storage_encrypted=True,
            manage_master_user_password=True,
            username="admin",
            db_subnet_group_name=group.name,
            vpc_security_group_ids=[db.id],
            publicly_accessible=False,
            skip_final_snapshot=True,
        )

    for number in range(4):
        bucket = aws.s3.Bucket(f"{name}-data-{number}")
        aws.s3.BucketPolicy(
            f"{name}-data-{number}-policy",
            bucket=bucket.id,
            policy=bucket.arn.apply(lambda arn: json.dumps(bucket_policy_document(arn, "AES256"))),
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-data-{number}-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
    # The insecure variant: a bucket without policy nor public access block, in every unit.
    aws.s3.Bucket(f"{name}-scratch")


def synthetic_program(units: int) -> Callable[[], None]:
    def program() -> None:
        for index in range(units):
            _unit(index)
        pulumi.export("units", units)

    return program


def expected_violations(units: int) -> Counter[str]:
    """What the pack must report for `units` units (the benchmark's sanity check)."""
    odd = units // 2
    fourth = (units + 1) // 4  # indexes 3, 7, 11, ...
    expected = Counter(
        {
            "s3-deny-unencrypted-uploads": units,
            "s3-block-public-access": units,
            "s3-deny-insecure-transport": units,
            "security-group-no-public-database-ports": odd,
            # One violation per public subnet of the database's subnet group.
            "rds-subnets-private": 3 * fourth,
        }
    )
    return +expected  # without the zero counts


def build_plan(size: int) -> Plan:
    units = size // UNIT_RESOURCES
    plan = run_program("dev", program=synthetic_program(units))
    if len(plan.resources) != units * UNIT_RESOURCES:
        raise RuntimeError(
            f"expected {units * UNIT_RESOURCES} resources, got {len(plan.resources)}"
        )
    return plan


# --- measuring ------------------------------------------------------------------------------


def _timed_gate(plan: Plan, analyzer: PolicyAnalyzer) -> tuple[float, GateResult]:
    start = time.perf_counter()
    result = run_gate(plan, analyzer)
    return time.perf_counter() - start, result


def measure(size: int) -> dict[str, Any]:
    start = time.perf_counter()
    plan = build_plan(size)
    build_seconds = time.perf_counter() - start
    start = time.perf_counter()
    with PolicyAnalyzer(stack=plan.stack, dry_run=plan.preview) as analyzer:
        start_seconds = time.perf_counter() - start
        timings: list[float] = []
        result: GateResult | None = None
        while len(timings) < REPEATS:
            seconds, result = _timed_gate(plan, analyzer)
            timings.append(seconds)
            if seconds > LONG_RUN_SECONDS:
                break
    assert result is not None
    found = Counter(violation.policy for violation in result.violations)
    expected = expected_violations(size // UNIT_RESOURCES)
    return {
        "size": len(plan.resources),
        "build": build_seconds,
        "start": start_seconds,
        "runs": len(timings),
        "seconds": statistics.median(timings),
        "found": found,
        "expected": expected,
    }


def main() -> str:
    figures = {size: measure(size) for size in SIZES}
    rows: list[tuple[str, str]] = []
    for size, figure in figures.items():
        per_resource = figure["seconds"] / figure["size"] * 1000
        runs = figure["runs"]
        median = f"median of {runs}" if runs > 1 else "1 run: longer than a minute"
        verdict = "met" if per_resource < TARGET_MS_PER_RESOURCE else "MISSED"
        found, expected = figure["found"], figure["expected"]
        sane = "as expected" if found == expected else f"EXPECTED {dict(expected)}"
        rows += [
            (f"{size}: gate time ({median})", f"{figure['seconds']:.2f} s"),
            (f"{size}: time per resource (target < 1 ms: {verdict})", f"{per_resource:.3f} ms"),
            (f"{size}: analyzer start (not in the figure above)", f"{figure['start']:.2f} s"),
            (f"{size}: plan build under mocks (not measured)", f"{figure['build']:.1f} s"),
            (
                f"{size}: violations ({sane})",
                ", ".join(f"{policy} {count}" for policy, count in sorted(found.items())),
            ),
        ]
    ratio = figures[10_000]["seconds"] / figures[1_000]["seconds"]
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    rows.append((f"time(10k) / time(1k) (target <= 12, linear: {verdict})", f"{ratio:.1f}"))
    return report("Policy gate (analyzer process, update mode)", rows)


if __name__ == "__main__":
    main()
